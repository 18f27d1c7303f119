import type { InputBlock, ModalView } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { CodeError } from '../../src/codes/errors.js';
import {
  CODE_ACTIONS,
  type CodeAction,
  type InstallCode,
  TARGET_FIELD,
  TARGET_FIELDS,
} from '../../src/codes/model.js';
import {
  codeInputSchema,
  MESSAGES,
  parseCodeInput,
  resolveSettings,
} from '../../src/codes/rules.js';
import {
  blankDraft,
  blockOfField,
  codeBlockId,
  DELAY_MESSAGE,
  decodeContext,
  draftOf,
  type EditorContext,
  type EditorDraft,
  type ElementState,
  EXPIRY_MESSAGES,
  type ExpiryChoice,
  encodeContext,
  inputOf,
  readDraft,
  type StateValues,
  settingsOf,
  swapActionDefaults,
  targetBlockId,
} from '../../src/slack/editor-form.js';
import { ACTIONS, EDITOR_BLOCKS, INPUT } from '../../src/slack/ids.js';
import { buildEditorModal, conflictNotice } from '../../src/slack/views/editor-modal.js';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const DAY = 86_400_000;
const CONTEXT: EditorContext = { id: null, version: null, channelId: 'C123', generation: 3 };

function makeCode(overrides: Partial<InstallCode> = {}): InstallCode {
  return {
    id: '01kf000000000001',
    code: 'ABCD-EFGH-JKMN',
    description: 'Front desk tablets',
    expiresAt: NOW + 7 * DAY,
    usageLimit: 50,
    usageLimitDelaySeconds: 7200,
    action: 'create_account_and_device',
    usernamePrefix: 'acme-',
    accountId: null,
    deviceId: null,
    enabled: true,
    timesUsed: 3,
    lastUsedAt: NOW - DAY,
    lastRefusedAt: null,
    limitReachedAt: null,
    createdAt: NOW - 2 * DAY,
    createdBy: 'U0CREATOR',
    updatedAt: NOW - 2 * DAY,
    updatedBy: 'U0CREATOR',
    version: 4,
    ...overrides,
  };
}

/** A code of each action, with its own target field set. */
function codeFor(action: CodeAction, overrides: Partial<InstallCode> = {}): InstallCode {
  const targets = { usernamePrefix: null, accountId: null, deviceId: null };
  return makeCode({
    action,
    ...targets,
    [TARGET_FIELD[action]]: action === 'create_account_and_device' ? 'acme-' : 'Acct.1@x',
    ...overrides,
  });
}

/** Slack's view.state.values of the editor, as a person filled it in. */
function stateValues(fields: {
  description?: string | null;
  code?: string | null;
  codeBlock?: string;
  expiry?: ExpiryChoice | null;
  expiresAtSeconds?: number | null;
  usageLimit?: string | null;
  delay?: string | null;
  action?: CodeAction | null;
  targets?: Partial<Record<CodeAction, string | null>>;
}): StateValues {
  const text = (value: string | null | undefined): Record<string, ElementState> => ({
    [INPUT]: { type: 'plain_text_input', value: value ?? null },
  });
  const values: StateValues = {
    [EDITOR_BLOCKS.description]: text(fields.description),
    [fields.codeBlock ?? 'code.0']: text(fields.code),
    [EDITOR_BLOCKS.expiresAt]: {
      [ACTIONS.chooseExpiry]: {
        type: 'static_select',
        selected_option: fields.expiry ? { value: fields.expiry } : null,
      },
    },
    [EDITOR_BLOCKS.usageLimit]: {
      [INPUT]: { type: 'number_input', value: fields.usageLimit ?? null },
    },
    [EDITOR_BLOCKS.usageLimitDelay]: text(fields.delay),
    [EDITOR_BLOCKS.action]: {
      [ACTIONS.chooseAction]: {
        type: 'radio_buttons',
        selected_option: fields.action ? { value: fields.action } : null,
      },
    },
  };
  if (fields.expiry === 'date') {
    values[EDITOR_BLOCKS.expiresOn] = {
      [INPUT]: { type: 'datetimepicker', selected_date_time: fields.expiresAtSeconds ?? null },
    };
  }
  for (const [action, value] of Object.entries(fields.targets ?? {})) {
    values[`target.${action}`] = text(value);
  }
  return values;
}

/** What Slack sends back for the modal when nobody touched a field: each element's initial value. */
function untouchedState(view: ModalView): StateValues {
  const values: StateValues = {};
  for (const block of view.blocks) {
    if (block.type !== 'input' || !block.block_id) continue;
    const element = (block as InputBlock).element as unknown as Record<string, unknown> & {
      type: string;
      action_id: string;
    };
    const state: ElementState = { type: element.type };
    if (element.type === 'plain_text_input' || element.type === 'number_input') {
      state.value = (element.initial_value as string | undefined) ?? null;
    } else if (element.type === 'datetimepicker') {
      state.selected_date_time = (element.initial_date_time as number | undefined) ?? null;
    } else if (element.type === 'radio_buttons' || element.type === 'static_select') {
      state.selected_option = (element.initial_option as { value: string } | undefined) ?? null;
    }
    values[block.block_id] = { [element.action_id]: state };
  }
  return values;
}

const draft = (overrides: Partial<EditorDraft> = {}): EditorDraft => ({
  ...blankDraft('ABCD-EFGH'),
  ...overrides,
});

describe('readDraft', () => {
  it('reads an empty form as Slack sends it', () => {
    expect(readDraft(stateValues({}))).toEqual({
      description: '',
      code: '',
      expiry: null,
      expiresAt: null,
      usageLimit: '',
      usageLimitDelay: '',
      action: null,
      target: '',
    });
  });

  it('reads every field, the code from its block with a generation suffix', () => {
    const values = stateValues({
      description: 'Front desk',
      code: 'abcd-efgh',
      codeBlock: 'code.3',
      expiry: 'date',
      expiresAtSeconds: 1_800_000_000,
      usageLimit: '50',
      delay: '2h',
      action: 'create_device',
      targets: { create_device: 'acct-1' },
    });
    expect(readDraft(values)).toEqual({
      description: 'Front desk',
      code: 'abcd-efgh',
      expiry: 'date',
      expiresAt: 1_800_000_000_000,
      usageLimit: '50',
      usageLimitDelay: '2h',
      action: 'create_device',
      target: 'acct-1',
    });
  });

  it('reads the target of the chosen action only', () => {
    for (const action of CODE_ACTIONS) {
      const values = stateValues({ action, targets: { [action]: `t-${action}` } });
      expect(readDraft(values).target).toBe(`t-${action}`);
    }
  });

  it('does not carry over a target typed for another action', () => {
    const values = stateValues({
      action: 'use_existing_device',
      targets: { create_device: 'acct-1' },
    });
    expect(readDraft(values)).toMatchObject({ action: 'use_existing_device', target: '' });
    const both = stateValues({
      action: 'create_account_and_device',
      targets: { create_device: 'acct-1', create_account_and_device: null },
    });
    expect(readDraft(both).target).toBe('');
  });

  it('ignores a target when no action is chosen', () => {
    const values = stateValues({ targets: { create_device: 'acct-1' } });
    expect(readDraft(values)).toMatchObject({ action: null, target: '' });
  });

  it('ignores an action Slack would never send', () => {
    const values = stateValues({});
    values[EDITOR_BLOCKS.action] = {
      [ACTIONS.chooseAction]: { type: 'radio_buttons', selected_option: { value: 'format_disk' } },
    };
    expect(readDraft(values).action).toBeNull();
  });

  it('does not mistake the delay block for the usage limit block', () => {
    const values = stateValues({ usageLimit: null, delay: '30m' });
    expect(readDraft(values)).toMatchObject({ usageLimit: '', usageLimitDelay: '30m' });
  });
});

describe('inputOf', () => {
  it('sends empty fields as null, so that they are cleared', () => {
    const { input, fields } = inputOf(draft({ description: '   ', expiry: 'never' }), null, NOW);
    expect(fields).toEqual({});
    expect(input).toEqual({
      description: null,
      code: 'ABCD-EFGH',
      expiresAt: null,
      usageLimit: null,
      usageLimitDelaySeconds: null,
      usernamePrefix: null,
      accountId: null,
      deviceId: null,
    });
    expect('action' in input).toBe(false);
  });

  it('trims text and converts numbers, instants and durations', () => {
    const { input, fields } = inputOf(
      draft({
        description: '  Front desk ',
        code: ' abcd-efgh ',
        expiry: 'date',
        expiresAt: Date.UTC(2026, 5, 1, 8, 30),
        usageLimit: ' 50 ',
        usageLimitDelay: '2h',
        action: 'create_account_and_device',
        target: ' acme- ',
      }),
      null,
      NOW,
    );
    expect(fields).toEqual({});
    expect(input).toEqual({
      description: 'Front desk',
      code: 'abcd-efgh',
      expiresAt: '2026-06-01T08:30:00.000Z',
      usageLimit: 50,
      usageLimitDelaySeconds: 7200,
      action: 'create_account_and_device',
      usernamePrefix: 'acme-',
      accountId: null,
      deviceId: null,
    });
  });

  it('makes a usage limit that is not a whole number NaN, which the rules refuse', () => {
    for (const text of ['abc', '1.5', '-3', '1e3', '50 uses']) {
      const { input } = inputOf(
        draft({ usageLimit: text, action: 'create_device', target: 'a' }),
        null,
        NOW,
      );
      expect(input.usageLimit, text).toBeNaN();
      let thrown: unknown;
      try {
        parseCodeInput(input);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(CodeError);
      expect((thrown as CodeError).fields?.usageLimit).toBe(MESSAGES.usageLimit);
    }
  });

  it('reads delays in every unit', () => {
    const cases: [string, number][] = [
      ['2h', 7200],
      ['90s', 90],
      ['30m', 1800],
      ['7d', 604_800],
      [' 12H ', 43_200],
    ];
    for (const [text, seconds] of cases) {
      const { input, fields } = inputOf(
        draft({ usageLimit: '5', usageLimitDelay: text }),
        null,
        NOW,
      );
      expect(fields, text).toEqual({});
      expect(input.usageLimitDelaySeconds, text).toBe(seconds);
    }
  });

  it('names a delay it cannot read on usageLimitDelaySeconds', () => {
    for (const text of ['soon', '2 hours', '1.5h', '-1h', 'h']) {
      const { input, fields } = inputOf(
        draft({ usageLimit: '5', usageLimitDelay: text }),
        null,
        NOW,
      );
      expect(fields, text).toEqual({ usageLimitDelaySeconds: DELAY_MESSAGE });
      expect(input.usageLimitDelaySeconds, text).toBeNull();
    }
  });

  it('sets the chosen action’s target and clears the others', () => {
    for (const action of CODE_ACTIONS) {
      const { input } = inputOf(draft({ action, target: 'target-1' }), null, NOW);
      expect(input.action).toBe(action);
      for (const field of TARGET_FIELDS) {
        expect(input[field], `${action} ${field}`).toBe(
          field === TARGET_FIELD[action] ? 'target-1' : null,
        );
      }
    }
  });

  it('sends an empty target as null, so the rules ask for it', () => {
    const { input } = inputOf(draft({ action: 'create_device', target: '  ' }), null, NOW);
    expect(input.accountId).toBeNull();
    let thrown: unknown;
    try {
      resolveSettings(parseCodeInput(input), null, NOW);
    } catch (error) {
      thrown = error;
    }
    expect((thrown as CodeError).fields?.accountId).toBe(MESSAGES.requiredFor('create_device'));
  });

  it('gives what the rules accept for a well-filled form', () => {
    const { input, fields } = inputOf(
      draft({
        description: 'Lobby',
        expiry: 'date',
        expiresAt: NOW + DAY,
        usageLimit: '10',
        usageLimitDelay: '30m',
        action: 'use_existing_device',
        target: 'dev_1',
      }),
      null,
      NOW,
    );
    expect(fields).toEqual({});
    expect(resolveSettings(parseCodeInput(input), null, NOW)).toEqual({
      code: 'ABCD-EFGH',
      description: 'Lobby',
      expiresAt: NOW + DAY,
      usageLimit: 10,
      usageLimitDelaySeconds: 1800,
      action: 'use_existing_device',
      usernamePrefix: null,
      accountId: null,
      deviceId: 'dev_1',
      enabled: true,
    });
  });
});

describe('blockOfField', () => {
  it('maps each rule field to its block', () => {
    const d = draft({ action: 'create_device' });
    expect(blockOfField('description', d, CONTEXT)).toBe('description');
    expect(blockOfField('code', d, CONTEXT)).toBe('code.3');
    expect(blockOfField('expiresAt', d, CONTEXT)).toBe('expires_at');
    expect(blockOfField('expiresAt', { ...d, expiry: 'date' }, CONTEXT)).toBe('expires_on');
    expect(blockOfField('usageLimit', d, CONTEXT)).toBe('usage_limit');
    expect(blockOfField('usageLimitDelaySeconds', d, CONTEXT)).toBe('usage_limit_delay');
    expect(blockOfField('action', d, CONTEXT)).toBe('action');
    for (const field of TARGET_FIELDS) {
      expect(blockOfField(field, d, CONTEXT)).toBe('target.create_device');
    }
    expect(blockOfField('usernamePrefix', draft(), CONTEXT)).toBe('action');
    expect(blockOfField('body', d, CONTEXT)).toBe('code.3');
  });

  it('names a block the modal has, for every field the rules know', () => {
    const ruleFields = Object.keys(codeInputSchema.shape);
    expect(ruleFields.length).toBeGreaterThanOrEqual(9);
    const cases = [null, ...CODE_ACTIONS].flatMap((action) =>
      (['7d', 'date', 'never'] as const).map((expiry) => ({ action, expiry })),
    );
    for (const { action, expiry } of cases) {
      const d = draft({ action, expiry });
      const blockIds = buildEditorModal(d, CONTEXT).blocks.map((b) => b.block_id);
      for (const field of [...ruleFields, 'body']) {
        const block = blockOfField(field, d, CONTEXT);
        expect(blockIds, `${action} ${field}`).toContain(block);
        expect(buildEditorModal(d, CONTEXT).blocks.find((b) => b.block_id === block)?.type).toBe(
          'input',
        );
      }
    }
  });

  it('uses the same block IDs as the modal', () => {
    expect(codeBlockId(CONTEXT)).toBe('code.3');
    for (const action of CODE_ACTIONS) expect(targetBlockId(action)).toBe(`target.${action}`);
  });
});

describe('the editor’s context', () => {
  it('round-trips through private_metadata', () => {
    const context = { id: '01kf000000000001', version: 7, channelId: null, generation: 2 };
    expect(decodeContext(encodeContext(context))).toEqual(context);
  });

  it('starts fresh from no metadata', () => {
    const fresh = { id: null, version: null, channelId: null, generation: 0 };
    expect(decodeContext(undefined)).toEqual(fresh);
    expect(decodeContext('')).toEqual(fresh);
    expect(decodeContext('{"id":5,"version":"7","generation":null}')).toEqual(fresh);
  });
});

describe('draftOf', () => {
  it('round-trips a code through inputOf for every action', () => {
    for (const action of CODE_ACTIONS) {
      const code = codeFor(action);
      const { input, fields } = inputOf(draftOf(code), null, NOW);
      expect(fields).toEqual({});
      expect(input).toEqual({
        code: code.code,
        description: code.description,
        expiresAt: new Date(code.expiresAt as number).toISOString(),
        usageLimit: code.usageLimit,
        usageLimitDelaySeconds: code.usageLimitDelaySeconds,
        action,
        usernamePrefix: code.usernamePrefix,
        accountId: code.accountId,
        deviceId: code.deviceId,
      });
      const { id, timesUsed, lastUsedAt, lastRefusedAt, limitReachedAt, ...rest } = code;
      const { createdAt, createdBy, updatedAt, updatedBy, version, ...settings } = rest;
      expect(resolveSettings(parseCodeInput(input), code, NOW)).toEqual(settings);
    }
  });

  it('round-trips a code with empty fields and odd delays', () => {
    const delays = [null, 60, 90, 3_599, 5_400, 86_400, 365 * 86_400];
    for (const usageLimitDelaySeconds of delays) {
      const code = codeFor('create_device', {
        description: null,
        expiresAt: null,
        usageLimit: usageLimitDelaySeconds === null ? null : 1,
        usageLimitDelaySeconds,
      });
      const { input, fields } = inputOf(draftOf(code), null, NOW);
      expect(fields).toEqual({});
      expect(input).toMatchObject({
        description: null,
        expiresAt: null,
        usageLimit: code.usageLimit,
        usageLimitDelaySeconds,
      });
    }
  });

  it('round-trips a code through the modal Slack shows and sends back untouched', () => {
    for (const action of CODE_ACTIONS) {
      const code = codeFor(action);
      const context = { id: code.id, version: code.version, channelId: null, generation: 1 };
      const view = buildEditorModal(draftOf(code), context);
      const read = readDraft(untouchedState(view));
      expect(read).toEqual(draftOf(code));
      expect(inputOf(read, code, NOW)).toEqual(inputOf(draftOf(code), code, NOW));
    }
  });

  it('lets an expired code be edited without touching its expiry', () => {
    // Codes made with the API may expire at any millisecond; the picker works in seconds.
    const code = codeFor('create_device', { expiresAt: NOW - DAY + 250 });
    const context = { id: code.id, version: code.version, channelId: null, generation: 0 };
    const view = buildEditorModal(draftOf(code), context);
    const read = { ...readDraft(untouchedState(view)), description: 'Renamed' };
    const { input } = inputOf(read, code, NOW);
    let settings: unknown;
    let refused: unknown = {};
    try {
      settings = resolveSettings(parseCodeInput(input), code, NOW);
    } catch (error) {
      refused = error instanceof CodeError ? error.fields : error;
    }
    expect(refused).toEqual({});
    expect(settings).toMatchObject({ description: 'Renamed', expiresAt: code.expiresAt });
  });

  it('lets an expired code with a whole-second expiry be edited without touching its expiry', () => {
    const code = codeFor('use_existing_device', { expiresAt: NOW - DAY });
    const context = { id: code.id, version: code.version, channelId: null, generation: 0 };
    const view = buildEditorModal(draftOf(code), context);
    const { input } = inputOf({ ...readDraft(untouchedState(view)), usageLimit: '99' }, code, NOW);
    expect(resolveSettings(parseCodeInput(input), code, NOW)).toMatchObject({
      usageLimit: 99,
      expiresAt: code.expiresAt,
    });
  });
});

describe('an editor opened before the expiry presets', () => {
  const legacy = (seconds: number | null): StateValues => {
    const values = stateValues({ action: 'create_device', targets: { create_device: 'a-1' } });
    values[EDITOR_BLOCKS.expiresAt] = {
      [INPUT]: { type: 'datetimepicker', selected_date_time: seconds },
    };
    return values;
  };

  it('reads its picker as “a date”, or “never” when empty, and shows errors on that picker', () => {
    const dated = readDraft(legacy(1_800_000_000));
    expect(dated).toMatchObject({ expiry: 'date', expiresAt: 1_800_000_000_000, pickerOnly: true });
    expect(blockOfField('expiresAt', dated, CONTEXT)).toBe(EDITOR_BLOCKS.expiresAt);
    expect(inputOf(dated, null, NOW).input.expiresAt).toBe(
      new Date(1_800_000_000_000).toISOString(),
    );
    const never = readDraft(legacy(null));
    expect(never).toMatchObject({ expiry: 'never', expiresAt: null });
    expect(inputOf(never, null, NOW).input.expiresAt).toBeNull();
  });
});

describe('expiry choices', () => {
  it('counts a preset from now, and refuses “a date” without one or no choice at all', () => {
    expect(inputOf(draft({ expiry: '90d' }), null, NOW).input.expiresAt).toBe(
      new Date(NOW + 90 * DAY).toISOString(),
    );
    expect(inputOf(draft({ expiry: 'date', expiresAt: null }), null, NOW).fields).toEqual({
      expiresAt: EXPIRY_MESSAGES.noDate,
    });
    expect(inputOf(draft({ expiry: null }), null, NOW).fields).toEqual({
      expiresAt: EXPIRY_MESSAGES.none,
    });
  });
});

describe('swapActionDefaults', () => {
  const creating = (): EditorContext => ({ ...CONTEXT, defaultsOf: null });

  it('gives each action its defaults while the fields hold the previous ones', () => {
    const context = creating();
    const d = draft({ action: 'use_existing_device' });
    swapActionDefaults(d, context);
    expect([d.expiry, d.usageLimit, context.defaultsOf]).toEqual([
      '7d',
      '1',
      'use_existing_device',
    ]);
    d.action = 'create_account_and_device';
    swapActionDefaults(d, context);
    expect([d.expiry, d.usageLimit]).toEqual(['30d', '']);
  });

  it('keeps what was chosen, and never touches an existing code', () => {
    const context = creating();
    const own = draft({ action: 'use_existing_device', expiry: 'never', usageLimit: '' });
    swapActionDefaults(own, context);
    expect([own.expiry, own.usageLimit]).toEqual(['never', '1']);
    const editing = { ...CONTEXT, id: 'x', version: 2 };
    const existing = draft({ action: 'use_existing_device' });
    swapActionDefaults(existing, editing);
    expect([existing.expiry, existing.usageLimit]).toEqual(['7d', '']);
  });
});

describe('the context’s extras', () => {
  it('round-trips the defaults in force and the settings seen, and drops a malformed seen', () => {
    const seen = settingsOf(makeCode());
    const context: EditorContext = { ...CONTEXT, defaultsOf: 'create_device', seen };
    expect(decodeContext(encodeContext(context))).toEqual(context);
    expect(decodeContext(JSON.stringify({ ...context, seen: { code: 5 } }))).toEqual({
      ...CONTEXT,
      defaultsOf: 'create_device',
    });
    expect(settingsOf(makeCode())).not.toHaveProperty('timesUsed');
  });
});

describe('conflictNotice', () => {
  it('names each changed setting old → new, escaped, within a section’s 3000 characters', () => {
    const seen = makeCode({ description: '<&>'.repeat(66) });
    const latest = makeCode({
      description: '&'.repeat(200),
      code: 'NEW-CODE-0001',
      usageLimit: null,
      usageLimitDelaySeconds: null,
      updatedBy: 'U0OTHER',
    });
    const text = conflictNotice(latest, seen);
    expect(text.length).toBeLessThanOrEqual(3000);
    expect(text).toContain('<@U0OTHER>');
    expect(text).toContain('Installation code: “ABCD-EFGH-JKMN” → “NEW-CODE-0001”');
    expect(text).toContain('Usage limit: 50 → none');
    expect(text).toContain('Usage limit delay: 2h → none');
    expect(text).not.toContain('<&>');
    expect(text).not.toMatch(/Action:|Expires after:/);
  });

  it('says only who and when without what the editor saw', () => {
    const text = conflictNotice(makeCode({ updatedBy: 'api' }), undefined);
    expect(text).toMatch(/^:warning: \*The API saved this code <!date\^/);
    expect(text).not.toContain('→');
  });
});
