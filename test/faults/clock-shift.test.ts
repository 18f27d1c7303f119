import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';

/**
 * The clock-shift shim steps a running Redis's wall clock (an NTP step, a VM restore, a failover
 * to a host behind) while it keeps its data, so the clock tests can trust what they play.
 */

const tenMinutes = 10 * 60_000;
let redis: TestRedis;
let client: Redis;

beforeAll(async () => {
  redis = await startTestRedis([], { clockShift: true });
  client = new Redis(redis.url);
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

async function redisNowMs(): Promise<number> {
  const [seconds, micros] = await client.time();
  return Number(seconds) * 1000 + Number(micros) / 1000;
}

async function processId(): Promise<string | undefined> {
  return /process_id:(\d+)/.exec(await client.info('server'))?.[1];
}

it('steps TIME back 10 minutes and forward again at runtime, keeping the data', async () => {
  const pid = await processId();
  await client.set('clock-shift:kept', 'still here');

  await redis.shiftClock(-tenMinutes);
  expect(Date.now() - (await redisNowMs())).toBeGreaterThan(tenMinutes - 1_000);
  expect(Date.now() - (await redisNowMs())).toBeLessThan(tenMinutes + 1_000);

  await redis.shiftClock(0);
  expect(Math.abs(Date.now() - (await redisNowMs()))).toBeLessThan(1_000);

  expect(await client.get('clock-shift:kept')).toBe('still here');
  expect(await processId()).toBe(pid);
});

it('expires keys by the shifted clock', async () => {
  await redis.shiftClock(0);
  await client.set('clock-shift:expiring', 'x');
  await client.pexpireat('clock-shift:expiring', Date.now() + 5_000);

  await redis.shiftClock(-tenMinutes);
  const ttlBehind = await client.pttl('clock-shift:expiring');
  expect(ttlBehind).toBeGreaterThan(tenMinutes + 4_000);
  expect(ttlBehind).toBeLessThanOrEqual(tenMinutes + 5_000);

  await redis.shiftClock(0);
  const ttlOnTime = await client.pttl('clock-shift:expiring');
  expect(ttlOnTime).toBeGreaterThan(4_000);
  expect(ttlOnTime).toBeLessThanOrEqual(5_000);

  // A step forward past the expiry: the key is gone at once, as Redis removes it on access.
  await redis.shiftClock(tenMinutes);
  expect(await client.exists('clock-shift:expiring')).toBe(0);
});

it('keeps the shift when the server crashes and starts again', async () => {
  await redis.shiftClock(-tenMinutes);
  await redis.kill();
  await redis.start();
  expect(Date.now() - (await redisNowMs())).toBeGreaterThan(tenMinutes - 1_000);
  await redis.shiftClock(0);
});

it('refuses shiftClock on a server started without the shim', async () => {
  const plain = await startTestRedis();
  try {
    await expect(plain.shiftClock(-tenMinutes)).rejects.toThrow(/clockShift: true/);
  } finally {
    await plain.stop();
  }
});
