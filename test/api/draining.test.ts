import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { startFakeSlack } from '../support/fake-slack.js';
import { startTestRedis } from '../support/redis-server.js';
import { startTestService, type TestService } from '../support/service.js';
import { nowSeconds, sign } from '../support/slack-requests.js';
import { BOT_TOKEN, SIGNING_SECRET, STAFF } from '../support/slack-service.js';

/**
 * A request that comes on an open connection once the service has started to stop gets 503 with
 * Connection: close (and the usual headers), not an answer from a half-closed service; Slack's
 * requests (`/slack/*`) are still handled.
 */

/**
 * Keeps a connection busy with a redemption that a paused Redis holds up, starts to stop the
 * service, then sends `request` on that connection: answers what came back on it, split by answer.
 */
async function askWhileDraining(service: TestService, redisUrl: string, request: string) {
  const admin = new Redis(redisUrl);
  try {
    const created = await service.call('POST', '/api/v1/codes', {
      body: { action: 'create_device', accountId: 'acct-drain' },
    });
    const body = JSON.stringify({ code: created.body.code, device: {} });
    const socket = connect(Number(new URL(service.url).port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
    });
    const ended = new Promise((resolve) => socket.on('close', resolve));
    const answers = () => received.split(/(?=HTTP\/1\.1 )/);
    await admin.call('CLIENT', 'PAUSE', '1000', 'ALL');
    socket.write(
      `POST /api/v1/redeem HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const closing = service.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.write(request);
    // Both answers (the second may keep the connection open), or the connection closed.
    const bothAnswered = (async () => {
      while (answers().length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, 50)); // the rest of its body
    })();
    await Promise.race([
      ended,
      bothAnswered,
      new Promise((resolve) => setTimeout(resolve, 10_000)),
    ]);
    socket.destroy();
    await closing;
    return answers();
  } finally {
    admin.disconnect();
  }
}

it('answers a request that arrives while it drains 503 unavailable, with Connection: close', async () => {
  const redis = await startTestRedis();
  try {
    const service = await startTestService({ REDIS_URL: redis.url });
    const answers = await askWhileDraining(
      service,
      redis.url,
      'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    expect(answers).toHaveLength(2);
    expect(answers[1]).toMatch(/^HTTP\/1\.1 503/);
    expect(answers[1]?.toLowerCase()).toContain('connection: close');
    expect(answers[1]).toContain('"error":"unavailable"');
    expect(answers[1]?.toLowerCase()).toContain("content-security-policy: default-src 'none'");
  } finally {
    await redis.stop();
  }
});

it('still handles a /slack/* request that arrives on a kept-alive connection while it drains', async () => {
  const redis = await startTestRedis();
  const fake = await startFakeSlack({ botToken: BOT_TOKEN });
  try {
    const service = await startTestService({
      REDIS_URL: redis.url,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.apiUrl,
      STAFF_USER_IDS: STAFF,
    });
    // Slack's handshake, signed as Slack signs it: the app answers with the challenge.
    const event = JSON.stringify({ type: 'url_verification', challenge: 'still-here', token: 'x' });
    const timestamp = nowSeconds();
    const request = [
      'POST /slack/events HTTP/1.1',
      'Host: x',
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(event)}`,
      `X-Slack-Request-Timestamp: ${timestamp}`,
      `X-Slack-Signature: ${sign(event, timestamp, SIGNING_SECRET)}`,
      '',
      event,
    ].join('\r\n');
    const answers = await askWhileDraining(service, redis.url, request);
    expect(answers).toHaveLength(2);
    expect(answers[1]).toMatch(/^HTTP\/1\.1 200/);
    expect(answers[1]).toContain('still-here');
  } finally {
    await fake.close();
    await redis.stop();
  }
});
