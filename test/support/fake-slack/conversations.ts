/**
 * Conversations and messages: which channels the bot is in, the DMs it opened, the messages in
 * each, and the chat.* and conversations.open methods that post, change and delete them.
 *
 * - chat.postMessage / chat.update / chat.delete / chat.postEphemeral into a channel (`C…`, `G…`)
 *   the bot was not invited to: `not_in_channel` (https://docs.slack.dev/reference/methods/chat.postMessage,
 *   https://docs.slack.dev/reference/methods/chat.postEphemeral — ifvictr/prox#30 and
 *   slackapi/node-slack-sdk#977 report the same refusal for ephemeral messages). A DM is the bot's
 *   once conversations.open opened it; any other `D…` is `channel_not_found`.
 * - chat.update / chat.delete of a ts the channel does not hold: `message_not_found`; of a
 *   message someone else posted: `cant_update_message` / `cant_delete_message`
 *   (https://docs.slack.dev/reference/methods/chat.update, https://docs.slack.dev/reference/methods/chat.delete).
 *   chat.update keeps the message's blocks when `blocks` is left out (an empty array removes them).
 */
import type { BlockCheck } from './block-check.js';
import { type Answer, type MethodHandler, ok200, optionalString, refuse } from './http.js';
import type { Ids } from './ids.js';
import {
  FAKE_APP_ID,
  FAKE_BOT_ID,
  FAKE_BOT_USER_ID,
  FAKE_TEAM_ID,
  type FakeSlackCall,
  type FakeSlackMessage,
} from './types.js';

interface Stored {
  message: FakeSlackMessage;
  /** `Date.now()` from which the channel shows it (an upload's message waits for processing). */
  visibleAt: number;
}

export interface Conversations {
  /** The bot joins a channel (`/invite`). */
  invite(channelId: string): void;
  /** The bot's DM with a user is open (as conversations.open opens it). */
  openIm(channelId: string): void;
  /** The error Slack answers for the bot posting into `channelId`, or undefined when it may. */
  postingRefusal(channelId: string | undefined, call: FakeSlackCall): Answer | undefined;
  /** Whether the bot is in the conversation (a channel it was invited to, or a DM it opened). */
  isMember(channelId: string): boolean;
  /** Stores a message; the channel shows it from `visibleAt` (default now). */
  add(message: FakeSlackMessage, visibleAt?: number): FakeSlackMessage;
  /** Stores a message as the bot posts it (text, blocks, thread_ts from `args`). */
  addBotMessage(channelId: string, args: Record<string, unknown>): FakeSlackMessage;
  find(channelId: string, ts: string): FakeSlackMessage | undefined;
  list(channelId: string): FakeSlackMessage[];
  /** Marks a deleted file as a tombstone in every message that shared it. */
  tombstone(fileId: string): void;
  /** Forgets the messages; membership and DMs stay. */
  reset(): void;
  methods: Record<string, MethodHandler>;
}

export function createConversations(ids: Ids, blocks: BlockCheck): Conversations {
  const botChannels = new Set<string>();
  /** DMs the bot opened with conversations.open. */
  const ims = new Set<string>();
  const stored = new Map<string, Stored[]>();

  const isMember = (channelId: string) => botChannels.has(channelId) || ims.has(channelId);
  const visible = (channelId: string) =>
    (stored.get(channelId) ?? []).filter((s) => s.visibleAt <= Date.now());
  const find = (channelId: string, ts: string) =>
    visible(channelId).find((s) => s.message.ts === ts)?.message;

  const postingRefusal = (channelId: string | undefined, call: FakeSlackCall) => {
    if (!channelId) return refuse(call, 'channel_not_found', 'no channel given');
    if (isMember(channelId)) return undefined;
    if (/^[CG]/.test(channelId))
      return refuse(call, 'not_in_channel', `the bot was not invited to ${channelId} (inviteBot)`);
    return refuse(
      call,
      'channel_not_found',
      /^D/.test(channelId)
        ? `${channelId} is not a DM the bot opened with conversations.open`
        : `no conversation ${channelId}`,
    );
  };

  const add = (message: FakeSlackMessage, visibleAt = Date.now()) => {
    const list = stored.get(message.channel) ?? [];
    list.push({ message, visibleAt });
    stored.set(message.channel, list);
    return message;
  };

  const botMessage = (
    channel: string,
    args: Record<string, unknown>,
    ts: string,
  ): FakeSlackMessage => {
    const message: FakeSlackMessage = {
      channel,
      type: 'message',
      text: optionalString(args.text) ?? '',
      user: FAKE_BOT_USER_ID,
      bot_id: FAKE_BOT_ID,
      app_id: FAKE_APP_ID,
      team: FAKE_TEAM_ID,
      ts,
    };
    if (Array.isArray(args.blocks)) message.blocks = args.blocks;
    const threadTs = optionalString(args.thread_ts);
    if (threadTs !== undefined) message.thread_ts = threadTs;
    return message;
  };
  /** The message as Slack answers it (without the fake's own `channel` field). */
  const asAnswered = ({ channel: _channel, ...message }: FakeSlackMessage) => message;
  const hasContent = (args: Record<string, unknown>) =>
    (typeof args.text === 'string' && args.text !== '') ||
    args.blocks !== undefined ||
    args.attachments !== undefined;

  /** A message of the channel the bot may change, or the refusal (`cant` for another's). */
  const ownMessage = (
    args: Record<string, unknown>,
    call: FakeSlackCall,
    cant: 'cant_update_message' | 'cant_delete_message',
  ): { message: FakeSlackMessage } | { refused: Answer } => {
    const channel = optionalString(args.channel);
    const denied = postingRefusal(channel, call);
    if (denied) return { refused: denied };
    const ts = optionalString(args.ts) ?? '';
    const message = find(channel as string, ts);
    if (!message)
      return {
        refused: refuse(call, 'message_not_found', `${channel} holds no message with ts ${ts}`),
      };
    if (message.user !== FAKE_BOT_USER_ID)
      return {
        refused: refuse(call, cant, `message ${ts} was posted by ${message.user}, not the bot`),
      };
    return { message };
  };

  const methods: Record<string, MethodHandler> = {
    'chat.postMessage': ({ args, call }) => {
      const channel = optionalString(args.channel);
      const refused =
        postingRefusal(channel, call) ??
        blocks.messageBlocks(args.blocks, call) ??
        (hasContent(args) ? undefined : refuse(call, 'no_text', 'neither text nor blocks'));
      if (refused) return refused;
      const message = add(botMessage(channel as string, args, ids.ts()));
      return ok200({ ok: true, channel, ts: message.ts, message: asAnswered(message) });
    },
    'chat.postEphemeral': ({ args, call }) => {
      const refused =
        postingRefusal(optionalString(args.channel), call) ??
        blocks.messageBlocks(args.blocks, call) ??
        (hasContent(args) ? undefined : refuse(call, 'no_text', 'neither text nor blocks'));
      // Ephemeral messages are seen by one person and kept nowhere: the call record is all.
      return refused ?? ok200({ ok: true, message_ts: ids.ts() });
    },
    'chat.update': ({ args, call }) => {
      const own = ownMessage(args, call, 'cant_update_message');
      if ('refused' in own) return own.refused;
      const found = own.message;
      const refused =
        blocks.messageBlocks(args.blocks, call) ??
        (hasContent(args) ? undefined : refuse(call, 'no_text', 'neither text nor blocks'));
      if (refused) return refused;
      if (typeof args.text === 'string') found.text = args.text;
      if (Array.isArray(args.blocks)) {
        if (args.blocks.length > 0) found.blocks = args.blocks;
        else delete found.blocks;
      }
      found.edited = { user: FAKE_BOT_USER_ID, ts: ids.ts() };
      return ok200({
        ok: true,
        channel: found.channel,
        ts: found.ts,
        text: found.text,
        message: asAnswered(found),
      });
    },
    'chat.delete': ({ args, call }) => {
      const own = ownMessage(args, call, 'cant_delete_message');
      if ('refused' in own) return own.refused;
      const found = own.message;
      const list = stored.get(found.channel) ?? [];
      stored.set(
        found.channel,
        list.filter((s) => s.message !== found),
      );
      return ok200({ ok: true, channel: found.channel, ts: found.ts });
    },
    'conversations.info': ({ args, call }) => {
      // Membership as inviteBot recorded it; a DM is the bot's own conversation with a person.
      const channelId = optionalString(args.channel);
      if (!channelId) return refuse(call, 'channel_not_found', 'no channel given');
      if (channelId.startsWith('D'))
        return ok200({ ok: true, channel: { id: channelId, is_im: true } });
      return ok200({
        ok: true,
        channel: {
          id: channelId,
          name: channelId.toLowerCase(),
          is_member: botChannels.has(channelId),
        },
      });
    },
    'conversations.open': ({ args, call }) => {
      const channel = optionalString(args.channel);
      if (channel) {
        if (!isMember(channel))
          return refuse(call, 'channel_not_found', `${channel} is not a DM the bot opened`);
        return ok200({ ok: true, channel: { id: channel } });
      }
      const who = String(args.users ?? '')
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean);
      if (who.length === 0) return refuse(call, 'users_list_not_supplied', 'no users given');
      const channelId = who.length === 1 ? `D${who[0]}` : `G${who.join('')}`;
      const alreadyOpen = ims.has(channelId);
      ims.add(channelId);
      return ok200({
        ok: true,
        no_op: alreadyOpen,
        already_open: alreadyOpen,
        channel: { id: channelId, is_im: who.length === 1 },
      });
    },
  };

  return {
    invite: (channelId) => {
      botChannels.add(channelId);
    },
    openIm: (channelId) => {
      ims.add(channelId);
    },
    postingRefusal,
    isMember,
    add,
    addBotMessage: (channelId, args) => add(botMessage(channelId, args, ids.ts())),
    find,
    list: (channelId) => visible(channelId).map((s) => s.message),
    tombstone: (fileId) => {
      for (const list of stored.values()) {
        for (const { message } of list) {
          if (!message.files) continue;
          message.files = message.files.map((f) =>
            f.id === fileId ? { id: f.id, mode: 'tombstone' } : f,
          );
        }
      }
    },
    reset: () => {
      stored.clear();
    },
    methods,
  };
}
