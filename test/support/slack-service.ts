import type { ServiceOptions } from '../../src/service.js';
import { type FakeSlack, startFakeSlack } from './fake-slack.js';
import { startTestService, type TestService } from './service.js';
import { type SlackSender, slackSender } from './slack-requests.js';

export const SIGNING_SECRET = 'test-signing-secret-8f2c';
export const BOT_TOKEN = 'xoxb-test-bot-token-1234';
export const ADMIN = 'UADMIN1';
export const STAFF = 'USTAFF1';
export const OUTSIDER = 'UOUTSIDER';
export const CHANNEL = 'CSUPPORT';

export interface SlackHarness {
  service: TestService;
  fake: FakeSlack;
  slack: SlackSender;
  close(): Promise<void>;
}

/**
 * The whole service with its Slack side on, talking to a fake Slack Web API of our own that takes
 * only BOT_TOKEN, and a sender of requests signed as Slack signs them, with trigger IDs the fake
 * minted. One admin, one staff member, and an outsider. The bot is in no channel: a test that
 * expects the app to post into one invites it (`fake.inviteBot(CHANNEL)`), as a workspace would.
 */
export async function startSlackHarness(
  env: Record<string, string> = {},
  options: Pick<ServiceOptions, 'slackTiming' | 'eventTiming'> = {},
): Promise<SlackHarness> {
  const fake = await startFakeSlack({ botToken: BOT_TOKEN });
  const service = await startTestService(
    {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.apiUrl,
      ADMIN_USER_IDS: ADMIN,
      STAFF_USER_IDS: STAFF,
      ...env,
    },
    options,
  );
  const slack = slackSender({ baseUrl: service.url, signingSecret: SIGNING_SECRET, fake });
  return {
    service,
    fake,
    slack,
    async close() {
      await service.close();
      await fake.close();
    },
  };
}
