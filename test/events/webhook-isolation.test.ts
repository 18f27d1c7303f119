import { afterEach, expect, it } from 'vitest';
import { EVENT_TIMING, type EventTiming } from '../../src/events/relay.js';
import { keysFor } from '../../src/store/keys.js';
import { redeemBody, startTestService, type TestService } from '../support/service.js';
import {
  type ReceivedEvent,
  type ReceiverAnswer,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../support/webhook-receiver.js';

/**
 * The README's two promises about webhook deliveries that the other tests do not reach: an attempt
 * the receiver never answers times out (10 s) and is retried, instead of holding its code's
 * deliveries for ever; and events are in order per code, but codes do not wait for each other,
 * so a code whose deliveries keep failing or hang does not hold back another code's.
 */
const SECRET = 'whsec_test_0123456789abcdef';

/** Delivered within this long of the answer that wrote it: promptly (polls are every 25 ms here). */
const PROMPTLY_MS = 1_000;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  // The receiver first: its hanging requests are cut, so the relay's runs end and the service stops.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Setup {
  receiver: WebhookReceiver;
  service: TestService;
  /** When the receiver saw each attempt of each event (performance.now()). */
  attemptsAt: Map<string, number[]>;
}

/** A receiver answering as `answer` says, and the service delivering to it with `timing`. */
async function setUp(
  answer: (event: ReceivedEvent, attempt: number) => ReceiverAnswer,
  timing: Partial<EventTiming>,
): Promise<Setup> {
  const attemptsAt = new Map<string, number[]>();
  const receiver = await startWebhookReceiver(SECRET, {
    answer: (event, attempt) => {
      const now = performance.now();
      attemptsAt.set(event.id, [...(attemptsAt.get(event.id) ?? []), now]);
      return answer(event, attempt);
    },
  });
  const service = await startTestService(
    { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET },
    { eventTiming: { pollMs: 25, ...timing } },
  );
  cleanups.push(
    () => service.close(),
    () => receiver.close(),
  );
  return { receiver, service, attemptsAt };
}

async function createCode(service: TestService, accountId: string) {
  const created = await service.call('POST', '/api/v1/codes', {
    body: { action: 'create_device', accountId, usageLimit: 100 },
  });
  expect(created.status).toBe(201);
  return created.body as { id: string; code: string };
}

async function redeem(service: TestService, code: string): Promise<void> {
  const answer = await service.call('POST', '/api/v1/redeem', { body: redeemBody(code) });
  expect(answer.status).toBe(200);
}

/** The code's events in the stream, oldest first. */
async function eventsOf(service: TestService, id: string): Promise<ReceivedEvent[]> {
  const entries = await service.redis.xrange(keysFor(service.prefix).events, '-', '+');
  return entries
    .map(([, fields]) => JSON.parse(fields[fields.indexOf('event') + 1] as string) as ReceivedEvent)
    .filter((event) => event.code.id === id);
}

/** The events the receiver took of the code whose account is `accountId`, in the order it took them. */
function deliveredOf(receiver: WebhookReceiver, accountId: string): ReceivedEvent[] {
  return receiver.delivered.filter((event) => event.code.accountId === accountId);
}

/** The service's log lines of webhook attempts, parsed. */
function attemptLines(service: TestService) {
  return service.logs
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === 'webhook delivered' || line.msg === 'webhook delivery failed');
}

/**
 * Does `step`, then waits until the receiver took `count` events of `accountId`: the last must
 * come within PROMPTLY_MS of the step's answer.
 */
async function deliveredPromptly<T>(
  receiver: WebhookReceiver,
  accountId: string,
  count: number,
  step: () => Promise<T>,
): Promise<T> {
  const done = await step();
  await expect
    .poll(() => deliveredOf(receiver, accountId).length, {
      timeout: PROMPTLY_MS,
      interval: 10,
      message: `event ${count} of ${accountId} not delivered within ${PROMPTLY_MS} ms`,
    })
    .toBe(count);
  return done;
}

it('times an unanswered attempt out (10 s in production), counts it as failed and retries it; the code’s next events follow', async () => {
  expect(EVENT_TIMING.attemptTimeoutMs).toBe(10_000);
  const TIMEOUT_MS = 1_000;
  // The code's first event: its first attempt is never answered; every other attempt is taken.
  const { receiver, service, attemptsAt } = await setUp(
    (event, attempt) => (event.type === 'code.created' && attempt === 1 ? 'hang' : 'deliver'),
    { retryBaseMs: 50, retryMaxMs: 50, attemptTimeoutMs: TIMEOUT_MS },
  );
  const code = await createCode(service, 'acct-timeout');
  await expect.poll(() => receiver.hung, { timeout: 2_000, interval: 10 }).toBe(1);
  // Written while the first one hangs: they wait behind it, in order.
  await redeem(service, code.code);
  await redeem(service, code.code);

  await receiver.waitForDeliveries(3, 3 * TIMEOUT_MS + 2_000);
  const [created, ...redeemed] = await eventsOf(service, code.id);
  expect(created?.type).toBe('code.created');
  expect(receiver.delivered.map((event) => event.id)).toEqual(
    [created, ...redeemed].map((event) => event?.id),
  );
  expect(receiver.delivered.map((event) => event.code.timesUsed)).toEqual([0, 1, 2]);
  // The hanging attempt, then one more: the retry came once the attempt's time was up, not before
  // and not much after (the retry waits 50 ms, the polls 25 ms).
  const [first, second, ...more] = attemptsAt.get(created?.id as string) ?? [];
  expect(more).toEqual([]);
  expect((second as number) - (first as number)).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
  expect((second as number) - (first as number)).toBeLessThan(TIMEOUT_MS + 1_500);
  expect(receiver.attempts.get(created?.id as string)).toBe(2);
  for (const event of redeemed) expect(receiver.attempts.get(event.id)).toBe(1);

  // The service logged and counted it as a failed attempt, timed out after the attempt's time.
  const failed = attemptLines(service).filter((line) => line.msg === 'webhook delivery failed');
  expect(failed).toHaveLength(1);
  expect(failed[0]).toMatchObject({ eventId: created?.id, attempt: 1 });
  expect(failed[0]?.status).toBeUndefined();
  expect(String(failed[0]?.err)).toMatch(/time/i);
  expect(failed[0]?.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
  expect(failed[0]?.ms).toBeLessThan(TIMEOUT_MS + 1_000);
  const metrics = await (await fetch(service.metricsUrl as string)).text();
  expect(metrics).toContain('installcode_webhook_attempts_total{outcome="failed"} 1');
  expect(metrics).toContain('installcode_webhook_attempts_total{outcome="delivered"} 3');
});

it('delivers another code’s events promptly while one code’s deliveries keep failing, and keeps that code’s in order behind its first', async () => {
  // Every attempt for acct-failing is refused (500), retried every 100 ms; the rest are taken.
  const { receiver, service } = await setUp(
    (event) => (event.code.accountId === 'acct-failing' ? 'fail' : 'deliver'),
    { retryBaseMs: 100, retryMaxMs: 100 },
  );
  const failing = await createCode(service, 'acct-failing');
  await redeem(service, failing.code);
  await redeem(service, failing.code);
  await expect
    .poll(async () => (await eventsOf(service, failing.id)).length, { timeout: 2_000 })
    .toBeGreaterThan(0);
  const [created] = await eventsOf(service, failing.id);
  expect(created?.type).toBe('code.created');
  const head = created?.id as string;
  await expect.poll(() => receiver.attempts.get(head) ?? 0, { timeout: 2_000 }).toBeGreaterThan(1);
  const attemptsBefore = receiver.attempts.get(head) ?? 0;

  // Meanwhile each event of another code is delivered as soon as it is written.
  const other = await deliveredPromptly(receiver, 'acct-other', 1, () =>
    createCode(service, 'acct-other'),
  );
  // Spread over more than half a second, so that the failing code is retried in between.
  for (let used = 1; used <= 5; used++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    await deliveredPromptly(receiver, 'acct-other', used + 1, () => redeem(service, other.code));
  }
  expect(deliveredOf(receiver, 'acct-other').map((event) => event.code.timesUsed)).toEqual([
    0, 1, 2, 3, 4, 5,
  ]);
  expect(deliveredOf(receiver, 'acct-other').every((event) => event.code.id === other.id)).toBe(
    true,
  );

  // The failing code was being retried all along, and nothing of it got through: its later
  // events wait behind its first, never tried.
  expect(receiver.attempts.get(head) ?? 0).toBeGreaterThanOrEqual(attemptsBefore + 2);
  expect(deliveredOf(receiver, 'acct-failing')).toEqual([]);
  await expect.poll(() => eventsOf(service, failing.id), { timeout: 2_000 }).toHaveLength(3);
  const failingEvents = await eventsOf(service, failing.id);
  expect(failingEvents[0]?.id).toBe(head);
  expect(failingEvents.slice(1).map((event) => receiver.attempts.get(event.id) ?? 0)).toEqual([
    0, 0,
  ]);
  expect(receiver.badSignatures).toBe(0);
});

/**
 * A poll waits for every task it claimed, so the relay's schedule lets a few polls run at once
 * (Schedule.poll): while one code's attempt hangs, the next poll relays the others. With one poll
 * at a time, no other code's events were relayed by this replica (to the stream or the webhook)
 * until the attempt timed out, again at each of its retries.
 */
it('delivers another code’s events promptly while one code’s attempt hangs (until it times out)', async () => {
  // Every attempt for acct-hanging is never answered: each one lasts the attempt's time, 5 s here.
  const { receiver, service } = await setUp(
    (event) => (event.code.accountId === 'acct-hanging' ? 'hang' : 'deliver'),
    { retryBaseMs: 100, retryMaxMs: 100, attemptTimeoutMs: 5_000 },
  );
  await createCode(service, 'acct-hanging');
  await expect.poll(() => receiver.hung, { timeout: 2_000, interval: 10 }).toBe(1);

  // Written while that attempt hangs: "codes do not wait for each other".
  const other = await deliveredPromptly(receiver, 'acct-other', 1, () =>
    createCode(service, 'acct-other'),
  );
  for (let used = 1; used <= 3; used++) {
    await deliveredPromptly(receiver, 'acct-other', used + 1, () => redeem(service, other.code));
  }
  expect(deliveredOf(receiver, 'acct-other').map((event) => event.code.timesUsed)).toEqual([
    0, 1, 2, 3,
  ]);
  expect(receiver.delivered.some((event) => event.code.accountId === 'acct-hanging')).toBe(false);
});

it('runs the deliveries of codes due together side by side: one code’s hanging attempt does not hold back the other’s', async () => {
  // Tasks due at the same instant are claimed in the order of their names (`outbox:<code ID>`):
  // of two codes, the one claimed first hangs, so that the other starts only if both run at once.
  let hangingId = '';
  const { receiver, service } = await setUp(
    (event) => (event.code.id === hangingId ? 'hang' : 'deliver'),
    { retryBaseMs: 100, retryMaxMs: 100, attemptTimeoutMs: 5_000 },
  );
  // No polling: both codes' relays become due, and one run of the schedule claims them together.
  await service.events.stop();
  const ids = [
    (await createCode(service, 'acct-one')).id,
    (await createCode(service, 'acct-two')).id,
  ].sort();
  hangingId = ids[0] as string;
  const otherId = ids[1] as string;
  const deliveredOfCode = (id: string) => receiver.delivered.filter((e) => e.code.id === id);
  expect(receiver.attempts.size).toBe(0);

  const started = performance.now();
  const run = service.events.runDue();
  // Also when an assertion below fails: the hanging attempt is cut, and the run waited for.
  cleanups.push(async () => {
    await receiver.close();
    await run.catch(() => undefined);
  });
  await expect
    .poll(() => deliveredOfCode(otherId).length, {
      timeout: PROMPTLY_MS,
      interval: 10,
      message: `the second code's event not delivered within ${PROMPTLY_MS} ms`,
    })
    .toBe(1);
  expect(performance.now() - started).toBeLessThan(PROMPTLY_MS);
  // …while the first one's attempt still hangs.
  expect(receiver.hung).toBe(1);
  expect(deliveredOfCode(hangingId)).toEqual([]);
  // The run ends once the hanging attempt is cut (the receiver closes), counted as failed.
  await receiver.close();
  await run;
});
