/**
 * Share from a code's menu always asks where, the conversation it came from chosen already: one
 * press of the dialog's Share posts. A channel the bot is not in is refused on the field, before
 * the dialog closes; `/installcode share` still posts at once.
 */
import { describe, expect, it } from 'vitest';
import type { InstallCode } from '../../src/codes/model.js';
import type { FakeSlackView } from '../support/fake-slack.js';
import { field, option, type SlackSender } from '../support/slack-requests.js';
import { CHANNEL, type SlackHarness, STAFF } from '../support/slack-service.js';
import {
  ACK_LIMIT_MS,
  eventually,
  GROUP,
  postedCard,
  settle,
  textOf,
  typed,
  useSlackHarness,
} from './helpers.js';

let h: SlackHarness;
let slack: SlackSender;

useSlackHarness((harness, sender) => {
  h = harness;
  slack = sender;
});

const create = () => h.service.codes.createCode({ ...GROUP, description: 'Lobby' }, STAFF);

/** Share from the code's menu in an ephemeral list in `channelId`: the picker it opens. */
async function pickerFromList(code: InstallCode, channelId = CHANNEL) {
  const pressed = await slack.blockAction({
    userId: STAFF,
    actionId: 'code_menu',
    blockId: 'list_code',
    type: 'overflow',
    selectedOption: option(`share:${code.id}`),
    channelId,
    ephemeral: true,
  });
  const open = await h.fake.waitForCall('views.open');
  expect(open.args.trigger_id).toBe(pressed.triggerId);
  return h.fake.lastView('share_picker') as FakeSlackView;
}

const pick = (picker: FakeSlackView, channelId: string) =>
  slack.viewSubmission({
    userId: STAFF,
    view: typed(picker, { share_channel: { value: field.conversation(channelId) } }),
  });

const sharedEvents = async (code: InstallCode) =>
  (await h.service.codes.history(code)).filter((e) => e.type === 'shared');

describe('Share from the code menu', () => {
  it('opens the picker on the list’s conversation and posts nothing until its Share', async () => {
    const code = await create();
    const picker = await pickerFromList(code);
    const select = (picker.blocks as { element?: Record<string, unknown> }[])[0]?.element;
    expect(select).toMatchObject({
      type: 'conversations_select',
      default_to_current_conversation: true,
      initial_conversation: CHANNEL,
    });
    expect(textOf(picker.submit)).toContain('"Share"');
    await settle();
    expect(h.fake.uploads).toHaveLength(0);
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('its Share posts into the list’s channel, with no DM: the card says it all', async () => {
    const code = await create();
    h.fake.inviteBot(CHANNEL);
    const picker = await pickerFromList(code);
    expect(await pick(picker, CHANNEL)).toEqual({});
    await postedCard(h.fake, CHANNEL);
    await eventually(async () => expect(await sharedEvents(code)).toHaveLength(1));
    await settle();
    expect(
      h.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === `D${STAFF}`),
    ).toEqual([]);
  });

  it('another channel picked: posted there, and the sharer told by DM where', async () => {
    const code = await create();
    h.fake.inviteBot('CELSEWHERE');
    const picker = await pickerFromList(code);
    await pick(picker, 'CELSEWHERE');
    await postedCard(h.fake, 'CELSEWHERE');
    const told = await h.fake.waitForCall(
      'chat.postMessage',
      (c) => c.args.channel === `D${STAFF}`,
    );
    expect(String(told.args.text)).toContain('<#CELSEWHERE>');
  });

  it('a channel the bot is not in: the error is on the field, and nothing is posted', async () => {
    const code = await create();
    const picker = await pickerFromList(code);
    const answer = await pick(picker, 'COUTSIDE');
    expect(answer).toEqual({
      response_action: 'errors',
      errors: {
        share_channel:
          "I'm not in #coutside: invite me with `/invite @installcode`, then try again.",
      },
    });
    expect(h.fake.lastCall('conversations.info')?.args.channel).toBe('COUTSIDE');
    await settle();
    expect(h.fake.uploads).toHaveLength(0);
    expect(h.fake.callsTo('files.getUploadURLExternal')).toHaveLength(0);
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(0);
    expect(await sharedEvents(code)).toHaveLength(0);
  });

  it('Slack slow to say whether the bot is in: the dialog is answered in time, and the share goes on', async () => {
    const code = await create();
    h.fake.inviteBot('CSLOW');
    const picker = await pickerFromList(code);
    h.fake.delayNext('conversations.info', 2_500);
    const started = performance.now();
    expect(await pick(picker, 'CSLOW')).toEqual({});
    expect(performance.now() - started).toBeLessThan(ACK_LIMIT_MS - 500);
    await postedCard(h.fake, 'CSLOW');
  });

  it('the membership check refused (a missing scope): the dialog closes and the share goes on', async () => {
    const code = await create();
    h.fake.inviteBot('CSCOPE');
    const picker = await pickerFromList(code);
    h.fake.failNext('conversations.info', { error: 'missing_scope' });
    expect(await pick(picker, 'CSCOPE')).toEqual({});
    await postedCard(h.fake, 'CSCOPE');
  });
});

describe('/installcode share', () => {
  it('still posts at once, with no dialog', async () => {
    const code = await create();
    h.fake.inviteBot(CHANNEL);
    await slack.command(`share ${code.code}`, { userId: STAFF, channelId: CHANNEL });
    await postedCard(h.fake, CHANNEL);
    expect(h.fake.callsTo('views.open')).toHaveLength(0);
    expect(h.fake.callsTo('conversations.info')).toHaveLength(0);
  });
});
