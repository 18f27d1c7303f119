import { afterAll, beforeAll, expect, it } from 'vitest';
import { API_TOKEN, redeemBody } from '../support/service.js';
import {
  ADMIN,
  BOT_TOKEN,
  CHANNEL,
  SIGNING_SECRET,
  type SlackHarness,
  STAFF,
  startSlackHarness,
} from '../support/slack-service.js';

let h: SlackHarness;

beforeAll(async () => {
  // The most talkative level: if a secret reaches any log line, it reaches these.
  h = await startSlackHarness({ LOG_LEVEL: 'trace' });
  h.fake.inviteBot(CHANNEL);
});
afterAll(() => h.close());

it('never writes a whole code, token, idempotency key or secret to the logs, through a full run', async () => {
  const { service, slack, fake } = h;
  const code = 'Secret-Group-Code-42';
  const created = await service.call('POST', '/api/v1/codes', {
    body: { code, action: 'create_account_and_device', usernamePrefix: 'acme-', usageLimit: 1 },
  });
  expect(created.status).toBe(201);
  const idempotencyKey = 'idem-6f1c2a9e-key';
  const redeemed = await service.call('POST', '/api/v1/redeem', {
    body: redeemBody(code),
    headers: { 'idempotency-key': idempotencyKey },
  });
  expect(redeemed.status).toBe(200);
  await service.call('POST', '/api/v1/redeem', { body: redeemBody(code) });
  await service.call('POST', '/api/v1/redeem', { body: redeemBody('Unknown-Guess-9999') });
  await service.call('GET', `/api/v1/codes/${encodeURIComponent(code)}/history?q=${code}`);
  // More uses, so that it can be shared (a used-up code is not).
  await service.call('PATCH', `/api/v1/codes/${code}`, {
    body: { description: 'changed', usageLimit: 10 },
  });

  await slack.command(`share ${code}`, { userId: STAFF, channelId: CHANNEL });
  await fake.waitForUpload();
  await slack.command(`qr ${code.toLowerCase()}`, { userId: STAFF, channelId: CHANNEL });
  await slack.command(`delete ${code}`, { userId: ADMIN, channelId: CHANNEL });
  await slack.blockAction({
    userId: ADMIN,
    actionId: 'delete_remove',
    blockId: 'delete_prompt',
    value: created.body.id,
    channelId: CHANNEL,
    ephemeral: true,
  });
  await fake.waitForResponse((r) => JSON.stringify(r.body).includes('removed'));
  expect((await service.call('GET', `/api/v1/codes/${code}`)).status).toBe(404);

  const logs = service.logs.join('').toLowerCase();
  expect(logs).toContain('/api/v1/codes/');
  const secrets = [
    code,
    'SECRETGROUPCODE42',
    'Unknown-Guess-9999',
    redeemed.body.deviceToken,
    idempotencyKey,
    API_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
  ];
  for (const secret of secrets) expect(logs).not.toContain(String(secret).toLowerCase());
});
