import type { AddressInfo } from 'node:net';
import { RedeemLimiter } from './api/redeem-limiter.js';
import { buildHttpApp } from './api/server.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { CodeStore } from './store/code-store.js';
import { connectRedis, createRedis, type RedisClient } from './store/connection.js';
import { type EmbeddedRedis, redisAnswers, startEmbeddedRedis } from './store/embedded-redis.js';

export interface Service {
  url: string;
  store: CodeStore;
  redis: RedisClient;
  close(): Promise<void>;
}

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Everything but the process: Redis (embedded when needed), the store, the HTTP server. */
export async function startService(
  config: Config,
  logger: Logger,
  host = '0.0.0.0',
): Promise<Service> {
  const embedded = await embeddedRedisIfNeeded(config, logger);
  const redis = createRedis({
    url: embedded?.url ?? config.REDIS_URL,
    clusterNodes: config.REDIS_CLUSTER_NODES,
  });
  let redisDown = false;
  redis.on('error', (error: Error) => {
    if (!redisDown) logger.warn({ err: error.message }, 'redis connection error; reconnecting');
    redisDown = true;
  });
  redis.on('ready', () => {
    if (redisDown) logger.info('redis connection back');
    redisDown = false;
  });
  await connectRedis(redis);

  const store = new CodeStore(redis, {
    keyPrefix: config.REDIS_KEY_PREFIX,
    retentionMs: config.RETENTION,
  });
  const limiter = new RedeemLimiter(redis, {
    keyPrefix: store.keys.redeemFailures,
    maxFailures: config.REDEEM_MAX_FAILURES,
    windowMs: config.REDEEM_FAILURE_WINDOW,
  });
  if (!config.SLACK_BOT_TOKEN)
    logger.info('SLACK_BOT_TOKEN is not set: the Slack app is off, the API runs alone');
  if (!config.API_TOKEN)
    logger.info('API_TOKEN is not set: the management API is off (its routes answer 404)');

  const app = buildHttpApp({ config, logger, store, limiter });
  await app.listen({ port: config.PORT, host });
  const { port } = app.server.address() as AddressInfo;
  logger.info({ port }, 'installcode is listening');

  return {
    url: `http://127.0.0.1:${port}`,
    store,
    redis,
    async close() {
      await app.close();
      await redis.quit().catch(() => redis.disconnect());
      await embedded?.stop();
    },
  };
}

/** SPEC §5: with no REDIS_URL and nothing on 127.0.0.1:6379, run a redis-server of our own. */
async function embeddedRedisIfNeeded(
  config: Config,
  logger: Logger,
): Promise<EmbeddedRedis | null> {
  if (config.REDIS_URL || config.REDIS_CLUSTER_NODES) return null;
  if (await redisAnswers(DEFAULT_REDIS_URL)) return null;
  logger.info('nothing answers on 127.0.0.1:6379: starting redis-server with data in ./data');
  return startEmbeddedRedis({ port: 6379, dir: './data' });
}
