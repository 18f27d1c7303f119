import type { RedisClient } from './connection.js';
import type { Keys } from './keys.js';

/** How long a claim outlives the event: longer than Slack goes on retrying one. */
const CLAIM_TTL_SECONDS = 3_600;

/** Slack events claimed by the replica that handles them, so that each is handled once. */
export class EventClaims {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  /** True for the first claim of `eventId`, false for every later one. */
  async claim(eventId: string): Promise<boolean> {
    const key = this.keys.slackEvent(eventId);
    return (await this.redis.set(key, '1', 'EX', CLAIM_TTL_SECONDS, 'NX')) === 'OK';
  }
}
