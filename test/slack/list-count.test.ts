import { describe, expect, it } from 'vitest';
import {
  decodePosition,
  encodePosition,
  FIRST_PAGE,
  matchCount,
  nextPosition,
  previousPosition,
} from '../../src/slack/views/code-list.js';

describe('how many codes the list says match', () => {
  it('is exact on the last page and “at least” before it', () => {
    const first = FIRST_PAGE('acme');
    expect(matchCount(first, 10, true)).toBe('At least 10 codes match “acme”.');
    const second = nextPosition(first, 'cursor-1', 10);
    expect(matchCount(second, 2, false)).toBe('12 codes match “acme”.');
    expect(matchCount(FIRST_PAGE(''), 1, false)).toBe('1 code.');
    expect(matchCount(FIRST_PAGE('x'), 1, false)).toBe('1 code matches “x”.');
  });

  it('counts a short page (the scan stopped early) as it was, not as ten', () => {
    const second = nextPosition(FIRST_PAGE('acme'), 'cursor-1', 3);
    expect(matchCount(second, 4, false)).toBe('7 codes match “acme”.');
  });

  it('says nothing when the pages before are unknown: after Previous, or from an older button', () => {
    const third = nextPosition(nextPosition(FIRST_PAGE('a'), 'c1', 10), 'c2', 10);
    expect(matchCount(previousPosition(third), 10, true)).toBeNull();
    const older = decodePosition(JSON.stringify({ q: 'a', page: 2, cursors: ['', 'c1'] }));
    expect(matchCount(older, 10, true)).toBeNull();
    // Back on the first page it is known again.
    expect(matchCount(previousPosition(nextPosition(FIRST_PAGE('a'), 'c1', 10)), 10, true)).toBe(
      'At least 10 codes match “a”.',
    );
  });

  it('survives the button: what Next carries decodes to the same count', () => {
    const next = nextPosition(FIRST_PAGE('acme'), 'cursor-1', 10);
    expect(decodePosition(encodePosition(next)).shown).toBe(10);
    expect(decodePosition(JSON.stringify({ ...next, shown: -3 })).shown).toBeUndefined();
  });

  it('cuts a filter whose JSON would not fit the button’s 2000 characters', () => {
    const position = { q: '\u0001'.repeat(1000), page: 1, cursors: [''], shown: 0 };
    expect(encodePosition(position).length).toBeLessThanOrEqual(2000);
  });
});
