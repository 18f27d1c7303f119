import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectRedis, createRedis, type RedisClient } from '../../src/store/connection.js';
import { keysFor } from '../../src/store/keys.js';
import { RemovalRequests } from '../../src/store/removal-requests.js';
import { startTestCluster, type TestCluster } from '../support/redis-cluster.js';

/**
 * Removal requests in Redis, on one server and on a three-master cluster (every script touches
 * one slot): one pending request per code, the first decision wins, decided requests expire.
 */

const DAY = 24 * 3_600_000;
let cluster: TestCluster;
const clients: RedisClient[] = [];

beforeAll(async () => {
  cluster = await startTestCluster();
}, 60_000);
afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  await cluster?.stop();
}, 30_000);

async function store(backend: 'single' | 'cluster') {
  const redis =
    backend === 'single'
      ? createRedis({ url: inject('redisUrl') })
      : createRedis({ clusterNodes: cluster.nodes });
  clients.push(redis);
  await connectRedis(redis);
  const prefix = `test:removals:${randomBytes(4).toString('hex')}:`;
  return { redis, keys: keysFor(prefix), requests: new RemovalRequests(redis, keysFor(prefix)) };
}

const ask = (codeId: string, requestedBy = 'USTAFF') => ({
  codeId,
  code: `${codeId}-TEXT`,
  requestedBy,
  reason: 'gone',
});

describe.each(['single', 'cluster'] as const)('on a %s Redis', (backend) => {
  it('opens one pending request per code; a second is given the first', async () => {
    const { requests } = await store(backend);
    const first = await requests.open(ask('CODE1'));
    expect(first.opened).toBe(true);
    const second = await requests.open(ask('CODE1', 'UOTHER'));
    expect(second).toEqual({
      opened: false,
      pending: first.opened ? first.request : null,
    });
    expect((await requests.open(ask('CODE2'))).opened).toBe(true);
    const pending = await requests.pending(10);
    expect(pending.map((r) => r.codeId)).toEqual(['CODE2', 'CODE1']);
    expect((await requests.pending(1)).map((r) => r.codeId)).toEqual(['CODE2']);
  });

  it('the first of many concurrent decisions wins; the others are given it', async () => {
    const { requests } = await store(backend);
    const opened = await requests.open(ask('CODE3'));
    if (!opened.opened) throw new Error('not opened');
    const id = opened.request.id;
    await requests.addCopy(id, { channel: 'DA', ts: '1.1' });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        requests.decide(id, i % 2 ? 'kept' : 'removed', `UADMIN${i}`),
      ),
    );
    const won = results.filter((r) => r.outcome === 'won');
    expect(won).toHaveLength(1);
    const winner = won[0]?.outcome === 'won' ? won[0].request.decided : null;
    for (const r of results.filter((x) => x.outcome === 'lost')) {
      expect(r.outcome === 'lost' && r.request.decided).toEqual(winner);
    }
    const stored = await requests.get(id);
    expect(stored?.decided).toEqual(winner);
    expect(stored?.copies).toEqual([{ channel: 'DA', ts: '1.1' }]);
    expect(await requests.pending(10)).toEqual([]);
    expect(await requests.pendingFor('CODE3')).toBeNull();
    // The code may be asked about again.
    expect((await requests.open(ask('CODE3'))).opened).toBe(true);
  });

  it('a decided request and its copies live a few days; a pending one a month', async () => {
    const { redis, keys, requests } = await store(backend);
    const opened = await requests.open(ask('CODE4'));
    if (!opened.opened) throw new Error('not opened');
    const { id } = opened.request;
    await requests.addCopy(id, { channel: 'DA', ts: '1.1' });
    const pendingTtl = await redis.pttl(keys.removalRequest(id));
    expect(pendingTtl).toBeGreaterThan(29 * DAY);
    expect(await redis.pttl(keys.removalPendingFor('CODE4'))).toBeGreaterThan(29 * DAY);
    await requests.decide(id, 'kept', 'UADMIN');
    for (const key of [keys.removalRequest(id), keys.removalCopies(id)]) {
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(2 * DAY);
      expect(ttl).toBeLessThanOrEqual(3 * DAY);
    }
    expect(await redis.exists(keys.removalPendingFor('CODE4'))).toBe(0);
  });

  it('opening a request drops index entries older than a pending request lives', async () => {
    const { redis, keys, requests } = await store(backend);
    await redis.zadd(keys.removalPending, Date.now() - 31 * DAY, 'ancient');
    await requests.open(ask('CODE8'));
    expect(await redis.zscore(keys.removalPending, 'ancient')).toBeNull();
    expect(await redis.zcard(keys.removalPending)).toBe(1);
  });

  it('a copy recorded after the decision is given the decision, to update it', async () => {
    const { requests } = await store(backend);
    const opened = await requests.open(ask('CODE5'));
    if (!opened.opened) throw new Error('not opened');
    expect(await requests.addCopy(opened.request.id, { channel: 'DA', ts: '1.1' })).toBeNull();
    await requests.decide(opened.request.id, 'removed', 'UADMIN');
    expect(await requests.addCopy(opened.request.id, { channel: 'DB', ts: '2.2' })).toMatchObject({
      decision: 'removed',
      by: 'UADMIN',
    });
    expect(await requests.addCopy('no-such', { channel: 'DB', ts: '2.2' })).toBeNull();
  });

  it('a decision that could not be carried out is reopened, unless another came since', async () => {
    const { requests } = await store(backend);
    const opened = await requests.open(ask('CODE6'));
    if (!opened.opened) throw new Error('not opened');
    const result = await requests.decide(opened.request.id, 'removed', 'UADMIN');
    if (result.outcome !== 'won' || !result.request.decided) throw new Error('not won');
    const decided = { ...result.request, decided: result.request.decided };
    expect(await requests.reopen(decided)).toBe(true);
    expect((await requests.pendingFor('CODE6'))?.id).toBe(opened.request.id);
    await requests.decide(opened.request.id, 'kept', 'UOTHER');
    expect(await requests.reopen(decided)).toBe(false);
    expect((await requests.get(opened.request.id))?.decided?.by).toBe('UOTHER');
  });

  it('a withdrawn request is gone, and the code may be asked about again', async () => {
    const { requests } = await store(backend);
    const opened = await requests.open(ask('CODE7'));
    if (!opened.opened) throw new Error('not opened');
    await requests.withdraw(opened.request);
    expect(await requests.get(opened.request.id)).toBeNull();
    expect(await requests.pending(10)).toEqual([]);
    expect((await requests.decide(opened.request.id, 'kept', 'UADMIN')).outcome).toBe('missing');
    expect((await requests.open(ask('CODE7'))).opened).toBe(true);
  });
});
