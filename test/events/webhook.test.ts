import { afterAll, beforeAll, expect, it } from 'vitest';
import { keysFor } from '../../src/store/keys.js';
import { redeemBody, startTestService, type TestService } from '../support/service.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * Issue 11's done-means: 1,000 redemptions produce exactly 1,000 events, each delivered to a
 * receiver that fails the first two attempts of every event and verifies the signature; in order
 * per code; every attempt counted.
 */
const SECRET = 'whsec_test_0123456789abcdef';
const CODES = 20;
const USES_EACH = 50;

let receiver: WebhookReceiver;
let service: TestService;
beforeAll(async () => {
  receiver = await startWebhookReceiver(SECRET, { failFirst: 2 });
  service = await startTestService(
    { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET },
    { eventTiming: { pollMs: 25, retryBaseMs: 10, retryMaxMs: 40 } },
  );
});
afterAll(async () => {
  await service?.close();
  await receiver?.close();
});

it('delivers each of 1,000 redemptions exactly once as an event, after two failed attempts each, in order per code', async () => {
  const codes: string[] = [];
  for (let i = 0; i < CODES; i++) {
    const created = await service.call('POST', '/api/v1/codes', {
      body: { action: 'create_device', accountId: `acct-${i}`, usageLimit: 10_000 },
    });
    expect(created.status).toBe(201);
    codes.push(created.body.code as string);
  }
  const answers: { code: string; deviceId: string; deviceToken: string }[] = [];
  for (let round = 0; round < USES_EACH; round++) {
    const batch = await Promise.all(
      codes.map((code) =>
        service.call('POST', '/api/v1/redeem', { body: redeemBody(code, { name: `d${round}` }) }),
      ),
    );
    for (const [i, answer] of batch.entries()) {
      expect(answer.status).toBe(200);
      const { deviceId, deviceToken } = answer.body as { deviceId: string; deviceToken: string };
      answers.push({ code: codes[i] as string, deviceId, deviceToken });
    }
  }

  await receiver.waitForDeliveries(CODES + CODES * USES_EACH, 120_000);
  const redeemed = receiver.delivered.filter((event) => event.type === 'code.redeemed');
  expect(redeemed).toHaveLength(CODES * USES_EACH);
  expect(new Set(redeemed.map((event) => event.id)).size).toBe(CODES * USES_EACH);
  // Each device answered 200 has its event, with the account and what the device said.
  const byDevice = new Map(redeemed.map((event) => [event.redemption?.deviceId, event]));
  for (const answer of answers) {
    const event = byDevice.get(answer.deviceId);
    expect(event?.code.code).toBe(answer.code);
    expect(event?.redemption?.accountId).toMatch(/^acct-\d+$/);
    expect(event?.redemption?.device.name).toMatch(/^d\d+$/);
  }
  // Every event was refused twice, then taken; the signature verified every time.
  expect(receiver.badSignatures).toBe(0);
  expect(receiver.badEventIds).toBe(0);
  for (const event of receiver.delivered) expect(receiver.attempts.get(event.id)).toBe(3);
  // In order per code: created first, then the counts one by one.
  for (const code of codes) {
    const told = receiver.delivered.filter((event) => event.code.code === code);
    expect(told[0]?.type).toBe('code.created');
    expect(told.slice(1).map((event) => event.code.timesUsed)).toEqual(
      Array.from({ length: USES_EACH }, (_, i) => i + 1),
    );
  }
  // No device token ever leaves in an event.
  const sent = JSON.stringify(receiver.delivered);
  for (const answer of answers.slice(0, 50)) expect(sent).not.toContain(answer.deviceToken);

  // The stream holds each event once (nothing was relayed twice here), and the metrics agree.
  const keys = keysFor(service.prefix);
  expect(await service.redis.xlen(keys.events)).toBe(CODES + CODES * USES_EACH);
  const metrics = await (await fetch(service.metricsUrl as string)).text();
  expect(metrics).toContain(
    `installcode_webhook_attempts_total{outcome="delivered"} ${CODES * 51}`,
  );
  expect(metrics).toContain(
    `installcode_webhook_attempts_total{outcome="failed"} ${CODES * 51 * 2}`,
  );
  // Each attempt is logged: a line per failure and per delivery, naming the event, not the code.
  const attemptLines = service.logs.filter((line) =>
    /"msg":"webhook (delivered|delivery failed)/.test(line),
  );
  expect(attemptLines).toHaveLength(CODES * 51 * 3);
  expect(attemptLines.join('\n')).not.toContain(codes[0] as string);
}, 180_000);
