import type { KnownBlock } from '@slack/types';
import { formatDuration } from '../../codes/durations.js';
import { type CodeStatus, type InstallCode, TARGET_FIELD } from '../../codes/model.js';

/** Slack's date token: each reader sees the instant in their own time zone. */
export function slackDate(instant: number | null, none = 'never'): string {
  if (instant === null) return none;
  const seconds = Math.floor(instant / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time}|${new Date(instant).toISOString()}>`;
}

export const STATUS_LABEL: Record<CodeStatus, string> = {
  active: ':large_green_circle: active',
  grace: ':large_yellow_circle: limit reached, in its delay',
  used_up: ':red_circle: used up',
  expired: ':black_circle: expired',
  disabled: ':no_entry_sign: disabled',
};

export const ACTION_LABEL = {
  create_account_and_device: 'Create a new account and device',
  create_device: 'Add a device to an existing account',
  use_existing_device: 'Install an existing device',
} as const;

export const TARGET_LABEL = {
  usernamePrefix: 'Username prefix',
  accountId: 'Account ID',
  deviceId: 'Device ID',
} as const;

/** `3 / 50`, or `3 / ∞` without a limit. */
export function usage(code: InstallCode): string {
  const limit = code.usageLimit === null ? '∞' : String(code.usageLimit);
  const delay = code.usageLimitDelaySeconds
    ? ` (+${formatDuration(code.usageLimitDelaySeconds)} delay)`
    : '';
  return `${code.timesUsed} / ${limit}${delay}`;
}

export function targetLine(code: InstallCode): string {
  const field = TARGET_FIELD[code.action];
  return `${TARGET_LABEL[field]}: \`${escapeMrkdwn(code[field] ?? '')}\``;
}

/** Slack mrkdwn needs only &, < and > escaped. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

const ZERO_WIDTH_SPACE = '\u200B';
const FORMATTING_CHARACTER = /[*_~`]/g;

/**
 * Free text typed by someone (a description, a device's name) for mrkdwn outside backticks.
 * Slack has no escape for `*`, `_`, `~` or a backtick (a backslash is shown, not obeyed), and
 * `verbatim` only stops links and mentions being parsed: a zero-width space either side of each
 * keeps it from opening or closing any formatting, invisibly. Not for text inside backticks,
 * which is already literal and may be copied (the spaces would be copied too).
 */
export function escapeUserText(text: string): string {
  return escapeMrkdwn(text).replace(
    FORMATTING_CHARACTER,
    (mark) => `${ZERO_WIDTH_SPACE}${mark}${ZERO_WIDTH_SPACE}`,
  );
}

/** Cuts text to Slack's limits, with an ellipsis. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export const plain = (text: string) => ({ type: 'plain_text' as const, text });
export const mrkdwn = (text: string): KnownBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text },
});
