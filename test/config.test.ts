import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

/** The ConfigError that `loadConfig(env)` throws; fails the test when it throws nothing or something else. */
function configError(env: Record<string, string>): ConfigError {
  let thrown: unknown;
  try {
    loadConfig(env);
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected a ConfigError for ${JSON.stringify(env)}`).toBeInstanceOf(ConfigError);
  return thrown as ConfigError;
}

describe('loadConfig defaults', () => {
  const config = loadConfig({});

  it('listens on port 3000', () => {
    expect(config.PORT).toBe(3000);
  });

  it("namespaces keys under 'ic:'", () => {
    expect(config.REDIS_KEY_PREFIX).toBe('ic:');
  });

  it('keeps unusable codes for 7 days, in milliseconds', () => {
    expect(config.RETENTION).toBe(7 * 24 * 60 * 60 * 1000);
  });

  it('keeps devices for 90 days after their last redemption or verification, in milliseconds', () => {
    expect(config.DEVICE_RETENTION).toBe(90 * 24 * 60 * 60 * 1000);
  });

  it('allows 20 failures in a 15-minute window, in milliseconds', () => {
    expect(config.REDEEM_MAX_FAILURES).toBe(20);
    expect(config.REDEEM_FAILURE_WINDOW).toBe(15 * 60 * 1000);
  });

  it('encodes the bare code in the QR image', () => {
    expect(config.INSTALL_URL_TEMPLATE).toBe('{code}');
  });

  it('does not trust a proxy', () => {
    expect(config.TRUST_PROXY).toBe(false);
  });

  it('serves metrics on port 9464', () => {
    expect(config.METRICS_PORT).toBe(9464);
  });

  it('refuses a Redis that may evict keys', () => {
    expect(config.REDIS_ALLOW_EVICTION).toBe(false);
  });

  it("logs at 'info'", () => {
    expect(config.LOG_LEVEL).toBe('info');
  });

  it('leaves the optional settings unset', () => {
    expect(config.REDIS_URL).toBeUndefined();
    expect(config.REDIS_CLUSTER_NODES).toBeUndefined();
    expect(config.SLACK_BOT_TOKEN).toBeUndefined();
    expect(config.SLACK_SIGNING_SECRET).toBeUndefined();
    expect(config.SLACK_APP_TOKEN).toBeUndefined();
    expect(config.API_TOKEN).toBeUndefined();
    expect(config.ADMIN_CHANNEL_ID).toBeUndefined();
    expect(config.ADMIN_USER_IDS).toEqual([]);
    expect(config.STAFF_USER_IDS).toEqual([]);
  });

  it('treats an empty variable as unset', () => {
    const empty = loadConfig({
      PORT: '',
      RETENTION: '',
      REDIS_KEY_PREFIX: '',
      TRUST_PROXY: '',
      REDIS_ALLOW_EVICTION: '',
      API_TOKEN: '',
      INSTALL_URL_TEMPLATE: '',
    });
    expect(empty.PORT).toBe(3000);
    expect(empty.RETENTION).toBe(7 * 24 * 60 * 60 * 1000);
    expect(empty.REDIS_KEY_PREFIX).toBe('ic:');
    expect(empty.TRUST_PROXY).toBe(false);
    expect(empty.REDIS_ALLOW_EVICTION).toBe(false);
    expect(empty.API_TOKEN).toBeUndefined();
    expect(empty.INSTALL_URL_TEMPLATE).toBe('{code}');
  });

  it('ignores variables it does not know', () => {
    expect(loadConfig({ HOME: '/root', PATH: '/bin', PORT_X: 'abc' }).PORT).toBe(3000);
  });
});

describe('loadConfig values', () => {
  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      REDIS_URL: 'rediss://user:pw@redis.example:6380/2',
      REDIS_KEY_PREFIX: 'prod:ic:',
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'sig',
      SLACK_APP_TOKEN: 'xapp-1',
      SLACK_API_URL: 'http://127.0.0.1:9999/api/',
      API_TOKEN: 'secret-token',
      ADMIN_USER_IDS: 'U012ABCDEF, U999',
      STAFF_USER_IDS: 'U1,U2,,U3',
      ADMIN_CHANNEL_ID: 'C0123',
      INSTALL_URL_TEMPLATE: 'https://mdm.example/install?code={code}',
      RETENTION: '12h',
      DEVICE_RETENTION: '30d',
      REDEEM_MAX_FAILURES: '5',
      REDEEM_FAILURE_WINDOW: '90s',
      TRUST_PROXY: '2',
      METRICS_PORT: '9100',
      REDIS_ALLOW_EVICTION: 'on',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      PORT: 8080,
      REDIS_URL: 'rediss://user:pw@redis.example:6380/2',
      REDIS_KEY_PREFIX: 'prod:ic:',
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'sig',
      SLACK_APP_TOKEN: 'xapp-1',
      API_TOKEN: 'secret-token',
      ADMIN_USER_IDS: ['U012ABCDEF', 'U999'],
      STAFF_USER_IDS: ['U1', 'U2', 'U3'],
      ADMIN_CHANNEL_ID: 'C0123',
      INSTALL_URL_TEMPLATE: 'https://mdm.example/install?code={code}',
      RETENTION: 12 * 60 * 60 * 1000,
      DEVICE_RETENTION: 30 * 24 * 60 * 60 * 1000,
      REDEEM_MAX_FAILURES: 5,
      REDEEM_FAILURE_WINDOW: 90 * 1000,
      TRUST_PROXY: 2,
      METRICS_PORT: 9100,
      REDIS_ALLOW_EVICTION: true,
      LOG_LEVEL: 'debug',
    });
    expect(config.SLACK_API_URL).toMatch(/^http:\/\/127\.0\.0\.1:9999\/api\/?$/);
  });

  it('accepts a redis:// URL', () => {
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).REDIS_URL).toBe(
      'redis://127.0.0.1:6379',
    );
  });

  it('reads REDIS_CLUSTER_NODES as hosts and ports', () => {
    expect(
      loadConfig({ REDIS_CLUSTER_NODES: 'redis-1:7000, 10.0.0.2:7001' }).REDIS_CLUSTER_NODES,
    ).toEqual([
      { host: 'redis-1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
    ]);
  });

  it.each([
    ['off', false],
    ['false', false],
    ['0', false],
    ['no', false],
    ['1', 1],
    ['3', 3],
    ['10.0.0.5', ['10.0.0.5']],
    ['10.0.0.0/8, 2001:DB8::/32,loopback', ['10.0.0.0/8', '2001:db8::/32', 'loopback']],
    ['uniquelocal', ['uniquelocal']],
  ])('reads TRUST_PROXY=%s as %j', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).TRUST_PROXY).toEqual(expected);
  });

  it.each(['on', 'true', 'yes', 'ON'])(
    'refuses TRUST_PROXY=%s, which would trust the left-most X-Forwarded-For address',
    (value) => {
      const error = configError({ TRUST_PROXY: value });
      expect(error.message).toMatch(/^Invalid configuration: TRUST_PROXY: .*number of proxies/);
    },
  );

  it('reads METRICS_PORT=0 as off', () => {
    expect(loadConfig({ METRICS_PORT: '0' }).METRICS_PORT).toBe(0);
  });

  it.each([
    ['on', true],
    ['off', false],
  ])('reads REDIS_ALLOW_EVICTION=%s as %s', (value, expected) => {
    expect(loadConfig({ REDIS_ALLOW_EVICTION: value }).REDIS_ALLOW_EVICTION).toBe(expected);
  });

  it.each(['7d', '1s', '365d'])('reads RETENTION=%s', (value) => {
    expect(loadConfig({ RETENTION: value }).RETENTION).toBeGreaterThan(0);
  });
});

describe('loadConfig refuses bad values with one line naming the variable', () => {
  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '3000.5'],
    ['RETENTION', '7 weeks'],
    ['RETENTION', '7'],
    ['RETENTION', '0s'],
    ['DEVICE_RETENTION', '90 days'],
    ['REDEEM_FAILURE_WINDOW', 'soon'],
    ['REDEEM_MAX_FAILURES', '0'],
    ['REDEEM_MAX_FAILURES', 'many'],
    ['REDIS_URL', 'http://x'],
    ['REDIS_URL', 'not a url'],
    ['REDIS_CLUSTER_NODES', 'nonsense'],
    ['REDIS_CLUSTER_NODES', 'host:port'],
    ['REDIS_CLUSTER_NODES', 'redis-1:7000,nonsense'],
    ['REDIS_CLUSTER_NODES', 'redis-1:99999'],
    ['REDIS_KEY_PREFIX', 'ic{x}:'],
    ['INSTALL_URL_TEMPLATE', 'https://mdm.example/install'],
    ['INSTALL_URL_TEMPLATE', 'https://mdm.example/{CODE}'],
    ['LOG_LEVEL', 'loud'],
    ['ADMIN_USER_IDS', 'lowercase'],
    ['ADMIN_USER_IDS', 'U012ABCDEF,u123'],
    ['STAFF_USER_IDS', 'not an id'],
    ['TRUST_PROXY', 'maybe'],
    ['TRUST_PROXY', '11'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['TRUST_PROXY', '2001:db8::/129'],
    ['TRUST_PROXY', '10.0.0.0/8/8'],
    ['TRUST_PROXY', '10.0.0.1,proxy.internal'],
    ['TRUST_PROXY', '10.0.0.1:8080'],
    ['TRUST_PROXY', ','],
    ['METRICS_PORT', '70000'],
    ['METRICS_PORT', 'off'],
    ['REDIS_ALLOW_EVICTION', 'allkeys-lru'],
    ['SLACK_API_URL', 'slack'],
    ['EVENTS_STREAM_MAXLEN', '0'],
    ['EVENTS_STREAM_MAXLEN', 'lots'],
    ['EVENTS_STREAM_MAXLEN', '1.5'],
    ['WEBHOOK_URL', 'ftp://example.com/hook'],
    ['WEBHOOK_URL', 'not a url'],
  ])('%s=%j', (name, value) => {
    const error = configError({ [name]: value });
    expect(error.message).toContain(name);
    expect(error.message.trim()).not.toContain('\n');
    expect(error.message.length).toBeLessThan(300);
  });

  it('names the bad variable, not a good one beside it', () => {
    const error = configError({ PORT: '8080', LOG_LEVEL: 'loud', RETENTION: '1d' });
    expect(error.message).toContain('LOG_LEVEL');
    expect(error.message).not.toContain('PORT');
    expect(error.message).not.toContain('RETENTION');
  });

  it('is an Error', () => {
    expect(configError({ PORT: 'abc' })).toBeInstanceOf(Error);
  });

  it.each([undefined, 'short'])(
    'needs a WEBHOOK_SECRET of 16 characters with WEBHOOK_URL (%s)',
    (secret) => {
      const env: Record<string, string> = { WEBHOOK_URL: 'https://dms.example/hooks' };
      if (secret) env.WEBHOOK_SECRET = secret;
      expect(configError(env).message).toContain('WEBHOOK_SECRET');
    },
  );
});

describe('events configuration', () => {
  it('keeps about 100,000 events in the stream and posts nowhere by default', () => {
    const config = loadConfig({});
    expect(config.EVENTS_STREAM_MAXLEN).toBe(100_000);
    expect(config.WEBHOOK_URL).toBeUndefined();
  });

  it('reads a webhook with its secret', () => {
    const config = loadConfig({
      WEBHOOK_URL: 'https://dms.example/hooks/installcode',
      WEBHOOK_SECRET: 'whsec_0123456789abcdef',
      EVENTS_STREAM_MAXLEN: '5000',
    });
    expect(config.WEBHOOK_URL).toBe('https://dms.example/hooks/installcode');
    expect(config.EVENTS_STREAM_MAXLEN).toBe(5_000);
  });
});
