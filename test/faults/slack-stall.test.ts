import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { editorValues, typed } from '../slack/helpers.js';
import type { FakeSlackView } from '../support/fake-slack.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { CHANNEL, type SlackHarness, STAFF, startSlackHarness } from '../support/slack-service.js';

/**
 * README "Saving writes before acknowledging": the editor's whole save has a budget inside
 * Slack's 3 s. With Redis stalled, the person is told on the field that the store is
 * unavailable, in time, and the code is not created when Redis resumes.
 */

let redis: TestRedis;
let h: SlackHarness;
let control: Redis;

beforeAll(async () => {
  redis = await startTestRedis();
  h = await startSlackHarness({ REDIS_URL: redis.url });
  control = new Redis(redis.url);
});
afterAll(async () => {
  control?.disconnect();
  await h?.close();
  await redis?.stop();
});

it('a save while Redis stalls is refused on the field within 3 s, and nothing is created later', async () => {
  const opened = await h.slack.command('add', { userId: STAFF, channelId: CHANNEL });
  await h.fake.waitForCall('views.open', (c) => c.args.trigger_id === opened.triggerId);
  const view = h.fake.lastView('code_editor') as FakeSlackView;
  const code = 'STALL-SAVE-0001';
  const values = editorValues(view, {
    code,
    action: 'create_device',
    target: 'acct-stall',
  });

  await control.call('CLIENT', 'PAUSE', '4000', 'WRITE');
  const started = performance.now();
  const answer = await h.slack.viewSubmissionAnswer({ userId: STAFF, view: typed(view, values) });
  const ms = performance.now() - started;

  expect(ms).toBeLessThan(3_000);
  expect(answer.status).toBe(200);
  expect(answer.json).toMatchObject({ response_action: 'errors' });
  expect(answer.body).toMatch(/unavailable/);

  // Redis resumes and runs the held write: its deadline has passed, so it does nothing.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, 4_500 - ms)));
  await expect(h.service.codes.getCode(code)).rejects.toThrow();
  expect((await h.service.codes.listCodes({ limit: 10 })).codes).toEqual([]);
}, 20_000);
