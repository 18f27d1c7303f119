import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CROCKFORD_ALPHABET, generateCode, normalizeCode } from '../../src/codes/code-text.js';
import { CodeError } from '../../src/codes/errors.js';
import {
  limitReachedAfterChange,
  removalAt,
  statusAt,
  usableUntil,
} from '../../src/codes/lifetime.js';
import {
  CODE_ACTIONS,
  type CodeSettings,
  TARGET_FIELD,
  TARGET_FIELDS,
} from '../../src/codes/model.js';
import {
  CODE_TEXT,
  type CodeInput,
  MAX_DELAY_SECONDS,
  MIN_DELAY_SECONDS,
  resolveSettings,
  validateCode,
} from '../../src/codes/rules.js';
import { parseCommand } from '../../src/slack/command-text.js';

/** Property-based checks of the pure rules: random instants, limits, counts, texts and inputs. */

const RUNS = { numRuns: 2_000 };
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** Instants from 2020 to about 2060, in epoch milliseconds. */
const instant = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2060, 0, 1) });
const delaySeconds = fc.integer({ min: MIN_DELAY_SECONDS, max: MAX_DELAY_SECONDS });
const retention = fc.integer({ min: 0, max: 30 * DAY });

type Lifetime = Parameters<typeof statusAt>[0];

/**
 * A code's lifetime fields as the service keeps them: `limitReachedAt` is set exactly when the
 * count has reached the limit, and a delay comes only with a limit. `now` is never before the
 * instant the limit was reached (both come from Redis's one clock).
 */
const lifetimeAndNow = fc
  .record({
    expiresAt: fc.option(instant),
    usageLimit: fc.option(fc.integer({ min: 1, max: 1_000 })),
    delay: fc.option(delaySeconds),
    timesUsed: fc.integer({ min: 0, max: 2_000 }),
    reachedAt: instant,
    /** How long after the reach (or after the start, when not reached) `now` is: up to two years, or a little before. */
    offset: fc.oneof(
      fc.integer({ min: 0, max: 730 * DAY }),
      fc.integer({ min: 0, max: 2 * MINUTE }),
      fc.constant(0),
    ),
    before: fc.integer({ min: 0, max: 365 * DAY }),
  })
  .map(({ expiresAt, usageLimit, delay, timesUsed, reachedAt, offset, before }) => {
    const reached = usageLimit !== null && timesUsed >= usageLimit;
    const code: Lifetime = {
      expiresAt,
      usageLimit,
      usageLimitDelaySeconds: usageLimit === null ? null : delay,
      timesUsed,
      limitReachedAt: reached ? reachedAt : null,
    };
    // Not reached: any instant around; reached: at or after the reach.
    const now = reached ? reachedAt + offset : reachedAt + offset - before;
    return { code, now };
  });

/** Also the exact edges: now at expiresAt, at the limit's end, one millisecond either side. */
const lifetimeAtEdges = lifetimeAndNow.chain(({ code }) => {
  const edges: number[] = [];
  if (code.expiresAt !== null) edges.push(code.expiresAt - 1, code.expiresAt, code.expiresAt + 1);
  if (code.limitReachedAt !== null) {
    const end = code.limitReachedAt + (code.usageLimitDelaySeconds ?? 0) * 1000;
    edges.push(end - 1, end, end + 1, code.limitReachedAt);
  }
  const usable = edges.filter((t) => code.limitReachedAt === null || t >= code.limitReachedAt);
  return usable.length
    ? fc.constantFrom(...usable).map((now) => ({ code, now }))
    : fc.constant({ code, now: code.expiresAt ?? 0 });
});

describe('lifetime', () => {
  const anyMoment = fc.oneof(lifetimeAndNow, lifetimeAtEdges);

  it('a code is active or in grace exactly while now < usableUntil', () => {
    fc.assert(
      fc.property(anyMoment, ({ code, now }) => {
        const until = usableUntil(code);
        const usable = ['active', 'grace'].includes(statusAt(code, now));
        expect(usable).toBe(until === null || now < until);
      }),
      RUNS,
    );
  });

  it('removalAt is usableUntil + retention, and none while open-ended', () => {
    fc.assert(
      fc.property(lifetimeAndNow, retention, ({ code }, keep) => {
        const until = usableUntil(code);
        expect(removalAt(code, keep)).toBe(until === null ? null : until + keep);
      }),
      RUNS,
    );
  });

  it('usableUntil is never later than expiresAt, nor than the end of the limit', () => {
    fc.assert(
      fc.property(lifetimeAndNow, ({ code }) => {
        const until = usableUntil(code);
        if (code.expiresAt !== null) {
          expect(until).not.toBeNull();
          expect(until as number).toBeLessThanOrEqual(code.expiresAt);
        }
        if (code.limitReachedAt !== null) {
          const end = code.limitReachedAt + (code.usageLimitDelaySeconds ?? 0) * 1000;
          expect(until as number).toBeLessThanOrEqual(end);
        }
        if (code.expiresAt === null && code.limitReachedAt === null) expect(until).toBeNull();
      }),
      RUNS,
    );
  });

  it('expired only at or after expiresAt; grace only with a delay, after the limit was reached', () => {
    fc.assert(
      fc.property(anyMoment, ({ code, now }) => {
        const status = statusAt(code, now);
        switch (status) {
          case 'expired':
            expect(code.expiresAt).not.toBeNull();
            expect(now).toBeGreaterThanOrEqual(code.expiresAt as number);
            break;
          case 'grace': {
            expect(code.usageLimitDelaySeconds ?? 0).toBeGreaterThan(0);
            expect(code.limitReachedAt).not.toBeNull();
            const reached = code.limitReachedAt as number;
            expect(now).toBeGreaterThanOrEqual(reached);
            expect(now).toBeLessThan(reached + (code.usageLimitDelaySeconds as number) * 1000);
            break;
          }
          case 'used_up':
            expect(code.limitReachedAt).not.toBeNull();
            expect(now).toBeGreaterThanOrEqual(
              (code.limitReachedAt as number) + (code.usageLimitDelaySeconds ?? 0) * 1000,
            );
            break;
          case 'active':
            expect(code.limitReachedAt).toBeNull();
            if (code.expiresAt !== null) expect(now).toBeLessThan(code.expiresAt);
            break;
          default:
            throw new Error(`unknown status ${status}`);
        }
      }),
      RUNS,
    );
  });

  it('a hard limit is used up the moment it is reached', () => {
    fc.assert(
      fc.property(lifetimeAndNow, ({ code, now }) => {
        fc.pre(code.limitReachedAt !== null && code.usageLimitDelaySeconds === null);
        expect(['used_up', 'expired']).toContain(statusAt(code, now));
      }),
      { numRuns: 500 },
    );
  });

  it('limitReachedAfterChange never moves a reach instant, and is null exactly below the limit', () => {
    const change = fc.record({
      usageLimit: fc.option(fc.integer({ min: 1, max: 1_000 })),
      usageLimitDelaySeconds: fc.option(delaySeconds),
      expiresAt: fc.option(instant),
      timesUsed: fc.integer({ min: 0, max: 2_000 }),
      limitReachedAt: fc.option(instant),
    });
    fc.assert(
      fc.property(change, instant, (code, now) => {
        const after = limitReachedAfterChange(code, now);
        const below = code.usageLimit === null || code.timesUsed < code.usageLimit;
        expect(after === null).toBe(below);
        if (after !== null) expect(after).toBe(code.limitReachedAt ?? now);
      }),
      RUNS,
    );
  });
});

/** Texts a person might type: code symbols mixed with case changes, dashes, underscores, spaces. */
const SEPARATORS = ['-', '_', ' ', '  ', '\t', '\u00a0'];
const codeSymbols = fc
  .array(fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'), {
    minLength: 1,
    maxLength: 40,
  })
  .map((s) => s.join(''));
/** The same code as someone might write it: any case, separators anywhere. */
const writtenAs = (symbols: string) =>
  fc
    .array(fc.tuple(fc.boolean(), fc.option(fc.constantFrom(...SEPARATORS), { nil: '' })), {
      minLength: symbols.length,
      maxLength: symbols.length,
    })
    .chain((choices) =>
      fc.constantFrom(...SEPARATORS, '').map(
        (lead) =>
          lead +
          [...symbols]
            .map((c, i) => {
              const [lower, separator] = choices[i] as [boolean, string];
              return (lower ? c.toLowerCase() : c) + separator;
            })
            .join(''),
      ),
    );

describe('code text', () => {
  it('normalizeCode is idempotent on any text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), codeSymbols), (text) => {
        const once = normalizeCode(text);
        expect(normalizeCode(once)).toBe(once);
      }),
      RUNS,
    );
  });

  it('normalizeCode ignores case, -, _ and spaces', () => {
    fc.assert(
      fc.property(
        codeSymbols.chain((s) => fc.tuple(fc.constant(s), writtenAs(s), writtenAs(s))),
        ([symbols, a, b]) => {
          expect(normalizeCode(a)).toBe(symbols);
          expect(normalizeCode(b)).toBe(normalizeCode(a));
        },
      ),
      RUNS,
    );
  });

  it('normalizeCode tells apart codes that differ in a symbol', () => {
    fc.assert(
      fc.property(codeSymbols, codeSymbols, (a, b) => {
        fc.pre(a !== b);
        expect(normalizeCode(a)).not.toBe(normalizeCode(b));
      }),
      RUNS,
    );
  });

  it('generateCode always matches XXXX-XXXX-XXXX in Crockford base32 and round-trips', () => {
    const format = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;
    fc.assert(
      fc.property(fc.integer(), () => {
        const code = generateCode();
        expect(code).toMatch(format);
        expect(CODE_TEXT.test(code)).toBe(true);
        const normal = normalizeCode(code);
        expect(normal).toHaveLength(12);
        expect([...normal].every((c) => CROCKFORD_ALPHABET.includes(c))).toBe(true);
        expect(normal).toBe(code.replaceAll('-', ''));
        // As a person might type it back: lower case, spaces instead of dashes.
        expect(normalizeCode(code.toLowerCase().replaceAll('-', ' '))).toBe(normal);
      }),
      RUNS,
    );
  });
});

const COMMAND_NAMES = ['help', 'add', 'list', 'edit', 'qr', 'share', 'delete', 'history'];

describe('parseCommand', () => {
  it('never throws and always names a known command, for any text', () => {
    const words = fc
      .array(
        fc.oneof(
          fc.constantFrom(
            'edit',
            'EDIT',
            'share',
            'qr',
            'show',
            'delete',
            'history',
            'list',
            'new',
            'create',
            'add',
            'help',
            '<#C0123|general>',
            '<#C0123>',
            '#general',
            '<@U123>',
            '',
          ),
          fc.string(),
        ),
        { maxLength: 6 },
      )
      .map((w) => w.join(' '));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), words), (text) => {
        const parsed = parseCommand(text);
        expect(COMMAND_NAMES).toContain(parsed.name);
        if ('code' in parsed && parsed.code !== null) expect(parsed.code.trim()).not.toBe('');
      }),
      RUNS,
    );
  });

  it('`edit <code>` names a code that normalises like the one typed', () => {
    const verb = fc.constantFrom('edit', 'Edit', 'EDIT');
    const space = fc.constantFrom(' ', '  ', '\t', ' \u00a0');
    fc.assert(
      fc.property(
        verb,
        space,
        space,
        codeSymbols.chain((s) => writtenAs(s)),
        (v, before, after, code) => {
          const parsed = parseCommand(`${before}${v}${before}${code}${after}`);
          expect(parsed.name).toBe('edit');
          const named = (parsed as { code: string }).code;
          expect(normalizeCode(named)).toBe(normalizeCode(code));
        },
      ),
      RUNS,
    );
  });
});

describe('resolveSettings', () => {
  const text = fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constant(''));
  const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
  const now = instant;
  const isoAround = instant.map((t) => new Date(t).toISOString());

  /** Arbitrary records of the schema's fields: any subset, each a value of its type or null. */
  const input: fc.Arbitrary<CodeInput> = fc.record(
    {
      code: fc.oneof(codeSymbols, fc.constant(generateCode())),
      description: nullable(text),
      expiresAt: nullable(isoAround),
      usageLimit: nullable(fc.integer({ min: 1, max: 1_000 })),
      usageLimitDelaySeconds: nullable(delaySeconds),
      action: fc.constantFrom(...CODE_ACTIONS),
      usernamePrefix: nullable(fc.constantFrom('acme-', 'a', 'x.y_z')),
      accountId: nullable(fc.constantFrom('acct-1', 'A@b.c')),
      deviceId: nullable(fc.constantFrom('dev-1', 'D_2')),
    },
    { requiredKeys: [] },
  );
  const current: fc.Arbitrary<CodeSettings | null> = fc.option(
    fc.record({
      code: codeSymbols,
      description: nullable(text),
      expiresAt: nullable(instant),
      usageLimit: nullable(fc.integer({ min: 1, max: 1_000 })),
      usageLimitDelaySeconds: nullable(delaySeconds),
      action: fc.constantFrom(...CODE_ACTIONS),
      usernamePrefix: nullable(fc.constantFrom('old-')),
      accountId: nullable(fc.constantFrom('old-acct')),
      deviceId: nullable(fc.constantFrom('old-dev')),
      enabled: fc.boolean(),
    }),
    { nil: null },
  );

  it('never accepts a delay without a limit, nor an action without its target', () => {
    fc.assert(
      fc.property(input, current, now, (given, before, at) => {
        const pick = <K extends keyof CodeInput & keyof CodeSettings>(name: K) =>
          given[name] === undefined ? before?.[name] : given[name];
        const limit = pick('usageLimit') ?? null;
        const delay = pick('usageLimitDelaySeconds') ?? null;
        const action = pick('action');
        let settings: CodeSettings;
        try {
          settings = resolveSettings(given, before, at);
        } catch (error) {
          // A refusal is always a CodeError naming the fields at fault.
          expect(error).toBeInstanceOf(CodeError);
          const fields = (error as CodeError).fields ?? {};
          expect(Object.keys(fields).length).toBeGreaterThan(0);
          if (delay !== null && limit === null)
            expect(fields).toHaveProperty('usageLimitDelaySeconds');
          if (action && !pick(TARGET_FIELD[action]))
            expect(fields).toHaveProperty(TARGET_FIELD[action]);
          return;
        }
        if (settings.usageLimitDelaySeconds !== null) expect(settings.usageLimit).not.toBeNull();
        expect(CODE_ACTIONS).toContain(settings.action);
        const own = TARGET_FIELD[settings.action];
        expect(settings[own]).toBeTruthy();
        for (const other of TARGET_FIELDS) if (other !== own) expect(settings[other]).toBeNull();
        // What was asked for is what was resolved.
        expect(settings.usageLimit).toBe(limit);
        expect(settings.usageLimitDelaySeconds).toBe(delay);
        // A new or changed expiry lies in the future.
        if (given.expiresAt != null && Date.parse(given.expiresAt) !== before?.expiresAt) {
          expect(settings.expiresAt as number).toBeGreaterThan(at);
        }
      }),
      { numRuns: 5_000 },
    );
  });

  it('validation of any JSON value refuses with a CodeError, never another exception', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.dictionary(
            fc.constantFrom(
              'code',
              'usageLimit',
              'usageLimitDelaySeconds',
              'action',
              'accountId',
              'x',
            ),
            fc.anything(),
          ),
        ),
        current,
        now,
        (raw, before, at) => {
          try {
            validateCode(raw, before, at);
          } catch (error) {
            expect(error).toBeInstanceOf(CodeError);
            expect((error as CodeError).kind).toBe('invalid_request');
          }
        },
      ),
      RUNS,
    );
  });
});
