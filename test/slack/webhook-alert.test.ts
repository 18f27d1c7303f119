import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, type SlackHarness, startSlackHarness } from '../support/slack-service.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

/** After repeated failed deliveries an admin is told in ADMIN_CHANNEL_ID, once (not per attempt). */
const SECRET = 'whsec_test_0123456789abcdef';
let receiver: WebhookReceiver;
let harness: SlackHarness;
beforeAll(async () => {
  receiver = await startWebhookReceiver(SECRET, { failFirst: Number.POSITIVE_INFINITY });
  harness = await startSlackHarness(
    { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET, ADMIN_CHANNEL_ID: 'CADMINS' },
    { eventTiming: { pollMs: 25, retryBaseMs: 10, retryMaxMs: 20, alertAfterAttempts: 3 } },
  );
  harness.fake.inviteBot('CADMINS');
});
afterAll(async () => {
  await harness?.close();
  await receiver?.close();
});

it('tells the admins once when webhook deliveries keep failing, naming the receiver and the reason', async () => {
  const created = await harness.service.call('POST', '/api/v1/codes', {
    body: { action: 'create_device', accountId: 'acct-1' },
  });
  expect(created.status).toBe(201);
  const notice = await harness.fake.waitForCall(
    'chat.postMessage',
    (call) => call.args.channel === 'CADMINS',
    5_000,
  );
  expect(notice.result?.ok).toBe(true);
  const text = String(notice.args.text);
  expect(text).toContain(new URL(receiver.url).origin);
  expect(text).toContain('3 attempts in a row failed (last: HTTP 500)');
  expect(text).not.toContain(SECRET);
  // Failures go on (the event is retried), but the admins are not told again within the hour.
  const attempts = receiver.attempts.get([...receiver.attempts.keys()][0] as string) ?? 0;
  await expect
    .poll(() => [...receiver.attempts.values()][0], { timeout: 5_000 })
    .toBeGreaterThan(attempts + 3);
  const notices = harness.fake
    .callsTo('chat.postMessage')
    .filter((call) => call.args.channel === 'CADMINS');
  expect(notices).toHaveLength(1);
});

describe('without ADMIN_CHANNEL_ID', () => {
  let dmHarness: SlackHarness;
  beforeAll(async () => {
    dmHarness = await startSlackHarness(
      { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET },
      { eventTiming: { pollMs: 25, retryBaseMs: 10, retryMaxMs: 20, alertAfterAttempts: 3 } },
    );
  });
  afterAll(() => dmHarness?.close());

  it('tells each admin by DM instead', async () => {
    await dmHarness.service.call('POST', '/api/v1/codes', {
      body: { action: 'create_device', accountId: 'acct-2' },
    });
    const opened = await dmHarness.fake.waitForCall(
      'conversations.open',
      (call) => call.args.users === ADMIN,
      5_000,
    );
    const dm = opened.result?.channel as { id: string };
    const notice = await dmHarness.fake.waitForCall(
      'chat.postMessage',
      (call) => call.args.channel === dm.id,
      5_000,
    );
    expect(String(notice.args.text)).toContain('attempts in a row failed');
  });
});
