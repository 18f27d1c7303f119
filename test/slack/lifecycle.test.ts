import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { redeemBody } from '../support/service.js';
import {
  ADMIN,
  CHANNEL,
  type SlackHarness,
  STAFF,
  startSlackHarness,
} from '../support/slack-service.js';
import { buttons, clearCodes, responseTo, textOf } from './helpers.js';

/**
 * Issue 11 items 1 and 2 in Slack: Disable/Enable and the Extend buttons under each code in the
 * list and the App Home, for staff and admins alike; a shared card follows a disabled code
 * ("Disabled by", no QR) and comes back with a new QR when it is enabled again.
 */

const CARD_CHECK_MS = 600;
const HOME_CHECK_MS = 400;
const DAY = 86_400_000;
let h: SlackHarness;

beforeAll(async () => {
  h = await startSlackHarness(
    {},
    {
      slackTiming: { schedulePollMs: 100, cardCheckMs: CARD_CHECK_MS, homeCheckMs: HOME_CHECK_MS },
    },
  );
});
afterAll(() => h?.close());
beforeEach(async () => {
  await clearCodes(h.service.codes);
  h.fake.reset();
  h.fake.inviteBot(CHANNEL);
});

const soon = <T>(check: () => T | Promise<T>) =>
  vi.waitFor(check, { timeout: CARD_CHECK_MS * 8, interval: 50 });

async function createCode(body: Record<string, unknown>): Promise<{ code: string; id: string }> {
  const created = await h.service.call('POST', '/api/v1/codes', {
    body: { action: 'create_account_and_device', usernamePrefix: 'acme-', ...body },
  });
  expect(created.status).toBe(201);
  return { code: created.body.code, id: created.body.id };
}

/** The buttons under code `id` in a list or Home, by action ID. */
function lifecycleOf(holder: { blocks?: unknown } | undefined, id: string): string[] {
  return buttons(holder)
    .filter((b) => String(b.action_id).startsWith('code_life.') && b.value === id)
    .map((b) => String(b.action_id));
}

/** The list as `user` sees it, through the slash command. */
async function listFor(user: string) {
  const answer = await h.slack.command('list', { userId: user, channelId: CHANNEL });
  return (await responseTo(h.fake, answer.responseUrlId)).body as { blocks?: unknown };
}

/** Presses a button under code `id` in the list; answers what the person is told. */
async function pressInList(user: string, verb: string, id: string): Promise<string> {
  const pressed = await h.slack.blockAction({
    userId: user,
    actionId: `code_life.${verb}`,
    blockId: `code_life:${id}`,
    value: id,
    channelId: CHANNEL,
    ephemeral: true,
  });
  expect(pressed.status).toBe(200);
  return textOf((await responseTo(h.fake, pressed.responseUrlId)).body);
}

const getCode = async (code: string) => (await h.service.call('GET', `/api/v1/codes/${code}`)).body;

it('offers Disable and the extensions that apply under each listed code', async () => {
  const open = await createCode({ description: 'Open-ended' });
  const both = await createCode({
    description: 'Limited and dated',
    usageLimit: 5,
    expiresAt: new Date(Date.now() + DAY).toISOString(),
  });
  const list = await listFor(STAFF);
  expect(lifecycleOf(list, open.id)).toEqual(['code_life.disable']);
  expect(lifecycleOf(list, both.id)).toEqual([
    'code_life.disable',
    'code_life.days7',
    'code_life.days30',
    'code_life.uses10',
  ]);
});

it('disables from the list (staff), refuses redemptions, lists it as disabled, and enables again (admin)', async () => {
  const { code, id } = await createCode({ description: 'Lobby', usageLimit: 5 });
  const told = await pressInList(STAFF, 'disable', id);
  expect(told).toContain('Disabled');
  expect(told).toContain(code);
  expect(await getCode(code)).toMatchObject({
    enabled: false,
    status: 'disabled',
    updatedBy: STAFF,
  });
  const refused = await h.service.call('POST', '/api/v1/redeem', { body: redeemBody(code) });
  expect(refused.status).toBe(403);

  const list = await listFor(ADMIN);
  expect(textOf(list)).toContain('disabled');
  expect(lifecycleOf(list, id)).toEqual(['code_life.enable', 'code_life.uses10']);

  expect(await pressInList(ADMIN, 'enable', id)).toContain('Enabled');
  expect(await getCode(code)).toMatchObject({ enabled: true, status: 'active', updatedBy: ADMIN });
  const history = (await h.service.call('GET', `/api/v1/codes/${code}/history`)).body.events;
  expect(history.slice(0, 2)).toMatchObject([
    { type: 'enabled', by: ADMIN },
    { type: 'disabled', by: STAFF },
  ]);
});

it('extends a used-up code back to active with +10 uses, and a date by 7 days', async () => {
  const expiresAt = Date.now() + DAY;
  const { code, id } = await createCode({
    usageLimit: 1,
    expiresAt: new Date(expiresAt).toISOString(),
  });
  expect((await h.service.call('POST', '/api/v1/redeem', { body: redeemBody(code) })).status).toBe(
    200,
  );
  expect((await getCode(code)).status).toBe('used_up');
  expect(await pressInList(STAFF, 'uses10', id)).toContain('11 times in all');
  expect(await getCode(code)).toMatchObject({ status: 'active', usageLimit: 11 });
  await pressInList(STAFF, 'days7', id);
  expect(Date.parse((await getCode(code)).expiresAt)).toBe(expiresAt + 7 * DAY);
  const [latest] = (await h.service.call('GET', `/api/v1/codes/${code}/history`)).body.events;
  expect(latest).toMatchObject({ type: 'extended', by: STAFF });
});

it('tells the person, and changes nothing, when a stale button extends what a code no longer has', async () => {
  const { code, id } = await createCode({ usageLimit: 3 });
  await h.service.call('PATCH', `/api/v1/codes/${code}`, { body: { usageLimit: null } });
  expect(await pressInList(STAFF, 'uses10', id)).toContain('no usage limit');
  expect(await getCode(code)).toMatchObject({ usageLimit: null, version: 2 });
});

it('offers the buttons in the App Home, and a press there disables the code', async () => {
  const { code, id } = await createCode({ description: 'From the Home' });
  await h.slack.event({ type: 'app_home_opened', user: ADMIN, channel: `D${ADMIN}`, tab: 'home' });
  const homeView = () =>
    h.fake
      .callsTo('views.publish')
      .filter((c) => c.args.user_id === ADMIN)
      .at(-1)?.args.view as { blocks?: unknown } | undefined;
  await soon(() => expect(lifecycleOf(homeView(), id)).toEqual(['code_life.disable']));
  const pressed = await h.slack.blockAction({
    userId: ADMIN,
    actionId: 'code_life.disable',
    blockId: `code_life:${id}`,
    value: id,
    view: { ...(homeView() as object), id: 'V-home', type: 'home', state: { values: {} } },
  });
  expect(pressed.status).toBe(200);
  await soon(async () => expect((await getCode(code)).status).toBe('disabled'));
  // The open Home follows the change.
  await soon(() => expect(lifecycleOf(homeView(), id)).toEqual(['code_life.enable']));
  expect(textOf(homeView())).toContain('disabled');
});

function imageFileOf(blocks: unknown): string | null {
  const image = (blocks as { type: string; slack_file?: { id: string } }[] | undefined)?.find(
    (b) => b.type === 'image',
  );
  return image?.slack_file?.id ?? null;
}

it('a shared card says who disabled the code and withdraws the QR; enabling brings it back with a new QR', async () => {
  const channel = 'CLIFECARD';
  h.fake.inviteBot(channel);
  const { code, id } = await createCode({ description: 'Warehouse scanners' });
  const asked = await h.slack.command(`share ${code} <#${channel}|team>`, {
    userId: STAFF,
    channelId: CHANNEL,
  });
  await h.fake.waitForResponse((r) => r.id === asked.responseUrlId);
  const card = () => h.fake.messages(channel)[0];
  const firstQr = imageFileOf(card()?.blocks);
  expect(firstQr).toBeTruthy();

  await pressInList(ADMIN, 'disable', id);
  await soon(() => {
    const text = textOf(card()?.blocks);
    expect(text).toContain(`Disabled by <@${ADMIN}> on <!date^`);
    expect(text).not.toContain(code);
    expect(imageFileOf(card()?.blocks)).toBeNull();
  });
  await soon(() =>
    expect(h.fake.callsTo('files.delete').map((c) => String(c.args.file))).toContain(firstQr),
  );

  await pressInList(STAFF, 'enable', id);
  await soon(() => {
    const text = textOf(card()?.blocks);
    expect(text).toContain(code);
    expect(text).not.toContain('Disabled by');
    const qr = imageFileOf(card()?.blocks);
    expect(qr).toBeTruthy();
    expect(qr).not.toBe(firstQr);
  });
});

it('does not share a disabled code, and says to enable it first', async () => {
  const channel = 'CLIFESHARE';
  h.fake.inviteBot(channel);
  const { code } = await createCode({ enabled: false });
  const asked = await h.slack.command(`share ${code} <#${channel}|team>`, {
    userId: STAFF,
    channelId: CHANNEL,
  });
  const told = textOf((await responseTo(h.fake, asked.responseUrlId)).body);
  expect(told).toContain('Enable it first');
  expect(h.fake.messages(channel)).toEqual([]);
});
