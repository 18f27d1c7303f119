import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redeemBody, startTestService, type TestService } from '../support/service.js';

/**
 * TRUST_PROXY decides which address the brute-force limit counts. The test client connects from
 * 127.0.0.1, so it plays the proxy (or, where 127.0.0.1 is not trusted, a direct client).
 */
const MAX_FAILURES = 3;

const services: TestService[] = [];
async function serviceTrusting(trustProxy: string): Promise<TestService> {
  const service = await startTestService({
    TRUST_PROXY: trustProxy,
    REDEEM_MAX_FAILURES: String(MAX_FAILURES),
    REDEEM_FAILURE_WINDOW: '10m',
  });
  services.push(service);
  return service;
}
afterAll(() => Promise.all(services.map((service) => service.close())));

/** One redemption of a code that does not exist, with `X-Forwarded-For: forwardedFor`. */
async function miss(service: TestService, forwardedFor?: string): Promise<number> {
  const answer = await service.call('POST', '/api/v1/redeem', {
    body: redeemBody('NO-SUCH-CODE-XXXX'),
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  });
  return answer.status;
}

/** The statuses of MAX_FAILURES + 1 misses, the i-th with `X-Forwarded-For: forwardedFor(i)`. */
async function misses(service: TestService, forwardedFor: (i: number) => string | undefined) {
  const statuses: number[] = [];
  for (let i = 0; i <= MAX_FAILURES; i++) statuses.push(await miss(service, forwardedFor(i)));
  return statuses;
}

const LIMITED = [...Array(MAX_FAILURES).fill(404), 429];

describe('TRUST_PROXY as a hop count (1: one proxy in front)', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await serviceTrusting('1');
  });

  it('counts the address the proxy appended, not the forged ones the client wrote before it', async () => {
    expect(await misses(service, (i) => `10.0.0.${i + 1}, 198.51.100.7`)).toEqual(LIMITED);
    // Another client behind the same proxy is still let through.
    expect(await miss(service, '10.0.0.1, 198.51.100.8')).toBe(404);
  });

  it('limits IPv6 clients per /64', async () => {
    const sameSlash64 = ['2001:db8:1:2::1', '2001:DB8:1:2:ffff::9', '2001:db8:1:2:0:0:0:7'];
    expect(await misses(service, (i) => sameSlash64[i % sameSlash64.length])).toEqual(LIMITED);
    expect(await miss(service, '2001:db8:1:3::1')).toBe(404);
    expect(await miss(service, '2001:db8:1:2::abcd')).toBe(429);
  });

  it('counts an IPv4-mapped IPv6 address as its IPv4 address', async () => {
    const forms = ['198.51.100.20', '::ffff:198.51.100.20', '::ffff:c633:6414'];
    expect(await misses(service, (i) => forms[i % forms.length])).toEqual(LIMITED);
    expect(await miss(service, '::ffff:198.51.100.21')).toBe(404);
  });
});

describe('TRUST_PROXY as a list of the proxies', () => {
  it('counts the right-most address that is not a trusted proxy', async () => {
    const service = await serviceTrusting('127.0.0.1, 10.0.0.0/8');
    expect(await misses(service, (i) => `203.0.113.${i}, 198.51.100.9, 10.1.2.3`)).toEqual(LIMITED);
    expect(await miss(service, '198.51.100.10, 10.1.2.3')).toBe(404);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const service = await serviceTrusting('10.0.0.0/8');
    expect(await misses(service, (i) => `198.51.100.${i + 1}`)).toEqual(LIMITED);
  });
});

describe('TRUST_PROXY off', () => {
  it('counts the peer address whatever X-Forwarded-For says', async () => {
    const service = await serviceTrusting('off');
    expect(await misses(service, (i) => `198.51.100.${i + 1}`)).toEqual(LIMITED);
  });
});
