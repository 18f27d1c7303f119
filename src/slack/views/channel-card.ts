import type { KnownBlock } from '@slack/types';
import { limitEndsAt, statusAt, usableUntil } from '../../codes/lifetime.js';
import type { CodeAction, InstallCode } from '../../codes/model.js';
import type { CardRemoval } from '../../store/shared-cards.js';
import { clip, escapeMrkdwn, mrkdwn, plain, slackDate } from './format.js';

/** What a channel reads: what the code is for, in its members' words. */
const PURPOSE: Record<CodeAction, string> = {
  create_account_and_device: 'Sets up a new device, with a new account of its own.',
  create_device: 'Adds a new device to our account.',
  use_existing_device: 'Installs one existing device again.',
};

export interface ChannelCardInput {
  /** The code as it stands, or null once it was removed. */
  code: InstallCode | null;
  now: number;
  sharedBy: string;
  /** The private QR image to show; null when the code no longer works. */
  qrFileId: string | null;
  removal: CardRemoval | null;
  /** INSTALL_URL_TEMPLATE with the code, when it is an https:// page a phone can open. */
  installPage: string | null;
}

export interface ChannelCard {
  text: string;
  blocks: KnownBlock[];
}

/** Whether a code can still be used (and its card may show it). */
export function isUsable(code: InstallCode, now: number): boolean {
  const status = statusAt(code, now);
  return status === 'active' || status === 'grace';
}

/**
 * The card posted into a channel when a code is shared, written for the channel: what it is
 * for, how to use it, until when, and whom to ask. Internal details (prefix, account, counters)
 * stay in the staff's views. Once the code no longer works, the card says so and shows neither
 * the code nor its QR.
 */
export function buildChannelCard(input: ChannelCardInput): ChannelCard {
  const { code, now } = input;
  if (!code || !isUsable(code, now) || !input.qrFileId) return endedCard(input);
  const title = clip(code.description || 'Installation code', 150);
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain(title) },
    mrkdwn(`${PURPOSE[code.action]}\n${validity(code, now)}`),
    mrkdwn(steps(code, input.installPage !== null)),
  ];
  if (input.installPage) {
    blocks.push({
      type: 'actions',
      block_id: 'card_install_page',
      elements: [
        {
          type: 'button',
          action_id: 'card_open_install_page',
          text: plain('Open the installation page'),
          url: input.installPage,
        },
      ],
    });
  }
  blocks.push(
    {
      type: 'image',
      slack_file: { id: input.qrFileId },
      alt_text: qrAltText(code),
      title: plain('Scan this with the device'),
    },
    askLine(input.sharedBy),
  );
  return { text: `${title}: installation code ${code.code}`, blocks };
}

/** The QR image's alt text: the code, and what it is for. */
export function qrAltText(code: InstallCode): string {
  const what = code.description ? `${clip(code.description, 200)}: ` : '';
  return `QR code of installation code ${code.code}. ${what}${PURPOSE[code.action]}`;
}

function steps(code: InstallCode, hasPage: boolean): string {
  const typed = `\`${escapeMrkdwn(code.code)}\``;
  return [
    '*How to use it*',
    '1. Start the setup on the new device.',
    hasPage
      ? `2. Scan the QR code below with the device, open the installation page on it, or type the code ${typed}.`
      : `2. Scan the QR code below with the device, or type the code ${typed}.`,
    '3. The device finishes joining on its own.',
  ].join('\n');
}

/** "Valid until …, 12 uses left", or what softens it. */
function validity(code: InstallCode, now: number): string {
  if (statusAt(code, now) === 'grace') {
    return `:hourglass_flowing_sand: Its uses have run out; it still works until ${slackDate(limitEndsAt(code))}.`;
  }
  const until =
    code.expiresAt === null ? 'No end date' : `Valid until ${slackDate(code.expiresAt)}`;
  if (code.usageLimit === null) return `${until}, no limit on uses.`;
  const left = code.usageLimit - code.timesUsed;
  return `${until}, ${left} ${left === 1 ? 'use' : 'uses'} left.`;
}

function endedCard(input: ChannelCardInput): ChannelCard {
  const { code, removal } = input;
  const title = clip(code?.description || 'Installation code', 150);
  return {
    text: `${title}: this installation code no longer works`,
    blocks: [
      { type: 'header', text: plain(title) },
      mrkdwn(`:no_entry: *This installation code no longer works.* ${endedBecause(input)}`),
      askLine(input.sharedBy, removal ? removal.by : disabledBy(code, input.now)),
    ],
  };
}

function endedBecause({ code, now, removal }: ChannelCardInput): string {
  if (!code) {
    if (!removal) return 'It was removed.';
    return `It was removed by ${person(removal.by)} on ${slackDate(removal.at)}.`;
  }
  const status = statusAt(code, now);
  if (status === 'disabled') {
    return `Disabled by ${person(code.updatedBy)} on ${slackDate(code.updatedAt)}.`;
  }
  if (status === 'expired') return `It expired on ${slackDate(code.expiresAt)}.`;
  return `It was used up on ${slackDate(usableUntil(code))}.`;
}

/** Who disabled the code (its latest change), to ask about it: none while it is not disabled. */
function disabledBy(code: InstallCode | null, now: number): string | null {
  return code && statusAt(code, now) === 'disabled' ? code.updatedBy : null;
}

function askLine(sharedBy: string, alsoAsk: string | null = null): KnownBlock {
  const others =
    alsoAsk && alsoAsk !== sharedBy && alsoAsk !== 'api' ? ` or ${person(alsoAsk)}` : '';
  return {
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `Shared by <@${sharedBy}>. Questions, or need a new code? Ask <@${sharedBy}>${others}.`,
      },
    ],
  };
}

function person(actor: string): string {
  return actor === 'api' ? 'an integration (the API)' : `<@${actor}>`;
}
