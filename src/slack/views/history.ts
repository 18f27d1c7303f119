import type { KnownBlock } from '@slack/types';
import type { InstallCode } from '../../codes/model.js';
import { HISTORY_LENGTH, type HistoryEvent } from '../../store/history.js';
import { escapeMrkdwn, mrkdwn, slackDate } from './format.js';

const EVENT_TEXT: Record<HistoryEvent['type'], (event: HistoryEvent) => string> = {
  created: () => 'created it',
  updated: (e) => `changed ${e.changed?.length ? e.changed.join(', ') : 'nothing'}`,
  renamed: (e) =>
    `renamed it from \`${escapeMrkdwn(e.from ?? '')}\` to \`${escapeMrkdwn(e.to ?? '')}\``,
  redeemed: (e) =>
    `used it: device \`${escapeMrkdwn(e.deviceId ?? '')}\`${e.accountId ? ` in account \`${escapeMrkdwn(e.accountId)}\`` : ''}`,
  shared: (e) => `shared it in <#${e.channel}>`,
};

function actor(by: string): string {
  if (by === 'device') return 'A device';
  if (by === 'api') return 'The API';
  return `<@${by}>`;
}

/** The history of a code, newest first: all it keeps (HISTORY_LENGTH), ten events a section. */
export function buildHistory(code: InstallCode, events: HistoryEvent[]): KnownBlock[] {
  const lines = events
    .slice(0, HISTORY_LENGTH)
    .map((e) => `${slackDate(e.at)} — ${actor(e.by)} ${EVENT_TEXT[e.type](e)}`);
  const blocks: KnownBlock[] = [mrkdwn(`*History of* \`${escapeMrkdwn(code.code)}\``)];
  // A section's text holds at most 3000 characters: ten events a section stays well inside.
  for (let i = 0; i < lines.length; i += 10) blocks.push(mrkdwn(lines.slice(i, i + 10).join('\n')));
  if (lines.length === 0) blocks.push(mrkdwn('Nothing has happened yet.'));
  return blocks;
}
