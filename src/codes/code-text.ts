import { randomInt } from 'node:crypto';

/** Crockford's base32: no I, L, O or U, so a code read aloud or off a screen is hard to get wrong. */
export const CROCKFORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const GENERATED_SYMBOLS = 12;
const GROUP = 4;

/** A fresh code of 12 symbols (60 bits from the CSPRNG), shown as `XXXX-XXXX-XXXX`. */
export function generateCode(): string {
  let symbols = '';
  for (let i = 0; i < GENERATED_SYMBOLS; i++) symbols += CROCKFORD_ALPHABET[randomInt(32)];
  return symbols.match(new RegExp(`.{${GROUP}}`, 'g'))?.join('-') ?? symbols;
}

/** The form codes compare in: case, `-`, `_` and spaces ignored, so `abcd efgh` = `ABCD-EFGH`. */
export function normalizeCode(text: string): string {
  return text.replace(/[-_\s]/g, '').toUpperCase();
}

/** Enough of a code to recognise it in a log line, never enough to use it. */
export function maskCode(text: string): string {
  const normal = normalizeCode(text);
  return `${normal.slice(0, Math.min(4, Math.floor(normal.length / 3)))}…`;
}

const NAME = /^[A-Z0-9]{4,64}$/;

/**
 * The name a code is stored and found under: its normalised form, or null when no code can be
 * written so (fewer than 4 letters or digits, other characters). Only names ever become keys, so
 * no text a client sends can reach Redis as a key of another slot (a `}` would move the hash tag).
 */
export function codeName(text: string): string | null {
  const name = normalizeCode(text);
  return NAME.test(name) ? name : null;
}
