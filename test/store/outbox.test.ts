import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { connectRedis, createRedis, type RedisClient } from '../../src/store/connection.js';
import { keysFor } from '../../src/store/keys.js';
import { EventOutbox } from '../../src/store/outbox.js';

let redis: RedisClient;
beforeAll(async () => {
  redis = createRedis({ url: inject('redisUrl') });
  await connectRedis(redis);
});
afterAll(() => redis?.quit());

it('finds the codes with waiting events under its own prefix only, whatever glob characters the prefix holds', async () => {
  const odd = keysFor(`test:o[1]*?\\${Date.now()}:`);
  // What the prefix would match read as a pattern: another namespace's outbox.
  const other = keysFor(`test:o1x?${Date.now()}:`);
  await redis.rpush(odd.outbox('ABCD1234'), '{}');
  await redis.rpush(odd.webhookQueue('EFGH5678'), '{}');
  await redis.rpush(other.outbox('ZZZZ9999'), '{}');
  try {
    const found = await new EventOutbox(redis, odd).withPendingEvents();
    expect([...found].sort()).toEqual(['ABCD1234', 'EFGH5678']);
  } finally {
    await redis.del(odd.outbox('ABCD1234'), odd.webhookQueue('EFGH5678'), other.outbox('ZZZZ9999'));
  }
});
