import { CROCKFORD_ALPHABET } from './code-text.js';
import { randomBytesPooled } from './random.js';

/** Identifiers the service makes: devices', records', and instants that sort as text. */

function randomSymbols(count: number): string {
  let out = '';
  for (const byte of randomBytesPooled(count)) out += CROCKFORD_ALPHABET[byte & 31];
  return out.toLowerCase();
}

/**
 * A new device's ID: `dev_`, a slot tag (store/slot-tags.ts: 4 symbols, so that its record can
 * share a slot with the code that made it), then 100 random bits.
 */
export function newDeviceId(slotTag: string): string {
  return `dev_${slotTag}${randomSymbols(20)}`;
}

export const TIME_KEY_LENGTH = 9;

/** An instant as 9 base32 symbols that sort as the instants do (good for a thousand years). */
export function timeKey(instant: number): string {
  let key = '';
  for (let t = instant, i = 0; i < TIME_KEY_LENGTH; i++, t = Math.floor(t / 32)) {
    key = CROCKFORD_ALPHABET[t % 32] + key;
  }
  return key.toLowerCase();
}

/**
 * A random record ID, for a code whose name is held by another record's ID: lower case, so it
 * never equals a name (names are upper case), and sorting by creation time like a ULID.
 */
export function newRecordId(now = Date.now()): string {
  return timeKey(now) + randomSymbols(7);
}

/** A redemption attempt's own ID (random), which its kept answer names. */
export function newAttemptId(): string {
  return randomSymbols(20);
}

/** An event's ID (see events/): 100 random bits, so consumers can deduplicate by it. */
export function newEventId(): string {
  return `evt_${randomSymbols(20)}`;
}
