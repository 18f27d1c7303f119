import type { AllMiddlewareArgs, App, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { generateCode } from '../../../codes/code-text.js';
import {
  decodeContext,
  type EditorContext,
  type EditorDraft,
  readDraft,
  type StateValues,
  swapActionDefaults,
} from '../../editor-form.js';
import { ACTIONS } from '../../ids.js';
import { stateValuesOf } from '../../payload.js';
import { buildEditorModal } from '../../views/editor-modal.js';
import { slackErrorOf } from '../../web-api.js';
import type { ListenerDeps } from '../context.js';
import { staffOnly } from '../guards.js';

type EditorActionArgs = AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>;

/**
 * Rebuilds the open editor from what it holds now, changed by `change`, keeping what was typed.
 * The view's hash makes Slack refuse the update if the view changed meanwhile; then the newer view stays.
 */
function updateEditor(
  deps: ListenerDeps,
  change: (draft: EditorDraft, context: EditorContext) => void,
) {
  return async ({ ack, body, client }: EditorActionArgs) => {
    await ack();
    const view = body.view;
    if (!view) return;
    const draft = readDraft(stateValuesOf<StateValues>(view));
    const context = decodeContext(view.private_metadata);
    change(draft, context);
    try {
      await client.views.update({
        view_id: view.id,
        hash: view.hash,
        view: buildEditorModal(draft, context),
      });
    } catch (error) {
      if (slackErrorOf(error) !== 'hash_conflict') {
        deps.logger.warn({ err: (error as Error).message }, 'could not update the editor');
      }
    }
  };
}

export function registerEditorActions(app: App, deps: ListenerDeps) {
  app.action(
    ACTIONS.generateCode,
    staffOnly(deps),
    updateEditor(deps, (draft, context) => {
      draft.code = generateCode();
      context.generation++;
    }),
  );
  // The radio button's new value is already in the view's state: rebuilding swaps in its field,
  // and, for a new code, the action's defaults where nothing of one's own was typed.
  app.action(ACTIONS.chooseAction, staffOnly(deps), updateEditor(deps, swapActionDefaults));
  // "A date" brings in the date-time picker; any other choice takes it away.
  app.action(
    ACTIONS.chooseExpiry,
    staffOnly(deps),
    updateEditor(deps, () => undefined),
  );
}
