import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { idempotencyKeyHash } from '../../src/codes/device-token.js';
import { keysFor } from '../../src/store/keys.js';
import { FIELD } from '../../src/store/record.js';
import { redeemBody, startTestService, type TestService } from '../support/service.js';

let service: TestService;
let redis: Redis;

beforeAll(async () => {
  service = await startTestService({
    TRUST_PROXY: '1',
    REDEEM_MAX_FAILURES: '3',
    REDEEM_FAILURE_WINDOW: '10m',
  });
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await service.close();
  redis.disconnect();
});

/** Each test redeems from an address of its own, so the brute-force limit of one never touches another. */
let nextAddress = 1;
const address = () => `198.51.100.${nextAddress++}`;

async function createCode(fields: Record<string, unknown>) {
  const created = await service.call('POST', '/api/v1/codes', { body: fields });
  expect(created.status).toBe(201);
  return created.body as { code: string; id: string };
}

function redeem(code: string, headers: Record<string, string> = {}, from = address()) {
  return service.call('POST', '/api/v1/redeem', {
    body: redeemBody(code),
    headers: { 'x-forwarded-for': from, ...headers },
  });
}

const group = { action: 'create_account_and_device', usernamePrefix: 'acme-' };

describe('POST /api/v1/redeem', () => {
  it('keeps the history on its record’s lifetime as it changes', async () => {
    const { code, id } = await createCode({
      action: 'create_device',
      accountId: 'acct-ttl',
      usageLimit: 4,
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const keys = keysFor(service.prefix);
    const lifetimes = async () =>
      Promise.all([keys.record(id), keys.history(id)].map((key) => redis.pexpiretime(key)));
    const expectSameLifetime = async () => {
      const [record, history] = await lifetimes();
      expect(record).toBeGreaterThan(0);
      expect(history).toBe(record);
    };
    for (let i = 0; i < 2; i++) expect((await redeem(code)).status).toBe(200);
    await expectSameLifetime();
    // An edit moves the expiry; the history follows, and redemptions after keep it so.
    const later = new Date(Date.now() + 7_200_000).toISOString();
    expect(
      (await service.call('PATCH', `/api/v1/codes/${code}`, { body: { expiresAt: later } })).status,
    ).toBe(200);
    expect((await redeem(code)).status).toBe(200);
    await expectSameLifetime();
    // The last use ends it sooner: record and history alike.
    const before = (await lifetimes())[0];
    expect((await redeem(code)).status).toBe(200);
    await expectSameLifetime();
    expect((await lifetimes())[0]).toBeLessThan(before as number);
  });

  it('creates an account and a device for a group code', async () => {
    const { code } = await createCode({ ...group, usageLimit: 50 });
    const answer = await redeem(code);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      action: 'create_account_and_device',
      accountId: expect.stringMatching(/^acme-\d{4,}$/),
      deviceId: expect.stringMatching(/^dev_/),
      code: { timesUsed: 1, usageLimit: 50, expiresAt: null },
    });
    expect(Buffer.from(answer.body.deviceToken, 'base64url').length).toBeGreaterThanOrEqual(16);
  });

  it('adds a device to the account of a create_device code', async () => {
    const { code } = await createCode({ action: 'create_device', accountId: 'acct@example.com' });
    const answer = await redeem(code);
    expect(answer.body).toMatchObject({ action: 'create_device', accountId: 'acct@example.com' });
    expect(answer.body.deviceId).toMatch(/^dev_/);
  });

  it('installs the existing device of a use_existing_device code', async () => {
    const { code } = await createCode({ action: 'use_existing_device', deviceId: 'device.42' });
    const answer = await redeem(code);
    expect(answer.body).toMatchObject({ action: 'use_existing_device', deviceId: 'device.42' });
  });

  it('matches the code ignoring case, dashes, underscores and spaces', async () => {
    await createCode({ ...group, code: 'Team-Blue_2026' });
    expect((await redeem('team blue 2026')).status).toBe(200);
    expect((await redeem('TEAMBLUE-2026')).status).toBe(200);
  });

  it('keeps only a hash of the device token in Redis', async () => {
    const { code } = await createCode({ ...group });
    const { deviceToken, deviceId } = (await redeem(code)).body;
    for (const key of await redis.keys(`${service.prefix}*`)) {
      expect(JSON.stringify(await readKey(key))).not.toContain(deviceToken);
    }
    const device = await redis.hgetall(keysFor(service.prefix).device(deviceId));
    expect(device.tokenHash).toBe(createHash('sha256').update(deviceToken).digest('hex'));
  });

  it('succeeds exactly min(N, L) times under 60 concurrent redemptions, with distinct accounts', async () => {
    const { code } = await createCode({ ...group, usernamePrefix: 'race-', usageLimit: 7 });
    const answers = await Promise.all(Array.from({ length: 60 }, () => redeem(code)));
    const won = answers.filter((a) => a.status === 200);
    expect(won).toHaveLength(7);
    expect(new Set(won.map((a) => a.body.accountId)).size).toBe(7);
    expect(
      answers.filter((a) => a.status === 410).every((a) => a.body.error === 'code_used_up'),
    ).toBe(true);
    expect(answers.filter((a) => a.status !== 200 && a.status !== 410)).toEqual([]);
    const stored = await service.call('GET', `/api/v1/codes/${code}`);
    expect(stored.body).toMatchObject({ timesUsed: 7, status: 'used_up' });
  });

  it('never hands out one account ID twice across codes that share a prefix', async () => {
    const first = await createCode({ ...group, usernamePrefix: 'shared-' });
    const second = await createCode({ ...group, usernamePrefix: 'shared-' });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => redeem(i % 2 ? first.code : second.code)),
    );
    const accounts = answers.map((a) => a.body.accountId);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(new Set(accounts).size).toBe(20);
  });

  it('refuses a used-up code (hard limit) with 410 code_used_up', async () => {
    const { code } = await createCode({ ...group, usageLimit: 1 });
    expect((await redeem(code)).status).toBe(200);
    const refused = await redeem(code);
    expect(refused.status).toBe(410);
    expect(refused.body).toEqual({ error: 'code_used_up', message: expect.any(String) });
  });

  it('allows use during the limit delay, then refuses once it is over', async () => {
    const { code, id } = await createCode({
      ...group,
      usageLimit: 1,
      usageLimitDelaySeconds: 3600,
    });
    expect((await redeem(code)).status).toBe(200);
    const inGrace = await redeem(code);
    expect(inGrace.status).toBe(200);
    expect(inGrace.body.code.timesUsed).toBe(2);
    expect((await service.call('GET', `/api/v1/codes/${code}`)).body.status).toBe('grace');

    // Move the instant the limit was reached back past the delay, as if an hour had gone by.
    await redis.hset(`${service.prefix}code:{${id}}`, FIELD.limitReachedAt, Date.now() - 3_601_000);
    const after = await redeem(code);
    expect(after.status).toBe(410);
    expect(after.body.error).toBe('code_used_up');
    expect((await service.call('GET', `/api/v1/codes/${code}`)).body.status).toBe('used_up');
  });

  it('sets the key TTL to usable-until + RETENTION, recomputed when the limit is reached', async () => {
    const week = 7 * 86_400_000;
    const expiresAt = Date.now() + 3_600_000;
    const dated = await createCode({ ...group, expiresAt: new Date(expiresAt).toISOString() });
    const datedTtl = await redis.pttl(`${service.prefix}code:{${dated.id}}`);
    expect(Math.abs(datedTtl - (expiresAt + week - Date.now()))).toBeLessThan(5_000);
    await redeem(dated.code);
    const datedHistoryTtl = await redis.pttl(`${service.prefix}code:{${dated.id}}:history`);
    expect(Math.abs(datedHistoryTtl - (expiresAt + week - Date.now()))).toBeLessThan(5_000);

    const limited = await createCode({ ...group, usageLimit: 1, usageLimitDelaySeconds: 600 });
    const key = `${service.prefix}code:{${limited.id}}`;
    expect(await redis.pttl(key)).toBe(-1);
    // Renamed, the code is found through its new name's pointer, which must follow the record.
    const renamed = `LIMITED-${limited.id.slice(0, 6)}`;
    const patched = await service.call('PATCH', `/api/v1/codes/${limited.code}`, {
      body: { code: renamed },
    });
    expect(patched.status).toBe(200);
    expect((await redeem(renamed)).status).toBe(200);
    expect(Math.abs((await redis.pttl(key)) - (600_000 + week))).toBeLessThan(5_000);
    // The history list, begun by this redemption, goes with the record.
    expect(Math.abs((await redis.pttl(`${key}:history`)) - (600_000 + week))).toBeLessThan(5_000);
    expect(
      Math.abs(
        (await redis.pttl(`${service.prefix}name:{${renamed.replaceAll('-', '')}}`)) -
          (600_000 + week),
      ),
    ).toBeLessThan(5_000);
  });

  it('answers a retry with the same Idempotency-Key with the same answer, using the code once', async () => {
    const { code } = await createCode({ ...group, usageLimit: 1 });
    const first = await redeem(code, { 'idempotency-key': 'retry-key-1' });
    const retry = await redeem(code, { 'idempotency-key': 'retry-key-1' });
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect((await service.call('GET', `/api/v1/codes/${code}`)).body.timesUsed).toBe(1);
    expect((await redeem(code, { 'idempotency-key': 'another-key' })).status).toBe(410);
  });

  it('refuses an Idempotency-Key over 64 characters', async () => {
    const { code } = await createCode({ ...group });
    const answer = await redeem(code, { 'idempotency-key': 'k'.repeat(65) });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_request');
    expect((await service.call('GET', `/api/v1/codes/${code}`)).body.timesUsed).toBe(0);
  });

  it('answers 404 code_not_found for an unknown code', async () => {
    const answer = await redeem('NOPE-NOPE-NOPE');
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ error: 'code_not_found', message: expect.any(String) });
  });
});

describe('what a redemption leaves beside its code', () => {
  it('writes no per-code registry: the device has its record, the history names it', async () => {
    const { code, id } = await createCode({ action: 'create_device', accountId: 'acct-beside' });
    const answer = await service.call('POST', '/api/v1/redeem', {
      body: redeemBody(code, { name: 'beside' }),
      headers: { 'x-forwarded-for': address() },
    });
    const { deviceId } = answer.body;
    const keys = keysFor(service.prefix);
    expect(await redis.exists(keys.legacyRegistry(id))).toBe(0);
    expect(await redis.hget(keys.device(deviceId), 'accountId')).toBe('acct-beside');
    const history = await service.call('GET', `/api/v1/codes/${code}/history`);
    expect(history.body.events[0]).toMatchObject({
      type: 'redeemed',
      deviceId,
      deviceName: 'beside',
    });
  });

  it('deletes an earlier version’s registry with its code', async () => {
    const { code, id } = await createCode({ ...group });
    const legacy = keysFor(service.prefix).legacyRegistry(id);
    await redis.lpush(legacy, JSON.stringify({ deviceId: 'dev_old', at: Date.now() }));
    expect((await service.call('DELETE', `/api/v1/codes/${code}`)).status).toBe(204);
    expect(await redis.exists(legacy)).toBe(0);
  });
});

describe('bad requests change nothing', () => {
  const send = (rawBody: string, contentType = 'application/json') =>
    service.call('POST', '/api/v1/redeem', {
      rawBody,
      headers: { 'content-type': contentType, 'x-forwarded-for': address() },
    });

  it.each([
    ['broken JSON', '{"code": '],
    ['a body that is not JSON at all', 'code=ABCD'],
    ['a missing code', '{"device": {}}'],
    ['a code of the wrong type', '{"code": 12345678}'],
    ['an unknown field', '{"code": "ABCD-EFGH", "extra": true}'],
    ['a device of the wrong type', '{"code": "ABCD-EFGH", "device": "phone"}'],
    ['an empty body', ''],
  ])('answers 400 invalid_request for %s', async (_name, body) => {
    const answer = await send(body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_request');
  });

  it('answers 415 unsupported_media_type for a body that is not sent as application/json', async () => {
    const answer = await send('hello', 'text/plain');
    expect(answer.status).toBe(415);
    expect(answer.body.error).toBe('unsupported_media_type');
  });

  it('answers 413 payload_too_large for a body over 16 KiB, and counts nothing', async () => {
    const { code } = await createCode({ ...group });
    const answer = await send(JSON.stringify({ code, device: { name: 'x'.repeat(17 * 1024) } }));
    expect(answer.status).toBe(413);
    expect(answer.body.error).toBe('payload_too_large');
    expect((await service.call('GET', `/api/v1/codes/${code}`)).body.timesUsed).toBe(0);
  });
});

describe('brute-force limit', () => {
  it('refuses an address after REDEEM_MAX_FAILURES unknown codes, with Retry-After', async () => {
    const attacker = address();
    const { code } = await createCode({ ...group });
    for (let i = 0; i < 3; i++)
      expect((await redeem(`GUESS-${i}-XXXX`, {}, attacker)).status).toBe(404);
    const blocked = await redeem('GUESS-9-XXXX', {}, attacker);
    expect(blocked.status).toBe(429);
    expect(blocked.body.error).toBe('rate_limited');
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect((await redeem(code, {}, attacker)).status).toBe(429);
    expect((await redeem(code, {}, address())).status).toBe(200);
  });

  it('does not count attempts with real codes that are used up', async () => {
    const client = address();
    const { code } = await createCode({ ...group, usageLimit: 1 });
    expect((await redeem(code, {}, client)).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await redeem(code, {}, client)).status).toBe(410);
    expect((await redeem('UNKNOWN-CODE', {}, client)).status).toBe(404);
  });
});

async function readKey(key: string): Promise<unknown> {
  switch (await redis.type(key)) {
    case 'hash':
      return redis.hgetall(key);
    case 'list':
      return redis.lrange(key, 0, -1);
    case 'zset':
      return redis.zrange(key, 0, -1);
    case 'stream':
      return redis.xrange(key, '-', '+');
    default:
      return redis.get(key);
  }
}

describe('Idempotency-Key reuse', () => {
  it('refuses a key already used with another code with 422, and counts nothing', async () => {
    const { code: first } = await createCode({ action: 'create_device', accountId: 'acct-k1' });
    const { code: second } = await createCode({ action: 'create_device', accountId: 'acct-k2' });
    const key = `reuse-${Date.now()}`;
    expect((await redeem(first, { 'idempotency-key': key })).status).toBe(200);
    // The claim on the key lives as long as a kept answer: 24 hours.
    const claim = keysFor(service.prefix).idempotencyClaim(idempotencyKeyHash(key));
    expect(Math.abs((await redis.pttl(claim)) - 86_400_000)).toBeLessThan(60_000);
    const reused = await redeem(second, { 'idempotency-key': key });
    expect(reused.status).toBe(422);
    expect(reused.body.error).toBe('idempotency_key_reused');
    const stored = await service.call('GET', `/api/v1/codes/${second}`);
    expect(stored.body.timesUsed).toBe(0);
    // The same key with the same code, written differently, is a retry.
    const retry = await redeem(first.toLowerCase().replaceAll('-', ' '), {
      'idempotency-key': key,
    });
    expect(retry.status).toBe(200);
  });
});
