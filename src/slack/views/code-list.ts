import type { ActionsBlock, KnownBlock } from '@slack/types';
import type { InstallCode } from '../../codes/model.js';
import { ACTIONS } from '../ids.js';
import { codeMenu, codeSection } from './code-card.js';
import { clip, escapeMrkdwn } from './format.js';

export const LIST_PAGE_SIZE = 10;

/** Where a list page is: its filter and the cursor each page up to this one started at. */
export interface ListPosition {
  q: string;
  /** cursors[i] is where page i starts ('' for the first page). */
  cursors: string[];
}

/** Button values hold at most 2000 characters: a position past ~100 pages forgets the oldest. */
const MAX_REMEMBERED_PAGES = 100;

export function encodePosition(position: ListPosition): string {
  return JSON.stringify({ q: position.q, cursors: position.cursors.slice(-MAX_REMEMBERED_PAGES) });
}

export function decodePosition(value: string): ListPosition {
  const parsed = JSON.parse(value) as Partial<ListPosition>;
  return {
    q: typeof parsed.q === 'string' ? parsed.q : '',
    cursors: Array.isArray(parsed.cursors)
      ? parsed.cursors.filter((c) => typeof c === 'string')
      : [''],
  };
}

/** One page of the ephemeral list: 10 codes, each with its menu, and Previous/Next. */
export function buildCodeList(
  codes: InstallCode[],
  now: number,
  position: ListPosition,
  nextCursor: string | null,
): KnownBlock[] {
  const page = position.cursors.length;
  const filter = position.q ? ` matching “${escapeMrkdwn(clip(position.q, 100))}”` : '';
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `*Installation codes*${filter} · page ${page}` },
    },
  ];
  if (codes.length === 0) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: position.q ? 'No code matches.' : 'No codes yet. Create one with `/installcode add`.',
      },
    });
  }
  for (const code of codes.slice(0, LIST_PAGE_SIZE)) {
    blocks.push(
      { type: 'divider' },
      codeSection(code, now, codeMenu(code, ['qr', 'edit', 'share', 'history', 'delete'])),
    );
  }
  const navigation: ActionsBlock = { type: 'actions', block_id: 'list_navigation', elements: [] };
  if (page > 1) {
    navigation.elements.push({
      type: 'button',
      action_id: ACTIONS.listPrevious,
      text: { type: 'plain_text', text: 'Previous' },
      value: encodePosition({ q: position.q, cursors: position.cursors.slice(0, -1) }),
    });
  }
  if (nextCursor) {
    navigation.elements.push({
      type: 'button',
      action_id: ACTIONS.listNext,
      text: { type: 'plain_text', text: 'Next' },
      value: encodePosition({ q: position.q, cursors: [...position.cursors, nextCursor] }),
    });
  }
  if (navigation.elements.length) blocks.push(navigation);
  return blocks;
}
