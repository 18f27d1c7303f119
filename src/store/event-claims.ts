import type { RedisClient } from './connection.js';
import type { Keys } from './keys.js';

/** How long a claim outlives the event: longer than Slack goes on retrying one. */
const CLAIM_TTL_SECONDS = 3_600;

/**
 * Slack deliveries claimed by the replica that handles them, so that each is handled once: events
 * by their ID, signed requests by their signature.
 */
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

  /** True for the first claim of a request's signature, false for a replay; kept `ttlSeconds`. */
  async claimRequest(signature: string, ttlSeconds: number): Promise<boolean> {
    const key = this.keys.slackRequest(signature);
    return (await this.redis.set(key, '1', 'EX', ttlSeconds, 'NX')) === 'OK';
  }
}
