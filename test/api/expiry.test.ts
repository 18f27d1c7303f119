import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { redeemBody, startTestService, type TestService } from '../support/service.js';
import { indexEntries } from '../support/store-invariants.js';

let service: TestService;
let redis: Redis;

beforeAll(async () => {
  service = await startTestService({ RETENTION: '1s' });
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await service.close();
  redis.disconnect();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('refuses a code at expiresAt (410 code_expired), shows it for RETENTION, then Redis removes it by TTL alone', async () => {
  const expiresAt = Date.now() + 1_500;
  const created = await service.call('POST', '/api/v1/codes', {
    body: {
      action: 'create_device',
      accountId: 'acct-1',
      expiresAt: new Date(expiresAt).toISOString(),
    },
  });
  expect(created.status).toBe(201);
  const { code, id } = created.body;
  expect((await service.call('POST', '/api/v1/redeem', { body: redeemBody(code) })).status).toBe(
    200,
  );

  await sleep(expiresAt - Date.now() + 50);
  const refused = await service.call('POST', '/api/v1/redeem', { body: redeemBody(code) });
  expect(refused.status).toBe(410);
  expect(refused.body.error).toBe('code_expired');
  const shown = await service.call('GET', `/api/v1/codes/${code}`);
  expect(shown.body).toMatchObject({ status: 'expired', timesUsed: 1 });

  await sleep(expiresAt + 1_000 - Date.now() + 200);
  expect(
    await redis.exists(`${service.prefix}code:{${id}}`, `${service.prefix}code:{${id}}:history`),
  ).toBe(0);
  expect(await redis.exists(`${service.prefix}name:{${code.replaceAll('-', '')}}`)).toBe(0);
  expect((await service.call('GET', `/api/v1/codes/${code}`)).status).toBe(404);
  expect((await service.call('POST', '/api/v1/redeem', { body: redeemBody(code) })).status).toBe(
    404,
  );
  const listed = await service.call('GET', '/api/v1/codes');
  expect(listed.body.codes.map((c: { id: string }) => c.id)).not.toContain(id);
});

it('removes a hard-limited code RETENTION after its last use', async () => {
  const created = await service.call('POST', '/api/v1/codes', {
    body: { action: 'use_existing_device', deviceId: 'dev-9', usageLimit: 1 },
  });
  const { code, id } = created.body;
  expect(await redis.pttl(`${service.prefix}code:{${id}}`)).toBe(-1);
  expect((await service.call('POST', '/api/v1/redeem', { body: redeemBody(code) })).status).toBe(
    200,
  );
  expect((await service.call('GET', `/api/v1/codes/${code}`)).body.status).toBe('used_up');
  await sleep(1_300);
  expect(await redis.exists(`${service.prefix}code:{${id}}`)).toBe(0);
  expect((await service.call('GET', `/api/v1/codes/${code}`)).status).toBe(404);
});

it('drops the index entries of codes Redis removed, as new codes are made, without anyone listing', async () => {
  const fresh = await startTestService({ RETENTION: '1s' });
  try {
    const expiresAt = new Date(Date.now() + 1_500).toISOString();
    for (let i = 0; i < 5; i++) {
      await fresh.call('POST', '/api/v1/codes', {
        body: { action: 'create_device', accountId: 'gone', expiresAt },
      });
    }
    expect(await indexEntries(fresh)).toHaveLength(5);
    await sleep(2_800);
    // Each new code looks at three entries in turn, after its answer: four new codes cover them
    // all (each sweep waited for, as codes made one after another are).
    for (let i = 0; i < 4; i++) {
      await fresh.call('POST', '/api/v1/codes', {
        body: { action: 'create_device', accountId: 'new' },
      });
      await fresh.codes.settled();
    }
    expect(await indexEntries(fresh)).toHaveLength(4);
  } finally {
    await fresh.close();
  }
});
