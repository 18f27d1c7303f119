import { randomUUID } from 'node:crypto';
import { beforeAll, expect, it, vi } from 'vitest';
import { keysFor } from '../../src/store/keys.js';
import {
  isBackgroundScript,
  untilReady,
  useServiceBehindProxy,
} from '../support/proxied-service.js';
import { redeemBody, redemptionsOf, type TestService } from '../support/service.js';
import type { TcpProxy } from '../support/tcp-proxy.js';

/**
 * The connection to Redis breaks after a redemption script reached Redis but before its answer
 * came back. ioredis reconnects and may send the script again; the redemption must still count
 * once (SPEC §2, Idempotency-Key; README "Device tokens").
 */

const setup = useServiceBehindProxy();
let service: TestService;
let proxy: TcpProxy;
beforeAll(async () => {
  ({ service, proxy } = setup);
  // Each test cuts the connection after a script: load the redemption's scripts into Redis first
  // (its first EVALSHA would get NOSCRIPT), so that any test may run alone.
  const warmUp = await service.call('POST', '/api/v1/codes', {
    body: { action: 'create_device', accountId: 'acct-warm-up' },
  });
  await service.call('POST', '/api/v1/redeem', { body: redeemBody(warmUp.body.code as string) });
});

async function createCode(body: Record<string, unknown>): Promise<string> {
  const created = await service.call('POST', '/api/v1/codes', { body });
  expect(created.status).toBe(201);
  return created.body.code as string;
}

async function timesUsed(code: string): Promise<number> {
  const read = await service.call('GET', `/api/v1/codes/${code}`);
  expect(read.status).toBe(200);
  return read.body.timesUsed as number;
}

function redeem(code: string, idempotencyKey?: string) {
  const headers: Record<string, string> = idempotencyKey
    ? { 'idempotency-key': idempotencyKey }
    : {};
  return service.call('POST', '/api/v1/redeem', {
    body: redeemBody(code, { name: 'resend test' }),
    headers,
  });
}

/**
 * The script's answer was its array reply (it ran: `*3 $2 ok …`), not an error such as NOSCRIPT.
 * Other commands sent in the same write may answer first in the chunk.
 */
function expectScriptRan(reply: string) {
  expect(reply).toMatch(/\*\d+\r\n\$\d+\r\n[a-z_]+\r\n/);
}

it('a retry with the same Idempotency-Key after the connection broke gets the same answer, counted once', async () => {
  const code = await createCode({
    action: 'create_device',
    accountId: 'acct-resend',
    usageLimit: 5,
  });
  const before = proxy.accepted;

  const key = randomUUID();
  const dropped = proxy.dropAfterNextScript({ ignore: isBackgroundScript });
  const first = await redeem(code, key);
  const report = await dropped;
  expect(report.request).toMatch(/eval/i);
  expectScriptRan(report.reply);
  expect(proxy.accepted).toBeGreaterThan(before); // the client really reconnected
  // Whatever ioredis did with the unanswered script (re-sent it or gave up), the device got an answer.
  expect([200, 503]).toContain(first.status);
  if (first.status === 503) expect(first.body.error).toBe('unavailable');
  console.info(`resend test: first answer after the drop was ${first.status}`);

  await untilReady(service);
  const retry = await redeem(code, key);
  expect(retry.status).toBe(200);
  expect(retry.body).toMatchObject({ action: 'create_device', accountId: 'acct-resend' });
  if (first.status === 200) {
    expect(retry.body.deviceId).toBe(first.body.deviceId);
    expect(retry.body.deviceToken).toBe(first.body.deviceToken);
  }
  expect(retry.body.code.timesUsed).toBe(1);
  expect(await timesUsed(code)).toBe(1);

  // And one more retry changes nothing either.
  const again = await redeem(code, key);
  expect(again.body.deviceId).toBe(retry.body.deviceId);
  expect(await timesUsed(code)).toBe(1);
});

it('without an Idempotency-Key, a script re-sent after a reconnect is not counted twice', async () => {
  const code = await createCode({
    action: 'create_device',
    accountId: 'acct-nokey',
    usageLimit: 5,
  });

  const dropped = proxy.dropAfterNextScript({ ignore: isBackgroundScript });
  const first = await redeem(code);
  expectScriptRan((await dropped).reply);
  expect([200, 503]).toContain(first.status);
  console.info(`resend test (no key): first answer after the drop was ${first.status}`);

  await untilReady(service);
  const used = await timesUsed(code);
  expect(used).toBeLessThanOrEqual(1);
  // The script ran in Redis before the drop, so the redemption happened exactly once; a 200 says so.
  expect(used).toBe(1);
  if (first.status === 200) expect(first.body.code.timesUsed).toBe(1);

  // The code keeps working normally afterwards.
  const next = await redeem(code);
  expect(next.status).toBe(200);
  expect(next.body.code.timesUsed).toBe(2);
  expect(await timesUsed(code)).toBe(2);
});

it('a group code whose second script (with the account number) is cut off still makes one account', async () => {
  const code = await createCode({
    action: 'create_account_and_device',
    usernamePrefix: 'resend-',
    usageLimit: 3,
  });

  const key = randomUUID();
  // The first script only asks for an account number, the second draws it; cut the third, which redeems.
  const dropped = proxy.dropAfterNextScript({ skip: 2, ignore: isBackgroundScript });
  const first = await redeem(code, key);
  const report = await dropped;
  expectScriptRan(report.reply);
  expect([200, 503]).toContain(first.status);

  await untilReady(service);
  const retry = await redeem(code, key);
  expect(retry.status).toBe(200);
  expect(retry.body.accountId).toMatch(/^resend-\d{4,}$/);
  if (first.status === 200) expect(retry.body.accountId).toBe(first.body.accountId);
  expect(await timesUsed(code)).toBe(1);

  // The code's events tell exactly one redemption, in one account.
  const counted = await redemptionsOf(service, code);
  expect(counted).toHaveLength(1);
  expect(counted[0]?.accountId).toBe(retry.body.accountId);
});

it('a hard limit holds when the script that reaches it is cut off and re-sent', async () => {
  const code = await createCode({
    action: 'create_device',
    accountId: 'acct-limit',
    usageLimit: 1,
  });
  const key = randomUUID();
  const dropped = proxy.dropAfterNextScript({ ignore: isBackgroundScript });
  const first = await redeem(code, key);
  expectScriptRan((await dropped).reply);
  expect([200, 503]).toContain(first.status);

  await untilReady(service);
  // The same device's retry is the same redemption; another device is refused.
  expect((await redeem(code, key)).status).toBe(200);
  const other = await redeem(code, randomUUID());
  expect(other.status).toBe(410);
  expect(other.body.error).toBe('code_used_up');
  expect(await timesUsed(code)).toBe(1);
});

/*
 * The same cut, but Redis then stays unreachable for a second (reconnects refused, as when Redis
 * is down): an answer still comes within 5 s, and a 503 must mean that nothing was counted.
 */

it('a cut followed by a second of refused reconnects: a device retrying with its key is counted once', async () => {
  const code = await createCode({
    action: 'create_device',
    accountId: 'acct-outage',
    usageLimit: 5,
  });
  const key = randomUUID();
  const dropped = proxy.dropAfterNextScript({ refuseForMs: 1_000, ignore: isBackgroundScript });
  const started = Date.now();
  const first = await redeem(code, key);
  expect(Date.now() - started).toBeLessThan(5_000);
  expectScriptRan((await dropped).reply);
  expect([200, 503]).toContain(first.status);
  console.info(`resend test (cut + outage, key): first answer was ${first.status}`);

  await untilReady(service);
  const retry = await redeem(code, key);
  expect(retry.status).toBe(200);
  if (first.status === 200) expect(retry.body.deviceId).toBe(first.body.deviceId);
  expect(await timesUsed(code)).toBe(1);
});

it('a cut followed by a second of refused reconnects: a 503 answer means nothing was counted', async () => {
  const code = await createCode({
    action: 'create_device',
    accountId: 'acct-outage2',
    usageLimit: 5,
  });
  const dropped = proxy.dropAfterNextScript({ refuseForMs: 1_000, ignore: isBackgroundScript });
  const started = Date.now();
  const first = await redeem(code);
  expect(Date.now() - started).toBeLessThan(5_000);
  expectScriptRan((await dropped).reply);
  console.info(`resend test (cut + outage, no key): first answer was ${first.status}`);

  await untilReady(service);
  // The script ran in Redis before the cut. The device was told either 200 (the service found
  // out, e.g. by re-running the same script under the same internal key once Redis answered)
  // or 503 with nothing done; never 503 for a redemption that counted.
  const used = await timesUsed(code);
  expect({ status: first.status, timesUsed: used }).toEqual(
    first.status === 200 ? { status: 200, timesUsed: 1 } : { status: 503, timesUsed: 0 },
  );
});

it('a cut, then Redis unreachable past the budget: the 503 stands, and the use is withdrawn once Redis is back', async () => {
  const code = await createCode({ action: 'create_device', accountId: 'acct-gone', usageLimit: 1 });
  const dropped = proxy.dropAfterNextScript({ refuseForMs: 4_000, ignore: isBackgroundScript });
  const first = await redeem(code);
  expectScriptRan((await dropped).reply);
  expect(first.status).toBe(503);

  await untilReady(service);
  // The script counted before the cut; the service takes it back once it can reach Redis.
  await vi.waitFor(async () => expect(await timesUsed(code)).toBe(0), { timeout: 5_000 });
  expect(await redemptionsOf(service, code)).toEqual([]);
  const stored = await service.call('GET', `/api/v1/codes/${code}`);
  expect(stored.body).toMatchObject({ status: 'active', limitReachedAt: null, lastUsedAt: null });
  // The code works as if the lost attempt had never been.
  const next = await redeem(code);
  expect(next.status).toBe(200);
  expect(next.body.code.timesUsed).toBe(1);
  // The events say so too: the withdrawn redemption's event (written with the count) is
  // followed by its withdrawal, which names it; then the redemption that holds.
  const told = async () =>
    (await service.redis.xrange(keysFor(service.prefix).events, '-', '+'))
      .map(([, fields]) => JSON.parse(fields[5] as string))
      .filter((event) => event.code.code === code);
  await vi.waitFor(async () => expect(await told()).toHaveLength(4), { timeout: 5_000 });
  const [created, lost, withdrawn, held] = await told();
  expect([created, lost, withdrawn, held].map((event) => event.type)).toEqual([
    'code.created',
    'code.redeemed',
    'code.redemption_withdrawn',
    'code.redeemed',
  ]);
  expect(withdrawn).toMatchObject({ withdrawnEventId: lost.id, code: { timesUsed: 0 } });
  expect(held.redemption.deviceId).toBe(next.body.deviceId);
  // The device the lost redemption created is gone with it (nobody got its token).
  const deviceKey = keysFor(service.prefix).device;
  expect(await service.redis.exists(deviceKey(lost.redemption.deviceId))).toBe(0);
  expect(await service.redis.exists(deviceKey(held.redemption.deviceId))).toBe(1);
});

it('a device that retries with its Idempotency-Key after such a 503 is counted once, and gets 200', async () => {
  const code = await createCode({ action: 'create_device', accountId: 'acct-key', usageLimit: 5 });
  const key = randomUUID();
  const dropped = proxy.dropAfterNextScript({ refuseForMs: 4_000, ignore: isBackgroundScript });
  const first = await redeem(code, key);
  await dropped;
  expect(first.status).toBe(503);

  await untilReady(service);
  // Whether the retry meets the answer before or after the service withdraws it, one use counts.
  const retry = await redeem(code, key);
  expect(retry.status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(await timesUsed(code)).toBe(1);
  expect(await redemptionsOf(service, code)).toHaveLength(1);
});

it('a reply that comes after the 503: the use is withdrawn, and a renamed code keeps its name for as long as it lives', async () => {
  const code = await createCode({ action: 'create_device', accountId: 'acct-late', usageLimit: 1 });
  // Renamed: the record keeps its ID, and the new name points at it.
  const renamed = `Late-Reply-${randomUUID().slice(0, 8)}`;
  const rename = await service.call('PATCH', `/api/v1/codes/${code}`, { body: { code: renamed } });
  expect(rename.status).toBe(200);
  const keys = keysFor(service.prefix);
  const pointer = keys.name(renamed.replace(/-/g, '').toUpperCase());
  const record = keys.record(rename.body.id as string);
  expect(await service.redis.get(pointer)).toBe(rename.body.id);
  expect(await service.redis.pttl(pointer)).toBe(-1);

  // The name is looked up as an ID first (no such record), then through its pointer: Redis runs
  // that second script (the use reaches the limit), but its reply comes after the 3 s budget.
  const late = proxy.holdReplyAfterNextScript({
    holdMs: 3_500,
    skip: 1,
    ignore: isBackgroundScript,
  });
  const answer = await redeem(renamed);
  expect(answer.status).toBe(503);
  await late;
  await vi.waitFor(async () => expect(await timesUsed(renamed)).toBe(0), { timeout: 5_000 });
  // The record lives on with no end, and so does the name's pointer: not the limit's removal,
  // which the late reply had given it.
  await vi.waitFor(async () => expect(await service.redis.pttl(pointer)).toBe(-1));
  expect(await service.redis.pttl(record)).toBe(-1);
  expect((await redeem(renamed)).status).toBe(200);
});
