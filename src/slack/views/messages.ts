import type { HomeView, KnownBlock } from '@slack/types';
import type { InstallCode } from '../../codes/model.js';
import { HISTORY_LENGTH, type HistoryEvent } from '../../store/history.js';
import { ACTIONS } from '../ids.js';
import { codeMenu, codeSection } from './code-card.js';
import { escapeMrkdwn, slackDate } from './format.js';

const plain = (text: string) => ({ type: 'plain_text' as const, text });
const mrkdwn = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });

export const HELP_TEXT = [
  '*installcode* hands out installation codes for new devices.',
  '• `/installcode add` — create a code (also `new`, `create`)',
  '• `/installcode list [text]` — list codes, optionally those matching the text',
  '• `/installcode edit CODE` — change a code',
  '• `/installcode qr CODE` — get its QR image in a direct message (also `show`)',
  '• `/installcode share CODE [#channel]` — post it with its QR image into a channel',
  '• `/installcode delete CODE` — remove it (admins decide)',
  '• `/installcode history CODE` — who created, changed, shared and used it',
].join('\n');

export function buildHelp(): KnownBlock[] {
  return [mrkdwn(HELP_TEXT)];
}

/**
 * The Remove (with Slack's confirmation dialog) and Cancel buttons of a deletion, under the code.
 * The prompt's buttons carry the record ID; a request's, the ID and who asked.
 */
function deletionBlocks(
  code: InstallCode,
  now: number,
  heading: string,
  buttons: { blockId: string; remove: string; cancel: string; value: string },
): KnownBlock[] {
  return [
    mrkdwn(heading),
    codeSection(code, now),
    {
      type: 'actions',
      block_id: buttons.blockId,
      elements: [
        {
          type: 'button',
          action_id: buttons.remove,
          style: 'danger',
          text: plain('Remove'),
          value: buttons.value,
          confirm: {
            title: plain('Remove the code?'),
            text: plain(`${code.code} stops working at once. This cannot be undone.`),
            confirm: plain('Remove'),
            deny: plain('Keep it'),
            style: 'danger',
          },
        },
        { type: 'button', action_id: buttons.cancel, text: plain('Cancel'), value: buttons.value },
      ],
    },
  ];
}

/** Remove/Cancel for the person who asked to delete; Remove asks once more before it acts. */
export function buildDeletePrompt(code: InstallCode, now: number): KnownBlock[] {
  return deletionBlocks(
    code,
    now,
    'Remove this installation code? Devices will no longer be able to use it.',
    {
      blockId: 'delete_prompt',
      remove: ACTIONS.deleteRemove,
      cancel: ACTIONS.deleteCancel,
      value: code.id,
    },
  );
}

/** A staff member's request, sent to the admins: only an admin's Remove deletes. */
export function buildDeleteRequest(
  code: InstallCode,
  now: number,
  requestedBy: string,
): KnownBlock[] {
  return deletionBlocks(code, now, `<@${requestedBy}> asks to remove this installation code:`, {
    blockId: 'delete_request',
    remove: ACTIONS.adminRemove,
    cancel: ACTIONS.adminCancel,
    value: JSON.stringify({ id: code.id, requestedBy }),
  });
}

/** What a deletion message says once it is decided: the buttons are gone. */
export function buildDecision(text: string): KnownBlock[] {
  return [mrkdwn(text)];
}

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

export const HOME_CODES = 10;

/** The App Home: a Create button and the newest codes, each with its menu. */
export function buildAppHome(codes: InstallCode[], now: number, mayUse: boolean): HomeView {
  if (!mayUse) {
    return {
      type: 'home',
      blocks: [mrkdwn('*installcode* is for the support team. Ask an admin if you need access.')],
    };
  }
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain('Installation codes') },
    {
      type: 'actions',
      block_id: 'home_actions',
      elements: [
        {
          type: 'button',
          action_id: ACTIONS.homeCreate,
          style: 'primary',
          text: plain('Create a code'),
        },
      ],
    },
    mrkdwn(codes.length ? '*Newest codes*' : 'No codes yet.'),
  ];
  for (const code of codes.slice(0, HOME_CODES)) {
    blocks.push(
      { type: 'divider' },
      codeSection(code, now, codeMenu(code, ['qr', 'edit', 'share', 'history', 'delete'])),
    );
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: 'Type `/installcode help` for every command.' }],
  });
  return { type: 'home', blocks };
}
