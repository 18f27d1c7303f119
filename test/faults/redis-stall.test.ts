import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keysFor } from '../../src/store/keys.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import {
  redeemBody,
  redemptionsOf,
  startTestService,
  type TestService,
} from '../support/service.js';

/**
 * Redis stalls (a pause, a sleeping or a stopped server) for longer than the service's budgets,
 * while devices redeem and people edit codes (SPEC §2, issue #8 items 1 and 2):
 * - every request is answered within 5 s of being sent, 503 `unavailable` (or 200, then counted);
 * - a 503 changed nothing, also once Redis resumes and runs the commands it held: `timesUsed`
 *   equals the number of 200s, the code's events tell exactly the devices answered 200, a create
 *   answered 503 left no code, a change answered 503 left the code as it was;
 * - the service recovers by itself, and a key answered 503 gets 200 on retry, counted once.
 *
 * "Uses counted behind a 503" shows as `timesUsed` above the number of 200s (and as a device in
 * the events whose request was not answered 200): see the assertions after the stall.
 */

/** Longer than any budget (redemption 3 s, writes 2.5 s): the requests sent ~3 s in still see it. */
const STALL_MS = 7_000;
const ANSWER_WITHIN_MS = 5_000;
const CONCURRENT = 40;

let redis: TestRedis;
let service: TestService;
/** Issues the stall and reads Redis directly; no command timeout (it waits out a stall). */
let control: Redis;
/** The redis-server's pid while we hold it stopped (SIGSTOP), so that it is always continued. */
let stoppedPid: number | null = null;

beforeEach(async () => {
  redis = await startTestRedis(['--appendonly', 'no', '--enable-debug-command', 'yes']);
  service = await startTestService({ REDIS_URL: redis.url });
  control = new Redis(redis.url);
});
afterEach(async () => {
  if (stoppedPid !== null) process.kill(stoppedPid, 'SIGCONT');
  stoppedPid = null;
  control?.disconnect();
  await service?.close();
  await redis?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Answer {
  label: string;
  /** The device name sent (redemptions), so the code's events tell which attempts Redis counted. */
  name?: string;
  key?: string;
  /** 0: no HTTP answer at all within 10 s. */
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: a parsed JSON answer, checked field by field
  body: any;
  /** From just before the request was sent to its whole answer, on this process's clock. */
  ms: number;
}

/** One HTTP request, timed from its own start; never throws, never waits past 10 s. */
async function send(
  label: string,
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const startedAt = performance.now();
  try {
    const response = await fetch(service.url + path, {
      method,
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer test-api-token-0123456789',
        ...headers,
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    return {
      label,
      status: response.status,
      body: text ? JSON.parse(text) : null,
      ms: performance.now() - startedAt,
    };
  } catch (error) {
    return { label, status: 0, body: String(error), ms: performance.now() - startedAt };
  }
}

async function redeem(code: string, name: string, key?: string): Promise<Answer> {
  const headers: Record<string, string> = key ? { 'idempotency-key': key } : {};
  const answer = await send(name, 'POST', '/api/v1/redeem', redeemBody(code, { name }), headers);
  return { ...answer, name, key };
}

async function createCode(body: Record<string, unknown>): Promise<string> {
  const created = await service.call('POST', '/api/v1/codes', { body });
  expect(created.status).toBe(201);
  return created.body.code as string;
}

async function readCode(code: string) {
  const read = await service.call('GET', `/api/v1/codes/${code}`);
  expect(read.status).toBe(200);
  return read.body as { timesUsed: number; description: string | null };
}

/** Scripts Redis has run (EVAL and EVALSHA), from its own statistics. */
async function scriptRuns(): Promise<number> {
  const stats = await control.info('commandstats');
  let runs = 0;
  for (const match of stats.matchAll(/cmdstat_(?:eval|evalsha):calls=(\d+)/g)) {
    runs += Number(match[1]);
  }
  return runs;
}

/** The code records under the service's prefix (not their history or other keys). */
async function recordCount(): Promise<number> {
  const keys = await control.keys(`${service.prefix}code:{*}`);
  return keys.filter((key) => key.endsWith('}')).length;
}

/** Every code the list shows (each stall test has only a few). */
async function listedCodes(): Promise<string[]> {
  const list = await service.call('GET', '/api/v1/codes?limit=100');
  expect(list.status).toBe(200);
  expect(list.body.nextCursor).toBeNull();
  return (list.body.codes as { code: string }[]).map((c) => c.code).sort();
}

interface Stall {
  name: string;
  /** Starts the stall; resolves once it holds. */
  begin(): Promise<void>;
  /** Ends it, for the stalls that do not end by themselves. */
  end(): Promise<void>;
}

const clientPause = (mode: 'WRITE' | 'ALL'): Stall => ({
  name: `CLIENT PAUSE ${mode}`,
  async begin() {
    await control.call('CLIENT', 'PAUSE', String(STALL_MS), mode);
  },
  async end() {},
});

const debugSleep: Stall = {
  name: 'DEBUG SLEEP',
  async begin() {
    // It answers only when the sleep is over: not awaited. It reaches Redis within milliseconds.
    control.call('DEBUG', 'SLEEP', String(STALL_MS / 1000)).catch(() => undefined);
    await sleep(100);
  },
  async end() {},
};

const sigstop: Stall = {
  name: 'SIGSTOP',
  async begin() {
    const pid = Number(/process_id:(\d+)/.exec(await control.info('server'))?.[1]);
    expect(pid).toBeGreaterThan(0);
    stoppedPid = pid;
    process.kill(pid, 'SIGSTOP');
  },
  async end() {
    if (stoppedPid !== null) process.kill(stoppedPid, 'SIGCONT');
    stoppedPid = null;
  },
};

function expectAnsweredInTime(answers: Answer[]) {
  const late = answers.filter((a) => !(a.ms < ANSWER_WITHIN_MS));
  expect(late.map((a) => ({ label: a.label, status: a.status, ms: Math.round(a.ms) }))).toEqual([]);
}

/** 503 `unavailable`, or the given success status. */
function expectUnavailableOr(success: number, answers: Answer[]) {
  const other = answers.filter(
    (a) => !(a.status === success || (a.status === 503 && a.body?.error === 'unavailable')),
  );
  expect(other.map((a) => ({ label: a.label, status: a.status, body: a.body }))).toEqual([]);
}

describe.sequential('a stall of Redis longer than the budgets', () => {
  for (const stall of [clientPause('WRITE'), clientPause('ALL'), debugSleep, sigstop]) {
    it(`${stall.name}: answers in time, 503 changes nothing, recovers`, async () => {
      const limited = await createCode({ action: 'create_device', accountId: 'a1', usageLimit: 5 });
      const edited = await createCode({
        action: 'create_device',
        accountId: 'a1',
        description: 'before',
      });
      // The service's connection is warm (the redemption script loaded), nothing left in flight.
      expect((await redeem(edited, 'warm-up')).status).toBe(200);
      await sleep(200);
      const runsBefore = await scriptRuns();

      const stallStartedAt = performance.now();
      await stall.begin();

      // One redemption alone (with a key, retried after the stall), then 40 at once with and
      // without keys, beside a create and a change of another code.
      const alone = await redeem(limited, 'alone', 'alone-key');
      const [batch, writes] = await Promise.all([
        Promise.all(
          Array.from({ length: CONCURRENT }, (_, i) =>
            redeem(limited, `batch-${i}`, i % 2 === 0 ? `batch-key-${i}` : undefined),
          ),
        ),
        Promise.all([
          send('create', 'POST', '/api/v1/codes', { action: 'create_device', accountId: 'a1' }),
          send('patch', 'PATCH', `/api/v1/codes/${edited}`, { description: 'x' }),
        ]),
      ]);
      const [create, patch] = writes;
      const allSent = performance.now();
      // All of it happened inside the stall (else the test proves less than it says).
      expect(allSent - stallStartedAt).toBeLessThan(STALL_MS - 200);

      const redemptions = [alone, ...batch];
      expectAnsweredInTime([...redemptions, create, patch]);
      expectUnavailableOr(200, redemptions);
      expectUnavailableOr(201, [create]);
      expectUnavailableOr(200, [patch]);
      // The stall held: the lone redemption could not have been served.
      expect(alone.status).toBe(503);
      // Operators see it: each 503 is counted as a Redis error of a request.
      const metrics = await (await fetch(service.metricsUrl as string)).text();
      const counted = /installcode_redis_errors_total\{kind="request"\} (\d+)/.exec(metrics)?.[1];
      expect(Number(counted)).toBeGreaterThanOrEqual(
        redemptions.filter((answer) => answer.status === 503).length,
      );

      // Redis resumes and runs what it held: the service's delayed scripts (at least one per
      // redemption) reach it now, long after their deadlines.
      await sleep(Math.max(0, stallStartedAt + STALL_MS - performance.now()));
      await stall.end();
      expect(await control.ping()).toBe('PONG');
      for (let i = 0; i < 50 && (await scriptRuns()) - runsBefore < redemptions.length; i++) {
        await sleep(100);
      }
      expect((await scriptRuns()) - runsBefore).toBeGreaterThanOrEqual(redemptions.length);
      await sleep(300);

      // Exactly the redemptions answered 200 were counted, and only their devices are told.
      const ok = redemptions.filter((a) => a.status === 200);
      expect((await readCode(limited)).timesUsed).toBe(ok.length);
      const devicesTold = (await redemptionsOf(service, limited)).map((e) => e.device.name).sort();
      expect(devicesTold).toEqual(ok.map((a) => a.name).sort());

      // A create answered 503 left no code (neither listed nor stored); one answered 201 is there.
      const expected = [limited, edited];
      if (create.status === 201) expected.push(create.body.code);
      expect(await listedCodes()).toEqual(expected.sort());
      expect(await recordCount()).toBe(expected.length);

      // A change answered 503 did not happen; one answered 200 did.
      expect((await readCode(edited)).description).toBe(patch.status === 200 ? 'x' : 'before');

      // The service recovered by itself: a new redemption is served and counted.
      const after = await redeem(limited, 'after-stall');
      expect(after.status).toBe(200);
      expect(after.body.code.timesUsed).toBe(ok.length + 1);

      // The lone redemption's key, answered 503, gets 200 on retry, counted once.
      const retry = await redeem(limited, 'alone', 'alone-key');
      expect(retry.status).toBe(200);
      expect(retry.body.code.timesUsed).toBe(ok.length + 2);
      const again = await redeem(limited, 'alone', 'alone-key');
      expect(again.status).toBe(200);
      expect(again.body.deviceId).toBe(retry.body.deviceId);
      expect((await readCode(limited)).timesUsed).toBe(ok.length + 2);
      const names = (await redemptionsOf(service, limited)).map((e) => e.device.name);
      expect(names.filter((name) => name === 'alone')).toEqual(['alone']);

      // The events tell exactly the redemptions answered 200: none behind a 503, none missing.
      const told = async () =>
        (await service.redis.xrange(keysFor(service.prefix).events, '-', '+'))
          .map(([, fields]) => JSON.parse(fields[5] as string))
          .filter((e) => e.type === 'code.redeemed' && e.code.code === limited)
          .map((e) => e.redemption.device.name as string)
          .sort();
      const answered200 = [...ok.map((a) => a.name), 'after-stall', 'alone'].sort();
      await expect.poll(told, { timeout: 10_000 }).toEqual(answered200);
    });
  }
});
