import type { WebClient } from '@slack/web-api';
import { directMessage } from './web-api.js';

export interface AdminAddress {
  /** ADMIN_CHANNEL_ID, when set: the notice goes there. */
  adminChannelId?: string;
  /** ADMIN_USER_IDS: otherwise each admin gets it by DM. */
  admins: string[];
}

/** Tells the admins something they have to act on, where they decide removals too. */
export async function tellAdmins(client: WebClient, to: AdminAddress, text: string): Promise<void> {
  if (to.adminChannelId) {
    await client.chat.postMessage({ channel: to.adminChannelId, text });
    return;
  }
  await Promise.all(to.admins.map((admin) => directMessage(client, admin, { text })));
}

/** Webhook deliveries keep failing: what an admin reads, with what to check. */
export function webhookFailingNotice(failing: {
  url: string;
  attempts: number;
  reason: string;
}): string {
  return [
    `:warning: Events cannot be delivered to the webhook at ${failing.url}: ${failing.attempts} attempts in a row failed (last: ${failing.reason}).`,
    'They are kept and retried with growing pauses for up to 24 hours, in order per code; the event stream in Redis has them all. Please check the receiver and WEBHOOK_SECRET.',
  ].join('\n');
}
