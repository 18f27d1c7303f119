import type { KnownBlock } from '@slack/types';
import { mrkdwn } from './format.js';

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
