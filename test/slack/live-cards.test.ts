import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { redeemBody } from '../support/service.js';
import {
  ADMIN,
  CHANNEL,
  type SlackHarness,
  STAFF,
  startSlackHarness,
} from '../support/slack-service.js';

/**
 * Issue 10 §1: a shared card follows its code — counts, edits, a rename (new code, new QR), the
 * limit, expiry and removal — and a card of a code that no longer works shows neither the code
 * nor a QR (its image is deleted). The periods are short here; the mechanism is the production one.
 */

const CARD_CHECK_MS = 600;
let h: SlackHarness;

beforeAll(async () => {
  h = await startSlackHarness(
    {},
    { slackTiming: { schedulePollMs: 100, cardCheckMs: CARD_CHECK_MS } },
  );
});
afterAll(() => h?.close());
beforeEach(() => {
  h.fake.reset();
  h.fake.inviteBot(CHANNEL);
});

/** Within the card check period and a poll, with room for a loaded machine. */
const soon = <T>(check: () => T | Promise<T>) =>
  vi.waitFor(check, { timeout: CARD_CHECK_MS * 8, interval: 50 });

async function createCode(body: Record<string, unknown>): Promise<{ code: string; id: string }> {
  const created = await h.service.call('POST', '/api/v1/codes', {
    body: { action: 'create_account_and_device', usernamePrefix: 'acme-', ...body },
  });
  expect(created.status).toBe(201);
  return { code: created.body.code, id: created.body.id };
}

let channels = 0;
/** A channel of the test's own (cards of other tests' codes never post there), the bot invited. */
function newChannel(): string {
  const channel = `CCARDS${++channels}`;
  h.fake.inviteBot(channel);
  return channel;
}

function imageFileOf(blocks: unknown): string | null {
  const image = (blocks as { type: string; slack_file?: { id: string } }[] | undefined)?.find(
    (b) => b.type === 'image',
  );
  return image?.slack_file?.id ?? null;
}

/** Shares `code` into `channel` with the slash command, from another conversation. */
async function share(code: string, channel: string): Promise<{ fileId: string; text: string }> {
  const asked = await h.slack.command(`share ${code} <#${channel}|team>`, {
    userId: STAFF,
    channelId: CHANNEL,
  });
  // Told once the card is posted and remembered.
  const told = await h.fake.waitForResponse((r) => r.id === asked.responseUrlId);
  expect(JSON.stringify(told.body)).toContain('Shared');
  const [posted] = h.fake.messages(channel);
  const fileId = imageFileOf(posted?.blocks);
  expect(fileId, 'the card shows the QR as an image of a private upload').toBeTruthy();
  const upload = h.fake.uploads.find((u) => u.fileId === fileId);
  expect(upload?.channelId, 'the QR file itself is shared nowhere').toBeUndefined();
  expect(upload?.altText).toContain(code);
  return { fileId: fileId as string, text: JSON.stringify(posted?.blocks) };
}

/** What the card in `channel` shows now: its latest update, or its post. */
function cardIn(channel: string): { text: string; fileId: string | null; updates: number } {
  const updates = h.fake
    .callsTo('chat.update')
    .filter((c) => c.args.channel === channel && c.result?.ok);
  const [message] = h.fake.messages(channel);
  return {
    text: JSON.stringify(message?.blocks ?? []),
    fileId: imageFileOf(message?.blocks),
    updates: updates.length,
  };
}

const deletedFiles = () => h.fake.callsTo('files.delete').map((c) => String(c.args.file));

it('follows the code: uses, an edit, a rename with a new QR, then the limit withdraws code and QR', async () => {
  const channel = newChannel();
  const { code } = await createCode({ description: 'Front desk tablets', usageLimit: 2 });
  const first = await share(code, channel);
  expect(first.text).toContain('2 uses left');
  expect(first.text).toContain(code);

  const redeemed = await h.service.call('POST', '/api/v1/redeem', { body: redeemBody(code) });
  expect(redeemed.status).toBe(200);
  await soon(() => expect(cardIn(channel).text).toContain('1 use left'));

  const edited = await h.service.call('PATCH', `/api/v1/codes/${code}`, {
    body: { description: 'Lobby tablets' },
  });
  expect(edited.status).toBe(200);
  await soon(() => expect(cardIn(channel).text).toContain('Lobby tablets'));

  const renamed = await h.service.call('PATCH', `/api/v1/codes/${code}`, {
    body: { code: 'LOBBY-2026-TABS' },
  });
  expect(renamed.status).toBe(200);
  await soon(() => {
    const card = cardIn(channel);
    expect(card.text).toContain('LOBBY-2026-TABS');
    expect(card.text).not.toContain(code);
    expect(card.fileId).not.toBe(first.fileId);
  });
  const second = cardIn(channel).fileId as string;
  const newUpload = h.fake.uploads.find((u) => u.fileId === second);
  expect(newUpload?.altText).toContain('LOBBY-2026-TABS');
  await soon(() => expect(deletedFiles()).toContain(first.fileId));

  const last = await h.service.call('POST', '/api/v1/redeem', {
    body: redeemBody('LOBBY-2026-TABS'),
  });
  expect(last.status).toBe(200);
  await soon(() => {
    const card = cardIn(channel);
    expect(card.text).toContain('no longer works');
    expect(card.text).toContain('used up');
    expect(card.text).not.toContain('LOBBY-2026-TABS');
    expect(card.fileId).toBeNull();
    expect(deletedFiles()).toContain(second);
  });
});

it('says "expired" once the code expires, with no one changing anything', async () => {
  const channel = newChannel();
  const expiresAt = new Date(Date.now() + 1_500).toISOString();
  const { code } = await createCode({ expiresAt });
  const { fileId } = await share(code, channel);
  await soon(() => {
    const card = cardIn(channel);
    expect(card.text).toContain('expired');
    expect(card.text).not.toContain(code);
    expect(card.fileId).toBeNull();
    expect(deletedFiles()).toContain(fileId);
  });
});

it('says who removed the code and when, in place', async () => {
  const channel = newChannel();
  const { code } = await createCode({ description: 'Removed soon' });
  const { fileId } = await share(code, channel);
  await h.slack.command(`delete ${code}`, { userId: ADMIN, channelId: CHANNEL });
  const prompt = await h.fake.waitForResponse((r) =>
    JSON.stringify(r.body).includes('delete_remove'),
  );
  const remove = (prompt.body.blocks as { elements?: { action_id: string; value: string }[] }[])
    .flatMap((b) => b.elements ?? [])
    .find((e) => e.action_id === 'delete_remove');
  await h.slack.blockAction({
    userId: ADMIN,
    actionId: 'delete_remove',
    blockId: 'delete_prompt',
    value: remove?.value,
    channelId: CHANNEL,
  });
  await soon(() => {
    const card = cardIn(channel);
    expect(card.text).toContain(`removed by <@${ADMIN}>`);
    expect(card.text).not.toContain(code);
    expect(card.fileId).toBeNull();
    expect(deletedFiles()).toContain(fileId);
  });
});

it('never shows a new code made under the name of a removed one on the old card', async () => {
  const channel = newChannel();
  const { code } = await createCode({ code: 'REUSED-NAME-01' });
  await share(code, channel);
  expect((await h.service.call('DELETE', `/api/v1/codes/${code}`)).status).toBe(204);
  await soon(() => expect(cardIn(channel).text).toContain('no longer works'));
  const updates = cardIn(channel).updates;
  await createCode({ code: 'REUSED-NAME-01', description: 'A new code, same name' });
  // Shared elsewhere, the new code's cards are checked: the old one stays as it was.
  const elsewhere = newChannel();
  await share('REUSED-NAME-01', elsewhere);
  await h.service.call('PATCH', '/api/v1/codes/REUSED-NAME-01', {
    body: { description: 'Edited' },
  });
  await soon(() => expect(cardIn(elsewhere).text).toContain('Edited'));
  await new Promise((resolve) => setTimeout(resolve, CARD_CHECK_MS * 2));
  expect(cardIn(channel).updates).toBe(updates);
  expect(cardIn(channel).text).not.toContain('REUSED-NAME-01');
});

it('updates a card only when what it shows changes, and forgets a card whose message is gone', async () => {
  const channel = newChannel();
  const { code } = await createCode({ usageLimit: 100 });
  await share(code, channel);
  // Several check periods with no change: no update at all.
  await new Promise((resolve) => setTimeout(resolve, CARD_CHECK_MS * 3));
  expect(cardIn(channel).updates).toBe(0);

  // Five uses in a burst: coalesced into few updates, the last one right.
  for (let i = 0; i < 5; i++) {
    expect(
      (await h.service.call('POST', '/api/v1/redeem', { body: redeemBody(code) })).status,
    ).toBe(200);
  }
  await soon(() => expect(cardIn(channel).text).toContain('95 uses left'));
  expect(cardIn(channel).updates).toBeLessThanOrEqual(2);

  // Someone deleted the message in Slack: the next update is refused, the card is dropped.
  h.fake.failNext('chat.update', { error: 'message_not_found' });
  await h.service.call('POST', '/api/v1/redeem', { body: redeemBody(code) });
  await soon(() =>
    expect(h.fake.calls.some((c) => c.method === 'chat.update' && c.injected)).toBe(true),
  );
  const before = h.fake.callsTo('chat.update').length;
  await h.service.call('POST', '/api/v1/redeem', { body: redeemBody(code) });
  await new Promise((resolve) => setTimeout(resolve, CARD_CHECK_MS * 3));
  expect(h.fake.callsTo('chat.update').length).toBe(before);
});

it('does not share a code that no longer works', async () => {
  const channel = newChannel();
  const { code } = await createCode({ usageLimit: 1 });
  await h.service.call('POST', '/api/v1/redeem', { body: redeemBody(code) });
  const answer = await h.slack.command(`share ${code} <#${channel}|team>`, {
    userId: STAFF,
    channelId: CHANNEL,
  });
  const reply = await h.fake.waitForResponse((r) => r.id === answer.responseUrlId);
  expect(JSON.stringify(reply.body)).toContain('no longer works');
  expect(h.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === channel)).toEqual([]);
  expect(h.fake.uploads).toEqual([]);
});
