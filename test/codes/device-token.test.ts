import { describe, expect, it } from 'vitest';
import {
  hashDeviceToken,
  idempotencyKeyHash,
  newDeviceToken,
  openToken,
  sealToken,
} from '../../src/codes/device-token.js';
import { newDeviceId, newRecordId } from '../../src/codes/ids.js';

describe('newDeviceToken', () => {
  it('carries at least 128 bits', () => {
    const token = newDeviceToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(16);
  });

  it('is different every time', () => {
    const tokens = new Set<string>();
    for (let i = 0; i < 2000; i++) tokens.add(newDeviceToken());
    expect(tokens.size).toBe(2000);
  });

  it('is not mostly constant (every position varies)', () => {
    const tokens = Array.from({ length: 64 }, () => newDeviceToken());
    const length = tokens[0]?.length ?? 0;
    for (let i = 0; i < length - 1; i++) {
      expect(new Set(tokens.map((t) => t[i])).size).toBeGreaterThan(1);
    }
  });
});

describe('hashDeviceToken', () => {
  it('is deterministic', () => {
    const token = newDeviceToken();
    expect(hashDeviceToken(token)).toBe(hashDeviceToken(token));
  });

  it('is not the token and does not contain it', () => {
    const token = newDeviceToken();
    const hash = hashDeviceToken(token);
    expect(hash).not.toBe(token);
    expect(hash).not.toContain(token);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs for different tokens', () => {
    const hashes = new Set<string>();
    for (let i = 0; i < 500; i++) hashes.add(hashDeviceToken(newDeviceToken()));
    expect(hashes.size).toBe(500);
    expect(hashDeviceToken('a')).not.toBe(hashDeviceToken('b'));
  });
});

describe('sealToken / openToken', () => {
  const key = 'idem-key-1';
  const scope = 'code:ABCDEFGHJKMN';

  it('round-trips', () => {
    const token = newDeviceToken();
    expect(openToken(sealToken(token, key, scope), key, scope)).toBe(token);
  });

  it('round-trips any text, including empty and non-ASCII', () => {
    for (const token of ['', 'x', 'Grüße ✓', 'a'.repeat(1000)]) {
      expect(openToken(sealToken(token, key, scope), key, scope)).toBe(token);
    }
  });

  it('does not hold the token in the clear', () => {
    const token = newDeviceToken();
    const sealed = sealToken(token, key, scope);
    expect(sealed).not.toContain(token);
    expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toContain(token);
  });

  it('seals the same token differently each time', () => {
    const token = newDeviceToken();
    expect(sealToken(token, key, scope)).not.toBe(sealToken(token, key, scope));
  });

  it('throws when opened with a wrong idempotency key', () => {
    const sealed = sealToken(newDeviceToken(), key, scope);
    expect(() => openToken(sealed, 'idem-key-2', scope)).toThrow();
    expect(() => openToken(sealed, '', scope)).toThrow();
  });

  it('throws when opened with a wrong scope', () => {
    const sealed = sealToken(newDeviceToken(), key, scope);
    expect(() => openToken(sealed, key, 'code:OTHER')).toThrow();
  });

  it('throws when the sealed text was tampered with', () => {
    const sealed = Buffer.from(sealToken(newDeviceToken(), key, scope), 'base64url');
    const last = sealed.length - 1;
    sealed[last] = (sealed[last] ?? 0) ^ 1;
    expect(() => openToken(sealed.toString('base64url'), key, scope)).toThrow();
  });

  it('throws on text that was never sealed', () => {
    expect(() => openToken('not-a-sealed-token', key, scope)).toThrow();
    expect(() => openToken('', key, scope)).toThrow();
  });
});

describe('idempotencyKeyHash', () => {
  it('is deterministic, distinct per key, and not the key', () => {
    expect(idempotencyKeyHash('k1')).toBe(idempotencyKeyHash('k1'));
    expect(idempotencyKeyHash('k1')).not.toBe(idempotencyKeyHash('k2'));
    expect(idempotencyKeyHash('k1')).not.toContain('k1');
  });
});

describe('newDeviceId', () => {
  it('is distinct and well-formed', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const id = newDeviceId('ab12');
      expect(id).toMatch(/^dev_ab12[0-9a-z]{20}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(1000);
  });
});

describe('newRecordId', () => {
  it('is 16 characters of [0-9a-z]', () => {
    for (const now of [0, 1, Date.now(), Date.UTC(2100, 0, 1)]) {
      expect(newRecordId(now)).toMatch(/^[0-9a-z]{16}$/);
    }
    expect(newRecordId()).toMatch(/^[0-9a-z]{16}$/);
  });

  it('sorts ids made at later instants lexicographically later', () => {
    const instants = [
      0,
      1,
      31,
      32,
      33,
      1023,
      1024,
      Date.UTC(2000, 0, 1),
      Date.UTC(2026, 0, 15, 12, 0, 0),
      Date.UTC(2026, 0, 15, 12, 0, 0) + 1,
      Date.UTC(2026, 0, 15, 12, 0, 1),
      Date.UTC(2026, 6, 1),
      Date.UTC(2100, 0, 1),
    ];
    for (let i = 1; i < instants.length; i++) {
      for (let attempt = 0; attempt < 20; attempt++) {
        const earlier = newRecordId(instants[i - 1]);
        const later = newRecordId(instants[i]);
        expect(earlier < later, `${earlier} < ${later}`).toBe(true);
      }
    }
  });

  it('sorts many ids by time regardless of their random part', () => {
    const base = Date.UTC(2026, 0, 15);
    const made = Array.from({ length: 300 }, (_, i) => ({ at: base + i * 997, id: '' }));
    for (const m of made) m.id = newRecordId(m.at);
    const shuffled = [...made].sort(() => Math.random() - 0.5);
    const byId = shuffled.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    expect(byId.map((m) => m.at)).toEqual(made.map((m) => m.at));
  });

  it('gives distinct ids for the same instant', () => {
    const now = Date.now();
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) ids.add(newRecordId(now));
    expect(ids.size).toBe(1000);
  });

  it('defaults to the current time', () => {
    const before = newRecordId(Date.now() - 1000);
    const made = newRecordId();
    const after = newRecordId(Date.now() + 1000);
    expect(before < made).toBe(true);
    expect(made < after).toBe(true);
  });
});
