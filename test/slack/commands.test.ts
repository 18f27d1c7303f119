/**
 * `/installcode` and the code menu of a list, end to end: signed requests over HTTP to the whole
 * service, the app's Web API calls answered by the fake Slack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstallCode } from '../../src/codes/model.js';
import type { CodeInput } from '../../src/codes/rules.js';
import { keysFor } from '../../src/store/keys.js';
import type { FakeSlackView } from '../support/fake-slack.js';
import { decodeQr } from '../support/qr.js';
import { redeemBody } from '../support/service.js';
import { field, option, type SlackSender } from '../support/slack-requests.js';
import { CHANNEL, type SlackHarness, STAFF, startSlackHarness } from '../support/slack-service.js';
import {
  block,
  blocksOf,
  button,
  buttons,
  CODE_FORMAT,
  codeBlockOf,
  codeMenus,
  eventually,
  GROUP,
  initialCode,
  listedIds,
  postedCard,
  responseTo,
  settle,
  sleep,
  textOf,
  timedSender,
  typed,
  useSlackHarness,
} from './helpers.js';

let h: SlackHarness;
let slack: SlackSender;

useSlackHarness((harness, sender) => {
  h = harness;
  slack = sender;
  // The app is in the support channel and the channels shared into; not in CPRIVATE.
  for (const channel of [CHANNEL, 'C999', 'CLIST']) h.fake.inviteBot(channel);
});

const create = (input: CodeInput = {}, by = STAFF) =>
  h.service.codes.createCode({ ...GROUP, ...input }, by);

/** Runs `/installcode text` as staff in the support channel and gives the reply. */
async function ask(text: string, userId = STAFF, channelId = CHANNEL) {
  const answer = await slack.command(text, { userId, channelId });
  expect(answer.status).toBe(200);
  const reply = await responseTo(h.fake, answer.responseUrlId);
  return { answer, reply };
}

describe('help', () => {
  it.each(['', 'help', '  HELP  '])(
    '“/installcode %s” answers with the ephemeral help',
    async (text) => {
      const { reply } = await ask(text);
      expect(reply.body.response_type).toBe('ephemeral');
      const shown = textOf(reply.body);
      for (const verb of ['add', 'list', 'edit', 'qr', 'share', 'delete', 'history']) {
        expect(shown).toContain(`/installcode ${verb}`);
      }
    },
  );

  it('an unknown verb answers with the help, naming what it did not understand', async () => {
    const { reply } = await ask('frobnicate ABCD');
    expect(reply.body.response_type).toBe('ephemeral');
    const shown = textOf(reply.body);
    expect(shown).toContain('frobnicate');
    expect(shown).toContain('/installcode add');
    expect(h.fake.callsTo('views.open')).toHaveLength(0);
  });

  it.each([
    'constructor X',
    'constructor',
    '__proto__',
    '__proto__ ABCD',
    'toString',
    'hasOwnProperty x',
    'valueOf',
  ])(
    '“/installcode %s” answers with the help and “unknown command”, naming the word',
    async (text) => {
      const { reply } = await ask(text);
      expect(reply.body.response_type).toBe('ephemeral');
      const shown = textOf(reply.body);
      expect(shown).toMatch(/unknown command/i);
      expect(shown).toContain(`“${text.split(' ')[0]}”`);
      expect(shown).toContain('/installcode add');
      expect(shown).not.toContain('native code');
      await settle();
      expect(h.fake.responses).toHaveLength(1);
      expect(h.fake.callsTo('views.open')).toHaveLength(0);
    },
  );
});

describe('the help’s buttons', () => {
  async function helpButton(actionId: string, userId = STAFF) {
    const { reply } = await ask('help');
    expect(button(reply.body, actionId)).toBeDefined();
    return slack.blockAction({
      userId,
      actionId,
      blockId: 'help_actions',
      channelId: CHANNEL,
      ephemeral: true,
    });
  }

  it('Create opens the editor with the press’s trigger_id', async () => {
    const pressed = await helpButton('help_create');
    const open = await h.fake.waitForCall('views.open');
    expect(open.args.trigger_id).toBe(pressed.triggerId);
    expect(initialCode(h.fake.lastView('code_editor') as FakeSlackView)).toMatch(CODE_FORMAT);
  });

  it('List answers with the first page, as `/installcode list` does', async () => {
    const code = await create({ description: 'Listed from help' });
    const pressed = await helpButton('help_list');
    const reply = await responseTo(h.fake, pressed.responseUrlId);
    expect(reply.body.response_type).toBe('ephemeral');
    expect(listedIds(reply.body)).toEqual([code.id]);
    expect(textOf(reply.body)).toContain('page 1');
  });
});

describe('add', () => {
  it.each(['add', 'new', 'create', 'ADD'])(
    '“%s” opens the editor with a generated code',
    async (verb) => {
      const answer = await slack.command(verb, { userId: STAFF, channelId: CHANNEL });
      expect(answer.status).toBe(200);
      const open = await h.fake.waitForCall('views.open');
      expect(open.args.trigger_id).toBe(answer.triggerId);
      const view = h.fake.lastView('code_editor') as FakeSlackView;
      expect(initialCode(view)).toMatch(CODE_FORMAT);
      expect(textOf(view.title)).toContain('New installation code');
      expect(JSON.parse(String(view.private_metadata))).toMatchObject({ id: null });
      // Nothing is written until the editor is saved.
      expect((await h.service.codes.listCodes({ limit: 10 })).codes).toHaveLength(0);
    },
  );

  it('two editors get two different generated codes', async () => {
    await slack.command('add', { userId: STAFF, channelId: CHANNEL });
    await slack.command('add', { userId: STAFF, channelId: CHANNEL });
    await eventually(() => expect(h.fake.callsTo('views.open')).toHaveLength(2));
    const codes = h.fake.callsTo('views.open').map((c) => {
      const view = c.args.view as {
        blocks: { block_id?: string; element?: { initial_value?: string } }[];
      };
      return view.blocks.find((b) => b.block_id?.startsWith('code'))?.element?.initial_value;
    });
    expect(codes[0]).toMatch(CODE_FORMAT);
    expect(codes[1]).toMatch(CODE_FORMAT);
    expect(codes[0]).not.toBe(codes[1]);
  });
});

describe('list', () => {
  it('shows 10 codes a page with Next; Next replaces the message with page 2 and Previous', async () => {
    const all: InstallCode[] = [];
    for (let i = 0; i < 13; i++) {
      all.push(await create({ description: `Desk ${i}` }));
      await sleep(2); // each code a millisecond of its own, so "newest first" has one answer
    }

    const { answer, reply: first } = await ask('list');
    expect(first.body.response_type).toBe('ephemeral');
    const page1 = listedIds(first.body);
    expect(page1).toHaveLength(10);
    expect(button(first.body, 'list_previous')).toBeUndefined();
    const next = button(first.body, 'list_next');
    expect(next?.value).toEqual(expect.any(String));

    const pressed = await slack.blockAction({
      userId: STAFF,
      actionId: 'list_next',
      blockId: 'list_navigation',
      value: String(next?.value),
      responseUrl: answer.responseUrl,
      channelId: CHANNEL,
      ephemeral: true,
    });
    expect(pressed.status).toBe(200);
    const second = await responseTo(
      h.fake,
      answer.responseUrlId,
      (r) => r.body.replace_original === true,
    );
    const page2 = listedIds(second.body);
    expect(page2).toHaveLength(3);
    expect(textOf(second.body)).toContain('page 2');
    expect(button(second.body, 'list_next')).toBeUndefined();
    const previous = button(second.body, 'list_previous');
    expect(previous).toBeDefined();
    // Together the pages hold every code once, newest first.
    expect([...page1, ...page2]).toEqual(all.map((c) => c.id).reverse());

    // Previous brings page 1 back.
    await slack.blockAction({
      userId: STAFF,
      actionId: 'list_previous',
      blockId: 'list_navigation',
      value: String(previous?.value),
      responseUrl: answer.responseUrl,
      channelId: CHANNEL,
      ephemeral: true,
    });
    await eventually(() =>
      expect(h.fake.responses.filter((r) => r.id === answer.responseUrlId)).toHaveLength(3),
    );
    const back = h.fake.responses.filter((r) => r.id === answer.responseUrlId)[2];
    expect(back?.body.replace_original).toBe(true);
    expect(listedIds(back?.body)).toEqual(page1);
  });

  it('says how many codes match: “at least” while there is a next page, exactly on the last', async () => {
    for (let i = 0; i < 12; i++) await create({ description: `Kiosk ${i}` });
    await create({ description: 'Other' });
    const { answer, reply: first } = await ask('list kiosk');
    expect(textOf(first.body)).toContain('At least 10 codes match “kiosk”.');
    const pressed = await slack.blockAction({
      userId: STAFF,
      actionId: 'list_next',
      blockId: 'list_navigation',
      value: String(button(first.body, 'list_next')?.value),
      responseUrl: answer.responseUrl,
      channelId: CHANNEL,
      ephemeral: true,
    });
    expect(pressed.status).toBe(200);
    const second = await responseTo(
      h.fake,
      answer.responseUrlId,
      (r) => r.body.replace_original === true,
    );
    expect(listedIds(second.body)).toHaveLength(2);
    expect(textOf(second.body)).toContain('12 codes match “kiosk”.');
    const { reply: all } = await ask('list');
    expect(textOf(all.body)).toContain('At least 10 codes.');
    const { reply: one } = await ask('list other');
    expect(textOf(one.body)).toContain('1 code matches “other”.');
  });

  it('a description with *, _, ~ or backticks cannot format the list', async () => {
    await create({ description: '*50%* off_now ~old~ `x`' });
    const { reply } = await ask('list');
    const section = blocksOf(reply.body).find((b) => b.text?.text.includes('off'));
    const shown = String(section?.text?.text);
    // Bold of the title itself stays; every * _ ~ ` of the description is fenced by zero-width spaces.
    for (const mark of ['*50%*', 'off_now', '~old~', '`x`']) expect(shown).not.toContain(mark);
    expect(shown.replaceAll('\u200B', '')).toContain('*50%* off_now ~old~ `x`');
  });

  it('“list R&D” finds R&D: the text Slack escapes (R&amp;D) is decoded first', async () => {
    const rd = await create({ description: 'R&D lab' });
    await create({ description: 'Reception' });
    const answer = await slack.command('list R&amp;D', { userId: STAFF, channelId: CHANNEL });
    const reply = await responseTo(h.fake, answer.responseUrlId);
    expect(listedIds(reply.body)).toEqual([rd.id]);
    expect(textOf(reply.body)).toContain('matching “R&amp;D”');
  });

  it('a filter too long for the Next button is clipped, and Next still works', async () => {
    // JSON writes each `"` as two characters: unclipped, 3000 of them would need 6000.
    const quotes = '"'.repeat(200);
    for (let i = 0; i < 11; i++) await create({ description: quotes });
    const { answer, reply } = await ask(`list ${'"'.repeat(3000)}`);
    expect(listedIds(reply.body)).toHaveLength(10);
    const next = String(button(reply.body, 'list_next')?.value);
    expect(next.length).toBeLessThanOrEqual(2000);
    await slack.blockAction({
      userId: STAFF,
      actionId: 'list_next',
      blockId: 'list_navigation',
      value: next,
      responseUrl: answer.responseUrl,
      channelId: CHANNEL,
      ephemeral: true,
    });
    const second = await responseTo(
      h.fake,
      answer.responseUrlId,
      (r) => r.body.replace_original === true,
    );
    expect(listedIds(second.body)).toHaveLength(1);
    expect(textOf(second.body)).toContain('11 codes match');
  });

  it('shows each code with its details and a menu of Show QR, Edit, Share, History, Delete', async () => {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const code = await create({ description: 'Front desk', usageLimit: 50, expiresAt });
    const redeemed = await h.service.call('POST', '/api/v1/redeem', {
      body: redeemBody(code.code),
    });
    expect(redeemed.status).toBe(200);
    const used = await h.service.codes.getById(code.id);
    const { reply } = await ask('list');
    const shown = textOf(reply.body);
    expect(shown).toContain('Front desk');
    expect(shown).toContain(code.code);
    expect(shown).toContain('1 / 50');
    expect(shown).toContain(`<!date^${Math.floor(Number(used.lastUsedAt) / 1000)}^`);
    expect(shown).toContain('active');
    expect(shown).toContain(`<!date^${Math.floor(Date.parse(expiresAt) / 1000)}^`);
    expect(shown).toContain('acme-');
    const menu = codeMenus(reply.body)[0];
    expect(menu?.options?.map((o) => o.value)).toEqual(
      ['qr', 'edit', 'share', 'history', 'delete'].map((verb) => `${verb}:${code.id}`),
    );
  });

  it('“list TEXT” shows only the codes that match', async () => {
    const acme = await create({ description: 'Acme front desk' });
    const globexByDescription = await create({ description: 'Globex lab' });
    const globexByPrefix = await create({ description: 'Lab 2', usernamePrefix: 'globex-' });
    const { reply } = await ask('list GLOBEX');
    const ids = listedIds(reply.body);
    expect(ids.sort()).toEqual([globexByDescription.id, globexByPrefix.id].sort());
    expect(ids).not.toContain(acme.id);
    expect(button(reply.body, 'list_next')).toBeUndefined();
  });

  it('a filter that matches nothing says so', async () => {
    await create({ description: 'Acme' });
    const { reply } = await ask('list nothing-like-this');
    expect(listedIds(reply.body)).toHaveLength(0);
    expect(textOf(reply.body)).toMatch(/no code matches/i);
  });
});

describe('edit', () => {
  it('opens the editor with every current value, for the code typed in another case with spaces', async () => {
    const expiresAt = Date.now() + 3 * 86_400_000;
    const code = await create({
      code: 'ABCD-EFGH-JKMN',
      description: 'Warehouse scanners',
      expiresAt: new Date(expiresAt).toISOString(),
      usageLimit: 50,
      usageLimitDelaySeconds: 7200,
      action: 'create_device',
      usernamePrefix: null,
      accountId: 'acct@example.com',
    });
    const answer = await slack.command('edit abcd efgh jkmn', {
      userId: STAFF,
      channelId: CHANNEL,
    });
    const open = await h.fake.waitForCall('views.open');
    expect(open.args.trigger_id).toBe(answer.triggerId);
    const view = h.fake.lastView('code_editor') as FakeSlackView;
    expect(textOf(view.title)).toContain('Edit');
    expect(block(view, 'description').element?.initial_value).toBe('Warehouse scanners');
    expect(block(view, codeBlockOf(view)).element?.initial_value).toBe('ABCD-EFGH-JKMN');
    expect(block(view, 'expires_at').element?.initial_option?.value).toBe('date');
    expect(block(view, 'expires_on').element?.initial_date_time).toBe(Math.floor(expiresAt / 1000));
    expect(block(view, 'usage_limit').element?.initial_value).toBe('50');
    expect(block(view, 'usage_limit_delay').element?.initial_value).toBe('2h');
    expect(block(view, 'action').element?.initial_option?.value).toBe('create_device');
    expect(block(view, 'target.create_device').element?.initial_value).toBe('acct@example.com');
    expect(JSON.parse(String(view.private_metadata))).toMatchObject({
      id: code.id,
      version: code.version,
    });
  });
});

describe('qr and show', () => {
  it.each(['qr', 'show'])(
    '“%s CODE” uploads the QR into the requester’s DM, never the channel',
    async (verb) => {
      const code = await create({ description: 'Lobby kiosk' });
      const { reply } = await ask(`${verb} ${code.code.toLowerCase()}`);
      const open = h.fake.lastCall('conversations.open');
      expect(open?.args.users).toBe(STAFF);
      expect(h.fake.uploads).toHaveLength(1);
      const upload = h.fake.uploads[0];
      expect(upload?.channelId).toBe(`D${STAFF}`);
      expect(decodeQr(upload?.bytes as Buffer)).toBe(code.code);
      expect(upload?.initialComment).toContain(code.code);
      expect(h.fake.uploads.some((u) => u.channelId === CHANNEL)).toBe(false);
      expect(reply.body.response_type).toBe('ephemeral');
      expect(textOf(reply.body)).toMatch(/direct message/i);
    },
  );
});

describe('share', () => {
  it('“share CODE” posts the card and the QR PNG into the current channel, once, and notes it', async () => {
    const code = await create({ description: 'Acme onboarding' });
    h.fake.inviteBot(CHANNEL);
    const answer = await slack.command(`share ${code.code}`, { userId: STAFF, channelId: CHANNEL });
    expect(answer.status).toBe(200);
    const posted = await postedCard(h.fake, CHANNEL);
    expect(posted.upload.channelId, 'the QR itself is a private upload').toBeUndefined();
    expect(decodeQr(posted.upload.bytes)).toBe(code.code);
    const card = textOf(posted.blocks);
    expect(card).toContain('Acme onboarding');
    expect(card).toContain(code.code);
    expect(card).toContain(`<@${STAFF}>`);
    const history = await eventually(async () => {
      const events = await h.service.codes.history(code);
      expect(events.filter((e) => e.type === 'shared')).toHaveLength(1);
      return events;
    });
    expect(history.find((e) => e.type === 'shared')).toMatchObject({ by: STAFF, channel: CHANNEL });
    await settle();
    expect(h.fake.uploads).toHaveLength(1);
    // Posted once (a post refused while Slack still processed the QR upload is tried again).
    expect(h.fake.messages(CHANNEL)).toHaveLength(1);
  });

  it('“share CODE <#C999|x>” posts into C999 and tells the user', async () => {
    const code = await create({ description: 'Acme onboarding' });
    h.fake.inviteBot('C999');
    const { reply } = await ask(`share ${code.code} <#C999|x>`);
    expect(h.fake.uploads).toHaveLength(1);
    const posted = await postedCard(h.fake, 'C999');
    expect(decodeQr(posted.upload.bytes)).toBe(code.code);
    expect(textOf(posted.blocks)).toContain('Acme onboarding');
    expect(textOf(reply.body)).toContain('<#C999>');
    const events = await h.service.codes.history(code);
    expect(events.find((e) => e.type === 'shared')).toMatchObject({ by: STAFF, channel: 'C999' });
  });

  it('into a channel the app is not in: tells the user to invite the app, and keeps working', async () => {
    const code = await create();
    const { reply } = await ask(`share ${code.code} <#CPRIVATE|secret>`);
    expect(h.fake.lastCall('chat.postMessage')?.result).toMatchObject({
      error: 'not_in_channel',
    });
    expect(textOf(reply.body)).toMatch(/invite/i);
    expect(textOf(reply.body)).toContain('CPRIVATE');
    // The QR uploaded for the card is not left behind.
    const qr = h.fake.uploads.at(-1)?.fileId;
    await eventually(() =>
      expect(h.fake.callsTo('files.delete').map((c) => c.args.file)).toContain(qr),
    );
    const events = await h.service.codes.history(code);
    expect(events.filter((e) => e.type === 'shared')).toHaveLength(0);
    // The app is still up and answering.
    const { reply: help } = await ask('help');
    expect(textOf(help.body)).toContain('/installcode add');
  });
});

describe('delete and history', () => {
  it('“delete CODE” answers with Remove and Cancel, and removes nothing yet', async () => {
    const code = await create({ description: 'Old kiosk' });
    const { reply } = await ask(`delete ${code.code}`);
    expect(reply.body.response_type).toBe('ephemeral');
    expect(button(reply.body, 'delete_remove')?.value).toBe(code.id);
    expect(button(reply.body, 'delete_cancel')?.value).toBe(code.id);
    expect(textOf(reply.body)).toContain(code.code);
    expect(await h.service.codes.findById(code.id)).not.toBeNull();
  });

  it('“history CODE” tells who created, changed and used it', async () => {
    const code = await create({ description: 'Before' });
    await h.service.codes.updateCode(code, { description: 'After' }, 'UEDITOR');
    const redeemed = await h.service.call('POST', '/api/v1/redeem', {
      body: redeemBody(code.code),
    });
    expect(redeemed.status).toBe(200);
    const { reply } = await ask(`history ${code.code}`);
    const shown = textOf(reply.body);
    expect(shown).toContain(code.code);
    expect(shown).toContain(`<@${STAFF}> created it`);
    expect(shown).toContain('<@UEDITOR> changed description from “Before” to “After”');
    expect(shown).toContain('used it');
    expect(shown).toContain(redeemed.body.deviceId);
    expect(shown).toContain('<!date^');
  });
});

describe('history that reads like a log', () => {
  it('tells old → new, names each device, and tells a run of redemptions once', async () => {
    const code = await create({ description: 'Before', usageLimit: 10 });
    await h.service.codes.updateCode(code, { description: 'After', usageLimit: 50 }, 'UEDITOR');
    const devices = ['Desk A', 'Desk B', 'Desk C', 'Desk D', 'Desk E'];
    const ids: string[] = [];
    for (const name of devices) {
      const redeemed = await h.service.call('POST', '/api/v1/redeem', {
        body: redeemBody(code.code, { name, model: 'iPad 9', serial: 'SN-SECRET' }),
      });
      expect(redeemed.status).toBe(200);
      ids.push(redeemed.body.deviceId);
    }
    const { reply } = await ask(`history ${code.code}`);
    const shown = textOf(reply.body);
    expect(shown).toContain(
      '<@UEDITOR> changed description from “Before” to “After”; usage limit from 10 to 50',
    );
    expect(shown).toContain('Devices used it 5 times between');
    // The latest three, newest first, by the name and model they gave; never their serial.
    expect(shown).toContain(`\`${ids[4]}\` “Desk E” (iPad 9)`);
    expect(shown).toContain(`\`${ids[2]}\` “Desk C” (iPad 9)`);
    expect(shown).not.toContain(String(ids[1]));
    expect(shown).not.toContain('SN-SECRET');
    expect(shown.match(/used it/g)).toHaveLength(1);
  });

  it('still reads events written before old and new values and device names were kept', async () => {
    const code = await create();
    const history = keysFor(h.service.prefix).history(code.id);
    await h.service.redis.lpush(
      history,
      JSON.stringify({ at: Date.now(), by: 'UOLD', type: 'updated', changed: ['usageLimit'] }),
      JSON.stringify({ at: Date.now(), by: 'device', type: 'redeemed', deviceId: 'dev_old' }),
    );
    const { reply } = await ask(`history ${code.code}`);
    const shown = textOf(reply.body);
    expect(shown).toContain('<@UOLD> changed usage limit');
    expect(shown).toContain('A device used it: device `dev_old`');
  });
});

describe('an unknown code', () => {
  it.each([
    'edit NOPE-NOPE-NOPE',
    'qr NOPE-NOPE-NOPE',
    'show nope',
    'share NOPE-NOPE-NOPE',
    'share NOPE-NOPE-NOPE <#C999|x>',
    'delete NOPE-NOPE-NOPE',
    'history NOPE-NOPE-NOPE',
  ])('“%s” says the code does not exist and offers the picker instead', async (text) => {
    await create({ code: 'REAL-CODE-0001' });
    const { reply } = await ask(text);
    expect(reply.body.response_type).toBe('ephemeral');
    const typed = text.split(' ')[1] as string;
    expect(textOf(reply.body)).toContain(`No code \`${typed}\`; pick one:`);
    const picker = buttons(reply.body).find((e) => e.action_id === 'pick_code');
    expect(picker).toMatchObject({ type: 'external_select' });
    await settle();
    expect(h.fake.callsTo('views.open')).toHaveLength(0);
    expect(h.fake.uploads).toHaveLength(0);
  });
});

describe('the code menu of a list', () => {
  async function listed() {
    const code = await create({ description: 'Menu target' });
    const { reply } = await ask('list', STAFF, 'CLIST');
    expect(listedIds(reply.body)).toEqual([code.id]);
    return code;
  }
  const choose = (verb: string, code: InstallCode) =>
    slack.blockAction({
      userId: STAFF,
      actionId: 'code_menu',
      blockId: 'list_code',
      type: 'overflow',
      selectedOption: option(`${verb}:${code.id}`),
      channelId: 'CLIST',
      ephemeral: true,
    });

  it('Show QR uploads the QR into the requester’s DM', async () => {
    const code = await listed();
    const pressed = await choose('qr', code);
    const reply = await responseTo(h.fake, pressed.responseUrlId);
    expect(textOf(reply.body)).toMatch(/direct message/i);
    expect(h.fake.uploads).toHaveLength(1);
    expect(h.fake.uploads[0]?.channelId).toBe(`D${STAFF}`);
    expect(decodeQr(h.fake.uploads[0]?.bytes as Buffer)).toBe(code.code);
  });

  it('Edit opens the editor filled in', async () => {
    const code = await listed();
    const pressed = await choose('edit', code);
    const open = await h.fake.waitForCall('views.open');
    expect(open.args.trigger_id).toBe(pressed.triggerId);
    const view = h.fake.lastView('code_editor') as FakeSlackView;
    expect(initialCode(view)).toBe(code.code);
    expect(block(view, 'description').element?.initial_value).toBe('Menu target');
  });

  it('Share asks where, the list’s channel chosen, and posts there on the dialog’s Share', async () => {
    const code = await listed();
    h.fake.inviteBot('CLIST');
    await choose('share', code);
    await h.fake.waitForCall('views.open');
    const picker = h.fake.lastView('share_picker') as FakeSlackView;
    expect(textOf(picker.blocks)).toContain('"initial_conversation":"CLIST"');
    expect(h.fake.uploads).toHaveLength(0);
    await slack.viewSubmission({
      userId: STAFF,
      view: typed(picker, { share_channel: { value: field.conversation('CLIST') } }),
    });
    const card = await postedCard(h.fake, 'CLIST');
    expect(decodeQr(card.upload.bytes)).toBe(code.code);
    expect(textOf(card.blocks)).toContain('Menu target');
    await eventually(async () =>
      expect((await h.service.codes.history(code)).map((e) => e.type)).toContain('shared'),
    );
  });

  it('History shows the history', async () => {
    const code = await listed();
    const pressed = await choose('history', code);
    const reply = await responseTo(h.fake, pressed.responseUrlId);
    expect(textOf(reply.body)).toContain(`<@${STAFF}> created it`);
    expect(textOf(reply.body)).toContain(code.code);
  });

  it('Delete shows the Remove/Cancel prompt', async () => {
    const code = await listed();
    const pressed = await choose('delete', code);
    const reply = await responseTo(h.fake, pressed.responseUrlId);
    expect(button(reply.body, 'delete_remove')?.value).toBe(code.id);
    expect(button(reply.body, 'delete_cancel')).toBeDefined();
    expect(await h.service.codes.findById(code.id)).not.toBeNull();
  });

  it('a code removed since the list was shown gets a polite answer', async () => {
    const code = await listed();
    await h.service.codes.deleteCode(code);
    const pressed = await choose('history', code);
    const reply = await responseTo(h.fake, pressed.responseUrlId);
    expect(textOf(reply.body)).toContain('No such installation code');
  });
});

describe('INSTALL_URL_TEMPLATE', () => {
  let templated: SlackHarness;
  beforeAll(async () => {
    templated = await startSlackHarness({
      INSTALL_URL_TEMPLATE: 'https://devices.example.com/install?code={code}',
    });
  });
  afterAll(() => templated?.close());

  it('the QR of “qr” and “share” encodes the template with the code filled in', async () => {
    templated.fake.inviteBot(CHANNEL);
    const code = await templated.service.codes.createCode(GROUP, STAFF);
    const sender = timedSender(templated.slack);
    await sender.command(`qr ${code.code}`, { userId: STAFF, channelId: CHANNEL });
    templated.fake.inviteBot(CHANNEL);
    await sender.command(`share ${code.code}`, { userId: STAFF, channelId: CHANNEL });
    const dm = await templated.fake.waitForUpload((u) => u.channelId === `D${STAFF}`);
    const shared = (await postedCard(templated.fake, CHANNEL)).upload;
    const url = `https://devices.example.com/install?code=${code.code}`;
    expect(decodeQr(dm.bytes)).toBe(url);
    expect(decodeQr(shared.bytes)).toBe(url);
  });
});
