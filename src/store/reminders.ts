import type { Actor } from '../codes/model.js';
import type { RedisClient } from './connection.js';
import { keepWithCode, keptUntil } from './kept-with-code.js';
import type { Keys } from './keys.js';
import { claimReminderScript } from './scripts/index.js';

/** What a reminder is about. */
export type ReminderKind = 'expiring' | 'limit' | 'expired';

/**
 * One reminder: its kind and the instant it is about (the expiry, or when the limit was
 * reached). Keyed so, an extended code (a new expiry) is reminded again, and never twice of the
 * same instant.
 */
export interface Reminder {
  kind: ReminderKind;
  about: number;
}

export interface Muted {
  by: Actor;
  at: number;
}

const MUTED_FIELD = '@muted';
/** Fields that are not a sent reminder start so: `@muted`, and the holds `@sending:<field>`. */
const NOT_SENT = '@';
/**
 * How long a run holds a reminder it is sending: longer than a send takes. A run that finds a
 * hold (its replica lost its lease, or died) asks again when it ends (slack/reminders.ts).
 */
const SEND_HOLD_MS = 30_000;

/** Which reminders of a code were sent, and whether someone muted them. One hash in the code's slot. */
export class ReminderLog {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  async of(id: string): Promise<{ sent: Set<string>; muted: Muted | null }> {
    const all = await this.redis.hgetall(this.keys.reminders(id));
    const muted = all[MUTED_FIELD] ? (JSON.parse(all[MUTED_FIELD]) as Muted) : null;
    const sent = new Set(Object.keys(all).filter((field) => !field.startsWith(NOT_SENT)));
    return { sent, muted };
  }

  /**
   * Takes a reminder for sending: 'sent' when it was, or the instant another run's hold on it
   * ends (a replica that lost its lease may be sending it: ask again then).
   */
  async claim(
    id: string,
    reminder: Reminder,
    now: number,
    removal: number | null,
  ): Promise<'taken' | 'sent' | { heldUntil: number }> {
    const taken = await claimReminderScript.run(
      this.redis,
      { reminders: this.keys.reminders(id) },
      {
        field: reminderField(reminder),
        hold: holdField(reminder),
        now,
        holdMs: SEND_HOLD_MS,
        keepUntil: keptUntil(removal) ?? '',
      },
    );
    if (taken === 1) return 'taken';
    return taken === 0 ? 'sent' : { heldUntil: taken };
  }

  /** Lets a reminder that could not be sent go, for the task's retry. */
  async release(id: string, reminder: Reminder): Promise<void> {
    await this.redis.hdel(this.keys.reminders(id), holdField(reminder));
  }

  /** Notes a reminder as sent; kept as long as the code (`removal`, null for ever) and a day. */
  async sent(id: string, reminder: Reminder, at: number, removal: number | null): Promise<void> {
    const key = this.keys.reminders(id);
    const multi = this.redis
      .multi()
      .hset(key, reminderField(reminder), String(at))
      .hdel(key, holdField(reminder));
    await keepWithCode(multi, key, removal).exec();
  }

  async mute(id: string, muted: Muted, removal: number | null): Promise<void> {
    const key = this.keys.reminders(id);
    const multi = this.redis.multi().hset(key, MUTED_FIELD, JSON.stringify(muted));
    await keepWithCode(multi, key, removal).exec();
  }
}

export function reminderField(reminder: Reminder): string {
  return `${reminder.kind}:${reminder.about}`;
}

function holdField(reminder: Reminder): string {
  return `${NOT_SENT}sending:${reminderField(reminder)}`;
}
