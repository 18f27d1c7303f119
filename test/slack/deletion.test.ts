/**
 * Two-step deletion, end to end: the Remove/Cancel prompt; a staff member's request, with an
 * optional reason, to the admins (their channel, or each admin by DM); the first admin's decision,
 * which every copy then shows and the staff member is told by DM.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { InstallCode } from '../../src/codes/model.js';
import { keysFor } from '../../src/store/keys.js';
import { RemovalRequests } from '../../src/store/removal-requests.js';
import type { FakeSlackCall, FakeSlackView } from '../support/fake-slack.js';
import { field, type SlackSender } from '../support/slack-requests.js';
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
  eventually,
  GROUP,
  responseTo,
  settle,
  textOf,
  timedSender,
  typed,
} from './helpers.js';

const SECOND_ADMIN = 'UADMIN2';

interface Setup {
  h: SlackHarness;
  requests: RemovalRequests;
  prefix: string;
}

/** Forgets every removal request, so each test starts with none pending. */
async function clearRequests({ h, prefix }: Setup) {
  const keys = await h.service.redis.keys(`${prefix}removal-requests:*`);
  if (keys.length) await h.service.redis.del(...keys);
}

async function start(env: Record<string, string>): Promise<Setup> {
  const prefix = `test:deletion:${randomBytes(4).toString('hex')}:`;
  const h = await startSlackHarness({ REDIS_KEY_PREFIX: prefix, ...env });
  return { h, prefix, requests: new RemovalRequests(h.service.redis, keysFor(prefix)) };
}

/** Admins decide by DM: two of them. */
let dms: Setup;
/** Admins decide in their channel. */
let channel: Setup;

beforeAll(async () => {
  [dms, channel] = await Promise.all([
    start({ ADMIN_USER_IDS: `${ADMIN},${SECOND_ADMIN}` }),
    start({ ADMIN_CHANNEL_ID: 'CADMINS' }),
  ]);
  // The admins' channel has the app in it, as it must for the app to post there.
  channel.h.fake.inviteBot('CADMINS');
});
afterAll(async () => {
  await Promise.all([dms?.h.close(), channel?.h.close()]);
});
beforeEach(async () => {
  for (const setup of [dms, channel]) {
    const { h } = setup;
    await clearCodes(h.service.codes);
    await clearRequests(setup);
    h.fake.inviteBot(CHANNEL);
    h.fake.inviteBot('CADMINS');
  }
});
afterEach(() => {
  dms.h.fake.reset();
  channel.h.fake.reset();
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
  return { reply, responseUrlId, slack, triggerId: pressed.triggerId };
}

const replaced = (h: SlackHarness, responseUrlId: string) =>
  responseTo(h.fake, responseUrlId, (r) => r.body.replace_original === true);

/** A staff member's Remove: the dialog that asks the admins. */
async function reasonDialog(h: SlackHarness, code: InstallCode) {
  const pressed = await pressOnPrompt(h, code, 'delete_remove');
  const open = await h.fake.waitForCall('views.open');
  expect(open.args.trigger_id).toBe(pressed.triggerId);
  const view = h.fake.lastView('removal_reason') as FakeSlackView;
  expect(view).toBeDefined();
  return { ...pressed, view };
}

function submitReason(slack: SlackSender, view: FakeSlackView, reason: string | null) {
  return slack.viewSubmission({
    userId: STAFF,
    view: typed(view, { removal_reason: { value: field.text(reason) } }),
  });
}

const isCopy = (c: FakeSlackCall) =>
  buttons(c.args as { blocks?: unknown }).some((b) => b.action_id === 'admin_remove');
const copiesPosted = (h: SlackHarness) => h.fake.callsTo('chat.postMessage').filter(isCopy);
const dmsTo = (h: SlackHarness, userId: string) =>
  h.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === `D${userId}` && !isCopy(c));

/** A staff member asks, with `reason`, to remove `code`; gives the request as Redis holds it. */
async function requested({ h, requests }: Setup, code: InstallCode, reason = 'Kiosk is gone') {
  const { view, responseUrlId, slack } = await reasonDialog(h, code);
  expect(await submitReason(slack, view, reason)).toEqual({});
  const after = await replaced(h, responseUrlId);
  expect(textOf(after.body)).toMatch(/asked the admins/i);
  const expected = h === dms.h ? 2 : 1;
  const request = await eventually(async () => {
    const [pending] = await requests.pending(10);
    expect(pending?.copies).toHaveLength(expected);
    return pending as NonNullable<typeof pending>;
  });
  return { request, slack };
}

/** An admin's press on their copy of the request (a normal message). */
function decide(
  slack: SlackSender,
  actionId: 'admin_remove' | 'admin_cancel',
  userId: string,
  requestId: string,
  copy: { channel: string; ts: string },
) {
  return slack.blockAction({
    userId,
    actionId,
    blockId: 'delete_request',
    value: requestId,
    channelId: copy.channel,
    messageTs: copy.ts,
  });
}

/** The chat.update of each copy, once every one has come. */
async function updatesOf(h: SlackHarness, copies: { channel: string; ts: string }[]) {
  return eventually(() => {
    const updates = copies.map((copy) =>
      h.fake
        .callsTo('chat.update')
        .filter((c) => c.args.channel === copy.channel && c.args.ts === copy.ts),
    );
    for (const u of updates) expect(u.length).toBeGreaterThan(0);
    return updates.map((u) => u.at(-1) as FakeSlackCall);
  });
}

describe('Remove on the prompt', () => {
  it('an admin’s Remove deletes at once, after Slack’s confirmation, and says so', async () => {
    const code = await create(dms.h);
    const { reply, responseUrlId } = await pressOnPrompt(dms.h, code, 'delete_remove', ADMIN);
    expect(button(reply.body, 'delete_remove')).toHaveProperty('confirm');
    const after = await replaced(dms.h, responseUrlId);
    expect(textOf(after.body)).toContain(`<@${ADMIN}> removed`);
    expect(await dms.h.service.codes.findById(code.id)).toBeNull();
    expect(copiesPosted(dms.h)).toHaveLength(0);
  });

  it('a staff member’s Remove opens the dialog that asks the admins; nothing is sent yet', async () => {
    const code = await create(dms.h);
    const { reply, view } = await reasonDialog(dms.h, code);
    expect(textOf(reply.body)).toMatch(/Ask the admins to remove/);
    expect(button(reply.body, 'delete_remove')).not.toHaveProperty('confirm');
    expect(textOf(view.blocks)).toContain(`Ask the admins to remove \`${code.code}\`?`);
    expect(textOf(view.submit)).toContain('Ask the admins');
    await settle();
    expect(copiesPosted(dms.h)).toHaveLength(0);
    expect(await dms.requests.pending(10)).toEqual([]);
    expect(await dms.h.service.codes.findById(code.id)).not.toBeNull();
  });

  it('the request goes to each admin by DM with the reason; nothing is removed', async () => {
    const code = await create(dms.h);
    const { request } = await requested(dms, code, 'Kiosk <b>moved</b> & gone');
    expect(request).toMatchObject({ codeId: code.id, code: code.code, requestedBy: STAFF });
    const copies = copiesPosted(dms.h);
    expect(copies.map((c) => c.args.channel).sort()).toEqual(
      [`D${ADMIN}`, `D${SECOND_ADMIN}`].sort(),
    );
    for (const copy of copies) {
      const remove = button(copy.args as { blocks?: unknown }, 'admin_remove');
      const keep = button(copy.args as { blocks?: unknown }, 'admin_cancel');
      expect(remove?.text?.text).toBe('Remove code');
      expect(keep?.text?.text).toBe('Keep code');
      expect([remove?.value, keep?.value]).toEqual([request.id, request.id]);
      expect(textOf(copy.args.blocks)).toContain('Kiosk &lt;b&gt;moved&lt;/b&gt; &amp; gone');
      expect(textOf(copy.args.blocks)).toContain(`<@${STAFF}>`);
    }
    expect(dmsTo(dms.h, STAFF)).toHaveLength(0);
    expect(await dms.h.service.codes.findById(code.id)).not.toBeNull();
  });

  it('with ADMIN_CHANNEL_ID the request goes to that channel only; a reason is optional', async () => {
    const code = await create(channel.h);
    const { view, slack } = await reasonDialog(channel.h, code);
    await submitReason(slack, view, null);
    const copy = await channel.h.fake.waitForCall('chat.postMessage', isCopy);
    expect(copy.args.channel).toBe('CADMINS');
    expect(textOf(copy.args.blocks)).not.toContain('Reason');
    await settle();
    expect(copiesPosted(channel.h)).toHaveLength(1);
    const [pending] = await channel.requests.pending(10);
    expect(pending?.reason).toBe('');
  });

  it('the prompt’s response_url refused (expired, say): the staff member is told by DM', async () => {
    const code = await create(channel.h);
    const { view, slack } = await reasonDialog(channel.h, code);
    channel.h.fake.failNext('response_url', { status: 404, error: 'expired_url' });
    await submitReason(slack, view, 'Old');
    const told = await eventually(() => {
      const [dm] = dmsTo(channel.h, STAFF);
      expect(dm).toBeDefined();
      return dm as FakeSlackCall;
    });
    expect(String(told.args.text)).toMatch(/asked the admins/i);
    expect(copiesPosted(channel.h)).toHaveLength(1);
  });

  it('a reason over 500 characters is refused on its field and nothing is sent', async () => {
    const code = await create(dms.h);
    const { view, slack } = await reasonDialog(dms.h, code);
    const answer = await submitReason(slack, view, 'x'.repeat(501));
    expect(answer).toMatchObject({ response_action: 'errors' });
    expect(String((answer.errors as Record<string, string>).removal_reason)).toMatch(
      /500 characters.*501/,
    );
    await settle();
    expect(copiesPosted(dms.h)).toHaveLength(0);
    expect(await dms.requests.pending(10)).toEqual([]);
  });

  it('a second request while one is pending is told so, and the admins are not asked again', async () => {
    const code = await create(dms.h);
    const { request } = await requested(dms, code);
    const { responseUrlId } = await pressOnPrompt(dms.h, code, 'delete_remove');
    const after = await replaced(dms.h, responseUrlId);
    expect(textOf(after.body)).toMatch(/You already asked the admins.*not decided yet/);
    await settle();
    expect(dms.h.fake.callsTo('views.open')).toHaveLength(1);
    expect(copiesPosted(dms.h)).toHaveLength(2);
    expect((await dms.requests.pending(10)).map((r) => r.id)).toEqual([request.id]);
  });

  it('Remove on a code that is already gone says so', async () => {
    const code = await create(dms.h);
    const { reply, responseUrl, responseUrlId, slack } = await prompt(dms.h, code, ADMIN);
    await dms.h.service.codes.deleteCode(code);
    await slack.blockAction({
      userId: ADMIN,
      actionId: 'delete_remove',
      blockId: 'delete_prompt',
      value: String(button(reply.body, 'delete_remove')?.value),
      responseUrl,
      channelId: CHANNEL,
      ephemeral: true,
    });
    expect(textOf((await replaced(dms.h, responseUrlId)).body)).toMatch(/already gone/i);
  });

  it('someone not on the staff pressing Remove is refused and nothing is removed', async () => {
    const code = await create(dms.h);
    const slack = timedSender(dms.h.slack);
    const pressed = await slack.blockAction({
      userId: OUTSIDER,
      actionId: 'delete_remove',
      blockId: 'delete_prompt',
      value: code.id,
      channelId: CHANNEL,
      ephemeral: true,
    });
    const reply = await responseTo(dms.h.fake, pressed.responseUrlId);
    expect(textOf(reply.body)).toMatch(/sorry/i);
    await settle();
    expect(await dms.h.service.codes.findById(code.id)).not.toBeNull();
    expect(dms.h.fake.callsTo('chat.postMessage')).toHaveLength(0);
    expect(dms.h.fake.callsTo('views.open')).toHaveLength(0);
  });
});

describe('Cancel on the prompt', () => {
  it.each([
    ['staff', STAFF],
    ['an admin', ADMIN],
  ])('%s: replaces the prompt and deletes nothing', async (_who, userId) => {
    const code = await create(dms.h);
    const { responseUrlId } = await pressOnPrompt(dms.h, code, 'delete_cancel', userId);
    const after = await replaced(dms.h, responseUrlId);
    expect(textOf(after.body)).toMatch(/cancelled/i);
    expect(after.body.response_type).toBe('ephemeral');
    await settle();
    expect(await dms.h.service.codes.findById(code.id)).toEqual(code);
    expect(dms.h.fake.callsTo('chat.postMessage')).toHaveLength(0);
  });
});

describe('the admins’ decision', () => {
  it.each([
    ['by DM', () => dms],
    ['in the admin channel', () => channel],
  ])(
    '%s: Remove code deletes it, every copy says who, the requester is told',
    async (_w, which) => {
      const setup = which();
      const { h } = setup;
      const code = await create(h);
      const { request, slack } = await requested(setup, code);
      const copy = request.copies[0] as { channel: string; ts: string };
      expect((await decide(slack, 'admin_remove', ADMIN, request.id, copy)).status).toBe(200);
      const updates = await updatesOf(h, request.copies);
      for (const update of updates) {
        expect(String(update.args.text)).toContain(`<@${ADMIN}> removed \`${code.code}\``);
        expect(String(update.args.text)).toContain(`<@${STAFF}>`);
        expect(buttons(update.args as { blocks?: unknown })).toHaveLength(0);
        expect(textOf(update.args.blocks)).toContain('Kiosk is gone');
      }
      const told = await eventually(() => {
        const [dm] = dmsTo(h, STAFF);
        expect(dm).toBeDefined();
        return dm as FakeSlackCall;
      });
      expect(String(told.args.text)).toMatch(new RegExp(`<@${ADMIN}> removed .*as you asked`));
      expect(await h.service.codes.findById(code.id)).toBeNull();
      expect(await setup.requests.pending(10)).toEqual([]);
    },
  );

  it('Keep code keeps it; a stale Remove on the other admin’s copy changes nothing', async () => {
    const code = await create(dms.h);
    const { request, slack } = await requested(dms, code);
    const [first, second] = request.copies as [
      { channel: string; ts: string },
      { channel: string; ts: string },
    ];
    const keeper = first.channel === `D${ADMIN}` ? ADMIN : SECOND_ADMIN;
    const other = keeper === ADMIN ? SECOND_ADMIN : ADMIN;
    await decide(slack, 'admin_cancel', keeper, request.id, first);
    const updates = await updatesOf(dms.h, request.copies);
    for (const update of updates) expect(String(update.args.text)).toContain(`<@${keeper}> kept`);
    await eventually(() => expect(dmsTo(dms.h, STAFF)).toHaveLength(1));
    expect(String(dmsTo(dms.h, STAFF)[0]?.args.text)).toMatch(/kept .*not removed/);

    await decide(slack, 'admin_remove', other, request.id, second);
    const told = await dms.h.fake.waitForCall('chat.postEphemeral', (c) => c.args.user === other);
    expect(told.args.channel).toBe(second.channel);
    expect(String(told.args.text)).toMatch(new RegExp(`Already decided: .*<@${keeper}> kept`));
    await settle();
    expect(await dms.h.service.codes.findById(code.id)).toEqual(code);
    expect(dmsTo(dms.h, STAFF)).toHaveLength(1);
    const stored = await dms.requests.get(request.id);
    expect(stored?.decided).toMatchObject({ decision: 'kept', by: keeper });
  });

  it('a code already gone when the admin decides: every copy says so', async () => {
    const code = await create(dms.h);
    const { request, slack } = await requested(dms, code);
    await dms.h.service.codes.deleteCode(code);
    await decide(slack, 'admin_cancel', ADMIN, request.id, request.copies[0] as never);
    const updates = await updatesOf(dms.h, request.copies);
    for (const update of updates) {
      expect(String(update.args.text)).toContain(`\`${code.code}\` was already gone`);
    }
    await eventually(() =>
      expect(String(dmsTo(dms.h, STAFF)[0]?.args.text)).toMatch(/already gone/),
    );
  });

  it('an admin removing the code from their own prompt decides its pending request', async () => {
    const code = await create(dms.h);
    const { request } = await requested(dms, code);
    const { responseUrlId } = await pressOnPrompt(dms.h, code, 'delete_remove', SECOND_ADMIN);
    expect(textOf((await replaced(dms.h, responseUrlId)).body)).toContain(
      `<@${SECOND_ADMIN}> removed`,
    );
    const updates = await updatesOf(dms.h, request.copies);
    for (const update of updates) {
      expect(String(update.args.text)).toContain(`<@${SECOND_ADMIN}> removed \`${code.code}\``);
    }
    await eventually(() =>
      expect(String(dmsTo(dms.h, STAFF)[0]?.args.text)).toMatch(/removed .*as you asked/),
    );
    expect((await dms.requests.get(request.id))?.decided?.decision).toBe('removed');
    expect(await dms.h.service.codes.findById(code.id)).toBeNull();
  });

  it.each([
    ['the staff member who asked', STAFF],
    ['someone not on the staff', OUTSIDER],
  ])('%s pressing Remove code is refused and nothing changes', async (_who, userId) => {
    const code = await create(channel.h);
    const { request, slack } = await requested(channel, code);
    await decide(slack, 'admin_remove', userId, request.id, request.copies[0] as never);
    const refusal = await channel.h.fake.waitForCall(
      'chat.postEphemeral',
      (c) => c.args.user === userId,
    );
    expect(refusal.result).toMatchObject({ ok: true });
    expect(String(refusal.args.text)).toMatch(/only installcode admins/i);
    await settle();
    expect(channel.h.fake.callsTo('chat.update')).toHaveLength(0);
    expect(await channel.h.service.codes.findById(code.id)).toEqual(code);
    expect((await channel.requests.get(request.id))?.decided).toBeNull();
  });

  it('a garbled or unknown request ID is refused politely and changes nothing', async () => {
    const code = await create(channel.h);
    const { request, slack } = await requested(channel, code);
    const copy = request.copies[0] as { channel: string; ts: string };
    await decide(slack, 'admin_remove', ADMIN, 'no-such-request', copy);
    const told = await channel.h.fake.waitForCall('chat.postEphemeral');
    expect(String(told.args.text)).toMatch(/no longer on record/);
    const garbled = await decide(slack, 'admin_remove', ADMIN, '{"id":1}', copy);
    const reply = await responseTo(channel.h.fake, garbled.responseUrlId);
    expect(textOf(reply.body)).toMatch(/could not read/);
    await settle();
    expect(await channel.h.service.codes.findById(code.id)).toEqual(code);
    expect(channel.h.fake.callsTo('chat.update')).toHaveLength(0);
  });
});
