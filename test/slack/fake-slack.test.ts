import type { AddressInfo } from 'node:net';
import { App, LogLevel, verifySlackRequest, webApi } from '@slack/bolt';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import {
  field,
  nowSeconds,
  option,
  type SlackSender,
  sign,
  slackSender,
  stateValues,
} from '../support/slack-requests.js';

const { WebClient, ErrorCode, WebClientEvent } = webApi;
const TOKEN = 'xoxb-test-token';
const APP_TOKEN = 'xapp-test-token';
const SECRET = 'test-signing-secret';
/** The channel the bot was invited to. */
const CHANNEL = 'C0001';

/** Retry quickly: the fake's failures are deliberate, waiting minutes for them helps nobody. */
const fastRetries = { retries: 2, minTimeout: 0, maxTimeout: 0 };

let fake: FakeSlack;

beforeAll(async () => {
  fake = await startFakeSlack({ botToken: TOKEN, appToken: APP_TOKEN });
  fake.inviteBot(CHANNEL);
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  fake.reset();
});

function client(options: ConstructorParameters<typeof WebClient>[1] = {}) {
  return new WebClient(TOKEN, {
    slackApiUrl: fake.apiUrl,
    logLevel: webApi.LogLevel.ERROR,
    retryConfig: fastRetries,
    ...options,
  });
}

describe('fake Slack Web API, driven by @slack/web-api', () => {
  it('answers auth.test like Slack and records the bearer token', async () => {
    const result = await client().auth.test();
    expect(result).toMatchObject({
      ok: true,
      user_id: 'UBOT',
      bot_id: 'BBOT',
      team_id: 'T0001',
      user: 'installcode',
    });
    expect(fake.lastCall('auth.test')?.token).toBe(TOKEN);
    expect(fake.apiUrl).toBe(`${fake.url}/api/`);
  });

  it('refuses a call without a token, as Slack does', async () => {
    const anonymous = new WebClient(undefined, {
      slackApiUrl: fake.apiUrl,
      logLevel: webApi.LogLevel.ERROR,
    });
    await expect(anonymous.auth.test()).rejects.toMatchObject({ data: { error: 'not_authed' } });
  });

  it('records chat.postMessage with its blocks decoded back into objects', async () => {
    const blocks = [
      { type: 'section', text: { type: 'mrkdwn', text: '*ABC-123* <!date^1700000000^{date}|x>' } },
      {
        type: 'actions',
        block_id: 'code_actions',
        elements: [{ type: 'button', action_id: 'qr', text: { type: 'plain_text', text: 'QR' } }],
      },
    ];
    const result = await client().chat.postMessage({ channel: 'C0001', text: 'a code', blocks });

    expect(result.ok).toBe(true);
    expect(result.channel).toBe('C0001');
    expect(result.ts).toMatch(/^\d+\.\d{6}$/);
    const call = fake.lastCall('chat.postMessage');
    expect(call?.args.blocks).toEqual(blocks);
    expect(call?.args.text).toBe('a code');
    expect(call?.args.channel).toBe('C0001');
    expect(call?.token).toBe(TOKEN);
    expect(fake.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('keeps text that merely looks like JSON a string unless it parses', async () => {
    await client().chat.postMessage({ channel: 'C0001', text: '[draft] {not json' });
    expect(fake.lastCall('chat.postMessage')?.args.text).toBe('[draft] {not json');
  });

  it('gives distinct timestamps and message_ts for ephemeral messages', async () => {
    const web = client();
    const a = await web.chat.postMessage({ channel: 'C0001', text: 'a' });
    const b = await web.chat.postMessage({ channel: 'C0001', text: 'b' });
    const eph = await web.chat.postEphemeral({ channel: 'C0001', user: 'U1', text: 'c' });
    expect(a.ts).not.toBe(b.ts);
    expect(eph.message_ts).toMatch(/^\d+\.\d{6}$/);
    expect(fake.calls.map((c) => c.method)).toEqual([
      'chat.postMessage',
      'chat.postMessage',
      'chat.postEphemeral',
    ]);
  });

  it('opens a DM channel named after the user', async () => {
    const result = await client().conversations.open({ users: 'U0042' });
    expect(result.channel?.id).toBe('DU0042');
  });

  it('completes files.uploadV2 and keeps the exact bytes and the channel', async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0x10]);
    await client().conversations.open({ users: 'U0042' });
    const result = await client().files.uploadV2({
      channel_id: 'DU0042',
      file: bytes,
      filename: 'ABC-123.png',
      title: 'QR for ABC-123',
      initial_comment: 'Your code ABC-123',
    });

    expect(result.ok).toBe(true);
    expect(fake.uploads).toHaveLength(1);
    const upload = fake.uploads[0];
    expect(upload?.bytes.equals(bytes)).toBe(true);
    expect(upload).toMatchObject({
      channelId: 'DU0042',
      initialComment: 'Your code ABC-123',
      filename: 'ABC-123.png',
      title: 'QR for ABC-123',
      token: TOKEN,
    });
    expect(upload?.fileId).toMatch(/^F/);
    expect(fake.calls.map((c) => c.method)).toEqual([
      'conversations.open',
      'files.getUploadURLExternal',
      'files.completeUploadExternal',
    ]);
    expect(fake.lastCall('files.getUploadURLExternal')?.args).toMatchObject({
      filename: 'ABC-123.png',
      length: String(bytes.length),
    });
    expect(fake.lastCall('files.completeUploadExternal')?.args.files).toEqual([
      { id: upload?.fileId, title: 'QR for ABC-123' },
    ]);
    const completed = (result as unknown as { files: { files: { id: string }[] }[] }).files;
    expect(completed[0]?.files[0]?.id).toBe(upload?.fileId);
    expect(fake.lastCall('files.completeUploadExternal')?.result).toMatchObject({ ok: true });
    await expect(fake.waitForUpload((u) => u.channelId === 'DU0042', 100)).resolves.toBe(upload);
  });

  it('passes thread_ts of an upload through to completeUploadExternal', async () => {
    await client().files.uploadV2({
      channel_id: 'C0001',
      thread_ts: '1700000000.000100',
      file: Buffer.from('png'),
      filename: 'qr.png',
    });
    expect(fake.uploads[0]?.threadTs).toBe('1700000000.000100');
    expect(fake.uploads[0]?.bytes.toString()).toBe('png');
  });

  it('fails an upload whose bytes never arrived, and one whose upload step failed', async () => {
    const web = client({ retryConfig: { retries: 0 } });
    await expect(
      web.files.completeUploadExternal({ files: [{ id: 'F404' }], channel_id: 'C0001' }),
    ).rejects.toMatchObject({ data: { error: 'file_not_found' } });

    fake.failNext('upload', { status: 500 });
    await expect(
      web.files.uploadV2({ channel_id: 'C0001', file: Buffer.from('x'), filename: 'x.png' }),
    ).rejects.toThrow();
    expect(fake.uploads).toHaveLength(0);
    expect(fake.callsTo('files.completeUploadExternal')).toHaveLength(1);
  });

  it('holds an answer as long as asked: the call is seen at once, its upload lands after', async () => {
    fake.delayNext('files.completeUploadExternal', 600);
    const started = performance.now();
    const upload = client().files.uploadV2({
      channel_id: 'C0001',
      file: Buffer.from('png'),
      filename: 'slow.png',
    });
    await fake.waitForCall('files.completeUploadExternal');
    expect(fake.uploads).toHaveLength(0);
    await upload;
    expect(performance.now() - started).toBeGreaterThanOrEqual(550);
    expect(fake.uploads.map((u) => u.filename)).toEqual(['slow.png']);

    // Only the next call was delayed.
    const again = performance.now();
    await client().files.uploadV2({
      channel_id: 'C0001',
      file: Buffer.from('x'),
      filename: 'x.png',
    });
    expect(performance.now() - again).toBeLessThan(500);
  });

  it('makes the WebClient retry after a 429 with Retry-After', async () => {
    fake.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const web = client();
    const rateLimited: number[] = [];
    web.on(WebClientEvent.RATE_LIMITED, (seconds: number) => rateLimited.push(seconds));

    const started = Date.now();
    const result = await web.chat.postMessage({ channel: 'C0001', text: 'hello' });

    expect(result.ok).toBe(true);
    expect(rateLimited).toEqual([1]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const calls = fake.callsTo('chat.postMessage');
    expect(calls).toHaveLength(2);
    expect(calls[0]?.injected).toEqual({ status: 429, error: undefined });
    expect(calls[1]?.injected).toBeUndefined();
  });

  it('makes a WebClient that rejects rate-limited calls reject at once', async () => {
    fake.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const web = client({ retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });

    await expect(web.chat.postMessage({ channel: 'C0001', text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.RateLimitedError,
      retryAfter: 1,
    });
    expect(fake.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('answers {ok:false, error} with HTTP 200 and then recovers', async () => {
    fake.failNext('chat.postMessage', { error: 'not_in_channel' });
    const web = client();

    await expect(web.chat.postMessage({ channel: CHANNEL, text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.PlatformError,
      data: { ok: false, error: 'not_in_channel' },
    });
    // a platform error is not retried
    expect(fake.callsTo('chat.postMessage')).toHaveLength(1);
    await expect(web.chat.postMessage({ channel: CHANNEL, text: 'x' })).resolves.toMatchObject({
      ok: true,
    });
  });

  it('answers HTTP 500 as many times as asked; the WebClient retries those too', async () => {
    const { ts } = await client().chat.postMessage({ channel: CHANNEL, text: 'w' });
    fake.failNext('chat.update', { status: 500, times: 2 });
    const noRetry = client({ retryConfig: { retries: 0 } });
    await expect(
      noRetry.chat.update({ channel: CHANNEL, ts: String(ts), text: 'x' }),
    ).rejects.toMatchObject({ code: ErrorCode.HTTPError, statusCode: 500 });

    // one failure left: a client with retries gets through on its second attempt
    const result = await client().chat.update({ channel: CHANNEL, ts: String(ts), text: 'y' });
    expect(result.ok).toBe(true);
    expect(fake.callsTo('chat.update').map((c) => c.injected?.status ?? 200)).toEqual([
      500, 500, 200,
    ]);
  });

  it('holds views like Slack: ids, new hashes, hash conflicts', async () => {
    const web = client();
    const view = {
      type: 'modal' as const,
      callback_id: 'editor',
      private_metadata: '{"code":"ABC"}',
      title: { type: 'plain_text' as const, text: 'Edit' },
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x' } }],
    };
    const opened = await web.views.open({ trigger_id: fake.triggerId(), view });
    const openedView = opened.view;
    const viewId = openedView?.id ?? '';
    const hash = openedView?.hash ?? '';
    expect(viewId).toMatch(/^V/);
    expect(hash).not.toBe('');
    expect(openedView?.callback_id).toBe('editor');
    expect(fake.lastCall('views.open')?.args.view).toEqual(view);
    expect(fake.lastView('editor')).toMatchObject({
      id: openedView?.id,
      private_metadata: view.private_metadata,
    });

    const updated = await web.views.update({
      view_id: viewId,
      hash,
      view: { ...view, private_metadata: 'v2' },
    });
    expect(updated.view?.id).toBe(openedView?.id);
    expect(updated.view?.hash).not.toBe(openedView?.hash);

    await expect(web.views.update({ view_id: viewId, hash, view })).rejects.toMatchObject({
      data: { error: 'hash_conflict' },
    });
    expect(fake.lastView('editor')?.private_metadata).toBe('v2');

    const pushed = await web.views.push({
      trigger_id: fake.triggerId(),
      view: { ...view, callback_id: 'confirm' },
    });
    expect(pushed.view?.id).not.toBe(openedView?.id);

    const home = await web.views.publish({ user_id: 'U0001', view: { type: 'home', blocks: [] } });
    const again = await web.views.publish({ user_id: 'U0001', view: { type: 'home', blocks: [] } });
    expect(again.view?.id).toBe(home.view?.id);
    expect(fake.views.get(home.view?.id ?? '')?.type).toBe('home');
  });

  it('answers users.info, with what setUser said', async () => {
    fake.setUser('U0007', { tz: 'America/New_York', is_admin: true });
    const result = await client().users.info({ user: 'U0007' });
    expect(result.user).toMatchObject({ id: 'U0007', tz: 'America/New_York', is_admin: true });
  });

  it('waits for calls that arrive later, and times out on calls that never do', async () => {
    const web = client();
    const waiting = fake.waitForCall('chat.postMessage', (c) => c.args.text === 'second');
    await web.chat.postMessage({ channel: 'C0001', text: 'first' });
    setTimeout(() => void web.chat.postMessage({ channel: 'C0001', text: 'second' }), 50);
    const call = await waiting;
    expect(call.args.text).toBe('second');

    await expect(fake.waitForCall('chat.delete', undefined, 50)).rejects.toThrow(
      /timed out .*chat\.delete.*chat\.postMessage/,
    );
  });

  it('records response_url POSTs', async () => {
    const url = fake.responseUrl('cmd-1');
    const waiting = fake.waitForResponse((r) => r.id === 'cmd-1');
    const answer = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ replace_original: true, text: 'page 2' }),
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ ok: true });
    expect((await waiting).body).toEqual({ replace_original: true, text: 'page 2' });

    fake.failNext('response_url', { status: 404, error: 'expired_url' });
    const expired = await fetch(fake.responseUrl('cmd-2'), { method: 'POST', body: '{}' });
    expect(expired.status).toBe(404);
    expect(fake.responses.map((r) => r.id)).toEqual(['cmd-1', 'cmd-2']);
  });

  it('forgets everything on reset, pending failures included', async () => {
    fake.failNext('auth.test', { error: 'invalid_auth' });
    await client().chat.postMessage({ channel: 'C0001', text: 'x' });
    fake.reset();
    expect(fake.calls).toHaveLength(0);
    await expect(client().auth.test()).resolves.toMatchObject({ ok: true });
  });
});

/** What a call was refused with: the `data` of the WebClient's platform error. */
async function refusal(call: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await call;
  } catch (error) {
    const data = (error as { data?: Record<string, unknown> }).data;
    if (data) return data;
    throw error;
  }
  throw new Error('the call was not refused');
}

const modal = (overrides: Record<string, unknown> = {}) => ({
  type: 'modal' as const,
  callback_id: 'editor',
  title: { type: 'plain_text' as const, text: 'Edit' },
  blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x' } }],
  ...overrides,
});
/** A header over Slack's 150 characters: `invalid_blocks` at /blocks/0/text/text. */
const tooLongHeader = [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }];
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const imageOf = (slackFile: { id?: string; url?: string }) => [
  { type: 'image', slack_file: slackFile, alt_text: 'the QR code' },
];

describe('fake Slack refuses what Slack refuses', () => {
  it('answers unknown_method to a method it does not implement, before asking for a token', async () => {
    expect(await refusal(client().apiCall('reactions.add', { name: 'x' }))).toMatchObject({
      ok: false,
      error: 'unknown_method',
      req_method: 'reactions.add',
    });
    const anonymous = await fetch(`${fake.apiUrl}reactions.add`, { method: 'POST' });
    expect(await anonymous.json()).toMatchObject({ ok: false, error: 'unknown_method' });
    expect(fake.lastCall('reactions.add')?.reason).toMatch(/no reactions\.add/);
    expect(fake.methods).toEqual(
      [
        'apps.connections.open',
        'auth.test',
        'chat.delete',
        'chat.postEphemeral',
        'chat.postMessage',
        'chat.update',
        'conversations.info',
        'conversations.open',
        'files.completeUploadExternal',
        'files.delete',
        'files.getUploadURLExternal',
        'files.info',
        'users.info',
        'views.open',
        'views.publish',
        'views.push',
        'views.update',
      ].sort(),
    );
  });

  it('takes only the bot token it was given, and the app token only for Socket Mode', async () => {
    const as = (token: string) => client({ retryConfig: { retries: 0 } }).auth.test({ token });
    expect(await refusal(as('xoxb-somebody-else'))).toMatchObject({ error: 'invalid_auth' });
    expect(await refusal(as(APP_TOKEN))).toMatchObject({ error: 'not_allowed_token_type' });
    await expect(as(TOKEN)).resolves.toMatchObject({ ok: true });

    const open = (token: string) =>
      fetch(`${fake.apiUrl}apps.connections.open`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      }).then((r) => r.json() as Promise<Record<string, unknown>>);
    expect(await open(TOKEN)).toMatchObject({ error: 'not_allowed_token_type' });
    expect(await open('xapp-not-this-app')).toMatchObject({ error: 'invalid_auth' });
    expect(await open(APP_TOKEN)).toMatchObject({ ok: true });
  });

  it('refuses posting into a channel the bot was not invited to, and a DM it did not open', async () => {
    const web = client({ retryConfig: { retries: 0 } });
    for (const channel of ['C0404', 'G0404']) {
      expect(await refusal(web.chat.postMessage({ channel, text: 'x' }))).toMatchObject({
        error: 'not_in_channel',
      });
      expect(
        await refusal(web.chat.postEphemeral({ channel, user: 'U1', text: 'x' })),
      ).toMatchObject({ error: 'not_in_channel' });
    }
    expect(
      await refusal(web.chat.update({ channel: 'C0404', ts: '1700000000.000100', text: 'x' })),
    ).toMatchObject({ error: 'not_in_channel' });
    expect(
      await refusal(web.files.uploadV2({ channel_id: 'C0404', file: PNG, filename: 'qr.png' })),
    ).toMatchObject({ error: 'not_in_channel' });
    expect(fake.uploads).toEqual([]);
    expect(await refusal(web.chat.postMessage({ channel: 'DU0009', text: 'x' }))).toMatchObject({
      error: 'channel_not_found',
    });
    expect(fake.lastCall('chat.postMessage')?.reason).toMatch(/conversations\.open/);

    await web.conversations.open({ users: 'U0009' });
    await expect(web.chat.postMessage({ channel: 'DU0009', text: 'x' })).resolves.toMatchObject({
      ok: true,
    });
    fake.inviteBot('C0405');
    await expect(web.chat.postMessage({ channel: 'C0405', text: 'x' })).resolves.toMatchObject({
      ok: true,
    });
  });

  it('opens a view once per trigger_id, within 3 seconds of the interaction', async () => {
    const web = client({ retryConfig: { retries: 0 } });
    const trigger = fake.triggerId();
    expect(trigger).toMatch(/^\d+\.\d+\.[0-9a-f]+$/);
    await expect(web.views.open({ trigger_id: trigger, view: modal() })).resolves.toMatchObject({
      ok: true,
    });
    expect(await refusal(web.views.open({ trigger_id: trigger, view: modal() }))).toMatchObject({
      error: 'exchanged_trigger_id',
    });
    expect(await refusal(web.views.push({ trigger_id: trigger, view: modal() }))).toMatchObject({
      error: 'exchanged_trigger_id',
    });
    expect(
      await refusal(web.views.open({ trigger_id: '12345.98765.abcd2358fdea', view: modal() })),
    ).toMatchObject({ error: 'invalid_trigger_id' });

    const stale = fake.triggerId();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 3001);
      expect(await refusal(web.views.open({ trigger_id: stale, view: modal() }))).toMatchObject({
        error: 'expired_trigger_id',
      });
    } finally {
      vi.useRealTimers();
    }
    expect(fake.lastCall('views.open')?.reason).toMatch(/ms old/);

    // A view refused for its blocks leaves the trigger unused.
    const fresh = fake.triggerId();
    expect(
      await refusal(web.views.open({ trigger_id: fresh, view: modal({ blocks: tooLongHeader }) })),
    ).toMatchObject({ error: 'invalid_blocks' });
    await expect(web.views.open({ trigger_id: fresh, view: modal() })).resolves.toMatchObject({
      ok: true,
    });
  });

  it('refuses blocks over Block Kit’s limits in every method that takes them', async () => {
    const web = client({ retryConfig: { retries: 0 } });
    const headerError = expect.arrayContaining([
      expect.stringMatching(/151 characters.*\[json-pointer:\/blocks\/0\/text\/text\]$/),
    ]);
    const { ts } = await web.chat.postMessage({ channel: CHANNEL, text: 'ok' });
    const refusals = {
      'chat.postMessage': web.chat.postMessage({
        channel: CHANNEL,
        text: 'x',
        blocks: tooLongHeader,
      }),
      'chat.postEphemeral': web.chat.postEphemeral({
        channel: CHANNEL,
        user: 'U1',
        text: 'x',
        blocks: tooLongHeader,
      }),
      'chat.update': web.chat.update({
        channel: CHANNEL,
        ts: String(ts),
        text: 'x',
        blocks: tooLongHeader,
      }),
      'files.completeUploadExternal': web.files.uploadV2({
        channel_id: CHANNEL,
        file: PNG,
        filename: 'qr.png',
        blocks: tooLongHeader,
      } as Parameters<typeof web.files.uploadV2>[0]),
    };
    for (const [method, call] of Object.entries(refusals)) {
      expect(await refusal(call), method).toMatchObject({
        ok: false,
        error: 'invalid_blocks',
        errors: headerError,
        response_metadata: { messages: [expect.stringMatching(/^\[ERROR\] /)] },
      });
    }
    expect(fake.message(CHANNEL, String(ts))?.text).toBe('ok');
    expect(fake.uploads).toEqual([]);

    const longTitle = modal({ title: { type: 'plain_text', text: 'x'.repeat(25) } });
    const viewError = {
      error: 'invalid_blocks',
      errors: [expect.stringMatching(/\[json-pointer:\/view\/title\/text\]$/)],
    };
    const opened = await web.views.open({ trigger_id: fake.triggerId(), view: modal() });
    const viewId = String(opened.view?.id);
    expect(
      await refusal(web.views.open({ trigger_id: fake.triggerId(), view: longTitle })),
    ).toMatchObject(viewError);
    expect(
      await refusal(web.views.push({ trigger_id: fake.triggerId(), view: longTitle })),
    ).toMatchObject(viewError);
    expect(await refusal(web.views.update({ view_id: viewId, view: longTitle }))).toMatchObject(
      viewError,
    );
    expect(
      await refusal(
        web.views.publish({ user_id: 'U1', view: { type: 'home', blocks: tooLongHeader } }),
      ),
    ).toMatchObject({
      error: 'invalid_blocks',
      errors: [expect.stringMatching(/\[json-pointer:\/view\/blocks\/0\/text\/text\]$/)],
    });

    // A response_url: HTTP 404 with `invalid_blocks`, as SDK users see it.
    const answer = await fetch(fake.responseUrl('bad-blocks'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'x', blocks: tooLongHeader }),
    });
    expect(answer.status).toBe(404);
    expect(await answer.json()).toEqual({ ok: false, error: 'invalid_blocks' });
    expect(fake.responses[0]?.refused).toEqual([expect.stringMatching(/151 characters/)]);
  });

  it('checks image blocks and external selects as Slack does', async () => {
    const web = client({ retryConfig: { retries: 0 } });
    const post = (blocks: unknown[]) =>
      web.chat.postMessage({ channel: CHANNEL, text: 'x', blocks: blocks as never });
    const errorsOf = async (blocks: unknown[]) =>
      (await refusal(post(blocks))).errors as string[] | undefined;

    await expect(
      post([{ type: 'image', image_url: 'https://example.com/qr.png', alt_text: 'QR' }]),
    ).resolves.toMatchObject({ ok: true });
    expect(
      await errorsOf([
        {
          type: 'image',
          image_url: 'https://example.com/qr.png',
          slack_file: { id: 'F1' },
          alt_text: 'QR',
        },
      ]),
    ).toEqual([expect.stringMatching(/either image_url or slack_file.*\/blocks\/0\]$/)]);
    expect(
      await errorsOf([
        { type: 'image', slack_file: { id: 'F1', url: 'https://x/y.png' }, alt_text: 'QR' },
      ]),
    ).toEqual([expect.stringMatching(/\[json-pointer:\/blocks\/0\/slack_file\]$/)]);
    expect(await errorsOf([{ type: 'image', image_url: 'https://example.com/qr.png' }])).toEqual([
      expect.stringMatching(/alt_text.*\/blocks\/0\/alt_text\]$/),
    ]);
    expect(
      await errorsOf([
        { type: 'image', image_url: 'https://example.com/qr.png', alt_text: 'a'.repeat(2001) },
      ]),
    ).toEqual([expect.stringMatching(/2001.*\/blocks\/0\/alt_text\]$/)]);

    const select = (element: Record<string, unknown>) => [
      { type: 'actions', elements: [{ type: 'external_select', action_id: 'pick', ...element }] },
    ];
    await expect(
      post(
        select({
          placeholder: { type: 'plain_text', text: 'Pick a code' },
          min_query_length: 2,
          initial_option: { text: { type: 'plain_text', text: 'ABCD' }, value: 'abcd' },
        }),
      ),
    ).resolves.toMatchObject({ ok: true });
    expect(await errorsOf(select({ min_query_length: -1 }))).toEqual([
      expect.stringMatching(/\/blocks\/0\/elements\/0\/min_query_length\]$/),
    ]);
    expect(
      await errorsOf(select({ placeholder: { type: 'plain_text', text: 'p'.repeat(151) } })),
    ).toEqual([expect.stringMatching(/\/blocks\/0\/elements\/0\/placeholder\/text\]$/)]);
    expect(
      await errorsOf(select({ initial_option: { text: { type: 'plain_text', text: 'x' } } })),
    ).toEqual([expect.stringMatching(/\/initial_option\/value\]$/)]);
  });

  it('refuses an upload whose bytes are not the length announced', async () => {
    const web = client({ retryConfig: { retries: 0 } });
    const { upload_url: url, file_id: fileId } = await web.files.getUploadURLExternal({
      filename: 'qr.png',
      length: 5,
    });
    const posted = await fetch(String(url), { method: 'POST', body: Buffer.from('abc') });
    expect(posted.status).toBe(200);
    expect(
      await refusal(
        web.files.completeUploadExternal({ files: [{ id: String(fileId) }], channel_id: CHANNEL }),
      ),
    ).toMatchObject({ ok: false, error: 'file_not_found' });
    expect(fake.lastCall('files.completeUploadExternal')?.reason).toMatch(/told 5 bytes, 3 were/);
    expect(fake.uploads).toEqual([]);
    expect(fake.messages(CHANNEL)).toEqual([]);
  });

  it('processes an upload before sharing it: files.info, the channel and image blocks wait', async () => {
    const web = client({ retryConfig: { retries: 0 } });
    fake.fileProcessingMs = 300;
    await web.files.uploadV2({
      channel_id: CHANNEL,
      file: PNG,
      filename: 'qr.png',
      title: 'QR',
      initial_comment: 'Your code',
    });
    const [upload] = fake.uploads;
    const fileId = String(upload?.fileId);
    const processing = await web.files.info({ file: fileId });
    expect(processing.file).toMatchObject({ id: fileId, mimetype: '', channels: [] });
    expect(processing.file?.shares).toBeUndefined();
    expect(fake.file(fileId)).toMatchObject({ processing: true, channels: [], shares: [] });
    expect(fake.messages(CHANNEL)).toEqual([]);
    expect(
      await refusal(
        web.chat.postMessage({
          channel: CHANNEL,
          text: 'x',
          blocks: imageOf({ id: fileId }) as never,
        }),
      ),
    ).toMatchObject({
      error: 'invalid_blocks',
      errors: ['invalid slack file [json-pointer:/blocks/0/slack_file]'],
    });

    await vi.waitFor(() => expect(fake.file(fileId)?.processing).toBe(false), { timeout: 2000 });
    const done = await web.files.info({ file: fileId });
    expect(done.file).toMatchObject({ mimetype: 'image/png', channels: [CHANNEL] });
    const share = fake.file(fileId)?.shares[0];
    expect(share?.channel).toBe(CHANNEL);
    expect(done.file?.shares).toEqual({
      public: { [CHANNEL]: [expect.objectContaining({ ts: share?.ts })] },
    });
    expect(fake.message(CHANNEL, String(share?.ts))).toMatchObject({
      text: 'Your code',
      files: [{ id: fileId, mode: 'hosted' }],
    });
    await expect(
      web.chat.postMessage({
        channel: CHANNEL,
        text: 'x',
        blocks: imageOf({ id: fileId }) as never,
      }),
    ).resolves.toMatchObject({ ok: true });
    await expect(
      web.chat.postMessage({
        channel: CHANNEL,
        text: 'x',
        blocks: imageOf({ url: String(done.file?.url_private) }) as never,
      }),
    ).resolves.toMatchObject({ ok: true });
  });

  it('keeps an upload without a channel private, the bot’s own, and shows it once processed', async () => {
    const web = client({ retryConfig: { retries: 0 } });
    fake.fileProcessingMs = 0;
    await web.files.uploadV2({ file: PNG, filename: 'qr.png', alt_text: 'QR code of ABCD' });
    const upload = fake.uploads[0];
    expect(upload?.channelId).toBeUndefined();
    expect(upload?.altText).toBe('QR code of ABCD');
    const fileId = String(upload?.fileId);
    expect(fake.file(fileId)).toMatchObject({ processing: false, channels: [], deleted: false });
    const { ts } = await web.chat.postMessage({
      channel: CHANNEL,
      text: 'x',
      blocks: imageOf({ id: fileId }) as never,
    });
    // …and chat.update may show it too, until the file is deleted.
    await expect(
      web.chat.update({
        channel: CHANNEL,
        ts: String(ts),
        text: 'y',
        blocks: imageOf({ id: fileId }) as never,
      }),
    ).resolves.toMatchObject({ ok: true });

    await expect(web.files.delete({ file: fileId })).resolves.toMatchObject({ ok: true });
    expect(fake.file(fileId)?.deleted).toBe(true);
    expect(await refusal(web.files.delete({ file: fileId }))).toMatchObject({
      error: 'file_deleted',
    });
    expect(await refusal(web.files.info({ file: fileId }))).toMatchObject({
      error: 'file_deleted',
    });
    for (const blocks of [imageOf({ id: fileId }), imageOf({ id: 'F404' })]) {
      expect(
        await refusal(
          web.chat.update({ channel: CHANNEL, ts: String(ts), text: 'z', blocks: blocks as never }),
        ),
      ).toMatchObject({ errors: ['invalid slack file [json-pointer:/blocks/0/slack_file]'] });
    }
    expect(await refusal(web.files.info({ file: 'F404' }))).toMatchObject({
      error: 'file_not_found',
    });
  });

  it('refuses a file that is not the bot’s', async () => {
    const web = client({ retryConfig: { retries: 0 } });
    const theirs = fake.userFile('U0007', { filename: 'selfie.png' });
    expect(
      await refusal(
        web.chat.postMessage({
          channel: CHANNEL,
          text: 'x',
          blocks: imageOf({ id: theirs.id }) as never,
        }),
      ),
    ).toMatchObject({ errors: ['invalid slack file [json-pointer:/blocks/0/slack_file]'] });
    expect(await refusal(web.files.delete({ file: theirs.id }))).toMatchObject({
      error: 'file_not_found',
    });
  });

  it('keeps the messages the bot posted, as chat.update changes them', async () => {
    const web = client({ retryConfig: { retries: 0 } });
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'Remove *ABCD*?' } }];
    const posted = await web.chat.postMessage({ channel: CHANNEL, text: 'Remove ABCD?', blocks });
    const ts = String(posted.ts);
    expect(fake.message(CHANNEL, ts)).toMatchObject({ text: 'Remove ABCD?', blocks, user: 'UBOT' });

    await web.chat.update({ channel: CHANNEL, ts, text: 'Removed ABCD.' });
    // Blocks left out of chat.update stay as they were.
    expect(fake.message(CHANNEL, ts)).toMatchObject({ text: 'Removed ABCD.', blocks });
    const decided = [{ type: 'section', text: { type: 'mrkdwn', text: 'Removed.' } }];
    await web.chat.update({ channel: CHANNEL, ts, text: 'Removed ABCD.', blocks: decided });
    expect(fake.message(CHANNEL, ts)?.blocks).toEqual(decided);
    expect(fake.message(CHANNEL, ts)?.edited).toMatchObject({ user: 'UBOT' });

    expect(
      await refusal(web.chat.update({ channel: CHANNEL, ts: '1700000000.000200', text: 'x' })),
    ).toMatchObject({ error: 'message_not_found' });
    expect(
      await refusal(web.chat.delete({ channel: CHANNEL, ts: '1700000000.000200' })),
    ).toMatchObject({ error: 'message_not_found' });
    const theirs = fake.userMessage(CHANNEL, { user: 'U0007', text: 'hello' });
    expect(
      await refusal(web.chat.update({ channel: CHANNEL, ts: theirs.ts, text: 'x' })),
    ).toMatchObject({ error: 'cant_update_message' });
    expect(await refusal(web.chat.delete({ channel: CHANNEL, ts: theirs.ts }))).toMatchObject({
      error: 'cant_delete_message',
    });

    await web.chat.delete({ channel: CHANNEL, ts });
    expect(fake.message(CHANNEL, ts)).toBeUndefined();
    expect(fake.messages(CHANNEL).map((m) => m.ts)).toEqual([theirs.ts]);
    expect(await refusal(web.apiCall('chat.postMessage', { channel: CHANNEL }))).toMatchObject({
      error: 'no_text',
    });
  });
});

describe('request signing', () => {
  it('signs exactly as @slack/bolt verifies', () => {
    const body = 'token=x&team_id=T0001&command=%2Finstallcode&text=list';
    const timestamp = nowSeconds();
    const signature = sign(body, timestamp, SECRET);
    const headers = { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp };

    expect(() => verifySlackRequest({ signingSecret: SECRET, body, headers })).not.toThrow();
    expect(() =>
      verifySlackRequest({ signingSecret: SECRET, body: `${body}&x=1`, headers }),
    ).toThrow(/signature mismatch/);
    expect(() => verifySlackRequest({ signingSecret: 'other', body, headers })).toThrow(
      /signature mismatch/,
    );
    const stale = timestamp - 6 * 60;
    expect(() =>
      verifySlackRequest({
        signingSecret: SECRET,
        body,
        headers: {
          'x-slack-signature': sign(body, stale, SECRET),
          'x-slack-request-timestamp': stale,
        },
      }),
    ).toThrow(/stale/);
  });

  it('matches the documented Slack example', () => {
    // https://api.slack.com/authentication/verifying-requests-from-slack
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(sign(body, 1531420618, '8f742231b10e8888abcd99yyyzzz85a5')).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
  });
});

describe('slackSender against a real Bolt app', () => {
  let app: App;
  let sender: SlackSender;
  const seen: { kind: string; body: Record<string, unknown>; retryNum?: number }[] = [];

  beforeAll(async () => {
    app = new App({
      token: TOKEN,
      signingSecret: SECRET,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: fake.apiUrl, retryConfig: fastRetries },
    });
    app.command('/installcode', async ({ ack, body, respond }) => {
      await ack();
      seen.push({ kind: 'command', body: body as unknown as Record<string, unknown> });
      await respond({ response_type: 'ephemeral', text: `you said ${body.text}` });
    });
    app.action('next_page', async ({ ack, body, respond }) => {
      await ack();
      seen.push({ kind: 'action', body: body as unknown as Record<string, unknown> });
      await respond({ replace_original: true, text: 'page 2' });
    });
    app.action('choose_action', async ({ ack, body, client: web }) => {
      await ack();
      seen.push({ kind: 'view-action', body: body as unknown as Record<string, unknown> });
      const view = (body as unknown as { view: { id: string; hash: string } }).view;
      await web.views.update({
        view_id: view.id,
        hash: view.hash,
        view: {
          type: 'modal',
          callback_id: 'editor',
          title: { type: 'plain_text', text: 'E' },
          blocks: [],
        },
      });
    });
    app.view('editor', async ({ ack, view }) => {
      const usage = view.state.values.usage?.usage_input?.value;
      if (usage !== '5') {
        await ack({ response_action: 'errors', errors: { usage: 'Must be 5' } });
        return;
      }
      await ack();
    });
    app.shortcut('new_code', async ({ ack, shortcut, client: web }) => {
      await ack();
      await web.views.open({
        trigger_id: shortcut.trigger_id,
        view: {
          type: 'modal',
          callback_id: 'editor',
          title: { type: 'plain_text', text: 'E' },
          blocks: [],
        },
      });
    });
    app.event('app_home_opened', async ({ event, client: web, context }) => {
      seen.push({
        kind: 'event',
        body: event as unknown as Record<string, unknown>,
        retryNum: context.retryNum,
      });
      await web.views.publish({ user_id: event.user, view: { type: 'home', blocks: [] } });
    });
    const server = await app.start({ port: 0, host: '127.0.0.1' });
    const { port } = server.address() as AddressInfo;
    sender = slackSender({ baseUrl: `http://127.0.0.1:${port}`, signingSecret: SECRET, fake });
  });
  afterAll(async () => {
    await app.stop();
  });
  afterEach(() => {
    seen.length = 0;
  });

  it('delivers a slash command that Bolt accepts, with a response_url on the fake', async () => {
    const answer = await sender.command('list abc', { userId: 'U0042', channelId: 'C0009' });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('');
    const response = await fake.waitForResponse((r) => r.id === answer.responseUrlId);
    expect(response.body).toEqual({ response_type: 'ephemeral', text: 'you said list abc' });
    expect(seen[0]?.body).toMatchObject({
      user_id: 'U0042',
      channel_id: 'C0009',
      command: '/installcode',
      trigger_id: answer.triggerId,
    });
  });

  it('delivers a message button press with its response_url', async () => {
    const answer = await sender.blockAction({
      userId: 'U0042',
      actionId: 'next_page',
      blockId: 'pager',
      value: '2',
      ephemeral: true,
    });
    expect(answer.status).toBe(200);
    const response = await fake.waitForResponse((r) => r.id === answer.responseUrlId);
    expect(response.body).toEqual({ replace_original: true, text: 'page 2' });
    expect(seen[0]?.body).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0042' },
      container: { type: 'message', is_ephemeral: true },
      actions: [{ action_id: 'next_page', block_id: 'pager', value: '2', type: 'button' }],
    });
  });

  it('delivers an action inside a modal opened through the fake, with its state', async () => {
    const { triggerId } = await sender.shortcut({ userId: 'U0042', callbackId: 'new_code' });
    // The sender's trigger_id is one the fake minted: views.open takes it.
    const open = await fake.waitForCall('views.open');
    expect(open.args.trigger_id).toBe(triggerId);
    expect(open.result).toMatchObject({ ok: true });
    const view = fake.lastView('editor');
    expect(view).toBeDefined();
    const values = stateValues({
      action: { choose_action: field.radio('prefix', 'Username prefix') },
    });

    const answer = await sender.blockAction({
      userId: 'U0042',
      actionId: 'choose_action',
      blockId: 'action',
      type: 'radio_buttons',
      selectedOption: option('prefix', 'Username prefix'),
      view: { ...view, state: { values } },
    });
    expect(answer.status).toBe(200);
    expect(answer.responseUrl).toBeUndefined();
    const update = await fake.waitForCall('views.update');
    expect(update.args.view_id).toBe(view?.id);
    expect(update.injected).toBeUndefined();
    expect(seen[0]?.body).toMatchObject({
      container: { type: 'view', view_id: view?.id },
      state: { values },
    });
  });

  it('returns the ack of a view submission: field errors, or nothing', async () => {
    const bad = await sender.viewSubmission({
      userId: 'U0042',
      view: {
        callback_id: 'editor',
        state: { values: stateValues({ usage: { usage_input: field.number(7) } }) },
      },
    });
    expect(bad).toEqual({ response_action: 'errors', errors: { usage: 'Must be 5' } });

    const good = await sender.viewSubmission({
      userId: 'U0042',
      view: {
        callback_id: 'editor',
        state: { values: stateValues({ usage: { usage_input: field.number(5) } }) },
      },
    });
    expect(good).toEqual({});
  });

  it('delivers events, with the retry headers Bolt reads', async () => {
    const first = await sender.event({
      type: 'app_home_opened',
      user: 'U0042',
      channel: 'DU0042',
      tab: 'home',
    });
    expect(first.status).toBe(200);
    await fake.waitForCall('views.publish', (c) => c.args.user_id === 'U0042');

    await sender.event(
      { type: 'app_home_opened', user: 'U0043', channel: 'DU0043', tab: 'home' },
      { retryNum: 1, eventId: first.eventId },
    );
    await fake.waitForCall('views.publish', (c) => c.args.user_id === 'U0043');
    expect(seen.map((s) => s.retryNum)).toEqual([undefined, 1]);
  });

  it('is refused by Bolt when forged, stale or unsigned', async () => {
    const forged = await sender.command('list', { signingSecret: 'not-the-secret' });
    expect(forged.status).toBe(401);
    const stale = await sender.command('list', { timestamp: nowSeconds() - 10 * 60 });
    expect(stale.status).toBe(401);
    const unsigned = await sender.raw('command=%2Finstallcode&text=list', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(unsigned.status).toBe(401);
    const body = 'command=%2Finstallcode&text=list';
    const tampered = await sender.raw(`${body}&user_id=UADMIN`, {
      'content-type': 'application/x-www-form-urlencoded',
      ...sender.signedHeaders(body),
    });
    expect(tampered.status).toBe(401);
    expect(seen).toHaveLength(0);
  });
});
