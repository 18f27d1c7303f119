/**
 * Requests to the app's `/slack/events`, built and signed exactly as Slack builds and signs them
 * (signing secret v0: `v0=` + hex HMAC-SHA256 of `v0:${timestamp}:${rawBody}`).
 */
import { createHmac } from 'node:crypto';
import {
  FAKE_APP_ID,
  FAKE_BOT_USER_ID,
  FAKE_TEAM_DOMAIN,
  FAKE_TEAM_ID,
  type FakeSlack,
} from './fake-slack.js';

/** The HTTP answer of the app. */
export interface SlackAnswer {
  status: number;
  headers: Record<string, string>;
  /** The body as text ('' for a bare ack). */
  body: string;
  /** The body parsed, when it is JSON. */
  json?: unknown;
  /** The request exactly as it was sent, to send it again (a replay). */
  sent: { body: string; headers: Record<string, string> };
}

/** How a request is delivered: to forge, age or mark it as a retry. */
export interface DeliveryOptions {
  /** Unix seconds for X-Slack-Request-Timestamp (default: now). */
  timestamp?: number;
  /** Sign with this secret instead of the sender's (a forged request). */
  signingSecret?: string;
  /** X-Slack-Retry-Num */
  retryNum?: number;
  /** X-Slack-Retry-Reason (default `http_timeout` when retryNum is given). */
  retryReason?: string;
}

export interface CommandOptions extends DeliveryOptions {
  userId?: string;
  userName?: string;
  channelId?: string;
  channelName?: string;
  triggerId?: string;
  /** Id for `fake.responseUrl(id)`; default `command-N`. */
  responseUrlId?: string;
  /** The command name (default `/installcode`). */
  command?: string;
}

export interface CommandAnswer extends SlackAnswer {
  /** The response_url sent with the command, and its id on the fake. */
  responseUrl: string;
  responseUrlId: string;
  triggerId: string;
}

export interface SelectedOption {
  text: { type: 'plain_text' | 'mrkdwn'; text: string; emoji?: boolean };
  value: string;
  description?: { type: 'plain_text'; text: string };
}

export interface BlockActionOptions extends DeliveryOptions {
  userId: string;
  actionId: string;
  blockId: string;
  /** Element type; default `button`, or `static_select` when selectedOption is given. */
  type?: string;
  value?: string;
  selectedOption?: SelectedOption;
  /** More fields of the action (selected_date_time, selected_user, ...). */
  action?: Record<string, unknown>;
  /**
   * The view the action happened in (a modal or the App Home), e.g. `fake.lastView('editor')`;
   * its `state` is sent as the payload's state too.
   */
  view?: Record<string, unknown>;
  /** Defaults: `{type:'view', view_id}` with a view, else `{type:'message', ...}`. */
  container?: Record<string, unknown>;
  channelId?: string;
  messageTs?: string;
  /** The message the button was in (default: a bare bot message with `messageTs`). */
  message?: Record<string, unknown>;
  /** The message was ephemeral: Slack then sends no `message`, only the container. */
  ephemeral?: boolean;
  /**
   * The response_url: a full URL, or `false` for none. Default: `fake.responseUrl('action-N')`
   * for message actions, none for view actions (as Slack does).
   */
  responseUrl?: string | false;
  triggerId?: string;
}

export interface ActionAnswer extends SlackAnswer {
  responseUrl?: string;
  /** The id under which response_url POSTs show up in `fake.responses`. */
  responseUrlId?: string;
  triggerId: string;
  payload: Record<string, unknown>;
}

/** A view as submitted; anything left out gets Slack-like defaults. */
export interface SubmittedView extends Record<string, unknown> {
  callback_id: string;
  id?: string;
  hash?: string;
  private_metadata?: string;
  state?: { values: StateValues };
}

export interface ViewSubmissionOptions extends DeliveryOptions {
  userId: string;
  view: SubmittedView;
  triggerId?: string;
}

export interface ShortcutOptions extends DeliveryOptions {
  userId: string;
  callbackId: string;
  triggerId?: string;
}

export interface EventOptions extends DeliveryOptions {
  eventId?: string;
  /** Unix seconds (default now). */
  eventTime?: number;
}

export interface EventAnswer extends SlackAnswer {
  eventId: string;
  envelope: Record<string, unknown>;
}

export type StateValue = { type: string } & Record<string, unknown>;
export type StateValues = Record<string, Record<string, StateValue>>;

export interface SlackSender {
  /** `${baseUrl}/slack/events` */
  url: string;
  command(text: string, options?: CommandOptions): Promise<CommandAnswer>;
  blockAction(options: BlockActionOptions): Promise<ActionAnswer>;
  /** The parsed JSON of the ack (`{}` for a bare ack); throws unless the answer is 200. */
  viewSubmission(options: ViewSubmissionOptions): Promise<Record<string, unknown>>;
  /** Like viewSubmission, but gives the whole HTTP answer. */
  viewSubmissionAnswer(options: ViewSubmissionOptions): Promise<SlackAnswer>;
  viewClosed(options: ViewSubmissionOptions): Promise<SlackAnswer>;
  shortcut(options: ShortcutOptions): Promise<SlackAnswer & { triggerId: string }>;
  event(event: Record<string, unknown>, options?: EventOptions): Promise<EventAnswer>;
  /** Post exactly this body with exactly these headers (nothing added, nothing signed). */
  raw(body: string, headers: Record<string, string>): Promise<SlackAnswer>;
  /** Signature headers for this body, as Slack would send them. */
  signedHeaders(body: string, options?: DeliveryOptions): Record<string, string>;
  /** `v0=…` for this body and timestamp with the sender's secret. */
  sign(body: string, timestamp: number): string;
}

/** `v0=` + hex HMAC-SHA256 of `v0:${timestamp}:${body}`: Slack's request signature. */
export function sign(body: string, timestamp: number, signingSecret: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** An option object as Slack sends it in selected_option. */
export function option(value: string, text = value): SelectedOption {
  return { text: { type: 'plain_text', text, emoji: true }, value };
}

/** Builders for one entry of `view.state.values[blockId][actionId]`, as Slack sends them. */
export const field = {
  /** plain_text_input; Slack sends `null` for an empty field. */
  text: (value: string | null): StateValue => ({ type: 'plain_text_input', value }),
  /** number_input (Slack sends the number as a string). */
  number: (value: number | string | null): StateValue => ({
    type: 'number_input',
    value: value === null ? null : String(value),
  }),
  select: (value: string | null, text?: string): StateValue => ({
    type: 'static_select',
    selected_option: value === null ? null : option(value, text),
  }),
  radio: (value: string | null, text?: string): StateValue => ({
    type: 'radio_buttons',
    selected_option: value === null ? null : option(value, text),
  }),
  checkboxes: (values: string[]): StateValue => ({
    type: 'checkboxes',
    selected_options: values.map((v) => option(v)),
  }),
  /** datetimepicker: unix seconds. */
  dateTime: (unixSeconds: number | null): StateValue => ({
    type: 'datetimepicker',
    selected_date_time: unixSeconds,
  }),
  /** datepicker: `YYYY-MM-DD`. */
  date: (date: string | null): StateValue => ({ type: 'datepicker', selected_date: date }),
  /** timepicker: `HH:mm`. */
  time: (time: string | null, timezone?: string): StateValue => ({
    type: 'timepicker',
    selected_time: time,
    ...(timezone ? { timezone } : {}),
  }),
  user: (userId: string | null): StateValue => ({ type: 'users_select', selected_user: userId }),
  conversation: (id: string | null): StateValue => ({
    type: 'conversations_select',
    selected_conversation: id,
  }),
  channel: (id: string | null): StateValue => ({ type: 'channels_select', selected_channel: id }),
};

/**
 * `view.state.values`: `{ [blockId]: { [actionId]: field.text('…') } }`. Returns a deep copy so the
 * same spec can be reused.
 */
export function stateValues(values: StateValues): StateValues {
  return structuredClone(values);
}

/** An Events API `event_callback` envelope, as Slack sends it over HTTP or inside Socket Mode. */
export function eventCallback(event: Record<string, unknown>, eventId: string, eventTime: number) {
  return {
    token: 'legacy-verification-token',
    team_id: FAKE_TEAM_ID,
    context_team_id: FAKE_TEAM_ID,
    context_enterprise_id: null,
    api_app_id: FAKE_APP_ID,
    event: { event_ts: `${eventTime}.000100`, ...event },
    type: 'event_callback',
    event_id: eventId,
    event_time: eventTime,
    authorizations: [
      {
        enterprise_id: null,
        team_id: FAKE_TEAM_ID,
        user_id: FAKE_BOT_USER_ID,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
    event_context: `4-${Buffer.from(eventId).toString('base64url')}`,
  };
}

/**
 * The request sender: `slackSender({ baseUrl: service.url, signingSecret, fake })`. Commands,
 * button presses, shortcuts and view submissions carry a trigger_id the fake minted just now,
 * unless the test passes its own (a stale or reused one).
 */
export function slackSender(options: {
  baseUrl: string;
  signingSecret: string;
  fake?: FakeSlack;
  /** Default `/slack/events`. */
  path?: string;
}): SlackSender {
  const { signingSecret, fake } = options;
  const url = `${options.baseUrl.replace(/\/+$/, '')}${options.path ?? '/slack/events'}`;
  let counter = 0;
  const next = () => ++counter;
  // With a fake, trigger IDs it minted (views.open takes each once, within 3 s); else look-alikes.
  const newTriggerId = () =>
    fake ? fake.triggerId() : `${next()}.${Date.now()}.${'0123456789abcdef'.repeat(2)}`;
  const actionTs = () => `${(Date.now() / 1000).toFixed(6)}`;
  const responseUrlFor = (id: string) =>
    fake ? fake.responseUrl(id) : `https://hooks.slack.com/actions/${FAKE_TEAM_ID}/${id}`;
  const user = (userId: string) => ({
    id: userId,
    username: userId.toLowerCase(),
    name: userId.toLowerCase(),
    team_id: FAKE_TEAM_ID,
  });
  const team = { id: FAKE_TEAM_ID, domain: FAKE_TEAM_DOMAIN };

  const signedHeaders = (body: string, delivery: DeliveryOptions = {}) => {
    const timestamp = delivery.timestamp ?? nowSeconds();
    const headers: Record<string, string> = {
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': sign(body, timestamp, delivery.signingSecret ?? signingSecret),
    };
    if (delivery.retryNum !== undefined) {
      headers['x-slack-retry-num'] = String(delivery.retryNum);
      headers['x-slack-retry-reason'] = delivery.retryReason ?? 'http_timeout';
    }
    return headers;
  };

  const raw = async (body: string, headers: Record<string, string>): Promise<SlackAnswer> => {
    const response = await fetch(url, { method: 'POST', headers, body });
    const text = await response.text();
    const answer: SlackAnswer = {
      status: response.status,
      headers: Object.fromEntries(response.headers.entries()),
      body: text,
      sent: { body, headers },
    };
    if (text !== '') {
      try {
        answer.json = JSON.parse(text);
      } catch {
        // not JSON: body keeps the text
      }
    }
    return answer;
  };

  const postForm = (fields: Record<string, string>, delivery: DeliveryOptions) => {
    const body = new URLSearchParams(fields).toString();
    return raw(body, {
      'content-type': 'application/x-www-form-urlencoded',
      ...signedHeaders(body, delivery),
    });
  };
  const postPayload = (payload: Record<string, unknown>, delivery: DeliveryOptions) =>
    postForm({ payload: JSON.stringify(payload) }, delivery);

  const submittedView = (view: SubmittedView): Record<string, unknown> => ({
    type: 'modal',
    blocks: [],
    title: { type: 'plain_text', text: 'installcode', emoji: true },
    private_metadata: '',
    external_id: '',
    ...view,
    id: view.id ?? `VSUB${String(next()).padStart(7, '0')}`,
    team_id: FAKE_TEAM_ID,
    app_id: FAKE_APP_ID,
    bot_id: typeof view.bot_id === 'string' ? view.bot_id : 'BBOT',
    hash: view.hash ?? `${nowSeconds()}.sub${next()}`,
    state: view.state ?? { values: {} },
  });

  const viewPayload = (type: 'view_submission' | 'view_closed', o: ViewSubmissionOptions) => ({
    type,
    team,
    user: user(o.userId),
    api_app_id: FAKE_APP_ID,
    token: 'legacy-verification-token',
    trigger_id: o.triggerId ?? newTriggerId(),
    view: submittedView(o.view),
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
    ...(type === 'view_closed' ? { is_cleared: false } : {}),
  });

  const viewSubmissionAnswer = (o: ViewSubmissionOptions) =>
    postPayload(viewPayload('view_submission', o), o);

  return {
    url,
    raw,
    signedHeaders,
    sign: (body, timestamp) => sign(body, timestamp, signingSecret),

    async command(text, o = {}) {
      const n = next();
      const responseUrlId = o.responseUrlId ?? `command-${n}`;
      const responseUrl = responseUrlFor(responseUrlId);
      const triggerId = o.triggerId ?? newTriggerId();
      const channelId = o.channelId ?? 'C0001';
      const userId = o.userId ?? 'U0001';
      const answer = await postForm(
        {
          token: 'legacy-verification-token',
          team_id: FAKE_TEAM_ID,
          team_domain: FAKE_TEAM_DOMAIN,
          channel_id: channelId,
          channel_name: o.channelName ?? (channelId.startsWith('D') ? 'directmessage' : 'general'),
          user_id: userId,
          user_name: o.userName ?? userId.toLowerCase(),
          command: o.command ?? '/installcode',
          text,
          api_app_id: FAKE_APP_ID,
          is_enterprise_install: 'false',
          response_url: responseUrl,
          trigger_id: triggerId,
        },
        o,
      );
      return { ...answer, responseUrl, responseUrlId, triggerId };
    },

    async blockAction(o) {
      const n = next();
      const triggerId = o.triggerId ?? newTriggerId();
      const inView = o.view !== undefined;
      const channelId = o.channelId ?? (inView ? undefined : 'C0001');
      const messageTs = o.messageTs ?? (inView ? undefined : `${nowSeconds()}.000${n}`);
      let responseUrl: string | undefined;
      let responseUrlId: string | undefined;
      if (typeof o.responseUrl === 'string') {
        responseUrl = o.responseUrl;
        const prefix = fake ? `${fake.url}/response/` : undefined;
        if (prefix && responseUrl.startsWith(prefix)) {
          responseUrlId = decodeURIComponent(responseUrl.slice(prefix.length));
        }
      } else if (o.responseUrl === undefined && !inView) {
        responseUrlId = `action-${n}`;
        responseUrl = responseUrlFor(responseUrlId);
      }
      const action: Record<string, unknown> = {
        type: o.type ?? (o.selectedOption ? 'static_select' : 'button'),
        action_id: o.actionId,
        block_id: o.blockId,
        action_ts: actionTs(),
        ...(o.value !== undefined ? { value: o.value } : {}),
        ...(o.selectedOption !== undefined ? { selected_option: o.selectedOption } : {}),
        ...o.action,
      };
      if (action.type === 'button' && action.text === undefined) {
        action.text = { type: 'plain_text', text: o.actionId, emoji: true };
      }
      const view: Record<string, unknown> | undefined = o.view
        ? { state: { values: {} }, ...o.view }
        : undefined;
      const payload: Record<string, unknown> = {
        type: 'block_actions',
        user: user(o.userId),
        api_app_id: FAKE_APP_ID,
        token: 'legacy-verification-token',
        container: o.container ?? {
          ...(view
            ? { type: 'view', view_id: view.id }
            : {
                type: 'message',
                message_ts: messageTs,
                channel_id: channelId,
                is_ephemeral: o.ephemeral ?? false,
              }),
        },
        trigger_id: triggerId,
        team,
        enterprise: null,
        is_enterprise_install: false,
        actions: [action],
      };
      if (channelId !== undefined) {
        payload.channel = {
          id: channelId,
          name: channelId.startsWith('D') ? 'directmessage' : 'general',
        };
      }
      if (!view && !o.ephemeral) {
        payload.message = o.message ?? {
          type: 'message',
          user: FAKE_BOT_USER_ID,
          bot_id: 'BBOT',
          app_id: FAKE_APP_ID,
          team: FAKE_TEAM_ID,
          text: '',
          ts: messageTs,
          blocks: [],
        };
      }
      if (view) {
        payload.view = view;
        payload.state = view.state;
      }
      if (responseUrl !== undefined) payload.response_url = responseUrl;
      const answer = await postPayload(payload, o);
      return { ...answer, responseUrl, responseUrlId, triggerId, payload };
    },

    async viewSubmission(o) {
      const answer = await viewSubmissionAnswer(o);
      if (answer.status !== 200) {
        throw new Error(`view_submission answered ${answer.status}: ${answer.body}`);
      }
      if (answer.body === '') return {};
      if (typeof answer.json !== 'object' || answer.json === null) {
        throw new Error(`view_submission answered with a body that is not JSON: ${answer.body}`);
      }
      return answer.json as Record<string, unknown>;
    },
    viewSubmissionAnswer,
    viewClosed: (o) => postPayload(viewPayload('view_closed', o), o),

    async shortcut(o) {
      const triggerId = o.triggerId ?? newTriggerId();
      const answer = await postPayload(
        {
          type: 'shortcut',
          token: 'legacy-verification-token',
          action_ts: actionTs(),
          team,
          user: user(o.userId),
          is_enterprise_install: false,
          enterprise: null,
          callback_id: o.callbackId,
          trigger_id: triggerId,
        },
        o,
      );
      return { ...answer, triggerId };
    },

    async event(event, o = {}) {
      const eventTime = o.eventTime ?? nowSeconds();
      const eventId = o.eventId ?? `Ev${String(next()).padStart(9, '0')}`;
      const envelope = eventCallback(event, eventId, eventTime);
      const body = JSON.stringify(envelope);
      const answer = await raw(body, {
        'content-type': 'application/json',
        ...signedHeaders(body, o),
      });
      return { ...answer, eventId, envelope };
    },
  };
}
