import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { expect, it, vi } from 'vitest';
import { startFakeSlack } from '../support/fake-slack.js';
import { startTestRedis } from '../support/redis-server.js';
import { startTestService } from '../support/service.js';
import { nowSeconds, sign } from '../support/slack-requests.js';
import { BOT_TOKEN, SIGNING_SECRET, STAFF } from '../support/slack-service.js';

/**
 * A request that comes on an open connection once the service has started to stop gets 503 with
 * Connection: close (and the usual headers), not an answer from a half-closed service.
 */
it('answers a request that arrives while it drains 503 unavailable, with Connection: close', async () => {
  const redis = await startTestRedis();
  const service = await startTestService({ REDIS_URL: redis.url });
  const admin = new Redis(redis.url);
  try {
    const created = await service.call('POST', '/api/v1/codes', {
      body: { action: 'create_device', accountId: 'acct-drain' },
    });
    const body = JSON.stringify({ code: created.body.code, device: {} });
    const { port } = new URL(service.url);
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
    });
    const ended = new Promise((resolve) => socket.on('close', resolve));
    await admin.call('CLIENT', 'PAUSE', '1000', 'ALL');
    // A redemption held up by Redis keeps the connection busy while the service starts to stop.
    socket.write(
      `POST /api/v1/redeem HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const closing = service.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    socket.destroy();
    await closing;
    const answers = received.split(/(?=HTTP\/1\.1 )/);
    expect(answers).toHaveLength(2);
    expect(answers[1]).toMatch(/^HTTP\/1\.1 503/);
    expect(answers[1]?.toLowerCase()).toContain('connection: close');
    expect(answers[1]).toContain('"error":"unavailable"');
    expect(answers[1]?.toLowerCase()).toContain("content-security-policy: default-src 'none'");
  } finally {
    admin.disconnect();
    await redis.stop();
  }
});

it('still handles a /slack/* request that arrives on a kept-alive connection while it drains', async () => {
  const redis = await startTestRedis();
  const fake = await startFakeSlack({ botToken: BOT_TOKEN });
  const service = await startTestService({
    REDIS_URL: redis.url,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    STAFF_USER_IDS: STAFF,
  });
  const admin = new Redis(redis.url);
  try {
    const created = await service.call('POST', '/api/v1/codes', {
      body: { action: 'create_device', accountId: 'acct-drain-slack' },
    });
    const body = JSON.stringify({ code: created.body.code, device: {} });
    const { port } = new URL(service.url);
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
    });
    await admin.call('CLIENT', 'PAUSE', '1000', 'ALL');
    socket.write(
      `POST /api/v1/redeem HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const closing = service.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Slack's handshake, signed as Slack signs it: the app answers with the challenge.
    const event = JSON.stringify({ type: 'url_verification', challenge: 'still-here', token: 'x' });
    const timestamp = nowSeconds();
    socket.write(
      [
        'POST /slack/events HTTP/1.1',
        'Host: x',
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(event)}`,
        `X-Slack-Request-Timestamp: ${timestamp}`,
        `X-Slack-Signature: ${sign(event, timestamp, SIGNING_SECRET)}`,
        '',
        event,
      ].join('\r\n'),
    );
    await vi.waitFor(() => expect(received.split(/(?=HTTP\/1\.1 )/)).toHaveLength(2), {
      timeout: 5_000,
    });
    socket.destroy();
    await closing;
    const answers = received.split(/(?=HTTP\/1\.1 )/);
    expect(answers[1]).toMatch(/^HTTP\/1\.1 200/);
    expect(answers[1]).toContain('still-here');
  } finally {
    admin.disconnect();
    await fake.close();
    await redis.stop();
  }
});
