import { expect } from 'vitest';
import { normalizeCode } from '../../src/codes/code-text.js';
import { removalAt } from '../../src/codes/lifetime.js';
import { CodeIndex, indexMember } from '../../src/store/code-index.js';
import { keysFor } from '../../src/store/keys.js';
import type { TestService } from './service.js';

/** Every entry of the service's code index, newest first. */
export async function indexEntries(service: TestService): Promise<string[]> {
  const index = new CodeIndex(service.redis, keysFor(service.prefix));
  const all: string[] = [];
  for (let page = await index.page(null, 500); page.length > 0; ) {
    all.push(...page);
    page = page.length < 500 ? [] : await index.page(page.at(-1) as string, 500);
  }
  return all;
}

/** Every key of the service under its prefix (a single Redis). */
async function keysOf(service: TestService): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await service.redis.scan(
      cursor,
      'MATCH',
      `${service.prefix}*`,
      'COUNT',
      500,
    );
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

const expiryOf = async (service: TestService, key: string) =>
  Number(await service.redis.call('PEXPIRETIME', key));

/**
 * SPEC §3: every code that can be redeemed is listed, and every key has the TTL its code calls
 * for ((the instant it stops being usable) + RETENTION, or none): records, their history,
 * and name pointers to live records. Answers how many records it checked.
 */
export async function expectStoreConsistent(service: TestService, retentionMs: number) {
  const keys = keysFor(service.prefix);
  const all = await keysOf(service);
  const listed = new Set(await indexEntries(service));
  const records = all.filter((key) => /code:\{[^}]+\}$/.test(key));
  for (const key of records) {
    const id = /\{([^}]+)\}$/.exec(key)?.[1] as string;
    const code = await service.codes.findById(id);
    expect(code, `${key} holds a code`).not.toBeNull();
    if (!code) continue;
    expect(listed.has(indexMember(code)), `${code.code} is listed`).toBe(true);
    const expiry = await expiryOf(service, key);
    expect(expiry, `${key}'s TTL`).toBe(removalAt(code, retentionMs) ?? -1);
    for (const companion of [keys.history(id)]) {
      if (all.includes(companion)) expect(await expiryOf(service, companion)).toBe(expiry);
    }
  }
  for (const key of all.filter((k) => /:name:\{[^}]+\}$/.test(k))) {
    const name = /\{([^}]+)\}$/.exec(key)?.[1] as string;
    const id = (await service.redis.get(key)) as string;
    const code = await service.codes.findById(id);
    // A pointer to a live record that bears the name lives as long as that record.
    if (code && normalizeCode(code.code) === name) {
      expect(await expiryOf(service, key), `${key}'s TTL`).toBe(
        await expiryOf(service, keys.record(id)),
      );
    }
  }
  // A device is kept for DEVICE_RETENTION after its last redemption or verification, never for good.
  for (const key of all.filter((k) => /:device:\{[^}]+\}$/.test(k))) {
    expect(await expiryOf(service, key), `${key}'s TTL`).toBeGreaterThan(0);
  }
  return records.length;
}
