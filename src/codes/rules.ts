import { z } from 'zod';
import { codeName, generateCode } from './code-text.js';
import { CodeError, type FieldErrors } from './errors.js';
import {
  CODE_ACTIONS,
  type CodeAction,
  type CodeSettings,
  TARGET_FIELD,
  TARGET_FIELDS,
  type TargetField,
} from './model.js';

/** The rules of SPEC §1, one message per field; the API and the Slack modal both validate with these. */
export const CODE_TEXT = /^[A-Za-z0-9_-]{4,64}$/;
export const USERNAME_PREFIX = /^[a-z0-9._-]{1,32}$/;
export const ACCOUNT_OR_DEVICE_ID = /^[A-Za-z0-9._@-]{1,64}$/;
export const MIN_DELAY_SECONDS = 60;
export const MAX_DELAY_SECONDS = 365 * 86_400;

/**
 * What stored text may not hold: C0 and C1 controls (NUL, tab, line breaks, ESC, DEL…), bidi
 * embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), and lone surrogates. They
 * would drive a terminal reading the logs, or reorder what Slack shows around the text.
 */
const UNSAFE_TEXT = /[\p{Cc}\p{Cs}\u202A-\u202E\u2066-\u2069]/u;

export function isSafeText(text: string): boolean {
  return !UNSAFE_TEXT.test(text);
}

export const MESSAGES = {
  safeText:
    'no control characters (such as tabs, line breaks or escapes), bidirectional overrides or invalid Unicode',
  code: '4–64 letters, digits, - and _, of which at least 4 letters or digits',
  description: 'at most 200 characters',
  expiresAt: 'a date and time in ISO-8601, like 2026-12-31T23:59:00Z',
  expiresAtPast: 'a date in the future',
  usageLimit: 'a whole number, 1 or more',
  usageLimitDelaySeconds: 'a whole number of seconds (60 is 1 minute, 86400 is 1 day)',
  usageLimitDelayTooShort: 'at least 1 minute',
  usageLimitDelayTooLong: 'at most 365 days',
  delayWithoutLimit: 'only with a usage limit: set a usage limit, or leave the delay empty',
  action: `one of ${CODE_ACTIONS.join(', ')}`,
  usernamePrefix: '1–32 of a-z 0-9 . _ -',
  accountId: '1–64 of A-Z a-z 0-9 . _ @ -',
  deviceId: '1–64 of A-Z a-z 0-9 . _ @ -',
  enabled: 'true or false',
  unknownField: 'unknown field',
  unknownParameter: 'unknown parameter',
  requiredFor: (action: CodeAction) => `required for action ${action}`,
  onlyFor: (action: CodeAction) => `only used by action ${action}`,
} as const;

const text = (pattern: RegExp, message: string) =>
  z.string({ error: message }).regex(pattern, { error: message });

/** Free text that is stored and shown (descriptions, a device's name): at most `max` characters, all safe. */
export const storedText = (max: number, message = `text of at most ${max} characters`) =>
  z.string({ error: message }).max(max, message).refine(isSafeText, MESSAGES.safeText);

/** The editable fields as JSON carries them; `null` clears a field, absence keeps it. */
export const codeInputSchema = z
  .strictObject({
    // Separators never count toward a code's strength: `____a` is the one-symbol code `A`.
    code: text(CODE_TEXT, MESSAGES.code).refine((c) => codeName(c) !== null, MESSAGES.code),
    description: storedText(200, MESSAGES.description).nullable(),
    expiresAt: z.iso.datetime({ offset: true, error: MESSAGES.expiresAt }).nullable(),
    usageLimit: z
      .number({ error: MESSAGES.usageLimit })
      .int(MESSAGES.usageLimit)
      .min(1, MESSAGES.usageLimit)
      .max(Number.MAX_SAFE_INTEGER, MESSAGES.usageLimit)
      .nullable(),
    usageLimitDelaySeconds: z
      .number({ error: MESSAGES.usageLimitDelaySeconds })
      .int(MESSAGES.usageLimitDelaySeconds)
      .min(MIN_DELAY_SECONDS, MESSAGES.usageLimitDelayTooShort)
      .max(MAX_DELAY_SECONDS, MESSAGES.usageLimitDelayTooLong)
      .nullable(),
    action: z.enum(CODE_ACTIONS, { error: MESSAGES.action }),
    usernamePrefix: text(USERNAME_PREFIX, MESSAGES.usernamePrefix).nullable(),
    accountId: text(ACCOUNT_OR_DEVICE_ID, MESSAGES.accountId).nullable(),
    deviceId: text(ACCOUNT_OR_DEVICE_ID, MESSAGES.deviceId).nullable(),
    enabled: z.boolean({ error: MESSAGES.enabled }),
  })
  .partial();

export type CodeInput = z.infer<typeof codeInputSchema>;

/**
 * Zod's issues as one message per field name (`device.name` inside an object); the first issue
 * of a field wins. A Map first: a field named `__proto__` must be named, not set a prototype.
 */
export function fieldErrorsOf(
  error: z.ZodError,
  unknownMessage: string = MESSAGES.unknownField,
): FieldErrors {
  const fields = new Map<string, string>();
  const add = (path: PropertyKey[], message: string) => {
    const name = path.map(String).join('.') || 'body';
    if (!fields.has(name)) fields.set(name, message);
  };
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add([...issue.path, key], unknownMessage);
    } else {
      add(issue.path, issue.message);
    }
  }
  return Object.fromEntries(fields);
}

/** A request's body as `schema` reads it, or invalid_request naming each field that is not. */
export function parseRequest<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new CodeError(
      'invalid_request',
      'The request is not valid.',
      fieldErrorsOf(parsed.error),
    );
  }
  return parsed.data;
}

/** The input's shape alone, checked: each field's type and format, and no unknown fields. */
export function parseCodeInput(raw: unknown): CodeInput {
  const parsed = codeInputSchema.safeParse(raw);
  if (!parsed.success) throw invalid(fieldErrorsOf(parsed.error));
  return parsed.data;
}

/**
 * The settings that `raw` asks for, over `current` (null when creating), checked as a whole
 * against one reading of the clock. A refusal names every problem at once: the shape's, the
 * rules' across the fields that are well-formed, and `knownErrors` (fields an adapter could not
 * even read, such as a date a form could not parse).
 */
export function validateCode(
  raw: unknown,
  current: CodeSettings | null,
  now: number,
  knownErrors: FieldErrors = {},
): CodeSettings {
  const parsed = codeInputSchema.safeParse(raw);
  if (!parsed.success) {
    const shape = fieldErrorsOf(parsed.error);
    const rules = ruleErrorsOf(withoutFields(raw, shape), current, now);
    throw invalid({ ...rules, ...shape, ...knownErrors });
  }
  try {
    const settings = resolveSettings(parsed.data, current, now);
    if (Object.keys(knownErrors).length) throw invalid(knownErrors);
    return settings;
  } catch (error) {
    if (error instanceof CodeError) throw invalid({ ...error.fields, ...knownErrors });
    throw error;
  }
}

function withoutFields(raw: unknown, fields: FieldErrors): unknown {
  if (typeof raw !== 'object' || raw === null) return {};
  return Object.fromEntries(Object.entries(raw).filter(([name]) => !(name in fields)));
}

/** The rule errors of input that is well-formed in itself. */
function ruleErrorsOf(raw: unknown, current: CodeSettings | null, now: number): FieldErrors {
  const parsed = codeInputSchema.safeParse(raw);
  if (!parsed.success) return {};
  try {
    resolveSettings(parsed.data, current, now);
    return {};
  } catch (error) {
    return error instanceof CodeError ? (error.fields ?? {}) : {};
  }
}

function invalid(fields: FieldErrors): CodeError {
  return new CodeError('invalid_request', 'Some fields are not valid.', fields);
}

/**
 * The settings after applying `input` over `current` (none when creating), checked as a whole:
 * expiry in the future when set or changed, a delay only with a limit, the action's one field.
 */
export function resolveSettings(
  input: CodeInput,
  current: CodeSettings | null,
  now: number,
): CodeSettings {
  const fields: FieldErrors = {};
  const pick = <K extends keyof CodeInput>(name: K) =>
    input[name] === undefined ? current?.[name] : input[name];

  const expiresAt = pick('expiresAt');
  const expiresAtMs = typeof expiresAt === 'string' ? Date.parse(expiresAt) : (expiresAt ?? null);
  const expiryChanged = input.expiresAt != null && expiresAtMs !== current?.expiresAt;
  if (expiryChanged && expiresAtMs !== null && expiresAtMs <= now) {
    fields.expiresAt = MESSAGES.expiresAtPast;
  }

  const usageLimit = pick('usageLimit') ?? null;
  const usageLimitDelaySeconds = pick('usageLimitDelaySeconds') ?? null;
  if (usageLimitDelaySeconds !== null && usageLimit === null) {
    fields.usageLimitDelaySeconds = MESSAGES.delayWithoutLimit;
  }

  const action = pick('action');
  if (!action) fields.action = MESSAGES.action;
  const targets = action ? resolveTarget(input, current, action, fields) : null;

  if (Object.keys(fields).length || !action || !targets) throw invalid(fields);
  return {
    code: pick('code') ?? generateCode(),
    description: pick('description') || null,
    expiresAt: expiresAtMs,
    usageLimit,
    usageLimitDelaySeconds,
    action,
    ...targets,
    enabled: pick('enabled') ?? true,
  };
}

/** The action's own field must be set; the other actions' fields must not be sent, and are cleared. */
function resolveTarget(
  input: CodeInput,
  current: CodeSettings | null,
  action: CodeAction,
  fields: FieldErrors,
): Record<TargetField, string | null> {
  const own = TARGET_FIELD[action];
  const targets = { usernamePrefix: null, accountId: null, deviceId: null } as Record<
    TargetField,
    string | null
  >;
  for (const name of TARGET_FIELDS) {
    if (name !== own && input[name] != null) {
      const owner = CODE_ACTIONS.find((a) => TARGET_FIELD[a] === name) as CodeAction;
      fields[name] = MESSAGES.onlyFor(owner);
    }
  }
  const value = input[own] === undefined ? current?.[own] : input[own];
  if (value) targets[own] = value;
  else fields[own] = MESSAGES.requiredFor(action);
  return targets;
}
