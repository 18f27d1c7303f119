import type { KnownBlock } from '@slack/types';
import { limitEndsAt, statusAt } from '../../codes/lifetime.js';
import type { InstallCode } from '../../codes/model.js';
import type { Reminder } from '../../store/reminders.js';
import { ACTIONS } from '../ids.js';
import { lifecycleButtons } from './code-card.js';
import { clip, escapeMrkdwn, mrkdwn, plain, slackDate } from './format.js';

/** What a reminder says, and the buttons that act on it. */
export function buildReminder(
  code: InstallCode,
  reminder: Reminder,
  now: number,
): { text: string; blocks: KnownBlock[] } {
  const name = code.description
    ? `*${escapeMrkdwn(clip(code.description, 100))}* (\`${escapeMrkdwn(code.code)}\`)`
    : `\`${escapeMrkdwn(code.code)}\``;
  const text = `:bell: ${name} ${REMINDER_TEXT[reminder.kind](code, reminder, now)}`;
  return {
    text: `Reminder: installation code ${code.code}`,
    blocks: [
      mrkdwn(text),
      {
        type: 'actions',
        block_id: 'reminder_actions',
        elements: [
          // Extend (+7 days, +30 days, +10 uses) and Disable, as under a code in the list.
          ...lifecycleButtons(code).elements,
          {
            type: 'button',
            action_id: ACTIONS.muteReminders,
            text: plain('Mute reminders'),
            value: code.id,
          },
        ],
      },
    ],
  };
}

const REMINDER_TEXT: Record<
  Reminder['kind'],
  (code: InstallCode, reminder: Reminder, now: number) => string
> = {
  expiring: (_code, reminder) => `expires ${slackDate(reminder.about)}.`,
  expired: (_code, reminder) =>
    `expired ${slackDate(reminder.about)}: devices can no longer use it.`,
  limit: (code, _reminder, now) =>
    statusAt(code, now) === 'grace'
      ? `has reached its usage limit; it still works until ${slackDate(limitEndsAt(code))}.`
      : 'has reached its usage limit: devices can no longer use it.',
};
