import type { WebClient } from '@slack/web-api';
import { limitEndsAt, statusAt } from '../codes/lifetime.js';
import type { InstallCode } from '../codes/model.js';
import type { Logger } from '../log.js';
import { type Reminder, type ReminderLog, reminderField } from '../store/reminders.js';
import type { Schedule } from '../store/schedule.js';
import type { SharedCards } from '../store/shared-cards.js';
import type { CodeChange, CodeService } from '../use-cases/code-service.js';
import { buildReminder } from './views/reminder.js';
import { directMessage } from './web-api.js';

/** The schedule's task kind: `remind:<record ID>` sends what is due of that code's reminders. */
export const REMIND_TASK = 'remind';

/**
 * Reminders before a code stops being usable: `REMIND_BEFORE` before it expires, when its limit
 * is reached (its grace starts, or it is used up), and when it has expired. Its creator is told
 * by DM, and each channel it was shared to in its card's thread. They come from the schedule in
 * Redis (claimed by one replica, kept across restarts); each is taken by one run before it is
 * sent (two runs of a code's task overlap if a replica loses its lease) and noted once sent, by
 * the instant it is about, so it is sent once (a crash while sending sends it again: never lost),
 * and an extended code is reminded again of its new expiry.
 */
export class Reminders {
  constructor(
    private readonly codes: CodeService,
    private readonly log: ReminderLog,
    private readonly cards: SharedCards,
    private readonly schedule: Schedule,
    private readonly client: WebClient,
    private readonly remindBeforeMs: number,
    private readonly logger: Logger,
  ) {
    schedule.handle(REMIND_TASK, (id, now) => this.sendDue(id, now));
  }

  /** After a change (or the limit reached): what is due is looked at again at once. */
  async changed(change: CodeChange): Promise<void> {
    if (change.kind === 'deleted') return;
    await this.schedule.now(REMIND_TASK, change.id).catch((error: unknown) => {
      this.logger.warn({ err: (error as Error).message }, 'could not schedule a reminder');
    });
  }

  /** Someone muted a code's reminders: none is sent any more. */
  async mute(id: string, by: string): Promise<InstallCode> {
    const code = await this.codes.getById(id);
    await this.log.mute(id, { by, at: await this.codes.now() }, this.codes.removalInstant(code));
    return code;
  }

  /** Sends the reminders that are due and not sent yet; answers when the next one is due. */
  async sendDue(id: string, now: number): Promise<number | null> {
    const code = await this.codes.findById(id);
    if (!code) return null;
    const { sent, muted } = await this.log.of(id);
    if (muted) return null;
    const removal = this.codes.removalInstant(code);
    let next = nextReminderAt(code, now, this.remindBeforeMs);
    for (const reminder of dueReminders(code, now, this.remindBeforeMs)) {
      if (sent.has(reminderField(reminder))) continue;
      const claim = await this.log.claim(id, reminder, now, removal);
      if (claim === 'sent') continue;
      if (claim !== 'taken') {
        // Another run may be sending it (its replica lost its lease, or died): ask again after.
        next = Math.min(next ?? claim.heldUntil, claim.heldUntil);
        continue;
      }
      try {
        await this.send(code, reminder, now);
      } catch (error) {
        await this.log.release(id, reminder).catch(() => undefined);
        throw error;
      }
      await this.log.sent(id, reminder, now, removal);
    }
    return next;
  }

  private async send(code: InstallCode, reminder: Reminder, now: number): Promise<void> {
    const message = buildReminder(code, reminder, now);
    // A Slack user ID (U…, or W… in Enterprise Grid); a code the API made has no one to tell.
    if (/^[UW]/.test(code.createdBy)) await directMessage(this.client, code.createdBy, message);
    const { cards } = await this.cards.of(code.id);
    for (const card of cards.filter((c) => c.codeCreatedAt === code.createdAt)) {
      await this.client.chat
        .postMessage({ channel: card.channel, thread_ts: card.ts, ...message })
        .catch((error: unknown) => {
          // A card deleted in Slack, or a channel the bot left: the others are still told.
          this.logger.warn(
            { err: (error as Error).message },
            'reminder not posted in a card thread',
          );
        });
    }
  }
}

/** The reminders that are due now (sent or not). */
export function dueReminders(code: InstallCode, now: number, beforeMs: number): Reminder[] {
  const status = statusAt(code, now);
  const due: Reminder[] = [];
  const { expiresAt, limitReachedAt } = code;
  if (expiresAt !== null && status === 'expired') due.push({ kind: 'expired', about: expiresAt });
  else if (
    expiresAt !== null &&
    now >= expiresAt - beforeMs &&
    (status === 'active' || status === 'grace')
  ) {
    due.push({ kind: 'expiring', about: expiresAt });
  }
  if (limitReachedAt !== null && status !== 'expired')
    due.push({ kind: 'limit', about: limitReachedAt });
  return due;
}

/** When the next reminder of a code falls due (its limit is told by the redemption that reaches it). */
export function nextReminderAt(code: InstallCode, now: number, beforeMs: number): number | null {
  const { expiresAt } = code;
  if (expiresAt === null || statusAt(code, now) === 'expired' || statusAt(code, now) === 'used_up')
    return null;
  const warnAt = expiresAt - beforeMs;
  const limitEnd = limitEndsAt(code);
  if (limitEnd !== null && limitEnd <= expiresAt) return null;
  return now < warnAt ? warnAt : expiresAt;
}
