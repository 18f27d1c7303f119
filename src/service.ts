import type { AddressInfo } from 'node:net';
import { startMetricsServer } from './api/metrics-server.js';
import { RedeemLimiter } from './api/redeem-limiter.js';
import { buildHttpApp, HTTP_LIMITS, type HttpLimits } from './api/server.js';
import type { Config } from './config.js';
import { EventRelay, type EventTiming } from './events/relay.js';
import type { Logger } from './log.js';
import { createMetrics, type Metrics } from './metrics.js';
import { webhookFailingNotice } from './slack/admin-notice.js';
import { createSlackApp, SLACK_TIMING, type SlackTiming } from './slack/app.js';
import { CodeIndex } from './store/code-index.js';
import { connectRedis, createRedis, type RedisClient } from './store/connection.js';
import { DeviceRegistry } from './store/device-registry.js';
import {
  adoptEmbeddedRedis,
  type EmbeddedRedis,
  redisAnswers,
  startEmbeddedRedis,
} from './store/embedded-redis.js';
import { EventClaims } from './store/event-claims.js';
import { checkEvictionPolicy } from './store/eviction-policy.js';
import { HomeViews } from './store/home-views.js';
import { keysFor } from './store/keys.js';
import { RedisClock } from './store/redis-clock.js';
import { ReminderLog } from './store/reminders.js';
import { RemovalRequests } from './store/removal-requests.js';
import { Schedule } from './store/schedule.js';
import { SharedCards } from './store/shared-cards.js';
import { CodeService } from './use-cases/code-service.js';

export interface Service {
  url: string;
  /** Where `GET /metrics` answers (METRICS_PORT), or null when METRICS_PORT is 0. */
  metricsUrl: string | null;
  codes: CodeService;
  events: EventRelay;
  clock: RedisClock;
  redis: RedisClient;
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** Where the HTTP server and the metrics server listen. */
  host?: string;
  /** Tests: the metrics server (unless METRICS_PORT is 0) on a free port the OS picks. */
  metricsOnFreePort?: boolean;
  /** Tests: shorter HTTP bounds than HTTP_LIMITS. */
  httpLimits?: Partial<HttpLimits>;
  /** The Redis to use, or to start, when neither REDIS_URL nor REDIS_CLUSTER_NODES is set. */
  defaultRedis?: { port: number; dir: string };
  /** Tests: shorter periods of the Slack side's timed work than SLACK_TIMING. */
  slackTiming?: Partial<SlackTiming>;
  /** Tests: shorter periods of the event relay's work than EVENT_TIMING. */
  eventTiming?: Partial<EventTiming>;
}

/** Everything but the process: Redis (embedded when needed), the store, the HTTP server. */
export async function startService(
  config: Config,
  logger: Logger,
  options: ServiceOptions = {},
): Promise<Service> {
  const { host = '0.0.0.0', defaultRedis = { port: 6379, dir: './data' } } = options;
  const embedded = await embeddedRedisIfNeeded(config, logger, defaultRedis);
  const redis = createRedis({
    url: config.REDIS_URL ?? embedded?.url ?? `redis://127.0.0.1:${defaultRedis.port}`,
    clusterNodes: config.REDIS_CLUSTER_NODES,
  });
  const metrics = createMetrics();
  watchConnection(redis, logger, metrics);
  await connectRedis(redis);
  await checkEvictionPolicy(redis, config.REDIS_ALLOW_EVICTION, logger);

  const keys = keysFor(config.REDIS_KEY_PREFIX);
  const clock = new RedisClock(redis);
  clock.start();
  await clock.probe();
  const devices = new DeviceRegistry(redis, keys, config.DEVICE_RETENTION);
  const codes = new CodeService(redis, keys, clock, config.RETENTION, devices);
  const adopted = await new CodeIndex(redis, keys).adoptLegacy();
  if (adopted > 0) logger.info({ adopted }, "an earlier version's index moved into buckets");
  const limiter = new RedeemLimiter(redis, {
    keyPrefix: keys.redeemFailures,
    maxFailures: config.REDEEM_MAX_FAILURES,
    windowMs: config.REDEEM_FAILURE_WINDOW,
  });
  const timing = { ...SLACK_TIMING, ...options.slackTiming };
  const slackStores = {
    eventClaims: new EventClaims(redis, keys),
    schedule: new Schedule(redis, keys.schedule, clock, logger.child({ component: 'schedule' }), {
      pollMs: timing.schedulePollMs,
    }),
    cards: new SharedCards(redis, keys),
    homes: new HomeViews(redis, keys),
    removalRequests: new RemovalRequests(redis, keys),
    reminders: new ReminderLog(redis, keys),
  };
  const slack = createSlackApp(config, codes, slackStores, logger, metrics, timing);
  if (!slack) logger.info('SLACK_BOT_TOKEN is not set: the Slack app is off, the API runs alone');
  const events = new EventRelay({
    redis,
    keys,
    clock,
    logger: logger.child({ component: 'events' }),
    metrics,
    streamMaxLength: config.EVENTS_STREAM_MAXLEN,
    webhook: config.WEBHOOK_URL
      ? { url: config.WEBHOOK_URL, secret: config.WEBHOOK_SECRET ?? '' }
      : null,
    devices,
    timing: options.eventTiming,
  });
  codes.onEventsWritten((id) => events.written(id));
  if (slack) events.onDeliveryFailing((failing) => slack.tellAdmins(webhookFailingNotice(failing)));
  if (!config.API_TOKEN) {
    logger.info('API_TOKEN is not set: the management API is off (its routes answer 404)');
  }

  const app = buildHttpApp({
    config,
    logger,
    redis,
    codes,
    limiter,
    metrics,
    slackListener: slack?.listener,
    limits: { ...HTTP_LIMITS, ...options.httpLimits },
  });
  await app.listen({ port: config.PORT, host });
  const metricsServer =
    config.METRICS_PORT === 0
      ? null
      : await startMetricsServer(metrics.registry, {
          port: options.metricsOnFreePort ? 0 : config.METRICS_PORT,
          host,
        });
  await slack?.start();
  await events.start();
  const { port } = app.server.address() as AddressInfo;
  logger.info({ port, metricsPort: metricsServer?.port ?? 'off' }, 'installcode is listening');

  return {
    url: `http://127.0.0.1:${port}`,
    metricsUrl: metricsServer && `http://127.0.0.1:${metricsServer.port}/metrics`,
    codes,
    events,
    clock,
    redis,
    async close() {
      await app.close();
      await metricsServer?.close();
      // After the HTTP drain, so that Slack work acknowledged during it is waited for too.
      await slack?.stop();
      // What changes told the Slack side (a card to refresh, a reminder to plan) is in Redis.
      await codes.settled();
      await events.stop();
      clock.stop();
      await redis.quit().catch(() => redis.disconnect());
      await embedded?.stop();
    },
  };
}

/** One line when the connection drops and one when it is back, not one per reconnect attempt. */
function watchConnection(redis: RedisClient, logger: Logger, metrics: Metrics): void {
  let down = false;
  redis.on('error', (error: Error) => {
    metrics.redisErrors.inc({ kind: 'connection' });
    if (!down) logger.warn({ err: error.message }, 'redis connection lost; reconnecting');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info('redis connection back');
    down = false;
  });
}

/** SPEC §5: with no REDIS_URL and nothing answering on 127.0.0.1, run a redis-server of our own. */
async function embeddedRedisIfNeeded(
  config: Config,
  logger: Logger,
  where: { port: number; dir: string },
): Promise<EmbeddedRedis | null> {
  if (config.REDIS_URL || config.REDIS_CLUSTER_NODES) return null;
  if (await redisAnswers(`redis://127.0.0.1:${where.port}`)) {
    // Ours if an earlier start was killed before it could stop it; anyone else's stays alone.
    const adopted = await adoptEmbeddedRedis(where);
    if (adopted) {
      logger.info(
        { port: where.port, dir: where.dir, pid: adopted.pid },
        'redis-server left running by an earlier start: adopting it, it stops on exit',
      );
    }
    return adopted;
  }
  logger.info(
    { port: where.port, dir: where.dir },
    'nothing answers on 127.0.0.1: starting redis-server',
  );
  return startEmbeddedRedis(where);
}
