import { Redis } from 'ioredis';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import {
  redeemBody,
  redemptionsOf,
  startTestService,
  type TestService,
} from '../support/service.js';

/**
 * Stalls that end at an awkward moment (SPEC §2: "an answer other than 200 means the code was
 * not used"; a management change answered 503 did not happen).
 */

let redis: TestRedis;
let service: TestService;
let control: Redis;
let other: Redis;

beforeEach(async () => {
  redis = await startTestRedis(['--appendonly', 'no', '--enable-debug-command', 'yes']);
  service = await startTestService({ REDIS_URL: redis.url });
  control = new Redis(redis.url);
  other = new Redis(redis.url);
});
afterEach(async () => {
  control?.disconnect();
  other?.disconnect();
  await service?.close();
  await redis?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function createCode(body: Record<string, unknown>): Promise<string> {
  const created = await service.call('POST', '/api/v1/codes', { body });
  expect(created.status).toBe(201);
  return created.body.code as string;
}

/**
 * A pause that ends just before the write's budget does: the write runs in time and is answered
 * 200, or it is answered 503 and never happens (the client's own timeout once answered 503 at 2 s
 * while the script's deadline was 2.5 s away, and the change happened after its 503).
 */
it('a PATCH answered 503 during a 2.3 s pause is not applied when Redis resumes', async () => {
  const code = await createCode({
    action: 'create_device',
    accountId: 'a1',
    description: 'before',
  });
  // Warm the update script; let create's background sweep finish, so nothing else waits in line.
  expect((await service.call('PATCH', `/api/v1/codes/${code}`, { body: {} })).status).toBe(200);
  await sleep(500);

  await control.call('CLIENT', 'PAUSE', '2300', 'WRITE');
  const patched = await service.call('PATCH', `/api/v1/codes/${code}`, {
    body: { description: 'x' },
  });
  await sleep(1_000);
  const read = await service.call('GET', `/api/v1/codes/${code}`);
  expect(patched.status === 503 ? read.body.description : 'before').toBe('before');
});

/**
 * A redemption that Redis ran just before a stall began in the same event-loop turn (here: DEBUG
 * SLEEP read in the same batch of ready sockets) is counted in time, but its reply is held back
 * by the stall; the service answers 503 at 3 s. No deadline can cover a late reply: the service
 * withdraws the redemption once the reply comes.
 */
it('a redemption whose reply a stall holds back is not counted behind its 503', async () => {
  const code = await createCode({ action: 'create_device', accountId: 'a1', usageLimit: 5 });
  expect((await service.call('POST', '/api/v1/redeem', { body: redeemBody(code) })).status).toBe(
    200,
  );
  await sleep(500);

  // Redis busy for 0.3 s; meanwhile the redemption's script and then a long sleep arrive on two
  // connections, so Redis reads both in one turn, runs the script, then sleeps before replying.
  control.call('DEBUG', 'SLEEP', '0.3').catch(() => undefined);
  await sleep(50);
  const pending = service.call('POST', '/api/v1/redeem', {
    body: redeemBody(code, { name: 'held-back' }),
  });
  await sleep(100);
  other.call('DEBUG', 'SLEEP', '5').catch(() => undefined);
  const answer = await pending;
  await sleep(3_000);
  expect(await control.ping()).toBe('PONG');

  const names = (await redemptionsOf(service, code)).map((entry) => entry.device.name);
  const { timesUsed } = (await service.codes.getCode(code)) as { timesUsed: number };
  expect({ status: answer.status, timesUsed, names }).toEqual(
    answer.status === 200
      ? { status: 200, timesUsed: 2, names: ['held-back', 'test device'] }
      : { status: answer.status, timesUsed: 1, names: ['test device'] },
  );
}, 20_000);
