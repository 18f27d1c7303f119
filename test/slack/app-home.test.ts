import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import type { FakeSlackCall } from '../support/fake-slack.js';
import { redeemBody } from '../support/service.js';
import {
  ADMIN,
  OUTSIDER,
  type SlackHarness,
  STAFF,
  startSlackHarness,
} from '../support/slack-service.js';
import { clearCodes, GROUP } from './helpers.js';

/**
 * Issue 10 §3: the App Home is a dashboard (my codes or all, by status, a page at a time, what
 * expires within 7 days), republished for those who have it open after every change they can
 * see, and while open for counts, which change without an event. Short periods here.
 */

const HOME_CHECK_MS = 600;
let h: SlackHarness;

beforeAll(async () => {
  h = await startSlackHarness(
    {},
    { slackTiming: { schedulePollMs: 100, cardCheckMs: 60_000, homeCheckMs: HOME_CHECK_MS } },
  );
});
afterAll(() => h?.close());
beforeEach(async () => {
  await clearCodes(h.service.codes);
  h.fake.reset();
});

const soon = <T>(check: () => T | Promise<T>) =>
  vi.waitFor(check, { timeout: HOME_CHECK_MS * 8, interval: 50 });

const open = (user: string) =>
  h.slack.event({ type: 'app_home_opened', user, channel: `D${user}`, tab: 'home' });

/** The latest Home published to `user`. */
function homeOf(user: string): { text: string; call: FakeSlackCall | undefined } {
  const call = h.fake
    .callsTo('views.publish')
    .filter((c) => c.args.user_id === user)
    .at(-1);
  return { text: JSON.stringify(call?.args.view ?? null), call };
}
const publishesTo = (user: string) =>
  h.fake.callsTo('views.publish').filter((c) => c.args.user_id === user).length;

function press(user: string, actionId: string, extra: Record<string, unknown> = {}) {
  const view = homeOf(user).call?.args.view as Record<string, unknown>;
  return h.slack.blockAction({
    userId: user,
    actionId,
    blockId:
      actionId === 'home_next' || actionId === 'home_previous' ? 'home_paging' : 'home_controls',
    view: { ...view, id: 'V-home', type: 'home', state: { values: {} } },
    ...extra,
  });
}

const create = (body: Record<string, unknown>, by = 'api') =>
  h.service.codes.createCode({ ...GROUP, ...body }, by);

it('republishes an open Home at once after a change, and for counts while it is open', async () => {
  await open(STAFF);
  await soon(() => expect(homeOf(STAFF).text).toContain('No codes yet'));

  const code = await create({ description: 'Appears by itself', usageLimit: 10 });
  await soon(() => expect(homeOf(STAFF).text).toContain('Appears by itself'));
  expect(homeOf(STAFF).text).toContain('0 / 10');

  // A redemption is no event: the open Home still shows it within its check period.
  const redeemed = await h.service.call('POST', '/api/v1/redeem', { body: redeemBody(code.code) });
  expect(redeemed.status).toBe(200);
  await soon(() => expect(homeOf(STAFF).text).toContain('1 / 10'));

  // Nothing changes: nothing is published again.
  const published = publishesTo(STAFF);
  await new Promise((resolve) => setTimeout(resolve, HOME_CHECK_MS * 3));
  expect(publishesTo(STAFF)).toBe(published);
});

it('is not published for someone who has not opened it', async () => {
  await open(STAFF);
  await create({ description: 'Only for open Homes' });
  await soon(() => expect(homeOf(STAFF).text).toContain('Only for open Homes'));
  expect(publishesTo(ADMIN)).toBe(0);
});

it('shows my codes or all codes, filters by status, and pages', async () => {
  const oldest = await create({ description: 'Staff code 0' }, STAFF);
  for (let i = 1; i < 12; i++) await create({ description: `Staff code ${i}` }, STAFF);
  await create({ description: 'Admin code' }, ADMIN);
  const usedUp = await create({ description: 'Used up one', usageLimit: 1 }, STAFF);
  await h.service.call('POST', '/api/v1/redeem', { body: redeemBody(usedUp.code) });

  await open(STAFF);
  await soon(() => expect(homeOf(STAFF).text).toContain('Admin code'));

  await press(STAFF, 'home_mine', { value: 'mine' });
  await soon(() => expect(homeOf(STAFF).text).toContain('*My codes* · page 1'));
  expect(homeOf(STAFF).text).not.toContain('Admin code');

  await press(STAFF, 'home_status', {
    type: 'static_select',
    selectedOption: { text: { type: 'plain_text', text: 'Used up' }, value: 'used_up' },
  });
  await soon(() => expect(homeOf(STAFF).text).toContain('*My codes* · :red_circle: used up'));
  expect(homeOf(STAFF).text).toContain('Used up one');
  expect(homeOf(STAFF).text).not.toContain('Staff code');

  await press(STAFF, 'home_status', {
    type: 'static_select',
    selectedOption: { text: { type: 'plain_text', text: 'Any status' }, value: 'any' },
  });
  await soon(() => expect(homeOf(STAFF).text).toContain('*My codes* · page 1'));
  await soon(() => expect(homeOf(STAFF).text).toContain('Staff code 11'));
  const next = (
    homeOf(STAFF).call?.args.view as
      | { blocks: { elements?: { action_id: string; value?: string }[] }[] }
      | undefined
  )?.blocks

    .flatMap((b) => b.elements ?? [])
    .find((e) => e.action_id === 'home_next');
  expect(next, 'a second page').toBeDefined();
  await press(STAFF, 'home_next', { value: next?.value });
  await soon(() => expect(homeOf(STAFF).text).toContain('page 2'));
  expect(homeOf(STAFF).text).toContain('Staff code 0');

  // The choice is kept: a change republishes page 2 of my codes, not the default.
  await create({ description: 'Another admin code' }, ADMIN);
  const before = publishesTo(STAFF);
  await h.service.codes.updateCode(oldest, { description: 'Staff code zero' }, STAFF);
  await soon(() => expect(publishesTo(STAFF)).toBeGreaterThan(before));
  expect(homeOf(STAFF).text).toContain('page 2');
  expect(homeOf(STAFF).text).toContain('Staff code zero');
});

it('lists what stops working within 7 days on top', async () => {
  await create({
    description: 'Far away',
    expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
  });
  await create({
    description: 'Soon over',
    expiresAt: new Date(Date.now() + 2 * 86_400_000).toISOString(),
  });
  await open(ADMIN);
  await soon(() => expect(homeOf(ADMIN).text).toContain('Stop working within 7 days'));
  const text = homeOf(ADMIN).text;
  const expiring = text.slice(
    text.indexOf('Stop working within 7 days'),
    text.indexOf('*All codes*'),
  );
  expect(expiring).toContain('Soon over');
  expect(expiring).not.toContain('Far away');
});

it('shows someone not on the staff a polite text, and never republishes for them', async () => {
  await open(OUTSIDER);
  await soon(() => expect(homeOf(OUTSIDER).text).toMatch(/ask an admin/i));
  await create({ description: 'Secret' });
  await new Promise((resolve) => setTimeout(resolve, HOME_CHECK_MS * 2));
  expect(publishesTo(OUTSIDER)).toBe(1);
  expect(homeOf(OUTSIDER).text).not.toContain('Secret');
});

it('shows admins the removal requests waiting for them, decided from the Home like from a copy', async () => {
  const code = await create({ description: 'Asked about' }, STAFF);
  await open(ADMIN);
  await soon(() => expect(homeOf(ADMIN).text).toContain('Asked about'));

  // A staff member asks, with a reason: the admin's open Home lists it with its buttons.
  const asked = await h.slack.command(`delete ${code.code}`, { userId: STAFF, channelId: 'CHOME' });
  const prompt = await h.fake.waitForResponse((r) => r.id === asked.responseUrlId);
  await h.slack.blockAction({
    userId: STAFF,
    actionId: 'delete_remove',
    blockId: 'delete_prompt',
    value: code.id,
    responseUrl: String(prompt.body.response_url ?? asked.responseUrl),
    channelId: 'CHOME',
    ephemeral: true,
  });
  await h.fake.waitForCall('views.open', (c) => JSON.stringify(c.args).includes('removal_reason'));
  const dialog = h.fake.lastView('removal_reason') as Record<string, unknown>;
  await h.slack.viewSubmission({
    userId: STAFF,
    view: {
      ...(dialog as object),
      callback_id: 'removal_reason',
      state: {
        values: { removal_reason: { value: { type: 'plain_text_input', value: 'Kiosk is gone' } } },
      },
    },
  });
  await soon(() => expect(homeOf(ADMIN).text).toContain('Waiting for an admin'));
  expect(homeOf(ADMIN).text).toContain('Kiosk is gone');
  expect(homeOf(STAFF).text).not.toContain('Waiting for an admin');
  type HomeBlocks = {
    blocks: { block_id?: string; elements?: { action_id: string; value?: string }[] }[];
  };
  const keep = ((homeOf(ADMIN).call?.args.view ?? { blocks: [] }) as HomeBlocks).blocks.find((b) =>
    b.elements?.some((e) => e.action_id === 'admin_cancel'),
  );
  const requestId = keep?.elements?.find((e) => e.action_id === 'admin_cancel')?.value;
  expect(requestId).toBeTruthy();

  // Kept from the Home: the request leaves the Home, the code stays, the requester is told.
  await h.slack.blockAction({
    userId: ADMIN,
    actionId: 'admin_cancel',
    blockId: String(keep?.block_id),
    value: requestId,
    view: {
      ...(homeOf(ADMIN).call?.args.view as object),
      id: 'V-home',
      type: 'home',
      state: { values: {} },
    },
  });
  await soon(() => expect(homeOf(ADMIN).text).not.toContain('Waiting for an admin'));
  expect(await h.service.codes.findById(code.id)).not.toBeNull();
  await soon(() =>
    expect(
      h.fake
        .callsTo('chat.postMessage')
        .some((c) => c.args.channel === `D${STAFF}` && JSON.stringify(c.args).includes('kept')),
    ).toBe(true),
  );
});
