import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { FakeSlackCall } from '../support/fake-slack.js';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { redeemBody, startTestService, type TestService } from '../support/service.js';
import { slackSender } from '../support/slack-requests.js';
import { BOT_TOKEN, CHANNEL, SIGNING_SECRET, STAFF } from '../support/slack-service.js';

/**
 * Issue 11 §3: reminders before a code stops being usable — REMIND_BEFORE before it expires, when
 * its limit is reached, when it has expired — to its creator by DM and in each card's thread,
 * each once, from the schedule in Redis: once across two replicas, kept across a restart, and
 * not at all once muted. REMIND_BEFORE is 2 s here.
 */

let fake: FakeSlack;
const prefix = `test:reminders:${randomBytes(4).toString('hex')}:`;
const running: TestService[] = [];

async function replica(): Promise<TestService> {
  const service = await startTestService(
    {
      REDIS_KEY_PREFIX: prefix,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.apiUrl,
      STAFF_USER_IDS: STAFF,
      REMIND_BEFORE: '2s',
    },
    { slackTiming: { schedulePollMs: 100, cardCheckMs: 60_000, homeCheckMs: 60_000 } },
  );
  running.push(service);
  return service;
}

beforeAll(async () => {
  fake = await startFakeSlack({ botToken: BOT_TOKEN });
});
afterAll(async () => {
  await Promise.all(running.map((r) => r.close()));
  await fake.close();
});

const soon = <T>(check: () => T | Promise<T>) =>
  vi.waitFor(check, { timeout: 6_000, interval: 50 });

/** The reminders posted about `code` (by DM, or in `channel`'s thread). */
function remindersOf(code: string, channel = `D${STAFF}`): FakeSlackCall[] {
  return fake
    .callsTo('chat.postMessage')
    .filter(
      (c) =>
        c.args.channel === channel &&
        c.result?.ok &&
        JSON.stringify(c.args.blocks ?? '').includes(':bell:') &&
        JSON.stringify(c.args.blocks).includes(code),
    );
}
const texts = (calls: FakeSlackCall[]) => calls.map((c) => JSON.stringify(c.args.blocks));

async function createCode(service: TestService, body: Record<string, unknown>) {
  return service.codes.createCode(
    { action: 'use_existing_device', deviceId: 'dev-1', ...body },
    STAFF,
  );
}

it('reminds the creator and the card’s channel before expiry and at it, once each, with two replicas', async () => {
  const [a] = [await replica(), await replica()] as [TestService, TestService];
  const team = 'CREMINDTEAM';
  fake.inviteBot(team);
  const code = await createCode(a, { expiresAt: new Date(Date.now() + 3_500).toISOString() });
  const slack = slackSender({ baseUrl: a.url, signingSecret: SIGNING_SECRET, fake });
  await slack.command(`share ${code.code} <#${team}|team>`, { userId: STAFF, channelId: CHANNEL });
  await soon(() => expect(fake.messages(team)).toHaveLength(1));
  const cardTs = fake.messages(team)[0]?.ts;

  await soon(() =>
    expect(texts(remindersOf(code.code))).toEqual([expect.stringContaining('expires')]),
  );
  // The thread's reminder follows the DM's.
  const inThread = await soon(() => {
    const posted = remindersOf(code.code, team);
    expect(posted).toHaveLength(1);
    return posted;
  });
  expect(inThread[0]?.args.thread_ts).toBe(cardTs);

  await soon(() => expect(remindersOf(code.code)).toHaveLength(2));
  expect(texts(remindersOf(code.code))[1]).toContain('expired');
  // Long enough for a second replica's run, if there were one.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(remindersOf(code.code)).toHaveLength(2);
  expect(remindersOf(code.code, team)).toHaveLength(2);
});

it('reminds when the limit is reached, with Extend and Disable at hand', async () => {
  const [service] = running as [TestService];
  const code = await createCode(service, {
    usageLimit: 1,
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
  });
  const redeemed = await service.call('POST', '/api/v1/redeem', { body: redeemBody(code.code) });
  expect(redeemed.status).toBe(200);
  await soon(() =>
    expect(texts(remindersOf(code.code))).toEqual([expect.stringContaining('usage limit')]),
  );
  const reminder = remindersOf(code.code)[0] as FakeSlackCall;
  const actions = JSON.stringify(reminder.args.blocks);
  for (const id of ['code_life.disable', 'code_life.days7', 'code_life.uses10', 'reminder_mute']) {
    expect(actions).toContain(id);
  }
  // +10 uses from the reminder: the code works again.
  const slack = slackSender({ baseUrl: service.url, signingSecret: SIGNING_SECRET, fake });
  await slack.blockAction({
    userId: STAFF,
    actionId: 'code_life.uses10',
    blockId: 'reminder_actions',
    value: code.id,
    channelId: `D${STAFF}`,
    messageTs: String(reminder.result?.ts),
  });
  await soon(async () => expect((await service.codes.getById(code.id)).usageLimit).toBe(11));
  // Used up again: a new instant, so a new reminder (the first is not sent twice).
  for (let i = 0; i < 10; i++) {
    const again = await service.call('POST', '/api/v1/redeem', { body: redeemBody(code.code) });
    expect(again.status).toBe(200);
  }
  await soon(() => expect(remindersOf(code.code)).toHaveLength(2));
  expect(texts(remindersOf(code.code))[1]).toContain('usage limit');
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(remindersOf(code.code)).toHaveLength(2);
});

it('sends a reminder that Slack refused at the next run, not after its hold', async () => {
  const [service] = running as [TestService];
  fake.failNext('chat.postMessage', { error: 'internal_error' });
  const code = await createCode(service, { usageLimit: 1 });
  const redeemed = await service.call('POST', '/api/v1/redeem', { body: redeemBody(code.code) });
  expect(redeemed.status).toBe(200);
  const refused = () =>
    fake
      .callsTo('chat.postMessage')
      .filter((c) => c.injected && JSON.stringify(c.args.blocks ?? '').includes(code.code));
  await soon(() => expect(refused()).toHaveLength(1));
  // A change makes the task run again at once (the redemption's own second change may already
  // have): the refused run let the reminder go, so it is sent now, within its 30 s hold.
  await service.codes.updateCode(code.code, { description: 'After a refusal' }, STAFF);
  await soon(() =>
    expect(texts(remindersOf(code.code))).toEqual([expect.stringContaining('usage limit')]),
  );
});

it('sends a reminder that a dead replica held once the hold ends, not never', async () => {
  const [service] = running as [TestService];
  // Expiring in 6 s: its "expiring" reminder falls due at 4 s (REMIND_BEFORE 2 s).
  const expiresAt = Math.ceil((Date.now() + 6_000) / 1_000) * 1_000;
  const code = await createCode(service, { expiresAt: new Date(expiresAt).toISOString() });
  // A replica took it and died while sending: its hold ends half a second before the expiry.
  await service.redis.hset(
    `${prefix}code:{${code.id}}:reminders`,
    `@sending:expiring:${expiresAt}`,
    expiresAt - 500,
  );
  await vi.waitFor(() => expect(remindersOf(code.code)).toHaveLength(1), {
    timeout: 9_000,
    interval: 50,
  });
  expect(Date.now(), 'sent before the expiry').toBeLessThan(expiresAt);
  expect(texts(remindersOf(code.code))[0]).toContain('expires');
});

it('sends nothing more once someone muted the code’s reminders', async () => {
  const [service] = running as [TestService];
  const code = await createCode(service, { expiresAt: new Date(Date.now() + 2_500).toISOString() });
  await soon(() => expect(remindersOf(code.code)).toHaveLength(1));
  const slack = slackSender({ baseUrl: service.url, signingSecret: SIGNING_SECRET, fake });
  const reminder = remindersOf(code.code)[0] as FakeSlackCall;
  await slack.blockAction({
    userId: STAFF,
    actionId: 'reminder_mute',
    blockId: 'reminder_actions',
    value: code.id,
    channelId: `D${STAFF}`,
    messageTs: String(reminder.result?.ts),
  });
  await soon(async () => {
    const log = await service.redis.hget(`${prefix}code:{${code.id}}:reminders`, '@muted');
    expect(JSON.parse(String(log))).toMatchObject({ by: STAFF });
  });
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  expect(remindersOf(code.code)).toHaveLength(1);
});

it('keeps a reminder across a restart between scheduling and firing', async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
  const before = await replica();
  const code = await createCode(before, { expiresAt: new Date(Date.now() + 3_000).toISOString() });
  await before.close();
  running.splice(running.indexOf(before), 1);
  // Nobody runs while the reminder falls due.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect(remindersOf(code.code)).toHaveLength(0);
  await replica();
  await soon(() => expect(texts(remindersOf(code.code))[0]).toContain('expires'));
  await soon(() => expect(remindersOf(code.code)).toHaveLength(2));
});
