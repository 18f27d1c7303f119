import { z } from 'zod';
import { toIso } from '../codes/durations.js';
import { statusAt } from '../codes/lifetime.js';
import { CODE_ACTIONS, CODE_STATUSES, type InstallCode } from '../codes/model.js';
import type { HistoryEvent, SettingChange, SettingValue } from '../store/history.js';

const instant = z.iso.datetime().nullable();

/** A code as the API shows it; documents the OpenAPI too. */
export const codeViewSchema = z.object({
  id: z.string(),
  code: z.string(),
  description: z.string().nullable(),
  expiresAt: instant,
  usageLimit: z.int().nullable(),
  usageLimitDelaySeconds: z.int().nullable(),
  action: z.enum(CODE_ACTIONS),
  usernamePrefix: z.string().nullable(),
  accountId: z.string().nullable(),
  deviceId: z.string().nullable(),
  enabled: z.boolean(),
  status: z.enum(CODE_STATUSES),
  timesUsed: z.int(),
  lastUsedAt: instant,
  limitReachedAt: instant,
  createdAt: z.iso.datetime(),
  createdBy: z.string(),
  updatedAt: z.iso.datetime(),
  updatedBy: z.string(),
  version: z.int(),
});
export type CodeView = z.infer<typeof codeViewSchema>;

export function presentCode(code: InstallCode, now: number): CodeView {
  return {
    id: code.id,
    code: code.code,
    description: code.description,
    expiresAt: toIso(code.expiresAt),
    usageLimit: code.usageLimit,
    usageLimitDelaySeconds: code.usageLimitDelaySeconds,
    action: code.action,
    usernamePrefix: code.usernamePrefix,
    accountId: code.accountId,
    deviceId: code.deviceId,
    enabled: code.enabled,
    status: statusAt(code, now),
    timesUsed: code.timesUsed,
    lastUsedAt: toIso(code.lastUsedAt),
    limitReachedAt: toIso(code.limitReachedAt),
    createdAt: toIso(code.createdAt) as string,
    createdBy: code.createdBy,
    updatedAt: toIso(code.updatedAt) as string,
    updatedBy: code.updatedBy,
    version: code.version,
  };
}

export const historyViewSchema = z.object({
  events: z.array(z.looseObject({ at: z.iso.datetime(), by: z.string(), type: z.string() })),
});

export function presentHistory(events: HistoryEvent[]) {
  return {
    events: events.map((event) => ({
      ...event,
      at: toIso(event.at),
      ...(event.changes ? { changes: event.changes.map(presentChange) } : {}),
    })),
  };
}

/** Instants in JSON are ISO-8601, as everywhere in the API (the history keeps epoch ms). */
function presentChange(change: SettingChange): SettingChange {
  if (change.field !== 'expiresAt') return change;
  const iso = (value: SettingValue) => (typeof value === 'number' ? toIso(value) : value);
  return { ...change, from: iso(change.from), to: iso(change.to) };
}
