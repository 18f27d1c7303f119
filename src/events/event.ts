import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { codeViewSchema, presentCode } from '../api/present.js';
import { toIso } from '../codes/durations.js';
import { type OutboxEntry, recordOf } from '../store/outbox.js';
import { fromHash } from '../store/record.js';

/** Every event type, as the stream and the webhook name it. */
export const EVENT_TYPES = [
  'code.created',
  'code.updated',
  'code.renamed',
  'code.disabled',
  'code.enabled',
  'code.extended',
  'code.removed',
  'code.expired',
  'code.redeemed',
  'code.redemption_withdrawn',
] as const;

const settingValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** An event as consumers get it (README: "Events"); documents it too. */
export const eventSchema = z.object({
  /** Unique: a consumer deduplicates by it (delivery is at least once). */
  id: z.string(),
  type: z.enum(EVENT_TYPES),
  at: z.iso.datetime(),
  /** A Slack user ID, `api`, `device` (a redemption) or `time` (an expiry). */
  by: z.string(),
  /** The code as it stood right after the event (before it, for code.removed); its status at `at`. */
  code: codeViewSchema,
  /** For changes: each setting that changed, old → new. */
  changes: z
    .array(z.object({ field: z.string(), from: settingValue, to: settingValue }))
    .optional(),
  /** For code.redeemed: what the redemption created or installed, and what the device said of itself. */
  redemption: z
    .object({
      accountId: z.string().nullable(),
      deviceId: z.string(),
      device: z.object({
        name: z.string().optional(),
        model: z.string().optional(),
        serial: z.string().optional(),
      }),
    })
    .optional(),
  /** For code.redemption_withdrawn: the code.redeemed event that no longer holds (its device got a 503). */
  withdrawnEventId: z.string().optional(),
});
export type InstallcodeEvent = z.infer<typeof eventSchema>;

/**
 * The event an outbox entry tells, for the code with record ID `id`; null for an entry that holds
 * no record (every script writes one, so only a damaged entry).
 */
export function eventOf(id: string, entry: OutboxEntry): InstallcodeEvent | null {
  const code = fromHash(id, recordOf(entry));
  if (!code) return null;
  const event: InstallcodeEvent = {
    id: entry.id,
    type: `code.${entry.type}` as InstallcodeEvent['type'],
    at: toIso(entry.at) as string,
    by: entry.by,
    code: presentCode(code, entry.at),
  };
  if (Array.isArray(entry.changes) && entry.changes.length > 0) {
    event.changes = entry.changes as InstallcodeEvent['changes'];
  }
  if (entry.type === 'redeemed') {
    event.redemption = {
      accountId: (entry.accountId as string | null) ?? null,
      deviceId: entry.deviceId as string,
      device: (entry.device as Record<string, string>) ?? {},
    };
  }
  if (entry.type === 'redemption_withdrawn') {
    event.withdrawnEventId = entry.redemptionEventId as string;
  }
  return event;
}

/**
 * `Installcode-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`, as Stripe signs:
 * the time inside the signature lets a receiver refuse a replay of an old delivery.
 */
export function signatureOf(body: string, secret: string, unixSeconds: number): string {
  const digest = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${digest}`;
}
