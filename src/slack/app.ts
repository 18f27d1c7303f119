import {
  type AnyMiddlewareArgs,
  App,
  type Logger as BoltLogger,
  HTTPReceiver,
  LogLevel,
  type Middleware,
  SocketModeReceiver,
} from '@slack/bolt';
import type { RequestListener } from '../api/server.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { EventClaims } from '../store/event-claims.js';
import type { CodeService } from '../use-cases/code-service.js';
import type { SlackServices } from './code-actions.js';
import { registerListeners } from './listeners/index.js';

export interface SlackApp {
  /** HTTP mode: takes `POST /slack/events` on the service's own server. Absent in Socket Mode. */
  listener?: RequestListener;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Slack's payloads are small; a megabyte is generous and keeps a flood out. */
const SLACK_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * The Bolt app, in HTTP mode on our server (signatures verified, stale timestamps refused by Bolt)
 * or in Socket Mode when SLACK_APP_TOKEN is set. Null without SLACK_BOT_TOKEN.
 */
export function createSlackApp(
  config: Config,
  codes: CodeService,
  eventClaims: EventClaims,
  logger: Logger,
  metrics: Metrics,
): SlackApp | null {
  const token = config.SLACK_BOT_TOKEN;
  if (!token) return null;
  const log = boltLogger(logger.child({ component: 'slack' }));
  const clientOptions = {
    slackApiUrl: config.SLACK_API_URL ? withTrailingSlash(config.SLACK_API_URL) : undefined,
    // A person is waiting: a few quick retries (429s honour Retry-After), not the default half hour.
    retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 3_000 },
  };
  const services: SlackServices = {
    codes,
    eventClaims,
    roles: { admins: config.ADMIN_USER_IDS, staff: config.STAFF_USER_IDS },
    adminChannelId: config.ADMIN_CHANNEL_ID,
    installUrlTemplate: config.INSTALL_URL_TEMPLATE,
  };

  const receiver = config.SLACK_APP_TOKEN
    ? socketModeReceiver(config.SLACK_APP_TOKEN, clientOptions.slackApiUrl, log, logger)
    : new HTTPReceiver({
        signingSecret: config.SLACK_SIGNING_SECRET ?? '',
        endpoints: '/slack/events',
        processBeforeResponse: false,
        bodyLimit: SLACK_BODY_LIMIT_BYTES,
        logger: log,
      });
  const app = new App({ token, receiver, clientOptions, logger: log });
  app.use(timeListeners(metrics));
  app.use(dropRetriedDeliveries);
  registerListeners(app, { services, logger });

  if (receiver instanceof HTTPReceiver) {
    return {
      listener: receiver.requestListener,
      start: async () => undefined,
      stop: async () => undefined,
    };
  }
  return {
    start: async () => {
      await app.start();
    },
    // Waits for the socket's close handshake, which Bolt's own stop() does not.
    stop: () => receiver.client.disconnect(),
  };
}

/**
 * Socket Mode's receiver, with a Web API client of its own: it keeps the socket client's long,
 * patient retries of apps.connections.open (the bot's quick ones would give up during a short
 * Slack outage, and the socket client does not survive that), but goes through SLACK_API_URL.
 */
function socketModeReceiver(
  appToken: string,
  slackApiUrl: string | undefined,
  log: BoltLogger,
  logger: Logger,
) {
  const receiver = new SocketModeReceiver({
    appToken,
    logger: log,
    installerOptions: { clientOptions: { slackApiUrl } },
  });
  // The socket client logs these only at debug, which we never write: one line each instead.
  receiver.client.on('connected', () => logger.info('slack socket connected'));
  receiver.client.on('reconnecting', () => logger.warn('slack socket reconnecting'));
  receiver.client.on('disconnected', () => logger.info('slack socket disconnected'));
  return receiver;
}

/** How long each delivery takes, acknowledgement and work together, by Slack's payload type. */
function timeListeners(metrics: Metrics): Middleware<AnyMiddlewareArgs> {
  return async ({ body, next }) => {
    const type =
      'command' in body ? 'command' : String((body as { type?: string }).type ?? 'unknown');
    const end = metrics.slackDuration.startTimer({ type });
    try {
      await next();
    } finally {
      end();
    }
  };
}

/**
 * Slack re-sends only Events API deliveries, which `firstDelivery` dedupes by event ID. Anything
 * else marked as a retry was already handled: acknowledge it and do nothing again.
 */
const dropRetriedDeliveries: Middleware<AnyMiddlewareArgs> = async (args) => {
  const isEvent = Boolean((args.body as { event_id?: string }).event_id);
  if (args.context.retryNum === undefined || isEvent) {
    await args.next();
    return;
  }
  if ('ack' in args && typeof args.ack === 'function') await (args.ack as () => Promise<void>)();
};

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/**
 * Bolt's log lines into our pino logger. Its debug lines quote whole request bodies, codes and
 * all, so they are never written, whatever LOG_LEVEL says.
 */
function boltLogger(logger: Logger): BoltLogger {
  const line = (parts: unknown[]) =>
    parts.map((p) => (p instanceof Error ? p.message : String(p))).join(' ');
  return {
    debug: () => undefined,
    info: (...parts) => logger.info(line(parts)),
    warn: (...parts) => logger.warn(line(parts)),
    error: (...parts) => logger.error(line(parts)),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}
