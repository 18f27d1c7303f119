import { createHash } from 'node:crypto';
import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';

/** The error code of a refused Web API call (`not_in_channel`, …), if it was one. */
export function slackErrorOf(error: unknown): string | undefined {
  return (error as { data?: { error?: string } } | null)?.data?.error;
}

/** Posts into a person's direct-message conversation with the app. */
export async function directMessage(
  client: WebClient,
  userId: string,
  message: { text: string; blocks?: KnownBlock[] },
): Promise<void> {
  const dm = await client.conversations.open({ users: userId });
  if (dm.channel?.id) await client.chat.postMessage({ channel: dm.channel.id, ...message });
}

/** A short digest of what a message or view shows: an update that would show the same is skipped. */
export function shownDigest(shown: unknown): string {
  return createHash('sha256').update(JSON.stringify(shown)).digest('base64url').slice(0, 22);
}
