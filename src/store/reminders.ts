import type { Actor } from '../codes/model.js';
import type { RedisClient } from './connection.js';
import { keepWithCode } from './kept-with-code.js';
import type { Keys } from './keys.js';

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

/** Which reminders of a code were sent, and whether someone muted them. One hash in the code's slot. */
export class ReminderLog {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  async of(id: string): Promise<{ sent: Set<string>; muted: Muted | null }> {
    const all = await this.redis.hgetall(this.keys.reminders(id));
    const muted = all[MUTED_FIELD] ? (JSON.parse(all[MUTED_FIELD]) as Muted) : null;
    const sent = new Set(Object.keys(all).filter((field) => field !== MUTED_FIELD));
    return { sent, muted };
  }

  /** Notes a reminder as sent; kept as long as the code (`removal`, null for ever) and a day. */
  async sent(id: string, reminder: Reminder, at: number, removal: number | null): Promise<void> {
    const key = this.keys.reminders(id);
    const multi = this.redis.multi().hset(key, reminderField(reminder), String(at));
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
