import type {
  AllMiddlewareArgs,
  App,
  BlockAction,
  BlockSuggestion,
  SlackActionMiddlewareArgs,
  SlackOptionsMiddlewareArgs,
} from '@slack/bolt';
import { doToCode } from '../../code-verbs.js';
import { ACTIONS } from '../../ids.js';
import { MalformedPayload } from '../../payload.js';
import { roleOf } from '../../roles.js';
import { MAX_FILTER_LENGTH } from '../../views/code-list.js';
import { buildCodeOptions, MAX_OPTIONS, pickerTargetOf } from '../../views/code-picker.js';
import { answerFailures, describeError, type ListenerDeps, requestFrom } from '../context.js';
import { staffOnly } from '../guards.js';

type SuggestionArgs = AllMiddlewareArgs & SlackOptionsMiddlewareArgs<'block_suggestion'>;
type ActionArgs = AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>;

/**
 * The picker's options, asked by Slack as the person types: the codes matching the text, only
 * for staff. An outsider, or a failure, gets no options (a suggestion has nowhere to say more,
 * and a refusal by DM at every keystroke would be worse).
 */
function suggestCodes(deps: ListenerDeps) {
  const { services } = deps;
  return async ({ body, ack }: SuggestionArgs) => {
    const suggestion = body as BlockSuggestion;
    if (roleOf(suggestion.user?.id ?? '', services.roles) === 'outsider') {
      await ack({ options: [] });
      return;
    }
    try {
      const typed = suggestion.value?.trim().slice(0, MAX_FILTER_LENGTH) || null;
      const [page, exact] = await Promise.all([
        services.codes.listCodes({ q: typed, limit: MAX_OPTIONS }),
        typed ? services.codes.getCode(typed).catch(() => null) : null,
      ]);
      // A whole code typed is found however old it is (the text search looks at the newest only).
      const others = page.codes.filter((code) => code.id !== exact?.id);
      const codes = exact ? [exact, ...others].slice(0, MAX_OPTIONS) : others;
      await ack({ options: buildCodeOptions(codes) });
    } catch (error) {
      deps.logger.warn({ err: describeError(error) }, 'code suggestions failed');
      await ack({ options: [] });
    }
  };
}

/** A code picked from the menu: the verb of the picker is done to it. */
function pickedCode(deps: ListenerDeps) {
  return async (args: ActionArgs) => {
    await args.ack();
    const { body, client, respond } = args;
    const channelId = body.channel?.id ?? null;
    const request = requestFrom(
      client,
      body.user.id,
      channelId,
      respond,
      Boolean(body.response_url),
    );
    await answerFailures(deps, request, async () => {
      const action = args.action as { block_id?: string; selected_option?: { value?: string } };
      const target = pickerTargetOf(action.block_id ?? '');
      const id = action.selected_option?.value;
      if (!target || !id) throw new MalformedPayload('the menu’s choice was garbled');
      const code = await deps.services.codes.getById(id);
      await doToCode(deps.services, request, target, code, body.trigger_id);
    });
  };
}

export function registerCodePicker(app: App, deps: ListenerDeps) {
  app.options({ type: 'block_suggestion', action_id: ACTIONS.pickCode }, suggestCodes(deps));
  app.action(ACTIONS.pickCode, staffOnly(deps), pickedCode(deps));
}
