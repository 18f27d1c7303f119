import type {
  AllMiddlewareArgs,
  App,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import { shareCode } from '../../code-actions.js';
import { CALLBACKS } from '../../ids.js';
import { jsonObjectIn, stateValuesOf } from '../../payload.js';
import { SHARE_CHANNEL_BLOCK } from '../../views/share-modal.js';
import { answerFailures, directReply, type ListenerDeps } from '../context.js';
import { staffOnly } from '../guards.js';

/** The channel picked in the App Home's share dialog: the card and QR go there. */
export function shareFromPicker(deps: ListenerDeps) {
  return async ({
    ack,
    body,
    view,
    client,
  }: AllMiddlewareArgs & SlackViewMiddlewareArgs<ViewSubmitAction>) => {
    await ack();
    const request = {
      client,
      userId: body.user.id,
      channelId: null,
      reply: directReply(client, body.user.id),
    };
    await answerFailures(deps, request, async () => {
      const { id } = jsonObjectIn(view.private_metadata, 'the dialog’s code could not be read');
      const values = stateValuesOf<Record<string, Record<string, unknown>>>(view);
      const picked = Object.values(values[SHARE_CHANNEL_BLOCK] ?? {})[0] as
        | { selected_conversation?: string }
        | undefined;
      if (typeof id !== 'string' || !id || !picked?.selected_conversation) return;
      const code = await deps.services.codes.getById(id);
      await shareCode(deps.services, request, code, picked.selected_conversation);
    });
  };
}

export function registerShareSubmission(app: App, deps: ListenerDeps) {
  app.view(CALLBACKS.sharePicker, staffOnly(deps), shareFromPicker(deps));
}
