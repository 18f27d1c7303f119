/**
 * Views (modals and Home tabs) and the trigger IDs that open them.
 *
 * - views.open / views.push exchange a trigger_id (or interactivity_pointer) the fake minted
 *   (`triggerId()`), once, within 3 seconds: else `invalid_trigger_id` (never minted),
 *   `exchanged_trigger_id` (used already) or `expired_trigger_id`
 *   (https://docs.slack.dev/reference/methods/views.open, https://docs.slack.dev/reference/methods/views.push,
 *   https://docs.slack.dev/surfaces/modals; bolt-js#1662, node-slack-sdk#1131). A refused call
 *   leaves the trigger unused.
 * - views.update of a view it never opened: `not_found`; with a stale hash: `hash_conflict`
 *   (https://docs.slack.dev/reference/methods/views.update). A view over 250 kB: `view_too_large`.
 * - Every view is checked against Block Kit's limits (`invalid_blocks`, pointers under `/view`).
 */
import { randomBytes } from 'node:crypto';
import type { BlockCheck } from './block-check.js';
import {
  type Answer,
  asRecord,
  type MethodHandler,
  ok200,
  optionalString,
  refuse,
} from './http.js';
import type { Ids } from './ids.js';
import {
  FAKE_APP_ID,
  FAKE_BOT_ID,
  FAKE_TEAM_ID,
  type FakeSlackCall,
  type FakeSlackView,
  TRIGGER_TTL_MS,
} from './types.js';

const TRIGGER_FORMAT = /^\d+\.\d+\.[0-9a-f]+$/;
const MAX_VIEW_BYTES = 250_000;

export interface Views {
  views: Map<string, FakeSlackView>;
  /** View ids in the order they were stored (last: the newest). */
  order: string[];
  mintTrigger(): string;
  reset(): void;
  methods: Record<string, MethodHandler>;
}

export function createViews(ids: Ids, blocks: BlockCheck): Views {
  const views = new Map<string, FakeSlackView>();
  const order: string[] = [];
  const triggers = new Map<string, { mintedAt: number; used: boolean }>();

  /** The refusal of a trigger_id, or undefined when views.open may exchange it. */
  const triggerRefusal = (triggerId: string | undefined, call: FakeSlackCall) => {
    if (!triggerId) return refuse(call, 'invalid_arguments', 'no trigger_id');
    const trigger = triggers.get(triggerId);
    if (!TRIGGER_FORMAT.test(triggerId) || !trigger)
      return refuse(call, 'invalid_trigger_id', `trigger_id ${triggerId} was never handed out`);
    if (trigger.used)
      return refuse(call, 'exchanged_trigger_id', `trigger_id ${triggerId} was used already`);
    const age = Date.now() - trigger.mintedAt;
    if (age > TRIGGER_TTL_MS)
      return refuse(call, 'expired_trigger_id', `trigger_id ${triggerId} is ${age} ms old`);
    return undefined;
  };

  const store = (
    sent: Record<string, unknown>,
    previous: FakeSlackView | undefined,
    extra: Record<string, unknown> = {},
  ) => {
    const view: FakeSlackView = {
      type: 'modal',
      private_metadata: '',
      callback_id: '',
      external_id: '',
      ...sent,
      ...extra,
      id: previous?.id ?? ids.id('V'),
      team_id: FAKE_TEAM_ID,
      app_id: FAKE_APP_ID,
      bot_id: FAKE_BOT_ID,
      app_installed_team_id: FAKE_TEAM_ID,
      hash: ids.hash(),
      state: { values: {} },
      root_view_id: previous?.root_view_id ?? null,
      previous_view_id: null,
    };
    if (view.root_view_id === null) view.root_view_id = view.id;
    views.set(view.id, view);
    order.push(view.id);
    return ok200({ ok: true, view });
  };

  /** The view argument, or the refusal of a missing, oversized or invalid one. */
  const sentView = (
    args: Record<string, unknown>,
    call: FakeSlackCall,
    type: string,
  ): { view: Record<string, unknown> } | { refused: Answer } => {
    const sent = asRecord(args.view);
    if (!sent) return { refused: refuse(call, 'invalid_arguments', 'no view') };
    if (JSON.stringify(sent).length > MAX_VIEW_BYTES)
      return { refused: refuse(call, 'view_too_large', 'the view is over 250 kB') };
    const kind = optionalString(sent.type) ?? type;
    if (kind !== type)
      return { refused: refuse(call, 'invalid_arguments', `a ${kind} view where a ${type} goes`) };
    const refused = blocks.view({ ...sent, type: kind }, call);
    return refused ? { refused } : { view: sent };
  };

  const exchange: MethodHandler = ({ args, call }) => {
    const triggerId = optionalString(args.trigger_id) ?? optionalString(args.interactivity_pointer);
    const refused = triggerRefusal(triggerId, call);
    if (refused) return refused;
    const sent = sentView(args, call, 'modal');
    if ('refused' in sent) return sent.refused;
    (triggers.get(triggerId as string) as { used: boolean }).used = true;
    return store(sent.view, undefined);
  };

  const methods: Record<string, MethodHandler> = {
    'views.open': exchange,
    'views.push': exchange,
    'views.update': ({ args, call }) => {
      let viewId = optionalString(args.view_id);
      const externalId = optionalString(args.external_id);
      if (viewId === undefined && externalId !== undefined)
        viewId = [...views.values()].find((v) => v.external_id === externalId)?.id;
      if (viewId === undefined && externalId === undefined)
        return refuse(call, 'invalid_arguments', 'neither view_id nor external_id');
      const previous = viewId !== undefined ? views.get(viewId) : undefined;
      if (!previous)
        return refuse(call, 'not_found', `no view ${viewId ?? `with external_id ${externalId}`}`);
      if (typeof args.hash === 'string' && args.hash !== previous.hash)
        return refuse(call, 'hash_conflict', `hash ${args.hash} is not ${previous.hash}`);
      const sent = sentView(args, call, previous.type);
      if ('refused' in sent) return sent.refused;
      return store(
        sent.view,
        previous,
        previous.type === 'home' ? { user_id: previous.user_id } : {},
      );
    },
    'views.publish': ({ args, call }) => {
      const userId = optionalString(args.user_id);
      if (!userId) return refuse(call, 'invalid_arguments', 'no user_id');
      const previous = [...views.values()].find((v) => v.type === 'home' && v.user_id === userId);
      if (previous && typeof args.hash === 'string' && args.hash !== previous.hash)
        return refuse(call, 'hash_conflict', `hash ${args.hash} is not ${previous.hash}`);
      const sent = sentView(args, call, 'home');
      if ('refused' in sent) return sent.refused;
      return store(sent.view, previous, { type: 'home', user_id: userId });
    },
  };

  return {
    views,
    order,
    mintTrigger() {
      const id = `${ids.next()}${Date.now() % 1_000_000}.${Date.now()}.${randomBytes(16).toString('hex')}`;
      triggers.set(id, { mintedAt: Date.now(), used: false });
      return id;
    },
    reset() {
      views.clear();
      order.length = 0;
      triggers.clear();
    },
    methods,
  };
}
