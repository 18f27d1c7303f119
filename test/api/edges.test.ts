import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerClientError } from '../../src/api/errors.js';
import { securityHeaders } from '../../src/api/security-headers.js';
import { BODY_LIMIT_BYTES } from '../../src/api/server.js';
import { MESSAGES } from '../../src/codes/rules.js';
import { rawRequest } from '../support/raw-http.js';
import { API_TOKEN, redeemBody, startTestService, type TestService } from '../support/service.js';

let service: TestService;

beforeAll(async () => {
  // A high failure limit: these tests redeem unknown codes from one address on purpose.
  service = await startTestService({ REDEEM_MAX_FAILURES: '1000' });
});
afterAll(async () => {
  await service.close();
});

const SECURITY_HEADERS = securityHeaders();
const rand = () => randomBytes(4).toString('hex').toUpperCase();
const group = { action: 'create_account_and_device', usernamePrefix: 'edge-' };

/** SPEC §2: `{error, message}` (plus `fields` for invalid fields), nothing else, and the security headers. */
function expectOneShape(
  body: unknown,
  header: (name: string) => string | null | undefined,
  label = '',
) {
  expect(body, label).toBeTypeOf('object');
  const answer = body as Record<string, unknown>;
  expect(
    Object.keys(answer).filter((k) => k !== 'fields'),
    label,
  ).toEqual(['error', 'message']);
  expect(answer.error, label).toMatch(/^[a-z_]+$/);
  expect(answer.message, label).toMatch(/^[A-Z].*\.$/);
  if ('fields' in answer)
    expect(Object.keys(answer.fields as object).length, label).toBeGreaterThan(0);
  expect(header('content-type'), label).toMatch(/^application\/json/);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    expect(header(name.toLowerCase()), `${label} ${name}`).toBe(value);
  }
}

async function createCode(fields: Record<string, unknown> = group) {
  const created = await service.call('POST', '/api/v1/codes', { body: fields });
  expect(created.status).toBe(201);
  return created.body as { code: string; version: number; description: string | null };
}

async function timesUsed(code: string): Promise<number> {
  return (await service.call('GET', `/api/v1/codes/${code}`)).body.timesUsed;
}

/** A request with a body and no Content-Type header at all, which fetch never sends. */
function postWithoutContentType(method: string, path: string, body: string, auth = false) {
  return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-length': Buffer.byteLength(body) };
    if (auth) headers.authorization = `Bearer ${API_TOKEN}`;
    const req = httpRequest(`${service.url}${path}`, { method, headers }, (res) => {
      let text = '';
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const FOREIGN_TYPES = [
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'text/plain',
  'text/plain;charset=UTF-8',
  'application/jsonp',
  'application/merge-patch+json',
];

describe('a body that is not application/json is refused with 415 (no cross-site redemption)', () => {
  it('refuses a JSON redemption sent as a form, multipart, text or another type, and uses nothing', async () => {
    const { code } = await createCode();
    for (const type of FOREIGN_TYPES) {
      const answer = await service.call('POST', '/api/v1/redeem', {
        rawBody: JSON.stringify(redeemBody(code)),
        headers: { 'content-type': type },
      });
      expect(answer.status, type).toBe(415);
      expect(answer.body.error, type).toBe('unsupported_media_type');
      expect(answer.body.message, type).toMatch(/application\/json/);
      expectOneShape(answer.body, (name) => answer.headers.get(name), type);
    }
    const bare = await postWithoutContentType(
      'POST',
      '/api/v1/redeem',
      JSON.stringify(redeemBody(code)),
    );
    expect(bare.status).toBe(415);
    expect(bare.body.error).toBe('unsupported_media_type');
    expect(await timesUsed(code)).toBe(0);
  });

  it('refuses such a body when creating a code, and creates nothing', async () => {
    const text = `FORM-${rand()}`;
    for (const type of FOREIGN_TYPES) {
      const answer = await service.call('POST', '/api/v1/codes', {
        rawBody: JSON.stringify({ ...group, code: text }),
        headers: { 'content-type': type },
      });
      expect(answer.status, type).toBe(415);
      expect(answer.body.error, type).toBe('unsupported_media_type');
    }
    const bare = await postWithoutContentType(
      'POST',
      '/api/v1/codes',
      JSON.stringify({ ...group, code: text }),
      true,
    );
    expect(bare.status).toBe(415);
    expect((await service.call('GET', `/api/v1/codes/${text}`)).status).toBe(404);
  });

  it('refuses such a body when changing a code, and changes nothing', async () => {
    const { code } = await createCode({ ...group, description: 'Before' });
    for (const type of FOREIGN_TYPES) {
      const answer = await service.call('PATCH', `/api/v1/codes/${code}`, {
        rawBody: JSON.stringify({ description: 'After' }),
        headers: { 'content-type': type },
      });
      expect(answer.status, type).toBe(415);
      expect(answer.body.error, type).toBe('unsupported_media_type');
    }
    const bare = await postWithoutContentType(
      'PATCH',
      `/api/v1/codes/${code}`,
      JSON.stringify({ description: 'After' }),
      true,
    );
    expect(bare.status).toBe(415);
    const after = await service.call('GET', `/api/v1/codes/${code}`);
    expect(after.body).toMatchObject({ description: 'Before', version: 1 });
  });

  it('takes application/json in any case and with parameters', async () => {
    const { code } = await createCode({ ...group, usageLimit: 10 });
    for (const type of [
      'application/json; charset=utf-8',
      'Application/JSON',
      'APPLICATION/json ; charset="UTF-8"',
    ]) {
      const answer = await service.call('POST', '/api/v1/redeem', {
        rawBody: JSON.stringify(redeemBody(code)),
        headers: { 'content-type': type },
      });
      expect(answer.status, type).toBe(200);
    }
    expect(await timesUsed(code)).toBe(3);
  });

  it('leaves requests without a body alone, whatever their Content-Type', async () => {
    const { code } = await createCode();
    const read = await service.call('GET', `/api/v1/codes/${code}`, {
      headers: { 'content-type': 'text/plain' },
    });
    expect(read.status).toBe(200);
    const removed = await service.call('DELETE', `/api/v1/codes/${code}`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(removed.status).toBe(204);
    const gone = await service.call('DELETE', `/api/v1/codes/${code}`);
    expect(gone.status).toBe(404);
  });
});

describe('Cache-Control', () => {
  it('marks the redemption answer, with its device token, no-store', async () => {
    const { code } = await createCode();
    const answer = await service.call('POST', '/api/v1/redeem', { body: redeemBody(code) });
    expect(answer.status).toBe(200);
    expect(answer.body.deviceToken).toBeTypeOf('string');
    expect(answer.headers.get('cache-control')).toBe('no-store');
  });

  it('marks refusals of a redemption no-store too', async () => {
    const unknown = await service.call('POST', '/api/v1/redeem', {
      body: redeemBody(`NOPE-${rand()}`),
    });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('cache-control')).toBe('no-store');
  });
});

describe('the framework’s own refusals, in the one shape with the security headers', () => {
  it('answers a path with a bad percent-escape with 400 invalid_request', async () => {
    const answer = await service.call('GET', '/api/v1/codes/%zz');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_request');
    expect(answer.body.message).toMatch(/%/);
    expectOneShape(answer.body, (name) => answer.headers.get(name));
  });

  it('answers a bad percent-escape on an unauthenticated route the same way', async () => {
    const answer = await rawRequest(
      service.url,
      'POST /api/v1/redeem/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(answer.status).toBe(400);
    expectOneShape(JSON.parse(answer.body), (name) => answer.headers[name]);
  });

  it('answers a path segment over the router’s limit with 414 uri_too_long', async () => {
    const answer = await service.call('GET', `/api/v1/codes/${'A'.repeat(150)}`);
    expect(answer.status).toBe(414);
    expect(answer.body.error).toBe('uri_too_long');
    expectOneShape(answer.body, (name) => answer.headers.get(name));
  });

  it('answers headers over the size limit with 431 headers_too_large', async () => {
    const answer = await rawRequest(
      service.url,
      `GET /api/v1/openapi.json HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
    );
    expect(answer.status).toBe(431);
    const body = JSON.parse(answer.body);
    expect(body.error).toBe('headers_too_large');
    expect(body.message).toMatch(/KiB/);
    expectOneShape(body, (name) => answer.headers[name]);
    expect(answer.headers.connection).toBe('close');
  });

  it('answers a request that is not HTTP with 400 invalid_request', async () => {
    const answer = await rawRequest(service.url, 'HELLO / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(answer.status).toBe(400);
    const body = JSON.parse(answer.body);
    expect(body.error).toBe('invalid_request');
    expect(body.message).toMatch(/HTTP/);
    expectOneShape(body, (name) => answer.headers[name]);
  });

  it('answers an unknown route with 404 not_found', async () => {
    const answer = await service.call('GET', '/nowhere');
    expect(answer.status).toBe(404);
    expect(answer.body.error).toBe('not_found');
    expectOneShape(answer.body, (name) => answer.headers.get(name));
    const posted = await service.call('POST', '/nowhere', {
      rawBody: 'a=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(posted.status).toBe(404);
  });

  it('names the real body limit in the 413', async () => {
    const answer = await service.call('POST', '/api/v1/redeem', {
      body: { code: 'X', device: { name: 'x'.repeat(BODY_LIMIT_BYTES) } },
    });
    expect(answer.status).toBe(413);
    expect(answer.body.error).toBe('payload_too_large');
    expect(answer.body.message).toContain(`${BODY_LIMIT_BYTES} bytes`);
    expectOneShape(answer.body, (name) => answer.headers.get(name));
  });

  it('says what is wrong with a body that is not JSON, and that alone', async () => {
    const broken = await service.call('POST', '/api/v1/redeem', {
      rawBody: '{"code": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.status).toBe(400);
    expect(broken.body.message).toMatch(/not valid JSON/);
    expectOneShape(broken.body, (name) => broken.headers.get(name));
    // A Content-Type that is no media type at all, over a body that is valid JSON.
    const media = await service.call('POST', '/api/v1/redeem', {
      rawBody: JSON.stringify(redeemBody('ABCD-EFGH')),
      headers: { 'content-type': 'nonsense' },
    });
    expect(media.status).toBe(415);
    expect(media.body.error).toBe('unsupported_media_type');
    expect(media.body.message).not.toMatch(/not valid JSON/);
    expectOneShape(media.body, (name) => media.headers.get(name));
  });
});

describe('the query of GET /api/v1/codes', () => {
  it('answers a limit that is not a number with a message for people', async () => {
    const answer = await service.call('GET', '/api/v1/codes?limit=abc');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_request');
    expect(answer.body.fields).toEqual({ limit: 'a whole number from 1 to 100' });
    expectOneShape(answer.body, (name) => answer.headers.get(name));
  });

  it.each([
    ['__proto__=1', '__proto__'],
    ['constructor=1', 'constructor'],
    ['page=2', 'page'],
  ])('names the unknown parameter in ?%s', async (query, name) => {
    const answer = await service.call('GET', `/api/v1/codes?${query}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_request');
    expect(Object.keys(answer.body.fields)).toEqual([name]);
    expect(answer.body.fields[name]).toBe('unknown parameter');
  });

  it('answers a parameter given twice with a message for people', async () => {
    const answer = await service.call('GET', '/api/v1/codes?q=a&q=b&status=active&status=expired');
    expect(answer.status).toBe(400);
    expect(Object.keys(answer.body.fields).sort()).toEqual(['q', 'status']);
    for (const message of Object.values(answer.body.fields as Record<string, string>)) {
      expect(message).not.toMatch(/expected|received|Invalid/);
    }
  });
});

describe('unknown fields in a JSON body', () => {
  it('names __proto__ and nested unknown fields by their path', async () => {
    const answer = await service.call('POST', '/api/v1/redeem', {
      rawBody:
        '{"code": "ABCD-EFGH", "__proto__": {"x": 1}, "device": {"name": "a", "colour": "red"}}',
      headers: { 'content-type': 'application/json' },
    });
    expect(answer.status).toBe(400);
    // Entries, not an object literal: in one, `__proto__:` would set the prototype.
    expect(Object.entries(answer.body.fields).sort()).toEqual([
      ['__proto__', 'unknown field'],
      ['device.colour', 'unknown field'],
    ]);
  });
});

describe('text that would be stored and shown', () => {
  const unsafe = [
    'NUL \u0000',
    'escape \u001b[31mred',
    'bell \u0007',
    'C1 \u009b',
    'tab\there',
    'RLO \u202e',
    'isolate \u2067x\u2069',
  ];

  it.each(unsafe)(
    'refuses a description with %j when creating and changing a code',
    async (description) => {
      const created = await service.call('POST', '/api/v1/codes', {
        body: { ...group, description },
      });
      expect(created.status).toBe(400);
      expect(created.body.fields).toEqual({ description: MESSAGES.safeText });
      const { code } = await createCode({ ...group, description: 'Clean' });
      const changed = await service.call('PATCH', `/api/v1/codes/${code}`, {
        body: { description },
      });
      expect(changed.status).toBe(400);
      expect(Object.keys(changed.body.fields)).toEqual(['description']);
      expect((await service.call('GET', `/api/v1/codes/${code}`)).body.description).toBe('Clean');
    },
  );

  it('refuses a description with a lone surrogate', async () => {
    const answer = await service.call('POST', '/api/v1/codes', {
      rawBody: JSON.stringify({ ...group }).replace('}', ',"description":"a\\ud800b"}'),
      headers: { 'content-type': 'application/json' },
    });
    expect(answer.status).toBe(400);
    expect(Object.keys(answer.body.fields)).toEqual(['description']);
  });

  it('accepts any other text: letters of every script, emoji, right-to-left words', async () => {
    const description = 'Équipe 東京 — مرحبا 👩🏽‍💻 office';
    const created = await createCode({ ...group, description });
    expect(created.description).toBe(description);
  });

  it.each(['name', 'model', 'serial'])(
    'refuses such text in the device %s, and uses nothing',
    async (field) => {
      const { code } = await createCode();
      for (const text of [...unsafe, 'x\ud800']) {
        const answer = await service.call('POST', '/api/v1/redeem', {
          body: { code, device: { [field]: text } },
        });
        expect(answer.status, JSON.stringify(text)).toBe(400);
        expect(Object.keys(answer.body.fields)).toEqual([`device.${field}`]);
      }
      expect(await timesUsed(code)).toBe(0);
    },
  );
});

describe('what node:http refuses, on a server of its own with small limits', () => {
  let server: Server;
  beforeAll(async () => {
    // The service's own timeouts are long; a server of its own, with the same answer, shows it in 0.2 s.
    server = createServer(
      {
        requestTimeout: 200,
        headersTimeout: 200,
        connectionsCheckingInterval: 50,
        maxHeaderSize: 1024,
      },
      (_req, res) => res.end('late'),
    );
    server.on('clientError', answerClientError(SECURITY_HEADERS));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers 408 request_timeout in the one shape', async () => {
    const { port } = server.address() as AddressInfo;
    const answer = await rawRequest(
      `http://127.0.0.1:${port}`,
      'POST /api/v1/redeem HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n',
    );
    expect(answer.status).toBe(408);
    const body = JSON.parse(answer.body);
    expect(body.error).toBe('request_timeout');
    expectOneShape(body, (name) => answer.headers[name]);
  });

  it('names the server’s own header limit in the 431', async () => {
    const { port } = server.address() as AddressInfo;
    const answer = await rawRequest(
      `http://127.0.0.1:${port}`,
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(2048)}\r\n\r\n`,
    );
    expect(answer.status).toBe(431);
    expect(JSON.parse(answer.body).message).toContain('1 KiB (1024 bytes)');
  });
});

describe('If-Match', () => {
  const create = async () => {
    const created = await service.call('POST', '/api/v1/codes', {
      body: { action: 'create_device', accountId: 'acct-if-match' },
    });
    expect(created.status).toBe(201);
    return created.body.code as string;
  };

  it('takes * as any version', async () => {
    const code = await create();
    const patched = await service.call('PATCH', `/api/v1/codes/${code}`, {
      body: { description: 'any version' },
      headers: { 'if-match': '*' },
    });
    expect(patched.status).toBe(200);
    const removed = await service.call('DELETE', `/api/v1/codes/${code}`, {
      headers: { 'if-match': '*' },
    });
    expect(removed.status).toBe(204);
  });

  it.each(['"1', '1"', 'W/1', 'W/"1', 'w/"1"', '"1"x', '**'])(
    'refuses the malformed %s with 400 and changes nothing',
    async (ifMatch) => {
      const code = await create();
      const patched = await service.call('PATCH', `/api/v1/codes/${code}`, {
        body: { description: 'changed' },
        headers: { 'if-match': ifMatch },
      });
      expect(patched.status).toBe(400);
      expect(patched.body.fields['If-Match']).toBeDefined();
      const read = await service.call('GET', `/api/v1/codes/${code}`);
      expect(read.body.description).toBeNull();
    },
  );
});

describe('methods a route does not take', () => {
  it.each([
    ['PUT', '/api/v1/codes/ABCD-EFGH', ['DELETE', 'GET', 'HEAD', 'PATCH']],
    ['DELETE', '/api/v1/codes', ['GET', 'HEAD', 'POST']],
    ['GET', '/api/v1/redeem', ['POST']],
  ])('%s %s answers 405 with Allow', async (method, path, allowed) => {
    const answer = await service.call(method, path);
    expect(answer.status).toBe(405);
    expect(answer.body.error).toBe('method_not_allowed');
    expect(answer.headers.get('allow')?.split(', ')).toEqual(allowed);
  });

  it('an unknown path is still 404', async () => {
    const answer = await service.call('PUT', '/api/v1/nothing-here');
    expect(answer.status).toBe(404);
    expect(answer.headers.get('allow')).toBeNull();
  });
});
