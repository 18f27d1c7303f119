import { describe, expect, it } from 'vitest';
import {
  extendedLimits,
  limitEndsAt,
  limitReachedAfterChange,
  removalAt,
  statusAt,
  usableUntil,
} from '../../src/codes/lifetime.js';

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const RETENTION = 7 * DAY;

type Lifetime = Parameters<typeof statusAt>[0];

function code(fields: Partial<Lifetime> = {}): Lifetime {
  return {
    expiresAt: null,
    usageLimit: null,
    usageLimitDelaySeconds: null,
    timesUsed: 0,
    limitReachedAt: null,
    ...fields,
  };
}

describe('statusAt', () => {
  it('is active when nothing limits the code', () => {
    expect(statusAt(code(), T0)).toBe('active');
    expect(statusAt(code({ timesUsed: 1_000_000 }), T0 + 1000 * DAY)).toBe('active');
  });

  describe('expiry', () => {
    const expiring = code({ expiresAt: T0 + DAY });

    it('is active before expiresAt', () => {
      expect(statusAt(expiring, T0)).toBe('active');
      expect(statusAt(expiring, T0 + DAY - 1)).toBe('active');
    });

    it('is expired at expiresAt exactly', () => {
      expect(statusAt(expiring, T0 + DAY)).toBe('expired');
    });

    it('is expired after expiresAt', () => {
      expect(statusAt(expiring, T0 + 2 * DAY)).toBe('expired');
    });
  });

  describe('usage limit', () => {
    it('is active while the count is below the limit', () => {
      expect(statusAt(code({ usageLimit: 5, timesUsed: 4 }), T0)).toBe('active');
    });

    it('is used up at once when a hard limit is reached', () => {
      const hard = code({ usageLimit: 5, timesUsed: 5, limitReachedAt: T0 });
      expect(statusAt(hard, T0)).toBe('used_up');
      expect(statusAt(hard, T0 + DAY)).toBe('used_up');
    });

    it('is in grace inside the delay after the limit is reached', () => {
      const soft = code({
        usageLimit: 5,
        usageLimitDelaySeconds: 600,
        timesUsed: 5,
        limitReachedAt: T0,
      });
      expect(statusAt(soft, T0)).toBe('grace');
      expect(statusAt(soft, T0 + 10 * MINUTE - 1)).toBe('grace');
    });

    it('is used up once the delay is over', () => {
      const soft = code({
        usageLimit: 5,
        usageLimitDelaySeconds: 600,
        timesUsed: 6,
        limitReachedAt: T0,
      });
      expect(statusAt(soft, T0 + 10 * MINUTE)).toBe('used_up');
      expect(statusAt(soft, T0 + DAY)).toBe('used_up');
    });
  });

  describe('when both expiry and limit apply', () => {
    it('is active while neither has ended', () => {
      expect(statusAt(code({ expiresAt: T0 + DAY, usageLimit: 5, timesUsed: 2 }), T0)).toBe(
        'active',
      );
    });

    it('is expired when the code expires before the limit is reached', () => {
      const c = code({ expiresAt: T0 + HOUR, usageLimit: 5, timesUsed: 2 });
      expect(statusAt(c, T0 + HOUR)).toBe('expired');
    });

    it('stays used up after a later expiry passes, when the limit ended it first', () => {
      const c = code({ expiresAt: T0 + DAY, usageLimit: 5, timesUsed: 5, limitReachedAt: T0 });
      expect(statusAt(c, T0 + HOUR)).toBe('used_up');
      expect(statusAt(c, T0 + DAY)).toBe('used_up');
      expect(statusAt(c, T0 + 2 * DAY)).toBe('used_up');
    });

    it('is in grace before a later expiry, and used up after the delay', () => {
      const c = code({
        expiresAt: T0 + DAY,
        usageLimit: 5,
        usageLimitDelaySeconds: 3600,
        timesUsed: 5,
        limitReachedAt: T0,
      });
      expect(statusAt(c, T0 + 30 * MINUTE)).toBe('grace');
      expect(statusAt(c, T0 + HOUR)).toBe('used_up');
      expect(statusAt(c, T0 + DAY)).toBe('used_up');
    });

    it('is expired when expiry cuts the grace short', () => {
      const c = code({
        expiresAt: T0 + 30 * MINUTE,
        usageLimit: 5,
        usageLimitDelaySeconds: 3600,
        timesUsed: 5,
        limitReachedAt: T0,
      });
      expect(statusAt(c, T0 + 10 * MINUTE)).toBe('grace');
      expect(statusAt(c, T0 + 30 * MINUTE)).toBe('expired');
      expect(statusAt(c, T0 + 2 * HOUR)).toBe('expired');
    });

    it('is unusable when a hard limit is reached at the very instant the code expires', () => {
      const c = code({ expiresAt: T0, usageLimit: 1, timesUsed: 1, limitReachedAt: T0 });
      expect(['expired', 'used_up']).toContain(statusAt(c, T0));
    });
  });
});

describe('limitEndsAt', () => {
  it('is null while the limit is not reached', () => {
    expect(limitEndsAt(code({ usageLimit: 5, timesUsed: 3 }))).toBeNull();
  });

  it('is the instant the limit was reached for a hard limit', () => {
    expect(limitEndsAt(code({ usageLimit: 5, timesUsed: 5, limitReachedAt: T0 }))).toBe(T0);
  });

  it('adds the delay for a soft limit', () => {
    const c = code({
      usageLimit: 5,
      usageLimitDelaySeconds: 90,
      timesUsed: 5,
      limitReachedAt: T0,
    });
    expect(limitEndsAt(c)).toBe(T0 + 90_000);
  });
});

describe('usableUntil', () => {
  it('is null for an open-ended code', () => {
    expect(usableUntil(code())).toBeNull();
    expect(usableUntil(code({ usageLimit: 5, timesUsed: 4 }))).toBeNull();
    expect(usableUntil(code({ usageLimit: 5, usageLimitDelaySeconds: 600 }))).toBeNull();
  });

  it('is expiresAt when only expiry applies', () => {
    expect(usableUntil(code({ expiresAt: T0 + DAY }))).toBe(T0 + DAY);
  });

  it('is when the limit was reached, for a hard limit', () => {
    expect(usableUntil(code({ usageLimit: 3, timesUsed: 3, limitReachedAt: T0 }))).toBe(T0);
  });

  it('is when the limit was reached plus the delay, for a soft limit', () => {
    const c = code({
      usageLimit: 3,
      usageLimitDelaySeconds: 3600,
      timesUsed: 3,
      limitReachedAt: T0,
    });
    expect(usableUntil(c)).toBe(T0 + HOUR);
  });

  it('is the earlier of expiry and the end of the limit', () => {
    const limitFirst = code({
      expiresAt: T0 + DAY,
      usageLimit: 3,
      usageLimitDelaySeconds: 3600,
      timesUsed: 3,
      limitReachedAt: T0,
    });
    expect(usableUntil(limitFirst)).toBe(T0 + HOUR);
    const expiryFirst = { ...limitFirst, expiresAt: T0 + MINUTE };
    expect(usableUntil(expiryFirst)).toBe(T0 + MINUTE);
  });

  it('is consistent with statusAt: usable just before, unusable at it', () => {
    const cases = [
      code({ expiresAt: T0 + DAY }),
      code({ usageLimit: 2, timesUsed: 2, limitReachedAt: T0, usageLimitDelaySeconds: 60 }),
      code({
        expiresAt: T0 + 30 * MINUTE,
        usageLimit: 2,
        timesUsed: 2,
        limitReachedAt: T0,
        usageLimitDelaySeconds: 3600,
      }),
    ];
    for (const c of cases) {
      const until = usableUntil(c);
      expect(until).not.toBeNull();
      expect(['active', 'grace']).toContain(statusAt(c, (until as number) - 1));
      expect(['used_up', 'expired']).toContain(statusAt(c, until as number));
    }
  });
});

describe('removalAt', () => {
  it('is null when the code is open-ended', () => {
    expect(removalAt(code(), RETENTION)).toBeNull();
    expect(removalAt(code({ usageLimit: 10, timesUsed: 9 }), RETENTION)).toBeNull();
  });

  it('is expiry plus retention', () => {
    expect(removalAt(code({ expiresAt: T0 + DAY }), RETENTION)).toBe(T0 + DAY + RETENTION);
  });

  it('is the end of the limit plus retention', () => {
    const c = code({
      usageLimit: 1,
      usageLimitDelaySeconds: 120,
      timesUsed: 1,
      limitReachedAt: T0,
    });
    expect(removalAt(c, RETENTION)).toBe(T0 + 2 * MINUTE + RETENTION);
  });

  it('counts from the earlier of expiry and the limit', () => {
    const c = code({ expiresAt: T0 + DAY, usageLimit: 1, timesUsed: 1, limitReachedAt: T0 });
    expect(removalAt(c, RETENTION)).toBe(T0 + RETENTION);
  });

  it('follows the retention it is given', () => {
    const c = code({ expiresAt: T0 });
    expect(removalAt(c, HOUR)).toBe(T0 + HOUR);
    expect(removalAt(c, 0)).toBe(T0);
  });
});

describe('limitReachedAfterChange', () => {
  it('stays null while there is no limit', () => {
    expect(limitReachedAfterChange(code({ timesUsed: 100 }), T0)).toBeNull();
  });

  it('stays null while the count is below the limit', () => {
    expect(limitReachedAfterChange(code({ usageLimit: 5, timesUsed: 4 }), T0)).toBeNull();
  });

  it('is set to now when the count reaches the limit', () => {
    expect(limitReachedAfterChange(code({ usageLimit: 5, timesUsed: 5 }), T0)).toBe(T0);
  });

  it('is set to now when the limit is lowered to or below the count', () => {
    expect(limitReachedAfterChange(code({ usageLimit: 3, timesUsed: 5 }), T0)).toBe(T0);
  });

  it('keeps the first instant once set (not moved by later uses or edits)', () => {
    const reached = code({ usageLimit: 5, timesUsed: 6, limitReachedAt: T0 });
    expect(limitReachedAfterChange(reached, T0 + HOUR)).toBe(T0);
    const lowered = { ...reached, usageLimit: 2 };
    expect(limitReachedAfterChange(lowered, T0 + DAY)).toBe(T0);
  });

  it('is cleared when the limit is raised above the count', () => {
    const raised = code({ usageLimit: 10, timesUsed: 5, limitReachedAt: T0 });
    expect(limitReachedAfterChange(raised, T0 + HOUR)).toBeNull();
  });

  it('is kept when the limit is raised only to the count', () => {
    const same = code({ usageLimit: 6, timesUsed: 6, limitReachedAt: T0 });
    expect(limitReachedAfterChange(same, T0 + HOUR)).toBe(T0);
  });

  it('is cleared when the limit is removed', () => {
    const removed = code({ usageLimit: null, timesUsed: 5, limitReachedAt: T0 });
    expect(limitReachedAfterChange(removed, T0 + HOUR)).toBeNull();
  });

  it('is set afresh at the new instant when reached again after being cleared', () => {
    const raised = code({ usageLimit: 10, timesUsed: 5, limitReachedAt: T0 });
    const cleared = { ...raised, limitReachedAt: limitReachedAfterChange(raised, T0 + HOUR) };
    const usedAgain = { ...cleared, timesUsed: 10 };
    expect(limitReachedAfterChange(usedAgain, T0 + DAY)).toBe(T0 + DAY);
  });

  it('makes a raised limit usable again', () => {
    const raised = code({ usageLimit: 10, timesUsed: 5, limitReachedAt: T0 });
    const after = { ...raised, limitReachedAt: limitReachedAfterChange(raised, T0 + HOUR) };
    expect(statusAt(after, T0 + HOUR)).toBe('active');
  });
});

describe('statusAt of a disabled code', () => {
  it('is disabled while it could be used otherwise (active or in its delay)', () => {
    expect(statusAt(code({ enabled: false }), T0)).toBe('disabled');
    const inDelay = code({
      enabled: false,
      usageLimit: 1,
      usageLimitDelaySeconds: 3600,
      timesUsed: 1,
      limitReachedAt: T0,
    });
    expect(statusAt(inDelay, T0 + MINUTE)).toBe('disabled');
    expect(statusAt({ ...inDelay, enabled: true }, T0 + MINUTE)).toBe('grace');
  });

  it('stays expired or used up: those say more than disabled', () => {
    expect(statusAt(code({ enabled: false, expiresAt: T0 }), T0)).toBe('expired');
    const usedUp = code({ enabled: false, usageLimit: 1, timesUsed: 1, limitReachedAt: T0 });
    expect(statusAt(usedUp, T0)).toBe('used_up');
  });

  it('changes neither when it stops being usable nor when Redis removes it', () => {
    const dated = code({ expiresAt: T0 + DAY });
    const disabled = code({ expiresAt: T0 + DAY, enabled: false });
    expect(removalAt(disabled, RETENTION)).toBe(removalAt(dated, RETENTION));
    expect(usableUntil(disabled)).toBe(T0 + DAY);
  });
});

describe('extendedLimits', () => {
  it('adds days to an expiry still ahead', () => {
    expect(extendedLimits({ expiresAt: T0 + DAY, usageLimit: 3 }, { days: 7 }, T0)).toEqual({
      expiresAt: T0 + 8 * DAY,
      usageLimit: 3,
    });
  });

  it('counts days from now once the expiry has passed', () => {
    expect(extendedLimits({ expiresAt: T0 - DAY, usageLimit: null }, { days: 30 }, T0)).toEqual({
      expiresAt: T0 + 30 * DAY,
      usageLimit: null,
    });
  });

  it('adds uses to the limit', () => {
    expect(extendedLimits({ expiresAt: null, usageLimit: 5 }, { uses: 10 }, T0)).toEqual({
      expiresAt: null,
      usageLimit: 15,
    });
  });

  it('has nothing to extend on a code that never expires or has no limit', () => {
    expect(extendedLimits({ expiresAt: null, usageLimit: 5 }, { days: 7 }, T0)).toBeNull();
    expect(extendedLimits({ expiresAt: T0 + DAY, usageLimit: null }, { uses: 10 }, T0)).toBeNull();
  });
});
