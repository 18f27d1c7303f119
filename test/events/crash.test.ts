import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hashDeviceToken } from '../../src/codes/device-token.js';
import { keysFor } from '../../src/store/keys.js';
import { freePort, startTestRedis, type TestRedis } from '../support/redis-server.js';
import { API_TOKEN, redeemBody, startTestService } from '../support/service.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

/**
 * A redemption answered 200 is never without its event, also when the service is killed right
 * after counting. The service runs as a process (`src/main.ts`) whose Redis user may not touch
 * the event stream nor the device registry: so it counts redemptions of a `use_existing_device`
 * code (and writes their events into the code's outbox, in the same script) but can neither emit
 * them nor record the device's new tokens (its record is in a slot of its own; a device a code
 * creates is recorded by the redemption's script itself). It is killed with SIGKILL; a new
 * service then finds the outbox by its sweep at start-up, tells every event to the stream and
 * the webhook, and records the device: its last token then verifies, and no earlier one.
 */
const SECRET = 'whsec_test_0123456789abcdef';
const PREFIX = 'test:crash:';
const REDEMPTIONS = 20;
const DEVICE = 'crash-device';

let redis: TestRedis;
let admin: Redis;
beforeAll(async () => {
  redis = await startTestRedis();
  admin = new Redis(redis.url);
  // Every key of the service but the event stream and the records of existing devices (a new
  // device's record, in its code's slot by its ID's tag, is one of the redemption script's keys).
  const keys = [
    'device:{????}dev_*',
    'code:*',
    'name:*',
    'codes:{index}*',
    'codes',
    'codes-sweep',
    'expiry-walk',
    'idem:*',
    'account-numbers:*',
    'prefix:*',
    'redeem-failures*',
    'event-relay',
    'schedule',
  ];
  await admin.call(
    'ACL',
    'SETUSER',
    'no-stream',
    'on',
    '>pw',
    '&*',
    '+@all',
    ...keys.map((key) => `~${PREFIX}${key}`),
  );
});
afterAll(async () => {
  admin?.disconnect();
  await redis?.stop();
});

function runService(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  return { child, exited, output: () => output };
}

async function untilHealthy(base: string) {
  for (let attempt = 0; attempt < 150; attempt++) {
    const status = await fetch(`${base}/healthz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the service did not start');
}

it('loses no event and no device when the service is killed between counting a redemption and emitting its event', async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const run = runService({
    PORT: String(port),
    REDIS_URL: `redis://no-stream:pw@127.0.0.1:${redis.port}`,
    REDIS_KEY_PREFIX: PREFIX,
    API_TOKEN,
    METRICS_PORT: '0',
  });
  await untilHealthy(base);
  const auth = { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' };
  const created = await fetch(`${base}/api/v1/codes`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ action: 'use_existing_device', deviceId: DEVICE, usageLimit: 100 }),
  });
  expect(created.status).toBe(201);
  const { code, id } = (await created.json()) as { code: string; id: string };
  const devices: { deviceId: string; deviceToken: string }[] = [];
  for (let i = 0; i < REDEMPTIONS; i++) {
    const answer = await fetch(`${base}/api/v1/redeem`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(redeemBody(code)),
    });
    expect(answer.status).toBe(200);
    const { deviceId, deviceToken } = (await answer.json()) as Record<string, string>;
    devices.push({ deviceId: deviceId as string, deviceToken: deviceToken as string });
  }
  // Counted, each with its event in the outbox, and none emitted yet: then the kill.
  const keys = keysFor(PREFIX);
  expect(await admin.llen(keys.outbox(id))).toBe(REDEMPTIONS + 1);
  // Kept 7 days from its oldest waiting event (README), not forever.
  const keptFor = await admin.pttl(keys.outbox(id));
  expect(keptFor).toBeGreaterThan(7 * 86_400_000 - 60_000);
  expect(keptFor).toBeLessThanOrEqual(7 * 86_400_000);
  expect(await admin.exists(keys.events)).toBe(0);
  expect(await admin.keys(`${PREFIX}device:*`)).toEqual([]);
  run.child.kill('SIGKILL');
  expect(await run.exited).toBe('SIGKILL');

  const receiver = await startWebhookReceiver(SECRET);
  const next = await startTestService(
    {
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: PREFIX,
      WEBHOOK_URL: receiver.url,
      WEBHOOK_SECRET: SECRET,
    },
    { eventTiming: { pollMs: 25 } },
  );
  try {
    // A relay run the kill cut short holds its task until the lease (10 s) ends: then it is taken over.
    await receiver.waitForDeliveries(REDEMPTIONS + 1, 30_000);
    const redeemed = receiver.delivered.filter((event) => event.type === 'code.redeemed');
    // The newest redemption's token is the device's (a tie in one millisecond: the greater hash).
    const newest = devices
      .map((device, i) => ({ ...device, at: Date.parse(redeemed[i]?.at as string) }))
      .reduce((a, b) =>
        b.at > a.at ||
        (b.at === a.at && hashDeviceToken(b.deviceToken) > hashDeviceToken(a.deviceToken))
          ? b
          : a,
      );
    for (const { deviceId, deviceToken } of devices) {
      const verified = await next.call('POST', '/api/v1/devices/verify', {
        body: { deviceId, deviceToken },
      });
      expect(verified.body.valid).toBe(deviceToken === newest.deviceToken);
    }
    expect(
      (
        await next.call('POST', '/api/v1/devices/verify', {
          body: { deviceId: newest.deviceId, deviceToken: newest.deviceToken },
        })
      ).body,
    ).toMatchObject({ valid: true, deviceId: DEVICE, accountId: null });
    expect(redeemed.map((event) => event.redemption?.deviceId)).toEqual(
      devices.map((device) => device.deviceId),
    );
    // In order: each redemption's event shows the count it left (the device is the same each time).
    const counts = Array.from({ length: REDEMPTIONS }, (_, i) => i + 1);
    expect(redeemed.map((event) => event.code.timesUsed)).toEqual(counts);
    expect(receiver.delivered[0]?.type).toBe('code.created');
    const stream = (await admin.xrange(keys.events, '-', '+')).map(
      ([, fields]) =>
        JSON.parse(fields[5] as string) as { type: string; code: { timesUsed: number } },
    );
    expect(stream).toHaveLength(REDEMPTIONS + 1);
    expect(stream.slice(1).map((event) => event.code.timesUsed)).toEqual(counts);
    // The last delivery is answered before the relay takes it off the queue: wait for that.
    await expect
      .poll(() => admin.exists(keys.outbox(id), keys.webhookQueue(id)), { timeout: 5_000 })
      .toBe(0);
  } finally {
    await next.close();
    await receiver.close();
  }
}, 60_000);
