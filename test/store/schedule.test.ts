import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import type { RedisClient } from '../../src/store/connection.js';
import type { Keys } from '../../src/store/keys.js';
import { RedisClock } from '../../src/store/redis-clock.js';
import { Schedule } from '../../src/store/schedule.js';
import { connectTestRedis, freshKeys } from '../support/store-redis.js';

/**
 * Issue 10 §2: what must happen at an instant comes from a schedule in Redis that every replica
 * polls and claims atomically: never lost across a restart, never done twice, at most a minute late.
 */

let redis: RedisClient;
let clock: RedisClock;
let keys: Keys;
const logger = createLogger('silent', new Writable({ write: (_c, _e, done) => done() }));

beforeAll(async () => {
  redis = await connectTestRedis();
  clock = new RedisClock(redis);
  await clock.probe();
});
afterAll(() => redis?.quit());
beforeEach(() => {
  keys = freshKeys();
});

/** A replica's schedule, recording what it ran. */
function replica(options: ConstructorParameters<typeof Schedule>[4] = {}) {
  const schedule = new Schedule(redis, keys.schedule, clock, logger, options);
  const ran: string[] = [];
  return { schedule, ran };
}

it('runs a due task once, though two replicas poll at the same time', async () => {
  const a = replica();
  const b = replica();
  for (const r of [a, b]) {
    r.schedule.handle('card', async (subject) => {
      r.ran.push(subject);
      await new Promise((resolve) => setTimeout(resolve, 20));
      return null;
    });
  }
  const now = await clock.now();
  for (let i = 0; i < 50; i++) await a.schedule.at('card', `c${i}`, now - 1);
  await Promise.all([a.schedule.runDue(), b.schedule.runDue(), a.schedule.runDue()]);
  const all = [...a.ran, ...b.ran].sort();
  expect(all).toHaveLength(50);
  expect(new Set(all).size).toBe(50);
  expect(a.ran.length).toBeGreaterThan(0);
  expect(b.ran.length).toBeGreaterThan(0);
  expect(await redis.zcard(keys.schedule)).toBe(0);
});

it('leaves a task that is not due yet, and runs it once it is', async () => {
  const r = replica();
  r.schedule.handle('card', async (subject) => {
    r.ran.push(subject);
    return null;
  });
  await r.schedule.at('card', 'later', (await clock.now()) + 400);
  await r.schedule.runDue();
  expect(r.ran).toEqual([]);
  await new Promise((resolve) => setTimeout(resolve, 450));
  await r.schedule.runDue();
  expect(r.ran).toEqual(['later']);
});

it('keeps a task across a restart: a new replica runs what an old one scheduled', async () => {
  const old = replica();
  await old.schedule.at('card', 'kept', (await clock.now()) - 1);
  await old.schedule.stop();
  const fresh = replica();
  fresh.schedule.handle('card', async (subject) => {
    fresh.ran.push(subject);
    return null;
  });
  await fresh.schedule.runDue();
  expect(fresh.ran).toEqual(['kept']);
});

it('hands a task over when the replica that claimed it died, once its lease is up', async () => {
  // The dying replica has a connection of its own, cut while its task runs: it renews no more.
  const dyingRedis = await connectTestRedis();
  const dying = {
    schedule: new Schedule(dyingRedis, keys.schedule, clock, logger, { leaseMs: 300 }),
  };
  dying.schedule.handle('card', () => new Promise(() => undefined)); // never finishes
  await dying.schedule.at('card', 'orphan', (await clock.now()) - 1);
  void dying.schedule.runDue();
  await new Promise((resolve) => setTimeout(resolve, 50));
  dyingRedis.disconnect();
  const other = replica({ leaseMs: 300 });
  other.schedule.handle('card', async (subject) => {
    other.ran.push(subject);
    return null;
  });
  // Asked for meanwhile (as the relay's sweep asks): marked, not run alongside.
  await other.schedule.at('card', 'orphan', 0);
  await other.schedule.runDue();
  expect(other.ran, 'not while the lease stands').toEqual([]);
  await new Promise((resolve) => setTimeout(resolve, 320));
  await other.schedule.runDue();
  expect(other.ran).toEqual(['orphan']);
});

it("leases a claimed task for 10 s by default: a dead replica's tasks wait no longer (README)", async () => {
  const r = replica();
  let release = () => {};
  const held = new Promise<null>((resolve) => {
    release = () => resolve(null);
  });
  r.schedule.handle('card', () => held);
  await r.schedule.at('card', 'leased', (await clock.now()) - 1);
  const run = r.schedule.runDue();
  await expect
    .poll(async () => (await r.schedule.dueAt('card', 'leased')) ?? 0)
    .toBeGreaterThan(await clock.now());
  const leaseEnd = (await r.schedule.dueAt('card', 'leased')) ?? 0;
  const now = await clock.now();
  expect(leaseEnd - now).toBeGreaterThan(9_000);
  expect(leaseEnd - now).toBeLessThanOrEqual(10_001);
  release();
  await run;
});

it('keeps a task that runs longer than its lease to its replica, which renews the lease', async () => {
  const [a, b] = [replica({ leaseMs: 300 }), replica({ leaseMs: 300 })];
  let release = () => {};
  const held = new Promise<null>((resolve) => {
    release = () => resolve(null);
  });
  a.schedule.handle('card', (subject) => {
    a.ran.push(subject);
    return held;
  });
  b.schedule.handle('card', async (subject) => {
    b.ran.push(subject);
    return null;
  });
  await a.schedule.at('card', 'slow', (await clock.now()) - 1);
  const first = a.schedule.runDue();
  // Three leases long, b polling all the while.
  for (let i = 0; i < 9; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    await b.schedule.runDue();
  }
  expect(b.ran).toEqual([]);
  release();
  await first;
  expect(await redis.zcard(keys.schedule), 'done, and gone from the set').toBe(0);
});

it('lets a run that never ends keep its task no longer than maxRunMs: then another replica takes it', async () => {
  const stuck = replica({ leaseMs: 150, maxRunMs: 400 });
  stuck.schedule.handle('card', () => new Promise(() => undefined));
  const other = replica({ leaseMs: 150 });
  other.schedule.handle('card', async (subject) => {
    other.ran.push(subject);
    return null;
  });
  await stuck.schedule.at('card', 'stuck', (await clock.now()) - 1);
  void stuck.schedule.runDue();
  await new Promise((resolve) => setTimeout(resolve, 300));
  await other.schedule.runDue();
  expect(other.ran, 'renewed while within maxRunMs').toEqual([]);
  await new Promise((resolve) => setTimeout(resolve, 450));
  await other.schedule.runDue();
  expect(other.ran).toEqual(['stuck']);
});

it('reschedules a task when its handler says when, and keeps a sooner instant set while it ran', async () => {
  const r = replica();
  let changedMeanwhile = false;
  r.schedule.handle('card', async (subject, now) => {
    r.ran.push(subject);
    if (subject === 'busy' && !changedMeanwhile) {
      changedMeanwhile = true;
      await r.schedule.at('card', 'busy', now); // a change came in while it ran
    }
    return now + 60_000;
  });
  const now = await clock.now();
  await r.schedule.at('card', 'calm', now - 1);
  await r.schedule.at('card', 'busy', now - 1);
  await r.schedule.runDue();
  const calmDue = (await r.schedule.dueAt('card', 'calm')) ?? 0;
  expect(calmDue - now).toBeGreaterThan(55_000);
  // The change made while 'busy' ran is not lost: the same poll runs it again once that run
  // ended, and then it is due when its handler said.
  expect(r.ran.filter((s) => s === 'busy').length).toBe(2);
  const busyDue = (await r.schedule.dueAt('card', 'busy')) ?? 0;
  expect(busyDue - now).toBeGreaterThan(55_000);
});

it('retries a task whose handler failed, later, instead of dropping it', async () => {
  const r = replica();
  r.schedule.handle('card', async () => {
    throw new Error('slack said no');
  });
  const now = await clock.now();
  await r.schedule.at('card', 'flaky', now - 1);
  await r.schedule.runDue();
  const due = (await r.schedule.dueAt('card', 'flaky')) ?? 0;
  expect(due).toBeGreaterThan(now + 20_000);
});

it('makes a task sooner, never later, when it is scheduled again', async () => {
  const r = replica();
  const now = await clock.now();
  await r.schedule.at('card', 'x', now + 10_000);
  await r.schedule.at('card', 'x', now + 50_000);
  expect(await r.schedule.dueAt('card', 'x')).toBe(now + 10_000);
  await r.schedule.at('card', 'x', now + 1_000);
  expect(await r.schedule.dueAt('card', 'x')).toBe(now + 1_000);
});

it('makes a task due at once with now, also one planned far ahead, and runs it again when asked during its run', async () => {
  const r = replica({ concurrent: true });
  let runs = 0;
  r.schedule.handle('outbox', async (subject) => {
    r.ran.push(subject);
    runs += 1;
    // A second now() while the first run is under way: that run's end must not swallow it.
    if (runs === 1) await r.schedule.now('outbox', subject);
    return null;
  });
  await r.schedule.at('outbox', 'x', (await clock.now()) + 3_600_000);
  await r.schedule.now('outbox', 'x');
  // now() started a poll; the second run comes once the first has ended.
  await expect
    .poll(async () => {
      await r.schedule.runDue();
      return r.ran;
    })
    .toEqual(['x', 'x']);
  expect(await r.schedule.dueAt('outbox', 'x')).toBeNull();
});

it('never runs a task alongside itself: asked for during its run, it runs again after that run', async () => {
  const [a, b] = [replica(), replica()];
  let running = 0;
  let most = 0;
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  for (const r of [a, b]) {
    r.schedule.handle('remind', async (subject) => {
      r.ran.push(subject);
      running += 1;
      most = Math.max(most, running);
      if (a.ran.length + b.ran.length === 1) await held;
      running -= 1;
      return null;
    });
  }
  await a.schedule.at('remind', 'x', (await clock.now()) - 1);
  const first = a.schedule.runDue();
  await expect.poll(() => a.ran.length).toBe(1);
  // A change while it runs (as a redemption reaching the limit): the other replica polls.
  await b.schedule.at('remind', 'x', 0);
  await b.schedule.runDue();
  expect(b.ran).toEqual([]);
  release();
  await first;
  // Due again at once, so the change is not lost: it runs once more, after.
  await b.schedule.runDue();
  expect([...a.ran, ...b.ran]).toEqual(['x', 'x']);
  expect(most).toBe(1);
  expect(await redis.zcard(keys.schedule)).toBe(0);
});
