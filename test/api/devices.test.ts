import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashDeviceToken } from '../../src/codes/device-token.js';
import { DeviceRegistry } from '../../src/store/device-registry.js';
import { keysFor } from '../../src/store/keys.js';
import { API_TOKEN, redeemBody, startTestService, type TestService } from '../support/service.js';

/**
 * The device registry (issue 11, item 6) over real HTTP and a real redis-server: a redemption's
 * token verifies, another does not, a revoke ends it, and replays of old redemptions (the event
 * relay writes each one again) change nothing.
 */

const RETENTION_MS = 3_600_000;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

let service: TestService;
let registry: DeviceRegistry;

beforeAll(async () => {
  // A retention short enough to read in a PTTL, long enough not to run out during the tests.
  service = await startTestService({ DEVICE_RETENTION: '1h', REDEEM_MAX_FAILURES: '10000' });
  // The registry as the event relay uses it: the same keys, scripts and retention.
  registry = new DeviceRegistry(service.redis, keysFor(service.prefix), RETENTION_MS);
});

afterAll(async () => {
  await service?.close();
});

function rand(length = 8): string {
  const alphabet = 'ABCDEFGHJKMNPQRSTVWXYZ0123456789';
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** A token of the same shape as the service's, issued to no one. */
function otherToken(): string {
  return randomBytes(32).toString('base64url');
}

type Action = 'create_account_and_device' | 'create_device' | 'use_existing_device';

const TARGETS: Record<Action, () => Record<string, string>> = {
  create_account_and_device: () => ({ usernamePrefix: `dv${rand(4).toLowerCase()}-` }),
  create_device: () => ({ accountId: `acct-${rand()}` }),
  use_existing_device: () => ({ deviceId: `device-${rand()}` }),
};

async function createCode(action: Action, target = TARGETS[action]()): Promise<string> {
  const created = await service.call('POST', '/api/v1/codes', { body: { action, ...target } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.code;
}

interface Redeemed {
  deviceId: string;
  deviceToken: string;
  accountId: string | null;
}

async function redeem(code: string): Promise<Redeemed> {
  const redeemed = await service.call('POST', '/api/v1/redeem', { body: redeemBody(code) });
  expect(redeemed.status, JSON.stringify(redeemed.body)).toBe(200);
  // SPEC §2 fixes the redemption's answer: the registry's instant is not part of it.
  expect(redeemed.body).not.toHaveProperty('redeemedAt');
  return redeemed.body;
}

function verify(body: unknown, headers?: Record<string, string>) {
  return service.call('POST', '/api/v1/devices/verify', { body, headers });
}

function revoke(deviceId: string) {
  return service.call('DELETE', `/api/v1/devices/${encodeURIComponent(deviceId)}`);
}

function deviceKey(deviceId: string): string {
  return keysFor(service.prefix).device(deviceId);
}

/** The redemption's instant as the registry holds it. */
async function redeemedAtOf(deviceId: string): Promise<number> {
  return Number(await service.redis.hget(deviceKey(deviceId), 'redeemedAt'));
}

describe('POST /api/v1/devices/verify', () => {
  it.each(['create_account_and_device', 'create_device', 'use_existing_device'] as const)(
    'accepts the token a %s redemption issued, with its account',
    async (action) => {
      const target = TARGETS[action]();
      const code = await createCode(action, target);
      const before = Date.now();
      const device = await redeem(code);

      const answer = await verify({ deviceId: device.deviceId, deviceToken: device.deviceToken });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        valid: true,
        deviceId: device.deviceId,
        accountId: device.accountId,
        redeemedAt: expect.stringMatching(ISO_UTC),
      });
      expect(Date.parse(answer.body.redeemedAt)).toBeGreaterThanOrEqual(before - 1_000);
      expect(Date.parse(answer.body.redeemedAt)).toBeLessThanOrEqual(Date.now() + 1_000);
      if (action === 'create_account_and_device') {
        expect(answer.body.accountId).toMatch(new RegExp(`^${target.usernamePrefix}\\d{4,}$`));
      }
      if (action === 'create_device') expect(answer.body.accountId).toBe(target.accountId);
      if (action === 'use_existing_device') {
        expect(answer.body.deviceId).toBe(target.deviceId);
        expect(answer.body.accountId).toBeNull();
      }

      // Another token, even one that differs in a single character, is refused with nothing more.
      const last = device.deviceToken.at(-1) === 'A' ? 'B' : 'A';
      for (const deviceToken of [otherToken(), `${device.deviceToken.slice(0, -1)}${last}`]) {
        const refused = await verify({ deviceId: device.deviceId, deviceToken });
        expect(refused.status).toBe(200);
        expect(refused.body).toEqual({ valid: false });
      }
    },
  );

  it('answers an unknown device exactly as a wrong token: {"valid": false}', async () => {
    for (const deviceId of [`dev_${rand(20).toLowerCase()}`, 'never-enrolled@example']) {
      const answer = await verify({ deviceId, deviceToken: otherToken() });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ valid: false });
      expect(answer.headers.get('cache-control')).toBe('no-store');
      // A refusal writes nothing: no key is made for a device that does not exist.
      expect(await service.redis.exists(deviceKey(deviceId))).toBe(0);
    }
  });

  it('keeps only the hash of the token, under a key that has a TTL of DEVICE_RETENTION', async () => {
    const code = await createCode('create_device');
    const device = await redeem(code);
    const key = deviceKey(device.deviceId);
    const stored = await service.redis.hgetall(key);
    expect(stored).toEqual({
      tokenHash: hashDeviceToken(device.deviceToken),
      accountId: device.accountId,
      redeemedAt: expect.stringMatching(/^\d{13}$/),
    });
    expect(JSON.stringify(stored)).not.toContain(device.deviceToken);
    const pttl = await service.redis.pttl(key);
    expect(pttl).toBeGreaterThan(RETENTION_MS - 10_000);
    expect(pttl).toBeLessThanOrEqual(RETENTION_MS);
  });

  it('keeps a device DEVICE_RETENTION from its last successful verification, not a refused one', async () => {
    const code = await createCode('create_device');
    const device = await redeem(code);
    const key = deviceKey(device.deviceId);
    // As if most of the retention had passed.
    await service.redis.pexpire(key, 5_000);

    const refused = await verify({ deviceId: device.deviceId, deviceToken: otherToken() });
    expect(refused.body.valid).toBe(false);
    expect(await service.redis.pttl(key)).toBeLessThanOrEqual(5_000);
    expect(await service.redis.hexists(key, 'lastVerifiedAt')).toBe(0);

    const accepted = await verify({ deviceId: device.deviceId, deviceToken: device.deviceToken });
    expect(accepted.body.valid).toBe(true);
    const pttl = await service.redis.pttl(key);
    expect(pttl).toBeGreaterThan(RETENTION_MS - 10_000);
    expect(pttl).toBeLessThanOrEqual(RETENTION_MS);
    const lastVerifiedAt = Number(await service.redis.hget(key, 'lastVerifiedAt'));
    expect(lastVerifiedAt).toBeGreaterThanOrEqual(await redeemedAtOf(device.deviceId));
    expect(Math.abs(lastVerifiedAt - Date.now())).toBeLessThan(10_000);
  });

  it('refuses the first token of a device that a use_existing_device code installed again, and accepts the second', async () => {
    const code = await createCode('use_existing_device');
    const first = await redeem(code);
    const second = await redeem(code);
    expect(second.deviceId).toBe(first.deviceId);
    expect(second.deviceToken).not.toBe(first.deviceToken);

    expect(
      (await verify({ deviceId: first.deviceId, deviceToken: first.deviceToken })).body,
    ).toEqual({ valid: false });
    const accepted = await verify({ deviceId: second.deviceId, deviceToken: second.deviceToken });
    expect(accepted.body).toMatchObject({
      valid: true,
      deviceId: second.deviceId,
      accountId: null,
    });
  });

  it('answers 400 invalid_request naming each bad field, and 415 to a body that is not JSON', async () => {
    const cases: [unknown, Record<string, string>][] = [
      [{ deviceId: 'dev_x' }, { deviceToken: expect.any(String) }],
      [{ deviceToken: 'x' }, { deviceId: expect.any(String) }],
      [{ deviceId: 'a{b}', deviceToken: 'x' }, { deviceId: expect.any(String) }],
      [{ deviceId: 'x'.repeat(65), deviceToken: 'x' }, { deviceId: expect.any(String) }],
      [{ deviceId: 'dev_x', deviceToken: '' }, { deviceToken: expect.any(String) }],
      [{ deviceId: 'dev_x', deviceToken: 'x'.repeat(257) }, { deviceToken: expect.any(String) }],
      [
        { deviceId: 42, deviceToken: ['x'] },
        { deviceId: expect.any(String), deviceToken: expect.any(String) },
      ],
      [{ deviceId: 'dev_x', deviceToken: 'x', extra: 1 }, { extra: 'unknown field' }],
      [['dev_x', 'x'], { body: expect.any(String) }],
    ];
    for (const [body, fields] of cases) {
      const answer = await verify(body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body).toEqual({
        error: 'invalid_request',
        message: expect.any(String),
        fields,
      });
    }
    const noBody = await service.call('POST', '/api/v1/devices/verify');
    expect(noBody.status).toBe(400);
    expect(noBody.body.error).toBe('invalid_request');

    const notJson = await service.call('POST', '/api/v1/devices/verify', {
      rawBody: '{"deviceId": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toBe('invalid_request');

    const form = await service.call('POST', '/api/v1/devices/verify', {
      rawBody: 'deviceId=dev_x&deviceToken=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    expect(form.body.error).toBe('unsupported_media_type');
  });
});

describe('DELETE /api/v1/devices/{deviceId}', () => {
  it('revokes the token (204), after which it is refused and a second DELETE is 404', async () => {
    const code = await createCode('create_account_and_device');
    const device = await redeem(code);
    const revoked = await revoke(device.deviceId);
    expect(revoked.status).toBe(204);
    expect(revoked.bytes.length).toBe(0);

    const answer = await verify({ deviceId: device.deviceId, deviceToken: device.deviceToken });
    expect(answer.body).toEqual({ valid: false });
    // A tombstone: only when, kept (with a TTL) so that a replayed redemption cannot bring it back.
    const key = deviceKey(device.deviceId);
    expect(Object.keys(await service.redis.hgetall(key))).toEqual(['revokedAt']);
    expect(await service.redis.pttl(key)).toBeGreaterThan(RETENTION_MS - 10_000);

    const again = await revoke(device.deviceId);
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ error: 'device_not_found', message: expect.any(String) });
  });

  it('answers 404 device_not_found for a device that never was, writing nothing', async () => {
    const deviceKeys = () => service.redis.keys(`${service.prefix}device:*`);
    const before = (await deviceKeys()).sort();
    for (const deviceId of [`dev_${rand(20).toLowerCase()}`, 'a{b}', 'x'.repeat(65)]) {
      const answer = await revoke(deviceId);
      expect(answer.status, deviceId).toBe(404);
      expect(answer.body.error).toBe('device_not_found');
      expect(await service.redis.exists(deviceKey(deviceId))).toBe(0);
    }
    expect((await deviceKeys()).sort()).toEqual(before);
  });

  it('lets a later redemption of the same device enroll it again', async () => {
    const code = await createCode('use_existing_device');
    const first = await redeem(code);
    expect((await revoke(first.deviceId)).status).toBe(204);
    const second = await redeem(code);
    expect(
      (await verify({ deviceId: second.deviceId, deviceToken: second.deviceToken })).body,
    ).toMatchObject({ valid: true });
    expect(
      (await verify({ deviceId: first.deviceId, deviceToken: first.deviceToken })).body,
    ).toEqual({ valid: false });
  });
});

describe('recording a redemption again (the event relay)', () => {
  it('changes nothing when the same redemption is recorded again', async () => {
    const code = await createCode('create_device');
    const device = await redeem(code);
    const key = deviceKey(device.deviceId);
    const before = await service.redis.hgetall(key);
    await service.redis.pexpire(key, 60_000);
    const written = await registry.recordRedemption({
      deviceId: device.deviceId,
      tokenHash: hashDeviceToken(device.deviceToken),
      accountId: device.accountId,
      redeemedAt: Number(before.redeemedAt),
    });
    expect(written).toBe(false);
    expect(await service.redis.hgetall(key)).toEqual(before);
    expect(await service.redis.pttl(key)).toBeLessThanOrEqual(60_000);
  });

  it('does not bring back a token that was revoked', async () => {
    const code = await createCode('use_existing_device');
    const device = await redeem(code);
    const redeemedAt = await redeemedAtOf(device.deviceId);
    expect((await revoke(device.deviceId)).status).toBe(204);

    const written = await registry.recordRedemption({
      deviceId: device.deviceId,
      tokenHash: hashDeviceToken(device.deviceToken),
      accountId: null,
      redeemedAt,
    });
    expect(written).toBe(false);
    expect(
      (await verify({ deviceId: device.deviceId, deviceToken: device.deviceToken })).body,
    ).toEqual({ valid: false });
    expect((await revoke(device.deviceId)).status).toBe(404);
  });

  it('does not bring back the token of an older redemption of the device', async () => {
    const code = await createCode('use_existing_device');
    const first = await redeem(code);
    const firstAt = await redeemedAtOf(first.deviceId);
    const second = await redeem(code);
    const secondAt = await redeemedAtOf(second.deviceId);
    expect(secondAt).toBeGreaterThanOrEqual(firstAt);

    const written = await registry.recordRedemption({
      deviceId: first.deviceId,
      tokenHash: hashDeviceToken(first.deviceToken),
      accountId: null,
      redeemedAt: firstAt,
    });
    expect(written).toBe(false);
    expect(
      (await verify({ deviceId: first.deviceId, deviceToken: first.deviceToken })).body,
    ).toEqual({ valid: false });
    expect(
      (await verify({ deviceId: second.deviceId, deviceToken: second.deviceToken })).body,
    ).toMatchObject({ valid: true });
  });

  it('records a redemption that the replica could not (the relay catches up), in any order', async () => {
    const deviceId = `relay-${rand()}`;
    const older = { token: otherToken(), at: Date.now() - 60_000 };
    const newer = { token: otherToken(), at: Date.now() - 30_000 };
    const record = (r: typeof older) =>
      registry.recordRedemption({
        deviceId,
        tokenHash: hashDeviceToken(r.token),
        accountId: 'acct-relay',
        redeemedAt: r.at,
      });
    expect(await record(newer)).toBe(true);
    expect(await record(older)).toBe(false);
    expect(await record(newer)).toBe(false);
    const answer = await verify({ deviceId, deviceToken: newer.token });
    expect(answer.body).toEqual({
      valid: true,
      deviceId,
      accountId: 'acct-relay',
      redeemedAt: new Date(newer.at).toISOString(),
    });
    // Kept for the retention from the redemption's instant (then refreshed by the verification).
    expect((await verify({ deviceId, deviceToken: older.token })).body).toEqual({ valid: false });
  });

  it('does not send again a redemption this replica recorded lately (the relay after the eager write)', async () => {
    const own = new DeviceRegistry(service.redis, keysFor(service.prefix), RETENTION_MS);
    const deviceId = `memo-${rand()}`;
    const redemption = {
      deviceId,
      tokenHash: hashDeviceToken(otherToken()),
      accountId: null,
      redeemedAt: Date.now(),
    };
    expect(await own.recordRedemption(redemption)).toBe(true);
    // Gone from Redis behind the registry's back: a second send would write it again.
    await service.redis.del(deviceKey(deviceId));
    expect(await own.recordRedemption(redemption)).toBe(false);
    expect(await service.redis.exists(deviceKey(deviceId))).toBe(0);
    // Another registry (another replica's relay), or a newer redemption, is still sent.
    expect(await registry.recordRedemption(redemption)).toBe(true);
    await service.redis.del(deviceKey(deviceId));
    expect(
      await own.recordRedemption({ ...redemption, redeemedAt: redemption.redeemedAt + 1 }),
    ).toBe(true);
  });

  it('agrees on one token when two redemptions of a device share a millisecond, whatever the order', async () => {
    const at = Date.now();
    const tokens = [otherToken(), otherToken()];
    const winner = tokens.reduce((a, b) => (hashDeviceToken(a) > hashDeviceToken(b) ? a : b));
    for (const order of [tokens, [...tokens].reverse()]) {
      const deviceId = `tie-${rand()}`;
      for (const token of order) {
        await registry.recordRedemption({
          deviceId,
          tokenHash: hashDeviceToken(token),
          accountId: null,
          redeemedAt: at,
        });
      }
      for (const token of tokens) {
        const answer = await verify({ deviceId, deviceToken: token });
        expect(answer.body.valid).toBe(token === winner);
      }
    }
  });

  it('writes nothing for a redemption older than the retention', async () => {
    const deviceId = `stale-${rand()}`;
    const written = await registry.recordRedemption({
      deviceId,
      tokenHash: hashDeviceToken(otherToken()),
      accountId: null,
      redeemedAt: Date.now() - RETENTION_MS - 60_000,
    });
    expect(written).toBe(false);
    expect(await service.redis.exists(deviceKey(deviceId))).toBe(0);
  });

  it('answers the redemption 200 even when the device cannot be recorded', async () => {
    const deviceId = `broken-${rand()}`;
    // A key of the wrong type makes the registry's script fail.
    await service.redis.set(deviceKey(deviceId), 'not a hash', 'PX', 60_000);
    const code = await createCode('use_existing_device', { deviceId });
    const redeemed = await service.call('POST', '/api/v1/redeem', { body: redeemBody(code) });
    expect(redeemed.status).toBe(200);
    expect((await service.call('GET', `/api/v1/codes/${code}`)).body.timesUsed).toBe(1);
    await service.redis.del(deviceKey(deviceId));
  });
});

describe('the management token', () => {
  it('is required by both routes (401 without it, or with another)', async () => {
    const requests: [string, string, unknown?][] = [
      ['POST', '/api/v1/devices/verify', { deviceId: 'dev_x', deviceToken: 'x' }],
      ['DELETE', '/api/v1/devices/dev_x'],
    ];
    for (const [method, path, body] of requests) {
      const attempts: Record<string, string>[] = [
        {},
        { authorization: 'Bearer wrong' },
        { authorization: API_TOKEN },
      ];
      for (const headers of attempts) {
        const answer = await service.call(method, path, { body, headers, anonymous: true });
        expect(answer.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(answer.body.error).toBe('unauthorized');
        expect(answer.headers.get('www-authenticate')).toBe('Bearer');
      }
    }
  });

  it('revokes nothing on a request without it', async () => {
    const code = await createCode('create_device');
    const device = await redeem(code);
    const refused = await service.call('DELETE', `/api/v1/devices/${device.deviceId}`, {
      anonymous: true,
    });
    expect(refused.status).toBe(401);
    expect(
      (await verify({ deviceId: device.deviceId, deviceToken: device.deviceToken })).body.valid,
    ).toBe(true);
  });

  it('answers 404 on both routes when API_TOKEN is unset', async () => {
    const off = await startTestService({ API_TOKEN: '' });
    try {
      const verified = await off.call('POST', '/api/v1/devices/verify', {
        body: { deviceId: 'dev_x', deviceToken: 'x' },
        headers: { authorization: `Bearer ${API_TOKEN}` },
      });
      expect(verified.status).toBe(404);
      const revoked = await off.call('DELETE', '/api/v1/devices/dev_x', {
        headers: { authorization: `Bearer ${API_TOKEN}` },
      });
      expect(revoked.status).toBe(404);
    } finally {
      await off.close();
    }
  });
});

describe('the OpenAPI document', () => {
  it('describes both routes: operations, bearer security, statuses and the answer', async () => {
    const { body: doc } = await service.call('GET', '/api/v1/openapi.json');
    const verifyOp = doc.paths['/api/v1/devices/verify'].post;
    const revokeOp = doc.paths['/api/v1/devices/{deviceId}'].delete;
    expect(verifyOp.operationId).toBe('verifyDevice');
    expect(revokeOp.operationId).toBe('revokeDevice');
    for (const op of [verifyOp, revokeOp]) expect(op.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(verifyOp.responses)).toEqual(
      expect.arrayContaining(['200', '400', '401', '413', '415', '503']),
    );
    expect(Object.keys(revokeOp.responses)).toEqual(
      expect.arrayContaining(['204', '401', '404', '503']),
    );
    expect(doc.tags.map((tag: { name: string }) => tag.name)).toContain('devices');
  });
});

it('never writes a device token to the logs', async () => {
  const code = await createCode('create_device');
  const device = await redeem(code);
  const wrong = otherToken();
  await verify({ deviceId: device.deviceId, deviceToken: device.deviceToken });
  await verify({ deviceId: device.deviceId, deviceToken: wrong });
  await verify({ deviceId: device.deviceId, deviceToken: 42 });
  await revoke(device.deviceId);
  const logs = service.logs.join('');
  expect(logs).toContain('/api/v1/devices/verify');
  for (const secret of [
    device.deviceToken,
    wrong,
    hashDeviceToken(device.deviceToken),
    API_TOKEN,
  ]) {
    expect(logs).not.toContain(secret);
  }
});
