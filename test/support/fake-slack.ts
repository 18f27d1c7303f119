/**
 * A fake Slack Web API of our own: real HTTP on 127.0.0.1, answering the methods the app uses the
 * way Slack does, recording every call so tests can inspect what the app sent.
 *
 * Give `fake.apiUrl` to the app as SLACK_API_URL (Bolt's `clientOptions.slackApiUrl`).
 *
 * Routes:
 * - `POST /api/<method>`: a Web API call (form-encoded, JSON or multipart body).
 * - `POST /upload/<fileId>`: the `upload_url` handed out by `files.getUploadURLExternal`.
 * - `POST /response/<id>`: a `response_url` (see `responseUrl(id)`).
 * - `GET /socket?ticket=…` (WebSocket upgrade): Socket Mode. `apps.connections.open`, called with an
 *   app-level token (`xapp-…`), hands out this URL with a one-time ticket; the app connects, gets
 *   Slack's `hello`, and from then on `fake.socket.send(envelope)` delivers envelopes as Slack does
 *   and `fake.socket.acks` records the app's acknowledgements.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';

export const FAKE_TEAM_ID = 'T0001';
export const FAKE_TEAM_DOMAIN = 'installcode-test';
export const FAKE_APP_ID = 'A0001';
export const FAKE_BOT_USER_ID = 'UBOT';
export const FAKE_BOT_ID = 'BBOT';
export const FAKE_BOT_NAME = 'installcode';

/** One Web API call as Slack received it. */
export interface FakeSlackCall {
  method: string;
  /** The arguments, with JSON-encoded form fields (blocks, view, files, ...) decoded. */
  args: Record<string, unknown>;
  /** The token, from `Authorization: Bearer …` or a `token` argument. */
  token?: string;
  /** Set when the call was answered by an injected failure (see `failNext`). */
  injected?: { status: number; error?: string };
}

/** A file upload that went all the way through files.completeUploadExternal. */
export interface FakeSlackUpload {
  fileId: string;
  /** `channel_id` of files.completeUploadExternal (undefined: uploaded but not shared). */
  channelId?: string;
  initialComment?: string;
  threadTs?: string;
  /** The filename given to files.getUploadURLExternal. */
  filename?: string;
  title?: string;
  altText?: string;
  /** The bytes posted to the upload URL. */
  bytes: Buffer;
  /** The token files.completeUploadExternal was called with. */
  token?: string;
}

/** A POST to a response_url. */
export interface FakeSlackResponse {
  id: string;
  /** The parsed JSON body (`{ text }` with the raw text when it was not a JSON object). */
  body: Record<string, unknown>;
  /** Set when the POST was answered by an injected failure (see `failNext('response_url')`). */
  injected?: { status: number; error?: string };
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
 * Names accepted by `failNext` besides Web API methods: the upload URL step of an upload and
 * response_url POSTs.
 */
export const UPLOAD_STEP = 'upload';
export const RESPONSE_URL_STEP = 'response_url';

/** The path of the Socket Mode WebSocket URL handed out by `apps.connections.open`. */
export const SOCKET_PATH = '/socket';

/** How often the fake pings each Socket Mode connection, as Slack's servers do. */
const SOCKET_PING_INTERVAL_MS = 10_000;
/** How long `close()` lets an app answer the close frame before cutting its socket. */
const SOCKET_CLOSE_GRACE_MS = 1_000;

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
  /** Every Web API call received, in order (including those answered with injected failures). */
  calls: FakeSlackCall[];
  /** Completed uploads (files.completeUploadExternal), with their bytes. */
  uploads: FakeSlackUpload[];
  /** POSTs to response_urls, in order. */
  responses: FakeSlackResponse[];
  /** Views opened, pushed, updated or published, by id, as they stand now. */
  views: Map<string, FakeSlackView>;
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
   * the bot is not in is refused with `not_in_channel`, as Slack refuses it.
   */
  inviteBot(channelId: string): void;
  /** Socket Mode: the WebSocket end of the fake (see the routes above). */
  socket: FakeSlackSocket;
  /**
   * Forget calls, uploads, responses, views, pending failures and delays, and users; and the Socket Mode acks,
   * messages and closed connections (an open connection stays open).
   */
  reset(): void;
  /** Closes any Socket Mode connection still open (close frame 1001, then cut), then the server. */
  close(): Promise<void>;
}

interface Waiter {
  check: () => boolean;
}

interface PendingUpload {
  fileId: string;
  filename?: string;
  length?: number;
  altText?: string;
  bytes?: Buffer;
}

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** A connection with what only the fake needs. */
interface LiveSocket {
  info: FakeSocketConnection;
  ws: WebSocket;
  pinger: NodeJS.Timeout;
  /** Resolves when the socket has closed. */
  ended: Promise<void>;
  /** Set when the fake started the close (`close()`). */
  closingByFake: boolean;
}

/** Start a fake Slack on a free port of 127.0.0.1. */
export async function startFakeSlack(): Promise<FakeSlack> {
  const calls: FakeSlackCall[] = [];
  const uploads: FakeSlackUpload[] = [];
  const responses: FakeSlackResponse[] = [];
  const views = new Map<string, FakeSlackView>();
  const viewOrder: string[] = [];
  const pendingUploads = new Map<string, PendingUpload>();
  const failures = new Map<string, Required<Pick<FailureSpec, 'times'>> & FailureSpec>();
  const delays = new Map<string, { ms: number; times: number }>();
  const users = new Map<string, Record<string, unknown>>();
  /** Channels the bot was invited into (see inviteBot). */
  const botChannels = new Set<string>();
  let waiters: Waiter[] = [];
  let counter = 0;
  let baseUrl = '';
  // Socket Mode
  const tickets = new Map<string, string>();
  const connections: FakeSocketConnection[] = [];
  const live = new Map<FakeSocketConnection, LiveSocket>();
  const acks: FakeSocketAck[] = [];
  const received: unknown[] = [];
  const refused: { url: string }[] = [];
  const sentAt = new Map<string, number>();
  const pongs: string[] = [];
  let connectionCount = 0;

  const next = () => ++counter;
  const id = (prefix: string) => `${prefix}${String(next()).padStart(9, '0')}`;
  const newTs = () => {
    const n = next();
    return `${Math.floor(Date.now() / 1000)}.${String(n % 1_000_000).padStart(6, '0')}`;
  };
  const newHash = () => `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`;

  const notify = () => {
    waiters = waiters.filter((w) => !w.check());
  };

  function waitFor<T>(
    list: T[],
    match: (item: T) => boolean,
    timeoutMs: number,
    describe: () => string,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const found = () => list.find(match);
      const now = found();
      if (now !== undefined) {
        resolve(now);
        return;
      }
      const waiter: Waiter = {
        check: () => {
          const item = found();
          if (item === undefined) return false;
          clearTimeout(timer);
          resolve(item);
          return true;
        },
      };
      const timer = setTimeout(() => {
        waiters = waiters.filter((w) => w !== waiter);
        reject(new Error(`fake Slack: timed out after ${timeoutMs} ms waiting for ${describe()}`));
      }, timeoutMs);
      waiters.push(waiter);
    });
  }

  function takeFailure(name: string): FailureSpec | undefined {
    const failure = failures.get(name);
    if (!failure) return undefined;
    failure.times -= 1;
    if (failure.times <= 0) failures.delete(name);
    return failure;
  }

  /** Waits out a delay set by `delayNext` for `name`, if any. */
  async function delayed(name: string): Promise<void> {
    const delay = delays.get(name);
    if (!delay) return;
    delay.times -= 1;
    if (delay.times <= 0) delays.delete(name);
    await new Promise((resolve) => setTimeout(resolve, delay.ms));
  }

  function failureAnswer(failure: FailureSpec): Answer {
    const status = failure.status ?? (failure.retryAfter !== undefined ? 429 : 200);
    const headers: Record<string, string> = {};
    if (status === 429 || failure.retryAfter !== undefined) {
      headers['retry-after'] = String(failure.retryAfter ?? 1);
    }
    const error =
      failure.error ??
      (status === 429 ? 'ratelimited' : status === 200 ? 'fatal_error' : 'internal_error');
    return { status, headers, body: { ok: false, error } };
  }

  function storeView(method: string, args: Record<string, unknown>): Answer {
    const sent = asRecord(args.view);
    if (!sent) return ok200({ ok: false, error: 'invalid_arguments' });
    let viewId: string | undefined;
    let previous: FakeSlackView | undefined;
    if (method === 'views.update') {
      viewId = typeof args.view_id === 'string' ? args.view_id : undefined;
      if (viewId === undefined && typeof args.external_id === 'string') {
        viewId = [...views.values()].find((v) => v.external_id === args.external_id)?.id;
        if (viewId === undefined) return ok200({ ok: false, error: 'not_found' });
      }
      if (viewId === undefined) return ok200({ ok: false, error: 'invalid_arguments' });
      previous = views.get(viewId);
      if (previous && typeof args.hash === 'string' && args.hash !== previous.hash) {
        return ok200({ ok: false, error: 'hash_conflict' });
      }
    } else if (method === 'views.publish') {
      const userId = String(args.user_id ?? '');
      previous = [...views.values()].find((v) => v.type === 'home' && v.user_id === userId);
      if (previous && typeof args.hash === 'string' && args.hash !== previous.hash) {
        return ok200({ ok: false, error: 'hash_conflict' });
      }
      viewId = previous?.id;
    }
    const view: FakeSlackView = {
      type: 'modal',
      private_metadata: '',
      callback_id: '',
      external_id: '',
      ...sent,
      id: viewId ?? id('V'),
      team_id: FAKE_TEAM_ID,
      app_id: FAKE_APP_ID,
      bot_id: FAKE_BOT_ID,
      app_installed_team_id: FAKE_TEAM_ID,
      hash: newHash(),
      state: { values: {} },
      root_view_id: previous?.root_view_id ?? null,
      previous_view_id: null,
    };
    if (view.root_view_id === null) view.root_view_id = view.id;
    if (method === 'views.publish') {
      view.type = 'home';
      view.user_id = String(args.user_id ?? '');
    }
    views.set(view.id, view);
    viewOrder.push(view.id);
    return ok200({ ok: true, view });
  }

  function webApi(method: string, args: Record<string, unknown>, token?: string): Answer {
    if (!token) return ok200({ ok: false, error: 'not_authed' });
    switch (method) {
      case 'apps.connections.open': {
        // Slack wants the app-level token here; a bot or user token is refused.
        if (!token.startsWith('xapp-'))
          return ok200({ ok: false, error: 'not_allowed_token_type' });
        const ticket = randomUUID();
        tickets.set(ticket, token);
        const wsUrl = `${baseUrl.replace(/^http/, 'ws')}${SOCKET_PATH}?ticket=${ticket}&app_id=${FAKE_APP_ID}`;
        return ok200({ ok: true, url: wsUrl });
      }
      case 'auth.test':
        return ok200({
          ok: true,
          url: `https://${FAKE_TEAM_DOMAIN}.slack.com/`,
          team: FAKE_TEAM_DOMAIN,
          user: FAKE_BOT_NAME,
          team_id: FAKE_TEAM_ID,
          user_id: FAKE_BOT_USER_ID,
          bot_id: FAKE_BOT_ID,
          is_enterprise_install: false,
        });
      case 'chat.postMessage': {
        if (!args.channel) return ok200({ ok: false, error: 'channel_not_found' });
        const ts = newTs();
        return ok200({
          ok: true,
          channel: args.channel,
          ts,
          message: botMessage(args, ts),
        });
      }
      case 'chat.postEphemeral':
        if (!args.channel) return ok200({ ok: false, error: 'channel_not_found' });
        return ok200({ ok: true, message_ts: newTs() });
      case 'chat.update':
        return ok200({
          ok: true,
          channel: args.channel,
          ts: args.ts,
          text: args.text ?? '',
          message: botMessage(args, String(args.ts ?? '')),
        });
      case 'chat.delete':
        return ok200({ ok: true, channel: args.channel, ts: args.ts });
      case 'views.open':
      case 'views.push':
        if (!args.trigger_id && !args.interactivity_pointer) {
          return ok200({ ok: false, error: 'invalid_arguments' });
        }
        return storeView(method, args);
      case 'views.update':
      case 'views.publish':
        return storeView(method, args);
      case 'conversations.open': {
        const who = String(args.users ?? '')
          .split(',')
          .map((u) => u.trim())
          .filter(Boolean);
        if (args.channel) return ok200({ ok: true, channel: { id: args.channel } });
        if (who.length === 0) return ok200({ ok: false, error: 'users_list_not_supplied' });
        const channelId = who.length === 1 ? `D${who[0]}` : `G${who.join('')}`;
        return ok200({
          ok: true,
          no_op: true,
          already_open: true,
          channel: { id: channelId, is_im: who.length === 1 },
        });
      }
      case 'conversations.info': {
        // Membership as inviteBot recorded it; a DM is the bot's own conversation with a person.
        const channelId = String(args.channel ?? '');
        if (!channelId) return ok200({ ok: false, error: 'channel_not_found' });
        if (channelId.startsWith('D'))
          return ok200({ ok: true, channel: { id: channelId, is_im: true } });
        const name = channelId.toLowerCase();
        return ok200({
          ok: true,
          channel: { id: channelId, name, is_member: botChannels.has(channelId) },
        });
      }
      case 'users.info': {
        const userId = String(args.user ?? '');
        if (!userId) return ok200({ ok: false, error: 'user_not_found' });
        const name = userId.toLowerCase();
        return ok200({
          ok: true,
          user: {
            id: userId,
            team_id: FAKE_TEAM_ID,
            name,
            real_name: `User ${userId}`,
            tz: 'Europe/Berlin',
            tz_label: 'Central European Time',
            tz_offset: 3600,
            is_admin: false,
            is_bot: false,
            deleted: false,
            profile: { real_name: `User ${userId}`, display_name: name },
            ...users.get(userId),
          },
        });
      }
      case 'files.getUploadURLExternal': {
        if (!args.filename || args.length === undefined) {
          return ok200({ ok: false, error: 'invalid_arguments' });
        }
        const fileId = id('F');
        pendingUploads.set(fileId, {
          fileId,
          filename: String(args.filename),
          length: Number(args.length),
          altText: typeof args.alt_text === 'string' ? args.alt_text : undefined,
        });
        return ok200({ ok: true, upload_url: `${baseUrl}/upload/${fileId}`, file_id: fileId });
      }
      case 'files.completeUploadExternal': {
        const files = Array.isArray(args.files) ? (args.files as unknown[]) : undefined;
        if (!files || files.length === 0) return ok200({ ok: false, error: 'invalid_arguments' });
        const done: FakeSlackUpload[] = [];
        for (const entry of files) {
          const file = asRecord(entry);
          const pending = file ? pendingUploads.get(String(file.id)) : undefined;
          if (!file || !pending?.bytes) return ok200({ ok: false, error: 'file_not_found' });
          done.push({
            fileId: pending.fileId,
            channelId: optionalString(args.channel_id),
            initialComment: optionalString(args.initial_comment),
            threadTs: optionalString(args.thread_ts),
            filename: pending.filename,
            title: optionalString(file.title) ?? pending.filename,
            altText: pending.altText,
            bytes: pending.bytes,
            token,
          });
        }
        for (const upload of done) pendingUploads.delete(upload.fileId);
        uploads.push(...done);
        return ok200({
          ok: true,
          files: done.map((u) => ({
            id: u.fileId,
            title: u.title,
            name: u.filename,
            size: u.bytes.length,
            user: FAKE_BOT_USER_ID,
            channels: u.channelId?.startsWith('C') ? [u.channelId] : [],
            ims: u.channelId?.startsWith('D') ? [u.channelId] : [],
            groups: u.channelId?.startsWith('G') ? [u.channelId] : [],
          })),
        });
      }
      default:
        return ok200({ ok: true });
    }
  }

  async function handle(req: IncomingMessage): Promise<Answer> {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const raw = await readBody(req);
    if (req.method !== 'POST' && req.method !== 'GET') return { status: 405, body: 'method' };

    if (path.startsWith('/api/')) {
      const method = decodeURIComponent(path.slice('/api/'.length));
      const args = await parseArgs(req, raw);
      if (req.method === 'GET') {
        const query = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams;
        for (const [key, value] of query) args[key] = decodeValue(value);
      }
      const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const token = bearer ?? optionalString(args.token);
      const call: FakeSlackCall = { method, args };
      if (token !== undefined) call.token = token;
      calls.push(call);
      if (delays.has(method)) {
        // A slow call is seen as it arrives (waitForCall), before its effect and answer.
        notify();
        await delayed(method);
      }
      const failure = takeFailure(method);
      const answer = failure ? failureAnswer(failure) : webApi(method, args, token);
      if (failure) call.injected = { status: answer.status, error: failure.error };
      notify();
      return answer;
    }

    if (path.startsWith('/upload/')) {
      const fileId = decodeURIComponent(path.slice('/upload/'.length));
      await delayed(UPLOAD_STEP);
      const failure = takeFailure(UPLOAD_STEP);
      if (failure) return failureAnswer(failure);
      const pending = pendingUploads.get(fileId);
      if (!pending) return { status: 404, body: 'upload_not_found' };
      pending.bytes = await uploadedBytes(req, raw);
      return { status: 200, headers: { 'content-type': 'text/plain' }, body: `OK - ${raw.length}` };
    }

    if (path.startsWith('/response/')) {
      const responseId = decodeURIComponent(path.slice('/response/'.length));
      await delayed(RESPONSE_URL_STEP);
      const failure = takeFailure(RESPONSE_URL_STEP);
      const text = raw.toString('utf8');
      let body: Record<string, unknown>;
      try {
        body = asRecord(JSON.parse(text)) ?? { text };
      } catch {
        body = { text };
      }
      const response: FakeSlackResponse = { id: responseId, body };
      const answer = failure ? failureAnswer(failure) : ok200({ ok: true });
      if (failure) response.injected = { status: answer.status, error: failure.error };
      responses.push(response);
      notify();
      return answer;
    }

    return { status: 404, body: 'not_found' };
  }

  const server = createServer((req, res: ServerResponse) => {
    handle(req).then(
      (answer) => send(res, answer),
      (error: unknown) => send(res, { status: 500, body: { ok: false, error: String(error) } }),
    );
  });

  // Socket Mode: a WebSocket on the same port, for the one-time tickets apps.connections.open hands out.
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const ticket = url.searchParams.get('ticket') ?? '';
    const appToken = tickets.get(ticket);
    if (url.pathname !== SOCKET_PATH || appToken === undefined) {
      refused.push({ url: req.url ?? '' });
      notify();
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    tickets.delete(ticket);
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, appToken, req.url ?? ''));
  });

  function accept(ws: WebSocket, appToken: string, url: string): void {
    const info: FakeSocketConnection = { id: ++connectionCount, appToken, url };
    const pinger = setInterval(() => ws.ping(), SOCKET_PING_INTERVAL_MS);
    pinger.unref();
    let ended: () => void = () => undefined;
    const entry: LiveSocket = {
      info,
      ws,
      pinger,
      ended: new Promise<void>((resolve) => {
        ended = resolve;
      }),
      closingByFake: false,
    };
    live.set(info, entry);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return;
      let message: unknown;
      try {
        message = JSON.parse(rawText(data));
      } catch {
        message = rawText(data);
      }
      received.push(message);
      const record = asRecord(message);
      if (record && typeof record.envelope_id === 'string') {
        const ack: FakeSocketAck = {
          envelope_id: record.envelope_id,
          connection: info.id,
          receivedAt: performance.now(),
        };
        const payload = asRecord(record.payload);
        if (payload) ack.payload = payload;
        acks.push(ack);
      }
      notify();
    });
    ws.on('pong', (data: Buffer) => {
      pongs.push(data.toString('utf8'));
      notify();
    });
    ws.on('error', () => undefined);
    ws.on('close', (code: number, reason: Buffer) => {
      clearInterval(pinger);
      live.delete(info);
      info.closed = {
        code,
        reason: reason.toString('utf8'),
        by: entry.closingByFake ? 'fake' : 'app',
      };
      ended();
      notify();
    });
    connections.push(info);
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: live.size,
        debug_info: {
          host: 'applink-fake-0',
          build_number: 1,
          approximate_connection_time: 18060,
        },
        connection_info: { app_id: FAKE_APP_ID },
      }),
    );
    notify();
  }

  /** The newest open connection. */
  const openSocket = (): LiveSocket | undefined => {
    for (let i = connections.length - 1; i >= 0; i--) {
      const socket = live.get(connections[i] as FakeSocketConnection);
      if (socket && socket.ws.readyState === socket.ws.OPEN) return socket;
    }
    return undefined;
  };
  const mustBeOpen = (): LiveSocket => {
    const socket = openSocket();
    if (!socket) throw new Error('fake Slack: no Socket Mode connection is open');
    return socket;
  };

  async function closeSockets(): Promise<void> {
    const open = [...live.values()];
    for (const s of open) {
      s.closingByFake = true;
      s.ws.close(1001, 'fake Slack closing');
    }
    await Promise.all(
      open.map((s) =>
        Promise.race([
          s.ended,
          new Promise<void>((resolve) => setTimeout(resolve, SOCKET_CLOSE_GRACE_MS).unref()),
        ]),
      ),
    );
    for (const s of open) {
      clearInterval(s.pinger);
      s.ws.terminate();
    }
  }

  const socket: FakeSlackSocket = {
    connections,
    acks,
    received,
    refused,
    connected: (timeoutMs = 5000) =>
      waitFor(
        connections,
        (c) => c.closed === undefined && live.has(c),
        timeoutMs,
        () =>
          `a Socket Mode connection; apps.connections.open called ${
            calls.filter((c) => c.method === 'apps.connections.open').length
          } time(s), ${connections.length} connection(s), ${refused.length} refused`,
      ),
    isConnected: () => openSocket() !== undefined,
    send: (envelope) => {
      const open = mustBeOpen();
      const envelopeId = envelope.envelope_id ?? `env-${next()}`;
      sentAt.set(envelopeId, performance.now());
      open.ws.send(JSON.stringify({ ...envelope, envelope_id: envelopeId }));
      return envelopeId;
    },
    waitForAck: (envelopeId, timeoutMs = 5000) =>
      waitFor(
        acks,
        (a) => a.envelope_id === envelopeId,
        timeoutMs,
        () =>
          `the ack of envelope ${envelopeId}; acked: ${acks.map((a) => a.envelope_id).join(', ') || 'nothing'}`,
      ),
    ackDelayMs: (envelopeId) => {
      const sent = sentAt.get(envelopeId);
      const ack = acks.find((a) => a.envelope_id === envelopeId);
      return sent === undefined || ack === undefined ? undefined : ack.receivedAt - sent;
    },
    waitForClose: async (connection, timeoutMs = 5000) => {
      const target = connection ?? connections.at(-1);
      if (!target) throw new Error('fake Slack: no Socket Mode connection was ever made');
      const done = await waitFor(
        connections,
        (c) => c === target && c.closed !== undefined,
        timeoutMs,
        () => `Socket Mode connection ${target.id} to close`,
      );
      return done.closed as NonNullable<FakeSocketConnection['closed']>;
    },
    disconnect: (reason = 'refresh_requested') => {
      mustBeOpen().ws.send(
        JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-fake-0' } }),
      );
    },
    ping: async (timeoutMs = 5000) => {
      const open = mustBeOpen();
      const payload = `fake-ping-${next()}`;
      const pong = waitFor(
        pongs,
        (p) => p === payload,
        timeoutMs,
        () => `the pong of ${payload}`,
      );
      open.ws.ping(payload);
      await pong;
    },
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    apiUrl: `${baseUrl}/api/`,
    calls,
    uploads,
    responses,
    views,
    callsTo: (method) => calls.filter((c) => c.method === method),
    lastCall: (method) => calls.findLast((c) => c.method === method),
    waitForCall: (method, predicate = () => true, timeoutMs = 5000) =>
      waitFor(
        calls,
        (c) => c.method === method && predicate(c),
        timeoutMs,
        () =>
          `a call to ${method}; received: ${calls.map((c) => c.method).join(', ') || 'nothing'}`,
      ),
    waitForResponse: (predicate = () => true, timeoutMs = 5000) =>
      waitFor(
        responses,
        predicate,
        timeoutMs,
        () => `a response_url POST; received ${responses.length}`,
      ),
    waitForUpload: (predicate = () => true, timeoutMs = 5000) =>
      waitFor(uploads, predicate, timeoutMs, () => `an upload; completed ${uploads.length}`),
    lastView: (callbackId) => {
      for (let i = viewOrder.length - 1; i >= 0; i--) {
        const view = views.get(viewOrder[i] ?? '');
        if (view && (callbackId === undefined || view.callback_id === callbackId)) return view;
      }
      return undefined;
    },
    responseUrl: (responseId) => `${baseUrl}/response/${encodeURIComponent(responseId)}`,
    failNext: (method, failure = {}) => {
      failures.set(method, { ...failure, times: failure.times ?? 1 });
    },
    delayNext: (method, ms, times = 1) => {
      delays.set(method, { ms, times });
    },
    setUser: (userId, info) => {
      users.set(userId, { ...users.get(userId), ...info });
    },
    inviteBot: (channelId) => {
      botChannels.add(channelId);
    },
    reset: () => {
      calls.length = 0;
      uploads.length = 0;
      responses.length = 0;
      views.clear();
      viewOrder.length = 0;
      pendingUploads.clear();
      failures.clear();
      delays.clear();
      users.clear();
      acks.length = 0;
      received.length = 0;
      refused.length = 0;
      sentAt.clear();
      pongs.length = 0;
      const stillOpen = connections.filter((c) => c.closed === undefined);
      connections.length = 0;
      connections.push(...stillOpen);
    },
    socket,
    close: async () => {
      await closeSockets();
      await new Promise<void>((resolve, reject) => {
        wss.close();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

function ok200(body: unknown): Answer {
  return { status: 200, body };
}

function send(res: ServerResponse, answer: Answer): void {
  const isText = typeof answer.body === 'string';
  const payload = isText ? (answer.body as string) : JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    ...answer.headers,
  });
  res.end(payload);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * @slack/web-api form-encodes every argument; objects and arrays (blocks, view, files, ...) go as
 * JSON strings. Turn those back into objects; leave every other string alone.
 */
function decodeValue(value: string): unknown {
  const first = value.trimStart()[0];
  if (first !== '{' && first !== '[') return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null ? parsed : value;
  } catch {
    return value;
  }
}

async function parseArgs(req: IncomingMessage, raw: Buffer): Promise<Record<string, unknown>> {
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  const args: Record<string, unknown> = {};
  if (raw.length === 0) return args;
  if (contentType.startsWith('application/json')) {
    return asRecord(JSON.parse(raw.toString('utf8'))) ?? args;
  }
  if (contentType.startsWith('multipart/form-data')) {
    const form = await toRequest(req, raw).formData();
    for (const [key, value] of form) {
      args[key] =
        typeof value === 'string' ? decodeValue(value) : Buffer.from(await value.arrayBuffer());
    }
    return args;
  }
  for (const [key, value] of new URLSearchParams(raw.toString('utf8'))) {
    args[key] = decodeValue(value);
  }
  return args;
}

/** The upload step posts the Buffer as multipart/form-data (field `body`); accept raw bytes too. */
async function uploadedBytes(req: IncomingMessage, raw: Buffer): Promise<Buffer> {
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  if (!contentType.startsWith('multipart/form-data')) return raw;
  const form = await toRequest(req, raw).formData();
  for (const [, value] of form) {
    if (typeof value !== 'string') return Buffer.from(await value.arrayBuffer());
  }
  return raw;
}

function toRequest(req: IncomingMessage, raw: Buffer): Request {
  return new Request('http://127.0.0.1/', {
    method: 'POST',
    headers: { 'content-type': req.headers['content-type'] ?? '' },
    body: raw,
  });
}

function botMessage(args: Record<string, unknown>, ts: string): Record<string, unknown> {
  const message: Record<string, unknown> = {
    type: 'message',
    text: args.text ?? '',
    user: FAKE_BOT_USER_ID,
    bot_id: FAKE_BOT_ID,
    app_id: FAKE_APP_ID,
    team: FAKE_TEAM_ID,
    ts,
  };
  if (args.blocks !== undefined) message.blocks = args.blocks;
  if (args.thread_ts !== undefined) message.thread_ts = args.thread_ts;
  return message;
}
