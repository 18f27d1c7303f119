import { z } from 'zod';
import { formatDuration, parseDuration } from '../codes/durations.js';
import type { FieldErrors } from '../codes/errors.js';
import {
  CODE_ACTIONS,
  type CodeAction,
  type CodeSettings,
  type InstallCode,
  TARGET_FIELD,
} from '../codes/model.js';
import type { CodeInput } from '../codes/rules.js';
import { EDITOR_BLOCKS } from './ids.js';
import { jsonObjectIn } from './payload.js';

/** "Expires after" offers these; a preset counts from the moment of saving. */
export const EXPIRY_CHOICES = ['1d', '7d', '30d', '90d', 'date', 'never'] as const;
export type ExpiryChoice = (typeof EXPIRY_CHOICES)[number];
const PRESET_DAYS: Partial<Record<ExpiryChoice, number>> = {
  '1d': 1,
  '7d': 7,
  '30d': 30,
  '90d': 90,
};
const DAY_MS = 86_400_000;

/** What the editor modal holds, as the person typed it. */
export interface EditorDraft {
  description: string;
  code: string;
  /** null only when nothing was chosen (a view Slack sent without the choice). */
  expiry: ExpiryChoice | null;
  /** Epoch ms, from the date-time picker shown for "a date". */
  expiresAt: number | null;
  /** Read from an editor opened before the presets, whose "Expires after" was the picker itself. */
  pickerOnly?: true;
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
  /** A new code: the action whose defaults the form holds (null: the defaults before any action). */
  defaultsOf?: CodeAction | null;
  /** Editing: the settings as the editor showed them, to tell what someone else changed meanwhile. */
  seen?: CodeSettings;
  /** Editing a shared code: the new name (normalised) whose rename the person was warned of. */
  renameWarned?: string;
}

/** What a new code starts with, per action: a code that ends by itself, never "forever" by default. */
export const ACTION_DEFAULTS: Record<
  CodeAction | 'none',
  { expiry: ExpiryChoice; usageLimit: string }
> = {
  none: { expiry: '7d', usageLimit: '' },
  use_existing_device: { expiry: '7d', usageLimit: '1' },
  create_device: { expiry: '30d', usageLimit: '' },
  create_account_and_device: { expiry: '30d', usageLimit: '' },
};

const defaultsFor = (action: CodeAction | null | undefined) => ACTION_DEFAULTS[action ?? 'none'];

/**
 * A new code's action changed: its expiry and usage limit take the new action's defaults where
 * they still hold the previous action's (a value equal to the old default counts as not typed).
 */
export function swapActionDefaults(draft: EditorDraft, context: EditorContext): void {
  if (context.id !== null) return;
  const before = defaultsFor(context.defaultsOf);
  const after = defaultsFor(draft.action);
  if (draft.expiry === before.expiry) draft.expiry = after.expiry;
  if (draft.usageLimit.trim() === before.usageLimit) draft.usageLimit = after.usageLimit;
  context.defaultsOf = draft.action;
}

/** An existing code: its expiry shows as "a date", filled in, or "never". */
export function draftOf(code: InstallCode): EditorDraft {
  return {
    description: code.description ?? '',
    code: code.code,
    expiry: code.expiresAt === null ? 'never' : 'date',
    expiresAt: code.expiresAt,
    usageLimit: code.usageLimit === null ? '' : String(code.usageLimit),
    usageLimitDelay:
      code.usageLimitDelaySeconds === null ? '' : formatDuration(code.usageLimitDelaySeconds),
    action: code.action,
    target: code[TARGET_FIELD[code.action]] ?? '',
  };
}

/** A new code, with the defaults of no action yet: choosing one swaps in its own. */
export function blankDraft(code: string): EditorDraft {
  return {
    description: '',
    code,
    expiry: ACTION_DEFAULTS.none.expiry,
    expiresAt: null,
    usageLimit: ACTION_DEFAULTS.none.usageLimit,
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
  return {
    description: text(EDITOR_BLOCKS.description),
    code: text(EDITOR_BLOCKS.code),
    ...expiryIn(element(EDITOR_BLOCKS.expiresAt), element(EDITOR_BLOCKS.expiresOn)),
    usageLimit: text(EDITOR_BLOCKS.usageLimit),
    usageLimitDelay: text(EDITOR_BLOCKS.usageLimitDelay),
    action,
    // Each action's field has a block of its own, so a field typed for another action is not carried over.
    target: action ? text(targetBlockId(action)) : '',
  };
}

function expiryIn(
  choice: ElementState | undefined,
  picker: ElementState | undefined,
): Pick<EditorDraft, 'expiry' | 'expiresAt' | 'pickerOnly'> {
  const instant = (state: ElementState | undefined) =>
    typeof state?.selected_date_time === 'number' ? state.selected_date_time * 1000 : null;
  // An editor opened before the presets: an empty picker meant "never".
  if (choice?.type === 'datetimepicker') {
    const expiresAt = instant(choice);
    return { expiry: expiresAt === null ? 'never' : 'date', expiresAt, pickerOnly: true };
  }
  const chosen = choice?.selected_option?.value;
  const expiry = EXPIRY_CHOICES.includes(chosen as ExpiryChoice) ? (chosen as ExpiryChoice) : null;
  return { expiry, expiresAt: instant(picker) };
}

export const DELAY_MESSAGE = 'a duration like 30m, 12h or 7d, from 1 minute to 365 days';
export const EXPIRY_MESSAGES = {
  none: 'Choose when the code stops working.',
  noDate: 'Choose a date and time in the future, or another choice above.',
} as const;
/** The rules' messages that name API values; the editor says them in its own words. */
export const ACTION_MESSAGE = 'Choose what a device gets with this code.';
export const TARGET_REQUIRED = 'Required for this action.';

/**
 * The draft as the API's input: every field sent (empty clears it), so the same rules as the
 * API's decide. Text the rules cannot take as a value (a delay like "soon") is an error here.
 */
export function inputOf(
  draft: EditorDraft,
  current: InstallCode | null,
  now: number,
): { input: CodeInput; fields: FieldErrors } {
  const fields: FieldErrors = {};
  if (draft.expiry === null) fields.expiresAt = EXPIRY_MESSAGES.none;
  else if (draft.expiry === 'date' && draft.expiresAt === null) {
    fields.expiresAt = EXPIRY_MESSAGES.noDate;
  }
  const delayText = draft.usageLimitDelay.trim();
  const delayMs = delayText ? parseDuration(delayText) : null;
  if (delayText && delayMs === null) fields.usageLimitDelaySeconds = DELAY_MESSAGE;
  const limitText = draft.usageLimit.trim();
  const input: CodeInput = {
    description: draft.description.trim() || null,
    code: draft.code.trim(),
    expiresAt: expiryOf(draft, current, now),
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
function expiryOf(draft: EditorDraft, current: InstallCode | null, now: number): string | null {
  const days = draft.expiry ? PRESET_DAYS[draft.expiry] : undefined;
  if (days !== undefined) return new Date(now + days * DAY_MS).toISOString();
  if (draft.expiry !== 'date' || draft.expiresAt === null) return null;
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
      return draft.expiry === 'date' && !draft.pickerOnly
        ? EDITOR_BLOCKS.expiresOn
        : EDITOR_BLOCKS.expiresAt;
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

/**
 * A rule's message as the editor shows it: the rules speak the API's words where a value is an
 * API name (an action's ID); the editor has its own for those.
 */
export function editorMessage(field: string, message: string): string {
  if (field === 'action') return ACTION_MESSAGE;
  if (message.startsWith('required for action')) return TARGET_REQUIRED;
  return message;
}

export function encodeContext(context: EditorContext): string {
  return JSON.stringify(context);
}

const seenSchema = z.object({
  code: z.string(),
  description: z.string().nullable(),
  expiresAt: z.number().nullable(),
  usageLimit: z.number().nullable(),
  usageLimitDelaySeconds: z.number().nullable(),
  action: z.enum(CODE_ACTIONS),
  usernamePrefix: z.string().nullable(),
  accountId: z.string().nullable(),
  deviceId: z.string().nullable(),
  // Saved by editors opened before codes could be disabled: those were enabled.
  enabled: z.boolean().default(true),
});

/** The settings part of a code, as `seen` keeps them. */
export function settingsOf(code: CodeSettings): CodeSettings {
  return seenSchema.parse(code);
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
    ...(parsed.defaultsOf === null || CODE_ACTIONS.includes(parsed.defaultsOf as CodeAction)
      ? { defaultsOf: parsed.defaultsOf as CodeAction | null }
      : {}),
    // Only for the notice of a conflict: an unreadable one is left out, not an error.
    ...(seenSchema.safeParse(parsed.seen).success ? { seen: parsed.seen as CodeSettings } : {}),
    ...(typeof parsed.renameWarned === 'string' ? { renameWarned: parsed.renameWarned } : {}),
  };
}
