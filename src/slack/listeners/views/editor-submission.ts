import type {
  AllMiddlewareArgs,
  App,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import { normalizeCode } from '../../../codes/code-text.js';
import { CodeError, codeError, type FieldErrors } from '../../../codes/errors.js';
import type { InstallCode } from '../../../codes/model.js';
import type { CodeInput } from '../../../codes/rules.js';
import { answerBy, settleBy } from '../../../store/redis-clock.js';
import { writeBudget } from '../../../use-cases/code-service.js';
import {
  blockOfField,
  decodeContext,
  type EditorContext,
  type EditorDraft,
  editorMessage,
  inputOf,
  readDraft,
  type StateValues,
  settingsOf,
} from '../../editor-form.js';
import { CALLBACKS } from '../../ids.js';
import { stateValuesOf } from '../../payload.js';
import { buildSaveConfirmation } from '../../views/editor-confirmation.js';
import { buildEditorModal, conflictNotice } from '../../views/editor-modal.js';
import { clip, escapeMrkdwn } from '../../views/format.js';
import { directReply, type ListenerDeps } from '../context.js';
import { staffOnly } from '../guards.js';

type SubmitArgs = AllMiddlewareArgs & SlackViewMiddlewareArgs<ViewSubmitAction>;

const GONE = 'This code was removed since you opened the editor.';
const UNAVAILABLE = 'Could not save: the code store is unavailable. Try again shortly.';

/** How a save ended: written, refused on fields, overtaken by someone else's save, or a question first. */
type SaveOutcome =
  | { kind: 'saved'; before: InstallCode | null; saved: InstallCode }
  | { kind: 'refused'; errors: Record<string, string> }
  | { kind: 'overtaken'; latest: InstallCode }
  | { kind: 'confirm'; notice: string; context: EditorContext };

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
    const outcome = await save(deps, draft, context, userId);
    switch (outcome.kind) {
      case 'refused':
        return ack({ response_action: 'errors', errors: outcome.errors });
      case 'confirm':
        // The editor stays, with what was typed and the question at the top: Save again confirms.
        return ack({
          response_action: 'update',
          view: buildEditorModal(draft, outcome.context, outcome.notice),
        });
      case 'overtaken': {
        // Show what changed at the top, keep what was typed, and let the next Save overwrite.
        const { latest } = outcome;
        const notice = conflictNotice(latest, context.seen);
        const next = { ...context, version: latest.version, seen: settingsOf(latest) };
        return ack({ response_action: 'update', view: buildEditorModal(draft, next, notice) });
      }
    }
    await ack();
    const message = buildSaveConfirmation(outcome.before, outcome.saved);
    if (context.channelId) {
      await client.chat
        .postEphemeral({ channel: context.channelId, user: userId, ...message })
        .catch(() => directReply(client, userId)(message));
    } else await directReply(client, userId)(message);
  };
}

async function save(
  deps: ListenerDeps,
  draft: EditorDraft,
  context: EditorContext,
  userId: string,
): Promise<SaveOutcome> {
  const { codes } = deps.services;
  const budget = writeBudget();
  const attempt = async (): Promise<SaveOutcome> => {
    const [current, now] = await Promise.all([
      context.id ? codes.getById(context.id) : null,
      codes.now(),
    ]);
    const { input, fields } = inputOf(draft, current, now);
    const question = current && (await renameOfSharedCode(deps, current, input, context));
    if (question) return question;
    // One reading of Redis's clock for the whole save: the input was built against it.
    const options = { knownErrors: fields, budget, now };
    if (!current)
      return { kind: 'saved', before: null, saved: await codes.createCode(input, userId, options) };
    try {
      const expectedVersion = context.version ?? undefined;
      const saved = await codes.updateCode(current, input, userId, { ...options, expectedVersion });
      return { kind: 'saved', before: current, saved };
    } catch (error) {
      if (!(error instanceof CodeError && error.kind === 'version_conflict')) throw error;
      // Someone saved it meanwhile: show theirs (or, if it is gone now, say so).
      const latest = await codes.findById(current.id);
      if (!latest) throw codeError('code_not_found');
      return { kind: 'overtaken', latest };
    }
  };
  try {
    return await settleBy(answerBy(budget), attempt());
  } catch (error) {
    const errors = fieldErrorsFor(error, draft, context);
    if (!errors) deps.logger.warn({ err: (error as Error).message }, 'editor save failed');
    return {
      kind: 'refused',
      errors: errors ?? { [blockOfField('code', draft, context)]: UNAVAILABLE },
    };
  }
}

/**
 * Asked before the write: renaming a code shared into channels changes what their cards show,
 * so the first Save says where it is shared and a second Save (with the same new name) renames.
 */
async function renameOfSharedCode(
  deps: ListenerDeps,
  current: InstallCode,
  input: CodeInput,
  context: EditorContext,
): Promise<SaveOutcome | null> {
  const newName = typeof input.code === 'string' ? normalizeCode(input.code) : '';
  if (!newName || newName === normalizeCode(current.code) || context.renameWarned === newName) {
    return null;
  }
  const channels = await deps.services.cards.channelsOf(current.id);
  if (channels.length === 0) return null;
  const where = channels.map((channel) => `<#${channel}>`).join(', ');
  const notice = [
    `:warning: *\`${escapeMrkdwn(current.code)}\` is shared in ${where}.*`,
    `Saving renames it: their cards will show \`${escapeMrkdwn(input.code as string)}\` and a new QR code, and \`${escapeMrkdwn(current.code)}\` stops working at once.`,
    'Press Save again to rename it, or change the code back.',
  ].join('\n');
  return {
    kind: 'confirm',
    notice: clip(notice, 3000),
    context: { ...context, renameWarned: newName },
  };
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
      : error.kind === 'code_not_found'
        ? { code: GONE }
        : { code: error.message };
  const errors: Record<string, string> = {};
  for (const [field, message] of Object.entries(byField)) {
    errors[blockOfField(field, draft, context)] ??= editorMessage(field, message);
  }
  return errors;
}

export function registerEditorSubmission(app: App, deps: ListenerDeps) {
  app.view(CALLBACKS.editor, staffOnly(deps), saveEditor(deps));
}
