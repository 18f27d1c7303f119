import type { RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { CodeError } from '../../codes/errors.js';
import type { Logger } from '../../log.js';
import { isRedisUnavailable } from '../../store/connection.js';
import type { Reply, Request, SlackServices } from '../code-actions.js';
import { MalformedPayload } from '../payload.js';
import { directMessage, slackErrorOf } from '../web-api.js';

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
  return ({ text, blocks }) => directMessage(client, userId, { text, blocks });
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
    deps.logger.warn({ err: describeError(error) }, 'slack listener failed');
    await request.reply({ text: failureText(error) }).catch((replyError: unknown) => {
      deps.logger.error(
        { err: describeError(replyError) },
        'could not tell the user about a failure',
      );
    });
  }
}

export function failureText(error: unknown): string {
  if (error instanceof CodeError) return error.message;
  if (error instanceof MalformedPayload)
    return `I could not read what Slack sent: ${error.message}. Nothing was changed; try again.`;
  if (isRedisUnavailable(error))
    return 'The code store is unavailable right now. Nothing was changed; try again shortly.';
  const slackError = slackErrorOf(error);
  if (slackError) return `Slack refused the request (${slackError}). Nothing else was changed.`;
  return 'Something went wrong on our side. Nothing else was changed; try again.';
}

/**
 * An error as a log line can hold it: its name and message, never a request body. A JSON parser's
 * message quotes its input (a code in private_metadata, say), so of a SyntaxError only the name
 * is kept; and what was thrown without being an Error is named by its type alone.
 */
export function describeError(thrown: unknown): string {
  // Bolt hands app.error an UnknownError around what the listener threw.
  const error = (thrown as { original?: unknown } | null)?.original ?? thrown;
  if (!(error instanceof Error)) return `a thrown ${typeof error}`;
  if (error instanceof SyntaxError) return `${error.name} (message withheld: it may quote input)`;
  const message = error.message.length > 300 ? `${error.message.slice(0, 299)}…` : error.message;
  return `${error.name}: ${message}`;
}
