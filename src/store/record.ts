import { CODE_ACTIONS, type CodeAction, type InstallCode } from '../codes/model.js';

/** A code's Redis hash: one field a value, absent when empty. */
export type RecordHash = Record<string, string>;

const NUMBER_FIELDS = [
  'expiresAt',
  'usageLimit',
  'usageLimitDelaySeconds',
  'timesUsed',
  'lastUsedAt',
  'limitReachedAt',
  'createdAt',
  'updatedAt',
  'version',
] as const;
const TEXT_FIELDS = ['description', 'usernamePrefix', 'accountId', 'deviceId'] as const;

export function toHash(code: Omit<InstallCode, 'id'>): RecordHash {
  const hash: RecordHash = {};
  for (const [name, value] of Object.entries(code)) {
    if (value !== null && value !== undefined) hash[name] = String(value);
  }
  return hash;
}

/** The fields that the hash holds no value for: an update deletes them. */
export function emptyFields(code: Omit<InstallCode, 'id'>): string[] {
  return Object.entries(code)
    .filter(([, value]) => value === null)
    .map(([name]) => name);
}

export function fromHash(id: string, hash: RecordHash): InstallCode | null {
  if (!hash.code || !CODE_ACTIONS.includes(hash.action as CodeAction)) return null;
  const numbers = Object.fromEntries(
    NUMBER_FIELDS.map((name) => [name, hash[name] === undefined ? null : Number(hash[name])]),
  ) as Record<(typeof NUMBER_FIELDS)[number], number | null>;
  const texts = Object.fromEntries(TEXT_FIELDS.map((name) => [name, hash[name] ?? null])) as Record<
    (typeof TEXT_FIELDS)[number],
    string | null
  >;
  return {
    id,
    code: hash.code,
    action: hash.action as CodeAction,
    ...texts,
    ...numbers,
    timesUsed: numbers.timesUsed ?? 0,
    createdAt: numbers.createdAt ?? 0,
    updatedAt: numbers.updatedAt ?? 0,
    version: numbers.version ?? 1,
    createdBy: hash.createdBy ?? '',
    updatedBy: hash.updatedBy ?? '',
  };
}
