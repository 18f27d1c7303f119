/**
 * Two-step deletion, end to end: the Remove/Cancel prompt, a staff member's request to the admins
 * (their channel, or each admin by DM), and the admins' decision.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { InstallCode } from '../../src/codes/model.js';
import type { FakeSlackCall } from '../support/fake-slack.js';
import type { SlackSender } from '../support/slack-requests.js';
import {
  ADMIN,
  CHANNEL,
  OUTSIDER,
  type SlackHarness,
  STAFF,
  startSlackHarness,
} from '../support/slack-service.js';
import {
  button,
  buttons,
  clearCodes,
  GROUP,
  responseTo,
  settle,
  textOf,
  timedSender,
} from './helpers.js';

const SECOND_ADMIN = 'UADMIN2';

/** Admins decide by DM: two of them. */
let dms: SlackHarness;
/** Admins decide in their channel. */
let channel: SlackHarness;

beforeAll(async () => {
  [dms, channel] = await Promise.all([
    startSlackHarness({ ADMIN_USER_IDS: `${ADMIN},${SECOND_ADMIN}` }),
    startSlackHarness({ ADMIN_CHANNEL_ID: 'CADMINS' }),
  ]);
  // The admins' channel has the app in it, as it must for the app to post there.
  channel.fake.inviteBot('CADMINS');
});
afterAll(async () => {
  await Promise.all([dms?.close(), channel?.close()]);
});
beforeEach(async () => {
  await Promise.all([clearCodes(dms.service.codes), clearCodes(channel.service.codes)]);
});
afterEach(() => {
  dms.fake.reset();
  channel.fake.reset();
});

const create = (h: SlackHarness, description = 'Old kiosk') =>
  h.service.codes.createCode({ ...GROUP, description }, STAFF);

/** `/installcode delete CODE` as `userId`: the prompt, and the response_url it came by. */
async function prompt(h: SlackHarness, code: InstallCode, userId = STAFF) {
  const slack = timedSender(h.slack);
  const answer = await slack.command(`delete ${code.code}`, { userId, channelId: CHANNEL });
  const reply = await responseTo(h.fake, answer.responseUrlId);
  return { reply, responseUrl: answer.responseUrl, responseUrlId: answer.responseUrlId, slack };
}

/** Presses a button of the ephemeral prompt (Slack sends its response_url, no message). */
async function pressOnPrompt(
  h: SlackHarness,
  code: InstallCode,
  actionId: 'delete_remove' | 'delete_cancel',
  userId = STAFF,
) {
  const { reply, responseUrl, responseUrlId, slack } = await prompt(h, code, userId);
  const value = button(reply.body, actionId)?.value;
  expect(value).toBe(code.id);
  const pressed = await slack.blockAction({
    userId,
    actionId,
    blockId: 'delete_prompt',
    value: String(value),
    responseUrl,
    channelId: CHANNEL,
    ephemeral: true,
  });
  expect(pressed.status).toBe(200);
  const after = await responseTo(h.fake, responseUrlId, (r) => r.body.replace_original === true);
  return { after, slack };
}

const isRequest = (c: FakeSlackCall) =>
  buttons(c.args as { blocks?: unknown }).some((b) => b.action_id === 'admin_remove');

/** A staff member asks to remove `code`; gives the request message posted to the admins. */
async function requested(h: SlackHarness, code: InstallCode) {
  const { after, slack } = await pressOnPrompt(h, code, 'delete_remove');
  expect(textOf(after.body)).toMatch(/asked the admins/i);
  const request = await h.fake.waitForCall('chat.postMessage', isRequest);
  const value = String(button(request.args as { blocks?: unknown }, 'admin_remove')?.value);
  const channelId = String(request.args.channel);
  return { request, value, slack, channelId, ts: requestTs(h, channelId) };
}

/** The ts Slack gave the request message posted into `channelId`. */
function requestTs(h: SlackHarness, channelId: string): string {
  const posted = h.fake
    .callsTo('chat.postMessage')
    .find((c) => isRequest(c) && c.args.channel === channelId);
  expect(posted?.result).toMatchObject({ ok: true });
  return String(posted?.result?.ts);
}

/** An admin's press on the request message `ts`, which is a normal message in `channelId`. */
function decide(
  slack: SlackSender,
  actionId: 'admin_remove' | 'admin_cancel',
  userId: string,
  value: string,
  channelId: string,
  messageTs: string,
) {
  return slack.blockAction({
    userId,
    actionId,
    blockId: 'delete_request',
    value,
    channelId,
    messageTs,
  });
}

describe('Remove on the prompt', () => {
  it('a staff member’s Remove goes to each admin by DM; nothing is removed yet', async () => {
    const code = await create(dms);
    const { request, value } = await requested(dms, code);
    await settle();
    const requests = dms.fake.callsTo('chat.postMessage').filter(isRequest);
    expect(requests.map((c) => c.args.channel).sort()).toEqual(
      [`D${ADMIN}`, `D${SECOND_ADMIN}`].sort(),
    );
    expect(String(request.args.text)).toContain(`<@${STAFF}>`);
    expect(textOf(request.args.blocks)).toContain(code.code);
    expect(button(request.args as { blocks?: unknown }, 'admin_cancel')).toBeDefined();
    expect(JSON.parse(value)).toEqual({ id: code.id, requestedBy: STAFF });
    expect(await dms.service.codes.findById(code.id)).not.toBeNull();
  });

  it('with ADMIN_CHANNEL_ID the request goes to that channel only', async () => {
    const code = await create(channel);
    const { request } = await requested(channel, code);
    expect(request.args.channel).toBe('CADMINS');
    await settle();
    expect(channel.fake.callsTo('chat.postMessage').filter(isRequest)).toHaveLength(1);
    expect(
      channel.fake.callsTo('conversations.open').filter((c) => c.args.users === ADMIN),
    ).toHaveLength(0);
    expect(await channel.service.codes.findById(code.id)).not.toBeNull();
  });

  it('an admin’s Remove deletes at once and says so in place of the prompt', async () => {
    const code = await create(dms);
    const { after } = await pressOnPrompt(dms, code, 'delete_remove', ADMIN);
    expect(textOf(after.body)).toContain(`<@${ADMIN}> removed`);
    expect(button(after.body, 'delete_remove')).toBeUndefined();
    expect(await dms.service.codes.findById(code.id)).toBeNull();
    await expect(dms.service.codes.getCode(code.code)).rejects.toThrow();
    expect(dms.fake.callsTo('chat.postMessage').filter(isRequest)).toHaveLength(0);
  });

  it('Remove on a code that is already gone says so', async () => {
    const code = await create(dms);
    const { reply, responseUrl, responseUrlId, slack } = await prompt(dms, code, ADMIN);
    await dms.service.codes.deleteCode(code);
    await slack.blockAction({
      userId: ADMIN,
      actionId: 'delete_remove',
      blockId: 'delete_prompt',
      value: String(button(reply.body, 'delete_remove')?.value),
      responseUrl,
      channelId: CHANNEL,
      ephemeral: true,
    });
    const after = await responseTo(
      dms.fake,
      responseUrlId,
      (r) => r.body.replace_original === true,
    );
    expect(textOf(after.body)).toMatch(/already gone/i);
  });

  it('someone not on the staff pressing Remove is refused and nothing is removed', async () => {
    const code = await create(dms);
    const slack = timedSender(dms.slack);
    const pressed = await slack.blockAction({
      userId: OUTSIDER,
      actionId: 'delete_remove',
      blockId: 'delete_prompt',
      value: code.id,
      channelId: CHANNEL,
      ephemeral: true,
    });
    const reply = await responseTo(dms.fake, pressed.responseUrlId);
    expect(textOf(reply.body)).toMatch(/sorry/i);
    await settle();
    expect(await dms.service.codes.findById(code.id)).not.toBeNull();
    expect(dms.fake.callsTo('chat.postMessage')).toHaveLength(0);
  });
});

describe('Cancel on the prompt', () => {
  it.each([
    ['staff', STAFF],
    ['an admin', ADMIN],
  ])('%s: replaces the prompt and deletes nothing', async (_who, userId) => {
    const code = await create(dms);
    const { after } = await pressOnPrompt(dms, code, 'delete_cancel', userId);
    expect(textOf(after.body)).toMatch(/cancelled/i);
    expect(after.body.response_type).toBe('ephemeral');
    await settle();
    expect(await dms.service.codes.findById(code.id)).toEqual(code);
    expect(dms.fake.callsTo('chat.postMessage')).toHaveLength(0);
  });
});

describe('the admins’ decision', () => {
  it.each([
    ['by DM', () => dms],
    ['in the admin channel', () => channel],
  ])('%s: an admin’s Remove deletes the code and the message says who', async (_where, which) => {
    const h = which();
    const code = await create(h);
    const { value, slack, channelId, ts } = await requested(h, code);
    const pressed = await decide(slack, 'admin_remove', ADMIN, value, channelId, ts);
    expect(pressed.status).toBe(200);
    const update = await h.fake.waitForCall('chat.update');
    expect(update.args).toMatchObject({ channel: channelId, ts });
    expect(update.result).toMatchObject({ ok: true });
    expect(String(update.args.text)).toContain(`<@${ADMIN}> removed`);
    expect(String(update.args.text)).toContain(`<@${STAFF}>`);
    expect(buttons(update.args as { blocks?: unknown })).toHaveLength(0);
    // The channel now shows the decision in place of the request.
    const shown = h.fake.message(channelId, ts);
    expect(shown?.text).toContain(`<@${ADMIN}> removed`);
    expect(buttons(shown)).toHaveLength(0);
    expect(await h.service.codes.findById(code.id)).toBeNull();
  });

  it('an admin’s Cancel keeps the code and the message says who kept it', async () => {
    const code = await create(channel);
    const { value, slack, channelId, ts } = await requested(channel, code);
    await decide(slack, 'admin_cancel', ADMIN, value, channelId, ts);
    const update = await channel.fake.waitForCall('chat.update');
    expect(update.args.channel).toBe('CADMINS');
    expect(update.result).toMatchObject({ ok: true });
    expect(channel.fake.message('CADMINS', ts)?.text).toContain(`<@${ADMIN}> kept`);
    expect(String(update.args.text)).toContain(`<@${ADMIN}> kept`);
    expect(buttons(update.args as { blocks?: unknown })).toHaveLength(0);
    expect(await channel.service.codes.findById(code.id)).toEqual(code);
  });

  it.each([
    ['the staff member who asked', STAFF],
    ['someone not on the staff', OUTSIDER],
  ])('%s pressing the admins’ Remove is refused and nothing changes', async (_who, userId) => {
    const code = await create(channel);
    const { value, slack, channelId, ts } = await requested(channel, code);
    await decide(slack, 'admin_remove', userId, value, channelId, ts);
    const refusal = await channel.fake.waitForCall(
      'chat.postEphemeral',
      (c) => c.args.user === userId,
    );
    expect(refusal.result).toMatchObject({ ok: true });
    expect(String(refusal.args.text)).toMatch(/only installcode admins/i);
    await settle();
    expect(channel.fake.callsTo('chat.update')).toHaveLength(0);
    expect(await channel.service.codes.findById(code.id)).toEqual(code);
  });

  it('a second admin deciding after the first is told the code is already gone', async () => {
    const code = await create(dms);
    const { value, slack } = await requested(dms, code);
    await settle();
    const [first, second] = [`D${ADMIN}`, `D${SECOND_ADMIN}`];
    await decide(slack, 'admin_remove', ADMIN, value, first, requestTs(dms, first));
    await dms.fake.waitForCall('chat.update', (c) => c.args.channel === first);
    await decide(slack, 'admin_remove', SECOND_ADMIN, value, second, requestTs(dms, second));
    const late = await dms.fake.waitForCall('chat.update', (c) => c.args.channel === second);
    expect(late.result).toMatchObject({ ok: true });
    expect(String(late.args.text)).toMatch(/already gone/i);
    expect(await dms.service.codes.findById(code.id)).toBeNull();
  });
});
