import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { keysFor } from '../../src/store/keys.js';
import { redeemBody, startTestService, type TestService } from '../support/service.js';

/**
 * SPEC §2: no two redemptions of any codes ever get the same account ID, also between prefixes
 * that differ by trailing digits (`zq` + `10001` = `zq1` + `0001`).
 */

let service: TestService;

beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service?.close());

async function groupCode(usernamePrefix: string): Promise<string> {
  const created = await service.call('POST', '/api/v1/codes', {
    body: { action: 'create_account_and_device', usernamePrefix },
  });
  expect(created.status).toBe(201);
  return created.body.code;
}

async function accountOf(code: string): Promise<string> {
  const answer = await service.call('POST', '/api/v1/redeem', { body: redeemBody(code) });
  expect(answer.status).toBe(200);
  return answer.body.accountId;
}

/** As if (at least) `count` accounts had been made with this prefix already (10,000 redemptions take a while). */
async function alreadyDrawn(usernamePrefix: string, count: number) {
  const [, stem = '', tail = ''] = /^(.*?)(\d*)$/.exec(usernamePrefix) ?? [];
  const key = keysFor(service.prefix).accountNumbers(stem);
  const drawn = Number((await service.redis.hget(key, tail)) ?? 0);
  // Counters only go up, as Redis keeps them: a counter set back would draw its numbers again.
  await service.redis.hset(key, tail, Math.max(drawn, count));
}

it('the 10,001st account of `zq` and the first of `zq1` differ', async () => {
  const zq = await groupCode('zq');
  const zq1 = await groupCode('zq1');
  await alreadyDrawn('zq', 10_000);
  const first = await accountOf(zq);
  const second = await accountOf(zq1);
  expect(first).toBe('zq10001');
  expect(second).toMatch(/^zq1\d{4,}$/);
  expect(second).not.toBe(first);
});

it('and the other way round: `zq1` first, then `zq` past 10,000', async () => {
  const zq1 = await groupCode('yq1');
  const zq = await groupCode('yq');
  const early = [await accountOf(zq1), await accountOf(zq1), await accountOf(zq1)];
  expect(early).toEqual(['yq10001', 'yq10002', 'yq10003']);
  await alreadyDrawn('yq', 10_000);
  const late = [await accountOf(zq), await accountOf(zq)];
  for (const id of late) expect(early).not.toContain(id);
  expect(new Set(late).size).toBe(2);
});

it('never hands out one account ID twice across prefixes of one stem (random order and counts)', async () => {
  const prefixes = ['w', 'w1', 'w12', 'w0', 'w01', 'w-1'];
  const codes = Object.fromEntries(
    await Promise.all(prefixes.map(async (p) => [p, await groupCode(p)] as const)),
  );
  const seen = new Set<string>();
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ prefix: fc.constantFrom(...prefixes), jump: fc.boolean() }), {
        minLength: 1,
        maxLength: 20,
      }),
      async (steps) => {
        for (const { prefix, jump } of steps) {
          // Now and then, jump a counter to just below a width change (9,999 → 10,000).
          if (jump) await alreadyDrawn(prefix, 9_990 + (seen.size % 20));
          const id = await accountOf(codes[prefix] as string);
          expect(id.startsWith(prefix)).toBe(true);
          expect(seen.has(id)).toBe(false);
          seen.add(id);
        }
      },
    ),
    { numRuns: 15 },
  );
});

it('carries on from a counter kept the old way (per prefix), so an upgrade hands out no number twice', async () => {
  const code = await groupCode('legacy-');
  await service.redis.set(`${service.prefix}prefix:{legacy-}`, '41');
  expect(await accountOf(code)).toBe('legacy-0042');
  expect(await accountOf(code)).toBe('legacy-0043');
});
