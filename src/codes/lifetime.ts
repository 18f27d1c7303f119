import type { CodeStatus, InstallCode } from './model.js';

type LifetimeFields = Pick<
  InstallCode,
  'expiresAt' | 'usageLimit' | 'usageLimitDelaySeconds' | 'timesUsed' | 'limitReachedAt'
>;
/** `enabled` absent counts as enabled (records and callers from before it existed). */
type StatusFields = LifetimeFields & Partial<Pick<InstallCode, 'enabled'>>;
type Instants = Partial<
  Pick<InstallCode, 'createdAt' | 'updatedAt' | 'lastUsedAt' | 'lastRefusedAt' | 'limitReachedAt'>
>;

/**
 * A code's time: the later of the clock and the latest instant the code records. Time never runs
 * backwards for a code, so a clock that steps back neither reopens it nor lengthens its delay.
 * The redemption script computes the same (scripts/lua.ts: latestInstant).
 */
export function codeTime(code: Instants, now: number): number {
  return Math.max(
    now,
    code.createdAt ?? 0,
    code.updatedAt ?? 0,
    code.lastUsedAt ?? 0,
    code.lastRefusedAt ?? 0,
    code.limitReachedAt ?? 0,
  );
}

/** When the usage limit stops use: the instant it was reached plus the delay; null while not reached. */
export function limitEndsAt(code: LifetimeFields): number | null {
  if (code.limitReachedAt === null) return null;
  return code.limitReachedAt + (code.usageLimitDelaySeconds ?? 0) * 1000;
}

/** The instant the code stops being usable (the earlier of expiry and the limit's end); null while open-ended. */
export function usableUntil(code: LifetimeFields): number | null {
  const ends = [code.expiresAt, limitEndsAt(code)].filter((t): t is number => t !== null);
  return ends.length ? Math.min(...ends) : null;
}

/**
 * SPEC §1: disabled only while usable otherwise, so an expired or used-up code keeps saying so.
 * The redemption script refuses in the same order (scripts/redeem.ts).
 */
export function statusAt(code: StatusFields & Instants, clock: number): CodeStatus {
  const status = lifetimeStatusAt(code, clock);
  const usable = status === 'active' || status === 'grace';
  return usable && code.enabled === false ? 'disabled' : status;
}

function lifetimeStatusAt(code: LifetimeFields & Instants, clock: number): CodeStatus {
  const now = codeTime(code, clock);
  const limitEnd = limitEndsAt(code);
  if (
    code.expiresAt !== null &&
    now >= code.expiresAt &&
    (limitEnd === null || code.expiresAt <= limitEnd)
  ) {
    return 'expired';
  }
  if (limitEnd !== null) return now >= limitEnd ? 'used_up' : 'grace';
  return 'active';
}

/** The instant Redis removes the code: it stays visible for `retentionMs` after it stops being usable. */
export function removalAt(code: LifetimeFields, retentionMs: number): number | null {
  const until = usableUntil(code);
  return until === null ? null : until + retentionMs;
}

/** `limitReachedAt` after the limit or the count changed: set once when reached, cleared when raised above the count. */
export function limitReachedAfterChange(code: LifetimeFields, now: number): number | null {
  const reached = code.usageLimit !== null && code.timesUsed >= code.usageLimit;
  if (!reached) return null;
  return code.limitReachedAt ?? now;
}

/** What one press of Extend adds: days to the expiry, or uses to the limit. */
export type Extension = { days: number } | { uses: number };

const DAY_MS = 86_400_000;

/**
 * The expiry and limit after an extension, or null when there is nothing to extend (a code that
 * never expires gains no expiry, one without a limit gains none). Days count from the expiry
 * while it is ahead, else from `now`: an expired code gets the whole extension from today.
 */
export function extendedLimits(
  code: Pick<InstallCode, 'expiresAt' | 'usageLimit'>,
  extension: Extension,
  now: number,
): Pick<InstallCode, 'expiresAt' | 'usageLimit'> | null {
  if ('days' in extension) {
    if (code.expiresAt === null) return null;
    const from = Math.max(code.expiresAt, now);
    return { expiresAt: from + extension.days * DAY_MS, usageLimit: code.usageLimit };
  }
  if (code.usageLimit === null) return null;
  return { expiresAt: code.expiresAt, usageLimit: code.usageLimit + extension.uses };
}
