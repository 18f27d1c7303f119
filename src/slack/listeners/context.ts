import type { RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { CodeError } from '../../codes/errors.js';
import type { Logger } from '../../log.js';
import { isRedisUnavailable } from '../../store/connection.js';
import type { Reply, Request, SlackServices } from '../code-actions.js';

/** What every listener gets: the operations' services and a logger. */
export interface ListenerDeps {
  services: SlackServices;
  logger: Logger;
}

/** Replies through the response_url: ephemeral, or replacing the message whose button was pressed. */
export function ephemeralReply(respond: RespondFn): Reply {
  return async ({ text, blocks, replace }) => {
    await respond({ response_type: 'ephemeral', text, blocks, replace_original: replace ?? false });
  };
}

/** Replies by direct message: for the App Home and modals, which have no response_url. */
export function directReply(client: WebClient, userId: string): Reply {
  return async ({ text, blocks }) => {
    const dm = await client.conversations.open({ users: userId });
    if (dm.channel?.id) await client.chat.postMessage({ channel: dm.channel.id, text, blocks });
  };
}

export function requestFrom(
  client: WebClient,
  userId: string,
  channelId: string | null,
  respond: RespondFn | undefined,
  hasResponseUrl: boolean,
): Request {
  const reply = respond && hasResponseUrl ? ephemeralReply(respond) : directReply(client, userId);
  return { client, userId, channelId, reply };
}

/**
 * Runs a listener's work after its ack: a refusal of the domain becomes a polite reply, anything
 * else is logged and the person told that it failed, so a listener never crashes the app.
 */
export async function answerFailures(
  deps: ListenerDeps,
  request: Request,
  work: () => Promise<void>,
) {
  try {
    await work();
  } catch (error) {
    deps.logger.warn({ err: describe(error) }, 'slack listener failed');
    await request.reply({ text: failureText(error) }).catch((replyError: unknown) => {
      deps.logger.error({ err: describe(replyError) }, 'could not tell the user about a failure');
    });
  }
}

export function failureText(error: unknown): string {
  if (error instanceof CodeError) return error.message;
  if (isRedisUnavailable(error))
    return 'The code store is unavailable right now. Nothing was changed; try again shortly.';
  const slackError = (error as { data?: { error?: string } }).data?.error;
  if (slackError) return `Slack refused the request (${slackError}). Nothing else was changed.`;
  return 'Something went wrong on our side. Nothing else was changed; try again.';
}

/** An error as a log line can hold it: the message only, never a request body. */
function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
