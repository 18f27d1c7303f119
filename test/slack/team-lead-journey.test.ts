import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { FakeSlackView } from '../support/fake-slack.js';
import { redeemBody } from '../support/service.js';
import {
  ADMIN,
  CHANNEL,
  type SlackHarness,
  STAFF,
  startSlackHarness,
} from '../support/slack-service.js';
import { editorValues, typed } from './helpers.js';

/**
 * Issue 10, a team lead's journey: they share a group code into the team's channel; it is used,
 * renamed in the editor (which first says where it is shared), used to its limit, then removed —
 * and the channel's card follows each step, and loses its code and QR once the code stops working.
 */

const TEAM = 'CACMEONBOARD';
let h: SlackHarness;

beforeAll(async () => {
  h = await startSlackHarness({}, { slackTiming: { schedulePollMs: 100, cardCheckMs: 500 } });
  h.fake.inviteBot(TEAM);
});
afterAll(() => h?.close());

const soon = <T>(check: () => T | Promise<T>) =>
  vi.waitFor(check, { timeout: 5_000, interval: 50 });

/** The team channel's card as it reads now, and the QR file it shows. */
function card(): { text: string; fileId: string | null } {
  const calls = [...h.fake.callsTo('chat.postMessage'), ...h.fake.callsTo('chat.update')].filter(
    (c) => c.args.channel === TEAM,
  );
  const latest = calls.at(-1);
  const blocks = (latest?.args.blocks ?? []) as { type: string; slack_file?: { id: string } }[];
  return {
    text: JSON.stringify(blocks),
    fileId: blocks.find((b) => b.type === 'image')?.slack_file?.id ?? null,
  };
}

const redeem = (code: string) =>
  h.service.call('POST', '/api/v1/redeem', {
    body: redeemBody(code, { name: 'Tablet', model: 'T1' }),
  });

it('the card follows the code through use, a rename, its limit and its removal', async () => {
  const code = await h.service.codes.createCode(
    {
      action: 'create_account_and_device',
      usernamePrefix: 'acme-',
      description: 'Acme onboarding tablets',
      usageLimit: 3,
      code: 'ACME-ONBOARD-01',
    },
    STAFF,
  );

  // Shared: the card tells the channel what it is for and how to use it, with the QR.
  await h.slack.command(`share ${code.code} <#${TEAM}|acme-onboarding>`, {
    userId: STAFF,
    channelId: CHANNEL,
  });
  await soon(() => expect(card().text).toContain('3 uses left'));
  const firstQr = card().fileId;
  expect(firstQr).toBeTruthy();
  expect(card().text).toContain('How to use it');
  expect(card().text).toContain(`Ask <@${STAFF}>`);

  // Used: the count follows.
  expect((await redeem('ACME-ONBOARD-01')).status).toBe(200);
  await soon(() => expect(card().text).toContain('2 uses left'));

  // Renamed in the editor: the first Save says where it is shared; the second renames.
  await h.slack.command('edit ACME-ONBOARD-01', { userId: STAFF, channelId: CHANNEL });
  await h.fake.waitForCall('views.open');
  const editor = h.fake.lastView('code_editor') as FakeSlackView;
  const entry = {
    description: 'Acme onboarding tablets',
    code: 'ACME-ONBOARD-02',
    usageLimit: '3',
    action: 'create_account_and_device',
    target: 'acme-',
  };
  const asked = await h.slack.viewSubmission({
    userId: STAFF,
    view: typed(editor, editorValues(editor, entry)),
  });
  expect(asked.response_action).toBe('update');
  const question = asked.view as FakeSlackView;
  expect(JSON.stringify(question.blocks)).toContain(`<#${TEAM}>`);
  expect(JSON.stringify(question.blocks)).toContain('their cards will show');
  expect((await h.service.codes.getCode('ACME-ONBOARD-01')).code).toBe('ACME-ONBOARD-01');

  const again = { ...editor, ...question, id: editor.id, hash: editor.hash } as FakeSlackView;
  const saved = await h.slack.viewSubmission({
    userId: STAFF,
    view: typed(again, editorValues(again, entry)),
  });
  expect(saved).toEqual({});
  await soon(() => {
    expect(card().text).toContain('ACME-ONBOARD-02');
    expect(card().text).not.toContain('ACME-ONBOARD-01');
    expect(card().fileId).not.toBe(firstQr);
  });
  const secondQr = card().fileId as string;
  await soon(() =>
    expect(h.fake.callsTo('files.delete').map((c) => c.args.file)).toContain(firstQr),
  );
  expect((await redeem('ACME-ONBOARD-01')).status).toBe(404);

  // Used to its limit: the card says so, and shows neither the code nor a QR.
  expect((await redeem('ACME-ONBOARD-02')).status).toBe(200);
  expect((await redeem('ACME-ONBOARD-02')).status).toBe(200);
  await soon(() => {
    expect(card().text).toContain('no longer works');
    expect(card().text).toContain('used up');
    expect(card().text).not.toContain('ACME-ONBOARD-02');
    expect(card().fileId).toBeNull();
    expect(h.fake.callsTo('files.delete').map((c) => c.args.file)).toContain(secondQr);
  });

  // Removed by an admin: the card says who.
  await h.service.codes.deleteCode('ACME-ONBOARD-02', undefined, ADMIN);
  await soon(() => expect(card().text).toContain(`removed by <@${ADMIN}>`));
  expect(card().fileId).toBeNull();
});
