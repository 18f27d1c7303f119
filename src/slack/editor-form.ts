import { formatDuration, parseDuration } from '../codes/durations.js';
import type { FieldErrors } from '../codes/errors.js';
import { CODE_ACTIONS, type CodeAction, type InstallCode, TARGET_FIELD } from '../codes/model.js';
import type { CodeInput } from '../codes/rules.js';
import { EDITOR_BLOCKS } from './ids.js';
import { jsonObjectIn } from './payload.js';

/** What the editor modal holds, as the person typed it. */
export interface EditorDraft {
  description: string;
  code: string;
  /** Epoch ms, from the date-time picker. */
  expiresAt: number | null;
  usageLimit: string;
  usageLimitDelay: string;
  action: CodeAction | null;
  target: string;
}

/** What the modal remembers across updates (its private_metadata). */
export interface EditorContext {
  /** The record being edited; null when creating. */
  id: string | null;
  version: number | null;
  /** Where the editor was opened from, to confirm the save there. */
  channelId: string | null;
  /** Bumped by "Generate new code", so Slack drops what was typed in the code field. */
  generation: number;
}

export function draftOf(code: InstallCode): EditorDraft {
  return {
    description: code.description ?? '',
    code: code.code,
    expiresAt: code.expiresAt,
    usageLimit: code.usageLimit === null ? '' : String(code.usageLimit),
    usageLimitDelay:
      code.usageLimitDelaySeconds === null ? '' : formatDuration(code.usageLimitDelaySeconds),
    action: code.action,
    target: code[TARGET_FIELD[code.action]] ?? '',
  };
}

export function blankDraft(code: string): EditorDraft {
  return {
    description: '',
    code,
    expiresAt: null,
    usageLimit: '',
    usageLimitDelay: '',
    action: null,
    target: '',
  };
}

export const codeBlockId = (context: EditorContext) =>
  `${EDITOR_BLOCKS.code}.${context.generation}`;
export const targetBlockId = (action: CodeAction) => `${EDITOR_BLOCKS.target}.${action}`;

/** One element's state in `view.state.values`, as Slack sends it. */
export interface ElementState {
  type: string;
  value?: string | null;
  selected_option?: { value: string } | null;
  selected_date_time?: number | null;
}
export type StateValues = Record<string, Record<string, ElementState>>;

/** The draft in a submitted or updated view; blocks are found by their base ID. */
export function readDraft(values: StateValues): EditorDraft {
  const element = (base: string) => {
    const blockId = Object.keys(values).find((id) => id === base || id.startsWith(`${base}.`));
    // Each input block holds one element: its state is the block's only entry.
    return blockId ? Object.values(values[blockId] ?? {})[0] : undefined;
  };
  const text = (base: string) => element(base)?.value ?? '';
  const chosen = element(EDITOR_BLOCKS.action)?.selected_option?.value;
  const action = CODE_ACTIONS.includes(chosen as CodeAction) ? (chosen as CodeAction) : null;
  const dateTime = element(EDITOR_BLOCKS.expiresAt)?.selected_date_time;
  return {
    description: text(EDITOR_BLOCKS.description),
    code: text(EDITOR_BLOCKS.code),
    expiresAt: typeof dateTime === 'number' ? dateTime * 1000 : null,
    usageLimit: text(EDITOR_BLOCKS.usageLimit),
    usageLimitDelay: text(EDITOR_BLOCKS.usageLimitDelay),
    action,
    // Each action's field has a block of its own, so a field typed for another action is not carried over.
    target: action ? text(targetBlockId(action)) : '',
  };
}

export const DELAY_MESSAGE = 'a duration like 30m, 12h or 7d (1 minute to 365 days)';

/**
 * The draft as the API's input: every field sent (empty clears it), so the same rules as the
 * API's decide. Text the rules cannot take as a value (a delay like "soon") is an error here.
 */
export function inputOf(
  draft: EditorDraft,
  current: InstallCode | null = null,
): { input: CodeInput; fields: FieldErrors } {
  const fields: FieldErrors = {};
  const delayText = draft.usageLimitDelay.trim();
  const delayMs = delayText ? parseDuration(delayText) : null;
  if (delayText && delayMs === null) fields.usageLimitDelaySeconds = DELAY_MESSAGE;
  const limitText = draft.usageLimit.trim();
  const input: CodeInput = {
    description: draft.description.trim() || null,
    code: draft.code.trim(),
    expiresAt: expiryOf(draft, current),
    usageLimit: limitText === '' ? null : /^\d+$/.test(limitText) ? Number(limitText) : Number.NaN,
    usageLimitDelaySeconds: delayMs === null ? null : delayMs / 1000,
    usernamePrefix: null,
    accountId: null,
    deviceId: null,
  };
  if (draft.action) {
    input.action = draft.action;
    input[TARGET_FIELD[draft.action]] = draft.target.trim() || null;
  }
  return { input, fields };
}

/**
 * Slack's date-time picker shows whole seconds: an expiry the person left as it was keeps its
 * milliseconds (and so counts as unchanged, even when it has passed).
 */
function expiryOf(draft: EditorDraft, current: InstallCode | null): string | null {
  if (draft.expiresAt === null) return null;
  const shown = current?.expiresAt == null ? null : Math.floor(current.expiresAt / 1000) * 1000;
  const instant = shown === draft.expiresAt ? (current?.expiresAt as number) : draft.expiresAt;
  return new Date(instant).toISOString();
}

/** The modal's block that shows the error of a rule's field. */
export function blockOfField(field: string, draft: EditorDraft, context: EditorContext): string {
  switch (field) {
    case 'description':
      return EDITOR_BLOCKS.description;
    case 'expiresAt':
      return EDITOR_BLOCKS.expiresAt;
    case 'usageLimit':
      return EDITOR_BLOCKS.usageLimit;
    case 'usageLimitDelaySeconds':
      return EDITOR_BLOCKS.usageLimitDelay;
    case 'action':
      return EDITOR_BLOCKS.action;
    case 'usernamePrefix':
    case 'accountId':
    case 'deviceId':
      return draft.action ? targetBlockId(draft.action) : EDITOR_BLOCKS.action;
    default:
      return codeBlockId(context);
  }
}

export function encodeContext(context: EditorContext): string {
  return JSON.stringify(context);
}

export function decodeContext(text: string | undefined): EditorContext {
  const parsed = jsonObjectIn(text, 'the editor’s saved state could not be read') as Partial<
    Record<keyof EditorContext, unknown>
  >;
  return {
    id: typeof parsed.id === 'string' ? parsed.id : null,
    version: typeof parsed.version === 'number' ? parsed.version : null,
    channelId: typeof parsed.channelId === 'string' ? parsed.channelId : null,
    generation: typeof parsed.generation === 'number' ? parsed.generation : 0,
  };
}
