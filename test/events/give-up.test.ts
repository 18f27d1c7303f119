import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { keysFor } from '../../src/store/keys.js';
import { startTestService, type TestService } from '../support/service.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

/** An event is retried with growing pauses, and given up only after its time (24 h; here 300 ms). */
const SECRET = 'whsec_test_0123456789abcdef';
let receiver: WebhookReceiver;
let service: TestService;
beforeAll(async () => {
  receiver = await startWebhookReceiver(SECRET, { failFirst: Number.POSITIVE_INFINITY });
  service = await startTestService(
    { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET },
    { eventTiming: { pollMs: 10, retryBaseMs: 20, retryMaxMs: 80, giveUpAfterMs: 300 } },
  );
});
afterAll(async () => {
  await service?.close();
  await receiver?.close();
});

it('retries with exponential backoff, then gives the event up with an error line, and goes on with the next', async () => {
  const created = await service.call('POST', '/api/v1/codes', {
    body: { action: 'create_device', accountId: 'acct-1' },
  });
  const { id } = created.body as { id: string };
  const queue = keysFor(service.prefix).webhookQueue(id);
  await expect
    .poll(() => service.logs.some((line) => line.includes('webhook delivery given up')), {
      timeout: 5_000,
    })
    .toBe(true);
  await expect.poll(() => service.redis.exists(queue), { timeout: 1_000 }).toBe(0);
  const attempts = [...receiver.attempts.values()][0] ?? 0;
  // Pauses of 20, 40, 80, 80… ms within 300 ms: a handful of attempts (fewer on a busy machine),
  // never one per poll (every 10 ms).
  expect(attempts).toBeGreaterThanOrEqual(2);
  expect(attempts).toBeLessThanOrEqual(9);
  const gaveUp = service.logs.filter((line) => line.includes('webhook delivery given up'));
  expect(gaveUp).toHaveLength(1);
  expect(gaveUp[0]).toContain('"level":50');
  expect(gaveUp[0]).not.toContain(created.body.code as string);
  const metrics = await (await fetch(service.metricsUrl as string)).text();
  expect(metrics).toContain('installcode_webhook_attempts_total{outcome="abandoned"} 1');
  // The stream still has it.
  expect(await service.redis.xlen(keysFor(service.prefix).events)).toBe(1);
});

it('does not follow a redirect: the event stays waiting for its own receiver', async () => {
  const target = await startWebhookReceiver(SECRET);
  const redirecting = createServer((_req, res) => {
    res.writeHead(307, { location: target.url }).end();
  });
  await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
  const { port } = redirecting.address() as AddressInfo;
  const redirected = await startTestService(
    { WEBHOOK_URL: `http://127.0.0.1:${port}/hook`, WEBHOOK_SECRET: SECRET },
    { eventTiming: { pollMs: 10, retryBaseMs: 20, retryMaxMs: 40 } },
  );
  try {
    const created = await redirected.call('POST', '/api/v1/codes', {
      body: { action: 'create_device', accountId: 'acct-2' },
    });
    const queue = keysFor(redirected.prefix).webhookQueue(created.body.id as string);
    await expect
      .poll(() => redirected.logs.filter((line) => line.includes('"status":307')).length, {
        timeout: 5_000,
      })
      .toBeGreaterThanOrEqual(2);
    expect(target.delivered).toEqual([]);
    expect(await redirected.redis.llen(queue)).toBe(1);
  } finally {
    await redirected.close();
    redirecting.close();
    await target.close();
  }
});
