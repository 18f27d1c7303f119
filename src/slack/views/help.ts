import type { KnownBlock } from '@slack/types';
import { ACTIONS } from '../ids.js';
import { mrkdwn } from './format.js';

export const HELP_TEXT = [
  '*installcode* hands out installation codes for new devices.',
  '• `/installcode add` — create a code (also `new`, `create`)',
  '• `/installcode list [text]` — list codes, optionally those matching the text',
  '• `/installcode edit [CODE]` — change a code',
  '• `/installcode qr [CODE]` — get its QR image in a direct message (also `show`)',
  '• `/installcode share [CODE] [#channel]` — post it with its QR image into a channel',
  '• `/installcode delete [CODE]` — remove it (admins decide)',
  '• `/installcode history [CODE]` — who created, changed, shared and used it',
  'Without a CODE, you pick one from a menu as you type.',
].join('\n');

/** The help, with buttons for the two things people come for most. */
export function buildHelp(): KnownBlock[] {
  return [
    mrkdwn(HELP_TEXT),
    {
      type: 'actions',
      block_id: 'help_actions',
      elements: [
        {
          type: 'button',
          action_id: ACTIONS.helpCreate,
          text: { type: 'plain_text', text: 'Create a code' },
          style: 'primary',
        },
        {
          type: 'button',
          action_id: ACTIONS.helpList,
          text: { type: 'plain_text', text: 'List codes' },
        },
      ],
    },
  ];
}
