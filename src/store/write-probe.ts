import { Cluster } from 'ioredis';
import { type RedisClient, redisFailureOf } from './connection.js';
import { monotonicNow, settleBy } from './redis-clock.js';
import { SLOTS, tagOfSlot } from './slot-tags.js';

/** Long enough to outlive a probe, short enough that probe keys never pile up. */
const PROBE_TTL_MS = 60_000;

/**
 * Proves Redis takes writes now: a SET with a TTL (a write that Redis refuses when out of memory,
 * a replica, unable to save, loading, busy or without enough replicas), on every master of a
 * cluster. Answers null when every write succeeded within `timeoutMs`, or a short reason: the
 * refusal's code (`OOM`, `READONLY`, …), `unreachable`, `timeout`, `slots without a master`.
 */
export async function probeWrites(
  redis: RedisClient,
  keyPrefix: string,
  timeoutMs: number,
): Promise<string | null> {
  let keys: string[];
  if (redis instanceof Cluster) {
    const tags = tagPerMaster(redis.slots);
    if (!tags) return 'slots without a master';
    keys = tags.map((tag) => `${keyPrefix}ready:{${tag}}`);
  } else {
    keys = [`${keyPrefix}ready`];
  }
  const value = String(Date.now());
  const writes = Promise.all(keys.map((key) => redis.set(key, value, 'PX', PROBE_TTL_MS))).then(
    () => null,
    (error: unknown) => redisFailureOf(error)?.kind ?? 'error',
  );
  return settleBy(monotonicNow() + timeoutMs, writes).catch(() => 'timeout');
}

/**
 * One hash tag per master, each in a slot that master owns, as the client's slot map says; null
 * when a slot has no master (the cluster cannot take every write).
 */
function tagPerMaster(slots: string[][]): string[] | null {
  const slotOfMaster = new Map<string, number>();
  for (let slot = 0; slot < SLOTS; slot++) {
    const master = slots[slot]?.[0];
    if (!master) return null;
    if (!slotOfMaster.has(master)) slotOfMaster.set(master, slot);
  }
  return [...slotOfMaster.values()].map(tagOfSlot);
}
