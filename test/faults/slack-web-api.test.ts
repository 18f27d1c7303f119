import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { FakeSlackResponse } from '../support/fake-slack.js';
import {
  ADMIN,
  CHANNEL,
  type SlackHarness,
  STAFF,
  startSlackHarness,
} from '../support/slack-service.js';

/**
 * Slack's Web API misbehaving: rate limits are waited out as Slack asks (Retry-After), server
 * errors end in a message to the person and no half-done change, refusals are explained, and
 * the app keeps serving.
 */

let h: SlackHarness;

beforeAll(async () => {
  h = await startSlackHarness();
  // The channels the shares go to have the app in them: what fails here is Slack itself.
  for (const channel of [CHANNEL, 'CSHARE', 'CFAIL']) h.fake.inviteBot(channel);
});
afterEach(() => {
  // Leftover injected failures (times: 10 is more than the app's retries use) must not leak.
  h.fake.reset();
});
afterAll(() => h.close());

async function createCode(body: Record<string, unknown>) {
  const created = await h.service.call('POST', '/api/v1/codes', { body });
  expect(created.status).toBe(201);
  return created.body as { id: string; code: string };
}

function textOf(response: FakeSlackResponse): string {
  return JSON.stringify(response.body);
}

/** A staff member's Remove on the prompt, then the dialog's Ask the admins (no reason). */
async function askAdminsToRemove(id: string) {
  const { fake, slack } = h;
  const pressed = await slack.blockAction({
    userId: STAFF,
    actionId: 'delete_remove',
    blockId: 'delete_prompt',
    value: id,
    channelId: CHANNEL,
    ephemeral: true,
  });
  expect(pressed.status).toBe(200);
  await fake.waitForCall('views.open');
  const dialog = fake.lastView('removal_reason');
  expect(dialog).toBeDefined();
  const submitted = await slack.viewSubmissionAnswer({
    userId: STAFF,
    view: { ...dialog, callback_id: 'removal_reason', state: { values: {} } },
  });
  expect(submitted.status).toBe(200);
  return pressed;
}

async function sharedEvents(code: string) {
  const stored = await h.service.codes.getCode(code);
  return (await h.service.codes.history(stored)).filter((e) => e.type === 'shared');
}

/** The service still answers a command normally. */
async function expectHelpWorks() {
  const asked = await h.slack.command('help', { userId: STAFF, channelId: CHANNEL });
  expect(asked.status).toBe(200);
  const help = await h.fake.waitForResponse((r) => r.id === asked.responseUrlId);
  expect(textOf(help)).toContain('/installcode add');
  expect((await h.service.call('GET', '/healthz')).status).toBe(200);
}

it('a 429 with Retry-After 1 on the upload is waited out, then the share lands', async () => {
  const { fake, slack } = h;
  const { code } = await createCode({ action: 'create_device', accountId: 'acct-429' });
  fake.failNext('files.completeUploadExternal', { status: 429, retryAfter: 1 });
  const limitedAt = fake
    .waitForCall('files.completeUploadExternal', (c) => c.injected?.status === 429, 5_000)
    .then(() => Date.now());
  const landedAt = fake.waitForUpload(() => true, 8_000).then(() => Date.now());

  const asked = await slack.command(`share ${code} <#CSHARE|general>`, {
    userId: STAFF,
    channelId: CHANNEL,
  });
  expect(asked.status).toBe(200);
  const waited = (await landedAt) - (await limitedAt);
  expect(waited).toBeGreaterThanOrEqual(950);
  expect(waited).toBeLessThan(5_000);

  const completes = fake.callsTo('files.completeUploadExternal');
  expect(completes).toHaveLength(2);
  expect(completes[0]?.injected?.status).toBe(429);
  expect(completes[1]?.injected).toBeUndefined();
  expect(fake.uploads).toHaveLength(1);
  // The card is posted once, the share recorded once, and the person told it worked.
  const told = await fake.waitForResponse((r) => r.id === asked.responseUrlId);
  expect(fake.messages('CSHARE')).toHaveLength(1);
  expect(textOf(told)).toContain('Shared');
  expect(await sharedEvents(code)).toHaveLength(1);
});

it('a 429 with Retry-After 1 on chat.postMessage delays the request to the admins, and it arrives', async () => {
  const { fake, service } = h;
  const { id } = await createCode({ action: 'create_device', accountId: 'acct-429b' });
  fake.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
  const limitedAt = fake
    .waitForCall('chat.postMessage', (c) => c.injected?.status === 429, 5_000)
    .then(() => Date.now());
  const postedAt = fake
    .waitForCall(
      'chat.postMessage',
      (c) => !c.injected && JSON.stringify(c.args).includes('admin_remove'),
      8_000,
    )
    .then((call) => ({ at: Date.now(), call }));

  const pressed = await askAdminsToRemove(id);
  const posted = await postedAt;
  expect(posted.at - (await limitedAt)).toBeGreaterThanOrEqual(950);
  expect(posted.call.args.channel).toBe(`D${ADMIN}`);
  const told = await fake.waitForResponse((r) => r.id === pressed.responseUrlId);
  expect(textOf(told)).toContain('Asked the admins');
  expect(await service.codes.findById(id)).not.toBeNull();
});

it('a share whose upload keeps failing with 500 tells the person, and records no share', async () => {
  const { fake, slack } = h;
  const { code } = await createCode({ action: 'create_device', accountId: 'acct-500' });
  fake.failNext('files.completeUploadExternal', { status: 500, times: 10 });

  const asked = await slack.command(`share ${code} <#CFAIL|general>`, {
    userId: STAFF,
    channelId: CHANNEL,
  });
  expect(asked.status).toBe(200);
  const told = await fake.waitForResponse((r) => r.id === asked.responseUrlId, 10_000);
  expect(told.body.response_type).toBe('ephemeral');
  expect(textOf(told)).not.toContain('Shared');
  expect(textOf(told)).toMatch(/went wrong|refused|failed|try again/i);

  // The app retried a little (not forever), and nothing was shared or recorded as shared.
  const attempts = fake.callsTo('files.completeUploadExternal');
  expect(attempts.length).toBeGreaterThanOrEqual(2);
  expect(attempts.length).toBeLessThanOrEqual(5);
  expect(attempts.every((c) => c.injected?.status === 500)).toBe(true);
  expect(fake.uploads.filter((u) => u.channelId === 'CFAIL')).toEqual([]);
  expect(await sharedEvents(code)).toEqual([]);
  await expectHelpWorks();
});

it('a deletion request the admins cannot be sent (500s) tells the person, and the code stays', async () => {
  const { fake, service } = h;
  const { id } = await createCode({ action: 'create_device', accountId: 'acct-500b' });
  fake.failNext('chat.postMessage', { status: 500, times: 10 });

  const pressed = await askAdminsToRemove(id);
  const told = await fake.waitForResponse((r) => r.id === pressed.responseUrlId, 10_000);
  expect(textOf(told)).not.toContain('Asked the admins');
  expect(textOf(told)).toMatch(/went wrong|refused|failed|try again/i);
  expect(fake.callsTo('chat.postMessage').every((c) => c.injected?.status === 500)).toBe(true);
  expect(await service.codes.findById(id)).not.toBeNull();
  // The request no admin saw was withdrawn: asking again opens the dialog, not "already asked".
  fake.reset();
  await askAdminsToRemove(id);
  await fake.waitForCall('chat.postMessage', (c) =>
    JSON.stringify(c.args).includes('admin_remove'),
  );
  await expectHelpWorks();
});

it('views.open refused with expired_trigger_id: the person is told, and the app keeps answering', async () => {
  const { fake, slack } = h;
  fake.failNext('views.open', { error: 'expired_trigger_id' });
  const asked = await slack.command('add', { userId: STAFF, channelId: CHANNEL });
  expect(asked.status).toBe(200);
  const told = await fake.waitForResponse((r) => r.id === asked.responseUrlId);
  expect(textOf(told)).toMatch(/expired_trigger_id|took too long|try again/i);
  expect(fake.callsTo('views.open')).toHaveLength(1);
  expect(fake.views.size).toBe(0);

  // The same for the editor of an existing code; nothing about the code changes.
  const { code } = await createCode({ action: 'create_device', accountId: 'acct-trigger' });
  const before = await h.service.codes.getCode(code);
  fake.failNext('views.open', { error: 'expired_trigger_id' });
  const edit = await slack.command(`edit ${code}`, { userId: STAFF, channelId: CHANNEL });
  const toldEdit = await fake.waitForResponse((r) => r.id === edit.responseUrlId);
  expect(textOf(toldEdit)).toMatch(/expired_trigger_id|took too long|try again/i);
  expect((await h.service.codes.getCode(code)).version).toBe(before.version);

  await expectHelpWorks();
  // And a modal opens again once Slack accepts.
  await slack.command('add', { userId: STAFF, channelId: CHANNEL });
  await fake.waitForCall('views.open', (c) => !c.injected);
  expect(fake.lastView('code_editor')).toBeDefined();
});
