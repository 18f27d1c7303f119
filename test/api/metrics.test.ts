import { afterAll, beforeAll, expect, it } from 'vitest';
import { redeemBody } from '../support/service.js';
import { CHANNEL, type SlackHarness, STAFF, startSlackHarness } from '../support/slack-service.js';

let h: SlackHarness;

beforeAll(async () => {
  h = await startSlackHarness();
});
afterAll(() => h.close());

/** The sum of a metric's samples whose labels include `labels`. */
function sample(metrics: string, name: string, labels: string): number {
  return metrics
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(labels))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

it('counts redemptions by result, times HTTP by route pattern and Slack listeners by type', async () => {
  const { service, slack } = h;
  const created = await service.call('POST', '/api/v1/codes', {
    body: { code: 'Metric-Code-77', action: 'create_device', accountId: 'acct-1', usageLimit: 1 },
  });
  await service.call('POST', '/api/v1/redeem', { body: redeemBody(created.body.code) });
  await service.call('POST', '/api/v1/redeem', { body: redeemBody(created.body.code) });
  await service.call('POST', '/api/v1/redeem', { body: redeemBody('NOT-A-CODE') });
  await service.call('GET', `/api/v1/codes/${created.body.code}`);
  await slack.command('help', { userId: STAFF, channelId: CHANNEL });

  const scraped = await service.call('GET', '/metrics');
  expect(scraped.status).toBe(200);
  expect(scraped.headers.get('content-type')).toContain('text/plain');
  const text = scraped.body as string;
  expect(sample(text, 'installcode_redemptions_total', 'result="ok"')).toBe(1);
  expect(sample(text, 'installcode_redemptions_total', 'result="code_used_up"')).toBe(1);
  expect(sample(text, 'installcode_redemptions_total', 'result="code_not_found"')).toBe(1);
  expect(
    sample(text, 'installcode_http_request_duration_seconds_count', 'route="/api/v1/codes/:code"'),
  ).toBe(1);
  expect(
    sample(text, 'installcode_http_request_duration_seconds_count', 'route="/api/v1/redeem"'),
  ).toBe(3);
  expect(sample(text, 'installcode_slack_listener_duration_seconds_count', 'type="command"')).toBe(
    1,
  );
  expect(text).toContain('installcode_redis_errors_total');
  expect(text.toLowerCase()).not.toContain('metric-code-77');
  expect(text).not.toContain('METRICCODE77');
});

it('sets security headers on API answers', async () => {
  for (const path of ['/api/v1/redeem', '/api/v1/codes', '/healthz', '/no-such-route']) {
    const answer = await h.service.call(path === '/api/v1/redeem' ? 'POST' : 'GET', path, {
      body: path === '/api/v1/redeem' ? {} : undefined,
    });
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('content-security-policy')).toBe(
      "default-src 'none';frame-ancestors 'none'",
    );
    expect(answer.headers.get('x-frame-options')).toBe('DENY');
    expect(answer.headers.get('strict-transport-security')).toContain('max-age=');
    expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
    expect(answer.headers.get('cross-origin-resource-policy')).toBe('same-origin');
  }
});
