import type {
  AllMiddlewareArgs,
  App,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import type { Reply } from '../../code-actions.js';
import { requestRemoval } from '../../deletion.js';
import { CALLBACKS, INPUT } from '../../ids.js';
import { jsonObjectIn, MalformedPayload, stateValuesOf } from '../../payload.js';
import { REMOVAL_REASON_BLOCK, REMOVAL_REASON_MAX } from '../../views/deletion.js';
import { answerFailures, directReply, type ListenerDeps } from '../context.js';
import { staffOnly } from '../guards.js';

/**
 * A staff member confirmed the request to remove a code. A reason over 500 characters is refused
 * on its field and nothing is sent; otherwise the dialog closes and the admins are asked.
 */
export function submitRemovalRequest(deps: ListenerDeps) {
  return async ({
    ack,
    body,
    view,
    client,
  }: AllMiddlewareArgs & SlackViewMiddlewareArgs<ViewSubmitAction>) => {
    const values = stateValuesOf<Record<string, Record<string, { value?: string | null }>>>(view);
    const reason = (values[REMOVAL_REASON_BLOCK]?.[INPUT]?.value ?? '').trim();
    if (reason.length > REMOVAL_REASON_MAX) {
      await ack({
        response_action: 'errors',
        errors: {
          [REMOVAL_REASON_BLOCK]: `At most ${REMOVAL_REASON_MAX} characters, please: this one has ${reason.length}.`,
        },
      });
      return;
    }
    await ack();
    const userId = body.user.id;
    const fallback = directReply(client, userId);
    const request = { client, userId, channelId: null, reply: fallback };
    await answerFailures(deps, request, async () => {
      const context = jsonObjectIn(view.private_metadata, 'the dialog’s code could not be read');
      const { codeId, responseUrl } = context;
      if (typeof codeId !== 'string' || !codeId) {
        throw new MalformedPayload('the dialog’s code could not be read');
      }
      // The prompt is replaced through its response_url (from the signed payload, as Bolt's
      // respond() trusts it); without one, or should that fail, the answer goes by DM.
      if (typeof responseUrl === 'string' && /^https?:\/\//.test(responseUrl)) {
        request.reply = viaResponseUrl(responseUrl, fallback);
      }
      await requestRemoval(deps.services, request, codeId, reason);
    });
  };
}

/** Slack answers a response_url at once; a hung one must not hold the work. */
const RESPONSE_URL_TIMEOUT_MS = 5_000;

/** Posts to the prompt's response_url, as Bolt's respond() does for a button. */
function viaResponseUrl(url: string, fallback: Reply): Reply {
  return async ({ text, blocks, replace }) => {
    const answer = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        response_type: 'ephemeral',
        text,
        blocks,
        replace_original: replace ?? false,
      }),
      signal: AbortSignal.timeout(RESPONSE_URL_TIMEOUT_MS),
    }).catch(() => null);
    if (!answer?.ok) await fallback({ text, blocks });
  };
}

export function registerRemovalReasonSubmission(app: App, deps: ListenerDeps) {
  app.view(CALLBACKS.removalReason, staffOnly(deps), submitRemovalRequest(deps));
}
