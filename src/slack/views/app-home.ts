import type { ActionsBlock, HomeView, KnownBlock, PlainTextOption } from '@slack/types';
import { CODE_STATUSES, type CodeStatus, type InstallCode } from '../../codes/model.js';
import type { HomeChoice } from '../../store/home-views.js';
import type { RemovalRequest } from '../../store/removal-requests.js';
import { ACTIONS } from '../ids.js';
import { codeMenu, codeSection, lifecycleButtons } from './code-card.js';
import { buildPendingRemoval } from './deletion.js';
import { escapeMrkdwn, mrkdwn, plain, STATUS_LABEL, slackDate } from './format.js';

export const HOME_CODES = 10;
/** How many codes expiring soon the Home lists above the others. */
export const HOME_EXPIRING = 5;
/** How many removal requests an admin's Home shows (3 blocks each at most). */
export const HOME_PENDING_REMOVALS = 5;
export const EXPIRING_WITHIN_MS = 7 * 24 * 3_600_000;

export interface DashboardInput {
  choice: HomeChoice;
  now: number;
  /** The page of codes the choice shows, and where the next page starts. */
  codes: InstallCode[];
  nextCursor: string | null;
  /** Codes of the choice's scope that stop working within 7 days. */
  expiring: InstallCode[];
  /** For admins: the pending removal requests (empty for others). */
  pendingRemovals: RemovalRequest[];
}

export const OUTSIDER_HOME: HomeView = {
  type: 'home',
  blocks: [mrkdwn('*installcode* is for the support team. Ask an admin if you need access.')],
};

/**
 * The App Home: a dashboard of my codes or all codes, filtered by status, a page at a time, with
 * what expires within 7 days on top and, for admins, the removal requests waiting for them.
 */
export function buildDashboard(input: DashboardInput): HomeView {
  const { choice } = input;
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain('Installation codes') },
    controls(choice),
  ];
  if (input.pendingRemovals.length) {
    blocks.push(
      { type: 'header', text: plain('Waiting for an admin') },
      ...input.pendingRemovals.slice(0, HOME_PENDING_REMOVALS).flatMap(buildPendingRemoval),
    );
  }
  if (input.expiring.length) {
    blocks.push(
      mrkdwn(`*Stop working within 7 days*\n${input.expiring.map(expiringLine).join('\n')}`),
    );
  }
  const whose = choice.scope === 'mine' ? 'My codes' : 'All codes';
  const filter = isStatus(choice.status) ? ` · ${STATUS_LABEL[choice.status]}` : '';
  blocks.push(mrkdwn(`*${whose}*${filter} · page ${choice.page}`));
  if (input.codes.length === 0) blocks.push(mrkdwn(emptyText(choice)));
  for (const code of input.codes.slice(0, HOME_CODES)) {
    blocks.push(
      { type: 'divider' },
      codeSection(code, input.now, codeMenu(code, ['qr', 'edit', 'share', 'history', 'delete'])),
      lifecycleButtons(code),
    );
  }
  const paging = pagingOf(choice, input.nextCursor);
  if (paging) blocks.push(paging);
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: 'Type `/installcode help` for every command.' }],
  });
  return { type: 'home', blocks };
}

function controls(choice: HomeChoice): ActionsBlock {
  const statusOptions: PlainTextOption[] = [
    { text: plain('Any status'), value: 'any' },
    ...CODE_STATUSES.map((status) => ({ text: plain(STATUS_TEXT[status]), value: status })),
  ];
  const current = statusOptions.find((o) => o.value === (choice.status || 'any'));
  return {
    type: 'actions',
    block_id: 'home_controls',
    elements: [
      {
        type: 'button',
        action_id: ACTIONS.homeCreate,
        style: 'primary',
        text: plain('Create a code'),
      },
      scopeButton('mine', 'My codes', choice),
      scopeButton('all', 'All codes', choice),
      {
        type: 'static_select',
        action_id: ACTIONS.homeStatus,
        placeholder: plain('Status'),
        options: statusOptions,
        ...(current ? { initial_option: current } : {}),
      },
    ],
  };
}

const STATUS_TEXT: Record<(typeof CODE_STATUSES)[number], string> = {
  active: 'Active',
  grace: 'Limit reached, in its delay',
  used_up: 'Used up',
  expired: 'Expired',
  disabled: 'Disabled',
};

function scopeButton(scope: HomeChoice['scope'], label: string, choice: HomeChoice) {
  return {
    type: 'button' as const,
    action_id: scope === 'mine' ? ACTIONS.homeMine : ACTIONS.homeAll,
    text: plain(choice.scope === scope ? `• ${label}` : label),
    value: scope,
    ...(choice.scope === scope ? { style: 'primary' as const } : {}),
  };
}

export function isStatus(value: string): value is CodeStatus {
  return (CODE_STATUSES as readonly string[]).includes(value);
}

function expiringLine(code: InstallCode): string {
  const name = code.description ? `${escapeMrkdwn(code.description.slice(0, 80))} ` : '';
  return `• ${name}\`${escapeMrkdwn(code.code)}\` — ${slackDate(code.expiresAt)}`;
}

function emptyText(choice: HomeChoice): string {
  if (choice.status) return 'No code has this status.';
  return choice.scope === 'mine' ? 'You have not created any code yet.' : 'No codes yet.';
}

function pagingOf(choice: HomeChoice, nextCursor: string | null): ActionsBlock | null {
  const elements: ActionsBlock['elements'] = [];
  if (choice.page > 1) {
    elements.push({
      type: 'button',
      action_id: ACTIONS.homePrevious,
      text: plain('Previous'),
      value: 'previous',
    });
  }
  if (nextCursor) {
    elements.push({
      type: 'button',
      action_id: ACTIONS.homeNext,
      text: plain('Next'),
      // The cursor is an index entry (an instant and a record ID): well under 2,000 characters.
      value: nextCursor,
    });
  }
  return elements.length ? { type: 'actions', block_id: 'home_paging', elements } : null;
}
