import { afterAll, beforeAll, expect, it } from 'vitest';
import { API_TOKEN, redeemBody, startTestService, type TestService } from '../support/service.js';

let service: TestService;

beforeAll(async () => {
  service = await startTestService({ LOG_LEVEL: 'trace' });
});
afterAll(() => service.close());

it('never writes a whole code, device token, idempotency key or the API token to the logs', async () => {
  const created = await service.call('POST', '/api/v1/codes', {
    body: {
      code: 'Secret-Group-Code-42',
      action: 'create_account_and_device',
      usernamePrefix: 'acme-',
      usageLimit: 1,
    },
  });
  const { code } = created.body;
  const idempotencyKey = 'idem-6f1c2a9e-key';
  const redeemed = await service.call('POST', '/api/v1/redeem', {
    body: redeemBody(code),
    headers: { 'idempotency-key': idempotencyKey },
  });
  await service.call('POST', '/api/v1/redeem', { body: redeemBody(code) });
  await service.call('GET', `/api/v1/codes/${encodeURIComponent(code)}/history?q=${code}`);
  await service.call('PATCH', `/api/v1/codes/${code}`, { body: { description: 'changed' } });
  await service.call('POST', '/api/v1/redeem', { body: redeemBody('Unknown-Guess-9999') });
  await service.call('DELETE', `/api/v1/codes/${code}`);

  const logs = service.logs.join('');
  expect(logs).toContain('/api/v1/codes/');
  for (const secret of [
    code,
    'SECRETGROUPCODE42',
    'Unknown-Guess-9999',
    redeemed.body.deviceToken,
    idempotencyKey,
    API_TOKEN,
  ]) {
    expect(logs.toLowerCase()).not.toContain(String(secret).toLowerCase());
  }
});
