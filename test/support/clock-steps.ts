import type { Redis } from 'ioredis';
import type { RedisClock } from '../../src/store/redis-clock.js';
import type { TestRedis } from './redis-server.js';

/** Redis's TIME in epoch milliseconds (whole ms, as the scripts read it). */
export async function redisTimeMs(client: Redis): Promise<number> {
  const [seconds, micros] = await client.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/**
 * Steps the server's wall clock to real time + `offsetMs`, then has the service measure it again.
 * Probed twice: the first probe may join one the service's timer sent before the step, whose
 * reading is stale; the second is sent after the step (or joins one that was).
 */
export async function stepClock(
  redis: TestRedis,
  service: { clock: RedisClock },
  offsetMs: number,
): Promise<void> {
  await redis.shiftClock(offsetMs);
  await service.clock.probe();
  await service.clock.probe();
}
