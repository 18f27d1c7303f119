import { statusAt, usableUntil } from '../codes/lifetime.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { CodeRecords } from '../store/code-records.js';
import type { RedisClient } from '../store/connection.js';
import type { Keys } from '../store/keys.js';
import { EventOutbox, RELAY_BATCH, recordOf, type StoredEntry } from '../store/outbox.js';
import { fromHash } from '../store/record.js';
import type { RedisClock } from '../store/redis-clock.js';
import { Schedule } from '../store/schedule.js';
import { publishEventsScript } from '../store/scripts/index.js';
import { eventOf, type InstallcodeEvent } from './event.js';
import { ExpiryWalk } from './expiry-walk.js';
import { postEvent, type WebhookTarget } from './webhook.js';

export interface EventTiming {
  /** How often each replica looks for due relay tasks. */
  pollMs: number;
  /** How often one replica scans for outboxes whose relay was lost (a replica died between). */
  sweepEveryMs: number;
  /** The first retry of a failed delivery; each next one waits twice as long, up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** How long an event is retried before it is given up (and logged as such). */
  giveUpAfterMs: number;
  attemptTimeoutMs: number;
  /** After this many failed attempts in a row an admin is told (once an hour at most). */
  alertAfterAttempts: number;
  /** A code's expiry task is planned only this long ahead (see ExpiryWalk)… */
  expiryHorizonMs: number;
  /** …by the relay on an event, and by a walk over every code this often. */
  expiryWalkEveryMs: number;
}

export const EVENT_TIMING: EventTiming = {
  pollMs: 1_000,
  sweepEveryMs: 60_000,
  retryBaseMs: 1_000,
  retryMaxMs: 3_600_000,
  giveUpAfterMs: 24 * 3_600_000,
  attemptTimeoutMs: 10_000,
  alertAfterAttempts: 5,
  expiryHorizonMs: 3 * 3_600_000,
  expiryWalkEveryMs: 3_600_000,
};

const ALERT_EVERY_MS = 3_600_000;

/** What a redemption's event leaves in the device registry (see DeviceRegistry). */
export interface DeviceRecorder {
  recordRedemption(redemption: {
    deviceId: string;
    tokenHash: string;
    accountId: string | null;
    redeemedAt: number;
  }): Promise<unknown>;
}

/** Told when webhook deliveries keep failing (the Slack side tells an admin). */
export type DeliveryFailingListener = (failing: {
  url: string;
  attempts: number;
  reason: string;
}) => Promise<void> | void;

export interface RelayOptions {
  redis: RedisClient;
  keys: Keys;
  clock: RedisClock;
  logger: Logger;
  metrics: Metrics;
  /** EVENTS_STREAM_MAXLEN: the stream is trimmed to about this many events. */
  streamMaxLength: number;
  webhook: Omit<WebhookTarget, 'timeoutMs'> | null;
  devices: DeviceRecorder | null;
  timing?: Partial<EventTiming>;
}

const OUTBOX = 'outbox';
const EXPIRY = 'expiry';
const SWEEP = 'sweep';
const EXPIRY_WALK = 'expiry-walk';

/**
 * Tells the world what happened to codes. Each change and redemption writes its event into its
 * code's outbox in the same script (store/outbox.ts); this relay moves outboxes on, through a
 * schedule of its own in Redis (claimed with a lease, run side by side across codes, in order
 * within one): to the stream, to the device registry, and to the webhook, which is retried with
 * exponential backoff for 24 h. The replica that wrote an event makes its relay due at once; a
 * sweep finds what a replica that died in between left. So an event is told at least once.
 */
export class EventRelay {
  private readonly schedule: Schedule;
  private readonly outbox: EventOutbox;
  private readonly records: CodeRecords;
  private readonly expiryWalk: ExpiryWalk;
  private readonly timing: EventTiming;
  private readonly failingListeners: DeliveryFailingListener[] = [];
  private readonly writtenThisTurn = new Set<string>();

  constructor(private readonly options: RelayOptions) {
    const { redis, keys, clock, logger } = options;
    this.timing = { ...EVENT_TIMING, ...options.timing };
    this.outbox = new EventOutbox(redis, keys);
    this.records = new CodeRecords(redis, keys, clock);
    this.expiryWalk = new ExpiryWalk(redis, keys, this.records, {
      horizonMs: this.timing.expiryHorizonMs,
      everyMs: this.timing.expiryWalkEveryMs,
    });
    this.schedule = new Schedule(redis, keys.eventSchedule, clock, logger, {
      pollMs: this.timing.pollMs,
      batch: 50,
      concurrent: true,
    });
    this.schedule.handle(OUTBOX, (id, now) => this.relay(id, now));
    this.schedule.handle(EXPIRY, (id, now) => this.tellExpiry(id, now));
    this.schedule.handle(SWEEP, (_, now) => this.sweep(now));
    this.schedule.handle(EXPIRY_WALK, (_, now) =>
      this.expiryWalk.run(now, (id, until) => this.schedule.at(EXPIRY, id, until)),
    );
  }

  onDeliveryFailing(listener: DeliveryFailingListener): void {
    this.failingListeners.push(listener);
  }

  async start(): Promise<void> {
    this.schedule.start();
    // At once: what a replica that stopped or died left is picked up now, not a minute later
    // (and the sweep makes sure of the expiry walk's task).
    await this.schedule.now(SWEEP, 'all');
  }

  stop(): Promise<void> {
    return this.schedule.stop();
  }

  /**
   * The code's outbox was written: relay it now (a lost call is made up for by the sweep). The
   * codes written in one turn of the event loop are made due together at its end, once each: a
   * busy code's redemptions share one ZADD, sent after every write it stands for.
   */
  written(id: string): void {
    if (this.writtenThisTurn.size === 0) setImmediate(() => this.makeWrittenDue());
    this.writtenThisTurn.add(id);
  }

  private makeWrittenDue(): void {
    const ids = [...this.writtenThisTurn];
    this.writtenThisTurn.clear();
    for (const id of ids) {
      this.schedule.now(OUTBOX, id).catch((error: unknown) => {
        this.options.logger.warn({ err: (error as Error).message }, 'could not schedule a relay');
      });
    }
  }

  /** For tests: runs what is due now, here, and waits for it. */
  runDue(): Promise<void> {
    return this.schedule.runDue();
  }

  /** Moves the code's outbox to the stream (and the webhook's queue), then delivers what waits. */
  private async relay(id: string, now: number): Promise<number | null> {
    const { webhook } = this.options;
    for (;;) {
      const pending = await this.outbox.pending(id);
      if (pending.length === 0) break;
      await this.publish(id, pending, now);
      const taken = await this.outbox.taken(id, pending, webhook !== null);
      if (taken === 0) return now; // another replica took them meanwhile: look again
      if (pending.length < RELAY_BATCH) break;
    }
    return webhook ? this.deliver(id, now) : null;
  }

  private async publish(id: string, stored: StoredEntry[], now: number): Promise<void> {
    const { redis, keys, streamMaxLength, metrics, logger } = this.options;
    const events: InstallcodeEvent[] = [];
    for (const { entry } of stored) {
      const event = eventOf(id, entry);
      if (event) events.push(event);
      else logger.warn({ eventId: entry.id }, 'an outbox entry without its code: dropped');
    }
    if (events.length > 0) {
      await publishEventsScript.run(
        redis,
        { stream: keys.events },
        { maxLength: streamMaxLength },
        events.flatMap((event) => [event.id, event.type, JSON.stringify(event)]),
      );
    }
    for (const event of events) metrics.eventsPublished.inc({ type: event.type });
    await Promise.all([this.recordDevices(stored), this.planExpiry(id, stored, now)]);
  }

  /**
   * Existing devices that redemptions installed again, into the registry (the registry skips what
   * this replica recorded already, before its 200).
   */
  private async recordDevices(stored: StoredEntry[]): Promise<void> {
    const { devices } = this.options;
    if (!devices) return;
    // Sent together (one write to Redis for the batch); each is idempotent, so order does not matter.
    await Promise.all(
      stored
        // A device the code created was recorded by the redemption's script, with the count.
        .filter(({ entry }) => entry.type === 'redeemed' && entry.deviceRecorded !== true)
        .map(({ entry }) =>
          devices.recordRedemption({
            deviceId: entry.deviceId as string,
            tokenHash: entry.tokenHash as string,
            accountId: (entry.accountId as string | null) ?? null,
            redeemedAt: entry.at,
          }),
        ),
    );
  }

  /**
   * The newest record seen says when the code stops being usable: then its expiry is looked at,
   * if that is near (else the expiry walk plans it when it comes near).
   */
  private async planExpiry(id: string, stored: StoredEntry[], now: number): Promise<void> {
    const last = stored.at(-1)?.entry;
    if (!last || last.type === 'removed') return;
    const code = fromHash(id, recordOf(last));
    const until = code && usableUntil(code);
    if (
      until !== null &&
      until !== undefined &&
      until > last.at &&
      this.expiryWalk.isNear(until, now)
    ) {
      await this.schedule.at(EXPIRY, id, until);
    }
  }

  /**
   * At the instant the code stops being usable: its `expired` event, when time stopped it (its
   * expiry date, or the end of its grace). A code used up by a redemption is told by that
   * redemption's event; a code extended since is looked at again when it now stops.
   */
  private async tellExpiry(id: string, now: number): Promise<number | null> {
    const code = await this.records.findById(id);
    const until = code && usableUntil(code);
    if (!code || until === null) return null;
    // Extended since: looked at again when it now stops, if that is near (else by the walk).
    if (now < until) return this.expiryWalk.isNear(until, now) ? until : null;
    const status = statusAt(code, until);
    const byTime =
      status === 'expired' || (status === 'used_up' && (code.usageLimitDelaySeconds ?? 0) > 0);
    if (byTime && (await this.outbox.emitExpiry(id, until))) this.written(id);
    return null;
  }

  /**
   * Every code with events still waiting gets its relay due now. And the expiry walk is there:
   * a replica of an earlier version drops a task kind it does not know, as during a rolling
   * upgrade, and the walk would then stop for good.
   */
  private async sweep(now: number): Promise<number> {
    for (const id of await this.outbox.withPendingEvents()) {
      await this.schedule.at(OUTBOX, id, now);
    }
    await this.schedule.ensure(EXPIRY_WALK, 'all');
    return now + this.timing.sweepEveryMs;
  }

  /** Delivers the code's waiting events in order, until one fails: then, when to try again. */
  private async deliver(id: string, now: number): Promise<number | null> {
    for (;;) {
      const state = await this.outbox.delivery(id);
      if (!state.head) return null;
      if (state.retryAt > now) return state.retryAt;
      const event = eventOf(id, state.head.entry);
      if (!event) {
        await this.outbox.finishDelivery(id, state.head);
        continue;
      }
      const attempt = await this.attempt(event, state.attempts + 1, now);
      // Redis's clock, moved on by how long the attempt took (no second read per delivery).
      now += attempt.ms;
      if (attempt.ok) {
        await this.outbox.finishDelivery(id, state.head);
        continue;
      }
      const failingSince = state.failingSince ?? now;
      if (now - failingSince >= this.timing.giveUpAfterMs) {
        this.gaveUp(event, state.attempts + 1);
        await this.outbox.finishDelivery(id, state.head);
        continue;
      }
      const retryAt = now + this.backoff(state.attempts + 1);
      await this.outbox.failedDelivery(id, { attempts: state.attempts + 1, retryAt, failingSince });
      await this.alertIfRepeated(state.attempts + 1, attempt.reason);
      return retryAt;
    }
  }

  /** One POST, logged and counted. */
  private async attempt(event: InstallcodeEvent, attempt: number, now: number) {
    const { webhook, metrics, logger } = this.options;
    const target = {
      ...(webhook as Omit<WebhookTarget, 'timeoutMs'>),
      timeoutMs: this.timing.attemptTimeoutMs,
    };
    const result = await postEvent(target, event, Math.floor(now / 1000));
    const outcome = result.ok ? 'delivered' : 'failed';
    metrics.webhookAttempts.inc({ outcome });
    metrics.webhookDuration.observe({ outcome }, result.ms / 1000);
    const line = {
      eventId: event.id,
      type: event.type,
      attempt,
      status: result.status,
      ms: result.ms,
    };
    if (result.ok) logger.info(line, 'webhook delivered');
    else logger.warn({ ...line, err: result.error }, 'webhook delivery failed');
    return { ok: result.ok, ms: result.ms, reason: result.error ?? `HTTP ${result.status}` };
  }

  private backoff(attempts: number): number {
    const { retryBaseMs, retryMaxMs } = this.timing;
    return Math.min(retryBaseMs * 2 ** Math.min(attempts - 1, 30), retryMaxMs);
  }

  private gaveUp(event: InstallcodeEvent, attempts: number): void {
    this.options.metrics.webhookAttempts.inc({ outcome: 'abandoned' });
    this.options.logger.error(
      { eventId: event.id, type: event.type, attempts },
      'webhook delivery given up after 24 h of retries; the event stays in the stream',
    );
  }

  /** After repeated failures, an admin is told: once an hour at most, whichever replica sees it. */
  private async alertIfRepeated(attempts: number, reason: string): Promise<void> {
    const { redis, keys, webhook, logger } = this.options;
    if (attempts < this.timing.alertAfterAttempts || !webhook) return;
    const first = await redis.set(keys.webhookAlert, '1', 'PX', ALERT_EVERY_MS, 'NX');
    if (first === null) return;
    const url = new URL(webhook.url).origin;
    logger.error({ url, attempts, reason }, 'webhook deliveries keep failing');
    for (const listener of this.failingListeners) {
      await Promise.resolve(listener({ url, attempts, reason })).catch(() => undefined);
    }
  }
}
