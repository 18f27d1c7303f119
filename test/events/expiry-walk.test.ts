import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExpiryWalk } from '../../src/events/expiry-walk.js';
import { EVENT_TIMING } from '../../src/events/relay.js';
import { CodeRecords } from '../../src/store/code-records.js';
import { connectRedis, createRedis } from '../../src/store/connection.js';
import { DeviceRegistry } from '../../src/store/device-registry.js';
import { keysFor } from '../../src/store/keys.js';
import { RedisClock } from '../../src/store/redis-clock.js';
import { defineScripts } from '../../src/store/scripts/index.js';
import { CodeService } from '../../src/use-cases/code-service.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * A code's expiry task is planned only when its expiry is near (README: "Memory"); the walk over
 * every code plans the rest as Redis's clock brings them near, and makes up for walks missed.
 */
let redis: TestRedis;
let service: TestService;
const HOUR = 3_600_000;

beforeAll(async () => {
  redis = await startTestRedis([], { clockShift: true });
  service = await startTestService({ REDIS_URL: redis.url }, { eventTiming: { pollMs: 25 } });
});
afterAll(async () => {
  await service?.close();
  await redis?.stop();
});

async function createExpiringIn(ms: number): Promise<{ id: string; code: string; at: number }> {
  const at = Date.now() + ms;
  const created = await service.call('POST', '/api/v1/codes', {
    body: {
      action: 'create_device',
      accountId: 'acct-walk',
      expiresAt: new Date(at).toISOString(),
    },
  });
  expect(created.status).toBe(201);
  const { id, code, expiresAt } = created.body as { id: string; code: string; expiresAt: string };
  return { id, code, at: Date.parse(expiresAt) };
}

const keys = () => keysFor(service.prefix);
const expiryTask = (id: string) => service.redis.zscore(keys().eventSchedule, `expiry:${id}`);
const told = async () =>
  (await service.redis.xrange(keys().events, '-', '+')).map(([, fields]) => {
    const event = JSON.parse(fields[5] as string) as { type: string; code: { code: string } };
    return `${event.code.code} ${event.type}`;
  });

describe('planning expiries', () => {
  it('is left to the walk while an expiry is far, done by the walk as it nears, and never misses one', async () => {
    expect(EVENT_TIMING.expiryHorizonMs).toBe(3 * HOUR);
    expect(EVENT_TIMING.expiryWalkEveryMs).toBe(HOUR);
    const near = await createExpiringIn(HOUR);
    const soon = await createExpiringIn(5 * HOUR);
    const later = await createExpiringIn(8 * HOUR);
    const all = [near, soon, later].map((c) => `${c.code} code.created`);
    await expect.poll(told, { timeout: 5_000 }).toEqual(expect.arrayContaining(all));
    // Relayed: only the near one has its task; the far ones cost the schedule nothing.
    expect(Number(await expiryTask(near.id))).toBe(near.at);
    expect(await expiryTask(soon.id)).toBeNull();
    expect(await expiryTask(later.id)).toBeNull();

    // 2.5 h on, the hourly walk plans what is now within 3 h, and nothing further.
    await redis.shiftClock(2.5 * HOUR);
    await expect.poll(() => expiryTask(soon.id), { timeout: 5_000 }).toBe(String(soon.at));
    expect(await expiryTask(later.id)).toBeNull();
    await expect.poll(told, { timeout: 5_000 }).toContain(`${near.code} code.expired`);

    // 9 h on, with no walk in between (as if every replica were down): the late walk covers
    // the time it missed, and each expiry is told once.
    await redis.shiftClock(9 * HOUR);
    const expired = (c: { code: string }) => `${c.code} code.expired`;
    await expect
      .poll(async () => (await told()).filter((t) => t.endsWith('code.expired')).sort(), {
        timeout: 5_000,
      })
      .toEqual([near, soon, later].map(expired).sort());
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await told()).filter((t) => t.endsWith('code.expired'))).toHaveLength(3);
    expect(await expiryTask(later.id)).toBeNull();
  });
});

it('comes back within a sweep when a replica of an earlier version dropped its task', async () => {
  const own = await startTestService(
    { REDIS_URL: redis.url },
    { eventTiming: { pollMs: 25, sweepEveryMs: 200 } },
  );
  try {
    const { eventSchedule } = keysFor(own.prefix);
    const walkDue = () => own.redis.zscore(eventSchedule, 'expiry-walk:all');
    await expect.poll(walkDue, { timeout: 5_000 }).not.toBeNull();
    // An earlier version does not know the kind, claims it and drops it (a sweep may put it
    // back at once: every 200 ms here).
    expect(await own.redis.zrem(eventSchedule, 'expiry-walk:all')).toBe(1);
    await expect.poll(walkDue, { timeout: 5_000 }).not.toBeNull();
  } finally {
    await own.close();
  }
});

it('never skips a code whose planning failed: the walk does not move past a failed run', async () => {
  const client = createRedis({ url: redis.url });
  await connectRedis(client);
  defineScripts(client);
  const clock = new RedisClock(client);
  await clock.probe();
  const keys = keysFor(`test:walk:${randomBytes(4).toString('hex')}:`);
  const codes = new CodeService(client, keys, clock, HOUR, new DeviceRegistry(client, keys, HOUR));
  const records = new CodeRecords(client, keys, clock);
  const walk = new ExpiryWalk(client, keys, records, { horizonMs: 3 * HOUR, everyMs: HOUR });
  try {
    const start = await clock.now();
    const refused = async () => {
      throw new Error('READONLY You cannot write against a read only replica.');
    };
    const planned: string[] = [];
    const plan = async (id: string) => {
      planned.push(id);
    };
    expect(await walk.run(start, plan), 'a walk over no code').toBe(start + HOUR);
    const code = await codes.createCode(
      {
        action: 'create_device',
        accountId: 'acct-walk',
        expiresAt: new Date(start + 30 * 60_000).toISOString(),
      },
      'api',
    );
    // The next walk, 45 min on, finds it stopped and cannot plan it (Redis refusing writes)…
    await expect(walk.run(start + 45 * 60_000, refused)).rejects.toThrow(/READONLY/);
    // …so the one after, however late, still looks back to the last walk that finished.
    await walk.run(start + 2 * HOUR, plan);
    expect(planned).toEqual([code.id]);
  } finally {
    await codes.settled();
    client.disconnect();
  }
});
