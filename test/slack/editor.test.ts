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
import { CHANNEL, OUTSIDER, type SlackHarness, STAFF } from '../support/slack-service.js';
import {
  block,
  blockIds,
  button,
  CODE_FORMAT,
  codeBlockOf,
  type EditorEntry,
  editorValues,
  GROUP,
  initialCode,
  listedIds,
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
  it('shows every invalid value on its own field, and writes nothing', async () => {
    const opened = await openEditor();
    const withTarget = await chooseAction(opened, {
      code: initialCode(opened),
      action: 'create_account_and_device',
    });
    const answer = await submit(withTarget, {
      code: 'ab',
      expiresAt: Math.floor(Date.now() / 1000) - 3600,
      usageLimit: '0',
      usageLimitDelay: 'soon',
      action: 'create_account_and_device',
      target: 'ACME!',
    });
    expect(answer.response_action).toBe('errors');
    const errors = answer.errors as Record<string, string>;
    expect(Object.keys(errors).sort()).toEqual(
      [
        codeBlockOf(withTarget),
        'expires_at',
        'usage_limit',
        'usage_limit_delay',
        'target.create_account_and_device',
      ].sort(),
    );
    for (const message of Object.values(errors)) expect(message).toEqual(expect.any(String));
    expect((await h.service.codes.listCodes({ limit: 10 })).codes).toHaveLength(0);
  });

  it('without an action, the error is on the action', async () => {
    const opened = await openEditor();
    const answer = await submit(opened, { code: initialCode(opened) });
    expect(answer.response_action).toBe('errors');
    expect(Object.keys(answer.errors as object)).toEqual(['action']);
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
  });

  it('saving a stale version tells that someone else changed the code, and changes nothing', async () => {
    const code = await create({ code: 'STALE-0001', description: 'Original' });
    const opened = await openEditor('edit STALE-0001');
    const elsewhere = await h.service.codes.updateCode(
      code,
      { description: 'Changed elsewhere' },
      'api',
    );

    const answer = await submit(opened, {
      description: 'Mine',
      code: 'STALE-0002',
      usageLimit: '3',
      action: 'create_account_and_device',
      target: 'acme-',
    });
    expect(answer.response_action).toBe('errors');
    const messages = Object.values(answer.errors as Record<string, string>);
    expect(messages.join(' ')).toMatch(/someone else changed/i);
    const now = await h.service.codes.getById(code.id);
    expect(now).toEqual(elsewhere);
    expect(now.code).toBe('STALE-0001');
    await expect(h.service.codes.getCode('STALE-0002')).rejects.toThrow();
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
    const shown = block(opened, 'expires_at').element?.initial_date_time as number;
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
    await h.fake.waitForCall('views.publish');
    const home = h.fake.lastView() as FakeSlackView;
    expect(listedIds(home)).toEqual([code.id]);
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

    const submitted = await slack.viewSubmission({
      userId: STAFF,
      view: typed(picker, { share_channel: { value: field.conversation('CPICKED') } }),
    });
    expect(submitted).toEqual({});
    const upload = await h.fake.waitForUpload();
    expect(upload.channelId).toBe('CPICKED');
    expect(decodeQr(upload.bytes)).toBe(code.code);
    const told = await h.fake.waitForCall('chat.postMessage');
    expect(told.args.channel).toBe(`D${STAFF}`);
    expect(String(told.args.text)).toContain('<#CPICKED>');
    const events = await h.service.codes.history(code);
    expect(events.find((e) => e.type === 'shared')).toMatchObject({ channel: 'CPICKED' });
  });

  it('sharing from the App Home into a channel the app is not in tells the user by DM', async () => {
    const code = await create();
    const submitted = await slack.viewSubmission({
      userId: STAFF,
      view: {
        callback_id: 'share_picker',
        private_metadata: JSON.stringify({ id: code.id }),
        state: { values: { share_channel: { value: field.conversation('CPRIVATE') } } },
      },
    });
    expect(submitted).toEqual({});
    const told = await h.fake.waitForCall('chat.postMessage');
    expect(h.fake.lastCall('files.completeUploadExternal')?.result).toMatchObject({
      error: 'not_in_channel',
    });
    expect(told.args.channel).toBe(`D${STAFF}`);
    expect(String(told.args.text)).toMatch(/invite/i);
    expect(h.fake.uploads).toHaveLength(0);
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
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('opening its Messages tab publishes nothing', async () => {
    const answer = await slack.event({
      type: 'app_home_opened',
      user: STAFF,
      channel: `D${STAFF}`,
      tab: 'messages',
    });
    expect(answer.status).toBe(200);
    await settle();
    expect(h.fake.callsTo('views.publish')).toHaveLength(0);
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
