import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { RedisClient } from '../store/connection.js';
import { clientKey } from './client-key.js';

export interface RedeemLimiterOptions {
  keyPrefix: string;
  maxFailures: number;
  windowMs: number;
}

/** Past this many remembered addresses, forget those whose block has ended. */
const PRUNE_ABOVE = 10_000;

/**
 * Brute-force guard: counts redemptions of codes that do not exist, per client address (an IPv6
 * client per /64: see clientKey), in Redis (so every replica shares the count). The failure that goes over the limit is answered 429, and
 * this replica then refuses the address from memory until the window ends, without asking Redis.
 * So a redemption of a real code costs no round trip for the guard; an address blocked through
 * another replica gets at most one more attempt here (which, if it misses, is refused).
 */
export class RedeemLimiter {
  private readonly limiter: RateLimiterRedis;
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    redis: RedisClient,
    private readonly options: RedeemLimiterOptions,
  ) {
    this.limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: options.keyPrefix,
      points: options.maxFailures,
      duration: Math.max(1, Math.ceil(options.windowMs / 1000)),
    });
  }

  /** Seconds until the address may try again, or 0 when it may now. */
  retryAfterSeconds(address: string, now = Date.now()): number {
    const key = clientKey(address);
    const until = this.blockedUntil.get(key);
    if (until === undefined) return 0;
    if (until <= now) {
      this.blockedUntil.delete(key);
      return 0;
    }
    return Math.max(1, Math.ceil((until - now) / 1000));
  }

  /** Counts a failure; answers the seconds to wait when it went over the limit, else 0. */
  async recordFailure(address: string): Promise<number> {
    const key = clientKey(address);
    const state = await this.limiter.penalty(key, 1);
    if (state.consumedPoints <= this.options.maxFailures) return 0;
    const now = Date.now();
    if (this.blockedUntil.size > PRUNE_ABOVE) {
      for (const [known, until] of this.blockedUntil)
        if (until <= now) this.blockedUntil.delete(known);
    }
    this.blockedUntil.set(key, now + state.msBeforeNext);
    return this.retryAfterSeconds(address, now);
  }
}
