import type { ActionsBlock, KnownBlock } from '@slack/types';
import type { InstallCode } from '../../codes/model.js';
import { ACTIONS } from '../ids.js';
import { codeMenu, codeSection, lifecycleButtons } from './code-card.js';
import { clip, escapeUserText } from './format.js';

export const LIST_PAGE_SIZE = 10;

/** Where a list page is: its filter, its number, and where the pages up to it started. */
export interface ListPosition {
  q: string;
  page: number;
  /** Where the latest remembered pages start, oldest first; the last is this page's ('' = the first page). */
  cursors: string[];
  /** How many codes the pages before this one showed, when known (not after Previous). */
  shown?: number;
}

/** The longest filter kept: the Next button carries it, in at most 2000 characters. */
export const MAX_FILTER_LENGTH = 200;

export const FIRST_PAGE = (q: string): ListPosition => ({
  q: q.slice(0, MAX_FILTER_LENGTH),
  page: 1,
  cursors: [''],
  shown: 0,
});

/** Slack allows 2000 characters in a button value: the oldest remembered pages are forgotten first. */
const MAX_VALUE_LENGTH = 2000;

export function encodePosition(position: ListPosition): string {
  let { cursors, q } = position;
  let value = JSON.stringify({ ...position, cursors });
  while (value.length > MAX_VALUE_LENGTH && cursors.length > 1) {
    cursors = cursors.slice(1);
    value = JSON.stringify({ ...position, cursors });
  }
  // JSON may write a character as six (`\u0001`): a filter can still be too long, so it is cut.
  while (value.length > MAX_VALUE_LENGTH && q.length > 0) {
    q = q.slice(0, Math.floor(q.length / 2));
    value = JSON.stringify({ ...position, q, cursors });
  }
  return value;
}

export function decodePosition(value: string): ListPosition {
  const parsed = JSON.parse(value) as Partial<ListPosition>;
  const cursors = Array.isArray(parsed.cursors)
    ? parsed.cursors.filter((c) => typeof c === 'string')
    : [];
  const shown = parsed.shown;
  return {
    q: typeof parsed.q === 'string' ? parsed.q.slice(0, MAX_FILTER_LENGTH) : '',
    page: typeof parsed.page === 'number' && parsed.page >= 1 ? parsed.page : 1,
    cursors: cursors.length ? cursors : [''],
    ...(Number.isSafeInteger(shown) && (shown as number) >= 0 ? { shown } : {}),
  };
}

/**
 * The page before: one step back (how many codes came before it is then unknown), or the first
 * page, whose count starts at 0 again, once it is reached or the remembered pages run out.
 */
export function previousPosition(position: ListPosition): ListPosition {
  if (position.cursors.length > 1 && position.page > 2) {
    const { shown: _unknownNow, ...rest } = position;
    return { ...rest, page: position.page - 1, cursors: position.cursors.slice(0, -1) };
  }
  return FIRST_PAGE(position.q);
}

export function nextPosition(
  position: ListPosition,
  nextCursor: string,
  shownHere?: number,
): ListPosition {
  const known = position.shown !== undefined && shownHere !== undefined;
  const shown = known ? (position.shown as number) + (shownHere as number) : undefined;
  return {
    q: position.q,
    page: position.page + 1,
    cursors: [...position.cursors, nextCursor],
    ...(shown === undefined ? {} : { shown }),
  };
}

/**
 * How many codes match, as far as the pages seen so far tell: exact on the last page; before it
 * only "at least" (the count of every match would mean reading every code). Null when unknown.
 */
export function matchCount(position: ListPosition, onPage: number, more: boolean): string | null {
  if (position.shown === undefined) return null;
  const seen = position.shown + onPage;
  const codes = `${seen} ${seen === 1 ? 'code' : 'codes'}`;
  const counted = more ? `At least ${codes}` : codes.charAt(0).toUpperCase() + codes.slice(1);
  if (!position.q) return `${counted}.`;
  const verb = seen === 1 && !more ? 'matches' : 'match';
  return `${counted} ${verb} “${escapeUserText(clip(position.q, 100))}”.`;
}

/**
 * A filtered page looks at a bounded number of codes (CodeService.list): one can come back
 * empty with older codes still to look at, which is not "no match".
 */
function emptyPageText(position: ListPosition, moreToLookAt: boolean): string {
  if (moreToLookAt)
    return 'No match among the codes looked at so far. *Next* looks at older codes.';
  return position.q ? 'No code matches.' : 'No codes yet. Create one with `/installcode add`.';
}

/** One page of the ephemeral list: 10 codes, each with its menu, and Previous/Next. */
export function buildCodeList(
  codes: InstallCode[],
  now: number,
  position: ListPosition,
  nextCursor: string | null,
): KnownBlock[] {
  const { page } = position;
  const filter = position.q ? ` matching “${escapeUserText(clip(position.q, 100))}”` : '';
  const shownHere = Math.min(codes.length, LIST_PAGE_SIZE);
  const count = codes.length ? matchCount(position, shownHere, nextCursor !== null) : null;
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*Installation codes*${filter} · page ${page}${count ? `\n${count}` : ''}`,
      },
    },
  ];
  if (codes.length === 0) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: emptyPageText(position, nextCursor !== null),
      },
    });
  }
  for (const code of codes.slice(0, LIST_PAGE_SIZE)) {
    blocks.push(
      { type: 'divider' },
      codeSection(code, now, codeMenu(code, ['qr', 'edit', 'share', 'history', 'delete'])),
      lifecycleButtons(code),
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
      value: encodePosition(nextPosition(position, nextCursor, shownHere)),
    });
  }
  if (navigation.elements.length) blocks.push(navigation);
  return blocks;
}
