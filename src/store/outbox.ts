import { Cluster } from 'ioredis';
import { newEventId } from '../codes/ids.js';
import type { RedisClient } from './connection.js';
import type { Keys } from './keys.js';
import type { RecordHash } from './record.js';
import { emitExpiryScript, finishDeliveryScript, takeRelayedScript } from './scripts/index.js';
import { OUTBOX_KEEP_MS } from './scripts/lua.js';

/** An event as a code's script wrote it (see scripts/lua.ts: EMIT), before it is told outward. */
export interface OutboxEntry {
  id: string;
  /** created, updated, renamed, disabled, enabled, extended, removed, expired, redeemed, redemption_withdrawn */
  type: string;
  at: number;
  by: string;
  /** The record's raw fields (HGETALL) as the script left it: a flat list, or {} when there were none. */
  record: string[] | Record<string, never>;
  [detail: string]: unknown;
}

/** An entry with the text it is stored as (the relay's scripts compare it). */
export interface StoredEntry {
  raw: string;
  entry: OutboxEntry;
}

/** The webhook's state of a code's oldest waiting event. */
export interface DeliveryState {
  head: StoredEntry | null;
  /** Failed attempts so far. */
  attempts: number;
  /** Not to be tried before this instant (epoch ms); 0 when not waiting. */
  retryAt: number;
  /** When its first attempt failed, or null while none has. */
  failingSince: number | null;
}

/** How many entries one relay run takes from an outbox. */
export const RELAY_BATCH = 100;

/**
 * Each code's events on their way out, in the code's slot: the outbox (written by the scripts
 * that change or redeem the code), then, when there is a webhook, the queue of events relayed to
 * the stream and not yet delivered. Both lists keep their order, so events leave in order per code.
 */
export class EventOutbox {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  async pending(id: string): Promise<StoredEntry[]> {
    return parsed(await this.redis.lrange(this.keys.outbox(id), 0, RELAY_BATCH - 1));
  }

  /** Takes `relayed` (the head of the outbox) off it; onto the webhook's queue when `toWebhook`. */
  async taken(id: string, relayed: StoredEntry[], toWebhook: boolean): Promise<number> {
    const [first] = relayed;
    if (!first) return 0;
    return takeRelayedScript.run(
      this.redis,
      { outbox: this.keys.outbox(id), webhookQueue: this.keys.webhookQueue(id) },
      { head: first.raw, count: relayed.length, toWebhook: toWebhook ? '1' : '0' },
    );
  }

  async delivery(id: string): Promise<DeliveryState> {
    const [head, state] = await Promise.all([
      this.redis.lindex(this.keys.webhookQueue(id), 0),
      this.redis.hmget(this.keys.relayState(id), 'attempts', 'retryAt', 'failingSince'),
    ]);
    return {
      head: head === null ? null : (parsed([head])[0] ?? null),
      attempts: Number(state[0] ?? 0),
      retryAt: Number(state[1] ?? 0),
      failingSince: state[2] ? Number(state[2]) : null,
    };
  }

  /** The oldest waiting event is done with (delivered, or given up): the next one's turn. */
  async finishDelivery(id: string, head: StoredEntry): Promise<void> {
    await finishDeliveryScript.run(
      this.redis,
      { webhookQueue: this.keys.webhookQueue(id), relayState: this.keys.relayState(id) },
      { head: head.raw },
    );
  }

  async failedDelivery(
    id: string,
    state: { attempts: number; retryAt: number; failingSince: number },
  ): Promise<void> {
    const key = this.keys.relayState(id);
    await this.redis.multi().hset(key, state).pexpire(key, OUTBOX_KEEP_MS).exec();
  }

  /** Emits the code's `expired` event for `until`, once. */
  async emitExpiry(id: string, until: number): Promise<boolean> {
    const emitted = await emitExpiryScript.run(
      this.redis,
      {
        record: this.keys.record(id),
        outbox: this.keys.outbox(id),
        relayState: this.keys.relayState(id),
      },
      {
        stoppedAt: String(until),
        event: JSON.stringify({ id: newEventId(), type: 'expired', at: until, by: 'time' }),
      },
    );
    return emitted === 1;
  }

  /**
   * The codes with events in an outbox or the webhook's queue, found by scanning every master:
   * for the relay to pick up what a replica that died between a write and its relay left.
   */
  async withPendingEvents(): Promise<Set<string>> {
    const ids = new Set<string>();
    const masters = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    for (const node of masters) {
      for (const pattern of this.keys.pendingEventsPatterns) {
        for await (const keys of node.scanStream({ match: pattern, count: 1_000 })) {
          for (const key of keys as string[]) {
            const id = /\{(.+)\}/.exec(key)?.[1];
            if (id) ids.add(id);
          }
        }
      }
    }
    return ids;
  }
}

/** The record an entry holds: Lua's cjson wrote HGETALL's [field, value, …], or {} for none. */
export function recordOf(entry: OutboxEntry): RecordHash {
  const hash: RecordHash = {};
  if (!Array.isArray(entry.record)) return hash;
  for (let i = 0; i + 1 < entry.record.length; i += 2) {
    hash[entry.record[i] as string] = entry.record[i + 1] as string;
  }
  return hash;
}

function parsed(raws: string[]): StoredEntry[] {
  return raws.map((raw) => ({ raw, entry: JSON.parse(raw) as OutboxEntry }));
}
