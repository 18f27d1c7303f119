import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { redisTimeMs, stepClock } from '../support/clock-steps.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import {
  redeemBody,
  redemptionsOf,
  startTestService,
  type TestService,
} from '../support/service.js';

/**
 * Redis's clock steps (an NTP step, a VM restore, a failover to a host whose clock is behind)
 * while codes are used (SPEC §2): without a delay `timesUsed` never exceeds `usageLimit`, and
 * time never runs backwards for a code, so a step back neither reopens a used-up or expired code
 * nor lengthens a delay that was seen to be over. Redis runs under the clock-shift shim, with an
 * append-only file so that one test can restart it with its clock behind.
 */

const MINUTE = 60_000;
let redis: TestRedis;
let service: TestService;
let client: Redis;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'installcode-clock-steps-'));
  // Later arguments override the helper's `--appendonly no`.
  redis = await startTestRedis(['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir], {
    clockShift: true,
  });
  service = await startTestService({ REDIS_URL: redis.url });
  client = new Redis(redis.url);
});
afterEach(async () => {
  await stepClock(redis, service, 0);
});
afterAll(async () => {
  client?.disconnect();
  await service?.close();
  await redis?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const step = (offsetMs: number) => stepClock(redis, service, offsetMs);

async function createCode(body: Record<string, unknown>): Promise<string> {
  const created = await service.call('POST', '/api/v1/codes', {
    body: { action: 'create_device', accountId: 'acct-clock', ...body },
  });
  expect(created.status).toBe(201);
  return created.body.code as string;
}

async function redeem(code: string) {
  const answer = await service.call('POST', '/api/v1/redeem', { body: redeemBody(code) });
  return { status: answer.status, error: answer.body.error as string | undefined };
}

async function view(code: string) {
  const read = await service.call('GET', `/api/v1/codes/${code}`);
  expect(read.status).toBe(200);
  return read.body as {
    status: string;
    timesUsed: number;
    updatedAt: string;
    lastUsedAt: string | null;
    createdAt: string;
    version: number;
  };
}

const USED_UP = { status: 410, error: 'code_used_up' };
const EXPIRED = { status: 410, error: 'code_expired' };

it('a hard limit of 1, used, stays used up when the clock steps back 10 minutes', async () => {
  const code = await createCode({ usageLimit: 1 });
  expect(await redeem(code)).toEqual({ status: 200, error: undefined });

  await step(-10 * MINUTE);
  for (let i = 0; i < 5; i++) expect(await redeem(code)).toEqual(USED_UP);
  expect(await view(code)).toMatchObject({ status: 'used_up', timesUsed: 1 });
  expect(await redemptionsOf(service, code)).toHaveLength(1);
});

it('stays used up across a restart of Redis whose clock comes back 10 minutes behind', async () => {
  const code = await createCode({ usageLimit: 1 });
  expect(await redeem(code)).toEqual({ status: 200, error: undefined });
  const before = await view(code);

  // The server comes back from its append-only file with its clock behind (a VM restore).
  await redis.shiftClock(-10 * MINUTE);
  await redis.kill();
  await redis.start();
  expect(Date.now() - (await redisTimeMs(client))).toBeGreaterThan(10 * MINUTE - 1_000);
  let ready = 0;
  for (let i = 0; i < 100 && ready !== 200; i++) {
    ready = (await service.call('GET', '/readyz')).status;
    if (ready !== 200) await sleep(100);
  }
  expect(ready).toBe(200);
  await service.clock.probe();
  await service.clock.probe();

  expect(await view(code)).toMatchObject({ status: 'used_up', timesUsed: 1 });
  for (let i = 0; i < 5; i++) expect(await redeem(code)).toEqual(USED_UP);
  const after = await view(code);
  expect(after).toMatchObject({ status: 'used_up', timesUsed: 1, lastUsedAt: before.lastUsedAt });
  expect(await redemptionsOf(service, code)).toHaveLength(1);
});

it('an expired code stays expired when the clock steps back 10 minutes', async () => {
  // expiresAt must lie ahead on Redis's clock when it is set.
  const expiresAt = (await redisTimeMs(client)) + 1_500;
  const code = await createCode({ expiresAt: new Date(expiresAt).toISOString() });
  expect(await redeem(code)).toEqual({ status: 200, error: undefined });

  let outcome = await redeem(code);
  for (let i = 0; i < 50 && outcome.status === 200; i++) {
    await sleep(100);
    outcome = await redeem(code);
  }
  expect(outcome).toEqual(EXPIRED);
  const used = (await view(code)).timesUsed;
  expect(used).toBeGreaterThanOrEqual(1);

  await step(-10 * MINUTE);
  expect(await redisTimeMs(client)).toBeLessThan(expiresAt - 9 * MINUTE);
  for (let i = 0; i < 3; i++) expect(await redeem(code)).toEqual(EXPIRED);
  expect(await view(code)).toMatchObject({ status: 'expired', timesUsed: used });
});

it('a delay seen to be over is not lengthened when the clock steps back', async () => {
  const code = await createCode({ usageLimit: 1, usageLimitDelaySeconds: 60 });
  expect(await redeem(code)).toEqual({ status: 200, error: undefined });
  // Inside the delay: still usable (grace).
  expect(await view(code)).toMatchObject({ status: 'grace', timesUsed: 1 });
  expect(await redeem(code)).toEqual({ status: 200, error: undefined });

  await step(2 * MINUTE);
  expect(await redeem(code)).toEqual(USED_UP);
  expect(await view(code)).toMatchObject({ status: 'used_up', timesUsed: 2 });

  await step(-10 * MINUTE);
  for (let i = 0; i < 3; i++) expect(await redeem(code)).toEqual(USED_UP);
  expect(await view(code)).toMatchObject({ status: 'used_up', timesUsed: 2 });
  expect(await redemptionsOf(service, code)).toHaveLength(2);
});

it('updatedAt, lastUsedAt and history never go backwards after a step forward then back', async () => {
  await step(10 * MINUTE);
  const code = await createCode({});
  expect(await redeem(code)).toEqual({ status: 200, error: undefined });
  const ahead = await view(code);

  // 20 minutes back: an edit and a use happen "before" what the code already recorded.
  await step(-10 * MINUTE);
  const edited = await service.call('PATCH', `/api/v1/codes/${code}`, {
    body: { description: 'edited with the clock behind' },
  });
  expect(edited.status).toBe(200);
  const afterEdit = await view(code);
  expect(afterEdit.version).toBe(ahead.version + 1);
  expect(Date.parse(afterEdit.updatedAt)).toBeGreaterThanOrEqual(Date.parse(ahead.updatedAt));
  expect(Date.parse(afterEdit.updatedAt)).toBeGreaterThanOrEqual(
    Date.parse(ahead.lastUsedAt as string),
  );

  expect(await redeem(code)).toEqual({ status: 200, error: undefined });
  const afterUse = await view(code);
  expect(afterUse.timesUsed).toBe(2);
  expect(Date.parse(afterUse.lastUsedAt as string)).toBeGreaterThanOrEqual(
    Date.parse(ahead.lastUsedAt as string),
  );
  expect(Date.parse(afterUse.lastUsedAt as string)).toBeGreaterThanOrEqual(
    Date.parse(afterEdit.updatedAt),
  );

  // A second edit, the clock still behind: updatedAt keeps up with the latest instant.
  const again = await service.call('PATCH', `/api/v1/codes/${code}`, {
    body: { description: 'edited again' },
  });
  expect(again.status).toBe(200);
  const last = await view(code);
  expect(Date.parse(last.updatedAt)).toBeGreaterThanOrEqual(
    Date.parse(afterUse.lastUsedAt as string),
  );

  // The history, newest first, is in order of time: created, redeemed, updated, redeemed, updated.
  const history = await service.call('GET', `/api/v1/codes/${code}/history`);
  expect(history.status).toBe(200);
  const events = history.body.events as { at: string; type: string }[];
  expect(events.map((e) => e.type)).toEqual([
    'updated',
    'redeemed',
    'updated',
    'redeemed',
    'created',
  ]);
  const times = events.map((e) => Date.parse(e.at)).reverse();
  for (let i = 1; i < times.length; i++) {
    expect(times[i]).toBeGreaterThanOrEqual(times[i - 1] as number);
  }
});

it('20 concurrent redemptions of a hard limit of 3, the clock stepping back mid-way: exactly 3 succeed', async () => {
  for (const [from, to] of [
    [0, -10 * MINUTE],
    [-10 * MINUTE, -20 * MINUTE],
    [5 * MINUTE, -5 * MINUTE],
  ] as const) {
    await step(from);
    const code = await createCode({ usageLimit: 3 });
    // Ten attempts start 2 ms apart; once the first is answered the clock steps back, while the
    // others are in flight; ten more start 1 ms apart as soon as the step is done.
    let firstAnswered: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => {
      firstAnswered = resolve;
    });
    let stepped: () => void = () => undefined;
    const afterStep = new Promise<void>((resolve) => {
      stepped = resolve;
    });
    const attempt = async (wait: Promise<void>, delayMs: number) => {
      await wait;
      await sleep(delayMs);
      const startedAt = Date.now();
      const outcome = await redeem(code);
      firstAnswered();
      return { ...outcome, startedAt, endedAt: Date.now() };
    };
    const attempts = Promise.all([
      ...Array.from({ length: 10 }, (_, i) => attempt(Promise.resolve(), 2 * i)),
      ...Array.from({ length: 10 }, (_, i) => attempt(afterStep, i)),
    ]);
    await answered;
    const stepStartedAt = Date.now();
    await redis.shiftClock(to);
    const stepEndedAt = Date.now();
    stepped();
    const timed = await attempts;
    const outcomes = timed.map(({ status, error }) => ({ status, error }));
    await service.clock.probe();

    // Some attempts were answered before the step began, and at least ten began after it.
    expect(timed.some((a) => a.endedAt <= stepStartedAt)).toBe(true);
    expect(timed.filter((a) => a.startedAt >= stepEndedAt).length).toBeGreaterThanOrEqual(10);
    expect(outcomes.filter((o) => o.status === 200)).toHaveLength(3);
    expect(outcomes.filter((o) => o.status !== 200)).toEqual(Array(17).fill(USED_UP));
    expect(await view(code)).toMatchObject({ status: 'used_up', timesUsed: 3 });
    expect(await redemptionsOf(service, code)).toHaveLength(3);
    // And after the step, still used up.
    expect(await redeem(code)).toEqual(USED_UP);
  }
});
