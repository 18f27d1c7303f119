/**
 * A fake Slack of our own: real HTTP on 127.0.0.1 that answers the Web API methods the app uses
 * and refuses what Slack refuses, recording every call so tests can inspect what the app sent.
 *
 * Give `fake.apiUrl` to the app as SLACK_API_URL (Bolt's `clientOptions.slackApiUrl`), and the
 * bot token it configures to `startFakeSlack({ botToken })`.
 *
 * Routes:
 * - `POST /api/<method>`: a Web API call (form-encoded, JSON or multipart body).
 * - `POST /upload/<fileId>`: the `upload_url` handed out by `files.getUploadURLExternal`.
 * - `POST /response/<id>`: a `response_url` (see `responseUrl(id)`).
 * - `GET /socket?ticket=…` (WebSocket upgrade): Socket Mode (fake-slack/socket-mode.ts).
 *
 * What Slack refuses, and where each rule was checked:
 * - unknown methods, tokens (`unknown_method`, `not_authed`, `invalid_auth`,
 *   `not_allowed_token_type`): fake-slack/web-api.ts — https://docs.slack.dev/apis/web-api
 * - channel membership, messages (`not_in_channel`, `channel_not_found`, `message_not_found`,
 *   `cant_update_message`, `cant_delete_message`, `no_text`): fake-slack/conversations.ts —
 *   https://docs.slack.dev/reference/methods/chat.postMessage,
 *   https://docs.slack.dev/reference/methods/chat.postEphemeral,
 *   https://docs.slack.dev/reference/methods/chat.update,
 *   https://docs.slack.dev/reference/methods/chat.delete,
 *   https://github.com/slackapi/node-slack-sdk/issues/977, https://github.com/ifvictr/prox/issues/30
 * - trigger IDs (`invalid_trigger_id`, `exchanged_trigger_id`, `expired_trigger_id`), views:
 *   fake-slack/views.ts — https://docs.slack.dev/reference/methods/views.open,
 *   https://docs.slack.dev/reference/methods/views.push, https://docs.slack.dev/surfaces/modals,
 *   https://github.com/slackapi/bolt-js/issues/1662
 * - Block Kit (`invalid_blocks` with `errors: ['… [json-pointer:/blocks/N/…]']`):
 *   ../support/block-kit.ts and fake-slack/block-check.ts —
 *   https://docs.slack.dev/reference/block-kit/blocks/image-block,
 *   https://docs.slack.dev/reference/block-kit/composition-objects/slack-file-object,
 *   https://github.com/slackapi/python-slack-sdk/issues/1797,
 *   https://github.com/slackapi/bolt-python/issues/1251; a response_url POST with invalid blocks
 *   gets HTTP 404 `{"ok":false,"error":"invalid_blocks"}` (https://github.com/slackapi/java-slack-sdk/issues/1349)
 * - files (upload length, processing, `file_not_found`, `file_deleted`, `cant_delete_file`):
 *   fake-slack/files.ts — https://docs.slack.dev/reference/methods/files.getUploadURLExternal,
 *   https://docs.slack.dev/reference/methods/files.completeUploadExternal,
 *   https://github.com/slackapi/python-slack-sdk/issues/1521,
 *   https://github.com/slackapi/node-slack-sdk/issues/1865,
 *   https://github.com/slackapi/node-slack-sdk/issues/2040
 * The error lists of each method are also in https://github.com/slack-ruby/slack-api-ref.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBlockCheck } from './fake-slack/block-check.js';
import { createConversations } from './fake-slack/conversations.js';
import { createFiles } from './fake-slack/files.js';
import {
  type Answer,
  asRecord,
  parseArgs,
  readBody,
  send,
  tokenOf,
  uploadedBytes,
} from './fake-slack/http.js';
import { createIds } from './fake-slack/ids.js';
import { createSocketMode } from './fake-slack/socket-mode.js';
import {
  DEFAULT_FILE_PROCESSING_MS,
  FAKE_BOT_USER_ID,
  type FailureSpec,
  type FakeSlack,
  type FakeSlackCall,
  type FakeSlackMessage,
  type FakeSlackOptions,
  type FakeSlackResponse,
  type FakeSlackUpload,
  RESPONSE_URL_STEP,
  UPLOAD_STEP,
} from './fake-slack/types.js';
import { createViews } from './fake-slack/views.js';
import { createWaiters } from './fake-slack/waiters.js';
import { createWebApi } from './fake-slack/web-api.js';

export * from './fake-slack/types.js';

/** Start a fake Slack on a free port of 127.0.0.1 that accepts `options.botToken`. */
export async function startFakeSlack(options: FakeSlackOptions): Promise<FakeSlack> {
  const calls: FakeSlackCall[] = [];
  const uploads: FakeSlackUpload[] = [];
  const responses: FakeSlackResponse[] = [];
  const failures = new Map<string, Required<Pick<FailureSpec, 'times'>> & FailureSpec>();
  const delays = new Map<string, { ms: number; times: number }>();
  const users = new Map<string, Record<string, unknown>>();
  const waiters = createWaiters();
  const ids = createIds();
  const settings = { fileProcessingMs: options.fileProcessingMs ?? DEFAULT_FILE_PROCESSING_MS };
  let baseUrl = '';

  const blocks = createBlockCheck((ref) => files.usable(ref));
  const conversations = createConversations(ids, blocks);
  const files = createFiles({
    ids,
    conversations,
    blocks: () => blocks,
    uploads,
    baseUrl: () => baseUrl,
    processingMs: () => settings.fileProcessingMs,
  });
  const views = createViews(ids, blocks);

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

  async function handle(req: IncomingMessage): Promise<Answer> {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const raw = await readBody(req);
    if (req.method !== 'POST' && req.method !== 'GET') return { status: 405, body: 'method' };

    if (path.startsWith('/api/')) {
      const method = decodeURIComponent(path.slice('/api/'.length));
      const args = await parseArgs(req, raw);
      const call: FakeSlackCall = { method, args };
      const token = tokenOf(req, args);
      if (token !== undefined) call.token = token;
      calls.push(call);
      if (delays.has(method)) {
        // A slow call is seen as it arrives (waitForCall), before its effect and answer.
        waiters.notify();
        await delayed(method);
      }
      const failure = takeFailure(method);
      const answer = failure ? failureAnswer(failure) : webApi.answer(method, { args, call });
      if (failure) call.injected = { status: answer.status, error: failure.error };
      const result = asRecord(answer.body);
      if (result) call.result = result;
      waiters.notify();
      return answer;
    }

    if (path.startsWith('/upload/')) {
      const fileId = decodeURIComponent(path.slice('/upload/'.length));
      await delayed(UPLOAD_STEP);
      const failure = takeFailure(UPLOAD_STEP);
      if (failure) return failureAnswer(failure);
      const bytes = await uploadedBytes(req, raw);
      if (!files.receive(fileId, bytes)) return { status: 404, body: 'upload_not_found' };
      return {
        status: 200,
        headers: { 'content-type': 'text/plain' },
        body: `OK - ${bytes.length}`,
      };
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
      const refused = body.blocks !== undefined ? blocks.errorsOf(body.blocks) : [];
      let answer: Answer;
      if (failure) {
        answer = failureAnswer(failure);
        response.injected = { status: answer.status, error: failure.error };
      } else if (refused.length > 0) {
        // What SDK users report from a response_url given invalid blocks.
        answer = { status: 404, body: { ok: false, error: 'invalid_blocks' } };
        response.refused = refused;
      } else answer = { status: 200, body: { ok: true } };
      responses.push(response);
      waiters.notify();
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
  const socketMode = createSocketMode(server, {
    waiters,
    next: ids.next,
    baseUrl: () => baseUrl,
    opens: () => calls.filter((c) => c.method === 'apps.connections.open').length,
  });
  const webApi = createWebApi(options, {
    methods: { ...conversations.methods, ...files.methods, ...views.methods },
    users,
    socketUrl: socketMode.issueUrl,
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  const copy = <T>(value: T): T => structuredClone(value);

  const fake: FakeSlack = {
    url: baseUrl,
    apiUrl: `${baseUrl}/api/`,
    methods: webApi.methods,
    calls,
    uploads,
    responses,
    views: views.views,
    get fileProcessingMs() {
      return settings.fileProcessingMs;
    },
    set fileProcessingMs(ms: number) {
      settings.fileProcessingMs = ms;
    },
    callsTo: (method) => calls.filter((c) => c.method === method),
    lastCall: (method) => calls.findLast((c) => c.method === method),
    waitForCall: (method, predicate = () => true, timeoutMs = 5000) =>
      waiters.waitFor(
        calls,
        (c) => c.method === method && predicate(c),
        timeoutMs,
        () =>
          `a call to ${method}; received: ${calls.map((c) => c.method).join(', ') || 'nothing'}`,
      ),
    waitForResponse: (predicate = () => true, timeoutMs = 5000) =>
      waiters.waitFor(
        responses,
        predicate,
        timeoutMs,
        () => `a response_url POST; received ${responses.length}`,
      ),
    waitForUpload: (predicate = () => true, timeoutMs = 5000) =>
      waiters.waitFor(
        uploads,
        predicate,
        timeoutMs,
        () => `an upload; completed ${uploads.length}`,
      ),
    lastView: (callbackId) => {
      for (let i = views.order.length - 1; i >= 0; i--) {
        const view = views.views.get(views.order[i] ?? '');
        if (view && (callbackId === undefined || view.callback_id === callbackId)) return view;
      }
      return undefined;
    },
    responseUrl: (responseId) => `${baseUrl}/response/${encodeURIComponent(responseId)}`,
    triggerId: () => views.mintTrigger(),
    failNext: (method, failure = {}) => {
      failures.set(method, { ...failure, times: failure.times ?? 1 });
    },
    delayNext: (method, ms, times = 1) => {
      delays.set(method, { ms, times });
    },
    setUser: (userId, info) => {
      users.set(userId, { ...users.get(userId), ...info });
    },
    inviteBot: (channelId) => conversations.invite(channelId),
    botMessage: (channelId, message) => {
      if (channelId.startsWith('D')) conversations.openIm(channelId);
      else if (!conversations.isMember(channelId))
        throw new Error(`fake Slack: the bot is not in ${channelId}; inviteBot it first`);
      return copy(conversations.addBotMessage(channelId, message));
    },
    userMessage: (channelId, message) => {
      if (message.user === FAKE_BOT_USER_ID) throw new Error('userMessage is for other users');
      const stored: FakeSlackMessage = {
        channel: channelId,
        type: 'message',
        ts: ids.ts(),
        user: message.user,
        text: message.text,
        ...(message.blocks ? { blocks: message.blocks } : {}),
      };
      return copy(conversations.add(stored));
    },
    userFile: (userId, file = {}) =>
      files.addUserFile(userId, file.filename ?? 'photo.png', file.bytes ?? Buffer.from('png')),
    message: (channelId, ts) => {
      const found = conversations.find(channelId, ts);
      return found ? copy(found) : undefined;
    },
    messages: (channelId) => copy(conversations.list(channelId)),
    file: (fileId) => files.state(fileId),
    socket: socketMode.socket,
    reset: () => {
      calls.length = 0;
      uploads.length = 0;
      responses.length = 0;
      views.reset();
      files.reset();
      conversations.reset();
      failures.clear();
      delays.clear();
      users.clear();
      settings.fileProcessingMs = options.fileProcessingMs ?? DEFAULT_FILE_PROCESSING_MS;
      socketMode.reset();
    },
    close: async () => {
      await socketMode.close();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
  return fake;
}
