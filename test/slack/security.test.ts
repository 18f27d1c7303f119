/**
 * Who may do what, which requests are believed, and delivery: forged and stale requests are
 * refused, Slack's retries repeat nothing, and every answer comes well inside 3 seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstallCode } from '../../src/codes/model.js';
import { keysFor } from '../../src/store/keys.js';
import { FAKE_TEAM_DOMAIN, FAKE_TEAM_ID, type FakeSlackView } from '../support/fake-slack.js';
import { field, nowSeconds, option, type SlackSender } from '../support/slack-requests.js';
import {
  ADMIN,
  BOT_TOKEN,
  CHANNEL,
  OUTSIDER,
  SIGNING_SECRET,
  type SlackHarness,
  STAFF,
  startSlackHarness,
} from '../support/slack-service.js';
import {
  ACK_LIMIT_MS,
  button,
  CODE_FORMAT,
  editorValues,
  GROUP,
  initialCode,
  listedIds,
  responseTo,
  settle,
  textOf,
  timedSender,
  typed,
  useSlackHarness,
} from './helpers.js';

let h: SlackHarness;
let slack: SlackSender;

useSlackHarness((harness, sender) => {
  h = harness;
  slack = sender;
  // The channels these tests share into have the app in them.
  for (const channel of [CHANNEL, 'C777', 'C999']) h.fake.inviteBot(channel);
});

const create = (description = 'Protected') =>
  h.service.codes.createCode({ ...GROUP, description }, STAFF);

/**
 * A staff member asks the admins to remove `code` (the prompt's Remove, then the dialog's Ask the
 * admins): gives the request's ID, the value of the admins' buttons.
 */
async function pendingRemoval(code: InstallCode, harness: SlackHarness = h): Promise<string> {
  const pressed = await harness.slack.blockAction({
    userId: STAFF,
    actionId: 'delete_remove',
    blockId: 'delete_prompt',
    value: code.id,
    channelId: CHANNEL,
    ephemeral: true,
  });
  expect(pressed.status).toBe(200);
  await harness.fake.waitForCall('views.open', (c) => c.args.trigger_id === pressed.triggerId);
  const dialog = harness.fake.lastView('removal_reason') as FakeSlackView;
  await harness.slack.viewSubmission({ userId: STAFF, view: typed(dialog, {}) });
  const copy = await harness.fake.waitForCall(
    'chat.postMessage',
    (c) =>
      textOf(c.args.blocks).includes(code.code) && textOf(c.args.blocks).includes('admin_remove'),
  );
  return String(button(copy.args as { blocks?: unknown }, 'admin_remove')?.value);
}

/** The admin's copy of a request, as Slack posted it (its real ts: the fake updates only that). */
function copyOf(requestId: string): { ts: string } {
  const posted = h.fake
    .callsTo('chat.postMessage')
    .find((c) => textOf(c.args.blocks).includes(`"value":"${requestId}"`));
  return { ts: String(posted?.result?.ts) };
}

/** What a code is in the store now: the record and its history, to show nothing changed. */
async function snapshot(code: InstallCode) {
  const now = await h.service.codes.findById(code.id);
  return { now, history: now ? await h.service.codes.history(now) : [] };
}

/** An editor as Slack holds it once opened for STAFF, to submit forged or late. */
async function openedEditor(): Promise<FakeSlackView> {
  const answer = await slack.command('add', { userId: STAFF, channelId: CHANNEL });
  await h.fake.waitForCall('views.open', (c) => c.args.trigger_id === answer.triggerId);
  const view = h.fake.lastView('code_editor') as FakeSlackView;
  h.fake.reset();
  return view;
}

const homeEvent = (user: string) => ({
  type: 'app_home_opened',
  user,
  channel: `D${user}`,
  tab: 'home',
});

describe('request verification', () => {
  const forged = { signingSecret: 'not-the-signing-secret' };
  const stale = { timestamp: nowSeconds() - 6 * 60 };
  // Computed as the file loads: 7 minutes keeps them more than 5 ahead when the test runs.
  const ahead = { timestamp: nowSeconds() + 7 * 60 };
  const anHourAhead = { timestamp: nowSeconds() + 3600 };
  const aYearAhead = { timestamp: nowSeconds() + 365 * 24 * 3600 };

  it.each([
    ['a forged signature', forged],
    ['a timestamp older than 5 minutes', stale],
    ['a timestamp more than 5 minutes ahead', ahead],
    ['a timestamp an hour ahead', anHourAhead],
    ['a timestamp a year ahead', aYearAhead],
  ])('%s: every kind of request gets 401 and changes nothing', async (_what, delivery) => {
    const code = await create();
    const before = await snapshot(code);
    const editor = await openedEditor();
    const typedCode = initialCode(editor) as string;

    const answers = [
      await slack.command('add', { userId: STAFF, channelId: CHANNEL, ...delivery }),
      await slack.command(`share ${code.code}`, { userId: STAFF, channelId: CHANNEL, ...delivery }),
      await slack.blockAction({
        userId: ADMIN,
        actionId: 'delete_remove',
        blockId: 'delete_prompt',
        value: code.id,
        channelId: CHANNEL,
        ephemeral: true,
        ...delivery,
      }),
      await slack.blockAction({
        userId: ADMIN,
        actionId: 'admin_remove',
        blockId: 'delete_request',
        value: JSON.stringify({ id: code.id, requestedBy: STAFF }),
        channelId: `D${ADMIN}`,
        messageTs: '1700000000.000300',
        ...delivery,
      }),
      await slack.viewSubmissionAnswer({
        userId: STAFF,
        view: typed(
          editor,
          editorValues(editor, { code: typedCode, action: 'create_device', target: 'acct-1' }),
        ),
        ...delivery,
      }),
      await slack.shortcut({ userId: STAFF, callbackId: 'create_code', ...delivery }),
      await slack.event(homeEvent(STAFF), delivery),
    ];
    for (const answer of answers) expect(answer.status).toBe(401);

    await settle();
    expect(h.fake.calls.map((c) => c.method)).toEqual([]);
    expect(h.fake.responses).toHaveLength(0);
    expect(await snapshot(code)).toEqual(before);
    await expect(h.service.codes.getCode(typedCode)).rejects.toThrow();
  });

  it('a forged event cannot use up an event ID: the genuine delivery is still handled', async () => {
    const forgedAnswer = await slack.event(homeEvent(STAFF), { eventId: 'EvFORGED01', ...forged });
    expect(forgedAnswer.status).toBe(401);
    const genuine = await slack.event(homeEvent(STAFF), { eventId: 'EvFORGED01' });
    expect(genuine.status).toBe(200);
    const publish = await h.fake.waitForCall('views.publish');
    expect(publish.args.user_id).toBe(STAFF);
  });

  it('a request without signature headers gets 401', async () => {
    const body = new URLSearchParams({
      command: '/installcode',
      text: 'add',
      user_id: STAFF,
      trigger_id: '1.2.3',
    }).toString();
    const answer = await slack.raw(body, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(answer.status).toBe(401);
    await settle();
    expect(h.fake.callsTo('views.open')).toHaveLength(0);
  });

  it('a signed request 4 minutes ahead (a clock a little fast) is still believed', async () => {
    const answer = await slack.command('add', {
      userId: STAFF,
      channelId: CHANNEL,
      timestamp: nowSeconds() + 4 * 60,
    });
    expect(answer.status).toBe(200);
    const open = await h.fake.waitForCall('views.open');
    expect(open.args.trigger_id).toBe(answer.triggerId);
  });

  it('a signed request a minute old is still believed', async () => {
    const answer = await slack.command('add', {
      userId: STAFF,
      channelId: CHANNEL,
      timestamp: nowSeconds() - 60,
    });
    expect(answer.status).toBe(200);
    const open = await h.fake.waitForCall('views.open');
    expect(open.args.trigger_id).toBe(answer.triggerId);
  });
});

describe('retried deliveries', () => {
  it('app_home_opened delivered twice with one event_id publishes once', async () => {
    // The admin's Home (others' open Homes are republished in the background after clean-ups).
    const toAdmin = (c: { args: Record<string, unknown> }) => c.args.user_id === ADMIN;
    const first = await slack.event(homeEvent(ADMIN), { eventId: 'EvHOME0001' });
    expect(first.status).toBe(200);
    await h.fake.waitForCall('views.publish', toAdmin);
    const again = await slack.event(homeEvent(ADMIN), { eventId: 'EvHOME0001', retryNum: 1 });
    expect(again.status).toBe(200);
    await settle();
    expect(h.fake.callsTo('views.publish').filter(toAdmin)).toHaveLength(1);

    // Another event is another opening: it is published.
    await slack.event(homeEvent(ADMIN), { eventId: 'EvHOME0002' });
    await settle();
    expect(h.fake.callsTo('views.publish').filter(toAdmin)).toHaveLength(2);
  });

  it('a retried “share” posts once and notes one share', async () => {
    const code = await create();
    const options = {
      userId: STAFF,
      channelId: CHANNEL,
      triggerId: '11.22.retried',
      responseUrlId: 'share-retried',
    };
    const first = await slack.command(`share ${code.code} <#C999|x>`, options);
    expect(first.status).toBe(200);
    await responseTo(h.fake, 'share-retried');
    const again = await slack.command(`share ${code.code} <#C999|x>`, { ...options, retryNum: 1 });
    expect(again.status).toBe(200);
    await settle();
    expect(h.fake.uploads).toHaveLength(1);
    expect(h.fake.responses).toHaveLength(1);
    const events = await h.service.codes.history(code);
    expect(events.filter((e) => e.type === 'shared')).toHaveLength(1);
  });

  it('a retried “add” opens the editor once', async () => {
    // A retry carries the trigger_id of the first delivery.
    const options = { userId: STAFF, channelId: CHANNEL, triggerId: h.fake.triggerId() };
    await slack.command('add', options);
    expect((await h.fake.waitForCall('views.open')).result).toMatchObject({ ok: true });
    const again = await slack.command('add', { ...options, retryNum: 2, retryReason: 'timeout' });
    expect(again.status).toBe(200);
    await settle();
    expect(h.fake.callsTo('views.open')).toHaveLength(1);
  });
});

describe('replayed requests (the same signed request again, within its 5 minutes)', () => {
  const sharedEvents = async (code: InstallCode) =>
    (await h.service.codes.history(code)).filter((e) => e.type === 'shared');

  it('a “share” command replayed posts once, notes one share, and is answered 200', async () => {
    const code = await create();
    const first = await slack.command(`share ${code.code} <#C999|x>`, {
      userId: STAFF,
      channelId: CHANNEL,
    });
    expect(first.status).toBe(200);
    await responseTo(h.fake, first.responseUrlId);
    const replayed = await slack.raw(first.sent.body, first.sent.headers);
    expect(replayed.status).toBe(200);
    expect(replayed.body).toBe('');
    await settle();
    expect(h.fake.uploads).toHaveLength(1);
    expect(h.fake.responses).toHaveLength(1);
    expect(await sharedEvents(code)).toHaveLength(1);
  });

  it('the same request sent twice at once is handled once', async () => {
    const code = await create();
    const body = new URLSearchParams({
      team_id: FAKE_TEAM_ID,
      team_domain: FAKE_TEAM_DOMAIN,
      channel_id: CHANNEL,
      user_id: STAFF,
      command: '/installcode',
      text: `share ${code.code} <#C999|x>`,
      response_url: h.fake.responseUrl('twice'),
      trigger_id: '7.7.twice',
    }).toString();
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      ...slack.signedHeaders(body),
    };
    const answers = await Promise.all([slack.raw(body, headers), slack.raw(body, headers)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    await responseTo(h.fake, 'twice');
    await settle();
    expect(h.fake.uploads).toHaveLength(1);
    expect(await sharedEvents(code)).toHaveLength(1);
  });

  /** The first delivery shares; the same signed request sent again is answered and does nothing. */
  async function expectSharedOnceAfterReplay(
    code: InstallCode,
    first: { status: number; sent: { body: string; headers: Record<string, string> } },
  ) {
    expect(first.status).toBe(200);
    await h.fake.waitForUpload();
    const replayed = await slack.raw(first.sent.body, first.sent.headers);
    expect(replayed.status).toBe(200);
    await settle();
    expect(h.fake.uploads).toHaveLength(1);
    expect(await sharedEvents(code)).toHaveLength(1);
  }

  it('a share dialog’s submission replayed posts once', async () => {
    const code = await create();
    h.fake.inviteBot('C777');
    const first = await slack.viewSubmissionAnswer({
      userId: STAFF,
      view: {
        callback_id: 'share_picker',
        private_metadata: JSON.stringify({ id: code.id }),
        state: { values: { share_channel: { value: field.conversation('C777') } } },
      },
    });
    await expectSharedOnceAfterReplay(code, first);
  });

  it('a code menu’s Share replayed opens the channel picker once', async () => {
    const code = await create();
    const first = await slack.blockAction({
      userId: STAFF,
      actionId: 'code_menu',
      blockId: 'list_code',
      type: 'overflow',
      selectedOption: option(`share:${code.id}`),
      channelId: CHANNEL,
      ephemeral: true,
    });
    expect(first.status).toBe(200);
    await h.fake.waitForCall('views.open');
    const replayed = await slack.raw(first.sent.body, first.sent.headers);
    expect(replayed.status).toBe(200);
    await settle();
    expect(h.fake.callsTo('views.open')).toHaveLength(1);
    expect(h.fake.uploads).toHaveLength(0);
  });

  it('an admin’s Remove replayed does not act again', async () => {
    const code = await create();
    const requestId = await pendingRemoval(code);
    const request = copyOf(requestId);
    const first = await slack.blockAction({
      userId: ADMIN,
      actionId: 'admin_remove',
      blockId: 'delete_request',
      value: requestId,
      channelId: `D${ADMIN}`,
      messageTs: request.ts,
    });
    expect(first.status).toBe(200);
    expect((await h.fake.waitForCall('chat.update')).result).toMatchObject({ ok: true });
    expect(await h.service.codes.findById(code.id)).toBeNull();
    await dmToStaff();
    const replayed = await slack.raw(first.sent.body, first.sent.headers);
    expect(replayed.status).toBe(200);
    await settle();
    // A second press would have been told it was decided already.
    expect(h.fake.callsTo('chat.update')).toHaveLength(1);
    expect(h.fake.callsTo('chat.postEphemeral')).toHaveLength(0);
    expect(
      h.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === `D${STAFF}`),
    ).toHaveLength(1);
  });

  it('remembers a signature for as long as it is accepted, and a little more', async () => {
    const now = await slack.command('help', { userId: STAFF, channelId: CHANNEL });
    const older = await slack.command('help', {
      userId: STAFF,
      channelId: CHANNEL,
      timestamp: nowSeconds() - 4 * 60,
    });
    const keys = keysFor(h.service.prefix);
    const ttl = (answer: { sent: { headers: Record<string, string> } }) =>
      h.service.redis.ttl(keys.slackRequest(String(answer.sent.headers['x-slack-signature'])));
    // 5 minutes + 1 minute of margin; for the older one, the 1 minute it has left + the margin.
    expect(await ttl(now)).toBeGreaterThanOrEqual(355);
    expect(await ttl(now)).toBeLessThanOrEqual(360);
    expect(await ttl(older)).toBeGreaterThanOrEqual(115);
    expect(await ttl(older)).toBeLessThanOrEqual(120);
  });
});

/** An interactive payload posted as Slack posts one, signed; its fields exactly as given. */
async function postPayload(payload: Record<string, unknown>) {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return h.slack.raw(body, {
    'content-type': 'application/x-www-form-urlencoded',
    ...h.slack.signedHeaders(body),
  });
}

const team = { id: FAKE_TEAM_ID, domain: FAKE_TEAM_DOMAIN };
const staffUser = { id: STAFF, username: 'ustaff1', name: 'ustaff1', team_id: FAKE_TEAM_ID };
const modal = (view: Record<string, unknown>) => ({
  id: 'VBROKEN01',
  type: 'modal',
  team_id: FAKE_TEAM_ID,
  app_id: 'A0001',
  bot_id: 'BBOT',
  hash: '1700000000.broken',
  private_metadata: '',
  blocks: [],
  ...view,
});

/** The direct message the app sent STAFF (replies from modals go by DM). */
const dmToStaff = () =>
  h.fake.waitForCall('chat.postMessage', (c) => c.args.channel === `D${STAFF}`);

describe('malformed payloads are acknowledged, never a 500, and the person is told', () => {
  it('an editor whose private_metadata is broken: 200, a DM naming it, nothing saved, nothing leaked to the log', async () => {
    const code = await create();
    const editor = await openedEditor();
    const typedCode = initialCode(editor) as string;
    const logged = h.service.logs.length;
    const answer = await slack.viewSubmissionAnswer({
      userId: STAFF,
      view: {
        ...typed(
          editor,
          editorValues(editor, { code: typedCode, action: 'create_device', target: 'acct-1' }),
        ),
        private_metadata: `{"id":"${code.id}","version":1,`,
      },
    });
    expect(answer.status).toBe(200);
    const dm = await dmToStaff();
    expect(String(dm.args.text)).toMatch(/could not read what Slack sent/);
    expect(String(dm.args.text)).toContain('saved state');
    await expect(h.service.codes.getCode(typedCode)).rejects.toThrow();

    // The error is logged as the listener ends, which can come just after its DM.
    await expect
      .poll(() => h.service.logs.slice(logged).join(''), { timeout: 2_000 })
      .toContain('slack listener threw');
    const lines = h.service.logs.slice(logged).join('');
    expect(lines).toContain('MalformedPayload');
    for (const secret of [code.id, code.code, typedCode, BOT_TOKEN, SIGNING_SECRET]) {
      expect(lines).not.toContain(secret);
    }
  });

  it('an editor submitted without view.state: 200 and a DM saying the values were missing', async () => {
    const answer = await postPayload({
      type: 'view_submission',
      team,
      user: staffUser,
      api_app_id: 'A0001',
      trigger_id: '9.9.nostate',
      view: modal({
        callback_id: 'code_editor',
        private_metadata: JSON.stringify({ id: null, version: null, channelId: null }),
      }),
    });
    expect(answer.status).toBe(200);
    const dm = await dmToStaff();
    expect(String(dm.args.text)).toContain('values were missing');
    expect((await h.service.codes.listCodes({ limit: 10 })).codes).toHaveLength(0);
  });

  it('“Generate new code” in a view without state: the person is told, the view left alone', async () => {
    const answer = await postPayload({
      type: 'block_actions',
      team,
      user: staffUser,
      api_app_id: 'A0001',
      trigger_id: '9.9.action',
      container: { type: 'view', view_id: 'VBROKEN01' },
      view: modal({ callback_id: 'code_editor' }),
      actions: [
        {
          type: 'button',
          action_id: 'editor_generate_code',
          block_id: 'generate',
          action_ts: '1700000000.000001',
        },
      ],
    });
    expect(answer.status).toBe(200);
    const dm = await dmToStaff();
    expect(String(dm.args.text)).toContain('values were missing');
    expect(h.fake.callsTo('views.update')).toHaveLength(0);
  });

  it('a share dialog whose private_metadata is broken: 200, a DM, nothing posted', async () => {
    h.fake.inviteBot('C777');
    const answer = await slack.viewSubmissionAnswer({
      userId: STAFF,
      view: {
        callback_id: 'share_picker',
        private_metadata: 'not json',
        state: { values: { share_channel: { value: field.conversation('C777') } } },
      },
    });
    expect(answer.status).toBe(200);
    const dm = await dmToStaff();
    expect(String(dm.args.text)).toContain('the dialog’s code could not be read');
    expect(h.fake.uploads).toHaveLength(0);
  });

  it('an admin’s Remove whose value is garbled: the admin is told, nothing is removed', async () => {
    const code = await create();
    const pressed = await slack.blockAction({
      userId: ADMIN,
      actionId: 'admin_remove',
      blockId: 'delete_request',
      value: `{"id":"${code.id}"`,
      channelId: `D${ADMIN}`,
      messageTs: '1700000000.000600',
    });
    expect(pressed.status).toBe(200);
    const reply = await responseTo(h.fake, pressed.responseUrlId);
    expect(textOf(reply.body)).toContain('the button’s value was garbled');
    expect(await h.service.codes.findById(code.id)).not.toBeNull();
  });

  it.each([
    [
      'a view submission',
      {
        type: 'view_submission',
        team,
        api_app_id: 'A0001',
        view: modal({ callback_id: 'code_editor', state: { values: {} } }),
      },
    ],
    [
      'a block action',
      {
        type: 'block_actions',
        team,
        api_app_id: 'A0001',
        container: { type: 'message', channel_id: CHANNEL, message_ts: '1.2' },
        channel: { id: CHANNEL },
        actions: [
          {
            type: 'button',
            action_id: 'delete_cancel',
            block_id: 'delete_prompt',
            value: 'x',
            action_ts: '1.2',
          },
        ],
      },
    ],
    [
      'a shortcut',
      { type: 'shortcut', team, callback_id: 'create_code', trigger_id: '9.9.nouser' },
    ],
  ])('%s without a user: 200, nothing done, a log line', async (_what, payload) => {
    // Homes opened in earlier tests are republished in the background after each test's
    // clean-up: those publishes are not this payload's doing.
    const background = (c: { method: string }) =>
      c.method === 'auth.test' || c.method === 'views.publish';
    await settle();
    h.fake.reset();
    const logged = h.service.logs.length;
    const answer = await postPayload(payload);
    expect(answer.status).toBe(200);
    await settle();
    expect(h.fake.calls.filter((c) => !background(c))).toEqual([]);
    expect(h.fake.responses).toHaveLength(0);
    expect(h.service.logs.slice(logged).join('')).toContain('slack payload could not be processed');
  });
});

describe('someone not on the staff (STAFF_USER_IDS is set)', () => {
  it.each([
    '',
    'help',
    'add',
    'list',
    'edit CODE-0001',
    'qr CODE-0001',
    'show CODE-0001',
    'share CODE-0001',
    'share CODE-0001 <#C999|x>',
    'delete CODE-0001',
    'history CODE-0001',
  ])('“/installcode %s” gets a polite ephemeral refusal and nothing changes', async (text) => {
    const code = await h.service.codes.createCode(
      { ...GROUP, code: 'CODE-0001', description: 'Secret desk' },
      STAFF,
    );
    const before = await snapshot(code);
    const answer = await slack.command(text, { userId: OUTSIDER, channelId: CHANNEL });
    expect(answer.status).toBe(200);
    const reply = await responseTo(h.fake, answer.responseUrlId);
    expect(reply.body.response_type).toBe('ephemeral');
    expect(textOf(reply.body)).toMatch(/sorry/i);
    expect(textOf(reply.body)).not.toContain('Secret desk');
    await settle();
    expect(h.fake.responses).toHaveLength(1);
    expect(h.fake.callsTo('views.open')).toHaveLength(0);
    expect(h.fake.calls.filter((c) => c.method.startsWith('files.'))).toHaveLength(0);
    expect(h.fake.uploads).toHaveLength(0);
    expect(await snapshot(code)).toEqual(before);
  });

  it.each(['qr', 'edit', 'share', 'history', 'delete'])(
    'the code menu’s “%s” is refused and nothing changes',
    async (verb) => {
      const code = await create();
      const before = await snapshot(code);
      const pressed = await slack.blockAction({
        userId: OUTSIDER,
        actionId: 'code_menu',
        blockId: 'list_code',
        type: 'overflow',
        selectedOption: option(`${verb}:${code.id}`),
        channelId: CHANNEL,
        ephemeral: true,
      });
      const reply = await responseTo(h.fake, pressed.responseUrlId);
      expect(textOf(reply.body)).toMatch(/sorry/i);
      await settle();
      expect(h.fake.callsTo('views.open')).toHaveLength(0);
      expect(h.fake.uploads).toHaveLength(0);
      expect(textOf(h.fake.responses)).not.toContain(code.code);
      expect(await snapshot(code)).toEqual(before);
    },
  );

  it('paging a list is refused', async () => {
    await create();
    const pressed = await slack.blockAction({
      userId: OUTSIDER,
      actionId: 'list_next',
      blockId: 'list_navigation',
      value: JSON.stringify({ q: '', cursors: ['', 'zzzzzzzz'] }),
      channelId: CHANNEL,
      ephemeral: true,
    });
    const reply = await responseTo(h.fake, pressed.responseUrlId);
    expect(textOf(reply.body)).toMatch(/sorry/i);
    expect(listedIds(reply.body)).toEqual([]);
  });

  it.each(['help_create', 'help_list'])(
    'the help’s %s is refused where they pressed it, ephemeral, never by DM',
    async (actionId) => {
      await create('Secret desk');
      const pressed = await slack.blockAction({
        userId: OUTSIDER,
        actionId,
        blockId: 'help_actions',
        channelId: CHANNEL,
        ephemeral: true,
      });
      const reply = await responseTo(h.fake, pressed.responseUrlId);
      expect(reply.body.response_type).toBe('ephemeral');
      expect(textOf(reply.body)).toMatch(/sorry/i);
      expect(textOf(reply.body)).not.toContain('Secret desk');
      await settle();
      expect(h.fake.callsTo('views.open')).toHaveLength(0);
      expect(h.fake.callsTo('conversations.open')).toHaveLength(0);
      expect(h.fake.callsTo('chat.postMessage')).toHaveLength(0);
    },
  );

  it('a button in a channel message that came without a response_url is refused in that channel', async () => {
    h.fake.inviteBot(CHANNEL); // the bot posted the message there, so it is a member
    const pressed = await slack.blockAction({
      userId: OUTSIDER,
      actionId: 'help_list',
      blockId: 'help_actions',
      channelId: CHANNEL,
      responseUrl: false,
    });
    expect(pressed.status).toBe(200);
    const told = await h.fake.waitForCall('chat.postEphemeral');
    expect(told.args).toMatchObject({ channel: CHANNEL, user: OUTSIDER });
    expect(textOf(told.args.text)).toMatch(/sorry/i);
    await settle();
    expect(h.fake.callsTo('conversations.open')).toHaveLength(0);
  });

  it('the shortcut and the App Home’s Create open nothing', async () => {
    const shortcut = await slack.shortcut({ userId: OUTSIDER, callbackId: 'create_code' });
    expect(shortcut.status).toBe(200);
    const create = await slack.blockAction({
      userId: OUTSIDER,
      actionId: 'home_create',
      blockId: 'home_actions',
      view: { id: 'VHOME1', type: 'home', hash: '1.home', blocks: [] },
    });
    expect(create.status).toBe(200);
    await settle();
    expect(h.fake.callsTo('views.open')).toHaveLength(0);
  });

  it('an editor they submit (opened before they lost access) writes nothing', async () => {
    const editor = await openedEditor();
    const typedCode = initialCode(editor) as string;
    const answer = await slack.viewSubmissionAnswer({
      userId: OUTSIDER,
      view: typed(
        editor,
        editorValues(editor, { code: typedCode, action: 'create_device', target: 'acct-1' }),
      ),
    });
    expect(answer.status).toBe(200);
    await settle();
    await expect(h.service.codes.getCode(typedCode)).rejects.toThrow();
    expect((await h.service.codes.listCodes({ limit: 10 })).codes).toHaveLength(0);
  });

  it('a share dialog they submit posts nothing', async () => {
    const code = await create();
    const before = await snapshot(code);
    const answer = await slack.viewSubmissionAnswer({
      userId: OUTSIDER,
      view: {
        callback_id: 'share_picker',
        private_metadata: JSON.stringify({ id: code.id }),
        state: { values: { share_channel: { value: field.conversation('C999') } } },
      },
    });
    expect(answer.status).toBe(200);
    await settle();
    expect(h.fake.uploads).toHaveLength(0);
    expect(await snapshot(code)).toEqual(before);
  });
});

describe('admins who are not in STAFF_USER_IDS', () => {
  const asAdmin = async (text: string) => {
    const answer = await slack.command(text, { userId: ADMIN, channelId: CHANNEL });
    expect(answer.status).toBe(200);
    return answer;
  };

  it('may add, edit, list, show QR, share, see history and delete', async () => {
    const code = await create('Admin view');

    const added = await asAdmin('add');
    await h.fake.waitForCall('views.open', (c) => c.args.trigger_id === added.triggerId);
    const edited = await asAdmin(`edit ${code.code}`);
    await h.fake.waitForCall('views.open', (c) => c.args.trigger_id === edited.triggerId);
    expect(initialCode(h.fake.lastView('code_editor') as FakeSlackView)).toBe(code.code);

    const listed = await asAdmin('list');
    expect(listedIds((await responseTo(h.fake, listed.responseUrlId)).body)).toEqual([code.id]);

    const qr = await asAdmin(`qr ${code.code}`);
    await responseTo(h.fake, qr.responseUrlId);
    expect(h.fake.uploads.map((u) => u.channelId)).toEqual([`D${ADMIN}`]);

    h.fake.inviteBot('C999');
    const shared = await asAdmin(`share ${code.code} <#C999|x>`);
    await responseTo(h.fake, shared.responseUrlId);
    expect(h.fake.uploads.map((u) => u.channelId)).toEqual([`D${ADMIN}`, undefined]);
    await h.fake.waitForCall('chat.postMessage', (c) => c.args.channel === 'C999');

    const history = await asAdmin(`history ${code.code}`);
    expect(textOf((await responseTo(h.fake, history.responseUrlId)).body)).toContain(
      `shared it in <#C999>`,
    );

    const deleting = await asAdmin(`delete ${code.code}`);
    const promptBody = (await responseTo(h.fake, deleting.responseUrlId)).body;
    expect(button(promptBody, 'delete_remove')?.value).toBe(code.id);
    expect(textOf(h.fake.responses)).not.toMatch(/sorry/i);
  });

  it('may use the shortcut and the App Home', async () => {
    const shortcut = await slack.shortcut({ userId: ADMIN, callbackId: 'create_code' });
    await h.fake.waitForCall('views.open', (c) => c.args.trigger_id === shortcut.triggerId);
    expect(initialCode(h.fake.lastView('code_editor') as FakeSlackView)).toMatch(CODE_FORMAT);
    await slack.event(homeEvent(ADMIN));
    const publish = await h.fake.waitForCall('views.publish', (c) => c.args.user_id === ADMIN);
    expect(button(publish.args.view as FakeSlackView, 'home_create')).toBeDefined();
  });
});

describe('acknowledgement time', () => {
  it('every listener answers well inside 3 seconds, whatever it does afterwards', async () => {
    const code = await create('Timed');
    const requestId = await pendingRemoval(code);
    // The fake keeps the admin's copy (a reset would forget the message): calls are told apart instead.
    const request = copyOf(requestId);
    h.fake.inviteBot('C777');
    const measured: { what: string; ms: number }[] = [];
    const timed = async <T>(what: string, send: () => Promise<T & { status: number }>) => {
      const started = performance.now();
      const answer = await send();
      measured.push({ what, ms: performance.now() - started });
      expect(answer.status, what).toBe(200);
      return answer;
    };
    const raw = h.slack;
    const message = { channelId: CHANNEL, ephemeral: true };

    await timed('command', () => raw.command('list', { userId: STAFF, channelId: CHANNEL }));
    const shortcut = await timed('shortcut', () =>
      raw.shortcut({ userId: STAFF, callbackId: 'create_code' }),
    );
    await h.fake.waitForCall('views.open', (c) => c.args.trigger_id === shortcut.triggerId);
    const editor = h.fake.lastView('code_editor') as FakeSlackView;
    const values = editorValues(editor, {
      code: initialCode(editor),
      action: 'create_device',
      target: 'acct-1',
    });
    await timed('editor_choose_action', () =>
      raw.blockAction({
        userId: STAFF,
        actionId: 'editor_choose_action',
        blockId: 'action',
        type: 'radio_buttons',
        selectedOption: option('create_device'),
        view: typed(editor, values),
      }),
    );
    await timed('editor_generate_code', () =>
      raw.blockAction({
        userId: STAFF,
        actionId: 'editor_generate_code',
        blockId: 'generate',
        view: typed(editor, values),
      }),
    );
    await timed('view_submission code_editor', () =>
      raw.viewSubmissionAnswer({ userId: STAFF, view: typed(editor, values) }),
    );
    await timed('view_submission share_picker', () =>
      raw.viewSubmissionAnswer({
        userId: STAFF,
        view: {
          callback_id: 'share_picker',
          private_metadata: JSON.stringify({ id: code.id }),
          state: { values: { share_channel: { value: field.conversation('C777') } } },
        },
      }),
    );
    for (const verb of ['qr', 'edit', 'share', 'history', 'delete']) {
      await timed(`code_menu ${verb}`, () =>
        raw.blockAction({
          userId: STAFF,
          actionId: 'code_menu',
          blockId: 'list_code',
          type: 'overflow',
          selectedOption: option(`${verb}:${code.id}`),
          ...message,
        }),
      );
    }
    for (const actionId of ['list_next', 'list_previous']) {
      await timed(actionId, () =>
        raw.blockAction({
          userId: STAFF,
          actionId,
          blockId: 'list_navigation',
          value: JSON.stringify({ q: '', cursors: [''] }),
          ...message,
        }),
      );
    }
    await timed('home_create', () =>
      raw.blockAction({
        userId: STAFF,
        actionId: 'home_create',
        blockId: 'home_actions',
        view: { id: 'VHOME2', type: 'home', hash: '1.home', blocks: [] },
      }),
    );
    await timed('event app_home_opened', () => raw.event(homeEvent(STAFF)));
    for (const actionId of ['delete_cancel', 'delete_remove']) {
      await timed(actionId, () =>
        raw.blockAction({
          userId: STAFF,
          actionId,
          blockId: 'delete_prompt',
          value: code.id,
          ...message,
        }),
      );
    }
    // Remove first: the first decision wins, and the check below waits for the removal.
    for (const actionId of ['admin_remove', 'admin_cancel']) {
      await timed(actionId, () =>
        raw.blockAction({
          userId: ADMIN,
          actionId,
          blockId: 'delete_request',
          value: requestId,
          channelId: `D${ADMIN}`,
          messageTs: request.ts,
        }),
      );
    }

    expect(measured).toHaveLength(19);
    for (const { what, ms } of measured) expect(ms, what).toBeLessThan(ACK_LIMIT_MS);
    // And the work behind them was done: the admin's removal is the last of it.
    const removed = await h.fake.waitForCall('chat.update', (c) =>
      String(c.args.text).includes('removed'),
    );
    expect(removed.result).toMatchObject({ ok: true });
    expect(await h.service.codes.findById(code.id)).toBeNull();
  });
});

describe('without STAFF_USER_IDS', () => {
  let open: SlackHarness;
  beforeAll(async () => {
    open = await startSlackHarness({ STAFF_USER_IDS: '' });
  });
  afterAll(() => open?.close());

  it('every member of the workspace may use the app, but only admins remove', async () => {
    const sender = timedSender(open.slack);
    const added = await sender.command('add', { userId: OUTSIDER, channelId: CHANNEL });
    await open.fake.waitForCall('views.open', (c) => c.args.trigger_id === added.triggerId);

    const code = await open.service.codes.createCode(GROUP, STAFF);
    const pressed = await sender.blockAction({
      userId: OUTSIDER,
      actionId: 'delete_remove',
      blockId: 'delete_prompt',
      value: code.id,
      channelId: CHANNEL,
      ephemeral: true,
    });
    // Their Remove asks the admins (the dialog); it removes nothing.
    await open.fake.waitForCall('views.open', (c) => c.args.trigger_id === pressed.triggerId);
    expect(open.fake.lastView('removal_reason')).toBeDefined();
    expect(await open.service.codes.findById(code.id)).not.toBeNull();
  });
});

describe('request size', () => {
  it('refuses a body over 1 MiB on /slack/events with 413, before any listener runs', async () => {
    // Cards of earlier tests' codes, cleared before this one, are withdrawn first.
    await settle();
    h.fake.reset();
    const text = `help ${'x'.repeat(1024 * 1024)}`;
    const body = new URLSearchParams({ command: '/installcode', text, user_id: STAFF }).toString();
    const answer = await h.slack.raw(body, {
      'content-type': 'application/x-www-form-urlencoded',
      ...h.slack.signedHeaders(body),
    });
    expect(answer.status).toBe(413);
    // (Open Homes of earlier tests may be republished meanwhile: not this request's doing.)
    expect(
      h.fake.calls.filter((c) => c.method !== 'auth.test' && c.method !== 'views.publish'),
    ).toEqual([]);
  });
});
