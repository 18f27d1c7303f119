import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import {
  redeemBody,
  redemptionsOf,
  startTestService,
  type TestService,
} from '../support/service.js';

/**
 * Redis crashes (SIGKILL) and comes back while devices redeem: the service answers every request
 * (503 `unavailable` within 5 s during the outage), recovers without a restart of its own, and
 * never counts a redemption it did not answer with 200, nor goes past a usage limit.
 */

let redis: TestRedis;
let service: TestService;

beforeAll(async () => {
  // Append-only file, fsync on every write: what Redis acknowledged survives the crash.
  const dir = mkdtempSync(join(tmpdir(), 'installcode-restart-'));
  redis = await startTestRedis(['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir]);
  service = await startTestService({ REDIS_URL: redis.url });
});
afterAll(async () => {
  await service?.close();
  await redis?.stop();
});

interface Attempt {
  /** The device name sent, unique per attempt, so the code's events show which attempts were counted. */
  name: string;
  /** 0 when no HTTP answer came at all (connection refused, reset or hung past the abort). */
  status: number;
  error?: string;
  deviceId?: string;
  startedAt: number;
  endedAt: number;
}

let attemptCount = 0;

/** A redemption over real HTTP with its own Idempotency-Key; never throws. */
async function attempt(code: string): Promise<Attempt> {
  const name = `attempt-${++attemptCount}`;
  const startedAt = Date.now();
  try {
    const response = await fetch(`${service.url}/api/v1/redeem`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify(redeemBody(code, { name })),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as { error?: string; deviceId?: string };
    return {
      name,
      status: response.status,
      error: body.error,
      deviceId: body.deviceId,
      startedAt,
      endedAt: Date.now(),
    };
  } catch (error) {
    return { name, status: 0, error: String(error), startedAt, endedAt: Date.now() };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function createCode(body: Record<string, unknown>): Promise<string> {
  const created = await service.call('POST', '/api/v1/codes', { body });
  expect(created.status).toBe(201);
  return created.body.code as string;
}

async function readCode(code: string) {
  const read = await service.call('GET', `/api/v1/codes/${code}`);
  expect(read.status).toBe(200);
  return read.body as { timesUsed: number; usageLimit: number };
}

/** When the latest kill finished (Redis gone). */
let killedAt = 0;

/**
 * The attempts Redis counted (the code's redemptions its events tell, by the name each attempt
 * sent) that were not answered 200: each is a redemption the device was told had failed.
 */
async function countedWithout200(code: string, all: Attempt[]) {
  const names = new Set((await redemptionsOf(service, code)).map((entry) => entry.device.name));
  return all
    .filter((a) => names.has(a.name) && a.status !== 200)
    .map((a) => ({
      status: a.status,
      error: a.error,
      startedMsAfterKill: a.startedAt - killedAt,
      tookMs: a.endedAt - a.startedAt,
    }));
}

/** Until the service reports Redis ready again (bounded). */
async function untilReady(): Promise<void> {
  let status = 0;
  for (let i = 0; i < 100 && status !== 200; i++) {
    status = (await service.call('GET', '/readyz')).status;
    if (status !== 200) await sleep(100);
  }
  expect(status).toBe(200);
}

it('under redemption load, a killed and restarted Redis costs only 503s, and the count stays exact', async () => {
  const limit = 300;
  const code = await createCode({
    action: 'create_device',
    accountId: 'acct-load',
    usageLimit: limit,
  });

  const CLIENTS = 8;
  const LOAD_MS = 4_000;
  /** Each client pauses between attempts, so the limit cannot be used up before the restart. */
  const PAUSE_MS = 50;
  const started = Date.now();
  const attempts: Attempt[] = [];
  const client = async () => {
    while (Date.now() - started < LOAD_MS && attempts.length < 5_000) {
      attempts.push(await attempt(code));
      await sleep(PAUSE_MS);
    }
  };
  const chaos = async () => {
    await sleep(1_000);
    await redis.kill();
    killedAt = Date.now();
    await sleep(1_000);
    const restartingAt = Date.now();
    await redis.start();
    return { killedAt, restartingAt, restartedAt: Date.now() };
  };
  const [outage] = await Promise.all([chaos(), ...Array.from({ length: CLIENTS }, () => client())]);

  // Every request got an HTTP answer, each within 5 s, and only the expected ones.
  expect(attempts.filter((a) => a.status === 0)).toEqual([]);
  for (const a of attempts) expect(a.endedAt - a.startedAt).toBeLessThan(5_000);
  const unexpected = attempts.filter(
    (a) =>
      !(a.status === 200 || (a.status === 503 && a.error === 'unavailable')) &&
      !(a.status === 410 && a.error === 'code_used_up'),
  );
  expect(unexpected).toEqual([]);

  // While Redis was down, every answer was 503 unavailable.
  const duringOutage = attempts.filter(
    (a) => a.startedAt >= outage.killedAt && a.endedAt <= outage.restartingAt,
  );
  expect(duringOutage.length).toBeGreaterThan(0);
  for (const a of duringOutage)
    expect({ status: a.status, error: a.error }).toEqual({
      status: 503,
      error: 'unavailable',
    });

  // Redemptions succeeded before the crash, and again after the restart: the service recovered alone.
  const ok = attempts.filter((a) => a.status === 200);
  expect(ok.some((a) => a.endedAt <= outage.killedAt)).toBe(true);
  expect(ok.some((a) => a.startedAt >= outage.restartedAt)).toBe(true);

  // Each 200 is one counted redemption with a device of its own, and nothing else was counted:
  // no attempt answered 503 (or anything but 200) was counted by Redis all the same.
  await untilReady();
  const stored = await readCode(code);
  expect(new Set(ok.map((a) => a.deviceId)).size).toBe(ok.length);
  expect(await countedWithout200(code, attempts)).toEqual([]);
  expect(stored.timesUsed).toBe(ok.length);
  expect(stored.timesUsed).toBeLessThanOrEqual(limit);

  // The service still answers normally.
  expect((await service.call('GET', '/healthz')).status).toBe(200);
}, 20_000);

it('a limit of 7 holds for 40 concurrent redemptions across a kill and a restart', async () => {
  const limit = 7;
  const code = await createCode({
    action: 'create_device',
    accountId: 'acct-seven',
    usageLimit: limit,
  });

  // 40 redemptions started a few milliseconds apart; Redis is killed while they run.
  const firstWave = Promise.all(
    Array.from({ length: 40 }, async (_, i) => {
      await sleep(i * 2);
      return attempt(code);
    }),
  );
  await sleep(25);
  await redis.kill();
  killedAt = Date.now();
  await sleep(1_000);
  await redis.start();
  const first = await firstWave;
  await untilReady();

  // Another 40 at once after the restart, then the count.
  const second = await Promise.all(Array.from({ length: 40 }, () => attempt(code)));
  const all = [...first, ...second];
  expect(all.filter((a) => a.status === 0)).toEqual([]);
  for (const a of all) {
    expect([200, 410, 503]).toContain(a.status);
    if (a.status === 503) expect(a.error).toBe('unavailable');
    if (a.status === 410) expect(a.error).toBe('code_used_up');
  }

  const ok = all.filter((a) => a.status === 200);
  const stored = await readCode(code);
  expect(ok.length).toBeLessThanOrEqual(limit);
  expect(stored.timesUsed).toBeLessThanOrEqual(limit);
  // After the restart the remaining uses were handed out: exactly the limit in the end, and
  // each of them to a device that was told 200.
  expect(stored.timesUsed).toBe(limit);
  expect(await countedWithout200(code, all)).toEqual([]);
  expect(stored.timesUsed).toBe(ok.length);
}, 20_000);
