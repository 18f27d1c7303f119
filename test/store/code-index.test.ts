import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { CodeIndex, indexMember } from '../../src/store/code-index.js';
import type { RedisClient } from '../../src/store/connection.js';
import type { Keys } from '../../src/store/keys.js';
import { INDEX_BUCKET_SIZE } from '../../src/store/scripts/code-index.js';
import { connectTestRedis, freshKeys } from '../support/store-redis.js';

/**
 * Issue 12 §6: the list's index keeps its entries in buckets small enough for Redis's compact
 * encoding, and pages through them exactly as one sorted set would.
 */

let redis: RedisClient;
let keys: Keys;
let index: CodeIndex;

beforeAll(async () => {
  redis = await connectTestRedis();
});
afterAll(() => redis?.quit());
beforeEach(() => {
  keys = freshKeys();
  index = new CodeIndex(redis, keys);
});

const T0 = Date.parse('2026-11-26T00:00:00Z');
const entry = (offsetMs: number, id: string) => indexMember({ createdAt: T0 + offsetMs, id });

/** Every entry, newest first, read in pages of `size`. */
async function allPages(size: number): Promise<string[]> {
  const all: string[] = [];
  for (let after: string | null = null; ; ) {
    const page = await index.page(after, size);
    all.push(...page);
    if (page.length < size) return all;
    after = page.at(-1) as string;
  }
}

/** The buckets: each key with its entries and Redis's encoding of it. */
async function buckets() {
  const starts = ['', ...(await redis.zrange(keys.index, 0, -1))];
  return Promise.all(
    starts.map(async (start) => {
      const key = `${keys.index}:${start}`;
      return {
        start,
        entries: await redis.zrange(key, 0, -1),
        encoding: await redis.object('ENCODING', key),
        bytes: Number((await redis.memory('USAGE', key)) ?? 0),
      };
    }),
  );
}

it('pages newest first exactly as one sorted set would, through any adds and removals', async () => {
  const operation = fc.oneof(
    fc.record({
      add: fc.array(fc.tuple(fc.nat(100_000), fc.stringMatching(/^[A-Z0-9]{4,12}$/)), {
        maxLength: 200,
        size: 'max',
      }),
    }),
    fc.record({ remove: fc.array(fc.nat(), { maxLength: 150, size: 'max' }) }),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.array(operation, { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 1, max: 300 }),
      async (operations, pageSize) => {
        keys = freshKeys();
        index = new CodeIndex(redis, keys);
        const model = new Set<string>();
        for (const op of operations) {
          if ('add' in op) {
            await Promise.all(op.add.map(([at, id]) => index.add({ createdAt: T0 + at, id })));
            for (const [at, id] of op.add) model.add(entry(at, id));
          } else {
            const present = [...model];
            const gone = op.remove.map((i) => present[i % Math.max(1, present.length)]);
            const members = gone.filter((m): m is string => m !== undefined);
            await index.remove(...members);
            for (const m of members) model.delete(m);
          }
        }
        const newestFirst = [...model].sort().reverse();
        expect(await allPages(pageSize)).toEqual(newestFirst);
        for (const bucket of await buckets()) {
          expect(bucket.entries.length).toBeLessThanOrEqual(INDEX_BUCKET_SIZE);
          if (bucket.start !== '') expect(bucket.entries.length).toBeGreaterThan(0);
          for (const member of bucket.entries) expect(member >= bucket.start).toBe(true);
        }
        // Removing every entry leaves nothing behind: no bucket, no directory.
        await index.remove(...newestFirst);
        expect(await allPages(pageSize)).toEqual([]);
        expect(await redis.keys(`${keys.index}*`)).toEqual([]);
      },
    ),
    { numRuns: 40 },
  );
});

it('keeps codes created one after another in full buckets of the compact encoding', async () => {
  const count = 1_000;
  for (let i = 0; i < count; i++) await index.add({ createdAt: T0 + i * 1_000, id: `CODE${i}` });
  const all = await buckets();
  expect(all).toHaveLength(Math.ceil(count / INDEX_BUCKET_SIZE));
  for (const bucket of all.slice(0, -1)) expect(bucket.entries).toHaveLength(INDEX_BUCKET_SIZE);
  for (const bucket of all) expect(bucket.encoding).toBe('listpack');
  const bytes = all.reduce((sum, b) => sum + b.bytes, 0);
  expect(bytes / count).toBeLessThan(40);
  // The newest page ends where the next begins, across a bucket's edge.
  const first = await index.page(null, 130);
  expect(first[0]).toBe(entry((count - 1) * 1_000, `CODE${count - 1}`));
  expect(await index.page(first.at(-1) as string, 1)).toEqual([
    entry((count - 131) * 1_000, `CODE${count - 131}`),
  ]);
});

it("moves an earlier version's index (one sorted set) into its buckets, losing none", async () => {
  const legacy = Array.from({ length: 1_234 }, (_, i) => entry(i * 7, `OLD${i}`));
  await redis.zadd(keys.legacyIndex, ...legacy.flatMap((m) => [0, m]));
  await index.add({ createdAt: T0 + 10_000_000, id: 'NEW' });
  expect(await index.adoptLegacy()).toBe(1_234);
  expect(await redis.exists(keys.legacyIndex)).toBe(0);
  expect(await allPages(100)).toEqual([entry(10_000_000, 'NEW'), ...legacy.sort().reverse()]);
  expect(await index.adoptLegacy()).toBe(0);
});
