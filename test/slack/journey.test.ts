import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FakeSlackView } from '../support/fake-slack.js';
import { decodeQr } from '../support/qr.js';
import { field, option, type StateValues, type SubmittedView } from '../support/slack-requests.js';
import {
  ADMIN,
  CHANNEL,
  type SlackHarness,
  STAFF,
  startSlackHarness,
} from '../support/slack-service.js';
import { postedCard } from './helpers.js';

let h: SlackHarness;

beforeAll(async () => {
  h = await startSlackHarness();
  // The app is in the support channel and in the channel it shares into.
  h.fake.inviteBot(CHANNEL);
  h.fake.inviteBot('CSHARE');
});
afterAll(() => h.close());

/** The view as Slack would hold it after the person typed `values` into it. */
function typed(view: FakeSlackView, values: StateValues): SubmittedView {
  return { ...view, callback_id: String(view.callback_id), state: { values } };
}

function blockIds(view: FakeSlackView): string[] {
  return (view.blocks as { block_id?: string }[]).map((b) => b.block_id ?? '');
}

it('staff adds a code in the modal, lists it, shares it with its QR, asks to delete it, and an admin removes it', async () => {
  const { slack, fake, service } = h;

  // Add: the editor opens with a generated code.
  const added = await slack.command('add', { userId: STAFF, channelId: CHANNEL });
  expect(added.status).toBe(200);
  await fake.waitForCall('views.open');
  const opened = fake.lastView('code_editor') as FakeSlackView;
  const codeBlock = blockIds(opened).find((id) => id.startsWith('code')) as string;
  const generated = (
    opened.blocks as { block_id?: string; element?: { initial_value?: string } }[]
  ).find((b) => b.block_id === codeBlock)?.element?.initial_value;
  expect(generated).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);

  // Choosing an action swaps in its field, keeping what was typed.
  const chosen = {
    description: { value: field.text('Acme front desk') },
    [codeBlock]: { value: field.text(generated as string) },
    expires_at: { value: field.dateTime(null) },
    usage_limit: { value: field.number(null) },
    usage_limit_delay: { value: field.text(null) },
    action: { editor_choose_action: field.radio('create_account_and_device') },
  } as StateValues;
  await slack.blockAction({
    userId: STAFF,
    actionId: 'editor_choose_action',
    blockId: 'action',
    type: 'radio_buttons',
    selectedOption: option('create_account_and_device'),
    view: typed(opened, chosen),
  });
  const update = await fake.waitForCall('views.update');
  expect(update.args.hash).toBe(opened.hash);
  const withTarget = fake.lastView('code_editor') as FakeSlackView;
  expect(blockIds(withTarget)).toContain('target.create_account_and_device');
  expect(JSON.stringify(withTarget.blocks)).toContain('Acme front desk');

  // Submitting invalid values shows each error on its field, and writes nothing.
  const invalid = await slack.viewSubmission({
    userId: STAFF,
    view: typed(withTarget, {
      ...chosen,
      usage_limit: { value: field.number('0') },
      usage_limit_delay: { value: field.text('soon') },
      'target.create_account_and_device': { value: field.text('ACME!') },
    }),
  });
  expect(invalid.response_action).toBe('errors');
  expect(Object.keys(invalid.errors as object).sort()).toEqual(
    ['target.create_account_and_device', 'usage_limit', 'usage_limit_delay'].sort(),
  );
  expect((await service.codes.listCodes({ limit: 10 })).codes).toHaveLength(0);

  // Submitting valid values saves the code.
  const ok = await slack.viewSubmission({
    userId: STAFF,
    view: typed(withTarget, {
      ...chosen,
      usage_limit: { value: field.number('50') },
      usage_limit_delay: { value: field.text('2h') },
      'target.create_account_and_device': { value: field.text('acme-') },
    }),
  });
  expect(ok).toEqual({});
  const saved = await service.codes.getCode(generated as string);
  expect(saved).toMatchObject({
    description: 'Acme front desk',
    usageLimit: 50,
    usageLimitDelaySeconds: 7200,
    action: 'create_account_and_device',
    usernamePrefix: 'acme-',
    createdBy: STAFF,
  });

  // List: the code is there with its details.
  const listed = await slack.command('list acme', { userId: STAFF, channelId: CHANNEL });
  const list = await fake.waitForResponse((r) => r.id === listed.responseUrlId);
  const listText = JSON.stringify(list.body);
  expect(listText).toContain(saved.code);
  expect(listText).toContain('0 / 50');
  expect(list.body).toMatchObject({ response_type: 'ephemeral' });

  // Share into another channel: the card, whose QR (a private upload) decodes to the code.
  fake.inviteBot('CSHARE');
  await slack.command(`share ${saved.code.toLowerCase()} <#CSHARE|general>`, {
    userId: STAFF,
    channelId: CHANNEL,
  });
  const card = await postedCard(fake, 'CSHARE');
  expect(decodeQr(card.upload.bytes)).toBe(saved.code);
  expect(JSON.stringify(card.blocks)).toContain('Acme front desk');

  // Staff asks to delete: the prompt, then Remove opens the dialog; its reason goes to the admins.
  const asked = await slack.command(`delete ${saved.code}`, { userId: STAFF, channelId: CHANNEL });
  const prompt = await fake.waitForResponse((r) => r.id === asked.responseUrlId);
  expect(JSON.stringify(prompt.body)).toContain('delete_remove');
  await slack.blockAction({
    userId: STAFF,
    actionId: 'delete_remove',
    blockId: 'delete_prompt',
    value: saved.id,
    responseUrl: asked.responseUrl,
    channelId: CHANNEL,
    ephemeral: true,
  });
  await fake.waitForCall('views.open', (c) =>
    JSON.stringify(c.args.view).includes('removal_reason'),
  );
  const dialog = fake.lastView('removal_reason') as FakeSlackView;
  await slack.viewSubmission({
    userId: STAFF,
    view: typed(dialog, { removal_reason: { value: field.text('Front desk closed') } }),
  });
  const request = await fake.waitForCall('chat.postMessage', (c) =>
    JSON.stringify(c.args).includes('admin_remove'),
  );
  expect(request.args.channel).toBe(`D${ADMIN}`);
  expect(JSON.stringify(request.args.blocks)).toContain('Front desk closed');
  const requestTs = String(request.result?.ts);
  expect(await service.codes.findById(saved.id)).not.toBeNull();

  // A staff member pressing the admins' Remove changes nothing.
  const adminButtonValue = String(
    (request.args.blocks as { elements?: { action_id: string; value: string }[] }[])
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === 'admin_remove')?.value,
  );
  await slack.blockAction({
    userId: STAFF,
    actionId: 'admin_remove',
    blockId: 'delete_request',
    value: adminButtonValue,
    channelId: `D${ADMIN}`,
    messageTs: requestTs,
  });
  await fake.waitForCall('chat.postEphemeral', (c) => c.args.user === STAFF);
  expect(await service.codes.findById(saved.id)).not.toBeNull();

  // The admin removes it; the request message says who did.
  await slack.blockAction({
    userId: ADMIN,
    actionId: 'admin_remove',
    blockId: 'delete_request',
    value: adminButtonValue,
    channelId: `D${ADMIN}`,
    messageTs: requestTs,
  });
  const decided = await fake.waitForCall('chat.update');
  expect(decided.args.channel).toBe(`D${ADMIN}`);
  expect(String(decided.args.text)).toContain(`<@${ADMIN}> removed`);
  const told = await fake.waitForCall('chat.postMessage', (c) => c.args.channel === `D${STAFF}`);
  expect(String(told.args.text)).toContain('as you asked');
  expect(await service.codes.findById(saved.id)).toBeNull();
  await expect(service.codes.getCode(saved.code)).rejects.toThrow();
});
