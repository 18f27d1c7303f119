import {
  type AnyMiddlewareArgs,
  App,
  type Logger as BoltLogger,
  type BufferedIncomingMessage,
  HTTPReceiver,
  LogLevel,
  type Middleware,
  type ReceiverProcessEventErrorHandlerArgs,
  SocketModeReceiver,
} from '@slack/bolt';
import type { RequestListener } from '../api/server.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { EventClaims } from '../store/event-claims.js';
import type { HomeViews } from '../store/home-views.js';
import type { ReminderLog } from '../store/reminders.js';
import type { RemovalRequests } from '../store/removal-requests.js';
import type { Schedule } from '../store/schedule.js';
import type { SharedCards } from '../store/shared-cards.js';
import type { CodeService } from '../use-cases/code-service.js';
import { tellAdmins } from './admin-notice.js';
import { AppHome, HOME_CHECK_EVERY_MS } from './app-home.js';
import type { SlackServices } from './code-actions.js';
import { describeError } from './listeners/context.js';
import {
  acknowledgeFailures,
  dropReplays,
  SIGNATURE_WINDOW_SECONDS,
  type SignedDelivery,
} from './listeners/guards.js';
import { registerListeners } from './listeners/index.js';
import { CARD_CHECK_EVERY_MS, LiveCards } from './live-cards.js';
import { Reminders } from './reminders.js';
import { WorkInFlight } from './work-in-flight.js';

export interface SlackApp {
  /** HTTP mode: takes `POST /slack/events` on the service's own server. Absent in Socket Mode. */
  listener?: RequestListener;
  start(): Promise<void>;
  /**
   * Takes no more deliveries (Socket Mode; in HTTP mode the server has stopped by then) and waits
   * for the work of those already acknowledged, at most STOP_WAIT_MS.
   */
  stop(): Promise<void>;
  /** Posts a notice to ADMIN_CHANNEL_ID, or DMs each admin. */
  tellAdmins(text: string): Promise<void>;
}

/** Slack's payloads are small; a megabyte is generous and keeps a flood out. */
const SLACK_BODY_LIMIT_BYTES = 1024 * 1024;

/** How long stop() waits for acknowledged work: inside main.ts's 10 s, with time to close Redis. */
const STOP_WAIT_MS = 8_000;

/**
 * The Bolt app, in HTTP mode on our server (signatures verified by Bolt, timestamps more than 5
 * minutes from now and replays refused by us) or in Socket Mode when SLACK_APP_TOKEN is set.
 * Null without SLACK_BOT_TOKEN.
 */
/** The periods of the Slack side's timed work. */
export interface SlackTiming {
  /** How often each replica looks for due tasks in the schedule. */
  schedulePollMs: number;
  /** How often a shared card of a usable code is looked at (see LiveCards). */
  cardCheckMs: number;
  /** How often the open App Homes are looked at (see AppHome). */
  homeCheckMs: number;
}

export const SLACK_TIMING: SlackTiming = {
  schedulePollMs: 1_000,
  cardCheckMs: CARD_CHECK_EVERY_MS,
  homeCheckMs: HOME_CHECK_EVERY_MS,
};

/** The stores the Slack side keeps beside the codes. */
export interface SlackStores {
  eventClaims: EventClaims;
  schedule: Schedule;
  cards: SharedCards;
  homes: HomeViews;
  removalRequests: RemovalRequests;
  reminders: ReminderLog;
}

export function createSlackApp(
  config: Config,
  codes: CodeService,
  stores: SlackStores,
  logger: Logger,
  metrics: Metrics,
  timing: SlackTiming = SLACK_TIMING,
): SlackApp | null {
  const token = config.SLACK_BOT_TOKEN;
  if (!token) return null;
  const log = boltLogger(logger.child({ component: 'slack' }));
  const clientOptions = {
    slackApiUrl: config.SLACK_API_URL ? withTrailingSlash(config.SLACK_API_URL) : undefined,
    // A person is waiting: a few quick retries (429s honour Retry-After), not the default half hour.
    retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 3_000 },
  };
  const { eventClaims, schedule, removalRequests } = stores;
  const services: Omit<SlackServices, 'cards' | 'home' | 'reminders'> = {
    codes,
    eventClaims,
    removalRequests,
    roles: { admins: config.ADMIN_USER_IDS, staff: config.STAFF_USER_IDS },
    adminChannelId: config.ADMIN_CHANNEL_ID,
    installUrlTemplate: config.INSTALL_URL_TEMPLATE,
  };

  const slackLog = logger.child({ component: 'slack' });
  const receiver = config.SLACK_APP_TOKEN
    ? socketModeReceiver(config.SLACK_APP_TOKEN, clientOptions.slackApiUrl, log, logger)
    : new HTTPReceiver({
        signingSecret: config.SLACK_SIGNING_SECRET ?? '',
        endpoints: '/slack/events',
        processBeforeResponse: false,
        bodyLimit: SLACK_BODY_LIMIT_BYTES,
        logger: log,
        customPropertiesExtractor: signedDelivery,
        processEventErrorHandler: acknowledgeUnreadable(slackLog),
      });
  // extendedErrorHandler: app.error gets the body too, to name the payload's type.
  const app = new App({ token, receiver, clientOptions, logger: log, extendedErrorHandler: true });
  const cards = new LiveCards(
    codes,
    stores.cards,
    schedule,
    app.client,
    config.INSTALL_URL_TEMPLATE,
    slackLog,
    timing.cardCheckMs,
  );
  const home = new AppHome(
    codes,
    stores.homes,
    schedule,
    app.client,
    services.roles,
    removalRequests,
    slackLog,
    timing.homeCheckMs,
  );
  const reminders = new Reminders(
    codes,
    stores.reminders,
    stores.cards,
    schedule,
    app.client,
    config.REMIND_BEFORE,
    slackLog,
  );
  codes.onChange((change) => cards.changed(change));
  codes.onChange(() => home.changed());
  codes.onChange((change) => reminders.changed(change));
  const inFlight = new WorkInFlight();
  app.use(({ next }) => inFlight.track(next));
  app.use(timeListeners(metrics));
  app.use(acknowledgeFailures);
  app.use(dropReplays(eventClaims, slackLog));
  app.use(dropRetriedDeliveries);
  registerListeners(app, { services: { ...services, cards, home, reminders }, logger });
  // Whatever a listener throws ends here (acknowledgeFailures has answered): one line, no secrets.
  app.error(async ({ error, body }: { error: Error; body: unknown }) => {
    slackLog.error({ err: describeError(error), type: payloadType(body) }, 'slack listener threw');
  });

  const drain = async () => {
    await schedule.stop();
    if (!(await inFlight.settled(STOP_WAIT_MS))) {
      slackLog.warn({ running: inFlight.size }, 'slack work still running at shutdown');
    }
  };
  const adminAddress = { adminChannelId: config.ADMIN_CHANNEL_ID, admins: config.ADMIN_USER_IDS };
  const toAdmins = (text: string) => tellAdmins(app.client, adminAddress, text);
  if (receiver instanceof HTTPReceiver) {
    return {
      listener: withinSignatureWindow(receiver.requestListener, slackLog),
      start: async () => schedule.start(),
      stop: drain,
      tellAdmins: toAdmins,
    };
  }
  return {
    tellAdmins: toAdmins,
    start: async () => {
      await app.start();
      schedule.start();
    },
    stop: async () => {
      // Waits for the socket's close handshake, which Bolt's own stop() does not.
      await receiver.client.disconnect();
      await drain();
    },
  };
}

/**
 * Refuses, as Bolt refuses a stale one, a request whose timestamp is more than 5 minutes from now
 * either way: Bolt checks only the past, and a signature dated ahead would stay good for longer.
 */
function withinSignatureWindow(listener: RequestListener, logger: Logger): RequestListener {
  return (req, res) => {
    const sent = Number(req.headers['x-slack-request-timestamp']);
    const skew = sent - Math.floor(Date.now() / 1000);
    if (Number.isFinite(sent) && Math.abs(skew) > SIGNATURE_WINDOW_SECONDS) {
      logger.warn(
        { skewSeconds: skew },
        'slack request refused: timestamp more than 5 minutes off',
      );
      res.writeHead(401);
      res.end();
      return;
    }
    listener(req, res);
  };
}

/** The verified signature and its timestamp, into the context, for dropReplays. */
function signedDelivery(req: BufferedIncomingMessage): SignedDelivery {
  const signature = req.headers['x-slack-signature'];
  const timestamp = Number(req.headers['x-slack-request-timestamp']);
  if (typeof signature !== 'string' || !Number.isFinite(timestamp)) return {};
  return { slackSignature: signature, slackTimestamp: timestamp };
}

/**
 * A payload Bolt itself cannot read (no `user`, no `view`) throws before any middleware runs: it
 * is acknowledged with a bare 200 instead of Bolt's 500, and logged. Nobody can be told, as the
 * payload does not say who sent it.
 */
function acknowledgeUnreadable(logger: Logger) {
  return async ({ error, response }: ReceiverProcessEventErrorHandlerArgs) => {
    logger.error({ err: describeError(error) }, 'slack payload could not be processed');
    if (!response.headersSent) {
      response.writeHead(200);
      response.end();
    }
    return true;
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
    // As in HTTP mode: a payload Bolt cannot read is acknowledged (so not re-sent) and logged.
    processEventErrorHandler: async ({ error }) => {
      logger.error({ err: describeError(error) }, 'slack payload could not be processed');
      return true;
    },
  });
  // The socket client logs these only at debug, which we never write: one line each instead.
  receiver.client.on('connected', () => logger.info('slack socket connected'));
  receiver.client.on('reconnecting', () => logger.warn('slack socket reconnecting'));
  receiver.client.on('disconnected', () => logger.info('slack socket disconnected'));
  return receiver;
}

/** Slack's payload type, as a metric label or a log field. */
function payloadType(body: unknown): string {
  const record = (body ?? {}) as { command?: unknown; type?: unknown };
  if (record.command !== undefined) return 'command';
  return typeof record.type === 'string' ? record.type : 'unknown';
}

/** How long each delivery takes, acknowledgement and work together, by Slack's payload type. */
function timeListeners(metrics: Metrics): Middleware<AnyMiddlewareArgs> {
  return async ({ body, next }) => {
    const end = metrics.slackDuration.startTimer({ type: payloadType(body) });
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
