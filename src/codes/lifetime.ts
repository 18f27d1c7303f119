import type { CodeStatus, InstallCode } from './model.js';

type LifetimeFields = Pick<
  InstallCode,
  'expiresAt' | 'usageLimit' | 'usageLimitDelaySeconds' | 'timesUsed' | 'limitReachedAt'
>;
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

export function statusAt(code: LifetimeFields & Instants, clock: number): CodeStatus {
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
