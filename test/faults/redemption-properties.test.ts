import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeTime, limitEndsAt, statusAt } from '../../src/codes/lifetime.js';
import type { InstallCode } from '../../src/codes/model.js';
import { redisTimeMs, stepClock } from '../support/clock-steps.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { redeemBody, startTestService, type TestService } from '../support/service.js';

/**
 * The shape of issue #8: the redemption script and `statusAt` (what staff see) agree, whatever
 * Redis's clock does. Random codes (limits, delays, expiries) are redeemed a random number of
 * times while Redis's clock steps forward and back by up to two days between redemptions. Before
 * each redemption the code is read and its status computed at Redis's TIME; the redemption's
 * answer must be the one that status calls for. Between redemptions the code is disabled or
 * enabled at random: disabled refuses (403) only while the code is usable otherwise, and counts nothing. After each: `timesUsed` is the number of 200s,
 * never above a hard limit, and the code's time (its latest recorded instant) never goes back.
 */

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;
/** More than the time between our reading of Redis's TIME and the script's, even on a busy CI. */
const MARGIN_MS = 2 * SECOND;

let redis: TestRedis;
let service: TestService;
let client: Redis;
/** The shift Redis's clock has now, from real time. */
let shift = 0;

beforeAll(async () => {
  redis = await startTestRedis([], { clockShift: true });
  service = await startTestService({ REDIS_URL: redis.url });
  client = new Redis(redis.url);
});
afterAll(async () => {
  client?.disconnect();
  await service?.close();
  await redis?.stop();
});

async function stepTo(offsetMs: number): Promise<void> {
  shift = offsetMs;
  await stepClock(redis, service, offsetMs);
}

/** Shifts of Redis's clock from real time: up to two days either way, often only minutes. */
const clockShift = fc.oneof(
  fc.integer({ min: -2 * DAY, max: 2 * DAY }),
  fc.integer({ min: -15 * MINUTE, max: 15 * MINUTE }),
  fc.integer({ min: -3 * MINUTE, max: 3 * MINUTE }),
  fc.constant(0),
);

const scenario = fc
  .record({
    startShift: clockShift,
    usageLimit: fc.option(fc.integer({ min: 1, max: 5 }), { nil: null }),
    delaySeconds: fc.option(
      fc.oneof(fc.integer({ min: 60, max: 600 }), fc.integer({ min: 60, max: DAY / SECOND })),
      { nil: null },
    ),
    /** Minutes from creation (on Redis's clock) to expiry. */
    expiresInMinutes: fc.option(fc.integer({ min: 1, max: 120 }), { nil: null }),
    /** Before each redemption, the clock steps to a new shift or stays. */
    steps: fc.array(fc.option(clockShift, { nil: null }), { minLength: 1, maxLength: 8 }),
    /** Before each redemption, the code is enabled (true) or disabled (false) over the API. */
    enabledAt: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
  })
  .map((s) => ({ ...s, delaySeconds: s.usageLimit === null ? null : s.delaySeconds }));

type Outcome = { status: number; error?: string };

function expectedOutcome(status: ReturnType<typeof statusAt>): Outcome {
  switch (status) {
    case 'active':
    case 'grace':
      return { status: 200 };
    case 'used_up':
      return { status: 410, error: 'code_used_up' };
    case 'expired':
      return { status: 410, error: 'code_expired' };
    case 'disabled':
      return { status: 403, error: 'code_disabled' };
  }
}

/**
 * Whether a status boundary (expiry, end of the limit) could be crossed between our reading of
 * TIME and the script's: the script's time lies between the code's time at `now` and at
 * `now + MARGIN_MS` (Redis's clock does not step in between, and the code's time never decreases).
 */
function nearBoundary(code: InstallCode, now: number): boolean {
  const from = codeTime(code, now);
  const to = codeTime(code, now + MARGIN_MS);
  return [code.expiresAt, limitEndsAt(code)].some((b) => b !== null && from < b && b <= to);
}

/** A redemption over real HTTP; a 200's error is undefined. */
async function redeem(code: string): Promise<Outcome> {
  const answer = await service.call('POST', '/api/v1/redeem', { body: redeemBody(code) });
  return answer.status === 200
    ? { status: 200 }
    : { status: answer.status, error: answer.body.error as string };
}

it('the redemption script answers what statusAt says, and the count holds, as the clock steps', async () => {
  await fc.assert(
    fc.asyncProperty(
      scenario,
      async ({ startShift, usageLimit, delaySeconds, expiresInMinutes, steps, enabledAt }) => {
        await stepTo(startShift);
        const createdNear = await redisTimeMs(client);
        const created = await service.call('POST', '/api/v1/codes', {
          body: {
            action: 'create_device',
            accountId: 'acct-prop',
            usageLimit,
            usageLimitDelaySeconds: delaySeconds,
            expiresAt:
              expiresInMinutes === null
                ? null
                : new Date(createdNear + expiresInMinutes * MINUTE).toISOString(),
          },
        });
        expect(created.status).toBe(201);
        const name = created.body.code as string;

        let successes = 0;
        let refused = false;
        let latest = codeTime(await service.codes.getCode(name), 0);
        const trail: unknown[] = [];
        for (const [i, next] of steps.entries()) {
          if (next !== null) await stepTo(next);
          const toggled = await service.call('PATCH', `/api/v1/codes/${name}`, {
            body: { enabled: enabledAt[i] },
          });
          expect(toggled.status, JSON.stringify(toggled.body)).toBe(200);
          let code = await service.codes.getCode(name);
          let now = await redisTimeMs(client);
          // Away from boundaries: nudge the clock forward until the status cannot change meanwhile.
          for (let nudges = 0; nearBoundary(code, now) && nudges < 10; nudges++) {
            await stepTo(shift + 2 * MARGIN_MS);
            code = await service.codes.getCode(name);
            now = await redisTimeMs(client);
          }
          expect(nearBoundary(code, now), JSON.stringify({ code, now, trail })).toBe(false);
          const status = statusAt(code, now);
          const outcome = await redeem(name);
          trail.push({
            shift,
            now,
            codeTime: codeTime(code, now),
            enabled: code.enabled,
            status,
            outcome,
          });

          const context = JSON.stringify({ code, trail });
          expect(outcome, context).toEqual(expectedOutcome(status));
          if (outcome.status === 200) successes++;
          // Once refused as expired or used up, a code is never usable again.
          if (refused) expect(outcome.status, context).toBe(410);
          if (outcome.status === 410) refused = true;

          const after = await service.codes.getCode(name);
          expect(after.timesUsed, context).toBe(successes);
          if (usageLimit !== null && delaySeconds === null) {
            expect(after.timesUsed, context).toBeLessThanOrEqual(usageLimit);
          }
          // The code's time never runs backwards.
          const afterLatest = codeTime(after, 0);
          expect(afterLatest, context).toBeGreaterThanOrEqual(latest);
          latest = afterLatest;
        }
      },
    ),
    {
      numRuns: 50,
      // Found by this property (issue #8): a limit that ended before the expiry, both past.
      examples: [
        [
          {
            startShift: 0,
            usageLimit: 1,
            delaySeconds: null,
            expiresInMinutes: 1,
            steps: [null, 62 * SECOND],
            enabledAt: [true, true, true, true, true, true, true, true],
          },
        ],
        [
          {
            startShift: 0,
            usageLimit: 1,
            delaySeconds: 60,
            expiresInMinutes: 5,
            steps: [null, 3 * MINUTE, 6 * MINUTE],
            enabledAt: [true, true, true, true, true, true, true, true],
          },
        ],
        // Disabled while usable, then expired while disabled: expiry names the refusal.
        [
          {
            startShift: 0,
            usageLimit: null,
            delaySeconds: null,
            expiresInMinutes: 5,
            steps: [null, null, 6 * MINUTE, null],
            enabledAt: [false, true, false, true, true, true, true, true],
          },
        ],
      ],
    },
  );
}, 60_000);
