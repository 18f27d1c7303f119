import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeCode } from '../../src/codes/code-text.js';
import { CodeError } from '../../src/codes/errors.js';
import {
  CODE_ACTIONS,
  type CodeAction,
  type CodeSettings,
  TARGET_FIELD,
  TARGET_FIELDS,
} from '../../src/codes/model.js';
import {
  type CodeInput,
  MESSAGES,
  parseCodeInput,
  resolveSettings,
  validateCode,
} from '../../src/codes/rules.js';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const FUTURE = '2026-02-01T00:00:00Z';
const FUTURE_MS = Date.parse(FUTURE);
const PAST = '2026-01-01T00:00:00Z';
const PAST_MS = Date.parse(PAST);
const GENERATED = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

/** The field errors of the CodeError that `run` throws; fails the test when it does not throw one. */
function fieldErrors(run: () => unknown): Record<string, string> {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'expected a CodeError').toBeInstanceOf(CodeError);
  const error = thrown as CodeError;
  expect(error.kind).toBe('invalid_request');
  expect(error.fields).toBeDefined();
  const fields = error.fields ?? {};
  for (const message of Object.values(fields)) {
    expect(typeof message).toBe('string');
    expect(message.length).toBeGreaterThan(0);
  }
  return fields;
}

function rejectedFields(raw: unknown): Record<string, string> {
  return fieldErrors(() => parseCodeInput(raw));
}

const targetFor = {
  usernamePrefix: 'acme-',
  accountId: 'acct-42',
  deviceId: 'dev_123',
} as const;

function validCreate(action: CodeAction = 'create_account_and_device'): CodeInput {
  const field = TARGET_FIELD[action];
  return { action, [field]: targetFor[field] };
}

const current: CodeSettings = {
  code: 'ACME-ROLLOUT',
  description: 'Acme rollout',
  expiresAt: Date.parse('2026-03-01T00:00:00Z'),
  usageLimit: 50,
  usageLimitDelaySeconds: 3600,
  action: 'create_account_and_device',
  usernamePrefix: 'acme-',
  accountId: null,
  deviceId: null,
  enabled: true,
};

describe('parseCodeInput', () => {
  it('accepts a complete valid body as it is', () => {
    const body = {
      code: 'Acme_Rollout-2026',
      description: 'Acme rollout',
      expiresAt: FUTURE,
      usageLimit: 50,
      usageLimitDelaySeconds: 3600,
      action: 'create_account_and_device',
      usernamePrefix: 'acme-',
    };
    expect(parseCodeInput(body)).toEqual(body);
  });

  it('accepts an empty body (every field is optional at this stage)', () => {
    expect(parseCodeInput({})).toEqual({});
  });

  it('accepts null for the clearable fields', () => {
    const body = {
      description: null,
      expiresAt: null,
      usageLimit: null,
      usageLimitDelaySeconds: null,
      usernamePrefix: null,
      accountId: null,
      deviceId: null,
    };
    expect(parseCodeInput(body)).toEqual(body);
  });

  it('refuses a body that is not an object', () => {
    for (const raw of ['code', 42, null, [], true]) {
      expect(Object.keys(rejectedFields(raw)).length).toBeGreaterThan(0);
    }
  });

  describe('code', () => {
    it.each(['abcd', 'ABCD', '1234', 'a-b_c-d', 'Ab9-_xYz', 'ABCD-EFGH-JKMN', 'x'.repeat(64)])(
      'accepts %s',
      (code) => {
        expect(parseCodeInput({ code })).toEqual({ code });
      },
    );

    it.each([
      ['3 characters', 'abc'],
      ['65 characters', 'x'.repeat(65)],
      ['empty', ''],
      ['a space', 'abcd efgh'],
      ['punctuation', 'abcd!'],
      ['a dot', 'abcd.efgh'],
      ['a non-ASCII letter', 'ÄBCD'],
      ['a slash', 'abcd/efgh'],
      // Separators never count toward the 4: `____a` would be the one-symbol code `A`.
      ['one letter among separators', '____a'],
      ['three letters or digits among separators', 'a-b_9---'],
      ['separators only', '----'],
    ])('refuses a code with %s', (_, code) => {
      const fields = rejectedFields({ code });
      expect(Object.keys(fields)).toEqual(['code']);
    });

    it('refuses a code that is not a string', () => {
      expect(Object.keys(rejectedFields({ code: 12345678 }))).toEqual(['code']);
    });
  });

  describe('description', () => {
    it('accepts up to 200 characters', () => {
      const description = 'd'.repeat(200);
      expect(parseCodeInput({ description })).toEqual({ description });
    });

    it('refuses 201 characters', () => {
      const fields = rejectedFields({ description: 'd'.repeat(201) });
      expect(Object.keys(fields)).toEqual(['description']);
      expect(fields.description).toMatch(/200/);
    });

    it('refuses a non-string', () => {
      expect(Object.keys(rejectedFields({ description: 5 }))).toEqual(['description']);
    });

    // Written out from SPEC's list, apart from the rule's own pattern, so that each checks the other.
    const codePoint = (min: number, max: number) =>
      fc.integer({ min, max }).map((c) => String.fromCodePoint(c));
    const safeCharacter = fc.oneof(
      codePoint(0x20, 0x7e),
      codePoint(0xa0, 0x2029),
      codePoint(0x202f, 0x2065),
      codePoint(0x206a, 0xd7ff),
      codePoint(0xe000, 0x10ffff),
    );
    const unsafeCharacter = fc.oneof(
      codePoint(0x00, 0x1f), // C0: NUL, tab, line breaks, ESC…
      codePoint(0x7f, 0x9f), // DEL and C1
      codePoint(0x202a, 0x202e), // bidi embeddings and overrides
      codePoint(0x2066, 0x2069), // bidi isolates
      fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), // a lone surrogate
    );
    // At most 90 code points of 2 UTF-16 units each, plus one: always within the 200 allowed.
    const safeText = fc.array(safeCharacter, { maxLength: 90 }).map((cs) => cs.join(''));

    it('refuses, on the description alone, text with a control character, a bidi override or a lone surrogate', () => {
      fc.assert(
        fc.property(safeText, unsafeCharacter, fc.nat(), (text, unsafe, at) => {
          const cut = at % (text.length + 1);
          const description = text.slice(0, cut) + unsafe + text.slice(cut);
          expect(rejectedFields({ description })).toEqual({ description: MESSAGES.safeText });
        }),
      );
    });

    it('accepts any other text of up to 200 characters, in any script, emoji included', () => {
      fc.assert(
        fc.property(safeText, (description) => {
          expect(parseCodeInput({ description })).toEqual({ description });
        }),
      );
    });

    it('refuses such text in the editor too, beside the other fields', () => {
      const fields = fieldErrors(() =>
        validateCode({ ...validCreate(), description: 'a\u202eb', usageLimit: 0 }, null, NOW),
      );
      expect(fields).toEqual({ description: MESSAGES.safeText, usageLimit: MESSAGES.usageLimit });
    });
  });

  describe('expiresAt', () => {
    it.each(['2026-02-01T00:00:00Z', '2026-02-01T00:00:00.000Z', '2026-02-01T02:00:00+02:00'])(
      'accepts the ISO-8601 instant %s',
      (expiresAt) => {
        expect(parseCodeInput({ expiresAt })).toEqual({ expiresAt });
      },
    );

    it.each(['tomorrow', '', '2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', '01/02/2026'])(
      'refuses %j',
      (expiresAt) => {
        expect(Object.keys(rejectedFields({ expiresAt }))).toEqual(['expiresAt']);
      },
    );

    it('refuses a number', () => {
      expect(Object.keys(rejectedFields({ expiresAt: FUTURE_MS }))).toEqual(['expiresAt']);
    });
  });

  describe('usageLimit', () => {
    it.each([1, 2, 50, 1_000_000])('accepts %d', (usageLimit) => {
      expect(parseCodeInput({ usageLimit })).toEqual({ usageLimit });
    });

    it.each([0, -1, 1.5, '5', Number.NaN, Number.POSITIVE_INFINITY, true])(
      'refuses %j',
      (usageLimit) => {
        const fields = rejectedFields({ usageLimit });
        expect(Object.keys(fields)).toEqual(['usageLimit']);
      },
    );
  });

  describe('usageLimitDelaySeconds', () => {
    it.each([60, 61, 3600, 86_400, 31_536_000])('accepts %d', (usageLimitDelaySeconds) => {
      expect(parseCodeInput({ usageLimitDelaySeconds })).toEqual({ usageLimitDelaySeconds });
    });

    it.each([
      [0, 'at least 1 minute'],
      [59, 'at least 1 minute'],
      [-60, 'at least 1 minute'],
      [31_536_001, 'at most 365 days'],
      [90.5, MESSAGES.usageLimitDelaySeconds],
      ['120', MESSAGES.usageLimitDelaySeconds],
    ])('refuses %j with “%s”', (usageLimitDelaySeconds, message) => {
      expect(rejectedFields({ usageLimitDelaySeconds })).toEqual({
        usageLimitDelaySeconds: message,
      });
    });
  });

  describe('action', () => {
    it.each(CODE_ACTIONS)('accepts %s', (action) => {
      expect(parseCodeInput({ action })).toEqual({ action });
    });

    it.each(['delete_device', '', 'CREATE_DEVICE', null, 3])('refuses %j', (action) => {
      const fields = rejectedFields({ action });
      expect(Object.keys(fields)).toEqual(['action']);
      for (const known of CODE_ACTIONS) expect(fields.action).toContain(known);
    });
  });

  describe('usernamePrefix', () => {
    it.each(['a', 'acme-', 'a.b_c-1', 'p'.repeat(32)])('accepts %s', (usernamePrefix) => {
      expect(parseCodeInput({ usernamePrefix })).toEqual({ usernamePrefix });
    });

    it.each(['', 'Acme', 'p'.repeat(33), 'a b', 'a@b', 'a/b'])('refuses %j', (usernamePrefix) => {
      expect(Object.keys(rejectedFields({ usernamePrefix }))).toEqual(['usernamePrefix']);
    });
  });

  describe.each(['accountId', 'deviceId'] as const)('%s', (field) => {
    it.each(['a', 'User@Example.com', 'acct_42-x.Y', 'i'.repeat(64)])('accepts %s', (value) => {
      expect(parseCodeInput({ [field]: value })).toEqual({ [field]: value });
    });

    it.each(['', 'i'.repeat(65), 'a b', 'a/b', 'a:b', 'ä'])('refuses %j', (value) => {
      expect(Object.keys(rejectedFields({ [field]: value }))).toEqual([field]);
    });
  });

  describe('unknown fields', () => {
    it('refuses an unknown field with "unknown field"', () => {
      const fields = rejectedFields({ action: 'create_device', accountId: 'a', color: 'red' });
      expect(fields).toEqual({ color: 'unknown field' });
    });

    it('names every unknown field, including misspellings of known ones', () => {
      const fields = rejectedFields({ usagelimit: 5, expires_at: FUTURE, timesUsed: 0 });
      expect(fields).toEqual({
        usagelimit: 'unknown field',
        expires_at: 'unknown field',
        timesUsed: 'unknown field',
      });
    });

    it('names a field called __proto__ instead of losing it', () => {
      const fields = rejectedFields(
        JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1}'),
      );
      expect(Object.entries(fields).sort()).toEqual([
        ['__proto__', 'unknown field'],
        ['constructor', 'unknown field'],
      ]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('reports unknown fields beside invalid known ones', () => {
      const fields = rejectedFields({ usageLimit: 0, extra: true });
      expect(Object.keys(fields).sort()).toEqual(['extra', 'usageLimit']);
      expect(fields.extra).toBe('unknown field');
    });
  });

  it('gives one message for each invalid field, and none for valid ones', () => {
    const fields = rejectedFields({
      code: 'ab',
      description: 'd'.repeat(201),
      expiresAt: 'soon',
      usageLimit: 0,
      usageLimitDelaySeconds: 1.5,
      action: 'nope',
      usernamePrefix: 'UPPER',
      accountId: 'has space',
      deviceId: '',
      extra: 1,
    });
    expect(Object.keys(fields).sort()).toEqual(
      [
        'accountId',
        'action',
        'code',
        'description',
        'deviceId',
        'expiresAt',
        'extra',
        'usageLimit',
        'usageLimitDelaySeconds',
        'usernamePrefix',
      ].sort(),
    );
  });

  it('does not report a valid field next to an invalid one', () => {
    const fields = rejectedFields({ code: 'ABCD-EFGH', description: 'fine', usageLimit: -3 });
    expect(Object.keys(fields)).toEqual(['usageLimit']);
  });

  it('gives a single string message for a field that breaks several rules at once', () => {
    const fields = rejectedFields({ usageLimit: -1.5, code: 'a!' });
    expect(typeof fields.usageLimit).toBe('string');
    expect(typeof fields.code).toBe('string');
  });
});

describe('resolveSettings when creating', () => {
  it('generates a code when none is given', () => {
    const settings = resolveSettings(validCreate(), null, NOW);
    expect(settings.code).toMatch(GENERATED);
  });

  it('generates a different code each time', () => {
    const a = resolveSettings(validCreate(), null, NOW).code;
    const b = resolveSettings(validCreate(), null, NOW).code;
    expect(a).not.toBe(b);
  });

  it('keeps a typed code as typed', () => {
    const settings = resolveSettings({ ...validCreate(), code: 'acme_Rollout-1' }, null, NOW);
    expect(settings.code).toBe('acme_Rollout-1');
  });

  it('fills in everything not given as empty', () => {
    expect(resolveSettings({ ...validCreate('create_device'), code: 'ABCD' }, null, NOW)).toEqual({
      code: 'ABCD',
      description: null,
      expiresAt: null,
      usageLimit: null,
      usageLimitDelaySeconds: null,
      action: 'create_device',
      usernamePrefix: null,
      accountId: 'acct-42',
      deviceId: null,
      enabled: true,
    });
  });

  it('resolves a complete body', () => {
    const input = parseCodeInput({
      code: 'ACME-2026',
      description: 'Acme rollout',
      expiresAt: FUTURE,
      usageLimit: 50,
      usageLimitDelaySeconds: 600,
      action: 'create_account_and_device',
      usernamePrefix: 'acme-',
    });
    expect(resolveSettings(input, null, NOW)).toEqual({
      code: 'ACME-2026',
      description: 'Acme rollout',
      expiresAt: FUTURE_MS,
      usageLimit: 50,
      usageLimitDelaySeconds: 600,
      action: 'create_account_and_device',
      usernamePrefix: 'acme-',
      accountId: null,
      deviceId: null,
      enabled: true,
    });
  });

  it('treats an empty description as none', () => {
    expect(
      resolveSettings({ ...validCreate(), description: '' }, null, NOW).description,
    ).toBeNull();
  });

  describe('expiresAt', () => {
    it('turns the ISO instant into epoch milliseconds, honouring its offset', () => {
      const settings = resolveSettings(
        { ...validCreate(), expiresAt: '2026-02-01T02:00:00+02:00' },
        null,
        NOW,
      );
      expect(settings.expiresAt).toBe(FUTURE_MS);
    });

    it('accepts an instant just after now', () => {
      const expiresAt = new Date(NOW + 1).toISOString();
      expect(resolveSettings({ ...validCreate(), expiresAt }, null, NOW).expiresAt).toBe(NOW + 1);
    });

    it('refuses an instant in the past', () => {
      const fields = fieldErrors(() =>
        resolveSettings({ ...validCreate(), expiresAt: PAST }, null, NOW),
      );
      expect(fields).toEqual({ expiresAt: 'a date in the future' });
    });

    it('refuses now itself (the code may not be used at that instant)', () => {
      const expiresAt = new Date(NOW).toISOString();
      const fields = fieldErrors(() => resolveSettings({ ...validCreate(), expiresAt }, null, NOW));
      expect(Object.keys(fields)).toEqual(['expiresAt']);
    });

    it('accepts null: the code never expires', () => {
      expect(
        resolveSettings({ ...validCreate(), expiresAt: null }, null, NOW).expiresAt,
      ).toBeNull();
    });
  });

  describe('usage limit and delay', () => {
    it('accepts a limit without a delay (hard limit)', () => {
      const settings = resolveSettings({ ...validCreate(), usageLimit: 1 }, null, NOW);
      expect(settings.usageLimit).toBe(1);
      expect(settings.usageLimitDelaySeconds).toBeNull();
    });

    it('accepts a delay with a limit', () => {
      const settings = resolveSettings(
        { ...validCreate(), usageLimit: 10, usageLimitDelaySeconds: 60 },
        null,
        NOW,
      );
      expect(settings.usageLimitDelaySeconds).toBe(60);
    });

    it('refuses a delay without a limit', () => {
      const fields = fieldErrors(() =>
        resolveSettings({ ...validCreate(), usageLimitDelaySeconds: 600 }, null, NOW),
      );
      expect(Object.keys(fields)).toEqual(['usageLimitDelaySeconds']);
      expect(fields.usageLimitDelaySeconds).toMatch(/limit/);
    });

    it('refuses a delay with an explicitly empty limit', () => {
      const fields = fieldErrors(() =>
        resolveSettings(
          { ...validCreate(), usageLimit: null, usageLimitDelaySeconds: 600 },
          null,
          NOW,
        ),
      );
      expect(Object.keys(fields)).toEqual(['usageLimitDelaySeconds']);
    });
  });

  describe('action', () => {
    it('is required', () => {
      const fields = fieldErrors(() => resolveSettings({ code: 'ABCD-EFGH' }, null, NOW));
      expect(Object.keys(fields)).toContain('action');
    });

    it.each(CODE_ACTIONS)('%s requires its own target field', (action) => {
      const fields = fieldErrors(() => resolveSettings({ action }, null, NOW));
      expect(fields).toEqual({ [TARGET_FIELD[action]]: `required for action ${action}` });
    });

    it.each(CODE_ACTIONS)('%s refuses an explicitly empty target field', (action) => {
      const fields = fieldErrors(() =>
        resolveSettings({ action, [TARGET_FIELD[action]]: null }, null, NOW),
      );
      expect(Object.keys(fields)).toEqual([TARGET_FIELD[action]]);
    });

    it.each(CODE_ACTIONS)('%s keeps its target and leaves the other two empty', (action) => {
      const settings = resolveSettings(validCreate(action), null, NOW);
      expect(settings.action).toBe(action);
      for (const field of TARGET_FIELDS) {
        expect(settings[field]).toBe(field === TARGET_FIELD[action] ? targetFor[field] : null);
      }
    });

    const foreign = CODE_ACTIONS.flatMap((action) =>
      CODE_ACTIONS.filter((other) => other !== action).map((other) => [action, other] as const),
    );

    it.each(foreign)('%s refuses the field of %s', (action, other) => {
      const field = TARGET_FIELD[other];
      const fields = fieldErrors(() =>
        resolveSettings({ ...validCreate(action), [field]: targetFor[field] }, null, NOW),
      );
      expect(Object.keys(fields)).toEqual([field]);
      expect(fields[field]).toContain(other);
    });

    it.each(foreign)('%s accepts an explicitly empty field of %s', (action, other) => {
      const field = TARGET_FIELD[other];
      const settings = resolveSettings({ ...validCreate(action), [field]: null }, null, NOW);
      expect(settings[field]).toBeNull();
    });
  });

  it('reports every invalid field at once', () => {
    const fields = fieldErrors(() =>
      resolveSettings(
        { action: 'create_device', expiresAt: PAST, usageLimitDelaySeconds: 120, deviceId: 'd' },
        null,
        NOW,
      ),
    );
    expect(Object.keys(fields).sort()).toEqual([
      'accountId',
      'deviceId',
      'expiresAt',
      'usageLimitDelaySeconds',
    ]);
  });

  it('works on what parseCodeInput returns from a JSON body', () => {
    const input = parseCodeInput(JSON.parse('{"action":"use_existing_device","deviceId":"d-1"}'));
    const settings = resolveSettings(input, null, NOW);
    expect(settings.action).toBe('use_existing_device');
    expect(settings.deviceId).toBe('d-1');
    expect(settings.code).toMatch(GENERATED);
  });
});

describe('resolveSettings when editing', () => {
  it('keeps every field when nothing is given', () => {
    expect(resolveSettings({}, current, NOW)).toEqual(current);
  });

  it('keeps untouched fields while changing one', () => {
    expect(resolveSettings({ description: 'New name' }, current, NOW)).toEqual({
      ...current,
      description: 'New name',
    });
  });

  it('keeps the code (does not generate a new one)', () => {
    expect(resolveSettings({ usageLimit: 80 }, current, NOW).code).toBe('ACME-ROLLOUT');
  });

  it('renames the code when a new one is given', () => {
    const settings = resolveSettings({ code: 'acme-2' }, current, NOW);
    expect(settings.code).toBe('acme-2');
    expect(normalizeCode(settings.code)).toBe('ACME2');
    expect(settings.usernamePrefix).toBe('acme-');
  });

  it('clears a field given as null', () => {
    const settings = resolveSettings({ description: null, expiresAt: null }, current, NOW);
    expect(settings.description).toBeNull();
    expect(settings.expiresAt).toBeNull();
    expect(settings.usageLimit).toBe(50);
  });

  describe('expiresAt', () => {
    const expired: CodeSettings = { ...current, expiresAt: PAST_MS };

    it('accepts an unchanged past expiry when it is not sent', () => {
      const settings = resolveSettings({ description: 'Renamed' }, expired, NOW);
      expect(settings.expiresAt).toBe(PAST_MS);
      expect(settings.description).toBe('Renamed');
    });

    it('accepts an unchanged past expiry sent again as it is (a full form re-submitted)', () => {
      const settings = resolveSettings(
        { description: 'Renamed', expiresAt: new Date(PAST_MS).toISOString() },
        expired,
        NOW,
      );
      expect(settings.expiresAt).toBe(PAST_MS);
      expect(settings.description).toBe('Renamed');
    });

    it('refuses changing it to another instant in the past', () => {
      const fields = fieldErrors(() =>
        resolveSettings({ expiresAt: '2026-01-02T00:00:00Z' }, expired, NOW),
      );
      expect(fields).toEqual({ expiresAt: 'a date in the future' });
    });

    it('accepts changing it to the future', () => {
      expect(resolveSettings({ expiresAt: FUTURE }, expired, NOW).expiresAt).toBe(FUTURE_MS);
    });

    it('accepts clearing it', () => {
      expect(resolveSettings({ expiresAt: null }, expired, NOW).expiresAt).toBeNull();
    });
  });

  describe('usage limit and delay', () => {
    it('refuses removing the limit while the delay stays', () => {
      const fields = fieldErrors(() => resolveSettings({ usageLimit: null }, current, NOW));
      expect(Object.keys(fields)).toEqual(['usageLimitDelaySeconds']);
    });

    it('accepts removing the limit and the delay together', () => {
      const settings = resolveSettings(
        { usageLimit: null, usageLimitDelaySeconds: null },
        current,
        NOW,
      );
      expect(settings.usageLimit).toBeNull();
      expect(settings.usageLimitDelaySeconds).toBeNull();
    });

    it('refuses adding a delay to a code without a limit', () => {
      const unlimited = { ...current, usageLimit: null, usageLimitDelaySeconds: null };
      const fields = fieldErrors(() =>
        resolveSettings({ usageLimitDelaySeconds: 600 }, unlimited, NOW),
      );
      expect(Object.keys(fields)).toEqual(['usageLimitDelaySeconds']);
    });

    it('accepts adding a delay to a code that has a limit', () => {
      const hard = { ...current, usageLimitDelaySeconds: null };
      expect(
        resolveSettings({ usageLimitDelaySeconds: 600 }, hard, NOW).usageLimitDelaySeconds,
      ).toBe(600);
    });
  });

  describe('action', () => {
    it('keeps the action and changes its target', () => {
      const settings = resolveSettings({ usernamePrefix: 'globex-' }, current, NOW);
      expect(settings.action).toBe('create_account_and_device');
      expect(settings.usernamePrefix).toBe('globex-');
    });

    it('refuses clearing the target of the current action', () => {
      const fields = fieldErrors(() => resolveSettings({ usernamePrefix: null }, current, NOW));
      expect(Object.keys(fields)).toEqual(['usernamePrefix']);
    });

    it("refuses another action's field without switching to that action", () => {
      const fields = fieldErrors(() => resolveSettings({ accountId: 'acct-1' }, current, NOW));
      expect(Object.keys(fields)).toEqual(['accountId']);
      expect(fields.accountId).toContain('create_device');
    });

    it('requires the new target when switching action', () => {
      const fields = fieldErrors(() => resolveSettings({ action: 'create_device' }, current, NOW));
      expect(fields).toEqual({ accountId: 'required for action create_device' });
    });

    it('clears the old target and sets the new one when switching action', () => {
      const settings = resolveSettings(
        { action: 'create_device', accountId: 'acct-42' },
        current,
        NOW,
      );
      expect(settings).toEqual({
        ...current,
        action: 'create_device',
        usernamePrefix: null,
        accountId: 'acct-42',
        deviceId: null,
      });
    });

    it('accepts the old target sent as null when switching action', () => {
      const settings = resolveSettings(
        { action: 'use_existing_device', deviceId: 'dev-9', usernamePrefix: null },
        current,
        NOW,
      );
      expect(settings.usernamePrefix).toBeNull();
      expect(settings.deviceId).toBe('dev-9');
    });

    it('refuses the old target sent with a value when switching action', () => {
      const fields = fieldErrors(() =>
        resolveSettings(
          { action: 'use_existing_device', deviceId: 'dev-9', usernamePrefix: 'acme-' },
          current,
          NOW,
        ),
      );
      expect(Object.keys(fields)).toEqual(['usernamePrefix']);
    });

    it('switches back and forth without leaking old targets', () => {
      const asDevice = resolveSettings(
        { action: 'create_device', accountId: 'acct-1' },
        current,
        NOW,
      );
      const asExisting = resolveSettings(
        { action: 'use_existing_device', deviceId: 'dev-1' },
        asDevice,
        NOW,
      );
      expect(asExisting.accountId).toBeNull();
      expect(asExisting.usernamePrefix).toBeNull();
      expect(asExisting.deviceId).toBe('dev-1');
    });
  });
});
