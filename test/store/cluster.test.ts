import { randomBytes } from 'node:crypto';
import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysFor } from '../../src/store/keys.js';
import { EventOutbox } from '../../src/store/outbox.js';
import { decodeQr } from '../support/qr.js';
import { startTestCluster, type TestCluster } from '../support/redis-cluster.js';
import { redeemBody, startTestService, type TestService } from '../support/service.js';

/**
 * The whole service over real HTTP against a real three-master Redis Cluster on loopback
 * (REDIS_CLUSTER_NODES): every script must touch one slot, and codes must spread over masters.
 */

let cluster: TestCluster;
let service: TestService;
let client: Cluster;

beforeAll(async () => {
  cluster = await startTestCluster();
  service = await startTestService({
    REDIS_CLUSTER_NODES: cluster.nodesEnv,
    TRUST_PROXY: '1',
    REDEEM_MAX_FAILURES: '3',
    REDEEM_FAILURE_WINDOW: '10m',
  });
  client = new Cluster(cluster.nodes);
}, 60_000);

afterAll(async () => {
  await service?.close();
  await client?.quit().catch(() => client.disconnect());
  await cluster?.stop();
}, 30_000);

const GENERATED = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;
const group = { action: 'create_account_and_device', usernamePrefix: 'acme-' };

/** Each redemption comes from an address of its own unless a test says otherwise. */
let addresses = 0;
function freshAddress(): string {
  addresses++;
  return `198.18.${Math.floor(addresses / 250)}.${(addresses % 250) + 1}`;
}

function rand(length = 8): string {
  const alphabet = 'ABCDEFGHJKMNPQRSTVWXYZ0123456789';
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
}

const codePath = (code: string, suffix = '') =>
  `/api/v1/codes/${encodeURIComponent(code)}${suffix}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function create(body: Record<string, unknown>) {
  const response = await service.call('POST', '/api/v1/codes', { body });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body as { code: string; id: string; version: number; [field: string]: unknown };
}

function redeem(code: string, headers: Record<string, string> = {}, from = freshAddress()) {
  return service.call('POST', '/api/v1/redeem', {
    body: redeemBody(code),
    headers: { 'x-forwarded-for': from, ...headers },
  });
}

describe('the service on a three-master Redis Cluster', () => {
  it('runs in cluster mode against three masters and reports ready', async () => {
    expect(service.redis).toBeInstanceOf(Cluster);
    expect((service.redis as Cluster).nodes('master')).toHaveLength(3);
    const info = await client.cluster('INFO');
    expect(info).toMatch(/cluster_state:ok/);
    expect(info).toMatch(/cluster_known_nodes:3/);
    expect(info).toMatch(/cluster_slots_assigned:16384/);
    const ready = await service.call('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready' });
  });

  it('creates generated and custom codes and finds them by case and dash variants', async () => {
    const generated = await create({ ...group, description: 'generated' });
    expect(generated.code).toMatch(GENERATED);
    const bare = generated.code.replaceAll('-', '');
    for (const variant of [
      generated.code,
      generated.code.toLowerCase(),
      bare,
      `${bare.slice(0, 6)} ${bare.slice(6)}`,
    ]) {
      const found = await service.call('GET', codePath(variant));
      expect(found.status, variant).toBe(200);
      expect(found.body.id).toBe(generated.id);
    }

    const text = `Cl-${rand(4)}_${rand(4)}`;
    const custom = await create({
      action: 'create_device',
      accountId: 'acct@example.com',
      code: text,
    });
    expect(custom.code).toBe(text);
    for (const variant of [
      text.toUpperCase(),
      text.toLowerCase(),
      text.replaceAll(/[-_]/g, ''),
      text.replaceAll('_', '-'),
    ]) {
      const found = await service.call('GET', codePath(variant));
      expect(found.status, variant).toBe(200);
      expect(found.body).toMatchObject({
        id: custom.id,
        code: text,
        accountId: 'acct@example.com',
      });
    }
    const taken = await service.call('POST', '/api/v1/codes', {
      body: { ...group, code: text.toLowerCase().replaceAll('_', '-') },
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toBe('code_taken');
    expect((await service.call('GET', codePath(`NOPE-${rand()}`))).status).toBe(404);
  });

  it('lists newest first and pages with the cursor', async () => {
    const tag = `page-${rand(6).toLowerCase()}`;
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      made.push((await create({ ...group, description: `${tag} ${i}` })).id);
      await sleep(3);
    }
    // Unfiltered: the five newest codes of this prefix are ours, newest first, over pages of 2.
    const first = await service.call('GET', '/api/v1/codes?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.codes.map((c: { id: string }) => c.id)).toEqual([made[4], made[3]]);
    expect(typeof first.body.nextCursor).toBe('string');
    const second = await service.call(
      'GET',
      `/api/v1/codes?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`,
    );
    expect(second.body.codes.map((c: { id: string }) => c.id)).toEqual([made[2], made[1]]);

    // Filtered by text, following every cursor to the end.
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const params = new URLSearchParams({ limit: '2', q: tag });
      if (cursor) params.set('cursor', cursor);
      const response = await service.call('GET', `/api/v1/codes?${params}`);
      expect(response.status).toBe(200);
      expect(response.body.codes.length).toBeLessThanOrEqual(2);
      ids.push(...response.body.codes.map((c: { id: string }) => c.id));
      cursor = response.body.nextCursor;
      if (cursor === null) break;
    }
    expect(cursor).toBeNull();
    expect(ids).toEqual([...made].reverse());
  });

  it('renames with PATCH: the count stays, the old name is gone, the new one works', async () => {
    const oldName = `OLD-${rand()}`;
    const created = await create({ ...group, code: oldName, usageLimit: 10 });
    expect((await redeem(oldName)).status).toBe(200);
    expect((await redeem(oldName)).status).toBe(200);

    const newName = `NEW-${rand()}`;
    const patched = await service.call('PATCH', codePath(oldName.toLowerCase()), {
      body: { code: newName, description: 'renamed on the cluster' },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({
      id: created.id,
      code: newName,
      description: 'renamed on the cluster',
      timesUsed: 2,
      version: 2,
    });
    expect(patched.headers.get('etag')).toBe('"2"');

    const old = await service.call('GET', codePath(oldName));
    expect(old.status).toBe(404);
    expect(old.body.error).toBe('code_not_found');
    expect((await redeem(oldName)).status).toBe(404);

    const renamed = await service.call('GET', codePath(newName.toLowerCase()));
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id: created.id, timesUsed: 2 });
    const used = await redeem(newName);
    expect(used.status).toBe(200);
    expect(used.body.code.timesUsed).toBe(3);

    // The old name is free again for a new code.
    const reused = await create({ ...group, code: oldName });
    expect(reused.id).not.toBe(created.id);
  });

  it('refuses a stale If-Match with 412 on PATCH and DELETE, and accepts the current one', async () => {
    const created = await create({ ...group, description: 'v1' });
    const first = await service.call('PATCH', codePath(created.code), {
      body: { description: 'v2' },
      headers: { 'if-match': '"1"' },
    });
    expect(first.status).toBe(200);
    expect(first.body.version).toBe(2);

    const stale = await service.call('PATCH', codePath(created.code), {
      body: { description: 'stale' },
      headers: { 'if-match': '1' },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.error).toBe('version_conflict');
    const staleDelete = await service.call('DELETE', codePath(created.code), {
      headers: { 'if-match': 'W/"1"' },
    });
    expect(staleDelete.status).toBe(412);

    const after = await service.call('GET', codePath(created.code));
    expect(after.body).toMatchObject({ description: 'v2', version: 2 });
    const deleted = await service.call('DELETE', codePath(created.code), {
      headers: { 'if-match': '"2"' },
    });
    expect(deleted.status).toBe(204);
  });

  it('deletes a code: 204, then 404 everywhere and gone from the list', async () => {
    const created = await create({ ...group, description: `delete-${rand()}` });
    const deleted = await service.call('DELETE', codePath(created.code.toLowerCase()));
    expect(deleted.status).toBe(204);
    expect((await service.call('GET', codePath(created.code))).status).toBe(404);
    expect((await service.call('GET', codePath(created.code, '/history'))).status).toBe(404);
    expect((await service.call('DELETE', codePath(created.code))).status).toBe(404);
    const redeemed = await redeem(created.code);
    expect(redeemed.status).toBe(404);
    expect(redeemed.body.error).toBe('code_not_found');
    const listed = await service.call(
      'GET',
      `/api/v1/codes?q=${encodeURIComponent(String(created.description))}`,
    );
    expect(listed.body.codes).toEqual([]);
    expect(await client.exists(`${service.prefix}code:{${created.id}}`)).toBe(0);
    expect(await client.exists(`${service.prefix}name:{${created.code.replaceAll('-', '')}}`)).toBe(
      0,
    );
  });

  it('keeps the history: created, updated, redeemed, newest first', async () => {
    const created = await create({ ...group });
    await sleep(2);
    expect(
      (
        await service.call('PATCH', codePath(created.code), {
          body: { description: 'with history' },
        })
      ).status,
    ).toBe(200);
    await sleep(2);
    const used = await redeem(created.code);
    expect(used.status).toBe(200);
    const history = await service.call('GET', codePath(created.code, '/history'));
    expect(history.status).toBe(200);
    const events = history.body.events as { type: string; by: string; accountId?: string }[];
    expect(events.map((e) => e.type)).toEqual(['redeemed', 'updated', 'created']);
    expect(events[0]).toMatchObject({ by: 'device', accountId: used.body.accountId });
    expect(events[2]?.by).toBe('api');
  });

  it('renders the QR image of a code', async () => {
    const created = await create({ ...group });
    const qr = await service.call('GET', codePath(created.code.toLowerCase(), '/qr.png'));
    expect(qr.status).toBe(200);
    expect(qr.headers.get('content-type')).toBe('image/png');
    expect(decodeQr(qr.bytes)).toBe(created.code);
  });

  it('succeeds exactly 7 times out of 60 concurrent redemptions of a usageLimit 7 code, with 7 accounts', async () => {
    const prefix = `race${rand(4).toLowerCase()}-`;
    const { code } = await create({ ...group, usernamePrefix: prefix, usageLimit: 7 });
    const answers = await Promise.all(Array.from({ length: 60 }, () => redeem(code)));
    const won = answers.filter((a) => a.status === 200);
    expect(won).toHaveLength(7);
    const accounts = won.map((a) => a.body.accountId as string);
    expect(new Set(accounts).size).toBe(7);
    for (const account of accounts) expect(account).toMatch(new RegExp(`^${prefix}\\d{4,}$`));
    const others = answers.filter((a) => a.status !== 200);
    expect(others.map((a) => `${a.status} ${a.body.error}`)).toEqual(
      Array.from({ length: 53 }, () => '410 code_used_up'),
    );
    const stored = await service.call('GET', codePath(code));
    expect(stored.body).toMatchObject({ timesUsed: 7, status: 'used_up' });
  });

  it('never gives the same account ID to two codes that share a username prefix', async () => {
    const prefix = `shared${rand(4).toLowerCase()}-`;
    const first = await create({ ...group, usernamePrefix: prefix });
    const second = await create({ ...group, usernamePrefix: prefix });
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => redeem(i % 2 ? first.code : second.code)),
    );
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 30 }, () => 200));
    const accounts = answers.map((a) => a.body.accountId as string);
    expect(new Set(accounts).size).toBe(30);
    for (const account of accounts) expect(account.startsWith(prefix)).toBe(true);
  });

  it('answers an Idempotency-Key retry with the same answer and counts it once', async () => {
    const { code } = await create({ ...group, usageLimit: 2 });
    const key = `retry-${rand()}`;
    const first = await redeem(code, { 'idempotency-key': key });
    const retry = await redeem(code, { 'idempotency-key': key });
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect((await service.call('GET', codePath(code))).body.timesUsed).toBe(1);
    const other = await redeem(code, { 'idempotency-key': `other-${rand()}` });
    expect(other.status).toBe(200);
    expect(other.body.accountId).not.toBe(first.body.accountId);
    expect(other.body.code.timesUsed).toBe(2);
    expect((await redeem(code, { 'idempotency-key': `third-${rand()}` })).status).toBe(410);
  });

  it('refuses an address after REDEEM_MAX_FAILURES unknown codes, with Retry-After', async () => {
    const attacker = freshAddress();
    const { code } = await create({ ...group });
    for (let i = 0; i < 3; i++) {
      const guess = await redeem(`GUESS-${i}-${rand(4)}`, {}, attacker);
      expect(guess.status).toBe(404);
    }
    const blocked = await redeem(`GUESS-9-${rand(4)}`, {}, attacker);
    expect(blocked.status).toBe(429);
    expect(blocked.body.error).toBe('rate_limited');
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect((await redeem(code, {}, attacker)).status).toBe(429);
    expect((await redeem(code, {}, freshAddress())).status).toBe(200);
  });

  it('sets the TTL of a code with expiresAt to expiresAt + RETENTION, on the record and its name', async () => {
    const week = 7 * 86_400_000;
    const expiresAt = Date.now() + 3_600_000;
    const created = await create({ ...group, expiresAt: new Date(expiresAt).toISOString() });
    const recordTtl = await client.pttl(`${service.prefix}code:{${created.id}}`);
    expect(Math.abs(recordTtl - (expiresAt + week - Date.now()))).toBeLessThan(5_000);
    // The history list exists from the first event after creation, with the record's lifetime.
    await service.call('PATCH', `/api/v1/codes/${created.code}`, { body: { description: 'ttl' } });
    const historyTtl = await client.pttl(`${service.prefix}code:{${created.id}}:history`);
    expect(Math.abs(historyTtl - (expiresAt + week - Date.now()))).toBeLessThan(5_000);
    // A renamed code is found through its new name's pointer, which lives as long as the record.
    const renamed = `TTL-${created.id.slice(0, 8)}`;
    await service.call('PATCH', `/api/v1/codes/${created.code}`, { body: { code: renamed } });
    const nameTtl = await client.pttl(`${service.prefix}name:{${renamed.replaceAll('-', '')}}`);
    expect(Math.abs(nameTtl - (expiresAt + week - Date.now()))).toBeLessThan(5_000);

    const open = await create({ ...group });
    expect(await client.pttl(`${service.prefix}code:{${open.id}}`)).toBe(-1);
  });

  it('answers any text a device sends as a code with 404 or 400, never a cross-slot 500', async () => {
    const texts = ['}abcd', '{abcd}', 'ab}cd{ef', '{}ABCD', '}}}}', 'ABCD}', '{a}{b}cd', '____a'];
    for (const text of [
      ...texts,
      ...Array.from({ length: 40 }, () => randomBytes(6).toString('latin1')),
    ]) {
      const answer = await redeem(text);
      expect([400, 404], `${JSON.stringify(text)} → ${answer.status}`).toContain(answer.status);
    }
    expect(service.logs.filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
  });

  it('spreads codes over the masters, and every code works whichever master holds it', async () => {
    const created: { id: string; code: string }[] = [];
    for (let i = 0; i < 30; i++) created.push(await create({ ...group, usageLimit: 5 }));

    // Which master owns each slot, from CLUSTER SLOTS.
    const slots = await client.cluster('SLOTS');
    const ownerOf = (slot: number) => {
      const range = slots.find(([from, to]) => slot >= from && slot <= to);
      const master = range?.[2];
      if (!master) throw new Error(`slot ${slot} is not served`);
      return master[1];
    };

    // What each master actually holds, by SCAN on the master itself.
    const masters = client.nodes('master');
    expect(masters).toHaveLength(3);
    const recordKey = new RegExp(`^${service.prefix.replaceAll(':', '\\:')}code:\\{([^}]+)\\}$`);
    const heldBy = new Map<string, number>();
    for (const node of masters) {
      const port = node.options.port as number;
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(
          cursor,
          'MATCH',
          `${service.prefix}code:*`,
          'COUNT',
          500,
        );
        cursor = next;
        for (const key of keys) {
          const id = recordKey.exec(key)?.[1];
          if (id) {
            expect(heldBy.has(id), `record ${id} on two masters`).toBe(false);
            heldBy.set(id, port);
          }
        }
      } while (cursor !== '0');
    }

    const ports = new Set<number>();
    for (const { id } of created) {
      const key = `${service.prefix}code:{${id}}`;
      const slot = (await client.cluster('KEYSLOT', key)) as number;
      const port = heldBy.get(id);
      expect(port, `record ${id} found on no master`).toBeDefined();
      expect(port).toBe(ownerOf(slot));
      ports.add(port as number);
    }
    expect(ports.size).toBeGreaterThanOrEqual(2);

    // Every code redeems, so each script ran on the master of its own slot.
    const answers = await Promise.all(created.map(({ code }) => redeem(code)));
    expect(answers.map((a) => a.status)).toEqual(created.map(() => 200));
    expect(new Set(answers.map((a) => a.body.accountId)).size).toBe(30);
  });
});

describe('events on a Cluster', () => {
  it('relays every code’s events, whichever master holds the code, to one stream', async () => {
    const made = await Promise.all(
      Array.from({ length: 6 }, () => create({ action: 'create_device', accountId: 'acct-ev' })),
    );
    for (const { code } of made) {
      for (let i = 0; i < 2; i++) expect((await redeem(code)).status).toBe(200);
    }
    const { events } = keysFor(service.prefix);
    const told = async () =>
      (await client.xrange(events, '-', '+'))
        .map(
          ([, fields]) => JSON.parse(fields[5] as string) as { type: string; code: { id: string } },
        )
        .filter((event) => made.some((m) => m.id === event.code.id));
    await expect.poll(async () => (await told()).length, { timeout: 10_000 }).toBe(18);
    for (const { id } of made) {
      expect((await told()).filter((e) => e.code.id === id).map((e) => e.type)).toEqual([
        'code.created',
        'code.redeemed',
        'code.redeemed',
      ]);
    }
  });

  it('finds waiting outboxes on every master', async () => {
    const keys = keysFor(service.prefix);
    const ids = Array.from({ length: 12 }, () => `SWEEP${rand(7)}`);
    const masters = new Set<string>();
    for (const id of ids) {
      await client.rpush(keys.outbox(id), '{}');
      masters.add(String(client.slots[calculateSlot(keys.outbox(id))]?.[0]));
    }
    expect(masters.size).toBeGreaterThan(1);
    try {
      const found = await new EventOutbox(service.redis, keys).withPendingEvents();
      for (const id of ids) expect(found.has(id)).toBe(true);
    } finally {
      await Promise.all(ids.map((id) => client.del(keys.outbox(id))));
    }
  });
});
