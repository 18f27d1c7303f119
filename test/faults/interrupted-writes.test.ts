import { beforeAll, expect, it } from 'vitest';
import {
  isBackgroundScript,
  untilReady,
  useServiceBehindProxy,
} from '../support/proxied-service.js';
import { redeemBody, type TestService } from '../support/service.js';
import { expectStoreConsistent } from '../support/store-invariants.js';
import type { TcpProxy } from '../support/tcp-proxy.js';

/**
 * Creation, renaming, editing and removal span several keys and slots. Whatever step the
 * connection to Redis breaks after (a crash, a failover, an OOM between two steps), no code may
 * be redeemable without being listed, and no key may lack the TTL its code calls for (SPEC §3).
 * Each case cuts the connection right after the Nth script of an operation reached Redis, keeps
 * reconnects refused past the operation's budget, and then checks the whole store.
 */

const RETENTION_MS = 7 * 86_400_000;
const setup = useServiceBehindProxy();
let service: TestService;
let proxy: TcpProxy;
beforeAll(() => {
  ({ service, proxy } = setup);
});

let serial = 0;
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

async function create(body: Record<string, unknown>) {
  const created = await service.call('POST', '/api/v1/codes', { body });
  expect(created.status).toBe(201);
  return created.body as { code: string; id: string };
}

/** Runs `operation` with the connection cut after its (skip+1)th script, then checks the store. */
async function cutDuring(skip: number, operation: () => Promise<{ status: number }>) {
  const dropped = proxy.dropAfterNextScript({
    skip,
    refuseForMs: 2_700,
    ignore: isBackgroundScript,
  });
  const answer = await operation();
  // The cut comes once the script's reply is in (or 1 s without one): well within 3 s.
  const report = await Promise.race([
    dropped,
    new Promise<null>((resolve) => setTimeout(() => resolve(null), 3_000)),
  ]);
  if (report === null) {
    // Only an operation that ran out of its budget before its Nth script (a loaded machine)
    // sends fewer: it answered 503, and the store must still be whole.
    proxy.disarm();
    expect(answer.status, 'no cut: the operation sent fewer scripts').toBe(503);
  } else {
    expect(report.request).toMatch(/evalsha|eval/i);
  }
  // The service answered within its budget, truthfully or with 503.
  expect([200, 201, 204, 503]).toContain(answer.status);
  await untilReady(service);
  expect(await expectStoreConsistent(service, RETENTION_MS)).toBeGreaterThan(0);
  return answer;
}

it('creating a code: cut after its index entry, and after its record, it is listed and has its TTL', async () => {
  for (const [skip, expiresAt] of [
    [1, null],
    [1, inAnHour()],
    [0, inAnHour()],
  ] as const) {
    const code = `CUT-CREATE-${++serial}`;
    const answer = await cutDuring(skip, () =>
      service.call('POST', '/api/v1/codes', {
        body: { code, action: 'create_device', accountId: 'a1', expiresAt },
      }),
    );
    // Created or not, what the device sees agrees with the list.
    const redeemed = await service.call('POST', '/api/v1/redeem', { body: redeemBody(code) });
    const listed = await service.call('GET', `/api/v1/codes?q=${code}`);
    expect(redeemed.status === 200).toBe(listed.body.codes.length === 1);
    if (answer.status === 201) expect(redeemed.status).toBe(200);
  }
});

it('renaming a code: cut after each of its steps', async () => {
  // A first rename claims the new name and writes (its former name is its ID: no pointer to
  // release); a code renamed before also releases its former name's pointer after the write.
  for (const [renamedBefore, skip] of [
    [false, 0],
    [false, 1],
    [true, 0],
    [true, 1],
    [true, 2],
  ] as const) {
    let { code } = await create({
      action: 'create_device',
      accountId: 'a1',
      expiresAt: inAnHour(),
    });
    if (renamedBefore) {
      const first = `CUT-FIRST-${++serial}`;
      const answer = await service.call('PATCH', `/api/v1/codes/${code}`, {
        body: { code: first },
      });
      expect(answer.status).toBe(200);
      code = first;
    }
    const renamed = `CUT-RENAME-${++serial}`;
    await cutDuring(skip, () =>
      service.call('PATCH', `/api/v1/codes/${code}`, { body: { code: renamed } }),
    );
    // Exactly one of the two names finds the code.
    const found = await Promise.all(
      [code, renamed].map((name) => service.call('GET', `/api/v1/codes/${name}`)),
    );
    expect(found.map((answer) => answer.status).sort()).toEqual([200, 404]);
  }
});

it('editing a code that reached its limit: cut after the edit, the TTL follows', async () => {
  const { code } = await create({ action: 'create_device', accountId: 'a1', usageLimit: 1 });
  expect((await service.call('POST', '/api/v1/redeem', { body: redeemBody(code) })).status).toBe(
    200,
  );
  await cutDuring(0, () =>
    service.call('PATCH', `/api/v1/codes/${code}`, { body: { usageLimit: 3 } }),
  );
});

it('redeeming the last use: cut after the script, the TTLs of record and history agree', async () => {
  const { code } = await create({ action: 'create_device', accountId: 'a1', usageLimit: 1 });
  await cutDuring(0, () => service.call('POST', '/api/v1/redeem', { body: redeemBody(code) }));
});

it('removing a code: cut after each of its steps, the code is gone for devices', async () => {
  for (const skip of [0, 1]) {
    const { code } = await create({ action: 'create_device', accountId: 'a1' });
    const answer = await cutDuring(skip, () => service.call('DELETE', `/api/v1/codes/${code}`));
    const redeemed = await service.call('POST', '/api/v1/redeem', { body: redeemBody(code) });
    if (answer.status === 204) expect(redeemed.status).toBe(404);
  }
});
