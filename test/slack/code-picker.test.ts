/**
 * The code picker, end to end: `/installcode edit` (or qr, share, delete, history) without a code,
 * or with one that does not exist, answers with a menu whose options the app serves as the person
 * types (Slack's block_suggestion), and choosing one does the verb.
 */
import { describe, expect, it } from 'vitest';
import type { InstallCode } from '../../src/codes/model.js';
import type { CodeInput } from '../../src/codes/rules.js';
import { FAKE_APP_ID, FAKE_TEAM_DOMAIN, FAKE_TEAM_ID } from '../support/fake-slack.js';
import { decodeQr } from '../support/qr.js';
import { option, type SlackSender } from '../support/slack-requests.js';
import { CHANNEL, OUTSIDER, type SlackHarness, STAFF } from '../support/slack-service.js';
import {
  blocksOf,
  button,
  buttons,
  eventually,
  GROUP,
  initialCode,
  responseTo,
  settle,
  textOf,
  useSlackHarness,
} from './helpers.js';

let h: SlackHarness;
let slack: SlackSender;

useSlackHarness((harness, sender) => {
  h = harness;
  slack = sender;
});

const create = (input: CodeInput = {}) => h.service.codes.createCode({ ...GROUP, ...input }, STAFF);

interface SuggestedOption {
  text: { type: string; text: string };
  value: string;
}

/**
 * What Slack sends when someone opens or types into an external_select of an ephemeral message
 * (https://docs.slack.dev/reference/interaction-payloads/block_suggestion-payload), signed and
 * form-encoded like every interaction; the options come back in the acknowledgement.
 */
async function suggest(value: string, blockId: string, userId = STAFF) {
  const payload = {
    type: 'block_suggestion',
    user: {
      id: userId,
      username: userId.toLowerCase(),
      name: userId.toLowerCase(),
      team_id: FAKE_TEAM_ID,
    },
    container: {
      type: 'message',
      message_ts: '1700000000.000100',
      channel_id: CHANNEL,
      is_ephemeral: true,
    },
    api_app_id: FAKE_APP_ID,
    token: 'legacy-verification-token',
    action_id: 'pick_code',
    block_id: blockId,
    value,
    team: { id: FAKE_TEAM_ID, domain: FAKE_TEAM_DOMAIN },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: CHANNEL, name: 'general' },
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const answer = await slack.raw(body, {
    'content-type': 'application/x-www-form-urlencoded',
    ...slack.signedHeaders(body),
  });
  expect(answer.status).toBe(200);
  return (answer.json as { options?: SuggestedOption[] } | undefined)?.options ?? [];
}

/** `/installcode text` as staff, and the picker it answers with. */
async function pickerFor(text: string, userId = STAFF) {
  const answer = await slack.command(text, { userId, channelId: CHANNEL });
  const reply = await responseTo(h.fake, answer.responseUrlId);
  const actions = blocksOf(reply.body).find((b) => b.type === 'actions');
  const menu = buttons(reply.body).find((e) => e.action_id === 'pick_code');
  return { reply, blockId: String(actions?.block_id), menu };
}

/** The person chooses `code` in the picker of block `blockId`. */
function choose(code: InstallCode, blockId: string, userId = STAFF) {
  return slack.blockAction({
    userId,
    actionId: 'pick_code',
    blockId,
    type: 'external_select',
    selectedOption: option(code.id, code.code),
    channelId: CHANNEL,
    ephemeral: true,
  });
}

describe('a verb without a code', () => {
  it.each([
    ['edit', 'Which code do you want to edit?'],
    ['qr', 'Which code’s QR image do you want?'],
    ['show', 'Which code’s QR image do you want?'],
    ['share', 'Which code do you want to share?'],
    ['delete', 'Which code do you want to remove?'],
    ['history', 'Which code’s history do you want?'],
  ])('“%s” asks which code, with a type-ahead menu', async (verb, question) => {
    const { reply, menu } = await pickerFor(verb);
    expect(reply.body.response_type).toBe('ephemeral');
    expect(textOf(reply.body)).toContain(question);
    expect(menu).toMatchObject({ type: 'external_select', min_query_length: 0 });
    await settle();
    expect(h.fake.callsTo('views.open')).toHaveLength(0);
    expect(h.fake.uploads).toHaveLength(0);
  });

  it('an unknown code is named above the picker, as text that cannot mention anyone', async () => {
    // A person typing `<!here>` is sent `&lt;!here&gt;` by Slack; it is decoded, then escaped again.
    const { reply, menu } = await pickerFor('edit &lt;!here&gt;');
    expect(textOf(reply.body)).toContain('No code `&lt;!here&gt;`; pick one:');
    expect(textOf(reply.body)).not.toContain('<!here>');
    expect(menu).toMatchObject({ type: 'external_select' });
  });
});

describe('the options served as the person types', () => {
  it('match code, description and prefix; show description and code; carry the record ID', async () => {
    const desk = await create({ description: 'Front desk tablets', code: 'DESK-0001' });
    const lab = await create({ description: 'R&D lab', code: 'LABS-0002' });
    const acme = await create({ code: 'ACME-0003', usernamePrefix: 'acmecorp-' });
    const { blockId } = await pickerFor('edit');

    const front = await suggest('front', blockId);
    expect(front).toEqual([
      { text: { type: 'plain_text', text: 'Front desk tablets · DESK-0001' }, value: desk.id },
    ]);
    expect((await suggest('r&d', blockId)).map((o) => o.value)).toEqual([lab.id]);
    expect((await suggest('acmecorp', blockId)).map((o) => o.value)).toEqual([acme.id]);
    expect((await suggest('labs 0002', blockId)).map((o) => o.value)).toEqual([lab.id]);
    expect((await suggest('', blockId)).map((o) => o.value).sort()).toEqual(
      [desk.id, lab.id, acme.id].sort(),
    );
    expect(await suggest('nothing like it', blockId)).toEqual([]);
  });

  it('find a whole code typed however old it is, though the text search looks at the newest only', async () => {
    const old = await create({ description: 'Old kiosk', code: 'KIOSK-OLD-0001' });
    // More newer codes than one filtered list looks at (1,000), none of them matching.
    for (let batch = 0; batch < 11; batch++) {
      await Promise.all(Array.from({ length: 100 }, () => create({ description: 'Newer' })));
    }
    const { blockId } = await pickerFor('edit');
    expect((await suggest('kiosk-old-0001', blockId)).map((o) => o.value)).toEqual([old.id]);
    // A part of it is looked for among the newest only: not found here, and not claimed to be.
    expect(await suggest('kiosk-old', blockId)).toEqual([]);
  }, 60_000);

  it('stay within Slack’s limits: at most 100 options, text ≤ 75, value ≤ 150', async () => {
    for (let i = 0; i < 101; i++) {
      await create({ description: `${'Very long description '.repeat(8)}${i}` });
    }
    const { blockId } = await pickerFor('qr');
    const options = await suggest('', blockId);
    expect(options).toHaveLength(100);
    for (const o of options) {
      expect(o.text.text.length).toBeLessThanOrEqual(75);
      expect(o.value.length).toBeLessThanOrEqual(150);
      // The code always shows whole, after the clipped description.
      expect(o.text.text).toMatch(/… · [0-9A-Z-]+$/);
    }
  });

  it('are none for an outsider, who is not told anything else either', async () => {
    await create({ description: 'Secret desk' });
    const options = await suggest('', 'pick_code:edit:', OUTSIDER);
    expect(options).toEqual([]);
    await settle();
    expect(h.fake.responses).toHaveLength(0);
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(0);
  });
});

describe('choosing a code does the verb', () => {
  it('edit: opens the editor filled in, with the choice’s trigger_id', async () => {
    const code = await create({ description: 'Kiosk' });
    const { blockId } = await pickerFor('edit');
    const chosen = await choose(code, blockId);
    const open = await h.fake.waitForCall('views.open');
    expect(open.args.trigger_id).toBe(chosen.triggerId);
    const view = h.fake.lastView('code_editor');
    expect(view && initialCode(view)).toBe(code.code);
    expect(JSON.parse(String(view?.private_metadata))).toMatchObject({ id: code.id });
  });

  it('qr: the QR goes into the requester’s DM', async () => {
    const code = await create();
    const { blockId } = await pickerFor('qr');
    await choose(code, blockId);
    const upload = await h.fake.waitForUpload();
    expect(upload.channelId).not.toBe(CHANNEL);
    expect(decodeQr(upload.bytes)).toBe(code.code);
  });

  it('share with a channel named: posts into that channel', async () => {
    const code = await create();
    h.fake.inviteBot('C777');
    const { blockId } = await pickerFor('share <#C777|ops>');
    expect(blockId).toBe('pick_code:share:C777');
    await choose(code, blockId);
    const card = await h.fake.waitForCall('chat.postMessage', (c) => c.args.channel === 'C777');
    expect(JSON.stringify(card.args.blocks)).toContain(code.code);
    await eventually(async () => {
      const events = await h.service.codes.history(code);
      expect(events.find((e) => e.type === 'shared')).toMatchObject({ channel: 'C777' });
    });
  });

  it('delete: Remove and Cancel, nothing removed yet', async () => {
    const code = await create();
    const { blockId } = await pickerFor('delete NOPE-NOPE');
    const chosen = await choose(code, blockId);
    const reply = await responseTo(h.fake, chosen.responseUrlId);
    expect(button(reply.body, 'delete_remove')?.value).toBe(code.id);
    expect(await h.service.codes.findById(code.id)).not.toBeNull();
  });

  it('history: the code’s history', async () => {
    const code = await create({ description: 'Logged' });
    const { blockId } = await pickerFor('history');
    const chosen = await choose(code, blockId);
    const reply = await responseTo(h.fake, chosen.responseUrlId);
    expect(textOf(reply.body)).toContain('History of');
    expect(textOf(reply.body)).toContain(code.code);
  });

  it('an outsider’s choice is refused where they chose, and does nothing', async () => {
    const code = await create();
    const chosen = await choose(code, 'pick_code:edit:', OUTSIDER);
    const reply = await responseTo(h.fake, chosen.responseUrlId);
    expect(textOf(reply.body)).toMatch(/sorry/i);
    await settle();
    expect(h.fake.callsTo('views.open')).toHaveLength(0);
    expect(h.fake.callsTo('conversations.open')).toHaveLength(0);
  });

  it('a garbled picker block, or a code gone since, gets a clear answer and changes nothing', async () => {
    const code = await create();
    const garbled = await choose(code, 'pick_code:frobnicate:');
    expect(textOf((await responseTo(h.fake, garbled.responseUrlId)).body)).toContain(
      'could not read',
    );
    await h.service.codes.deleteCode(code);
    const gone = await choose(code, 'pick_code:edit:');
    expect(textOf((await responseTo(h.fake, gone.responseUrlId)).body)).toContain(
      'No such installation code',
    );
    await settle();
    expect(h.fake.callsTo('views.open')).toHaveLength(0);
  });
});
