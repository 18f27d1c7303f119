import type { ActionsBlock, KnownBlock } from '@slack/types';
import type { InstallCode } from '../../codes/model.js';
import { ACTIONS } from '../ids.js';
import { codeMenu, codeSection } from './code-card.js';
import { clip, escapeMrkdwn } from './format.js';

export const LIST_PAGE_SIZE = 10;

/** Where a list page is: its filter, its number, and where the pages up to it started. */
export interface ListPosition {
  q: string;
  page: number;
  /** Where the latest remembered pages start, oldest first; the last is this page's ('' = the first page). */
  cursors: string[];
}

export const FIRST_PAGE = (q: string): ListPosition => ({ q, page: 1, cursors: [''] });

/** Slack allows 2000 characters in a button value: the oldest remembered pages are forgotten first. */
const MAX_VALUE_LENGTH = 2000;

export function encodePosition(position: ListPosition): string {
  let cursors = position.cursors;
  let value = JSON.stringify({ ...position, cursors });
  while (value.length > MAX_VALUE_LENGTH && cursors.length > 1) {
    cursors = cursors.slice(1);
    value = JSON.stringify({ ...position, cursors });
  }
  return value;
}

export function decodePosition(value: string): ListPosition {
  const parsed = JSON.parse(value) as Partial<ListPosition>;
  const cursors = Array.isArray(parsed.cursors)
    ? parsed.cursors.filter((c) => typeof c === 'string')
    : [];
  return {
    q: typeof parsed.q === 'string' ? parsed.q : '',
    page: typeof parsed.page === 'number' && parsed.page >= 1 ? parsed.page : 1,
    cursors: cursors.length ? cursors : [''],
  };
}

/** The page before: one step back, or the first page once the remembered pages run out. */
export function previousPosition(position: ListPosition): ListPosition {
  if (position.cursors.length > 1) {
    return { ...position, page: position.page - 1, cursors: position.cursors.slice(0, -1) };
  }
  return FIRST_PAGE(position.q);
}

export function nextPosition(position: ListPosition, nextCursor: string): ListPosition {
  return { ...position, page: position.page + 1, cursors: [...position.cursors, nextCursor] };
}

/** One page of the ephemeral list: 10 codes, each with its menu, and Previous/Next. */
export function buildCodeList(
  codes: InstallCode[],
  now: number,
  position: ListPosition,
  nextCursor: string | null,
): KnownBlock[] {
  const { page } = position;
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
      value: encodePosition(previousPosition(position)),
    });
  }
  if (nextCursor) {
    navigation.elements.push({
      type: 'button',
      action_id: ACTIONS.listNext,
      text: { type: 'plain_text', text: 'Next' },
      value: encodePosition(nextPosition(position, nextCursor)),
    });
  }
  if (navigation.elements.length) blocks.push(navigation);
  return blocks;
}
