import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { connectRedis, createRedis, type RedisClient } from '../../src/store/connection.js';
import { type Keys, keysFor } from '../../src/store/keys.js';

/** A connection, with the service's settings, to the test run's own redis-server. */
export async function connectTestRedis(): Promise<RedisClient> {
  const redis = createRedis({ url: inject('redisUrl') });
  await connectRedis(redis);
  return redis;
}

/** The keys under a prefix of their own, so that tests sharing a Redis never meet. */
export function freshKeys(): Keys {
  return keysFor(`test:${randomBytes(4).toString('hex')}:`);
}
