import type { ActionsBlock, Button, KnownBlock, ModalView } from '@slack/types';
import type { InstallCode } from '../../codes/model.js';
import type { DecidedRequest, RemovalRequest } from '../../store/removal-requests.js';
import { ACTIONS, CALLBACKS, INPUT } from '../ids.js';
import type { Role } from '../roles.js';
import { codeSection } from './code-card.js';
import { clip, escapeMrkdwn, mrkdwn, plain, slackDate } from './format.js';

/** The reason's input block in the staff member's dialog. */
export const REMOVAL_REASON_BLOCK = 'removal_reason';
/** The longest reason a staff member may give the admins. */
export const REMOVAL_REASON_MAX = 500;

/**
 * The prompt's Remove and Cancel, under the code. An admin's Remove removes, after Slack's
 * confirmation; a staff member's opens the dialog that asks the admins, which is their confirmation.
 */
export function buildDeletePrompt(code: InstallCode, now: number, role: Role): KnownBlock[] {
  const admin = role === 'admin';
  const remove: Button = {
    type: 'button',
    action_id: ACTIONS.deleteRemove,
    style: 'danger',
    text: plain('Remove'),
    value: code.id,
  };
  if (admin) {
    remove.confirm = {
      title: plain('Remove the code?'),
      text: plain(`${code.code} stops working at once. This cannot be undone.`),
      confirm: plain('Remove'),
      deny: plain('Keep it'),
      style: 'danger',
    };
  }
  const heading = admin
    ? 'Remove this installation code? Devices will no longer be able to use it.'
    : 'Remove this installation code? Only an admin can: Remove asks them, and they decide.';
  return [
    mrkdwn(heading),
    codeSection(code, now),
    {
      type: 'actions',
      block_id: 'delete_prompt',
      elements: [
        remove,
        { type: 'button', action_id: ACTIONS.deleteCancel, text: plain('Cancel'), value: code.id },
      ],
    },
  ];
}

/** What the reason dialog carries back: the code, and where the prompt can be replaced. */
export interface RemovalReasonContext {
  codeId: string;
  /** The prompt's response_url, or '' (from the App Home's DM the answer goes by DM anyway). */
  responseUrl: string;
}

/** A staff member's confirmation that they ask the admins, with an optional reason. */
export function buildRemovalReasonModal(
  code: InstallCode,
  context: RemovalReasonContext,
): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACKS.removalReason,
    private_metadata: JSON.stringify(context),
    title: plain('Ask to remove a code'),
    submit: plain('Ask the admins'),
    close: plain('Cancel'),
    blocks: [
      mrkdwn(
        `Ask the admins to remove \`${code.code}\`? Nothing is removed until one of them decides; I will tell you by direct message.`,
      ),
      {
        type: 'input',
        block_id: REMOVAL_REASON_BLOCK,
        optional: true,
        label: plain('Why should it go? (for the admins)'),
        element: {
          type: 'plain_text_input',
          action_id: INPUT,
          multiline: true,
          max_length: REMOVAL_REASON_MAX,
        },
      },
    ],
  };
}

/**
 * "Remove code" and "Keep code" on a request: the value is the request's ID, so the same buttons
 * decide from any message that shows them (the admins' copies, the App Home).
 */
export function removalDecisionButtons(request: Pick<RemovalRequest, 'id' | 'code'>): ActionsBlock {
  return {
    type: 'actions',
    block_id: 'delete_request',
    elements: [
      {
        type: 'button',
        action_id: ACTIONS.adminRemove,
        style: 'danger',
        text: plain('Remove code'),
        value: request.id,
        confirm: {
          title: plain('Remove the code?'),
          text: plain(`${request.code} stops working at once. This cannot be undone.`),
          confirm: plain('Remove'),
          deny: plain('Keep it'),
          style: 'danger',
        },
      },
      {
        type: 'button',
        action_id: ACTIONS.adminCancel,
        text: plain('Keep code'),
        value: request.id,
      },
    ],
  };
}

/** The request as the admins see it: who asks, why, the code, and the decision's buttons. */
export function buildRemovalRequest(
  request: RemovalRequest,
  code: InstallCode,
  now: number,
): KnownBlock[] {
  return [
    mrkdwn(`<@${request.requestedBy}> asks to remove this installation code:`),
    ...reasonBlocks(request),
    codeSection(code, now),
    removalDecisionButtons(request),
  ];
}

/** What every copy says once decided: who decided what, and when. The buttons are gone. */
export function buildRemovalOutcome(request: DecidedRequest): KnownBlock[] {
  return [mrkdwn(removalOutcomeText(request)), ...reasonBlocks(request)];
}

export function removalOutcomeText(request: DecidedRequest): string {
  const { decision, by, at } = request.decided;
  const code = `\`${request.code}\``;
  const when = slackDate(at);
  const asker = `<@${request.requestedBy}>`;
  if (decision === 'removed')
    return `:wastebasket: <@${by}> removed ${code} ${when}, as ${asker} asked.`;
  if (decision === 'kept')
    return `:no_entry_sign: <@${by}> kept ${code} ${when}; ${asker} had asked to remove it.`;
  return `:information_source: ${code} was already gone when <@${by}> decided ${when}; ${asker} had asked to remove it.`;
}

/** What the requester is told by DM. */
export function removalOutcomeForRequester(request: DecidedRequest): string {
  const { decision, by } = request.decided;
  const code = `\`${request.code}\``;
  if (decision === 'removed') return `:wastebasket: <@${by}> removed ${code}, as you asked.`;
  if (decision === 'kept')
    return `:no_entry_sign: <@${by}> kept ${code}: it was not removed, though you asked.`;
  return `:information_source: ${code} was already gone when <@${by}> looked at your request.`;
}

function reasonBlocks(request: Pick<RemovalRequest, 'reason'>): KnownBlock[] {
  if (!request.reason) return [];
  // A quote per line; the reason is at most 500 characters, far below a section's 3000.
  const quoted = escapeMrkdwn(clip(request.reason, REMOVAL_REASON_MAX))
    .split('\n')
    .map((line) => `>${line}`)
    .join('\n');
  return [mrkdwn(`*Reason:*\n${quoted}`)];
}

/**
 * A pending request as the App Home lists it for admins: who asks, when, why, and the same
 * buttons as the admins' copies (each request's block ID its own: a view's must be unique).
 */
export function buildPendingRemoval(request: RemovalRequest): KnownBlock[] {
  return [
    mrkdwn(
      `<@${request.requestedBy}> asks to remove \`${escapeMrkdwn(request.code)}\` (${slackDate(request.at)})`,
    ),
    ...reasonBlocks(request),
    { ...removalDecisionButtons(request), block_id: `delete_request.${request.id}` },
  ];
}

/** What a deletion message says once it is settled: the buttons are gone. */
export function buildDecision(text: string): KnownBlock[] {
  return [mrkdwn(text)];
}
