import { TIME_KEY_LENGTH, timeKey } from '../codes/ids.js';
import type { InstallCode } from '../codes/model.js';
import type { RedisClient } from './connection.js';
import type { Keys } from './keys.js';

/** Index entries each new code looks at for codes that are gone (see sweep). */
const SWEEP_STEP = 3;

/** Finds the codes behind index entries: null where the code is gone (or was made again since). */
export type ResolveEntries = (members: string[]) => Promise<(InstallCode | null)[]>;

/**
 * The list of every code, newest first: a sorted set of `<creation instant><ID>` members, so it
 * pages by member alone. An entry is written before its record and removed after it, so every
 * record that can be redeemed is listed; entries whose record is gone are dropped as readers meet
 * them, and by the sweep.
 */
export class CodeIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  async add(code: Pick<InstallCode, 'createdAt' | 'id'>): Promise<void> {
    await this.redis.zadd(this.keys.index, 0, indexMember(code));
  }

  async remove(...members: string[]): Promise<void> {
    if (members.length) await this.redis.zrem(this.keys.index, ...members);
  }

  /** Up to `count` entries older than `after` (or the newest), newest first. */
  page(after: string | null, count: number): Promise<string[]> {
    const from = after ? `(${after}` : '+';
    return this.redis.zrange(this.keys.index, from, '-', 'BYLEX', 'REV', 'LIMIT', 0, count);
  }

  /**
   * Records leave by their TTL, but their index entries stay until someone lists past them. So
   * each new code looks at the next few entries of the whole index, in turn, from where the last
   * one stopped: every expired code's entry goes within (index size / SWEEP_STEP) creations.
   */
  async sweep(resolve: ResolveEntries): Promise<void> {
    const after = await this.redis.get(this.keys.indexSweep);
    const from = after ? `(${after}` : '-';
    const members = await this.redis.zrange(
      this.keys.index,
      from,
      '+',
      'BYLEX',
      'LIMIT',
      0,
      SWEEP_STEP,
    );
    const codes = await resolve(members);
    await this.remove(...members.filter((_, i) => codes[i] === null));
    // At the newest end, start again from the oldest.
    if (members.length < SWEEP_STEP) await this.redis.del(this.keys.indexSweep);
    else await this.redis.set(this.keys.indexSweep, members.at(-1) as string);
  }
}

/** A code's entry: its creation instant (9 sortable symbols) and its ID. */
export function indexMember(code: Pick<InstallCode, 'createdAt' | 'id'>): string {
  return `${timeKey(code.createdAt)}${code.id}`;
}

export function idOfMember(member: string): string {
  return member.slice(TIME_KEY_LENGTH);
}
