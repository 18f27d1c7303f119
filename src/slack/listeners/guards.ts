import type { AllMiddlewareArgs, AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { EventClaims } from '../../store/event-claims.js';
import { monotonicNow, settleBy } from '../../store/redis-clock.js';
import { OUTSIDER_MESSAGE, roleOf } from '../roles.js';
import { directReply, ephemeralReply, failureText, type ListenerDeps } from './context.js';

function userIdOf(body: AnyMiddlewareArgs['body']): string | undefined {
  const record = body as { user_id?: string; user?: { id?: string } | string };
  if (record.user_id) return record.user_id;
  return typeof record.user === 'string' ? record.user : record.user?.id;
}

/** Lets staff and admins through; anyone else gets a polite ephemeral refusal, and nothing changes. */
export function staffOnly(deps: ListenerDeps): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const userId = userIdOf(args.body);
    if (userId && roleOf(userId, deps.services.roles) !== 'outsider') {
      await args.next();
      return;
    }
    await acknowledge(args);
    if (userId) await tellSender(args, userId, OUTSIDER_MESSAGE);
  };
}

/**
 * Tells the sender where they acted: through the response_url (ephemeral in that conversation);
 * in a conversation without one, as an ephemeral message there; by DM only from where there is
 * no conversation (the App Home, a modal, a global shortcut).
 */
function tellSender(args: AnyMiddlewareArgs & AllMiddlewareArgs, userId: string, text: string) {
  const body = args.body as {
    response_url?: string;
    response_urls?: unknown[];
    channel?: { id?: string };
    container?: { type?: string };
  };
  const respond = 'respond' in args ? args.respond : undefined;
  if (respond && (body.response_url || body.response_urls?.length)) {
    return ephemeralReply(respond)({ text });
  }
  const channelId = body.channel?.id;
  if (channelId && body.container?.type === 'message') {
    return args.client.chat.postEphemeral({ channel: channelId, user: userId, text });
  }
  return directReply(args.client, userId)({ text });
}

/**
 * Slack re-delivers an event it thinks went unanswered, and with several replicas any one of them
 * may get it: the first to claim the event ID in Redis handles it, the others drop it.
 */
export function firstDelivery(claims: EventClaims): Middleware<AnyMiddlewareArgs> {
  return async ({ body, next }) => {
    const eventId = (body as { event_id?: string }).event_id;
    if (eventId && !(await claims.claim(eventId))) return;
    await next();
  };
}

/**
 * The last resort for whatever a listener throws: the delivery is acknowledged (never a 500, which
 * Slack shows as an error), the person is told what failed when we know who they are, and the
 * error goes on to app.error, which logs it.
 */
export const acknowledgeFailures: Middleware<AnyMiddlewareArgs> = async (args) => {
  try {
    await args.next();
  } catch (error) {
    // Refused when the listener had acknowledged already; then the answer is out.
    await acknowledge(args).catch(() => undefined);
    const userId = userIdOf(args.body);
    // Should telling fail too, app.error still logs the failure itself.
    if (userId) await tellSender(args, userId, failureText(error)).catch(() => undefined);
    throw error;
  }
};

/** What the HTTP receiver lifts from a request into its context (Socket Mode has no signatures). */
export interface SignedDelivery {
  slackSignature?: string;
  slackTimestamp?: number;
}

/** How long a signature is accepted either side of its timestamp, as Slack asks. */
export const SIGNATURE_WINDOW_SECONDS = 5 * 60;
/** Kept a little longer than the window, for clocks that differ between replicas. */
const REPLAY_MARGIN_SECONDS = 60;
/**
 * How long the replay check may wait for Redis. It runs before every listener, inside Slack's
 * 3 s: past this, the request goes on unchecked (and meets the same Redis in its listener, whose
 * own budget then tells the person), rather than the acknowledgement coming too late.
 */
const REPLAY_CHECK_MS = 250;

/**
 * A signed request sent again within its 5 minutes (a replay: same body, same signature) is
 * acknowledged and does nothing: the first to claim the signature in Redis handles it, also
 * across replicas. Slack's own retries carry X-Slack-Retry-Num and are left to
 * dropRetriedDeliveries and firstDelivery, which drop them too.
 */
export function dropReplays(claims: EventClaims, logger: ListenerDeps['logger']) {
  const replays: Middleware<AnyMiddlewareArgs> = async (args) => {
    const { slackSignature, slackTimestamp } = args.context as SignedDelivery;
    if (!slackSignature || slackTimestamp === undefined || args.context.retryNum !== undefined) {
      await args.next();
      return;
    }
    // The key lives as long as the signature is accepted, plus the margin.
    const acceptedFor = slackTimestamp + SIGNATURE_WINDOW_SECONDS - Math.floor(Date.now() / 1000);
    const ttl = Math.max(0, acceptedFor) + REPLAY_MARGIN_SECONDS;
    const claimed = claims.claimRequest(slackSignature, ttl);
    if (await settleBy(monotonicNow() + REPLAY_CHECK_MS, claimed).catch(() => true)) {
      await args.next();
      return;
    }
    logger.warn('slack request replayed: acknowledged and ignored');
    await acknowledge(args);
  };
  return replays;
}

/** ack(), for the deliveries that have one (an event is acknowledged by Bolt itself). */
async function acknowledge(args: AnyMiddlewareArgs): Promise<void> {
  if ('ack' in args && typeof args.ack === 'function') await (args.ack as () => Promise<void>)();
}
