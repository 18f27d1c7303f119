/**
 * The Web API's front door: which methods exist, which tokens are accepted, and the methods that
 * need nothing else (auth.test, users.info, apps.connections.open).
 *
 * - A method the fake does not implement: HTTP 200 `{ ok: false, error: 'unknown_method',
 *   req_method }`, before any token is looked at: Slack answers a token-less call of a dead method
 *   with `unknown_method` and of a live one with `not_authed` (not in Slack's docs; the shape is
 *   the one other projects record from slack.com, e.g. `{"ok":false,"error":"unknown_method",
 *   "req_method":"…"}`; `unknown_method` is in every method's error table,
 *   https://docs.slack.dev/reference/methods/chat.postEphemeral).
 * - No token: `not_authed`; a token other than the configured bot token: `invalid_auth`
 *   (https://docs.slack.dev/apis/web-api, and every method's error table); the app-level token on
 *   a bot method, or the bot token on apps.connections.open, which wants the app-level token:
 *   `not_allowed_token_type` (https://docs.slack.dev/reference/methods/apps.connections.open).
 */
import { type Answer, type MethodCall, type MethodHandler, ok200, refuse } from './http.js';
import {
  FAKE_BOT_ID,
  FAKE_BOT_NAME,
  FAKE_BOT_USER_ID,
  FAKE_TEAM_DOMAIN,
  FAKE_TEAM_ID,
  type FakeSlackOptions,
} from './types.js';

export interface WebApi {
  methods: readonly string[];
  /** The answer to one call, its refusal noted on `call`. */
  answer(method: string, request: MethodCall): Answer;
}

export function createWebApi(
  options: FakeSlackOptions,
  deps: {
    /** The methods of the other parts (chat.*, files.*, views.*, conversations.open). */
    methods: Record<string, MethodHandler>;
    users: Map<string, Record<string, unknown>>;
    socketUrl: (appToken: string) => string;
  },
): WebApi {
  const isAppToken = (token: string) =>
    options.appToken !== undefined ? token === options.appToken : token.startsWith('xapp-');

  const methods: Record<string, MethodHandler> = {
    ...deps.methods,
    'apps.connections.open': ({ call }) =>
      ok200({ ok: true, url: deps.socketUrl(call.token as string) }),
    'auth.test': () =>
      ok200({
        ok: true,
        url: `https://${FAKE_TEAM_DOMAIN}.slack.com/`,
        team: FAKE_TEAM_DOMAIN,
        user: FAKE_BOT_NAME,
        team_id: FAKE_TEAM_ID,
        user_id: FAKE_BOT_USER_ID,
        bot_id: FAKE_BOT_ID,
        is_enterprise_install: false,
      }),
    'users.info': ({ args, call }) => {
      const userId = String(args.user ?? '');
      if (!userId) return refuse(call, 'user_not_found', 'no user given');
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
          ...deps.users.get(userId),
        },
      });
    },
  };

  /** The refusal of the call's token for `method`, or undefined when Slack takes it. */
  const tokenRefusal = (method: string, { call }: MethodCall): Answer | undefined => {
    const token = call.token;
    if (!token) return refuse(call, 'not_authed', 'no token');
    if (method === 'apps.connections.open') {
      if (isAppToken(token)) return undefined;
      if (token === options.botToken)
        return refuse(call, 'not_allowed_token_type', 'apps.connections.open wants the app token');
      return refuse(call, 'invalid_auth', 'not the app-level token the app was given');
    }
    if (token === options.botToken) return undefined;
    if (isAppToken(token))
      return refuse(call, 'not_allowed_token_type', `${method} wants the bot token`);
    return refuse(call, 'invalid_auth', 'not the bot token the app was given');
  };

  return {
    methods: Object.keys(methods).sort(),
    answer(method, request) {
      const handler = methods[method];
      if (!handler)
        return refuse(request.call, 'unknown_method', `the fake has no ${method}`, {
          req_method: method,
        });
      return tokenRefusal(method, request) ?? handler(request);
    },
  };
}
