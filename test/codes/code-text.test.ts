import { describe, expect, it } from 'vitest';
import {
  CROCKFORD_ALPHABET,
  generateCode,
  maskCode,
  normalizeCode,
} from '../../src/codes/code-text.js';
import { CODE_TEXT } from '../../src/codes/rules.js';

const GENERATED_FORMAT = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

describe('generateCode', () => {
  it('is shown as XXXX-XXXX-XXXX', () => {
    for (let i = 0; i < 200; i++) expect(generateCode()).toMatch(GENERATED_FORMAT);
  });

  it('uses only Crockford base32 symbols (no I, L, O or U)', () => {
    expect(CROCKFORD_ALPHABET).toBe('0123456789ABCDEFGHJKMNPQRSTVWXYZ');
    for (let i = 0; i < 200; i++) {
      const symbols = generateCode().replaceAll('-', '');
      expect(symbols).toHaveLength(12);
      for (const symbol of symbols) expect(CROCKFORD_ALPHABET).toContain(symbol);
      expect(symbols).not.toMatch(/[ILOU]/);
    }
  });

  it('gives a different code on every draw', () => {
    const codes = new Set<string>();
    for (let i = 0; i < 5000; i++) codes.add(generateCode());
    expect(codes.size).toBe(5000);
  });

  it('draws every symbol of the alphabet over many codes (not a narrow subset)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) for (const s of generateCode().replaceAll('-', '')) seen.add(s);
    expect(seen.size).toBe(32);
  });

  it('is a valid custom code too, so it passes the code rule', () => {
    for (let i = 0; i < 50; i++) expect(generateCode()).toMatch(CODE_TEXT);
  });

  it('is already in the form it compares in, apart from the dashes', () => {
    const code = generateCode();
    expect(normalizeCode(code)).toBe(code.replaceAll('-', ''));
  });
});

describe('normalizeCode', () => {
  it('treats `abcd efgh` and `ABCD-EFGH` as the same code', () => {
    expect(normalizeCode('abcd efgh')).toBe(normalizeCode('ABCD-EFGH'));
    expect(normalizeCode('ABCD-EFGH')).toBe('ABCDEFGH');
  });

  it('ignores underscores', () => {
    expect(normalizeCode('ab_cd_ef_gh')).toBe('ABCDEFGH');
    expect(normalizeCode('__abcd__efgh__')).toBe(normalizeCode('ABCD-EFGH'));
  });

  it('ignores case', () => {
    expect(normalizeCode('AbCd-eFgH')).toBe('ABCDEFGH');
  });

  it('ignores any mix of dashes, underscores and whitespace', () => {
    expect(normalizeCode(' a-b_c d\te\nf ')).toBe('ABCDEF');
  });

  it('keeps codes apart that differ in letters or digits', () => {
    expect(normalizeCode('ABCD-EFGH')).not.toBe(normalizeCode('ABCD-EFGJ'));
    expect(normalizeCode('ABCD-1234')).not.toBe(normalizeCode('ABCD-12345'));
  });

  it('is idempotent', () => {
    const once = normalizeCode('xy-zz_12 34');
    expect(normalizeCode(once)).toBe(once);
  });
});

describe('maskCode', () => {
  const samples = [
    'ABCD',
    'abcd',
    'A1B2C',
    'ABCD-EFGH',
    'ABCD-EFGH-JKMN',
    'my_custom_code_2024',
    'x'.repeat(64),
    generateCode(),
  ];

  it.each(samples)('never reveals the whole of %s', (code) => {
    const masked = maskCode(code);
    const normal = normalizeCode(code);
    const visible = normalizeCode(masked.replace('…', ''));
    expect(masked).not.toContain(code);
    expect(normalizeCode(masked)).not.toContain(normal);
    expect(visible.length).toBeLessThan(normal.length);
    // at least two thirds stay hidden
    expect(visible.length).toBeLessThanOrEqual(Math.floor(normal.length / 3));
  });

  it('shows at most the first four symbols of a generated code, so a log line can be matched to it', () => {
    const masked = maskCode('ABCD-EFGH-JKMN');
    expect(masked.startsWith('ABCD')).toBe(true);
    expect(masked).not.toContain('EFGH');
    expect(masked).not.toContain('JKMN');
  });

  it('masks codes that compare equal the same way', () => {
    expect(maskCode('abcd efgh jkmn')).toBe(maskCode('ABCD-EFGH-JKMN'));
  });
});
