import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { RedisClient } from '../store/connection.js';

export interface RedeemLimiterOptions {
  keyPrefix: string;
  maxFailures: number;
  windowMs: number;
}

/**
 * Brute-force guard: counts redemptions of codes that do not exist, per client address, in Redis
 * (so every replica shares the count). Past the limit, the address is refused until the window ends.
 */
export class RedeemLimiter {
  private readonly limiter: RateLimiterRedis;

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
  async retryAfterSeconds(address: string): Promise<number> {
    const state = await this.limiter.get(address);
    if (!state || state.consumedPoints < this.options.maxFailures) return 0;
    return Math.max(1, Math.ceil(state.msBeforeNext / 1000));
  }

  async recordFailure(address: string): Promise<void> {
    await this.limiter.penalty(address, 1);
  }
}
