import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { EventClaims } from '../../store/event-claims.js';
import { OUTSIDER_MESSAGE, roleOf } from '../roles.js';
import { type ListenerDeps, requestFrom } from './context.js';

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
    if ('ack' in args && typeof args.ack === 'function') await (args.ack as () => Promise<void>)();
    if (!userId) return;
    // Modals and the App Home have no response_url: the refusal then comes by direct message.
    const hasResponseUrl = Boolean((args.body as { response_url?: string }).response_url);
    const respond = 'respond' in args ? args.respond : undefined;
    await requestFrom(args.client, userId, null, respond, hasResponseUrl).reply({
      text: OUTSIDER_MESSAGE,
    });
  };
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
