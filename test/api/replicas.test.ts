import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { redeemBody, startTestService, type TestService } from '../support/service.js';
import { slackSender } from '../support/slack-requests.js';
import { BOT_TOKEN, SIGNING_SECRET, STAFF } from '../support/slack-service.js';

let fake: FakeSlack;
let replicas: TestService[];

beforeAll(async () => {
  fake = await startFakeSlack({ botToken: BOT_TOKEN });
  // Two app processes' worth of service on one Redis and one key prefix, as behind a load balancer.
  const shared = {
    REDIS_KEY_PREFIX: `test:replicas:${randomBytes(4).toString('hex')}:`,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    STAFF_USER_IDS: STAFF,
  };
  replicas = await Promise.all([startTestService(shared), startTestService(shared)]);
});
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.close()));
  await fake.close();
});

it('serves the same codes from both replicas, with exact counts under concurrent redemptions', async () => {
  const [a, b] = replicas as [TestService, TestService];
  const created = await a.call('POST', '/api/v1/codes', {
    body: { action: 'create_account_and_device', usernamePrefix: 'rep-', usageLimit: 11 },
  });
  expect((await b.call('GET', `/api/v1/codes/${created.body.code}`)).body.id).toBe(created.body.id);

  const answers = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      (i % 2 ? a : b).call('POST', '/api/v1/redeem', { body: redeemBody(created.body.code) }),
    ),
  );
  const won = answers.filter((x) => x.status === 200);
  expect(won).toHaveLength(11);
  expect(new Set(won.map((x) => x.body.accountId)).size).toBe(11);
  expect(
    answers.filter((x) => x.status !== 200).every((x) => x.body.error === 'code_used_up'),
  ).toBe(true);
  expect((await a.call('GET', `/api/v1/codes/${created.body.code}`)).body.timesUsed).toBe(11);
});

it('handles a Slack event once, even when it is delivered to both replicas', async () => {
  const [a, b] = replicas as [TestService, TestService];
  const event = { type: 'app_home_opened', user: STAFF, tab: 'home', channel: 'DHOME' };
  const first = await slackSender({ baseUrl: a.url, signingSecret: SIGNING_SECRET, fake }).event(
    event,
    {
      eventId: 'Ev0REPLICA1',
    },
  );
  const again = await slackSender({ baseUrl: b.url, signingSecret: SIGNING_SECRET, fake }).event(
    event,
    {
      eventId: 'Ev0REPLICA1',
      retryNum: 1,
    },
  );
  expect([first.status, again.status]).toEqual([200, 200]);
  await fake.waitForCall('views.publish');
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(fake.callsTo('views.publish')).toHaveLength(1);
});

it('shares the brute-force count: an address over the limit through one replica is refused by the other', async () => {
  // Runs last: it blocks this test's one client address (127.0.0.1) on both replicas.
  const [a, b] = replicas as [TestService, TestService];
  const created = await a.call('POST', '/api/v1/codes', {
    body: { action: 'create_device', accountId: 'acct-rl' },
  });
  const guess = (replica: TestService, i: number) =>
    replica.call('POST', '/api/v1/redeem', { body: redeemBody(`GUESS-${i}-0000`) });
  for (let i = 0; i < 20; i++) expect((await guess(i % 2 ? a : b, i)).status).toBe(404);
  const over = await guess(a, 20);
  expect(over.status).toBe(429);
  expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(
    (await a.call('POST', '/api/v1/redeem', { body: redeemBody(created.body.code) })).status,
  ).toBe(429);
  // The other replica learns it from the shared count at the address's next miss.
  expect((await guess(b, 21)).status).toBe(429);
  expect(
    (await b.call('POST', '/api/v1/redeem', { body: redeemBody(created.body.code) })).status,
  ).toBe(429);
});
