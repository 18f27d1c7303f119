import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { redeemBody, startTestService, type TestService } from '../support/service.js';

let redis: TestRedis;
let service: TestService;

beforeAll(async () => {
  // A server of this file's own, with its append-only file on, so it can be killed and come back with its data.
  const dir = mkdtempSync(join(tmpdir(), 'installcode-outage-'));
  redis = await startTestRedis(['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir]);
  service = await startTestService({ REDIS_URL: redis.url });
});
afterAll(async () => {
  await service.close();
  await redis.stop();
});

it('answers 503 unavailable within 5 seconds while Redis is down, and recovers by itself', async () => {
  const created = await service.call('POST', '/api/v1/codes', {
    body: { action: 'create_device', accountId: 'acct-7', usageLimit: 10 },
  });
  const { code } = created.body;
  expect((await service.call('POST', '/api/v1/redeem', { body: redeemBody(code) })).status).toBe(
    200,
  );

  await redis.kill();
  for (const [method, path, body] of [
    ['POST', '/api/v1/redeem', redeemBody(code)],
    ['GET', `/api/v1/codes/${code}`, undefined],
    ['POST', '/api/v1/codes', { action: 'create_device', accountId: 'acct-8' }],
  ] as const) {
    const started = Date.now();
    const answer = await service.call(method, path, { body });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({ error: 'unavailable', message: expect.any(String) });
  }
  expect((await service.call('GET', '/readyz')).status).toBe(503);
  expect((await service.call('GET', '/healthz')).status).toBe(200);

  await redis.start();
  let ready = 0;
  for (let attempt = 0; attempt < 50 && ready !== 200; attempt++) {
    await new Promise((r) => setTimeout(r, 100));
    ready = (await service.call('GET', '/readyz')).status;
  }
  expect(ready).toBe(200);
  const again = await service.call('POST', '/api/v1/redeem', { body: redeemBody(code) });
  expect(again.status).toBe(200);
  expect(again.body.code.timesUsed).toBe(2);
});
