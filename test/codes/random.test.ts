import { describe, expect, it } from 'vitest';
import { randomBytesPooled } from '../../src/codes/random.js';

describe('randomBytesPooled', () => {
  it('never hands the same bytes out twice, across many refills of the pool', () => {
    const seen = new Set<string>();
    // 20,000 × 20 bytes: about a hundred refills of the 4 KiB pool, and draws that straddle them.
    for (let i = 0; i < 20_000; i++) seen.add(randomBytesPooled(20).toString('hex'));
    expect(seen.size).toBe(20_000);
  });

  it('gives copies: changing what it gave changes nothing drawn later', () => {
    const first = randomBytesPooled(32);
    first.fill(7);
    const next = randomBytesPooled(32);
    expect(next.equals(Buffer.alloc(32, 7))).toBe(false);
  });

  it('draws every byte value about equally often', () => {
    const counts = new Array(256).fill(0);
    for (let i = 0; i < 1_000; i++) for (const byte of randomBytesPooled(256)) counts[byte]++;
    // 1,000 of each expected; a CSPRNG stays far inside ±25 %.
    expect(Math.min(...counts)).toBeGreaterThan(750);
    expect(Math.max(...counts)).toBeLessThan(1_250);
  });

  it('refuses more than a pool at once', () => {
    expect(() => randomBytesPooled(4097)).toThrow(RangeError);
  });
});
