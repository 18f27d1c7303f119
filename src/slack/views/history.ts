import type { KnownBlock } from '@slack/types';
import { formatDuration } from '../../codes/durations.js';
import type { CodeAction, InstallCode } from '../../codes/model.js';
import {
  HISTORY_LENGTH,
  type HistoryEvent,
  type SettingChange,
  type SettingValue,
} from '../../store/history.js';
import { ACTION_LABEL, clip, escapeMrkdwn, escapeUserText, mrkdwn, slackDate } from './format.js';

/** A section's text holds at most 3000 characters; no line may take more than half of one. */
const SECTION_LENGTH = 3000;
const LINE_LENGTH = 1500;
/** How many of a run of redemptions are named, the newest first. */
const DEVICES_NAMED = 3;

const FIELD_LABEL: Record<string, string> = {
  code: 'code',
  description: 'description',
  expiresAt: 'expiry',
  usageLimit: 'usage limit',
  usageLimitDelaySeconds: 'usage limit delay',
  action: 'action',
  usernamePrefix: 'username prefix',
  accountId: 'account ID',
  deviceId: 'device ID',
  limitReachedAt: 'limit reached',
  timesUsed: 'times used',
  enabled: 'enabled',
};

const label = (field: string) => FIELD_LABEL[field] ?? escapeUserText(field);

/** A setting's value as a reader wants it: dates as date tokens, durations in words. */
function shownValue(field: string, value: SettingValue): string {
  switch (field) {
    case 'description':
      return value === null ? 'none' : `“${escapeUserText(clip(String(value), 60))}”`;
    case 'expiresAt':
      return typeof value === 'number' ? slackDate(value) : 'never';
    case 'usageLimit':
      return value === null ? 'no limit' : String(value);
    case 'usageLimitDelaySeconds':
      return typeof value === 'number' ? formatDuration(value) : 'none';
    case 'action':
      return ACTION_LABEL[value as CodeAction] ?? escapeUserText(String(value));
    default:
      return value === null ? 'none' : `\`${escapeMrkdwn(clip(String(value), 70))}\``;
  }
}

function changeText({ field, from, to }: SettingChange): string {
  return `${label(field)} from ${shownValue(field, from)} to ${shownValue(field, to)}`;
}

/** Old → new for each change; an event from before they were kept names the fields only. */
function updateText(event: HistoryEvent): string {
  if (event.changes?.length) return `changed ${event.changes.map(changeText).join('; ')}`;
  return `changed ${event.changed?.length ? event.changed.map(label).join(', ') : 'nothing'}`;
}

function renameText(event: HistoryEvent): string {
  const renamed = `renamed it from \`${escapeMrkdwn(event.from ?? '')}\` to \`${escapeMrkdwn(event.to ?? '')}\``;
  const others = (event.changes ?? []).filter((c) => c.field !== 'code');
  return others.length ? `${renamed}, and changed ${others.map(changeText).join('; ')}` : renamed;
}

/** The device as it called itself: `dev_1` “Front desk” (iPad 9), in account `acme-0001`. */
function deviceText(event: HistoryEvent): string {
  const name = event.deviceName ? ` “${escapeUserText(clip(event.deviceName, 60))}”` : '';
  const model = event.deviceModel ? ` (${escapeUserText(clip(event.deviceModel, 40))})` : '';
  const account = event.accountId ? ` in account \`${escapeMrkdwn(event.accountId)}\`` : '';
  return `\`${escapeMrkdwn(event.deviceId ?? '')}\`${name}${model}${account}`;
}

/** Disabled or enabled, with what else the same change did (the flag itself is the verb). */
function toggleText(verb: string) {
  return (event: HistoryEvent) => {
    const others = (event.changes ?? []).filter((c) => c.field !== 'enabled');
    return others.length
      ? `${verb} it, and changed ${others.map(changeText).join('; ')}`
      : `${verb} it`;
  };
}

function extendText(event: HistoryEvent): string {
  const changes = event.changes ?? [];
  return changes.length ? `extended its ${changes.map(changeText).join('; ')}` : 'extended it';
}

const EVENT_TEXT: Record<HistoryEvent['type'], (event: HistoryEvent) => string> = {
  created: () => 'created it',
  updated: updateText,
  renamed: renameText,
  disabled: toggleText('disabled'),
  enabled: toggleText('enabled'),
  extended: extendText,
  redeemed: (e) => `used it: device ${deviceText(e)}`,
  shared: (e) => `shared it in <#${e.channel}>`,
};

function actor(by: string): string {
  if (by === 'device') return 'A device';
  if (by === 'api') return 'The API';
  return `<@${by}>`;
}

/** Events that read the same, newest first, next to each other: told once. */
interface Run {
  events: HistoryEvent[];
  text: string;
}

function runsOf(events: HistoryEvent[]): Run[] {
  const runs: Run[] = [];
  for (const event of events) {
    const text = `${actor(event.by)} ${EVENT_TEXT[event.type](event)}`;
    const last = runs.at(-1);
    const sameRun =
      last &&
      ((event.type === 'redeemed' && last.events[0]?.type === 'redeemed') || last.text === text);
    if (sameRun) last.events.push(event);
    else runs.push({ events: [event], text });
  }
  return runs;
}

/** One line a run: a single event as it is; repeats as how many, between when, and the latest devices. */
function runLine({ events, text }: Run): string {
  const newest = events[0] as HistoryEvent;
  const oldest = events.at(-1) as HistoryEvent;
  if (events.length === 1) return `${slackDate(newest.at)} — ${text}`;
  const between = `${events.length} times between ${slackDate(oldest.at)} and ${slackDate(newest.at)}`;
  if (newest.type !== 'redeemed') return `${slackDate(newest.at)} — ${text} (${between})`;
  const named = events.slice(0, DEVICES_NAMED).map(deviceText).join(', ');
  const more = events.length > DEVICES_NAMED ? ', …' : '';
  return `${slackDate(newest.at)} — Devices used it ${between}; the latest: ${named}${more}`;
}

/** Lines into as few sections as fit Slack's 3000 characters each. */
function sections(lines: string[]): KnownBlock[] {
  const texts: string[] = [];
  for (const line of lines.map((l) => clip(l, LINE_LENGTH))) {
    const current = texts.at(-1);
    if (current !== undefined && current.length + 1 + line.length <= SECTION_LENGTH) {
      texts[texts.length - 1] = `${current}\n${line}`;
    } else texts.push(line);
  }
  return texts.map(mrkdwn);
}

/** The history of a code, newest first: all it keeps (HISTORY_LENGTH), repeats told once. */
export function buildHistory(code: InstallCode, events: HistoryEvent[]): KnownBlock[] {
  const lines = runsOf(events.slice(0, HISTORY_LENGTH)).map(runLine);
  const blocks: KnownBlock[] = [mrkdwn(`*History of* \`${escapeMrkdwn(code.code)}\``)];
  if (lines.length === 0) return [...blocks, mrkdwn('Nothing has happened yet.')];
  return [...blocks, ...sections(lines)];
}
