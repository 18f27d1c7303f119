import type { ActionsBlock, KnownBlock } from '@slack/types';
import { codeName } from '../../codes/code-text.js';
import type { InstallCode } from '../../codes/model.js';
import { type CodeMenuVerb, codeButtonId } from '../ids.js';
import { codeSection } from './code-card.js';
import { mrkdwn, plain } from './format.js';

/** What comes next after a save, as buttons: the value is `verb:recordId`, as in a code's menu. */
const NEXT_STEPS: [CodeMenuVerb, string][] = [
  ['share', 'Share'],
  ['qr', 'Show QR'],
  ['edit', 'Edit'],
];

/** True when the old code text stopped finding the code (not a change of case or separators). */
export function renamed(before: InstallCode | null, after: InstallCode): boolean {
  return before !== null && codeName(before.code) !== codeName(after.code);
}

/** The confirmation of an editor save: what happened, the code, and what one may do next. */
export function buildSaveConfirmation(
  before: InstallCode | null,
  saved: InstallCode,
): { text: string; blocks: KnownBlock[] } {
  let text = `${before ? 'Saved' : 'Created'} \`${saved.code}\`.`;
  if (before && renamed(before, saved)) {
    text += ` \`${before.code}\` no longer works; devices must use \`${saved.code}\`.`;
  }
  const actions: ActionsBlock = {
    type: 'actions',
    block_id: `saved_${saved.id}_${saved.version}`,
    elements: NEXT_STEPS.map(([verb, label]) => ({
      type: 'button',
      action_id: codeButtonId(verb),
      text: plain(label),
      value: `${verb}:${saved.id}`,
    })),
  };
  return { text, blocks: [mrkdwn(text), codeSection(saved, saved.updatedAt), actions] };
}
