import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, lazyChildLogger, redactUrl } from '../src/log.js';

/** A logger writing into memory, and what it wrote. */
function capture() {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const log = createLogger('info', destination);
  return { log, output: () => chunks.join('') };
}

const TOKEN = 'tok_S3cr3tT0kenValue1234567890abcdef';
const DEVICE_TOKEN = 'dtk_Dev1ceT0kenValue0987654321zyxwvu';
const CODE = 'QWRT-YPSD-FGHZ';

describe('createLogger', () => {
  it('writes pino JSON lines at the level it is given', () => {
    const { log, output } = capture();
    log.info({ action: 'redeem' }, 'hello');
    log.debug('not written at info');
    const lines = output().trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] ?? '');
    expect(line.msg).toBe('hello');
    expect(line.action).toBe('redeem');
    expect(line.level).toBe(30);
  });

  it('never writes a top-level token, deviceToken or code', () => {
    const { log, output } = capture();
    log.info({ token: TOKEN, deviceToken: DEVICE_TOKEN, code: CODE }, 'redeemed');
    const written = output();
    expect(written).toContain('redeemed');
    expect(written).not.toContain(TOKEN);
    expect(written).not.toContain(DEVICE_TOKEN);
    expect(written).not.toContain(CODE);
  });

  it('never writes a token, deviceToken or code one level down', () => {
    const { log, output } = capture();
    log.info(
      { result: { token: TOKEN, deviceToken: DEVICE_TOKEN }, install: { code: CODE } },
      'redeemed',
    );
    const written = output();
    expect(written).toContain('redeemed');
    expect(written).not.toContain(TOKEN);
    expect(written).not.toContain(DEVICE_TOKEN);
    expect(written).not.toContain(CODE);
  });

  it.each([
    ['token', TOKEN],
    ['deviceToken', DEVICE_TOKEN],
    ['code', CODE],
  ])('never writes %s on its own', (field, secret) => {
    const { log, output } = capture();
    log.info({ [field]: secret, other: 'visible' }, 'event');
    const written = output();
    expect(written).toContain('visible');
    expect(written).not.toContain(secret);
  });

  it('never writes the Authorization header of a request', () => {
    const { log, output } = capture();
    log.info(
      {
        req: { method: 'GET', url: '/api/v1/codes', headers: { authorization: `Bearer ${TOKEN}` } },
      },
      'request',
    );
    const written = output();
    expect(written).toContain('/api/v1/codes');
    expect(written).not.toContain(TOKEN);
    expect(written).not.toContain('Bearer');
  });

  it('never writes a request body (it holds the code)', () => {
    const { log, output } = capture();
    log.info({ body: { code: CODE, device: { name: 'x' } } }, 'request');
    expect(output()).not.toContain(CODE);
  });

  it('does not change the object it logs', () => {
    const { log } = capture();
    const record = { result: { token: TOKEN } };
    log.info(record, 'event');
    expect(record.result.token).toBe(TOKEN);
  });
});

describe('redactUrl', () => {
  it('masks the code in /api/v1/codes/ABCD-EFGH-JKMN/history', () => {
    const url = redactUrl('/api/v1/codes/ABCD-EFGH-JKMN/history');
    expect(url.startsWith('/api/v1/codes/')).toBe(true);
    expect(url.endsWith('/history')).toBe(true);
    expect(url).not.toContain('ABCD-EFGH-JKMN');
    expect(url).not.toContain('EFGH');
    expect(url).not.toContain('JKMN');
  });

  it('masks the code however it is written', () => {
    for (const raw of [
      '/api/v1/codes/abcd-efgh-jkmn',
      '/api/v1/codes/ABCDEFGHJKMN/qr.png',
      '/api/v1/codes/abcd%20efgh%20jkmn?x=1',
      '/api/v1/codes/abcd_efgh_jkmn',
    ]) {
      const url = redactUrl(raw)
        .toUpperCase()
        .replace(/[-_\s]|%20/g, '');
      expect(url, raw).not.toContain('EFGH');
      expect(url, raw).not.toContain('JKMN');
    }
  });

  it('keeps the path around a masked code that is followed by a query', () => {
    const url = redactUrl('/api/v1/codes/ABCD-EFGH-JKMN?x=1');
    expect(url.startsWith('/api/v1/codes/')).toBe(true);
    expect(url).toContain('?x=');
    expect(url).not.toContain('EFGH');
  });

  it('does not reveal a code given as a search query', () => {
    const url = redactUrl('/api/v1/codes?q=ABCD-EFGH-JKMN&limit=10');
    expect(url.startsWith('/api/v1/codes?')).toBe(true);
    expect(url).not.toContain('EFGH');
    expect(url).not.toContain('JKMN');
  });

  it('leaves URLs without a code or query alone', () => {
    expect(redactUrl('/api/v1/codes')).toBe('/api/v1/codes');
    expect(redactUrl('/api/v1/redeem')).toBe('/api/v1/redeem');
    expect(redactUrl('/healthz')).toBe('/healthz');
  });

  it('does not throw on a malformed percent-escape, and still hides the code', () => {
    let url = '';
    expect(() => {
      url = redactUrl('/api/v1/codes/ABCD-EFGH-JKMN%E0%A4%A/history');
    }).not.toThrow();
    expect(url).not.toContain('EFGH');
    expect(url).not.toContain('JKMN');
  });
});

describe('lazyChildLogger', () => {
  it('makes no pino child until a request logs, then logs with its bindings, redacted as its parent', () => {
    const { log, output } = capture();
    const children: unknown[] = [];
    const child = log.child.bind(log);
    log.child = ((...args: Parameters<typeof log.child>) => {
      children.push(args[0]);
      return child(...args);
    }) as typeof log.child;
    const requestLog = lazyChildLogger(log, { reqId: 'req-7' }, {});
    expect(requestLog.level).toBe('info');
    requestLog.debug('below the level');
    expect(children, 'nothing written, no child').toEqual([]);
    requestLog.error({ token: TOKEN }, 'unexpected error');
    requestLog.warn('and once more');
    expect(children, 'one child, made at the first line').toEqual([{ reqId: 'req-7' }]);
    const [line] = output()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(line).toMatchObject({ reqId: 'req-7', msg: 'unexpected error', level: 50 });
    expect(output()).not.toContain(TOKEN);
  });
});
