import { TIME_KEY_LENGTH, timeKey } from '../codes/ids.js';
import type { InstallCode } from '../codes/model.js';
import type { RedisClient } from './connection.js';
import type { Keys } from './keys.js';
import { indexAddScript, indexPageScript, indexRemoveScript } from './scripts/index.js';

/** Index entries each new code looks at for codes that are gone (see sweep). */
const SWEEP_STEP = 3;
/** Entries moved at a time from an earlier version's index. */
const ADOPT_STEP = 500;

/** Finds the codes behind index entries: null where the code is gone (or was made again since). */
export type ResolveEntries = (members: string[]) => Promise<(InstallCode | null)[]>;

/**
 * The list of every code, newest first: `<creation instant><ID>` entries, so it pages by entry
 * alone. An entry is written before its record and removed after it, so every record that can be
 * redeemed is listed; entries whose record is gone are dropped as readers meet them, and by the
 * sweep. The entries are kept in buckets of at most 120 (scripts/code-index.ts), which Redis
 * stores compactly: about 30 B an entry, against 130 in one big sorted set.
 */
export class CodeIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  async add(code: Pick<InstallCode, 'createdAt' | 'id'>): Promise<void> {
    await indexAddScript.run(this.redis, { directory: this.keys.index }, {}, [indexMember(code)]);
  }

  async remove(...members: string[]): Promise<void> {
    if (members.length) {
      await indexRemoveScript.run(this.redis, { directory: this.keys.index }, {}, members);
    }
  }

  /** Up to `count` entries older than `after` (or the newest), newest first. */
  page(after: string | null, count: number): Promise<string[]> {
    return indexPageScript.run(
      this.redis,
      { directory: this.keys.index },
      { after: after ?? '', count },
    );
  }

  /**
   * Moves the entries of an earlier version's index (one sorted set) into this one: on start,
   * and before each expiry walk, for what replicas of that version listed during a rolling
   * upgrade. Added before removed, so an entry is never in neither.
   */
  async adoptLegacy(): Promise<number> {
    let adopted = 0;
    for (;;) {
      const members = await this.redis.zrange(this.keys.legacyIndex, 0, ADOPT_STEP - 1);
      if (members.length === 0) return adopted;
      await indexAddScript.run(this.redis, { directory: this.keys.index }, {}, members);
      await this.redis.zrem(this.keys.legacyIndex, ...members);
      adopted += members.length;
    }
  }

  /**
   * Records leave by their TTL, but their index entries stay until someone lists past them. So
   * each new code looks at the next few entries of the whole index, in turn, from where the last
   * one stopped: every expired code's entry goes within about (index size / SWEEP_STEP)
   * creations.
   */
  async sweep(resolve: ResolveEntries): Promise<void> {
    const members = await this.page(await this.redis.get(this.keys.indexSweep), SWEEP_STEP);
    const codes = await resolve(members);
    await this.remove(...members.filter((_, i) => codes[i] === null));
    // At the oldest end, start again from the newest.
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
