import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redeemBody, startTestService } from '../support/service.js';
import { CHANNEL, type SlackHarness, STAFF, startSlackHarness } from '../support/slack-service.js';

let h: SlackHarness;

beforeAll(async () => {
  h = await startSlackHarness();
});
afterAll(() => h.close());

function metricsUrlOf(service: { metricsUrl: string | null }): string {
  expect(service.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  return service.metricsUrl as string;
}

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

  const scraped = await fetch(metricsUrlOf(service));
  expect(scraped.status).toBe(200);
  expect(scraped.headers.get('content-type')).toContain('text/plain');
  const text = await scraped.text();
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
      "default-src 'none'; frame-ancestors 'none'",
    );
    expect(answer.headers.get('x-frame-options')).toBe('DENY');
    expect(answer.headers.get('strict-transport-security')).toContain('max-age=');
    expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
    expect(answer.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    // What only protects a page is not sent (README: "Security headers").
    for (const pageOnly of [
      'x-xss-protection',
      'cross-origin-opener-policy',
      'x-dns-prefetch-control',
    ]) {
      expect(answer.headers.get(pageOnly)).toBeNull();
    }
  }
});

describe('the metrics server', () => {
  it('is not on PORT: there /metrics is 404 like any unknown route', async () => {
    const onPort = await h.service.call('GET', '/metrics');
    expect(onPort.status).toBe(404);
    expect(onPort.body).toEqual({ error: 'not_found', message: 'No such route.' });
    expect(new URL(metricsUrlOf(h.service)).port).not.toBe(new URL(h.service.url).port);
  });

  it('answers only GET /metrics, with the security headers', async () => {
    const base = metricsUrlOf(h.service).replace(/\/metrics$/, '');
    const other = await fetch(`${base}/api/v1/openapi.json`);
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual({ error: 'not_found', message: 'No such route.' });
    const post = await fetch(`${base}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const scraped = await fetch(`${base}/metrics?x=1`);
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await scraped.text()).toContain('installcode_redemptions_total');
  });

  it('is off with METRICS_PORT=0, and stops with the service', async () => {
    const off = await startTestService({ METRICS_PORT: '0' });
    expect(off.metricsUrl).toBeNull();
    expect((await off.call('GET', '/metrics')).status).toBe(404);
    await off.close();

    const on = await startTestService();
    const url = metricsUrlOf(on);
    expect((await fetch(url)).status).toBe(200);
    await on.close();
    await expect(fetch(url)).rejects.toThrow();
  });
});
