/**
 * First decision wins across replicas: two services on one Redis and one key prefix, both talking
 * to the same fake Slack; two admins press Remove code and Keep code on their own copies at the
 * same moment, each press reaching a different replica.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { keysFor } from '../../src/store/keys.js';
import { type RemovalRequest, RemovalRequests } from '../../src/store/removal-requests.js';
import { type FakeSlack, type FakeSlackCall, startFakeSlack } from '../support/fake-slack.js';
import { startTestService, type TestService } from '../support/service.js';
import { field, type SlackSender, slackSender } from '../support/slack-requests.js';
import { ADMIN, BOT_TOKEN, CHANNEL, SIGNING_SECRET, STAFF } from '../support/slack-service.js';
import { button, eventually, GROUP, responseTo, settle, timedSender, typed } from './helpers.js';

const SECOND_ADMIN = 'UADMIN2';
const ROUNDS = 8;

let fake: FakeSlack;
let replicas: [TestService, TestService];
let senders: [SlackSender, SlackSender];
let requests: RemovalRequests;

beforeAll(async () => {
  fake = await startFakeSlack({ botToken: BOT_TOKEN });
  const prefix = `test:removal-replicas:${randomBytes(4).toString('hex')}:`;
  const shared = {
    REDIS_KEY_PREFIX: prefix,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    ADMIN_USER_IDS: `${ADMIN},${SECOND_ADMIN}`,
    STAFF_USER_IDS: STAFF,
  };
  replicas = (await Promise.all([startTestService(shared), startTestService(shared)])) as [
    TestService,
    TestService,
  ];
  senders = replicas.map((r) =>
    timedSender(slackSender({ baseUrl: r.url, signingSecret: SIGNING_SECRET, fake })),
  ) as [SlackSender, SlackSender];
  requests = new RemovalRequests(replicas[0].redis, keysFor(prefix));
  fake.inviteBot(CHANNEL);
});
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.close()));
  await fake.close();
});

/** The staff member asks through replica A; gives the request with its two copies. */
async function askToRemove(codeId: string, codeText: string): Promise<RemovalRequest> {
  const [a] = senders;
  const command = await a.command(`delete ${codeText}`, { userId: STAFF, channelId: CHANNEL });
  const prompt = await responseTo(fake, command.responseUrlId);
  expect(button(prompt.body, 'delete_remove')?.value).toBe(codeId);
  await a.blockAction({
    userId: STAFF,
    actionId: 'delete_remove',
    blockId: 'delete_prompt',
    value: codeId,
    responseUrl: command.responseUrl,
    channelId: CHANNEL,
    ephemeral: true,
  });
  const view = await eventually(() => {
    const dialog = fake.lastView('removal_reason');
    expect(dialog?.private_metadata).toContain(codeId);
    return dialog as NonNullable<typeof dialog>;
  });
  await a.viewSubmission({
    userId: STAFF,
    view: typed(view, { removal_reason: { value: field.text('Kiosk was stolen') } }),
  });
  return eventually(async () => {
    const pending = (await requests.pending(50)).find((r) => r.codeId === codeId);
    expect(pending?.copies).toHaveLength(2);
    return pending as RemovalRequest;
  });
}

const press = (
  sender: SlackSender,
  actionId: 'admin_remove' | 'admin_cancel',
  userId: string,
  request: RemovalRequest,
  copy: { channel: string; ts: string },
) =>
  sender.blockAction({
    userId,
    actionId,
    blockId: 'delete_request',
    value: request.id,
    channelId: copy.channel,
    messageTs: copy.ts,
  });

it('two admins deciding at once on two replicas: one decision, every copy the same, one DM', async () => {
  const [a, b] = senders;
  for (let round = 0; round < ROUNDS; round++) {
    fake.reset();
    fake.inviteBot(CHANNEL);
    const code = await replicas[0].codes.createCode(
      { ...GROUP, description: `round ${round}` },
      STAFF,
    );
    const request = await askToRemove(code.id, code.code);
    const copyOf = (admin: string) =>
      request.copies.find((c) => c.channel === `D${admin}`) as { channel: string; ts: string };

    await Promise.all([
      press(a, 'admin_remove', ADMIN, request, copyOf(ADMIN)),
      press(b, 'admin_cancel', SECOND_ADMIN, request, copyOf(SECOND_ADMIN)),
    ]);

    const decided = await eventually(async () => {
      const stored = await requests.get(request.id);
      expect(stored?.decided).not.toBeNull();
      return stored as RemovalRequest & { decided: NonNullable<RemovalRequest['decided']> };
    });
    const { decision, by } = decided.decided;
    expect([
      ['removed', ADMIN],
      ['kept', SECOND_ADMIN],
    ]).toContainEqual([decision, by]);
    // Both copies end saying the same; the loser is told who decided.
    const finalTexts = await eventually(() => {
      const texts = request.copies.map(
        (copy) =>
          fake
            .callsTo('chat.update')
            .filter((c) => c.args.channel === copy.channel && c.args.ts === copy.ts)
            .at(-1)?.args.text,
      );
      for (const text of texts) expect(text).toBeDefined();
      return texts;
    });
    expect(new Set(finalTexts).size).toBe(1);
    expect(String(finalTexts[0])).toContain(decision === 'removed' ? 'removed' : 'kept');
    const loser = by === ADMIN ? SECOND_ADMIN : ADMIN;
    const told = await fake.waitForCall('chat.postEphemeral', (c) => c.args.user === loser);
    expect(String(told.args.text)).toContain('Already decided');
    await settle();
    const dms = fake
      .callsTo('chat.postMessage')
      .filter((c: FakeSlackCall) => c.args.channel === `D${STAFF}`);
    expect(dms).toHaveLength(1);
    const exists = (await replicas[1].codes.findById(code.id)) !== null;
    expect(exists).toBe(decision === 'kept');
  }
});
