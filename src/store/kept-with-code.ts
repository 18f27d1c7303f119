import type { RedisClient } from './connection.js';

/** How long what the Slack side keeps of a code outlives it (its last message may need retries). */
const KEPT_AFTER_CODE_MS = 24 * 3_600_000;

type Multi = ReturnType<RedisClient['multi']>;

/**
 * Gives `key` the lifetime of its code: a day past the instant Redis removes the code (`removal`,
 * epoch ms of Redis's clock), or none while the code itself has none.
 */
export function keepWithCode(multi: Multi, key: string, removal: number | null): Multi {
  const until = keptUntil(removal);
  return until === null ? multi.persist(key) : multi.pexpireat(key, until);
}

/** When what is kept with a code goes: a day after the code, or never while the code has no end. */
export function keptUntil(removal: number | null): number | null {
  return removal === null ? null : removal + KEPT_AFTER_CODE_MS;
}
