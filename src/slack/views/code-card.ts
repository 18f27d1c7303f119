import type { ActionsBlock, Button, Overflow, SectionBlock } from '@slack/types';
import { statusAt } from '../../codes/lifetime.js';
import type { InstallCode } from '../../codes/model.js';
import { ACTIONS, type CodeMenuVerb, type LifecycleVerb, lifecycleButtonId } from '../ids.js';
import {
  ACTION_LABEL,
  clip,
  escapeMrkdwn,
  escapeUserText,
  STATUS_LABEL,
  slackDate,
  targetLine,
  usage,
} from './format.js';

const MENU_LABELS: Record<CodeMenuVerb, string> = {
  qr: 'Show QR',
  edit: 'Edit',
  share: 'Share',
  history: 'History',
  delete: 'Delete',
};

/** A code's overflow menu; each option's value is `verb:recordId`. */
export function codeMenu(code: InstallCode, verbs: readonly CodeMenuVerb[]): Overflow {
  return {
    type: 'overflow',
    action_id: ACTIONS.codeMenu,
    options: verbs.map((verb) => ({
      text: { type: 'plain_text', text: MENU_LABELS[verb] },
      value: `${verb}:${code.id}`,
    })),
  };
}

const LIFECYCLE_LABELS: Record<LifecycleVerb, string> = {
  disable: 'Disable',
  enable: 'Enable',
  days7: '+7 days',
  days30: '+30 days',
  uses10: '+10 uses',
};

/**
 * The buttons under a code: Disable or Enable, and one press to extend it. The overflow menu
 * holds Slack's most (5 options) already, and these are what staff reach for when a code is
 * about to stop working, so they stay in sight. A code that never expires gets no day buttons,
 * one without a limit no "+10 uses": there is nothing to extend.
 */
export function lifecycleButtons(code: InstallCode): ActionsBlock {
  const verbs: LifecycleVerb[] = [code.enabled ? 'disable' : 'enable'];
  if (code.expiresAt !== null) verbs.push('days7', 'days30');
  if (code.usageLimit !== null) verbs.push('uses10');
  return {
    type: 'actions',
    block_id: `code_life:${code.id}`,
    elements: verbs.map(
      (verb): Button => ({
        type: 'button',
        action_id: lifecycleButtonId(verb),
        text: { type: 'plain_text', text: LIFECYCLE_LABELS[verb] },
        value: code.id,
      }),
    ),
  };
}

/** Everything a person wants to see of a code, in one mrkdwn text. */
export function codeSummary(code: InstallCode, now: number): string {
  const title = code.description ? `*${escapeUserText(clip(code.description, 200))}*\n` : '';
  return [
    `${title}\`${escapeMrkdwn(code.code)}\` · ${STATUS_LABEL[statusAt(code, now)]}`,
    `Expires: ${slackDate(code.expiresAt)} · Used: ${usage(code)} · Last used: ${slackDate(code.lastUsedAt)}`,
    `${ACTION_LABEL[code.action]} · ${targetLine(code)}`,
  ].join('\n');
}

export function codeSection(code: InstallCode, now: number, menu?: Overflow): SectionBlock {
  const section: SectionBlock = {
    type: 'section',
    text: { type: 'mrkdwn', text: codeSummary(code, now) },
  };
  if (menu) section.accessory = menu;
  return section;
}

/** The comment that goes with a QR upload. */
export function qrComment(code: InstallCode, now: number): string {
  return `QR code for \`${escapeMrkdwn(code.code)}\`\n${codeSummary(code, now)}`;
}
