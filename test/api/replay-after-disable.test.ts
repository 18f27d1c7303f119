import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redeemBody, startTestService, type TestService } from '../support/service.js';

/**
 * README, "Choices where the spec is silent": a retry with the Idempotency-Key of a redemption
 * made before the code was disabled still gets its kept answer; any other redemption of the
 * disabled code is 403 code_disabled. Over real HTTP and Redis.
 */

let service: TestService;

beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service?.close();
});

const redeem = (code: string, headers: Record<string, string> = {}) =>
  service.call('POST', '/api/v1/redeem', { body: redeemBody(code), headers });

const DISABLED = { error: 'code_disabled', message: 'This installation code is disabled.' };

const CODES = [
  { action: 'create_device', accountId: 'acct-1', usageLimit: 5 },
  { action: 'create_account_and_device', usernamePrefix: 'rd', usageLimit: 5 },
  { action: 'use_existing_device', deviceId: 'dev-replay', usageLimit: 5 },
] as const;

describe('a retry after the code was disabled', () => {
  it.each(CODES)('gets the kept answer of a $action redemption, counting nothing', async (body) => {
    const created = await service.call('POST', '/api/v1/codes', { body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { code } = created.body as { code: string };
    const key = `replay-${code}`;

    const first = await redeem(code, { 'idempotency-key': key });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.code.timesUsed).toBe(1);

    const disabled = await service.call('PATCH', `/api/v1/codes/${code}`, {
      body: { enabled: false },
    });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ enabled: false, status: 'disabled', timesUsed: 1 });
    const historyBefore = (await service.call('GET', `/api/v1/codes/${code}/history`)).body;

    // The same key: the very answer the first request got, twice over.
    for (let i = 0; i < 2; i++) {
      const retry = await redeem(code, { 'idempotency-key': key });
      expect(retry.status, JSON.stringify(retry.body)).toBe(200);
      expect(retry.body).toEqual(first.body);
      expect(retry.body.deviceId).toBe(first.body.deviceId);
      expect(retry.body.deviceToken).toBe(first.body.deviceToken);
      expect(retry.body.code.timesUsed).toBe(1);
    }

    // Another key, or none: refused as disabled.
    const otherKey = await redeem(code, { 'idempotency-key': `other-${code}` });
    expect(otherKey.status).toBe(403);
    expect(otherKey.body).toEqual(DISABLED);
    const noKey = await redeem(code);
    expect(noKey.status).toBe(403);
    expect(noKey.body).toEqual(DISABLED);

    // Nothing counted, nothing written: the code and its history are as the disable left them.
    const shown = await service.call('GET', `/api/v1/codes/${code}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({
      enabled: false,
      status: 'disabled',
      timesUsed: 1,
      version: disabled.body.version,
      lastUsedAt: disabled.body.lastUsedAt,
    });
    const historyAfter = (await service.call('GET', `/api/v1/codes/${code}/history`)).body;
    expect(historyAfter).toEqual(historyBefore);

    // The token the replay gave is the device's live one.
    const verified = await service.call('POST', '/api/v1/devices/verify', {
      body: { deviceId: first.body.deviceId, deviceToken: first.body.deviceToken },
    });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ valid: true, deviceId: first.body.deviceId });
  });
});
