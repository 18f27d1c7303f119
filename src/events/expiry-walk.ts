import { usableUntil } from '../codes/lifetime.js';
import { CodeIndex, idOfMember } from '../store/code-index.js';
import type { CodeRecords } from '../store/code-records.js';
import type { RedisClient } from '../store/connection.js';
import type { Keys } from '../store/keys.js';

/** Index entries read per page, and pages per run: one run reads at most 10,000 records. */
const PAGE = 500;
const PAGES_PER_RUN = 20;

/** Where a walk stands (the `expiry-walk` key, JSON). */
interface WalkState {
  /** The last index entry this walk looked at; absent between walks. */
  cursor?: string;
  /** When this walk started; absent between walks. */
  startedAt?: number;
  /** When the last finished walk started: this walk looks at codes stopping since then. */
  lastStartedAt?: number;
}

/**
 * A code gets its expiry task (the relay's `expiry:<ID>`) only once the instant it stops being
 * usable is near: a task costs Redis about 120 B for as long as the code lives, and most codes
 * stop weeks ahead. The relay plans it when an event shows it near; this walk over the index,
 * run every `everyMs` by one replica at a time, plans those that time brought near. A walk looks
 * at codes stopping after the previous walk started and before `horizonMs` from now; with
 * `horizonMs` > `everyMs` the windows overlap, and a walk that comes late (every replica down)
 * covers the gap, so no expiry is left untold.
 */
export class ExpiryWalk {
  private readonly index: CodeIndex;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly records: CodeRecords,
    private readonly timing: { horizonMs: number; everyMs: number },
  ) {
    this.index = new CodeIndex(redis, keys);
  }

  /** Whether a code stopping at `until` is near enough at `now` to be planned by the relay. */
  isNear(until: number, now: number): boolean {
    return until <= now + this.timing.horizonMs;
  }

  /**
   * Goes on with the walk for a few pages, calling `plan` for each code stopping in its window.
   * Answers when to run again: at once while the walk is under way, else in `everyMs`.
   */
  async run(now: number, plan: (id: string, until: number) => Promise<void>): Promise<number> {
    const stored = await this.redis.get(this.keys.expiryWalk);
    const state: WalkState = stored ? (JSON.parse(stored) as WalkState) : {};
    // What replicas of an earlier version listed during a rolling upgrade, so the walk sees it.
    if (state.startedAt === undefined) await this.index.adoptLegacy();
    const startedAt = state.startedAt ?? now;
    const from = state.lastStartedAt ?? startedAt;
    let cursor = state.cursor;
    for (let page = 0; page < PAGES_PER_RUN; page++) {
      const members = await this.index.page(cursor ?? null, PAGE);
      await Promise.all(
        members.map(async (member) => {
          const id = idOfMember(member);
          const code = await this.records.findById(id);
          const until = code && usableUntil(code);
          if (until !== null && until > from && this.isNear(until, now)) await plan(id, until);
        }),
      );
      if (members.length < PAGE) {
        await this.save({ lastStartedAt: startedAt });
        return now + this.timing.everyMs;
      }
      cursor = members.at(-1) as string;
    }
    await this.save({ ...state, cursor, startedAt });
    return now;
  }

  private async save(state: WalkState): Promise<void> {
    await this.redis.set(this.keys.expiryWalk, JSON.stringify(state));
  }
}
