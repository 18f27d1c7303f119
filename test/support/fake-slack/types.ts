/** The fake Slack's public shapes: what tests read and what `startFakeSlack` returns. */

export const FAKE_TEAM_ID = 'T0001';
export const FAKE_TEAM_DOMAIN = 'installcode-test';
export const FAKE_APP_ID = 'A0001';
export const FAKE_BOT_USER_ID = 'UBOT';
export const FAKE_BOT_ID = 'BBOT';
export const FAKE_BOT_NAME = 'installcode';

/**
 * Names accepted by `failNext` besides Web API methods: the upload URL step of an upload and
 * response_url POSTs.
 */
export const UPLOAD_STEP = 'upload';
export const RESPONSE_URL_STEP = 'response_url';

/** The path of the Socket Mode WebSocket URL handed out by `apps.connections.open`. */
export const SOCKET_PATH = '/socket';

/** Slack: a trigger_id is good for one views.open/views.push, within 3 seconds. */
export const TRIGGER_TTL_MS = 3000;
/** How long an upload stays "processing" after files.completeUploadExternal, unless set. */
export const DEFAULT_FILE_PROCESSING_MS = 150;

export interface FakeSlackOptions {
  /** The bot token the app is configured with: the only one the Web API methods accept. */
  botToken: string;
  /**
   * The app-level token (`xapp-…`) the app opens Socket Mode with: the only one
   * apps.connections.open accepts. Without it, any `xapp-…` token is taken.
   */
  appToken?: string;
  /** See `FakeSlack.fileProcessingMs`. */
  fileProcessingMs?: number;
}

/** One Web API call as Slack received it, and what the fake answered. */
export interface FakeSlackCall {
  method: string;
  /** The arguments, with JSON-encoded form fields (blocks, view, files, ...) decoded. */
  args: Record<string, unknown>;
  /** The token, from `Authorization: Bearer …` or a `token` argument. */
  token?: string;
  /** Set when the call was answered by an injected failure (see `failNext`). */
  injected?: { status: number; error?: string };
  /** The JSON body the fake answered with (set once answered). */
  result?: Record<string, unknown>;
  /** Why the fake refused it, in words, when it did (not part of Slack's answer). */
  reason?: string;
}

/** A file upload that went all the way through files.completeUploadExternal. */
export interface FakeSlackUpload {
  fileId: string;
  /** `channel_id` of files.completeUploadExternal (undefined: a private file of the bot). */
  channelId?: string;
  initialComment?: string;
  /** `blocks` of files.completeUploadExternal (Slack ignores them when there is a comment). */
  blocks?: unknown[];
  threadTs?: string;
  /** The filename given to files.getUploadURLExternal. */
  filename?: string;
  title?: string;
  /** `alt_txt` (Slack's documented name) or `alt_text` (what @slack/web-api sends). */
  altText?: string;
  /** The bytes posted to the upload URL. */
  bytes: Buffer;
  /** The token files.completeUploadExternal was called with. */
  token?: string;
}

/** A file as Slack holds it now (see `FakeSlack.file`). */
export interface FakeSlackFile {
  id: string;
  filename: string;
  title: string;
  /** The user who owns it: the bot for uploads through the Web API. */
  owner: string;
  bytes: Buffer;
  altText?: string;
  /** Still being processed (Slack processes uploads asynchronously): no shares yet. */
  processing: boolean;
  deleted: boolean;
  /** Conversations it is shared in (empty while processing, and for a private file). */
  channels: string[];
  /** The messages that share it: `{ channel, ts }`. */
  shares: { channel: string; ts: string }[];
}

/** A message as a conversation shows it now (see `FakeSlack.message`). */
export interface FakeSlackMessage extends Record<string, unknown> {
  channel: string;
  ts: string;
  text: string;
  blocks?: unknown[];
  /** The author: the bot's user ID for what the app posted. */
  user: string;
  bot_id?: string;
  thread_ts?: string;
  /** Files shared by the message (`{ id, mode: 'tombstone' }` once deleted). */
  files?: { id: string; mode?: 'hosted' | 'tombstone' }[];
  /** Set once chat.update changed it. */
  edited?: { user: string; ts: string };
}

/** A POST to a response_url. */
export interface FakeSlackResponse {
  id: string;
  /** The parsed JSON body (`{ text }` with the raw text when it was not a JSON object). */
  body: Record<string, unknown>;
  /** Set when the POST was answered by an injected failure (see `failNext('response_url')`). */
  injected?: { status: number; error?: string };
  /** Slack's `invalid_blocks` errors when the fake refused its blocks. */
  refused?: string[];
}

/** A view as Slack holds it: what the app sent, plus id, hash, state and the rest. */
export interface FakeSlackView extends Record<string, unknown> {
  id: string;
  hash: string;
  type: string;
  callback_id?: string;
  private_metadata?: string;
  blocks?: unknown[];
  state: { values: Record<string, Record<string, unknown>> };
}

export interface FailureSpec {
  /** HTTP status; 429 when only `retryAfter` is given, 200 (`{ok:false, error}`) when only `error` is. */
  status?: number;
  /** Slack error code for the `{ok:false, error}` body. */
  error?: string;
  /** Seconds, sent as the `Retry-After` header (429 defaults to 1). */
  retryAfter?: number;
  /** How many consecutive calls fail (default 1). */
  times?: number;
}

/**
 * An envelope as Slack sends it over a Socket Mode connection. `payload` is what HTTP mode would
 * have posted: the slash command's fields as an object, a `block_actions` / `view_submission`
 * payload, or an Events API `event_callback` envelope.
 */
export interface FakeSocketEnvelope extends Record<string, unknown> {
  /** Generated (`env-N`) when left out. */
  envelope_id?: string;
  type: 'slash_commands' | 'interactive' | 'events_api' | (string & {});
  payload: Record<string, unknown>;
  accepts_response_payload?: boolean;
  /** events_api only. */
  retry_attempt?: number;
  /** events_api only. */
  retry_reason?: string;
}

/** An acknowledgement the app sent back: `{ envelope_id, payload? }`. */
export interface FakeSocketAck {
  envelope_id: string;
  payload?: Record<string, unknown>;
  /** The `id` of the connection it came over. */
  connection: number;
  /** `performance.now()` when it arrived. */
  receivedAt: number;
}

/** One Socket Mode connection, open or closed. */
export interface FakeSocketConnection {
  /** Numbered from 1 in the order the connections were made (kept across `reset()`). */
  id: number;
  /** The app-level token `apps.connections.open` was called with for its ticket. */
  appToken: string;
  /** The URL the app connected to. */
  url: string;
  /** Set once it closed: the app's close code (1006 when the socket dropped without one). */
  closed?: { code: number; reason: string; by: 'app' | 'fake' };
}

export interface FakeSlackSocket {
  /** Every Socket Mode connection accepted (`hello` sent), oldest first. */
  connections: FakeSocketConnection[];
  /** Every acknowledgement received, in order. */
  acks: FakeSocketAck[];
  /** Every message the app sent over a socket, parsed (acks included). */
  received: unknown[];
  /** WebSocket upgrades refused (no such path, or a ticket not handed out or already used). */
  refused: { url: string }[];
  /** Resolves with the open connection once an app is connected and has had its `hello`. */
  connected(timeoutMs?: number): Promise<FakeSocketConnection>;
  isConnected(): boolean;
  /**
   * Delivers an envelope over the open connection (the newest) and gives its envelope_id. The
   * time it was sent is kept, so `ackDelayMs` can tell how long the app took to acknowledge it.
   */
  send(envelope: FakeSocketEnvelope): string;
  /** Resolves with the ack of `envelopeId` (already received or still to come). */
  waitForAck(envelopeId: string, timeoutMs?: number): Promise<FakeSocketAck>;
  /** Milliseconds from `send` to the ack of `envelopeId` (undefined until acked). */
  ackDelayMs(envelopeId: string): number | undefined;
  /** Resolves once `connection` (default: the newest) has closed. */
  waitForClose(
    connection?: FakeSocketConnection,
    timeoutMs?: number,
  ): Promise<NonNullable<FakeSocketConnection['closed']>>;
  /**
   * Slack's `disconnect` message on the open connection, as Slack sends it before it recycles a
   * connection: the app is expected to close it and connect anew.
   */
  disconnect(reason?: 'warning' | 'refresh_requested' | 'link_disabled'): void;
  /** Pings the open connection; resolves when the app's pong comes back. */
  ping(timeoutMs?: number): Promise<void>;
}

export interface FakeSlack {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `http://127.0.0.1:PORT/api/`, for SLACK_API_URL. */
  apiUrl: string;
  /** The Web API methods the fake implements; any other answers `unknown_method`. */
  methods: readonly string[];
  /** Every Web API call received, in order (including those answered with injected failures). */
  calls: FakeSlackCall[];
  /** Completed uploads (files.completeUploadExternal), with their bytes. */
  uploads: FakeSlackUpload[];
  /** POSTs to response_urls, in order. */
  responses: FakeSlackResponse[];
  /** Views opened, pushed, updated or published, by id, as they stand now. */
  views: Map<string, FakeSlackView>;
  /**
   * How long an upload is "processing" after files.completeUploadExternal (default 150 ms):
   * files.info shows no shares yet, its share message is not in the channel yet, and an image
   * block naming it is refused. Settable; `reset()` restores the default.
   */
  fileProcessingMs: number;
  callsTo(method: string): FakeSlackCall[];
  lastCall(method: string): FakeSlackCall | undefined;
  /**
   * Resolves with the first call to `method` (already received or still to come) that matches
   * `predicate`; rejects after `timeoutMs`.
   */
  waitForCall(
    method: string,
    predicate?: (call: FakeSlackCall) => boolean,
    timeoutMs?: number,
  ): Promise<FakeSlackCall>;
  /** The same for response_url POSTs. */
  waitForResponse(
    predicate?: (response: FakeSlackResponse) => boolean,
    timeoutMs?: number,
  ): Promise<FakeSlackResponse>;
  /** The same for completed uploads. */
  waitForUpload(
    predicate?: (upload: FakeSlackUpload) => boolean,
    timeoutMs?: number,
  ): Promise<FakeSlackUpload>;
  /** The most recent view opened/pushed/updated/published (with that callback_id, if given). */
  lastView(callbackId?: string): FakeSlackView | undefined;
  /** A URL on this server standing for a Slack response_url. */
  responseUrl(id: string): string;
  /**
   * A trigger_id as Slack puts in a command, a button press, a shortcut or a view submission:
   * views.open / views.push take it once, within 3 seconds of now.
   */
  triggerId(): string;
  /** Make the next call(s) to `method` (or `upload` / `response_url`) fail. */
  failNext(method: string, failure?: FailureSpec): void;
  /**
   * Hold the answer to the next call(s) to `method` (or `upload` / `response_url`) for `ms`: a slow
   * Slack. The call is recorded when it arrives; its effect (an upload, a view) and its answer
   * come after the delay.
   */
  delayNext(method: string, ms: number, times?: number): void;
  /** What users.info answers for this user (merged over the defaults). */
  setUser(userId: string, info: Record<string, unknown>): void;
  /**
   * The bot is invited into a channel (as `/invite @installcode` does): posting into a channel
   * the bot is not in is refused with `not_in_channel`, as Slack refuses it. Kept across `reset()`.
   */
  inviteBot(channelId: string): void;
  /**
   * A message the app posted before the test began (a deletion request in an admin's DM, say):
   * the bot can update and delete it. A DM (`D…`) counts as opened; a channel must have the bot.
   */
  botMessage(channelId: string, message: { text: string; blocks?: unknown[] }): FakeSlackMessage;
  /** A message someone else posted into a channel: the bot can neither update nor delete it. */
  userMessage(
    channelId: string,
    message: { user: string; text: string; blocks?: unknown[] },
  ): FakeSlackMessage;
  /** A file someone else uploaded and kept private: the bot cannot show it nor delete it. */
  userFile(userId: string, file?: { filename?: string; bytes?: Buffer }): FakeSlackFile;
  /** The message as the channel shows it now (after updates; undefined once deleted). */
  message(channelId: string, ts: string): FakeSlackMessage | undefined;
  /** The messages a channel shows now, oldest first. */
  messages(channelId: string): FakeSlackMessage[];
  /** A file as Slack holds it now (undefined for an ID it never handed out). */
  file(fileId: string): FakeSlackFile | undefined;
  /** Socket Mode: the WebSocket end of the fake (see the routes in fake-slack.ts). */
  socket: FakeSlackSocket;
  /**
   * Forget calls, uploads, files, messages, responses, views, trigger IDs, pending failures and
   * delays, and users; and the Socket Mode acks, messages and closed connections (an open
   * connection stays open). The channels the bot was invited to and the DMs it opened stay.
   */
  reset(): void;
  /** Closes any Socket Mode connection still open (close frame 1001, then cut), then the server. */
  close(): Promise<void>;
}
