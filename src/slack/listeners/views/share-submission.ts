import type {
  AllMiddlewareArgs,
  App,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { monotonicNow, settleBy } from '../../../store/redis-clock.js';
import { shareCode } from '../../code-actions.js';
import { CALLBACKS } from '../../ids.js';
import { jsonObjectIn, stateValuesOf } from '../../payload.js';
import { SHARE_CHANNEL_BLOCK } from '../../views/share-modal.js';
import { slackErrorOf } from '../../web-api.js';
import { answerFailures, directReply, type ListenerDeps } from '../context.js';
import { staffOnly } from '../guards.js';

/** How long the membership check may take: the modal must be answered within Slack's 3 s. */
const MEMBERSHIP_CHECK_MS = 1_500;

/**
 * The channel picked in the share dialog. If the bot is not in it, the dialog stays open with the
 * error on the channel field; otherwise it closes and the card and QR go there.
 */
export function shareFromPicker(deps: ListenerDeps) {
  return async ({
    ack,
    body,
    view,
    client,
  }: AllMiddlewareArgs & SlackViewMiddlewareArgs<ViewSubmitAction>) => {
    const values = stateValuesOf<Record<string, Record<string, unknown>>>(view);
    const picked = Object.values(values[SHARE_CHANNEL_BLOCK] ?? {})[0] as
      | { selected_conversation?: string }
      | undefined;
    const channelId = picked?.selected_conversation;
    const outside = channelId ? await botOutside(client, channelId) : null;
    if (outside) {
      await ack({
        response_action: 'errors',
        errors: {
          [SHARE_CHANNEL_BLOCK]: `I'm not in ${outside.name}: invite me with \`/invite @installcode\`, then try again.`,
        },
      });
      return;
    }
    await ack();
    const request = {
      client,
      userId: body.user.id,
      channelId: null as string | null,
      reply: directReply(client, body.user.id),
    };
    await answerFailures(deps, request, async () => {
      const { id, from } = jsonObjectIn(
        view.private_metadata,
        'the dialog’s code could not be read',
      );
      if (typeof id !== 'string' || !id || !channelId) return;
      // Shared where Share was pressed, the card says it all; elsewhere a DM confirms it.
      request.channelId = typeof from === 'string' ? from : null;
      const code = await deps.services.codes.getById(id);
      await shareCode(deps.services, request, code, channelId);
    });
  };
}

/**
 * The channel's name when Slack says the bot is not a member, or hides the channel from it (a
 * private one). Null when it is a member, or when Slack is slow or refuses (a missing scope, say):
 * then the upload's own not_in_channel is reported by DM instead.
 */
async function botOutside(client: WebClient, channelId: string): Promise<{ name: string } | null> {
  try {
    const info = await settleBy(
      monotonicNow() + MEMBERSHIP_CHECK_MS,
      client.conversations.info({ channel: channelId }),
    );
    if (info.channel?.is_member !== false) return null;
    return { name: info.channel.name ? `#${info.channel.name}` : 'that channel' };
  } catch (error) {
    return slackErrorOf(error) === 'channel_not_found' ? { name: 'that channel' } : null;
  }
}

export function registerShareSubmission(app: App, deps: ListenerDeps) {
  app.view(CALLBACKS.sharePicker, staffOnly(deps), shareFromPicker(deps));
}
