/**
 * Socket Mode end to end: the whole service with SLACK_APP_TOKEN set connects to the fake Slack's
 * own Socket Mode endpoint, a real WebSocket on loopback, and every delivery arrives as Slack sends
 * it there: an envelope on the socket, acknowledged by the app with its envelope_id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { OUTSIDER_MESSAGE } from '../../src/slack/roles.js';
import {
  FAKE_APP_ID,
  FAKE_TEAM_DOMAIN,
  FAKE_TEAM_ID,
  type FakeSlack,
  type FakeSlackView,
  type FakeSocketAck,
  type FakeSocketEnvelope,
  startFakeSlack,
} from '../support/fake-slack.js';
import { startTestService, type TestService } from '../support/service.js';
import { eventCallback, option, type StateValues } from '../support/slack-requests.js';
import { ADMIN, BOT_TOKEN, CHANNEL, OUTSIDER, STAFF } from '../support/slack-service.js';
import {
  ACK_LIMIT_MS,
  blockIds,
  CODE_FORMAT,
  editorValues,
  GROUP,
  initialCode,
  settle,
  textOf,
  typed,
} from './helpers.js';

const APP_TOKEN = 'xapp-1-test';

let fake: FakeSlack;
let service: TestService;
let serviceClosed = false;
let fakeClosed = false;
let handlesBefore: Map<string, number>;

beforeAll(async () => {
  handlesBefore = activeHandles();
  fake = await startFakeSlack({ botToken: BOT_TOKEN, appToken: APP_TOKEN });
  // The app is in the support channel and in the channel a test shares into.
  fake.inviteBot(CHANNEL);
  fake.inviteBot('C999');
  service = await startTestService({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_APP_TOKEN: APP_TOKEN,
    SLACK_API_URL: fake.apiUrl,
    ADMIN_USER_IDS: ADMIN,
    STAFF_USER_IDS: STAFF,
  });
});
afterAll(async () => {
  if (!serviceClosed) await service?.close();
  if (!fakeClosed) await fake?.close();
});

// ---- Deliveries, built as Slack builds them ----

let counter = 0;
const next = () => ++counter;
const nowSeconds = () => Math.floor(Date.now() / 1000);
/** A trigger_id the fake minted, as Slack puts in an interaction (views.open takes it once). */
const newTriggerId = () => fake.triggerId();
const team = { id: FAKE_TEAM_ID, domain: FAKE_TEAM_DOMAIN };
const user = (userId: string) => ({
  id: userId,
  username: userId.toLowerCase(),
  name: userId.toLowerCase(),
  team_id: FAKE_TEAM_ID,
});

/** A `slash_commands` envelope: the command's fields as an object (strings, as Slack sends them). */
function slashCommand(text: string, userId: string) {
  const responseUrlId = `socket-command-${next()}`;
  const payload = {
    token: 'legacy-verification-token',
    team_id: FAKE_TEAM_ID,
    team_domain: FAKE_TEAM_DOMAIN,
    channel_id: CHANNEL,
    channel_name: 'support',
    user_id: userId,
    user_name: userId.toLowerCase(),
    command: '/installcode',
    text,
    api_app_id: FAKE_APP_ID,
    is_enterprise_install: 'false',
    response_url: fake.responseUrl(responseUrlId),
    trigger_id: newTriggerId(),
  };
  const envelope: FakeSocketEnvelope = {
    envelope_id: `cmd-${next()}`,
    type: 'slash_commands',
    payload,
    accepts_response_payload: true,
  };
  return { envelope, payload, responseUrlId };
}

/** An `interactive` envelope carrying a `block_actions` payload from a modal. */
function viewBlockAction(
  userId: string,
  view: Record<string, unknown>,
  action: Record<string, unknown>,
): FakeSocketEnvelope {
  return {
    envelope_id: `act-${next()}`,
    type: 'interactive',
    payload: {
      type: 'block_actions',
      user: user(userId),
      api_app_id: FAKE_APP_ID,
      token: 'legacy-verification-token',
      container: { type: 'view', view_id: view.id },
      trigger_id: newTriggerId(),
      team,
      enterprise: null,
      is_enterprise_install: false,
      view,
      state: view.state,
      actions: [{ action_ts: `${(Date.now() / 1000).toFixed(6)}`, ...action }],
    },
    accepts_response_payload: true,
  };
}

/** An `interactive` envelope carrying a `view_submission` payload. */
function viewSubmission(userId: string, view: Record<string, unknown>): FakeSocketEnvelope {
  return {
    envelope_id: `sub-${next()}`,
    type: 'interactive',
    payload: {
      type: 'view_submission',
      team,
      user: user(userId),
      api_app_id: FAKE_APP_ID,
      token: 'legacy-verification-token',
      trigger_id: newTriggerId(),
      view,
      response_urls: [],
      is_enterprise_install: false,
      enterprise: null,
    },
    accepts_response_payload: true,
  };
}

/** An `events_api` envelope: the Events API `event_callback` as its payload. */
function eventsApi(
  event: Record<string, unknown>,
  options: { eventId?: string; retryAttempt?: number } = {},
): FakeSocketEnvelope {
  const eventTime = nowSeconds();
  const eventId = options.eventId ?? `Ev${String(next()).padStart(9, '0')}`;
  return {
    envelope_id: `evt-${next()}`,
    type: 'events_api',
    payload: eventCallback(event, eventId, eventTime),
    retry_attempt: options.retryAttempt ?? 0,
    retry_reason: options.retryAttempt ? 'timeout' : '',
    accepts_response_payload: false,
  };
}

/** Delivers `envelope` and gives its ack, which must come back inside Slack's 3 seconds. */
async function deliver(envelope: FakeSocketEnvelope): Promise<FakeSocketAck> {
  const envelopeId = fake.socket.send(envelope);
  const ack = await fake.socket.waitForAck(envelopeId);
  expect(ack.envelope_id).toBe(envelope.envelope_id);
  expect(fake.socket.ackDelayMs(envelopeId), `${envelope.type} acked within 3 s`).toBeLessThan(
    ACK_LIMIT_MS,
  );
  return ack;
}

/** Handles the process would have to wait for, by kind (timers, sockets, servers…). */
function activeHandles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo())
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

// ---- The journey ----

describe('the fake Socket Mode endpoint', () => {
  /** Opens a WebSocket to `url`: its first message, or the HTTP status it was refused with. */
  function connect(url: string): Promise<{ status: number; first?: unknown }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.on('unexpected-response', (request, response) => {
        resolve({ status: response.statusCode ?? 0 });
        request.destroy();
      });
      ws.on('message', (data) => {
        resolve({ status: 101, first: JSON.parse(String(data)) });
        ws.close(1000);
      });
      ws.on('error', (error) => reject(error));
    });
  }

  it('hands out a socket URL only for an app-level token, says hello, and takes each ticket once', async () => {
    const other = await startFakeSlack({ botToken: BOT_TOKEN, appToken: APP_TOKEN });
    try {
      const open = (token: string) =>
        fetch(`${other.apiUrl}apps.connections.open`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
        }).then((r) => r.json() as Promise<{ ok: boolean; url?: string; error?: string }>);
      expect(await open(BOT_TOKEN)).toEqual({ ok: false, error: 'not_allowed_token_type' });

      const opened = await open(APP_TOKEN);
      expect(opened.ok).toBe(true);
      const url = String(opened.url);
      expect(url.startsWith(`${other.url.replace('http', 'ws')}/socket?ticket=`)).toBe(true);
      expect(await connect(url)).toEqual({
        status: 101,
        first: expect.objectContaining({
          type: 'hello',
          num_connections: 1,
          connection_info: { app_id: FAKE_APP_ID },
        }),
      });
      expect(other.socket.connections[0]?.appToken).toBe(APP_TOKEN);

      expect(await connect(url)).toEqual({ status: 401 });
      expect(await connect(url.replace(/ticket=[^&]+/, 'ticket=made-up'))).toEqual({ status: 401 });
      expect(other.socket.refused).toHaveLength(2);
    } finally {
      await other.close();
    }
  });
});

describe('the app in Socket Mode', () => {
  it('connects: apps.connections.open with the app-level token, then the socket, and answers pings', async () => {
    const connection = await fake.socket.connected();
    const opens = fake.callsTo('apps.connections.open');
    expect(opens).toHaveLength(1);
    expect(opens[0]?.token).toBe(APP_TOKEN);
    expect(connection.appToken).toBe(APP_TOKEN);
    expect(connection.url).toMatch(/^\/socket\?ticket=[0-9a-f-]{36}&app_id=A0001$/);
    expect(fake.socket.connections).toHaveLength(1);
    await fake.socket.ping();

    // No HTTP endpoint for Slack in Socket Mode: deliveries only come over the socket.
    const http = await service.call('POST', '/slack/events', {
      body: { type: 'url_verification', challenge: 'x' },
    });
    expect(http.status).toBe(404);
  });

  it('acks a /installcode list command with its envelope_id and answers through its response_url', async () => {
    const code = await service.codes.createCode(
      { ...GROUP, description: 'Socket front desk', usageLimit: 5 },
      STAFF,
    );
    const { envelope, responseUrlId } = slashCommand('list socket', STAFF);
    const ack = await deliver(envelope);
    expect(ack.payload ?? {}).toEqual({});

    const answer = await fake.waitForResponse((r) => r.id === responseUrlId);
    expect(answer.body).toMatchObject({ response_type: 'ephemeral' });
    expect(textOf(answer.body)).toContain(code.code);
    expect(textOf(answer.body)).toContain('0 / 5');
  });

  it('opens the editor for /installcode add, and a view_submission over the socket creates the code', async () => {
    const { envelope, payload } = slashCommand('add', STAFF);
    await deliver(envelope);
    const opened = await fake.waitForCall(
      'views.open',
      (c) => c.args.trigger_id === payload.trigger_id,
    );
    expect(opened.token).toBe(BOT_TOKEN);
    const editor = fake.lastView('code_editor') as FakeSlackView;
    const generated = initialCode(editor) as string;
    expect(generated).toMatch(CODE_FORMAT);

    // Choosing the action (block_actions in an interactive envelope) swaps in its field.
    const entry = {
      description: 'Socket Mode desk',
      code: generated,
      action: 'create_account_and_device',
    };
    const updatesBefore = fake.callsTo('views.update').length;
    await deliver(
      viewBlockAction(STAFF, typed(editor, editorValues(editor, { ...entry, target: null })), {
        type: 'radio_buttons',
        action_id: 'editor_choose_action',
        block_id: 'action',
        selected_option: option(entry.action),
      }),
    );
    const update = await fake.waitForCall(
      'views.update',
      (c) => fake.callsTo('views.update').indexOf(c) >= updatesBefore,
    );
    expect(update.args.hash).toBe(editor.hash);
    const withTarget = fake.lastView('code_editor') as FakeSlackView;
    expect(blockIds(withTarget)).toContain('target.create_account_and_device');

    // Invalid values: the errors come back in the ack's payload, and nothing is written.
    const invalid = await deliver(
      viewSubmission(
        STAFF,
        typed(withTarget, {
          ...editorValues(withTarget, { ...entry, target: 'ACME!' }),
          usage_limit: { value: { type: 'number_input', value: '0' } },
        } as StateValues),
      ),
    );
    expect(invalid.payload?.response_action).toBe('errors');
    expect(Object.keys(invalid.payload?.errors as object).sort()).toEqual(
      ['target.create_account_and_device', 'usage_limit'].sort(),
    );
    await expect(service.codes.getCode(generated)).rejects.toThrow();

    // Valid values: a bare ack closes the modal, and the code is saved.
    const saved = await deliver(
      viewSubmission(
        STAFF,
        typed(
          withTarget,
          editorValues(withTarget, { ...entry, usageLimit: '20', target: 'sock-' }),
        ),
      ),
    );
    expect(saved.payload ?? {}).toEqual({});
    expect(await service.codes.getCode(generated)).toMatchObject({
      description: 'Socket Mode desk',
      usageLimit: 20,
      action: 'create_account_and_device',
      usernamePrefix: 'sock-',
      createdBy: STAFF,
    });
    const told = await fake.waitForCall('chat.postEphemeral', (c) =>
      String(c.args.text).includes(generated),
    );
    expect(told.args).toMatchObject({ channel: CHANNEL, user: STAFF });
  });

  it('publishes the App Home for an app_home_opened event, once however often it is delivered', async () => {
    const newest = (await service.codes.listCodes({ limit: 1 })).codes[0];
    expect(newest).toBeDefined();
    const opened = eventsApi({
      type: 'app_home_opened',
      user: STAFF,
      channel: `D${STAFF}`,
      tab: 'home',
    });
    const ack = await deliver(opened);
    expect(ack.payload ?? {}).toEqual({});
    const publish = await fake.waitForCall('views.publish', (c) => c.args.user_id === STAFF);
    expect(publish.token).toBe(BOT_TOKEN);
    const home = fake.lastView() as FakeSlackView;
    expect(home).toMatchObject({ type: 'home', user_id: STAFF });
    expect(textOf(home.blocks)).toContain(newest?.code);

    // Slack's retry of the same event is acked and changes nothing more. (Homes opened here are
    // also republished in the background after earlier tests' changes: let those land first.)
    await settle();
    const published = fake.callsTo('views.publish').length;
    const eventId = String(opened.payload.event_id);
    await deliver(
      eventsApi(
        { type: 'app_home_opened', user: STAFF, channel: `D${STAFF}`, tab: 'home' },
        { eventId, retryAttempt: 1 },
      ),
    );
    await settle();
    expect(fake.callsTo('views.publish')).toHaveLength(published);
  });

  it("refuses an outsider's commands politely, and changes nothing", async () => {
    const before = (await service.codes.listCodes({ limit: 100 })).codes;
    const target = before[0];
    expect(target).toBeDefined();
    const opensBefore = fake.callsTo('views.open').length;

    for (const text of ['add', `delete ${target?.code}`, 'list']) {
      const { envelope, responseUrlId } = slashCommand(text, OUTSIDER);
      const ack = await deliver(envelope);
      expect(ack.payload ?? {}).toEqual({});
      const refusal = await fake.waitForResponse((r) => r.id === responseUrlId);
      expect(refusal.body).toMatchObject({ response_type: 'ephemeral', text: OUTSIDER_MESSAGE });
      expect(textOf(refusal.body)).not.toContain(String(target?.code));
    }
    await settle();
    expect(fake.callsTo('views.open')).toHaveLength(opensBefore);
    expect((await service.codes.listCodes({ limit: 100 })).codes).toEqual(before);
  });

  it('reconnects when Slack asks it to (a `disconnect` message), and goes on working', async () => {
    const first = await fake.socket.connected();
    fake.socket.disconnect('refresh_requested');
    const closed = await fake.socket.waitForClose(first);
    expect(closed).toMatchObject({ code: 1000, by: 'app' });

    // The client waits a few seconds before it reconnects (5 s in @slack/socket-mode).
    const second = await fake.socket.connected(15_000);
    expect(second.id).not.toBe(first.id);
    expect(fake.callsTo('apps.connections.open').map((c) => c.token)).toEqual([
      APP_TOKEN,
      APP_TOKEN,
    ]);

    const { envelope, responseUrlId } = slashCommand('help', STAFF);
    const ack = await deliver(envelope);
    expect(ack.connection).toBe(second.id);
    const help = await fake.waitForResponse((r) => r.id === responseUrlId);
    expect(textOf(help.body)).toContain('/installcode');
  });

  it('closing the service closes the socket cleanly, lets acknowledged work finish, and leaves nothing running', async () => {
    const connection = await fake.socket.connected();
    // A share acknowledged, its upload still on its way: it completes before Redis closes.
    const code = await service.codes.createCode({ ...GROUP, description: 'Closing' }, STAFF);
    fake.delayNext('files.completeUploadExternal', 1_000);
    const { envelope, responseUrlId } = slashCommand(`share ${code.code} <#C999|x>`, STAFF);
    await deliver(envelope);
    await fake.waitForCall('files.completeUploadExternal');
    let redisAtReply = '';
    const told = fake
      .waitForResponse((r) => r.id === responseUrlId)
      .then((reply) => {
        redisAtReply = service.redis.status;
        return reply;
      });

    serviceClosed = true;
    await service.close();
    expect(textOf((await told).body)).toContain(`Shared \`${code.code}\` in <#C999>`);
    expect(redisAtReply).toBe('ready');
    expect(fake.messages('C999')).toHaveLength(1);
    const closed = await fake.socket.waitForClose(connection);
    expect(closed).toMatchObject({ code: 1000, by: 'app' });
    expect(fake.socket.isConnected()).toBe(false);

    // Nothing the service opened keeps the process alive: no socket, timer or server of its own.
    // (The fake goes too, with the idle keep-alive connections the app's HTTP clients left to it.)
    fakeClosed = true;
    await fake.close();
    await settle();
    const after = activeHandles();
    for (const [kind, count] of after) {
      expect(count, `${kind} handles left open`).toBeLessThanOrEqual(handlesBefore.get(kind) ?? 0);
    }
    expect(fake.callsTo('apps.connections.open')).toHaveLength(2);

    // Every Web API call but apps.connections.open used the bot token, and no token was logged.
    const calls = fake.calls.filter((c) => c.method !== 'apps.connections.open');
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.filter((c) => c.token !== BOT_TOKEN)).toEqual([]);
    const logs = service.logs.join('');
    expect(logs).not.toContain(APP_TOKEN);
    expect(logs).not.toContain(BOT_TOKEN);
  });
});

describe('Socket Mode when Slack has a hiccup', () => {
  it('rides out a short outage of apps.connections.open while it reconnects', async () => {
    const own = await startFakeSlack({ botToken: BOT_TOKEN, appToken: APP_TOKEN });
    const app = await startTestService({
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_APP_TOKEN: APP_TOKEN,
      SLACK_API_URL: own.apiUrl,
      ADMIN_USER_IDS: ADMIN,
      STAFF_USER_IDS: STAFF,
    });
    try {
      const first = await own.socket.connected();
      // Slack recycles the connection, and its API is unavailable for a moment (three 503s).
      own.failNext('apps.connections.open', { status: 503, times: 3 });
      own.socket.disconnect('refresh_requested');
      await own.socket.waitForClose(first);
      const second = await own.socket.connected(20_000);
      expect(second.id).not.toBe(first.id);
      const opens = own.callsTo('apps.connections.open');
      expect(opens.filter((c) => c.injected?.status === 503)).toHaveLength(3);
      expect(opens.at(-1)?.injected).toBeUndefined();

      const responseUrlId = 'after-outage';
      const envelopeId = own.socket.send({
        type: 'slash_commands',
        payload: {
          ...slashCommand('help', STAFF).payload,
          response_url: own.responseUrl(responseUrlId),
        },
        accepts_response_payload: true,
      });
      expect((await own.socket.waitForAck(envelopeId)).connection).toBe(second.id);
      await own.waitForResponse((r) => r.id === responseUrlId);
    } finally {
      await app.close();
      await own.close();
    }
  }, 40_000);
});
