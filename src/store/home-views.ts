import type { RedisClient } from './connection.js';
import type { Keys } from './keys.js';

/** What one person chose to see on their App Home. */
export interface HomeChoice {
  scope: 'mine' | 'all';
  /** A status to filter by, or '' for all. */
  status: string;
  /** The list's page: where the remembered pages start (see code-list.ts ListPosition). */
  cursors: string[];
  page: number;
}

export const DEFAULT_HOME_CHOICE: HomeChoice = { scope: 'all', status: '', cursors: [''], page: 1 };

/** Slack does not say when a Home tab is closed: one opened or used within this counts as open. */
export const HOME_OPEN_MS = 30 * 60_000;
/** How long a person's choices are kept after they last opened their Home. */
const CHOICE_KEPT_SECONDS = 7 * 24 * 3_600;

/**
 * Who has the App Home open (by when they last opened or used it), what each chose to see, and a
 * digest of what was last published to them, so a republish that would show the same is skipped.
 */
export class HomeViews {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  /** Someone opened or used their Home at `now`. */
  async seen(userId: string, now: number): Promise<void> {
    await this.redis.zadd(this.keys.homeViewers, now, userId);
  }

  /** Those who opened or used their Home since `since`; older ones are forgotten. */
  async openSince(since: number): Promise<string[]> {
    await this.redis.zremrangebyscore(this.keys.homeViewers, '-inf', `(${since}`);
    return this.redis.zrangebyscore(this.keys.homeViewers, since, '+inf');
  }

  async choiceOf(userId: string): Promise<HomeChoice> {
    const raw = await this.redis.hget(this.keys.home(userId), 'choice');
    if (!raw) return DEFAULT_HOME_CHOICE;
    return { ...DEFAULT_HOME_CHOICE, ...(JSON.parse(raw) as Partial<HomeChoice>) };
  }

  async choose(userId: string, choice: HomeChoice): Promise<void> {
    const key = this.keys.home(userId);
    await this.redis
      .multi()
      .hset(key, 'choice', JSON.stringify(choice))
      .hdel(key, 'shown')
      .expire(key, CHOICE_KEPT_SECONDS)
      .exec();
  }

  /** The digest of what was last published to `userId`, if any. */
  async shown(userId: string): Promise<string | null> {
    return this.redis.hget(this.keys.home(userId), 'shown');
  }

  async setShown(userId: string, digest: string): Promise<void> {
    const key = this.keys.home(userId);
    await this.redis.multi().hset(key, 'shown', digest).expire(key, CHOICE_KEPT_SECONDS).exec();
  }
}
