import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { RedisClient } from '../../src/store/connection.js';
import type { Keys } from '../../src/store/keys.js';
import { type Reminder, ReminderLog } from '../../src/store/reminders.js';
import { connectTestRedis, freshKeys } from '../support/store-redis.js';

/**
 * Two runs of a code's reminder task can overlap on two replicas (a change comes in during one):
 * a reminder is sent by the run that takes it, once; and still sent if that run dies or fails.
 */

let redis: RedisClient;
let keys: Keys;
let log: ReminderLog;
const NOW = Date.parse('2026-11-26T12:00:00Z');
const limit: Reminder = { kind: 'limit', about: NOW - 1_000 };

beforeAll(async () => {
  redis = await connectTestRedis();
});
afterAll(() => redis?.quit());
beforeEach(() => {
  keys = freshKeys();
  log = new ReminderLog(redis, keys);
});

it('lets one run take a reminder; the other run, and any run once it is sent, leave it', async () => {
  const removal = NOW + 86_400_000;
  const [first, second] = await Promise.all([
    log.claim('CODE1', limit, NOW, removal),
    log.claim('CODE1', limit, NOW, removal),
  ]);
  expect([first, second]).toContain('taken');
  expect([first, second]).toContainEqual({ heldUntil: NOW + 30_000 });
  await log.sent('CODE1', limit, NOW, removal);
  expect(await log.claim('CODE1', limit, NOW + 60_000, removal)).toBe('sent');
  expect(await log.of('CODE1')).toEqual({ sent: new Set([`limit:${limit.about}`]), muted: null });
  // The hash lives as long as the code, and a day.
  expect(Number(await redis.call('PEXPIRETIME', keys.reminders('CODE1')))).toBe(
    removal + 86_400_000,
  );
});

it('gives a reminder to a later run when the run that took it died, or could not send it', async () => {
  expect(await log.claim('CODE2', limit, NOW, null)).toBe('taken');
  // Not while the hold stands (the claim says until when), but once it ended (the replica died
  // while sending).
  expect(await log.claim('CODE2', limit, NOW + 10_000, null)).toEqual({ heldUntil: NOW + 30_000 });
  expect(await log.claim('CODE2', limit, NOW + 30_001, null)).toBe('taken');
  // A run that could not send lets it go at once, for the task's retry.
  await log.release('CODE2', limit);
  expect(await log.claim('CODE2', limit, NOW + 30_002, null)).toBe('taken');
  // Holds are not sent reminders, and a code without an end keeps its hash.
  expect((await log.of('CODE2')).sent.size).toBe(0);
  expect(await redis.pttl(keys.reminders('CODE2'))).toBe(-1);
});
