import type {
  AllMiddlewareArgs,
  App,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import { CodeError, type FieldErrors } from '../../../codes/errors.js';
import type { InstallCode } from '../../../codes/model.js';
import { answerBy, settleBy } from '../../../store/redis-clock.js';
import { writeBudget } from '../../../use-cases/code-service.js';
import {
  blockOfField,
  decodeContext,
  type EditorContext,
  type EditorDraft,
  inputOf,
  readDraft,
  type StateValues,
} from '../../editor-form.js';
import { CALLBACKS } from '../../ids.js';
import { stateValuesOf } from '../../payload.js';
import { codeSection } from '../../views/code-card.js';
import { directReply, type ListenerDeps } from '../context.js';
import { staffOnly } from '../guards.js';

type SubmitArgs = AllMiddlewareArgs & SlackViewMiddlewareArgs<ViewSubmitAction>;

const CONFLICT =
  'Someone else changed this code since you opened the editor. Cancel, and open it again to see their changes.';
const GONE = 'This code was removed since you opened the editor.';

/**
 * Saving the editor. Unlike other listeners it writes before it acks: only the write can tell
 * that a code is taken or was changed meanwhile, and Slack shows such errors on the fields only
 * in the ack. The whole save, reading included, has one budget inside Slack's 3 s; past it, the
 * person is told it failed and Redis refuses the write (writeBudget).
 */
export function saveEditor(deps: ListenerDeps) {
  return async ({ ack, body, view, client }: SubmitArgs) => {
    // A payload that cannot be read throws here, before the ack: acknowledgeFailures acks it and
    // tells the person what failed.
    const context = decodeContext(view.private_metadata);
    const draft = readDraft(stateValuesOf<StateValues>(view));
    const userId = body.user.id;
    let saved: InstallCode;
    try {
      saved = await save(deps, draft, context, userId);
    } catch (error) {
      const errors = fieldErrorsFor(error, draft, context);
      if (errors) return ack({ response_action: 'errors', errors });
      deps.logger.warn({ err: (error as Error).message }, 'editor save failed');
      return ack({
        response_action: 'errors',
        errors: {
          [blockOfField('code', draft, context)]:
            'Could not save: the code store is unavailable. Try again shortly.',
        },
      });
    }
    await ack();
    const text = `${context.id ? 'Saved' : 'Created'} \`${saved.code}\`.`;
    const blocks = [
      { type: 'section' as const, text: { type: 'mrkdwn' as const, text } },
      codeSection(saved, saved.updatedAt),
    ];
    if (context.channelId) {
      await client.chat
        .postEphemeral({ channel: context.channelId, user: userId, text, blocks })
        .catch(() => directReply(client, userId)({ text, blocks }));
    } else await directReply(client, userId)({ text, blocks });
  };
}

async function save(
  deps: ListenerDeps,
  draft: EditorDraft,
  context: EditorContext,
  userId: string,
) {
  const { codes } = deps.services;
  const budget = writeBudget();
  return settleBy(
    answerBy(budget),
    (async () => {
      const current = context.id ? await codes.getById(context.id) : null;
      const { input, fields } = inputOf(draft, current);
      const options = { knownErrors: fields, budget };
      return current
        ? codes.updateCode(current, input, userId, {
            ...options,
            expectedVersion: context.version ?? undefined,
          })
        : codes.createCode(input, userId, options);
    })(),
  );
}

/** A refusal as Slack's `errors`: one message on each field's block; null when it is no refusal. */
function fieldErrorsFor(
  error: unknown,
  draft: EditorDraft,
  context: EditorContext,
): Record<string, string> | null {
  if (!(error instanceof CodeError)) return null;
  const byField: FieldErrors =
    error.kind === 'invalid_request'
      ? (error.fields ?? { code: error.message })
      : error.kind === 'version_conflict'
        ? { code: CONFLICT }
        : error.kind === 'code_not_found'
          ? { code: GONE }
          : { code: error.message };
  const errors: Record<string, string> = {};
  for (const [field, message] of Object.entries(byField)) {
    errors[blockOfField(field, draft, context)] ??= message;
  }
  return errors;
}

export function registerEditorSubmission(app: App, deps: ListenerDeps) {
  app.view(CALLBACKS.editor, staffOnly(deps), saveEditor(deps));
}
