import type { KnownBlock, ModalView } from '@slack/types';
import { describe, expect, it } from 'vitest';
import {
  CODE_ACTIONS,
  type CodeAction,
  type InstallCode,
  TARGET_FIELD,
} from '../../src/codes/model.js';
import {
  blankDraft,
  decodeContext,
  draftOf,
  type EditorContext,
} from '../../src/slack/editor-form.js';
import { ACTIONS, CALLBACKS, EDITOR_BLOCKS, INPUT } from '../../src/slack/ids.js';
import {
  buildDashboard,
  type DashboardInput,
  OUTSIDER_HOME,
} from '../../src/slack/views/app-home.js';
import { buildChannelCard, type ChannelCardInput } from '../../src/slack/views/channel-card.js';
import { qrComment } from '../../src/slack/views/code-card.js';
import {
  buildCodeList,
  decodePosition,
  encodePosition,
  LIST_PAGE_SIZE,
  type ListPosition,
  nextPosition,
  previousPosition,
} from '../../src/slack/views/code-list.js';
import { buildCodeOptions, buildCodePicker } from '../../src/slack/views/code-picker.js';
import {
  buildDeletePrompt,
  buildRemovalOutcome,
  buildRemovalReasonModal,
  buildRemovalRequest,
} from '../../src/slack/views/deletion.js';
import { buildEditorModal } from '../../src/slack/views/editor-modal.js';
import { ACTION_LABEL, STATUS_LABEL, TARGET_LABEL } from '../../src/slack/views/format.js';
import { buildHelp } from '../../src/slack/views/help.js';
import { buildHistory } from '../../src/slack/views/history.js';
import { buildShareModal } from '../../src/slack/views/share-modal.js';
import type { HistoryEvent } from '../../src/store/history.js';
import { HISTORY_LENGTH } from '../../src/store/history.js';
import { DEFAULT_HOME_CHOICE } from '../../src/store/home-views.js';
import type { RemovalRequest } from '../../src/store/removal-requests.js';
import { type Surface, slackLimitProblems } from '../support/block-kit.js';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type Json = Record<string, unknown>;

function expectWithinSlackLimits(surface: Surface) {
  expect(slackLimitProblems(surface)).toEqual([]);
}

const message = (blocks: readonly KnownBlock[]): Surface => ({ type: 'message', blocks });

// ---------------------------------------------------------------------------------------------
// Codes, ordinary and worst-case.
// ---------------------------------------------------------------------------------------------

let nextId = 0;
/** Record IDs are 16 characters of lower-case Crockford base32, like the store's. */
function recordId(): string {
  nextId++;
  return `01kf${String(nextId).padStart(12, '0')}`;
}

function makeCode(overrides: Partial<InstallCode> = {}): InstallCode {
  return {
    id: recordId(),
    code: 'ABCD-EFGH-JKMN',
    description: 'Front desk tablets',
    expiresAt: NOW + 7 * DAY,
    usageLimit: 50,
    usageLimitDelaySeconds: null,
    action: 'create_account_and_device',
    usernamePrefix: 'acme-',
    accountId: null,
    deviceId: null,
    enabled: true,
    timesUsed: 3,
    lastUsedAt: NOW - HOUR,
    lastRefusedAt: null,
    limitReachedAt: null,
    createdAt: NOW - DAY,
    createdBy: 'U0CREATOR',
    updatedAt: NOW - DAY,
    updatedBy: 'U0CREATOR',
    version: 1,
    ...overrides,
  };
}

/** 200 characters full of what mrkdwn must escape. */
const NASTY_DESCRIPTION = '<&>'.repeat(66).concat('<&');
const LONGEST_CODE = 'Z9_-'.repeat(16);
const LONGEST_PREFIX = 'abc.def_ghi-jkl'.repeat(3).slice(0, 32);
const LONGEST_ID = 'Ab9.x_y@z-'.repeat(7).slice(0, 64);

function worstCode(action: CodeAction = 'create_account_and_device'): InstallCode {
  return makeCode({
    code: LONGEST_CODE,
    description: NASTY_DESCRIPTION,
    expiresAt: Date.UTC(9999, 11, 31, 23, 59, 59),
    usageLimit: Number.MAX_SAFE_INTEGER,
    usageLimitDelaySeconds: 365 * 86_400 - 1,
    action,
    usernamePrefix: action === 'create_account_and_device' ? LONGEST_PREFIX : null,
    accountId: action === 'create_device' ? LONGEST_ID : null,
    deviceId: action === 'use_existing_device' ? LONGEST_ID : null,
    timesUsed: Number.MAX_SAFE_INTEGER - 1,
    lastUsedAt: NOW - 1,
    createdBy: 'W0123456789ABCDEFGH',
    updatedBy: 'W0123456789ABCDEFGH',
    version: 2_000_000_000,
  });
}

const WORST_CODES = CODE_ACTIONS.map((action) => worstCode(action));

function sectionTexts(blocks: readonly unknown[]): string[] {
  return (blocks as readonly KnownBlock[]).flatMap((b) =>
    b.type === 'section' && b.text ? [b.text.text] : [],
  );
}

function allElements(blocks: readonly unknown[]): Json[] {
  return (blocks as readonly KnownBlock[]).flatMap((b) => {
    if (b.type === 'actions') return b.elements as unknown as Json[];
    if (b.type === 'section' && b.accessory) return [b.accessory as unknown as Json];
    if (b.type === 'input') return [b.element as unknown as Json];
    return [];
  });
}

function buttonOf(blocks: readonly unknown[], actionId: string): Json | undefined {
  return allElements(blocks).find((e) => e.type === 'button' && e.action_id === actionId);
}

function overflowsOf(blocks: readonly unknown[]): Json[] {
  return allElements(blocks).filter((e) => e.type === 'overflow');
}

function slackDateToken(instant: number): string {
  return `<!date^${Math.floor(instant / 1000)}^`;
}

// ---------------------------------------------------------------------------------------------

describe('the limits helper', () => {
  it('notices what breaks a limit', () => {
    const problems = slackLimitProblems(
      message([
        { type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } },
        { type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } },
        {
          type: 'actions',
          block_id: 'b'.repeat(256),
          elements: [
            {
              type: 'button',
              action_id: 'a',
              text: { type: 'plain_text', text: 'x'.repeat(76) },
              value: 'v'.repeat(2001),
            },
            {
              type: 'overflow',
              action_id: 'o',
              options: [{ text: { type: 'plain_text', text: 'only' }, value: 'v'.repeat(151) }],
            },
          ],
        },
        ...Array.from({ length: 50 }, (): KnownBlock => ({ type: 'divider' })),
      ]),
    );
    expect(problems.join('\n')).toMatch(/53 blocks/);
    expect(problems.join('\n')).toMatch(/151 characters \(max 150\)/);
    expect(problems.join('\n')).toMatch(/3001 characters \(max 3000\)/);
    expect(problems.join('\n')).toMatch(/block_id of 256/);
    expect(problems.join('\n')).toMatch(/76 characters \(max 75\)/);
    expect(problems.join('\n')).toMatch(/button value of 2001/);
    expect(problems.join('\n')).toMatch(/overflow with 1 options/);
    expect(problems.join('\n')).toMatch(/option value of 151/);
  });

  it('checks a modal’s title and block count', () => {
    const problems = slackLimitProblems({
      type: 'modal',
      title: { type: 'plain_text', text: 'x'.repeat(25) },
      blocks: Array.from({ length: 101 }, (): KnownBlock => ({ type: 'divider' })),
    });
    expect(problems.join('\n')).toMatch(/modal title: text of 25/);
    expect(problems.join('\n')).toMatch(/101 blocks \(max 100\)/);
  });
});

describe('buildCodeList', () => {
  const first: ListPosition = { q: '', page: 1, cursors: [''] };

  it('shows 10 codes a page, each with its overflow menu', () => {
    const codes = Array.from({ length: 12 }, (_, i) => makeCode({ description: `Code ${i}` }));
    const blocks = buildCodeList(codes, NOW, first, 'cursor');
    expect(LIST_PAGE_SIZE).toBe(10);
    expect(overflowsOf(blocks)).toHaveLength(10);
    const texts = sectionTexts(blocks).join('\n');
    for (let i = 0; i < 10; i++) expect(texts).toContain(`*Code ${i}*`);
    expect(texts).not.toContain('Code 10');
    expectWithinSlackLimits(message(blocks));
  });

  it('shows every detail of a code', () => {
    const code = makeCode({ timesUsed: 3, usageLimit: 50, lastUsedAt: NOW - HOUR });
    const blocks = buildCodeList([code], NOW, first, null);
    const text = sectionTexts(blocks).find((t) => t.includes(code.code)) ?? '';
    expect(text).toContain('Front desk tablets');
    expect(text).toContain('`ABCD-EFGH-JKMN`');
    expect(text).toContain(STATUS_LABEL.active);
    expect(text).toContain(`Expires: ${slackDateToken(code.expiresAt as number)}`);
    expect(text).toContain('3 / 50');
    expect(text).toContain(`Last used: ${slackDateToken(NOW - HOUR)}`);
    expect(text).toContain(ACTION_LABEL.create_account_and_device);
    expect(text).toContain(`${TARGET_LABEL.usernamePrefix}: \`acme-\``);
  });

  it('says "never" and ∞ for a code without expiry, limit or use', () => {
    const code = makeCode({ expiresAt: null, usageLimit: null, timesUsed: 3, lastUsedAt: null });
    const text = sectionTexts(buildCodeList([code], NOW, first, null)).join('\n');
    expect(text).toContain('Expires: never');
    expect(text).toContain('3 / ∞');
    expect(text).toContain('Last used: never');
  });

  it('writes instants as Slack date tokens with a readable fallback', () => {
    const expiresAt = Date.UTC(2026, 5, 1, 8, 30, 15, 999);
    const text = sectionTexts(buildCodeList([makeCode({ expiresAt })], NOW, first, null)).join();
    expect(text).toContain(
      `<!date^${Math.floor(expiresAt / 1000)}^{date_short_pretty} {time}|2026-06-01T08:30:15.999Z>`,
    );
  });

  it('shows the account or the device of the other actions', () => {
    const account = makeCode({
      action: 'create_device',
      usernamePrefix: null,
      accountId: 'acct@example',
    });
    const device = makeCode({
      action: 'use_existing_device',
      usernamePrefix: null,
      deviceId: 'dev_42',
    });
    const text = sectionTexts(buildCodeList([account, device], NOW, first, null)).join('\n');
    expect(text).toContain(
      `${ACTION_LABEL.create_device} · ${TARGET_LABEL.accountId}: \`acct@example\``,
    );
    expect(text).toContain(
      `${ACTION_LABEL.use_existing_device} · ${TARGET_LABEL.deviceId}: \`dev_42\``,
    );
  });

  it('shows each status', () => {
    const expired = makeCode({ expiresAt: NOW - 1 });
    const usedUp = makeCode({ usageLimit: 3, timesUsed: 3, limitReachedAt: NOW - HOUR });
    const grace = makeCode({
      usageLimit: 3,
      timesUsed: 3,
      limitReachedAt: NOW - HOUR,
      usageLimitDelaySeconds: 7200,
    });
    const texts = sectionTexts(buildCodeList([expired, usedUp, grace], NOW, first, null));
    expect(texts.some((t) => t.includes(STATUS_LABEL.expired))).toBe(true);
    expect(texts.some((t) => t.includes(STATUS_LABEL.used_up))).toBe(true);
    expect(texts.some((t) => t.includes(STATUS_LABEL.grace))).toBe(true);
    expect(texts.some((t) => t.includes('3 / 3 (+2h delay)'))).toBe(true);
  });

  it('offers Show QR, Edit, Share, History and Delete, each valued verb:id', () => {
    const code = makeCode();
    const [menu] = overflowsOf(buildCodeList([code], NOW, first, null));
    expect(menu?.action_id).toBe(ACTIONS.codeMenu);
    const options = (menu?.options ?? []) as { text: { text: string }; value: string }[];
    expect(options.map((o) => o.text.text)).toEqual([
      'Show QR',
      'Edit',
      'Share',
      'History',
      'Delete',
    ]);
    expect(options.map((o) => o.value)).toEqual(
      ['qr', 'edit', 'share', 'history', 'delete'].map((verb) => `${verb}:${code.id}`),
    );
  });

  it('offers Next only with a next cursor and Previous only after page 1', () => {
    const codes = [makeCode()];
    const only = buildCodeList(codes, NOW, first, null);
    expect(buttonOf(only, ACTIONS.listPrevious)).toBeUndefined();
    expect(buttonOf(only, ACTIONS.listNext)).toBeUndefined();

    const page1 = buildCodeList(codes, NOW, { q: 'acme', page: 1, cursors: [''] }, 'c1');
    expect(buttonOf(page1, ACTIONS.listPrevious)).toBeUndefined();
    const next = buttonOf(page1, ACTIONS.listNext);
    expect(next?.text).toEqual({ type: 'plain_text', text: 'Next' });
    expect(decodePosition(next?.value as string)).toEqual({
      q: 'acme',
      page: 2,
      cursors: ['', 'c1'],
    });

    const page2 = buildCodeList(codes, NOW, { q: 'acme', page: 2, cursors: ['', 'c1'] }, null);
    expect(buttonOf(page2, ACTIONS.listNext)).toBeUndefined();
    const previous = buttonOf(page2, ACTIONS.listPrevious);
    expect(previous?.text).toEqual({ type: 'plain_text', text: 'Previous' });
    expect(decodePosition(previous?.value as string)).toEqual({
      q: 'acme',
      page: 1,
      cursors: [''],
      shown: 0,
    });

    const middle = buildCodeList(codes, NOW, { q: '', page: 2, cursors: ['', 'c1'] }, 'c2');
    expect(buttonOf(middle, ACTIONS.listPrevious)).toBeDefined();
    expect(buttonOf(middle, ACTIONS.listNext)).toBeDefined();
  });

  it('names the page and the filter, escaped', () => {
    const blocks = buildCodeList(
      [makeCode()],
      NOW,
      { q: 'a<b>&c', page: 3, cursors: ['', 'c1', 'c2'] },
      null,
    );
    const heading = sectionTexts(blocks)[0] ?? '';
    expect(heading).toContain('page 3');
    expect(heading).toContain('a&lt;b&gt;&amp;c');
    expect(heading).not.toContain('a<b>');
  });

  it('says so when there is no code, or none matches', () => {
    expect(sectionTexts(buildCodeList([], NOW, first, null)).join()).toContain('/installcode add');
    expect(
      sectionTexts(buildCodeList([], NOW, { q: 'zzz', page: 1, cursors: [''] }, null)).join(),
    ).toContain('No code matches.');
    expectWithinSlackLimits(message(buildCodeList([], NOW, first, null)));
  });

  it('does not say "no match" for an empty filtered page with older codes still to look at', () => {
    const blocks = buildCodeList([], NOW, { q: 'zzz', page: 1, cursors: [''] }, 'cursor-2');
    const text = sectionTexts(blocks).join();
    expect(text).not.toContain('No code matches.');
    expect(text).toContain('Next* looks at older codes');
    expect(JSON.stringify(blocks)).toContain('"Next"');
  });

  it('escapes what people typed, so it cannot mention or link', () => {
    const code = makeCode({ description: '<!channel> <@U123> & <https://evil.example|click>' });
    const text = sectionTexts(buildCodeList([code], NOW, first, null)).join('\n');
    expect(text).toContain(
      '&lt;!channel&gt; &lt;@U123&gt; &amp; &lt;https://evil.example|click&gt;',
    );
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<@U123>');
  });

  it('stays within Slack’s limits with ten worst-case codes', () => {
    const codes = Array.from({ length: 10 }, (_, i) =>
      worstCode(CODE_ACTIONS[i % 3] as CodeAction),
    );
    const blocks = buildCodeList(
      codes,
      NOW,
      { q: NASTY_DESCRIPTION, page: 2, cursors: ['', 'x'.repeat(16)] },
      'y'.repeat(16),
    );
    expectWithinSlackLimits(message(blocks));
    const text = sectionTexts(blocks).join('\n');
    expect(text).toContain(`\`${LONGEST_CODE}\``);
    expect(text).toContain(`${Number.MAX_SAFE_INTEGER - 1} / ${Number.MAX_SAFE_INTEGER}`);
    expect(text).not.toMatch(/<&>/);
  });

  it('round-trips a position through encodePosition and decodePosition', () => {
    const positions: ListPosition[] = [
      { q: '', page: 1, cursors: [''] },
      {
        q: 'Front “desk” \\ "tablets" ✓',
        page: 3,
        cursors: ['', '01kf000000000001', '01kf000000000002'],
      },
      { q: 'x', page: 100, cursors: Array.from({ length: 100 }, (_, i) => (i ? recordId() : '')) },
    ];
    for (const position of positions) {
      expect(decodePosition(encodePosition(position))).toEqual(position);
    }
  });

  it('decodes a damaged position to something usable', () => {
    expect(decodePosition('{}')).toEqual({ q: '', page: 1, cursors: [''] });
    expect(decodePosition('{"q":5,"cursors":["",7,"c1"]}')).toEqual({
      q: '',
      page: 1,
      cursors: ['', 'c1'],
    });
  });

  /** Presses Next `pages` times and returns every button value seen on the way. */
  function pageThrough(q: string, pages: number): string[] {
    let position: ListPosition = { q, page: 1, cursors: [''] };
    const values: string[] = [];
    for (let page = 1; page <= pages; page++) {
      const blocks = buildCodeList([makeCode()], NOW, position, recordId());
      expectWithinSlackLimits(message(blocks));
      const next = buttonOf(blocks, ACTIONS.listNext);
      const previous = buttonOf(blocks, ACTIONS.listPrevious);
      if (previous) values.push(previous.value as string);
      values.push(next?.value as string);
      position = decodePosition(next?.value as string);
      expect(position.q).toBe(q);
    }
    return values;
  }

  it('keeps every button value within 2000 characters after 500 pages', () => {
    const values = pageThrough('acme', 500);
    expect(values.length).toBe(999);
    expect(Math.max(...values.map((v) => v.length))).toBeLessThanOrEqual(2000);
  });

  it('keeps every button value within 2000 characters after 500 pages of a 200-character filter', () => {
    // A description is up to 200 characters, so a filter this long can still match codes.
    const values = pageThrough('f'.repeat(200), 500);
    expect(Math.max(...values.map((v) => v.length))).toBeLessThanOrEqual(2000);
  });
});

describe('buildEditorModal', () => {
  const creating: EditorContext = { id: null, version: null, channelId: 'C123', generation: 0 };

  function inputBlock(view: ModalView, blockId: string): Json {
    const block = view.blocks.find((b) => b.block_id === blockId);
    expect(block, `block ${blockId}`).toBeDefined();
    return block as unknown as Json;
  }
  const elementOf = (view: ModalView, blockId: string) => inputBlock(view, blockId).element as Json;
  const labelOf = (view: ModalView, blockId: string) =>
    (inputBlock(view, blockId).label as { text: string }).text;

  it('has every field of a code', () => {
    const view = buildEditorModal(blankDraft('ABCD-EFGH-JKMN'), creating);
    expect(view.type).toBe('modal');
    expect(view.callback_id).toBe(CALLBACKS.editor);

    expect(labelOf(view, EDITOR_BLOCKS.description)).toBe('Description');
    expect(elementOf(view, EDITOR_BLOCKS.description)).toMatchObject({
      type: 'plain_text_input',
      action_id: INPUT,
    });
    expect(inputBlock(view, EDITOR_BLOCKS.description).optional).toBe(true);

    expect(labelOf(view, 'code.0')).toBe('Installation code');
    expect(elementOf(view, 'code.0')).toMatchObject({
      type: 'plain_text_input',
      action_id: INPUT,
      initial_value: 'ABCD-EFGH-JKMN',
    });
    const generate = buttonOf(view.blocks, ACTIONS.generateCode);
    expect(generate?.text).toEqual({ type: 'plain_text', text: 'Generate new code' });

    expect(labelOf(view, EDITOR_BLOCKS.expiresAt)).toBe('Expires after');
    expect(elementOf(view, EDITOR_BLOCKS.expiresAt).type).toBe('static_select');
    // A new code does not start as "never": the picker comes only with "a date".
    expect(elementOf(view, EDITOR_BLOCKS.expiresAt).initial_option).toMatchObject({ value: '7d' });
    expect(view.blocks.some((b) => b.block_id === EDITOR_BLOCKS.expiresOn)).toBe(false);

    expect(labelOf(view, EDITOR_BLOCKS.usageLimit)).toBe('Usage limit');
    expect(elementOf(view, EDITOR_BLOCKS.usageLimit)).toMatchObject({
      type: 'number_input',
      is_decimal_allowed: false,
    });

    expect(labelOf(view, EDITOR_BLOCKS.usageLimitDelay)).toBe('Usage limit delay');
    expect(elementOf(view, EDITOR_BLOCKS.usageLimitDelay).type).toBe('plain_text_input');

    const action = inputBlock(view, EDITOR_BLOCKS.action);
    expect(action.type).toBe('input');
    expect(action.dispatch_action).toBe(true);
    expect((action.label as { text: string }).text).toBe('Action');
    const radios = action.element as Json;
    expect(radios.type).toBe('radio_buttons');
    expect(radios.action_id).toBe(ACTIONS.chooseAction);
    expect((radios.options as { value: string }[]).map((o) => o.value)).toEqual([...CODE_ACTIONS]);
    expect(radios.initial_option).toBeUndefined();

    expect(view.blocks.some((b) => b.block_id?.startsWith(`${EDITOR_BLOCKS.target}.`))).toBe(false);
    expectWithinSlackLimits(view);
  });

  it('shows only the chosen action’s target field', () => {
    for (const action of CODE_ACTIONS) {
      const view = buildEditorModal({ ...blankDraft('ABCD'), action, target: 't1' }, creating);
      const targets = view.blocks.filter((b) => b.block_id?.startsWith(`${EDITOR_BLOCKS.target}.`));
      expect(targets.map((b) => b.block_id)).toEqual([`target.${action}`]);
      expect(labelOf(view, `target.${action}`)).toBe(TARGET_LABEL[TARGET_FIELD[action]]);
      expect(elementOf(view, `target.${action}`)).toMatchObject({
        type: 'plain_text_input',
        initial_value: 't1',
        max_length: action === 'create_account_and_device' ? 32 : 64,
      });
      expect(inputBlock(view, `target.${action}`).optional).toBe(false);
      const radios = elementOf(view, EDITOR_BLOCKS.action);
      expect((radios.initial_option as { value: string }).value).toBe(action);
      expectWithinSlackLimits(view);
    }
  });

  it('keeps its context in private_metadata', () => {
    const contexts: EditorContext[] = [
      creating,
      { id: '01kf000000000009', version: 42, channelId: null, generation: 3 },
    ];
    for (const context of contexts) {
      const view = buildEditorModal(blankDraft('ABCD'), context);
      expect(decodeContext(view.private_metadata)).toEqual(context);
      expect(view.blocks.some((b) => b.block_id === `code.${context.generation}`)).toBe(true);
    }
  });

  it('has a title of at most 24 characters, creating and editing', () => {
    const create = buildEditorModal(blankDraft('ABCD'), creating);
    const edit = buildEditorModal(blankDraft('ABCD'), { ...creating, id: 'x', version: 1 });
    expect(create.title.text.length).toBeLessThanOrEqual(24);
    expect(edit.title.text.length).toBeLessThanOrEqual(24);
    expect(create.title.text).not.toBe(edit.title.text);
  });

  it('fills in every field of the code being edited', () => {
    const code = makeCode({
      description: 'Front desk',
      expiresAt: Date.UTC(2026, 2, 1, 9, 30),
      usageLimit: 50,
      usageLimitDelaySeconds: 7200,
      action: 'create_device',
      usernamePrefix: null,
      accountId: 'acct-1',
    });
    const context = { id: code.id, version: code.version, channelId: null, generation: 0 };
    const view = buildEditorModal(draftOf(code), context);
    expect(elementOf(view, EDITOR_BLOCKS.description).initial_value).toBe('Front desk');
    expect(elementOf(view, 'code.0').initial_value).toBe(code.code);
    expect(elementOf(view, EDITOR_BLOCKS.expiresAt).initial_option).toMatchObject({
      value: 'date',
    });
    expect(elementOf(view, EDITOR_BLOCKS.expiresOn).initial_date_time).toBe(
      Date.UTC(2026, 2, 1, 9, 30) / 1000,
    );
    expect(elementOf(view, EDITOR_BLOCKS.usageLimit).initial_value).toBe('50');
    expect(elementOf(view, EDITOR_BLOCKS.usageLimitDelay).initial_value).toBe('2h');
    expect(elementOf(view, EDITOR_BLOCKS.action).initial_option).toMatchObject({
      text: { type: 'plain_text', text: ACTION_LABEL.create_device },
      value: 'create_device',
    });
    expect(elementOf(view, 'target.create_device').initial_value).toBe('acct-1');
    expectWithinSlackLimits(view);
  });

  it('stays within Slack’s limits with worst-case codes', () => {
    for (const code of WORST_CODES) {
      // A description of the longest length the rules allow, without the escaping a message needs.
      const view = buildEditorModal(draftOf(code), {
        id: code.id,
        version: code.version,
        channelId: 'C0123456789ABCDEF',
        generation: 1_000_000,
      });
      expectWithinSlackLimits(view);
      expect(elementOf(view, EDITOR_BLOCKS.description).initial_value).toBe(NASTY_DESCRIPTION);
      expect(elementOf(view, 'code.1000000').initial_value).toBe(LONGEST_CODE);
    }
  });
});

describe('buildChannelCard and qrComment', () => {
  const card = (code: ReturnType<typeof makeCode> | null, extra: Partial<ChannelCardInput> = {}) =>
    buildChannelCard({
      code,
      now: NOW,
      sharedBy: 'U0SHARER',
      qrFileId: 'F0QR',
      removal: null,
      installPage: null,
      ...extra,
    }).blocks;

  it('tells the channel what the code is for, how to use it, until when, and whom to ask', () => {
    const code = makeCode();
    const blocks = card(code);
    expect(blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Front desk tablets' },
    });
    const text = JSON.stringify(blocks);
    expect(text).toContain('`ABCD-EFGH-JKMN`');
    expect(text).toContain('1. ');
    expect(text).toContain(slackDateToken(code.expiresAt as number));
    expect(text).toContain('47 uses left');
    expect(text).toContain('Ask <@U0SHARER>');
    expect(text).toContain('"slack_file":{"id":"F0QR"}');
    // Internal details stay in staff views.
    expect(text).not.toContain('acme-');
    expect(text).not.toContain('3 / 50');
    expect(overflowsOf(blocks)).toEqual([]);
    expectWithinSlackLimits(message(blocks));
  });

  it('offers the installation page as a button only when it is an https:// page', () => {
    const withPage = JSON.stringify(card(makeCode(), { installPage: 'https://x.test/i/A' }));
    expect(withPage).toContain('Open the installation page');
    expect(withPage).toContain('https://x.test/i/A');
    expect(JSON.stringify(card(makeCode()))).not.toContain('Open the installation page');
  });

  it('shows neither the code nor a QR once the code no longer works, and says why', () => {
    const usedUp = makeCode({ timesUsed: 50, limitReachedAt: NOW - HOUR });
    for (const [code, why] of [
      [usedUp, 'used up'],
      [makeCode({ expiresAt: NOW - HOUR }), 'expired'],
    ] as const) {
      const text = JSON.stringify(card(code));
      expect(text).toContain('no longer works');
      expect(text).toContain(why);
      expect(text).not.toContain('ABCD-EFGH-JKMN');
      expect(text).not.toContain('slack_file');
    }
    const removed = JSON.stringify(card(null, { removal: { by: 'UADMIN', at: NOW } }));
    expect(removed).toContain('removed by <@UADMIN>');
    expect(removed).not.toContain('slack_file');
  });

  it('has a header even without a description', () => {
    const blocks = card(makeCode({ description: null }));
    expect(blocks[0]?.type).toBe('header');
    expectWithinSlackLimits(message(blocks));
  });

  it('stays within Slack’s limits with worst-case codes', () => {
    for (const code of WORST_CODES) {
      const blocks = card(code, { installPage: `https://x.test/${'a'.repeat(2900)}` });
      expectWithinSlackLimits(message(blocks));
      const header = blocks[0] as { text: { text: string } };
      // plain_text needs no escaping: the header reads as typed, cut to Slack's 150 characters.
      expect(header.text.text.startsWith('<&><&>')).toBe(true);
      expect(sectionTexts(blocks).join()).not.toMatch(/<&>/);
    }
  });

  it('writes a QR comment with the code and its details, escaped', () => {
    const code = worstCode('use_existing_device');
    const comment = qrComment(code, NOW);
    expect(comment).toContain(`\`${LONGEST_CODE}\``);
    expect(comment).toContain(STATUS_LABEL.active);
    expect(comment).toContain(slackDateToken(code.expiresAt as number));
    expect(comment).toContain(`\`${LONGEST_ID}\``);
    expect(comment).toContain('&lt;&amp;&gt;');
    expect(comment).not.toMatch(/<&>/);
  });
});

describe('buildDeletePrompt and the removal request', () => {
  type Button = {
    action_id: string;
    value: string;
    style?: string;
    text: { text: string };
    confirm?: {
      title: { text: string };
      text: { text: string };
      confirm: { text: string };
      deny: { text: string };
    };
  };
  const buttons = (blocks: KnownBlock[]) =>
    allElements(blocks).filter((e) => e.type === 'button') as unknown as Button[];
  const removalRequest = (code: InstallCode, reason = ''): RemovalRequest => ({
    id: 'req-1',
    codeId: code.id,
    code: code.code,
    requestedBy: 'U0STAFF',
    reason,
    at: NOW,
    copies: [],
    decided: null,
  });

  it('an admin’s prompt: Remove, confirmed by Slack, and Cancel, carrying the record ID', () => {
    const code = makeCode();
    const blocks = buildDeletePrompt(code, NOW, 'admin');
    const [remove, cancel, ...rest] = buttons(blocks);
    expect(rest).toEqual([]);
    expect(remove?.action_id).toBe(ACTIONS.deleteRemove);
    expect(remove?.text.text).toBe('Remove');
    expect(remove?.style).toBe('danger');
    expect(remove?.confirm?.confirm.text).toBe('Remove');
    expect(remove?.confirm?.deny.text).toBeTruthy();
    expect(remove?.value).toBe(code.id);
    expect(cancel?.action_id).toBe(ACTIONS.deleteCancel);
    expect(cancel?.text.text).toBe('Cancel');
    expect(cancel?.confirm).toBeUndefined();
    expect(cancel?.value).toBe(code.id);
    expect(sectionTexts(blocks).join()).toContain('`ABCD-EFGH-JKMN`');
    expectWithinSlackLimits(message(blocks));
  });

  it('a staff member’s prompt says Remove asks the admins; its dialog is the confirmation', () => {
    const code = makeCode();
    const blocks = buildDeletePrompt(code, NOW, 'staff');
    const remove = buttons(blocks).find((b) => b.action_id === ACTIONS.deleteRemove);
    expect(remove?.confirm).toBeUndefined();
    expect(sectionTexts(blocks)[0]).toMatch(/asks them/);
    const modal = buildRemovalReasonModal(code, { codeId: code.id, responseUrl: 'https://x' });
    expect(modal.callback_id).toBe(CALLBACKS.removalReason);
    expect(modal.submit?.text).toBe('Ask the admins');
    expect(sectionTexts(modal.blocks)[0]).toContain(`Ask the admins to remove \`${code.code}\`?`);
    expect(JSON.stringify(modal.blocks)).toContain('"max_length":500');
    expectWithinSlackLimits(modal);
  });

  it('sends the admins Remove code, confirmed, and Keep code, both carrying the request ID', () => {
    const code = makeCode();
    const blocks = buildRemovalRequest(removalRequest(code, 'Kiosk <b> & gone'), code, NOW);
    const [remove, keep, ...rest] = buttons(blocks);
    expect(rest).toEqual([]);
    expect(remove?.action_id).toBe(ACTIONS.adminRemove);
    expect(remove?.text.text).toBe('Remove code');
    expect(remove?.confirm).toBeDefined();
    expect(keep?.action_id).toBe(ACTIONS.adminCancel);
    expect(keep?.text.text).toBe('Keep code');
    for (const button of [remove, keep]) expect(button?.value).toBe('req-1');
    expect(sectionTexts(blocks)[0]).toContain('<@U0STAFF>');
    expect(sectionTexts(blocks)[1]).toContain('>Kiosk &lt;b&gt; &amp; gone');
    expectWithinSlackLimits(message(blocks));
  });

  it('stays within Slack’s limits with worst-case codes and reasons', () => {
    const reason = '<&>\n'.repeat(125);
    for (const code of WORST_CODES) {
      expectWithinSlackLimits(message(buildDeletePrompt(code, NOW, 'admin')));
      expectWithinSlackLimits(message(buildDeletePrompt(code, NOW, 'staff')));
      const request = removalRequest(code, reason);
      expectWithinSlackLimits(message(buildRemovalRequest(request, code, NOW)));
      const decided = { ...request, decided: { decision: 'gone' as const, by: 'U1', at: NOW } };
      expectWithinSlackLimits(message(buildRemovalOutcome(decided)));
      expectWithinSlackLimits(
        buildRemovalReasonModal(code, {
          codeId: LONGEST_ID,
          responseUrl: `https://${'x'.repeat(500)}`,
        }),
      );
    }
  });
});

describe('buildHistory', () => {
  const code = makeCode();

  it('tells who did what, newest first', () => {
    const events: HistoryEvent[] = [
      { at: NOW - 1_000, by: 'U0SHARER', type: 'shared', channel: 'C0GENERAL' },
      {
        at: NOW - 2_000,
        by: 'device',
        type: 'redeemed',
        deviceId: 'dev_1',
        accountId: 'acme-0001',
      },
      { at: NOW - 3_000, by: 'api', type: 'renamed', from: 'OLD-CODE', to: 'ABCD-EFGH-JKMN' },
      { at: NOW - 4_000, by: 'U0EDITOR', type: 'updated', changed: ['usageLimit', 'expiresAt'] },
      { at: NOW - 5_000, by: 'U0CREATOR', type: 'created' },
    ];
    const blocks = buildHistory(code, events);
    const text = sectionTexts(blocks).join('\n');
    expect(sectionTexts(blocks)[0]).toContain('`ABCD-EFGH-JKMN`');
    const lines = text.split('\n').filter((l) => l.startsWith('<!date^'));
    expect(lines).toHaveLength(5);
    expect(lines[0]).toContain(slackDateToken(NOW - 1_000));
    expect(lines[0]).toContain('<@U0SHARER> shared it in <#C0GENERAL>');
    expect(lines[1]).toContain('A device used it: device `dev_1` in account `acme-0001`');
    expect(lines[2]).toContain('The API renamed it from `OLD-CODE` to `ABCD-EFGH-JKMN`');
    // An event written before old and new values were kept names the fields, in words.
    expect(lines[3]).toContain('<@U0EDITOR> changed usage limit, expiry');
    expect(lines[4]).toContain(slackDateToken(NOW - 5_000));
    expect(lines[4]).toContain('<@U0CREATOR> created it');
    expectWithinSlackLimits(message(blocks));
  });

  it('tells each change old → new, in words a reader knows', () => {
    const events: HistoryEvent[] = [
      {
        at: NOW,
        by: 'U0EDITOR',
        type: 'updated',
        changed: ['description', 'usageLimit', 'expiresAt', 'usageLimitDelaySeconds', 'action'],
        changes: [
          { field: 'description', from: 'Front *desk*', to: null },
          { field: 'expiresAt', from: null, to: NOW + DAY },
          { field: 'usageLimit', from: 10, to: 50 },
          { field: 'usageLimitDelaySeconds', from: null, to: 1800 },
          { field: 'action', from: 'create_device', to: 'use_existing_device' },
          { field: 'accountId', from: 'acme-1', to: null },
          { field: 'deviceId', from: null, to: 'dev_9' },
        ],
      },
      {
        at: NOW - 1_000,
        by: 'api',
        type: 'renamed',
        from: 'OLD-CODE',
        to: 'NEW-CODE',
        changes: [
          { field: 'code', from: 'OLD-CODE', to: 'NEW-CODE' },
          { field: 'usageLimit', from: null, to: 5 },
        ],
      },
    ];
    const [update, rename] = sectionTexts(buildHistory(code, events))
      .join('\n')
      .split('\n')
      .slice(1);
    expect(update).toContain('description from “Front \u200B*\u200Bdesk\u200B*\u200B” to none');
    expect(update).toContain(`expiry from never to ${slackDateToken(NOW + DAY)}`);
    expect(update).toContain('usage limit from 10 to 50');
    expect(update).toContain('usage limit delay from none to 30m');
    expect(update).toContain(
      'action from Add a device to an existing account to Install an existing device',
    );
    expect(update).toContain('account ID from `acme-1` to none');
    expect(update).toContain('device ID from none to `dev_9`');
    expect(rename).toContain(
      'The API renamed it from `OLD-CODE` to `NEW-CODE`, and changed usage limit from no limit to 5',
    );
  });

  it('names the device of a redemption, and tells a run of them once', () => {
    const used = (i: number, name?: string, model?: string): HistoryEvent => ({
      at: NOW - i * 60_000,
      by: 'device',
      type: 'redeemed',
      deviceId: `dev_${i}`,
      accountId: 'acme-0001',
      ...(name ? { deviceName: name } : {}),
      ...(model ? { deviceModel: model } : {}),
    });
    const events: HistoryEvent[] = [
      { at: NOW + 1_000, by: 'U0SHARER', type: 'shared', channel: 'C0GENERAL' },
      used(1, 'Front *desk*', 'iPad 9'),
      used(2, 'Back office'),
      ...Array.from({ length: 10 }, (_, i) => used(i + 3)),
      { at: NOW - 20 * 60_000, by: 'U0SHARER', type: 'shared', channel: 'C0GENERAL' },
      { at: NOW - 21 * 60_000, by: 'U0SHARER', type: 'shared', channel: 'C0GENERAL' },
      used(30, 'Lone kiosk', 'Kiosk 2'),
    ];
    const lines = sectionTexts(buildHistory(code, events)).join('\n').split('\n').slice(1);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toContain('shared it in <#C0GENERAL>');
    const token = (at: number) => slackDateToken(at).replaceAll('^', '\\^');
    expect(lines[1]).toMatch(
      new RegExp(
        `Devices used it 12 times between ${token(NOW - 12 * 60_000)}[^>]*> and ${token(NOW - 60_000)}`,
      ),
    );
    expect(lines[1]).toContain(
      'the latest: `dev_1` “Front \u200B*\u200Bdesk\u200B*\u200B” (iPad 9) in account `acme-0001`, `dev_2` “Back office” in account `acme-0001`, `dev_3` in account `acme-0001`, …',
    );
    expect(lines[1]).not.toContain('dev_4');
    expect(lines[2]).toContain('<@U0SHARER> shared it in <#C0GENERAL> (2 times between');
    expect(lines[3]).toContain('A device used it: device `dev_30` “Lone kiosk” (Kiosk 2)');
  });

  it('fits 50 updates that each change every setting to its longest within Slack’s limits', () => {
    const longest = 'Ω<&>*_'.repeat(40).slice(0, 200);
    const events: HistoryEvent[] = Array.from({ length: HISTORY_LENGTH }, (_, i) => ({
      at: NOW - i * 1000,
      by: i % 2 ? 'W0123456789ABCDEFGH' : 'api',
      type: i % 3 ? 'updated' : 'renamed',
      from: LONGEST_CODE,
      to: LONGEST_CODE,
      changes: [
        { field: 'code', from: LONGEST_CODE, to: LONGEST_CODE },
        { field: 'description', from: longest, to: longest },
        { field: 'expiresAt', from: NOW, to: NOW + DAY },
        { field: 'usageLimit', from: Number.MAX_SAFE_INTEGER, to: 1 },
        { field: 'usageLimitDelaySeconds', from: 3600, to: 86_400 },
        { field: 'action', from: 'create_account_and_device', to: 'use_existing_device' },
        { field: 'usernamePrefix', from: LONGEST_PREFIX, to: null },
        { field: 'accountId', from: LONGEST_ID, to: LONGEST_ID },
        { field: 'deviceId', from: null, to: LONGEST_ID },
      ],
    }));
    const blocks = buildHistory(worstCode(), events);
    expect(blocks.length).toBeLessThanOrEqual(50);
    expectWithinSlackLimits(message(blocks));
    const text = sectionTexts(blocks).join('\n');
    expect(text).toContain(slackDateToken(NOW - (HISTORY_LENGTH - 1) * 1000));
  });

  it('says so when nothing has happened', () => {
    const blocks = buildHistory(code, []);
    expect(sectionTexts(blocks).join()).toContain('Nothing has happened yet.');
    expectWithinSlackLimits(message(blocks));
  });

  it('escapes what it quotes', () => {
    const blocks = buildHistory(code, [
      { at: NOW, by: 'api', type: 'renamed', from: '<!here>', to: 'a&b' },
    ]);
    const text = sectionTexts(blocks).join();
    expect(text).toContain('`&lt;!here&gt;`');
    expect(text).toContain('`a&amp;b`');
  });

  /** The longest lines a history can hold: 64-character codes, IDs and every field changed. */
  function worstEvents(count: number): HistoryEvent[] {
    const kinds: Omit<HistoryEvent, 'at'>[] = [
      { by: 'W0123456789ABCDEFGH', type: 'renamed', from: LONGEST_CODE, to: LONGEST_CODE },
      { by: 'device', type: 'redeemed', deviceId: LONGEST_ID, accountId: LONGEST_ID },
      {
        by: 'W0123456789ABCDEFGH',
        type: 'updated',
        changed: [
          'code',
          'description',
          'expiresAt',
          'usageLimit',
          'usageLimitDelaySeconds',
          'action',
          'usernamePrefix',
          'accountId',
          'deviceId',
        ],
      },
      { by: 'W0123456789ABCDEFGH', type: 'shared', channel: 'C0123456789ABCDEF' },
    ];
    return Array.from({ length: count }, (_, i) => ({
      at: Date.UTC(9999, 11, 31) - i * 1000,
      ...(kinds[i % kinds.length] as Omit<HistoryEvent, 'at'>),
    }));
  }

  it('fits the 50 events a code keeps within Slack’s limits', () => {
    const events = worstEvents(HISTORY_LENGTH);
    const blocks = buildHistory(worstCode(), events);
    expect(blocks.length).toBeLessThanOrEqual(50);
    expectWithinSlackLimits(message(blocks));
    const lines = sectionTexts(blocks)
      .join('\n')
      .split('\n')
      .filter((l) => l.startsWith('<!date^'));
    expect(lines[0]).toContain(slackDateToken(events[0]?.at as number));
  });

  it('shows all 50 events a code keeps, down to the oldest', () => {
    const events = worstEvents(HISTORY_LENGTH);
    const lines = sectionTexts(buildHistory(code, events))
      .join('\n')
      .split('\n')
      .filter((l) => l.startsWith('<!date^'));
    expect(lines).toHaveLength(HISTORY_LENGTH);
    expect(lines.at(-1)).toContain(slackDateToken(events.at(-1)?.at as number));
  });

  it('stays within Slack’s limits with more events than it keeps', () => {
    expectWithinSlackLimits(message(buildHistory(code, worstEvents(500))));
  });
});

describe('buildDashboard', () => {
  const dashboard = (input: Partial<DashboardInput> = {}) =>
    buildDashboard({
      choice: DEFAULT_HOME_CHOICE,
      now: NOW,
      codes: [],
      nextCursor: null,
      expiring: [],
      pendingRemovals: [],
      ...input,
    });

  it('offers Create, my codes or all, a status filter, and a page of codes with their menus', () => {
    const codes = Array.from({ length: 15 }, (_, i) => makeCode({ description: `Home ${i}` }));
    const view = dashboard({ codes, nextCursor: 'next-entry' });
    expect(view.type).toBe('home');
    for (const id of [ACTIONS.homeCreate, ACTIONS.homeMine, ACTIONS.homeAll, ACTIONS.homeNext]) {
      expect(buttonOf(view.blocks, id), id).toBeDefined();
    }
    expect(buttonOf(view.blocks, ACTIONS.homePrevious)).toBeUndefined();
    expect(JSON.stringify(view)).toContain(ACTIONS.homeStatus);
    const menus = overflowsOf(view.blocks);
    expect(menus).toHaveLength(10);
    expect(menus.map((m) => (m.options as { value: string }[])[0]?.value)).toEqual(
      codes.slice(0, 10).map((c) => `qr:${c.id}`),
    );
    expect(sectionTexts(view.blocks).join()).not.toContain('Home 10');
    expectWithinSlackLimits(view);
  });

  it('lists what stops working within 7 days on top, and says which page and filter it shows', () => {
    const soon = makeCode({ description: 'Soon gone', expiresAt: NOW + HOUR });
    const view = dashboard({
      expiring: [soon],
      choice: {
        ...DEFAULT_HOME_CHOICE,
        scope: 'mine',
        status: 'active',
        page: 2,
        cursors: ['', 'x'],
      },
    });
    const text = sectionTexts(view.blocks).join('\n');
    expect(text).toContain('Stop working within 7 days');
    expect(text).toContain('Soon gone');
    expect(text).toContain('My codes');
    expect(text).toContain('page 2');
    expect(buttonOf(view.blocks, ACTIONS.homePrevious)).toBeDefined();
    expectWithinSlackLimits(view);
  });

  it('still offers Create without codes', () => {
    const view = dashboard();
    expect(buttonOf(view.blocks, ACTIONS.homeCreate)).toBeDefined();
    expectWithinSlackLimits(view);
  });

  it('shows an outsider only a polite text', () => {
    const view = OUTSIDER_HOME;
    expect(view.type).toBe('home');
    expect(allElements(view.blocks)).toEqual([]);
    expect(sectionTexts(view.blocks).join()).toMatch(/ask an admin/i);
    expectWithinSlackLimits(view);
  });

  it('stays within Slack’s limits with worst-case codes', () => {
    const codes = Array.from({ length: 10 }, (_, i) =>
      worstCode(CODE_ACTIONS[i % 3] as CodeAction),
    );
    expectWithinSlackLimits(dashboard({ codes, expiring: codes.slice(0, 5), nextCursor: 'x' }));
  });
});

describe('buildCodePicker and buildCodeOptions', () => {
  it('asks within Slack’s limits, naming a long unknown code clipped and escaped', () => {
    const picker = buildCodePicker(
      { verb: 'share', channelId: 'C0123456789ABCDEF' },
      '<&>'.repeat(300),
    );
    expectWithinSlackLimits(message(picker));
    const text = sectionTexts(picker).join();
    expect(text).toContain('; pick one:');
    expect(text).not.toMatch(/<|>/);
    expect(allElements(picker).map((e) => e.type)).toEqual(['external_select']);
  });

  it('serves at most 100 options, each within 75 characters of text and 150 of value', () => {
    const codes = Array.from({ length: 120 }, (_, i) =>
      i % 2 ? worstCode() : makeCode({ description: 'D'.repeat(200), code: `SHORT-${i}` }),
    );
    const options = buildCodeOptions(codes);
    expect(options).toHaveLength(100);
    for (const [i, o] of options.entries()) {
      const problems = slackLimitProblems(
        message([
          {
            type: 'actions',
            elements: [{ type: 'overflow', action_id: 'x', options: [o, o] }],
          },
        ]),
      );
      expect(problems, `option ${i}`).toEqual([]);
    }
    // The code always shows whole.
    expect(options[0]?.text.text).toMatch(/… · SHORT-0$/);
    expect(options[1]?.text.text).toBe(LONGEST_CODE);
  });
});

describe('buildHelp', () => {
  it('lists every subcommand and alias', () => {
    const blocks = buildHelp();
    const text = sectionTexts(blocks).join('\n');
    for (const usage of [
      '/installcode add',
      '/installcode list [text]',
      '/installcode edit [CODE]',
      '/installcode qr [CODE]',
      '/installcode share [CODE] [#channel]',
      '/installcode delete [CODE]',
      '/installcode history [CODE]',
    ]) {
      expect(text).toContain(`\`${usage}\``);
    }
    for (const alias of ['new', 'create', 'show']) expect(text).toContain(`\`${alias}\``);
    expect(buttonOf(blocks, 'help_create')).toBeDefined();
    expect(buttonOf(blocks, 'help_list')).toBeDefined();
    expectWithinSlackLimits(message(blocks));
  });
});

describe('buildShareModal', () => {
  it('asks for a channel within Slack’s limits', () => {
    const code = worstCode();
    const view = buildShareModal(code, 'C0123');
    expect(JSON.parse(view.private_metadata ?? '{}')).toEqual({ id: code.id, from: 'C0123' });
    expect(allElements(view.blocks).map((e) => e.type)).toEqual(['conversations_select']);
    expect(allElements(view.blocks)[0]).toMatchObject({
      default_to_current_conversation: true,
      initial_conversation: 'C0123',
    });
    expect(view.submit?.text).toBe('Share');
    expectWithinSlackLimits(view);
    expect(JSON.stringify(buildShareModal(code, 'D0123'))).not.toContain('initial_conversation');
  });
});

describe('list positions past the remembered pages', () => {
  it('goes back to the first page once Previous runs out of remembered cursors', () => {
    const far: ListPosition = { q: 'acme', page: 120, cursors: ['0000000000000120'] };
    expect(previousPosition(far)).toEqual({ q: 'acme', page: 1, cursors: [''], shown: 0 });
    expect(nextPosition(far, '0000000000000121')).toEqual({
      q: 'acme',
      page: 121,
      cursors: ['0000000000000120', '0000000000000121'],
    });
  });
});
