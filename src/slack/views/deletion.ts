import type { KnownBlock } from '@slack/types';
import type { InstallCode } from '../../codes/model.js';
import { ACTIONS } from '../ids.js';
import { codeSection } from './code-card.js';
import { mrkdwn, plain } from './format.js';

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
