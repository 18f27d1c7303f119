/**
 * The editor modal (its buttons, its radio buttons and its submission), the global shortcut and
 * the App Home, end to end over signed HTTP requests.
 */
import { describe, expect, it } from 'vitest';
import type { CodeInput } from '../../src/codes/rules.js';
import type { FakeSlackView } from '../support/fake-slack.js';
import { decodeQr } from '../support/qr.js';
import { redeemBody } from '../support/service.js';
import { field, option, type SlackSender } from '../support/slack-requests.js';
import { ADMIN, CHANNEL, OUTSIDER, type SlackHarness, STAFF } from '../support/slack-service.js';
import {
  block,
  blockIds,
  blocksOf,
  button,
  CODE_FORMAT,
  codeBlockOf,
  type EditorEntry,
  editorValues,
  eventually,
  GROUP,
  initialCode,
  listedIds,
  postedCard,
  responseTo,
  settle,
  sleep,
  textOf,
  typed,
  useSlackHarness,
} from './helpers.js';

let h: SlackHarness;
let slack: SlackSender;

useSlackHarness((harness, sender) => {
  h = harness;
  slack = sender;
  // The app is in the support channel and in the channel picked to share into; not in CPRIVATE.
  for (const channel of [CHANNEL, 'CPICKED']) h.fake.inviteBot(channel);
});

const create = (input: CodeInput = {}, by = STAFF) =>
  h.service.codes.createCode({ ...GROUP, ...input }, by);

/** Opens the editor with `/installcode <text>` and gives the view as Slack holds it. */
async function openEditor(text = 'add', userId = STAFF): Promise<FakeSlackView> {
  const answer = await slack.command(text, { userId, channelId: CHANNEL });
  expect(answer.status).toBe(200);
  await h.fake.waitForCall('views.open', (c) => c.args.trigger_id === answer.triggerId);
  return h.fake.lastView('code_editor') as FakeSlackView;
}

function submit(view: FakeSlackView, entry: EditorEntry, userId = STAFF) {
  return slack.viewSubmission({ userId, view: typed(view, editorValues(view, entry)) });
}

/** Chooses `action` in the open editor and gives the view Slack holds after the app's update. */
async function chooseAction(view: FakeSlackView, entry: EditorEntry): Promise<FakeSlackView> {
  const before = h.fake.callsTo('views.update').length;
  const answer = await slack.blockAction({
    userId: STAFF,
    actionId: 'editor_choose_action',
    blockId: 'action',
    type: 'radio_buttons',
    selectedOption: option(String(entry.action)),
    view: typed(view, editorValues(view, entry)),
  });
  expect(answer.status).toBe(200);
  const update = await h.fake.waitForCall(
    'views.update',
    (c) => h.fake.callsTo('views.update').indexOf(c) >= before,
  );
  expect(update.args.view_id).toBe(view.id);
  expect(update.args.hash).toBe(view.hash);
  return h.fake.views.get(view.id) as FakeSlackView;
}

/** Chooses `entry.expiry` under "Expires after" and gives the view Slack holds after the app's update. */
async function chooseExpiry(view: FakeSlackView, entry: EditorEntry): Promise<FakeSlackView> {
  const before = h.fake.callsTo('views.update').length;
  const answer = await slack.blockAction({
    userId: STAFF,
    actionId: 'editor_choose_expiry',
    blockId: 'expires_at',
    type: 'static_select',
    selectedOption: option(String(entry.expiry)),
    view: typed(view, editorValues(view, entry)),
  });
  expect(answer.status).toBe(200);
  await h.fake.waitForCall(
    'views.update',
    (c) => h.fake.callsTo('views.update').indexOf(c) >= before,
  );
  return h.fake.views.get(view.id) as FakeSlackView;
}

/** Every error message of an answer, and none of them in the API's words (an action's ID, seconds). */
function errorMessages(answer: Record<string, unknown>): Record<string, string> {
  expect(answer.response_action).toBe('errors');
  const errors = answer.errors as Record<string, string>;
  for (const message of Object.values(errors)) {
    expect(message).not.toMatch(/create_account_and_device|create_device|use_existing_device/);
    expect(message).not.toMatch(/editor_|seconds|usageLimit|expiresAt/);
  }
  return errors;
}

describe('Generate new code', () => {
  it('puts a new code in a code block with a new block id, keeping what was typed', async () => {
    const opened = await openEditor();
    const first = initialCode(opened);
    const entry = {
      description: 'Typed before generating',
      code: 'my-own-code',
      usageLimit: '7',
      usageLimitDelay: '30m',
      action: 'create_device',
      target: 'acct-42',
    };
    const answer = await slack.blockAction({
      userId: STAFF,
      actionId: 'editor_generate_code',
      blockId: 'generate',
      view: typed(opened, editorValues(opened, entry)),
    });
    expect(answer.status).toBe(200);
    const update = await h.fake.waitForCall('views.update');
    expect(update.args.view_id).toBe(opened.id);
    expect(update.args.hash).toBe(opened.hash);
    const updated = h.fake.views.get(opened.id) as FakeSlackView;
    const newBlock = codeBlockOf(updated);
    expect(newBlock).not.toBe(codeBlockOf(opened));
    expect(blockIds(updated)).not.toContain(codeBlockOf(opened));
    const generated = initialCode(updated);
    expect(generated).toMatch(CODE_FORMAT);
    expect(generated).not.toBe(first);
    expect(generated).not.toBe('my-own-code');
    expect(block(updated, 'description').element?.initial_value).toBe('Typed before generating');
    expect(block(updated, 'usage_limit').element?.initial_value).toBe('7');
    expect(block(updated, 'usage_limit_delay').element?.initial_value).toBe('30m');
    expect(block(updated, 'action').element?.initial_option?.value).toBe('create_device');
    expect(block(updated, 'target.create_device').element?.initial_value).toBe('acct-42');

    // Saving the updated editor creates the generated code.
    const saved = await submit(updated, { ...entry, code: generated });
    expect(saved).toEqual({});
    expect(await h.service.codes.getCode(String(generated))).toMatchObject({
      description: 'Typed before generating',
      usageLimit: 7,
      accountId: 'acct-42',
    });
  });
});

describe('choosing an action', () => {
  it.each([
    ['create_account_and_device', 'Username prefix'],
    ['create_device', 'Account ID'],
    ['use_existing_device', 'Device ID'],
  ])('%s swaps in its one field (%s), keeping what was typed', async (action, label) => {
    const opened = await openEditor();
    expect(blockIds(opened).filter((id) => id.startsWith('target'))).toEqual([]);
    const updated = await chooseAction(opened, {
      description: 'Kept',
      code: initialCode(opened),
      action,
    });
    expect(blockIds(updated).filter((id) => id.startsWith('target'))).toEqual([`target.${action}`]);
    expect(block(updated, `target.${action}`).label?.text).toBe(label);
    expect(block(updated, 'description').element?.initial_value).toBe('Kept');
    expect(initialCode(updated)).toBe(initialCode(opened));
  });

  it('choosing another action replaces the field of the first', async () => {
    const opened = await openEditor();
    const code = initialCode(opened);
    const first = await chooseAction(opened, { code, action: 'create_device', target: 'acct-1' });
    const second = await chooseAction(first, {
      code,
      action: 'use_existing_device',
      target: null,
    });
    expect(blockIds(second).filter((id) => id.startsWith('target'))).toEqual([
      'target.use_existing_device',
    ]);
  });
});

describe('saving', () => {
  it('shows every invalid value on its own field in its own words, and writes nothing', async () => {
    const opened = await openEditor();
    const entry = { code: initialCode(opened), action: 'create_account_and_device' };
    const withTarget = await chooseAction(opened, entry);
    const withDate = await chooseExpiry(withTarget, { ...entry, expiry: 'date' });
    expect(block(withDate, 'expires_on').element?.type).toBe('datetimepicker');
    const answer = await submit(withDate, {
      code: 'ab',
      expiry: 'date',
      expiresAt: Math.floor(Date.now() / 1000) - 3600,
      usageLimit: '0',
      usageLimitDelay: 'soon',
      action: 'create_account_and_device',
      target: 'ACME!',
    });
    expect(errorMessages(answer)).toEqual({
      [codeBlockOf(withDate)]:
        '4–64 letters, digits, - and _, of which at least 4 letters or digits',
      expires_on: 'a date in the future',
      usage_limit: 'a whole number, 1 or more',
      usage_limit_delay: 'a duration like 30m, 12h or 7d, from 1 minute to 365 days',
      'target.create_account_and_device': '1–32 of a-z 0-9 . _ -',
    });
    expect((await h.service.codes.listCodes({ limit: 10 })).codes).toHaveLength(0);
  });

  it.each([
    ['30s', 'at least 1 minute'],
    ['59s', 'at least 1 minute'],
    ['366d', 'at most 365 days'],
  ])('a delay of %s is refused with “%s”', async (usageLimitDelay, message) => {
    const opened = await openEditor();
    const answer = await submit(opened, {
      code: initialCode(opened),
      usageLimit: '3',
      usageLimitDelay,
      action: 'create_device',
      target: 'acct-1',
    });
    expect(errorMessages(answer)).toEqual({ usage_limit_delay: message });
    expect((await h.service.codes.listCodes({ limit: 10 })).codes).toHaveLength(0);
  });

  it('without an action, the error is on the action', async () => {
    const opened = await openEditor();
    const answer = await submit(opened, { code: initialCode(opened) });
    expect(errorMessages(answer)).toEqual({ action: 'Choose what a device gets with this code.' });
    expect((await h.service.codes.listCodes({ limit: 10 })).codes).toHaveLength(0);
  });

  it('a delay without a usage limit is refused on the delay', async () => {
    const opened = await openEditor();
    const answer = await submit(opened, {
      code: initialCode(opened),
      usageLimitDelay: '2h',
      action: 'create_device',
      target: 'acct-1',
    });
    expect(answer.response_action).toBe('errors');
    expect(Object.keys(answer.errors as object)).toEqual(['usage_limit_delay']);
  });

  it('a code that compares equal to an existing one is refused on the code field', async () => {
    const existing = await create({ code: 'ABCD-EFGH-JKMN' });
    const opened = await openEditor();
    const answer = await submit(opened, {
      description: 'Would collide',
      code: 'abcd_efgh_jkmn',
      action: 'create_device',
      target: 'acct-1',
    });
    expect(answer.response_action).toBe('errors');
    expect(Object.keys(answer.errors as object)).toEqual([codeBlockOf(opened)]);
    const { codes } = await h.service.codes.listCodes({ limit: 10 });
    expect(codes.map((c) => c.id)).toEqual([existing.id]);
    expect(await h.service.codes.getCode('ABCD-EFGH-JKMN')).toMatchObject({
      action: 'create_account_and_device',
      version: 1,
    });
  });

  it('creates the code and confirms it in the channel the editor was opened from', async () => {
    const opened = await openEditor();
    const code = initialCode(opened) as string;
    const expires = Math.floor(Date.now() / 1000) + 86_400;
    const answer = await submit(opened, {
      description: 'New lab',
      code,
      expiresAt: expires,
      usageLimit: '5',
      usageLimitDelay: '1d',
      action: 'use_existing_device',
      target: 'dev-7',
    });
    expect(answer).toEqual({});
    expect(await h.service.codes.getCode(code)).toMatchObject({
      description: 'New lab',
      expiresAt: expires * 1000,
      usageLimit: 5,
      usageLimitDelaySeconds: 86_400,
      action: 'use_existing_device',
      deviceId: 'dev-7',
      createdBy: STAFF,
      timesUsed: 0,
    });
    const confirmation = await h.fake.waitForCall('chat.postEphemeral');
    expect(confirmation.args).toMatchObject({ channel: CHANNEL, user: STAFF });
    expect(confirmation.result).toMatchObject({ ok: true });
    expect(String(confirmation.args.text)).toContain(code);
  });

  it('an edit keeps timesUsed and the last use, and bumps the version', async () => {
    const code = await create({ description: 'Before', usageLimit: 10 });
    const redeemed = await h.service.call('POST', '/api/v1/redeem', {
      body: redeemBody(code.code),
    });
    expect(redeemed.status).toBe(200);
    const used = await h.service.codes.getById(code.id);
    expect(used.timesUsed).toBe(1);

    const opened = await openEditor(`edit ${code.code}`);
    const answer = await submit(opened, {
      description: 'After',
      code: code.code,
      usageLimit: '20',
      action: 'create_account_and_device',
      target: 'acme-',
    });
    expect(answer).toEqual({});
    const saved = await h.service.codes.getById(code.id);
    expect(saved).toMatchObject({
      description: 'After',
      usageLimit: 20,
      timesUsed: 1,
      lastUsedAt: used.lastUsedAt,
      updatedBy: STAFF,
      createdBy: STAFF,
    });
    expect(saved.lastUsedAt).not.toBeNull();
    expect(saved.version).toBeGreaterThan(used.version);
    const confirmation = await h.fake.waitForCall('chat.postEphemeral');
    expect(String(confirmation.args.text)).toContain('Saved');
  });

  it('an edit can rename the code; the old name no longer finds it', async () => {
    const code = await create({ code: 'OLD-NAME-0001' });
    const opened = await openEditor('edit old-name-0001');
    const answer = await submit(opened, {
      code: 'NEW-NAME-0002',
      action: 'create_account_and_device',
      target: 'acme-',
    });
    expect(answer).toEqual({});
    expect((await h.service.codes.getCode('new-name-0002')).id).toBe(code.id);
    await expect(h.service.codes.getCode('OLD-NAME-0001')).rejects.toThrow();
    const confirmation = await h.fake.waitForCall('chat.postEphemeral');
    expect(confirmation.args.text).toBe(
      'Saved `NEW-NAME-0002`. `OLD-NAME-0001` no longer works; devices must use `NEW-NAME-0002`.',
    );
  });

  it('a change of case or separators only is no rename: the old text still works', async () => {
    await create({ code: 'CASE-NAME-0001' });
    const opened = await openEditor('edit CASE-NAME-0001');
    const answer = await submit(opened, {
      code: 'case_name_0001',
      action: 'create_account_and_device',
      target: 'acme-',
    });
    expect(answer).toEqual({});
    const confirmation = await h.fake.waitForCall('chat.postEphemeral');
    expect(confirmation.args.text).toBe('Saved `case_name_0001`.');
    expect((await h.service.codes.getCode('CASE-NAME-0001')).code).toBe('case_name_0001');
  });

  it('saving a stale version shows at the top who changed what, keeps what was typed, and changes nothing', async () => {
    const code = await create({ code: 'STALE-0001', description: 'Original' });
    const opened = await openEditor('edit STALE-0001');
    const elsewhere = await h.service.codes.updateCode(
      code,
      { description: 'Changed elsewhere', usageLimit: 5 },
      'U0OTHER',
    );
    const mine = {
      description: 'Mine',
      code: 'STALE-0002',
      usageLimit: '3',
      action: 'create_account_and_device',
      target: 'acme-',
    };

    const answer = await submit(opened, mine);
    expect(answer.response_action).toBe('update');
    expect(answer.errors).toBeUndefined();
    const again = { ...opened, ...(answer.view as object) } as FakeSlackView;
    const [notice] = blocksOf(again);
    expect(notice?.block_id).toBe('notice');
    const text = String(notice?.text?.text);
    expect(text).toContain('<@U0OTHER> saved this code <!date^');
    expect(text).toContain('Description: “Original” → “Changed elsewhere”');
    expect(text).toContain('Usage limit: none → 5');
    expect(text).not.toContain('Installation code:');
    // What was typed stays in the form, and the code field carries no error.
    expect(block(again, 'description').element?.initial_value).toBe('Mine');
    expect(initialCode(again)).toBe('STALE-0002');
    expect(block(again, 'usage_limit').element?.initial_value).toBe('3');
    expect(JSON.parse(String(again.private_metadata)).version).toBe(elsewhere.version);
    const now = await h.service.codes.getById(code.id);
    expect(now).toEqual(elsewhere);
    await expect(h.service.codes.getCode('STALE-0002')).rejects.toThrow();

    // Having seen their changes, Save again writes mine over theirs.
    expect(await submit(again, mine)).toEqual({});
    expect(await h.service.codes.getById(code.id)).toMatchObject({
      code: 'STALE-0002',
      description: 'Mine',
      usageLimit: 3,
      updatedBy: STAFF,
    });
  });

  it('a conflict made through the API is told as the API’s', async () => {
    const code = await create({ code: 'STALE-0003', expiresAt: null });
    const opened = await openEditor('edit STALE-0003');
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    await h.service.codes.updateCode(code, { expiresAt }, 'api');
    const answer = await submit(opened, {
      code: 'STALE-0003',
      action: 'create_account_and_device',
      target: 'acme-',
    });
    expect(answer.response_action).toBe('update');
    const text = textOf((answer.view as { blocks: unknown[] }).blocks[0]);
    expect(text).toContain('The API saved this code');
    expect(text).toContain('Expires after: never → <!date^');
    expect((await h.service.codes.getById(code.id)).expiresAt).toBe(Date.parse(expiresAt));
  });

  it('an expired code can still be edited when its expiry is left as it was', async () => {
    // An expiry with a fraction of a second, as the API accepts; the picker shows whole seconds.
    const expiresAt = Math.floor(Date.now() / 1000) * 1000 + 1_500 + 123;
    const code = await create({
      code: 'EXPIRING-0001',
      description: 'Short-lived',
      expiresAt: new Date(expiresAt).toISOString(),
    });
    const opened = await openEditor('edit EXPIRING-0001');
    expect(block(opened, 'expires_at').element?.initial_option?.value).toBe('date');
    const shown = block(opened, 'expires_on').element?.initial_date_time as number;
    expect(shown).toBe(Math.floor(expiresAt / 1000));
    await sleep(expiresAt - Date.now() + 100);

    const answer = await submit(opened, {
      description: 'Kept for the record',
      code: 'EXPIRING-0001',
      expiresAt: shown,
      action: 'create_account_and_device',
      target: 'acme-',
    });
    expect(answer).toEqual({});
    const saved = await h.service.codes.getById(code.id);
    expect(saved.description).toBe('Kept for the record');
    expect(Math.floor(Number(saved.expiresAt) / 1000)).toBe(shown);
  });

  it('saving a code removed meanwhile is refused on the form', async () => {
    const code = await create({ code: 'GONE-0001' });
    const opened = await openEditor('edit GONE-0001');
    await h.service.codes.deleteCode(code);
    const answer = await submit(opened, {
      code: 'GONE-0001',
      action: 'create_account_and_device',
      target: 'acme-',
    });
    expect(answer.response_action).toBe('errors');
    expect(Object.values(answer.errors as object).join(' ')).toMatch(/removed/i);
    expect(await h.service.codes.findById(code.id)).toBeNull();
  });
});

describe('one reading of Redis’s clock per save', () => {
  // The editor reads the clock to build its input, and hands that reading to the write.
  it('creates and edits at the instant the caller read, without reading again', async () => {
    const read = (await h.service.codes.now()) - 2_000;
    const created = await h.service.codes.createCode(GROUP, STAFF, { now: read });
    expect(created.createdAt).toBe(read);
    const edited = await h.service.codes.updateCode(created, { description: 'later' }, STAFF, {
      now: read + 1_000,
    });
    expect(edited.updatedAt).toBe(read + 1_000);
  });

  it('the editor hands its own reading to the save, for a new code and an edit', async () => {
    const { codes } = h.service;
    const real = codes.now;
    // Readings made to look 5 s old: a save that read the clock again would carry today's instant.
    const readings: number[] = [];
    codes.now = async () => {
      const reading = (await real.call(codes)) - 5_000;
      readings.push(reading);
      return reading;
    };
    try {
      const opened = await openEditor();
      const code = String(initialCode(opened));
      const entry = { code, action: 'create_device', target: 'acct-clock' } as const;
      expect(await submit(opened, entry)).toEqual({});
      const created = await codes.getCode(code);
      expect(readings).toContain(created.createdAt);

      const reopened = await openEditor(`edit ${code}`);
      expect(await submit(reopened, { ...entry, description: 'Edited' })).toEqual({});
      const edited = await codes.getCode(code);
      expect(edited.description).toBe('Edited');
      expect(readings).toContain(edited.updatedAt);
    } finally {
      codes.now = real;
    }
  });
});

describe('a new code’s defaults', () => {
  const DAY = 86_400_000;
  const expiryOf = (view: FakeSlackView) =>
    block(view, 'expires_at').element?.initial_option?.value;
  const limitOf = (view: FakeSlackView) => block(view, 'usage_limit').element?.initial_value;

  it('asks for the Action first, says what each gives a device, and starts at 7 days, not “never”', async () => {
    const opened = await openEditor();
    const inputs = blocksOf(opened).filter((b) => b.type === 'input');
    expect(inputs[0]?.block_id).toBe('action');
    expect(inputs.map((b) => b.label?.text)).toEqual([
      'Action',
      'Description',
      'Installation code',
      'Expires after',
      'Usage limit',
      'Usage limit delay',
    ]);
    const radios = inputs[0]?.element as unknown as {
      options: { value: string; description?: { text: string } }[];
    };
    for (const choice of radios.options) expect(choice.description?.text).toMatch(/device/i);
    expect(expiryOf(opened)).toBe('7d');
    expect(blockIds(opened)).not.toContain('expires_on');
    expect(textOf(opened.submit)).toContain('Create');
    expect(textOf(block(opened, 'usage_limit_delay'))).toContain('grace period');
  });

  it('choosing an action swaps in its defaults where nothing of one’s own was typed', async () => {
    const opened = await openEditor();
    const code = initialCode(opened);
    const reinstall = await chooseAction(opened, {
      code,
      expiry: '7d',
      action: 'use_existing_device',
    });
    expect([expiryOf(reinstall), limitOf(reinstall)]).toEqual(['7d', '1']);
    const group = await chooseAction(reinstall, {
      code,
      expiry: '7d',
      usageLimit: '1',
      action: 'create_account_and_device',
    });
    expect([expiryOf(group), limitOf(group)]).toEqual(['30d', undefined]);
    const device = await chooseAction(group, { code, expiry: '30d', action: 'create_device' });
    expect([expiryOf(device), limitOf(device)]).toEqual(['30d', undefined]);

    // What the person chose stays, whatever the action.
    const own = await chooseAction(device, {
      code,
      expiry: '90d',
      usageLimit: '25',
      action: 'use_existing_device',
    });
    expect([expiryOf(own), limitOf(own)]).toEqual(['90d', '25']);
  });

  it('editing a code keeps its values when the action changes, and says Save', async () => {
    await create({ code: 'EDIT-KEEP-0001', expiresAt: null, usageLimit: null });
    const opened = await openEditor('edit EDIT-KEEP-0001');
    expect(expiryOf(opened)).toBe('never');
    expect(blockIds(opened)).not.toContain('expires_on');
    expect(textOf(opened.submit)).toContain('Save');
    const changed = await chooseAction(opened, {
      code: 'EDIT-KEEP-0001',
      expiry: 'never',
      action: 'use_existing_device',
    });
    expect([expiryOf(changed), limitOf(changed)]).toEqual(['never', undefined]);
  });

  it('“On a date…” brings in the date picker, and another choice takes it away', async () => {
    const opened = await openEditor();
    const code = initialCode(opened);
    const withDate = await chooseExpiry(opened, { code, expiry: 'date' });
    expect(expiryOf(withDate)).toBe('date');
    expect(block(withDate, 'expires_on').element?.type).toBe('datetimepicker');
    const without = await chooseExpiry(withDate, { code, expiry: '1d' });
    expect(expiryOf(without)).toBe('1d');
    expect(blockIds(without)).not.toContain('expires_on');
  });

  it('saves the defaults of an action as they were shown: a reinstall is used once, within 7 days', async () => {
    const opened = await openEditor();
    const code = initialCode(opened) as string;
    const chosen = await chooseAction(opened, {
      code,
      expiry: '7d',
      action: 'use_existing_device',
    });
    const before = Date.now();
    const answer = await submit(chosen, {
      code,
      expiry: expiryOf(chosen),
      usageLimit: limitOf(chosen),
      action: 'use_existing_device',
      target: 'dev-9',
    });
    expect(answer).toEqual({});
    const saved = await h.service.codes.getCode(code);
    expect(saved.usageLimit).toBe(1);
    expect(saved.expiresAt).toBeGreaterThanOrEqual(before + 7 * DAY - 1000);
    expect(saved.expiresAt).toBeLessThanOrEqual(Date.now() + 7 * DAY + 1000);
  });

  it.each([
    ['1d', 1],
    ['30d', 30],
    ['90d', 90],
  ])('“%s” expires that many days after saving', async (expiry, days) => {
    const opened = await openEditor();
    const code = initialCode(opened) as string;
    const before = Date.now();
    expect(await submit(opened, { code, expiry, action: 'create_device', target: 'a-1' })).toEqual(
      {},
    );
    const { expiresAt } = await h.service.codes.getCode(code);
    expect(expiresAt).toBeGreaterThanOrEqual(before + days * DAY - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + days * DAY + 1000);
  });

  it('never expiring and unlimited is saved when chosen so', async () => {
    const opened = await openEditor();
    const code = initialCode(opened) as string;
    const answer = await submit(opened, {
      code,
      expiry: 'never',
      usageLimit: null,
      action: 'create_device',
      target: 'acct-1',
    });
    expect(answer).toEqual({});
    expect(await h.service.codes.getCode(code)).toMatchObject({
      expiresAt: null,
      usageLimit: null,
    });
  });

  it('“On a date…” with no date is refused on the picker', async () => {
    const opened = await openEditor();
    const code = initialCode(opened);
    const withDate = await chooseExpiry(opened, { code, expiry: 'date' });
    const answer = await submit(withDate, {
      code,
      expiry: 'date',
      expiresAt: null,
      action: 'create_device',
      target: 'acct-1',
    });
    expect(Object.keys(errorMessages(answer))).toEqual(['expires_on']);
    expect((await h.service.codes.listCodes({ limit: 10 })).codes).toHaveLength(0);
  });
});

describe('the confirmation of a save', () => {
  /** Creates a code through the editor and gives it with the confirmation's buttons. */
  async function createThroughEditor() {
    const opened = await openEditor();
    const code = initialCode(opened) as string;
    expect(await submit(opened, { code, action: 'create_device', target: 'acct-1' })).toEqual({});
    const confirmation = await h.fake.waitForCall('chat.postEphemeral');
    const saved = await h.service.codes.getCode(code);
    return { saved, message: confirmation.args as { text?: string; blocks?: unknown } };
  }

  const press = (actionId: string, value: string) =>
    slack.blockAction({
      userId: STAFF,
      actionId,
      blockId: 'saved',
      value,
      channelId: CHANNEL,
      ephemeral: true,
    });

  it('offers Share, Show QR and Edit, each naming the code’s record', async () => {
    const { saved, message } = await createThroughEditor();
    expect(message.text).toBe(`Created \`${saved.code}\`.`);
    expect(
      ['share', 'qr', 'edit'].map((verb) => {
        const found = button(message, `code_button.${verb}`);
        return [found?.text?.text, found?.value];
      }),
    ).toEqual([
      ['Share', `share:${saved.id}`],
      ['Show QR', `qr:${saved.id}`],
      ['Edit', `edit:${saved.id}`],
    ]);
  });

  it('Show QR sends the QR into the requester’s DM', async () => {
    const { saved, message } = await createThroughEditor();
    const qr = button(message, 'code_button.qr');
    await press('code_button.qr', String(qr?.value));
    const upload = await h.fake.waitForUpload();
    expect(upload.channelId).toBe(`D${STAFF}`);
    expect(decodeQr(upload.bytes)).toBe(saved.code);
  });

  it('Share asks where, then posts the card there', async () => {
    const { saved, message } = await createThroughEditor();
    h.fake.inviteBot(CHANNEL);
    await press('code_button.share', String(button(message, 'code_button.share')?.value));
    await h.fake.waitForCall('views.open', (c) => textOf(c.args).includes('share_picker'));
    const picker = h.fake.lastView('share_picker') as FakeSlackView;
    await slack.viewSubmission({
      userId: STAFF,
      view: typed(picker, { share_channel: { value: field.conversation(CHANNEL) } }),
    });
    const card = await postedCard(h.fake, CHANNEL);
    expect(card.upload.channelId, 'the QR itself is a private upload').toBeUndefined();
    expect(decodeQr(card.upload.bytes)).toBe(saved.code);
  });

  it('Edit opens the editor on the code', async () => {
    const { saved, message } = await createThroughEditor();
    const pressed = await press(
      'code_button.edit',
      String(button(message, 'code_button.edit')?.value),
    );
    const open = await h.fake.waitForCall(
      'views.open',
      (c) => c.args.trigger_id === pressed.triggerId,
    );
    const editor = h.fake.lastView('code_editor') as FakeSlackView;
    expect(open).toBeDefined();
    expect(initialCode(editor)).toBe(saved.code);
    expect(JSON.parse(String(editor.private_metadata)).id).toBe(saved.id);
  });

  it('someone not on the staff pressing a button is told so, and gets nothing done', async () => {
    const { message } = await createThroughEditor();
    const pressed = await slack.blockAction({
      userId: OUTSIDER,
      actionId: 'code_button.qr',
      blockId: 'saved',
      value: String(button(message, 'code_button.qr')?.value),
      channelId: CHANNEL,
      ephemeral: true,
    });
    const refusal = await responseTo(h.fake, pressed.responseUrlId);
    expect(textOf(refusal.body)).toMatch(/support team only/);
    await settle();
    expect(h.fake.uploads).toHaveLength(0);
  });
});

describe('the global shortcut', () => {
  it('“create_code” opens the editor with a generated code; saving confirms by DM', async () => {
    const answer = await slack.shortcut({ userId: STAFF, callbackId: 'create_code' });
    expect(answer.status).toBe(200);
    const open = await h.fake.waitForCall('views.open');
    expect(open.args.trigger_id).toBe(answer.triggerId);
    const view = h.fake.lastView('code_editor') as FakeSlackView;
    const code = initialCode(view) as string;
    expect(code).toMatch(CODE_FORMAT);

    const saved = await submit(view, { code, action: 'create_device', target: 'acct-9' });
    expect(saved).toEqual({});
    expect(await h.service.codes.getCode(code)).toMatchObject({ accountId: 'acct-9' });
    const dm = await h.fake.waitForCall('chat.postMessage');
    expect(dm.args.channel).toBe(`D${STAFF}`);
    expect(String(dm.args.text)).toContain(code);
  });
});

describe('the App Home', () => {
  const opened = (user: string, options: { eventId?: string; retryNum?: number } = {}) =>
    slack.event({ type: 'app_home_opened', user, channel: `D${user}`, tab: 'home' }, options);

  it('publishes a Create button and the newest codes', async () => {
    const oldest = await create({ description: 'Oldest' });
    await sleep(2);
    for (let i = 0; i < 10; i++) {
      await create({ description: `Middle ${i}` });
      await sleep(2);
    }
    const newest = await create({ description: 'Newest of all' });

    const answer = await opened(STAFF);
    expect(answer.status).toBe(200);
    const publish = await h.fake.waitForCall('views.publish');
    expect(publish.args.user_id).toBe(STAFF);
    const home = h.fake.lastView() as FakeSlackView;
    expect(home.type).toBe('home');
    expect(button(home, 'home_create')).toBeDefined();
    const ids = listedIds(home);
    expect(ids).toHaveLength(10);
    expect(ids[0]).toBe(newest.id);
    expect(ids).not.toContain(oldest.id);
    expect(textOf(home.blocks)).toContain('Newest of all');
    expect(textOf(home.blocks)).toContain(newest.code);
  });

  it('pressing Create opens the editor', async () => {
    await opened(STAFF);
    await h.fake.waitForCall('views.publish');
    const home = h.fake.lastView() as FakeSlackView;
    const pressed = await slack.blockAction({
      userId: STAFF,
      actionId: 'home_create',
      blockId: 'home_actions',
      view: home,
    });
    expect(pressed.status).toBe(200);
    const open = await h.fake.waitForCall('views.open');
    expect(open.args.trigger_id).toBe(pressed.triggerId);
    const editor = h.fake.lastView('code_editor') as FakeSlackView;
    expect(initialCode(editor)).toMatch(CODE_FORMAT);
  });

  it('Share from a code’s menu asks for a channel, then posts there', async () => {
    const code = await create({ description: 'From home' });
    await opened(STAFF);
    await h.fake.waitForCall('views.publish', (c) => JSON.stringify(c.args).includes(code.id));
    const home = h.fake.lastView() as FakeSlackView;
    expect(listedIds(home)).toEqual([code.id]);
    h.fake.inviteBot('CPICKED');
    const pressed = await slack.blockAction({
      userId: STAFF,
      actionId: 'code_menu',
      blockId: 'home_code',
      type: 'overflow',
      selectedOption: option(`share:${code.id}`),
      view: home,
    });
    const open = await h.fake.waitForCall('views.open');
    expect(open.args.trigger_id).toBe(pressed.triggerId);
    const picker = h.fake.lastView('share_picker') as FakeSlackView;
    expect(picker).toBeDefined();
    expect(h.fake.uploads).toHaveLength(0);

    h.fake.inviteBot('CPICKED');
    const submitted = await slack.viewSubmission({
      userId: STAFF,
      view: typed(picker, { share_channel: { value: field.conversation('CPICKED') } }),
    });
    expect(submitted).toEqual({});
    const card = await postedCard(h.fake, 'CPICKED');
    expect(decodeQr(card.upload.bytes)).toBe(code.code);
    const told = await h.fake.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === `D${STAFF}`,
    );
    expect(told.args.channel).toBe(`D${STAFF}`);
    expect(String(told.args.text)).toContain('<#CPICKED>');
    const events = await h.service.codes.history(code);
    expect(events.find((e) => e.type === 'shared')).toMatchObject({ channel: 'CPICKED' });
  });

  it('sharing from the App Home, the upload refused with not_in_channel: the user is told by DM', async () => {
    const code = await create();
    // Slack says the bot is a member, yet the card is refused (it left meanwhile, say).
    h.fake.inviteBot('CPRIVATE');
    h.fake.failNext('chat.postMessage', { error: 'not_in_channel' });
    const submitted = await slack.viewSubmission({
      userId: STAFF,
      view: {
        callback_id: 'share_picker',
        private_metadata: JSON.stringify({ id: code.id }),
        state: { values: { share_channel: { value: field.conversation('CPRIVATE') } } },
      },
    });
    expect(submitted).toEqual({});
    const told = await h.fake.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === `D${STAFF}`,
    );
    expect(String(told.args.text)).toMatch(/invite/i);
    // The QR uploaded for the card is deleted again.
    const qr = h.fake.uploads.at(-1)?.fileId;
    await eventually(() =>
      expect(h.fake.callsTo('files.delete').map((c) => c.args.file)).toContain(qr),
    );
    const events = await h.service.codes.history(code);
    expect(events.filter((e) => e.type === 'shared')).toHaveLength(0);
  });

  it('Show QR from a code’s menu sends the QR by DM, with no response_url to answer', async () => {
    const code = await create();
    await opened(STAFF);
    await h.fake.waitForCall('views.publish');
    await slack.blockAction({
      userId: STAFF,
      actionId: 'code_menu',
      blockId: 'home_code',
      type: 'overflow',
      selectedOption: option(`qr:${code.id}`),
      view: h.fake.lastView() as FakeSlackView,
    });
    const upload = await h.fake.waitForUpload();
    expect(upload.channelId).toBe(`D${STAFF}`);
    expect(decodeQr(upload.bytes)).toBe(code.code);
    expect(h.fake.uploads).toHaveLength(1);
    // The upload in the DM says it all: no second message repeats it there.
    await settle();
    expect(
      h.fake.callsTo('chat.postMessage').filter((c) => textOf(c.args).includes(code.code)),
    ).toHaveLength(0);
  });

  it('opening its Messages tab publishes nothing', async () => {
    // An admin who never opened the Home in this file: others' open Homes are republished after
    // each test's clean-up, which is not this event's doing.
    const answer = await slack.event({
      type: 'app_home_opened',
      user: ADMIN,
      channel: `D${ADMIN}`,
      tab: 'messages',
    });
    expect(answer.status).toBe(200);
    await settle();
    expect(h.fake.callsTo('views.publish').filter((c) => c.args.user_id === ADMIN)).toHaveLength(0);
  });

  it('someone not on the staff sees no Create button and no codes', async () => {
    const code = await create({ description: 'Secret' });
    await opened(OUTSIDER);
    const publish = await h.fake.waitForCall('views.publish');
    expect(publish.args.user_id).toBe(OUTSIDER);
    const home = h.fake.lastView() as FakeSlackView;
    expect(button(home, 'home_create')).toBeUndefined();
    expect(listedIds(home)).toEqual([]);
    expect(textOf(home.blocks)).not.toContain(code.code);
    expect(textOf(home.blocks)).not.toContain('Secret');
  });
});
