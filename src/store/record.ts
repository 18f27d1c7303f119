import { CODE_ACTIONS, type CodeAction, type InstallCode } from '../codes/model.js';

/** A code's Redis hash: one field a value, absent when empty. */
export type RecordHash = Record<string, string>;

type StoredFields = Omit<InstallCode, 'id'>;

/**
 * The hash's field names. Short, because every code pays for them: in a small hash the names
 * are most of the bytes. The Lua scripts use the same names (interpolated from here).
 */
export const FIELD = {
  code: 'c',
  description: 'd',
  expiresAt: 'e',
  usageLimit: 'l',
  usageLimitDelaySeconds: 'g',
  action: 'a',
  usernamePrefix: 'p',
  accountId: 'ac',
  deviceId: 'dv',
  enabled: 'x',
  timesUsed: 'n',
  lastUsedAt: 'lu',
  lastRefusedAt: 'lx',
  limitReachedAt: 'lr',
  createdAt: 'ca',
  createdBy: 'cb',
  updatedAt: 'ua',
  updatedBy: 'ub',
  version: 'v',
} as const satisfies Record<keyof StoredFields, string>;

/** Actions are stored as one letter, for the same reason. */
export const ACTION_LETTER = {
  create_account_and_device: 'A',
  create_device: 'D',
  use_existing_device: 'E',
} as const satisfies Record<CodeAction, string>;

export function actionOfLetter(letter: string | undefined): CodeAction | null {
  return CODE_ACTIONS.find((action) => ACTION_LETTER[action] === letter) ?? null;
}

/**
 * The hash of a code, and the fields it leaves out (which an update deletes). Empty values are
 * left out, and so are values that can be derived: no uses yet, never updated since created.
 */
export function toHash(code: StoredFields): { hash: RecordHash; absent: string[] } {
  const derivable: Partial<Record<keyof StoredFields, boolean>> = {
    timesUsed: code.timesUsed === 0,
    updatedAt: code.updatedAt === code.createdAt,
    updatedBy: code.updatedBy === code.createdBy,
  };
  const hash: RecordHash = {};
  const absent: string[] = [];
  for (const name of Object.keys(FIELD) as (keyof StoredFields)[]) {
    const value = storedValue(code, name);
    if (value === null || derivable[name]) absent.push(FIELD[name]);
    else hash[FIELD[name]] = String(value);
  }
  return { hash, absent };
}

/** The action as its letter; `enabled` as '0' when disabled and absent when enabled (the default). */
function storedValue(code: StoredFields, name: keyof StoredFields): string | number | null {
  if (name === 'action') return ACTION_LETTER[code.action];
  if (name === 'enabled') return code.enabled ? null : DISABLED;
  return code[name];
}

/** The stored value of `enabled` for a disabled code; the Lua scripts compare with it. */
export const DISABLED = '0';

export function fromHash(id: string, hash: RecordHash): InstallCode | null {
  const code = hash[FIELD.code];
  const action = actionOfLetter(hash[FIELD.action]);
  if (!code || !action) return null;
  // Field by field, not through the field lists: lists read hundreds of records a page.
  const number = (field: string) => (hash[field] === undefined ? null : Number(hash[field]));
  const text = (field: string) => hash[field] ?? null;
  const createdAt = number(FIELD.createdAt) ?? 0;
  const createdBy = text(FIELD.createdBy) ?? '';
  return {
    id,
    code,
    description: text(FIELD.description),
    expiresAt: number(FIELD.expiresAt),
    usageLimit: number(FIELD.usageLimit),
    usageLimitDelaySeconds: number(FIELD.usageLimitDelaySeconds),
    action,
    usernamePrefix: text(FIELD.usernamePrefix),
    accountId: text(FIELD.accountId),
    deviceId: text(FIELD.deviceId),
    enabled: hash[FIELD.enabled] !== DISABLED,
    timesUsed: number(FIELD.timesUsed) ?? 0,
    lastUsedAt: number(FIELD.lastUsedAt),
    lastRefusedAt: number(FIELD.lastRefusedAt),
    limitReachedAt: number(FIELD.limitReachedAt),
    createdAt,
    createdBy,
    updatedAt: number(FIELD.updatedAt) ?? createdAt,
    updatedBy: text(FIELD.updatedBy) ?? createdBy,
    version: number(FIELD.version) ?? 1,
  };
}
