import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { redeemBody, startTestService, type TestService } from '../support/service.js';

/** Issue 11 items 1 and 2 over real HTTP and Redis: disable/enable, and extend. */

const DAY = 86_400_000;
let service: TestService;
let redis: Redis;

beforeAll(async () => {
  // A low failure limit: refusals of a disabled code must not count toward it.
  service = await startTestService({ REDEEM_MAX_FAILURES: '2', RETENTION: '1h' });
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await service.close();
  redis.disconnect();
});

async function create(body: Record<string, unknown>) {
  const created = await service.call('POST', '/api/v1/codes', {
    body: { action: 'create_device', accountId: 'acct-1', ...body },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body as { code: string; id: string; expiresAt: string | null };
}

const redeem = (code: string) => service.call('POST', '/api/v1/redeem', { body: redeemBody(code) });
const recordKey = (id: string) => `${service.prefix}code:{${id}}`;

describe('disable and enable', () => {
  it('refuses a disabled code with 403 code_disabled, counting nothing and keeping its expiry and TTL', async () => {
    const expiresAt = new Date(Date.now() + 2 * DAY).toISOString();
    const { code, id } = await create({ usageLimit: 3, expiresAt });
    expect((await redeem(code)).status).toBe(200);
    const ttlBefore = await redis.pexpiretime(recordKey(id));
    expect(ttlBefore).toBeGreaterThan(0);

    const disabled = await service.call('PATCH', `/api/v1/codes/${code}`, {
      body: { enabled: false },
    });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ enabled: false, status: 'disabled', timesUsed: 1 });
    expect(disabled.body.expiresAt).toBe(expiresAt);
    expect(await redis.pexpiretime(recordKey(id))).toBe(ttlBefore);
    expect(await redis.hget(recordKey(id), 'x')).toBe('0');

    for (let i = 0; i < 4; i++) {
      const refused = await redeem(code);
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({
        error: 'code_disabled',
        message: 'This installation code is disabled.',
      });
    }
    const shown = await service.call('GET', `/api/v1/codes/${code}`);
    expect(shown.body).toMatchObject({ enabled: false, status: 'disabled', timesUsed: 1 });
    expect(shown.body.lastUsedAt).toBe(disabled.body.lastUsedAt);
    expect(await redis.pexpiretime(recordKey(id))).toBe(ttlBefore);

    const enabled = await service.call('PATCH', `/api/v1/codes/${code}`, {
      body: { enabled: true },
    });
    expect(enabled.body).toMatchObject({ enabled: true, status: 'active', timesUsed: 1 });
    expect(await redis.hexists(recordKey(id), 'x')).toBe(0);
    expect(await redis.pexpiretime(recordKey(id))).toBe(ttlBefore);
    // Four refusals above, over a limit of 2 failures: none of them counted.
    expect((await redeem(code)).status).toBe(200);

    const history = await service.call('GET', `/api/v1/codes/${code}/history`);
    const types = history.body.events.map((e: { type: string }) => e.type);
    expect(types).toEqual(['redeemed', 'enabled', 'disabled', 'redeemed', 'created']);
    expect(history.body.events[2]).toMatchObject({
      by: 'api',
      changes: [{ field: 'enabled', from: true, to: false }],
    });
  });

  it('keeps a code without a TTL without one when disabled', async () => {
    const { code, id } = await create({});
    await service.call('PATCH', `/api/v1/codes/${code}`, { body: { enabled: false } });
    expect(await redis.pttl(recordKey(id))).toBe(-1);
  });

  it('creates a code disabled, and lists codes by status disabled', async () => {
    const { code: off } = await create({ enabled: false, description: 'created off' });
    const { code: on } = await create({ description: 'created on' });
    const listed = await service.call('GET', '/api/v1/codes?status=disabled&limit=100');
    const names = listed.body.codes.map((c: { code: string }) => c.code);
    expect(names).toContain(off);
    expect(names).not.toContain(on);
    expect(listed.body.codes.every((c: { status: string }) => c.status === 'disabled')).toBe(true);
  });

  it('says expired or used up, not disabled, of a disabled code that could not be used anyway', async () => {
    const { code } = await create({ usageLimit: 1 });
    expect((await redeem(code)).status).toBe(200);
    const disabled = await service.call('PATCH', `/api/v1/codes/${code}`, {
      body: { enabled: false },
    });
    expect(disabled.body.status).toBe('used_up');
    const refused = await redeem(code);
    expect(refused.status).toBe(410);
    expect(refused.body.error).toBe('code_used_up');
  });

  it('refuses an enabled that is not a boolean, changing nothing', async () => {
    const { code } = await create({});
    const refused = await service.call('PATCH', `/api/v1/codes/${code}`, {
      body: { enabled: 'no' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.fields).toEqual({ enabled: 'true or false' });
    expect((await service.call('GET', `/api/v1/codes/${code}`)).body).toMatchObject({
      enabled: true,
      version: 1,
    });
  });
});

describe('extend', () => {
  it('adds days from the expiry while it is ahead, and records old → new', async () => {
    const expiresAt = Date.now() + 2 * DAY;
    const { code, id } = await create({ expiresAt: new Date(expiresAt).toISOString() });
    const ttlBefore = await redis.pexpiretime(recordKey(id));
    const extended = await service.call('POST', `/api/v1/codes/${code}/extend`, {
      body: { days: 7 },
    });
    expect(extended.status).toBe(200);
    expect(Date.parse(extended.body.expiresAt)).toBe(expiresAt + 7 * DAY);
    expect(extended.headers.get('etag')).toBe('"2"');
    expect(await redis.pexpiretime(recordKey(id))).toBe(ttlBefore + 7 * DAY);
    const history = await service.call('GET', `/api/v1/codes/${code}/history`);
    expect(history.body.events[0]).toMatchObject({
      type: 'extended',
      by: 'api',
      changes: [
        {
          field: 'expiresAt',
          from: new Date(expiresAt).toISOString(),
          to: new Date(expiresAt + 7 * DAY).toISOString(),
        },
      ],
    });
  });

  it('brings a used-up code back to active with +10 uses, and its TTL goes', async () => {
    const { code, id } = await create({ usageLimit: 1 });
    expect((await redeem(code)).status).toBe(200);
    expect(await redis.pttl(recordKey(id))).toBeGreaterThan(0);
    expect((await redeem(code)).status).toBe(410);
    const extended = await service.call('POST', `/api/v1/codes/${code}/extend`, {
      body: { uses: 10 },
    });
    expect(extended.body).toMatchObject({
      status: 'active',
      usageLimit: 11,
      timesUsed: 1,
      limitReachedAt: null,
    });
    // Open-ended again: Redis keeps it for as long as it works.
    expect(await redis.pttl(recordKey(id))).toBe(-1);
    expect((await redeem(code)).status).toBe(200);
  });

  it('counts days from now for an expired code still kept', async () => {
    const { code } = await create({ expiresAt: new Date(Date.now() + 1_000).toISOString() });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await redeem(code)).status).toBe(410);
    const before = Date.now();
    const extended = await service.call('POST', `/api/v1/codes/${code}/extend`, {
      body: { days: 30 },
    });
    expect(extended.body.status).toBe('active');
    const until = Date.parse(extended.body.expiresAt);
    expect(until).toBeGreaterThanOrEqual(before + 30 * DAY - 5_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 30 * DAY + 5_000);
    expect((await redeem(code)).status).toBe(200);
  });

  it('has nothing to extend on a code that never expires or has no limit', async () => {
    const { code } = await create({});
    const days = await service.call('POST', `/api/v1/codes/${code}/extend`, { body: { days: 7 } });
    expect(days.status).toBe(400);
    expect(days.body.fields).toEqual({
      days: 'this code never expires: there is no expiry to extend',
    });
    const uses = await service.call('POST', `/api/v1/codes/${code}/extend`, {
      body: { uses: 10 },
    });
    expect(uses.status).toBe(400);
    expect(uses.body.fields).toEqual({
      uses: 'this code has no usage limit: there are no uses to add',
    });
    expect((await service.call('GET', `/api/v1/codes/${code}`)).body.version).toBe(1);
  });

  it('refuses any other body with 400, changing nothing', async () => {
    const { code } = await create({
      usageLimit: 5,
      expiresAt: new Date(Date.now() + DAY).toISOString(),
    });
    const bodies: [unknown, Record<string, string>][] = [
      [{}, { body: 'either {"days": n} or {"uses": n}, one of them' }],
      [{ days: 7, uses: 10 }, { body: 'either {"days": n} or {"uses": n}, one of them' }],
      [{ weeks: 1 }, { body: 'either {"days": n} or {"uses": n}, one of them' }],
      [[7], { body: 'either {"days": n} or {"uses": n}, one of them' }],
      [{ days: 0 }, { days: 'a whole number of days from 1 to 365' }],
      [{ days: 1.5 }, { days: 'a whole number of days from 1 to 365' }],
      [{ days: '7' }, { days: 'a whole number of days from 1 to 365' }],
      [{ uses: -1 }, { uses: 'a whole number of uses from 1 to 1000000' }],
    ];
    for (const [body, fields] of bodies) {
      const refused = await service.call('POST', `/api/v1/codes/${code}/extend`, { body });
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.error).toBe('invalid_request');
      expect(refused.body.fields, JSON.stringify(body)).toEqual(fields);
    }
    expect((await service.call('GET', `/api/v1/codes/${code}`)).body.version).toBe(1);
    const missing = await service.call('POST', '/api/v1/codes/NOPE-NOPE/extend', {
      body: { days: 7 },
    });
    expect(missing.status).toBe(404);
  });
});
