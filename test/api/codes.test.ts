import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeQr } from '../support/qr.js';
import { API_TOKEN, startTestService, type TestService } from '../support/service.js';

/** End-to-end tests of the management API (SPEC §1 and §3) over real HTTP and a real redis-server. */

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const GENERATED = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;
const EDITABLE_FIELDS = [
  'code',
  'description',
  'expiresAt',
  'usageLimit',
  'usageLimitDelaySeconds',
  'action',
  'usernamePrefix',
  'accountId',
  'deviceId',
  'enabled',
];

/** A code as the API answers it (SPEC §1, §3). */
interface CodeJson {
  id: string;
  code: string;
  description: string | null;
  expiresAt: string | null;
  usageLimit: number | null;
  usageLimitDelaySeconds: number | null;
  action: string;
  usernamePrefix: string | null;
  accountId: string | null;
  deviceId: string | null;
  status: string;
  timesUsed: number;
  lastUsedAt: string | null;
  limitReachedAt: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
  version: number;
}

interface EventJson {
  at: string;
  by: string;
  type: string;
  changed?: string[];
  from?: string;
  to?: string;
  accountId?: string | null;
  deviceId?: string;
}

let service: TestService;

beforeAll(async () => {
  // A high failure limit, so that redemptions of deleted or renamed codes never trip the brute-force guard.
  service = await startTestService({ REDEEM_MAX_FAILURES: '10000' });
});

afterAll(async () => {
  await service?.close();
});

/** Random upper-case letters and digits, to keep each test's codes apart. */
function rand(length = 8): string {
  const alphabet = 'ABCDEFGHJKMNPQRSTVWXYZ0123456789';
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
}

function codePath(code: string, suffix = ''): string {
  return `/api/v1/codes/${encodeURIComponent(code)}${suffix}`;
}

function inDays(days: number): string {
  const ms = Date.now() + days * 86_400_000;
  return new Date(Math.floor(ms / 1000) * 1000).toISOString();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const groupCode = (extra: Record<string, unknown> = {}) => ({
  action: 'create_account_and_device',
  usernamePrefix: 'acme',
  ...extra,
});

async function create(body: Record<string, unknown>, on: TestService = service): Promise<CodeJson> {
  const response = await on.call('POST', '/api/v1/codes', { body });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
}

async function getCode(code: string) {
  return service.call('GET', codePath(code));
}

function redeem(code: string) {
  return service.call('POST', '/api/v1/redeem', { body: { code, device: {} } });
}

/** Every page of the list for `query`, following nextCursor. */
async function listAll(query: Record<string, string> = {}, limit = 100) {
  const codes: CodeJson[] = [];
  const pages: CodeJson[][] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const params = new URLSearchParams({ ...query, limit: String(limit) });
    if (cursor) params.set('cursor', cursor);
    const response = await service.call('GET', `/api/v1/codes?${params}`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.codes.length).toBeLessThanOrEqual(limit);
    codes.push(...response.body.codes);
    pages.push(response.body.codes);
    cursor = response.body.nextCursor;
    if (cursor === null) return { codes, pages };
  }
  throw new Error('the list never ended');
}

describe('authorization', () => {
  it('answers 401 unauthorized to every route without an Authorization header', async () => {
    const created = await create(groupCode());
    const requests: [string, string, unknown?][] = [
      ['GET', '/api/v1/codes'],
      ['POST', '/api/v1/codes', groupCode()],
      ['GET', codePath(created.code)],
      ['PATCH', codePath(created.code), { description: 'sneaky' }],
      ['DELETE', codePath(created.code)],
      ['GET', codePath(created.code, '/qr.png')],
      ['GET', codePath(created.code, '/history')],
    ];
    for (const [method, path, body] of requests) {
      const response = await service.call(method, path, { body, anonymous: true });
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(response.body.error, `${method} ${path}`).toBe('unauthorized');
    }
    // Authorization comes first: an unknown code or a body that is not JSON still gets 401.
    const unknown = await service.call('GET', codePath(`NOPE-${rand()}`), { anonymous: true });
    expect(unknown.status).toBe(401);
    const badJson = await service.call('POST', '/api/v1/codes', {
      rawBody: '{',
      headers: { 'content-type': 'application/json' },
      anonymous: true,
    });
    expect(badJson.status).toBe(401);
    // Nothing was changed or removed by the refused requests.
    const after = await getCode(created.code);
    expect(after.status).toBe(200);
    expect(after.body.version).toBe(1);
    expect(after.body.description).toBeNull();
  });

  it('answers 401 unauthorized to a wrong token or scheme', async () => {
    for (const authorization of [
      'Bearer wrong-token',
      `Bearer ${API_TOKEN}x`,
      `Bearer ${API_TOKEN.slice(0, -1)}`,
      `Basic ${API_TOKEN}`,
      API_TOKEN,
      'Bearer ',
    ]) {
      const response = await service.call('GET', '/api/v1/codes', {
        headers: { authorization },
      });
      expect(response.status, authorization).toBe(401);
      expect(response.body).toMatchObject({ error: 'unauthorized' });
    }
    const refused = await service.call('POST', '/api/v1/codes', {
      body: groupCode({ code: `NOPE-${rand()}` }),
      headers: { authorization: 'Bearer wrong-token' },
    });
    expect(refused.status).toBe(401);
    const ok = await service.call('GET', '/api/v1/codes');
    expect(ok.status).toBe(200);
  });

  it('does not create a code on a request with a wrong token', async () => {
    const code = `WRONG-${rand()}`;
    const refused = await service.call('POST', '/api/v1/codes', {
      body: groupCode({ code }),
      headers: { authorization: 'Bearer nope' },
    });
    expect(refused.status).toBe(401);
    expect((await getCode(code)).status).toBe(404);
  });

  it('answers 404 on the management routes when API_TOKEN is unset (empty)', async () => {
    const off = await startTestService({ API_TOKEN: '' });
    try {
      const requests: [string, string, unknown?][] = [
        ['GET', '/api/v1/codes'],
        ['POST', '/api/v1/codes', groupCode()],
        ['GET', '/api/v1/codes/ABCD-EFGH'],
        ['PATCH', '/api/v1/codes/ABCD-EFGH', { description: 'x' }],
        ['DELETE', '/api/v1/codes/ABCD-EFGH'],
        ['GET', '/api/v1/codes/ABCD-EFGH/qr.png'],
        ['GET', '/api/v1/codes/ABCD-EFGH/history'],
      ];
      for (const [method, path, body] of requests) {
        for (const authorization of [`Bearer ${API_TOKEN}`, 'Bearer ', undefined]) {
          const response = await off.call(method, path, {
            body,
            anonymous: true,
            headers: authorization === undefined ? {} : { authorization },
          });
          expect(response.status, `${method} ${path} ${authorization}`).toBe(404);
        }
      }
      // The device side still runs.
      const redeemed = await off.call('POST', '/api/v1/redeem', {
        body: { code: 'NO-SUCH-CODE', device: {} },
      });
      expect(redeemed.status).toBe(404);
      expect(redeemed.body.error).toBe('code_not_found');
      expect(off.logs.join('')).toContain('API_TOKEN is not set');
    } finally {
      await off.close();
    }
  });
});

describe('POST /api/v1/codes', () => {
  it('generates an XXXX-XXXX-XXXX code when none is given and answers 201 with every field', async () => {
    const before = Date.now();
    const response = await service.call('POST', '/api/v1/codes', {
      body: { action: 'create_account_and_device', usernamePrefix: 'acme' },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toContain('application/json');
    const code = response.body;
    expect(code.code).toMatch(GENERATED);
    expect(code).toMatchObject({
      description: null,
      expiresAt: null,
      usageLimit: null,
      usageLimitDelaySeconds: null,
      action: 'create_account_and_device',
      usernamePrefix: 'acme',
      accountId: null,
      deviceId: null,
      status: 'active',
      timesUsed: 0,
      lastUsedAt: null,
      limitReachedAt: null,
      createdBy: 'api',
      updatedBy: 'api',
      version: 1,
    });
    expect(code).toHaveProperty('usageLimitDelaySeconds');
    expect(typeof code.id).toBe('string');
    expect(code.createdAt).toMatch(ISO_UTC);
    expect(code.updatedAt).toMatch(ISO_UTC);
    expect(Math.abs(Date.parse(code.createdAt) - before)).toBeLessThan(60_000);

    const again = await create(groupCode());
    expect(again.code).toMatch(GENERATED);
    expect(again.code).not.toBe(code.code);
    expect(again.id).not.toBe(code.id);

    const fetched = await getCode(code.code);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(code);
  });

  it('creates a custom code with every field set, timestamps in UTC and the delay in seconds', async () => {
    const text = `Lobby-${rand()}_x`;
    const response = await service.call('POST', '/api/v1/codes', {
      body: {
        code: text,
        description: 'Front desk tablets',
        expiresAt: '2099-06-01T12:00:00+02:00',
        usageLimit: 5,
        usageLimitDelaySeconds: 3600,
        action: 'create_device',
        accountId: 'acme.corp@eu-1',
      },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      code: text,
      description: 'Front desk tablets',
      expiresAt: '2099-06-01T10:00:00.000Z',
      usageLimit: 5,
      usageLimitDelaySeconds: 3600,
      action: 'create_device',
      usernamePrefix: null,
      accountId: 'acme.corp@eu-1',
      deviceId: null,
      status: 'active',
      timesUsed: 0,
      createdBy: 'api',
      version: 1,
    });
    const fetched = await getCode(text);
    expect(fetched.body).toEqual(response.body);
  });

  it('accepts the shortest and longest custom codes', async () => {
    const short = rand(4);
    expect((await create(groupCode({ code: short }))).code).toBe(short);
    const long = `${rand(32)}-${rand(31)}`;
    expect(long).toHaveLength(64);
    expect((await create(groupCode({ code: long }))).code).toBe(long);
  });

  it('answers 409 code_taken for a code that compares equal to an existing one', async () => {
    const a = rand(4).toLowerCase();
    const b = rand(4).toLowerCase();
    const original = await create(groupCode({ code: `${a}-${b}` }));
    for (const variant of [`${a}-${b}`, `${a}_${b}`.toUpperCase(), `${a}${b}`, `${a}--${b}_`]) {
      const response = await service.call('POST', '/api/v1/codes', {
        body: groupCode({ code: variant, description: 'duplicate' }),
      });
      expect(response.status, variant).toBe(409);
      expect(response.body.error).toBe('code_taken');
    }
    const fetched = await getCode(`${a}${b}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(original);
    const listed = await listAll({ q: `${a}${b}` });
    expect(listed.codes.map((c) => c.id)).toEqual([original.id]);
  });

  it('answers 400 invalid_request naming each invalid field at once', async () => {
    const response = await service.call('POST', '/api/v1/codes', {
      body: {
        code: 'ab',
        description: 'x'.repeat(201),
        expiresAt: 'next tuesday',
        usageLimit: 0,
        usageLimitDelaySeconds: 30,
        action: 'launch_rocket',
        usernamePrefix: 'UPPER CASE',
      },
    });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_request');
    expect(typeof response.body.message).toBe('string');
    const fields = response.body.fields;
    for (const name of [
      'code',
      'description',
      'expiresAt',
      'usageLimit',
      'usageLimitDelaySeconds',
      'action',
      'usernamePrefix',
    ]) {
      expect(typeof fields[name], name).toBe('string');
      expect(fields[name].length, name).toBeGreaterThan(0);
    }
  });

  it('rejects values just outside the rules of SPEC §1', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [groupCode({ code: 'abc' }), 'code'],
      [groupCode({ code: 'x'.repeat(65) }), 'code'],
      [groupCode({ code: 'abcd efgh' }), 'code'],
      [groupCode({ code: 'abcd!efg' }), 'code'],
      [groupCode({ code: '----' }), 'code'],
      [groupCode({ usageLimit: 1.5 }), 'usageLimit'],
      [groupCode({ usageLimit: '5' }), 'usageLimit'],
      [groupCode({ usageLimit: 3, usageLimitDelaySeconds: 59 }), 'usageLimitDelaySeconds'],
      [
        groupCode({ usageLimit: 3, usageLimitDelaySeconds: 365 * 86_400 + 1 }),
        'usageLimitDelaySeconds',
      ],
      [groupCode({ usernamePrefix: 'x'.repeat(33) }), 'usernamePrefix'],
      [groupCode({ usernamePrefix: 'Acme' }), 'usernamePrefix'],
      [{ action: 'create_device', accountId: 'a'.repeat(65) }, 'accountId'],
      [{ action: 'use_existing_device', deviceId: 'dev/1' }, 'deviceId'],
      [groupCode({ description: 7 }), 'description'],
    ];
    for (const [body, field] of cases) {
      const response = await service.call('POST', '/api/v1/codes', { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error).toBe('invalid_request');
      expect(Object.keys(response.body.fields ?? {}), JSON.stringify(body)).toContain(field);
    }
  });

  it('accepts the edges of the rules of SPEC §1', async () => {
    const ok = await create(
      groupCode({
        description: 'x'.repeat(200),
        usageLimit: 1,
        usageLimitDelaySeconds: 60,
        usernamePrefix: 'a.b_c-9',
      }),
    );
    expect(ok).toMatchObject({ usageLimit: 1, usageLimitDelaySeconds: 60 });
    const max = await create(groupCode({ usageLimit: 2, usageLimitDelaySeconds: 365 * 86_400 }));
    expect(max.usageLimitDelaySeconds).toBe(365 * 86_400);
  });

  it('names unknown fields', async () => {
    const response = await service.call('POST', '/api/v1/codes', {
      body: groupCode({ colour: 'red', timesUsed: 5 }),
    });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_request');
    expect(Object.keys(response.body.fields).sort()).toEqual(['colour', 'timesUsed']);
  });

  it('refuses an expiresAt in the past or now', async () => {
    for (const expiresAt of [new Date(Date.now() - 60_000).toISOString(), '2001-01-01T00:00:00Z']) {
      const response = await service.call('POST', '/api/v1/codes', {
        body: groupCode({ expiresAt }),
      });
      expect(response.status, expiresAt).toBe(400);
      expect(response.body.error).toBe('invalid_request');
      expect(Object.keys(response.body.fields)).toEqual(['expiresAt']);
    }
  });

  it('refuses a usage limit delay without a usage limit', async () => {
    const response = await service.call('POST', '/api/v1/codes', {
      body: groupCode({ usageLimitDelaySeconds: 600 }),
    });
    expect(response.status).toBe(400);
    expect(Object.keys(response.body.fields)).toEqual(['usageLimitDelaySeconds']);
  });

  it("requires the action, and the action's own target field, and only that one", async () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{ description: 'no action' }, ['action']],
      [{ action: 'create_account_and_device' }, ['usernamePrefix']],
      [{ action: 'create_device' }, ['accountId']],
      [{ action: 'use_existing_device' }, ['deviceId']],
      [{ action: 'create_device', usernamePrefix: 'acme' }, ['accountId', 'usernamePrefix']],
      [{ action: 'create_device', accountId: 'acct', deviceId: 'dev' }, ['deviceId']],
    ];
    for (const [body, fields] of cases) {
      const response = await service.call('POST', '/api/v1/codes', { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error).toBe('invalid_request');
      expect(Object.keys(response.body.fields).sort(), JSON.stringify(body)).toEqual(fields);
    }
  });

  it('names shape errors and rule errors together (SPEC: each invalid field)', async () => {
    const response = await service.call('POST', '/api/v1/codes', {
      body: {
        code: 'ab',
        usageLimit: 0,
        expiresAt: '2001-01-01T00:00:00Z',
        action: 'create_device',
      },
    });
    expect(response.status).toBe(400);
    expect(Object.keys(response.body.fields).sort()).toEqual([
      'accountId',
      'code',
      'expiresAt',
      'usageLimit',
    ]);
  });

  it('answers 400 invalid_request to a body that is not a JSON object', async () => {
    for (const rawBody of ['{not json', '[]', '"text"', '42', 'null']) {
      const response = await service.call('POST', '/api/v1/codes', {
        rawBody,
        headers: { 'content-type': 'application/json' },
      });
      expect(response.status, rawBody).toBe(400);
      expect(response.body.error, rawBody).toBe('invalid_request');
    }
    const empty = await service.call('POST', '/api/v1/codes');
    expect(empty.status).toBe(400);
    expect(empty.body.error).toBe('invalid_request');
  });

  it('writes nothing on a 400', async () => {
    const before = await listAll();
    const text = `KEEP-${rand()}`;
    const bodies = [
      groupCode({ code: text, usageLimit: 0 }),
      groupCode({ code: text, expiresAt: '2001-01-01T00:00:00Z' }),
      groupCode({ code: text, usageLimitDelaySeconds: 600 }),
      { code: text, action: 'create_device' },
      groupCode({ code: text, unknown: true }),
    ];
    for (const body of bodies) {
      const response = await service.call('POST', '/api/v1/codes', { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
    const after = await listAll();
    expect(after.codes.map((c) => c.id)).toEqual(before.codes.map((c) => c.id));
    expect((await getCode(text)).status).toBe(404);
    // The name was not claimed either.
    expect((await create(groupCode({ code: text }))).code).toBe(text);
  });
});

describe('GET /api/v1/codes/{code}', () => {
  it('finds a code written with other case, dashes, underscores and spaces', async () => {
    const a = rand(4);
    const b = rand(4);
    const c = rand(4);
    const text = `${a}-${b}-${c}`;
    const created = await create(groupCode({ code: text }));
    for (const variant of [
      text,
      text.toLowerCase(),
      `${a}${b}${c}`,
      `${a}_${b}_${c}`.toLowerCase(),
      `${a} ${b} ${c}`,
      ` ${a.toLowerCase()}-${b} ${c}_`,
      `${a}--${b}${c}`,
    ]) {
      const response = await getCode(variant);
      expect(response.status, variant).toBe(200);
      expect(response.body.id).toBe(created.id);
      expect(response.body.code).toBe(text);
    }
    const encodedSpace = await service.call('GET', `/api/v1/codes/${a}%20${b}%20${c}`);
    expect(encodedSpace.status).toBe(200);
    expect(encodedSpace.body.id).toBe(created.id);
  });

  it('answers 404 code_not_found for an unknown code', async () => {
    for (const unknown of [`NOPE-${rand()}`, 'x', '----']) {
      const response = await getCode(unknown);
      expect(response.status, unknown).toBe(404);
      expect(response.body.error).toBe('code_not_found');
      expect(typeof response.body.message).toBe('string');
    }
  });

  it('does not find a code by a prefix or an extension of it', async () => {
    const text = `${rand(4)}-${rand(4)}`;
    await create(groupCode({ code: text }));
    expect((await getCode(text.slice(0, -1))).status).toBe(404);
    expect((await getCode(`${text}X`)).status).toBe(404);
  });
});

describe('GET /api/v1/codes', () => {
  it('lists newest first, and pages with limit and cursor returning every code exactly once', async () => {
    const marker = `page-${rand()}`;
    const created: CodeJson[] = [];
    for (let i = 0; i < 7; i++) {
      created.push(await create(groupCode({ description: `${marker} #${i}` })));
      await sleep(3);
    }
    const newestFirst = created.map((c) => c.id).reverse();

    const first = await service.call('GET', `/api/v1/codes?q=${marker}`);
    expect(first.status).toBe(200);
    expect(first.body.codes.map((c: CodeJson) => c.id)).toEqual(newestFirst);
    expect(first.body.nextCursor).toBeNull();

    for (const limit of [1, 2, 3, 7]) {
      const { codes, pages } = await listAll({ q: marker }, limit);
      expect(
        codes.map((c) => c.id),
        `limit ${limit}`,
      ).toEqual(newestFirst);
      expect(pages.length).toBe(Math.max(1, Math.ceil(7 / limit)));
      for (const page of pages.slice(0, -1)) expect(page).toHaveLength(limit);
    }

    // Unfiltered, across every code of this service: no code twice, ours in order, newest first.
    for (const limit of [2, 5]) {
      const { codes } = await listAll({}, limit);
      const ids = codes.map((c) => c.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.filter((id) => newestFirst.includes(id))).toEqual(newestFirst);
      const times = codes.map((c) => Date.parse(c.createdAt));
      for (let i = 1; i < times.length; i++)
        expect(times[i]).toBeLessThanOrEqual(times[i - 1] as number);
    }
  });

  it('pages one code a time without skipping or repeating', async () => {
    const marker = `one-${rand()}`;
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) ids.add((await create(groupCode({ description: marker }))).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/codes?limit=1&q=${marker}${cursor ? `&cursor=${cursor}` : ''}`;
      const response = await service.call('GET', url);
      expect(response.status).toBe(200);
      expect(response.body.codes.length).toBeLessThanOrEqual(1);
      seen.push(...response.body.codes.map((c: CodeJson) => c.id));
      cursor = response.body.nextCursor;
    } while (cursor && seen.length < 10);
    expect(seen.sort()).toEqual([...ids].sort());
  });

  it('answers codes in the same shape as GET /codes/{code}', async () => {
    const marker = `shape-${rand()}`;
    const created = await create(groupCode({ description: marker, usageLimit: 3 }));
    const response = await service.call('GET', `/api/v1/codes?q=${marker}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ codes: [created], nextCursor: null });
  });

  it('matches q against description, code, usernamePrefix, accountId and deviceId', async () => {
    const r = rand(6);
    const lower = r.toLowerCase();
    const byDescription = await create(groupCode({ description: `Warehouse scanners ${r}` }));
    const byCode = await create(groupCode({ code: `QC${r}-${rand(4)}-ZZZZ` }));
    const byPrefix = await create({
      action: 'create_account_and_device',
      usernamePrefix: `pfx-${lower}`,
    });
    const byAccount = await create({ action: 'create_device', accountId: `acct.${r}@corp` });
    const byDevice = await create({ action: 'use_existing_device', deviceId: `dev_${r}_9` });

    const idsFor = async (q: string) => (await listAll({ q })).codes.map((c) => c.id);
    expect(await idsFor(`warehouse SCANNERS ${lower}`)).toEqual([byDescription.id]);
    expect(await idsFor(`QC${r}`)).toEqual([byCode.id]);
    expect(await idsFor(byCode.code.toLowerCase())).toEqual([byCode.id]);
    expect(await idsFor(byCode.code.replaceAll('-', ''))).toEqual([byCode.id]);
    expect(await idsFor(byCode.code.replaceAll('-', '_').toLowerCase())).toEqual([byCode.id]);
    expect(await idsFor(byCode.code.replaceAll('-', ' '))).toEqual([byCode.id]);
    expect(await idsFor(`pfx-${lower}`)).toEqual([byPrefix.id]);
    expect(await idsFor(`ACCT.${r}@CORP`)).toEqual([byAccount.id]);
    expect(await idsFor(`dev_${lower}`)).toEqual([byDevice.id]);
    // The token alone finds all five, newest first.
    expect(await idsFor(lower)).toEqual(
      [byDescription, byCode, byPrefix, byAccount, byDevice].map((c) => c.id).reverse(),
    );
    expect(await idsFor(`nothing-like-${lower}-here`)).toEqual([]);
  });

  it('filters by status', async () => {
    const marker = `status-${rand()}`;
    const once = await create(groupCode({ description: marker, usageLimit: 1 }));
    const open = await create(groupCode({ description: marker, usageLimit: 2 }));
    const redeemed = await redeem(once.code);
    expect(redeemed.status).toBe(200);
    expect(redeemed.body.code.timesUsed).toBe(1);
    const again = await redeem(once.code);
    expect(again.status).toBe(410);
    expect(again.body.error).toBe('code_used_up');

    const usedUp = await listAll({ q: marker, status: 'used_up' });
    expect(usedUp.codes.map((c) => c.id)).toEqual([once.id]);
    const [shown] = usedUp.codes as [CodeJson];
    expect(shown).toMatchObject({ status: 'used_up', timesUsed: 1 });
    expect(shown.limitReachedAt).toMatch(ISO_UTC);
    expect(shown.lastUsedAt).toMatch(ISO_UTC);

    const active = await listAll({ q: marker, status: 'active' });
    expect(active.codes.map((c) => c.id)).toEqual([open.id]);
    expect((await listAll({ q: marker, status: 'expired' })).codes).toEqual([]);

    // Unfiltered by text too: every answer has the asked status, and ours is among them.
    const allUsedUp = await listAll({ status: 'used_up' }, 3);
    expect(allUsedUp.codes.every((c) => c.status === 'used_up')).toBe(true);
    expect(allUsedUp.codes.map((c) => c.id)).toContain(once.id);
    expect(allUsedUp.codes.map((c) => c.id)).not.toContain(open.id);
  });

  it('shows a code in grace while the delay after its limit runs', async () => {
    const marker = `grace-${rand()}`;
    const code = await create(
      groupCode({ description: marker, usageLimit: 1, usageLimitDelaySeconds: 3600 }),
    );
    expect((await redeem(code.code)).status).toBe(200);
    expect((await getCode(code.code)).body.status).toBe('grace');
    const grace = await listAll({ q: marker, status: 'grace' });
    expect(grace.codes.map((c) => c.id)).toEqual([code.id]);
  });

  it('answers 400 with fields to a bad limit, cursor or status', async () => {
    const cases: [string, string][] = [
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=-3', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=2.5', 'limit'],
      ['cursor=not-a-cursor!', 'cursor'],
      ['status=sleeping', 'status'],
    ];
    for (const [query, field] of cases) {
      const response = await service.call('GET', `/api/v1/codes?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.body.error, query).toBe('invalid_request');
      expect(Object.keys(response.body.fields ?? {}), query).toContain(field);
    }
    const ok = await service.call('GET', '/api/v1/codes?limit=100');
    expect(ok.status).toBe(200);
  });
});

describe('PATCH /api/v1/codes/{code}', () => {
  const fullCode = () => ({
    code: `PATCH-${rand()}`,
    description: 'Before',
    expiresAt: inDays(30),
    usageLimit: 10,
    usageLimitDelaySeconds: 600,
    action: 'create_device',
    accountId: 'acct-1',
  });

  it('changes only the fields sent, keeps the others, and grows the version', async () => {
    const created = await create(fullCode());
    await sleep(2);
    const response = await service.call('PATCH', codePath(created.code), {
      body: { description: 'After' },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      ...created,
      description: 'After',
      version: 2,
      updatedAt: response.body.updatedAt,
    });
    expect(response.body.updatedAt).toMatch(ISO_UTC);
    expect(Date.parse(response.body.updatedAt)).toBeGreaterThanOrEqual(
      Date.parse(created.updatedAt),
    );
    expect(response.body.updatedBy).toBe('api');

    const second = await service.call('PATCH', codePath(created.code.toLowerCase()), {
      body: { usageLimit: 20 },
    });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ description: 'After', usageLimit: 20, version: 3 });

    const fetched = await getCode(created.code);
    expect(fetched.body).toEqual(second.body);
  });

  it('renames a code, keeping its count; the old name is then free', async () => {
    const created = await create({ ...fullCode(), usageLimit: 5 });
    const redeemed = await redeem(created.code);
    expect(redeemed.status).toBe(200);
    const used = (await getCode(created.code)).body;
    expect(used.timesUsed).toBe(1);

    const newName = `RENAMED-${rand()}`;
    const renamed = await service.call('PATCH', codePath(created.code), {
      body: { code: newName },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({
      id: created.id,
      code: newName,
      timesUsed: 1,
      lastUsedAt: used.lastUsedAt,
      usageLimit: 5,
      description: 'Before',
      version: used.version + 1,
    });

    const old = await getCode(created.code);
    expect(old.status).toBe(404);
    expect(old.body.error).toBe('code_not_found');
    const current = await getCode(newName.toLowerCase());
    expect(current.status).toBe(200);
    expect(current.body).toEqual(renamed.body);

    const oldRedeem = await redeem(created.code);
    expect(oldRedeem.status).toBe(404);
    expect(oldRedeem.body.error).toBe('code_not_found');
    const newRedeem = await redeem(newName);
    expect(newRedeem.status).toBe(200);
    expect(newRedeem.body.code.timesUsed).toBe(2);

    const reused = await create(groupCode({ code: created.code }));
    expect(reused.id).not.toBe(created.id);
    expect(reused.timesUsed).toBe(0);
    const reusedHistory = await service.call('GET', codePath(created.code, '/history'));
    expect(reusedHistory.body.events.map((e: EventJson) => e.type)).toEqual(['created']);
    expect((await getCode(created.code)).body.id).toBe(reused.id);
    expect((await getCode(newName)).body).toMatchObject({ id: created.id, timesUsed: 2 });
  });

  it('keeps exactly one name pointer through renames, none while the name is the ID again', async () => {
    const created = await create(fullCode());
    const pointers = () => service.redis.keys(`${service.prefix}name:{*`);
    const pointerOf = (name: string) => `${service.prefix}name:{${name.replaceAll('-', '')}}`;
    const names = [`CHAIN-A-${rand()}`, `CHAIN-B-${rand()}`, created.code, `CHAIN-C-${rand()}`];
    let current = created.code;
    const before = await pointers();
    for (const name of names) {
      const renamed = await service.call('PATCH', codePath(current), { body: { code: name } });
      expect(renamed.status).toBe(200);
      // The former name's pointer is released just after the answer.
      const added = async () => (await pointers()).filter((key) => !before.includes(key));
      await expect.poll(added).toEqual(name === created.code ? [] : [pointerOf(name)]);
      expect((await getCode(current)).status).toBe(404);
      expect((await getCode(name)).body).toMatchObject({ id: created.id, code: name });
      current = name;
    }
  });

  it('lets a rename change only the way a code is written', async () => {
    const text = `${rand(4)}-${rand(4)}`;
    const created = await create(groupCode({ code: text }));
    const lower = text.toLowerCase().replace('-', '_');
    const response = await service.call('PATCH', codePath(text), { body: { code: lower } });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: created.id, code: lower, version: 2 });
    expect((await getCode(text)).body.code).toBe(lower);
  });

  it('answers 409 code_taken to a rename onto another code, and changes nothing', async () => {
    const a = await create(fullCode());
    const b = await create(fullCode());
    const response = await service.call('PATCH', codePath(a.code), {
      body: { code: b.code.toLowerCase().replaceAll('-', '_'), description: 'Changed?' },
    });
    expect(response.status).toBe(409);
    expect(response.body.error).toBe('code_taken');
    expect((await getCode(a.code)).body).toEqual(a);
    expect((await getCode(b.code)).body).toEqual(b);
  });

  it('applies a write with the current If-Match and answers 412 to a stale one', async () => {
    const created = await create(fullCode());
    const etag = (await getCode(created.code)).headers.get('etag');
    expect(etag).toBe('"1"');

    const withEtag = await service.call('PATCH', codePath(created.code), {
      body: { description: 'v2' },
      headers: { 'if-match': etag as string },
    });
    expect(withEtag.status).toBe(200);
    expect(withEtag.body.version).toBe(2);

    const withNumber = await service.call('PATCH', codePath(created.code), {
      body: { description: 'v3' },
      headers: { 'if-match': '2' },
    });
    expect(withNumber.status).toBe(200);
    expect(withNumber.body.version).toBe(3);

    for (const stale of ['2', '"1"', '4']) {
      const response = await service.call('PATCH', codePath(created.code), {
        body: { description: 'lost update' },
        headers: { 'if-match': stale },
      });
      expect(response.status, stale).toBe(412);
      expect(response.body.error).toBe('version_conflict');
    }
    const fetched = await getCode(created.code);
    expect(fetched.body).toEqual(withNumber.body);
  });

  it('answers 412 to a write based on a version before a rename', async () => {
    const created = await create(fullCode());
    const newName = `MOVED-${rand()}`;
    expect(
      (await service.call('PATCH', codePath(created.code), { body: { code: newName } })).status,
    ).toBe(200);
    const stale = await service.call('PATCH', codePath(newName), {
      body: { description: 'late' },
      headers: { 'if-match': '1' },
    });
    expect(stale.status).toBe(412);
    expect((await getCode(newName)).body.description).toBe('Before');
  });

  it('requires the new target field when switching action, and clears the old one', async () => {
    const created = await create(fullCode());
    const missing = await service.call('PATCH', codePath(created.code), {
      body: { action: 'use_existing_device' },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_request');
    expect(Object.keys(missing.body.fields)).toEqual(['deviceId']);
    expect((await getCode(created.code)).body).toEqual(created);

    const switched = await service.call('PATCH', codePath(created.code), {
      body: { action: 'use_existing_device', deviceId: 'device-42' },
    });
    expect(switched.status).toBe(200);
    expect(switched.body).toMatchObject({
      action: 'use_existing_device',
      deviceId: 'device-42',
      accountId: null,
      usernamePrefix: null,
      version: 2,
    });

    const toGroup = await service.call('PATCH', codePath(created.code), {
      body: { action: 'create_account_and_device', usernamePrefix: 'site-a', deviceId: null },
    });
    expect(toGroup.status).toBe(200);
    expect(toGroup.body).toMatchObject({
      action: 'create_account_and_device',
      usernamePrefix: 'site-a',
      deviceId: null,
      accountId: null,
    });
    const redeemed = await redeem(created.code);
    expect(redeemed.status).toBe(200);
    expect(redeemed.body.action).toBe('create_account_and_device');
    expect(redeemed.body.accountId).toMatch(/^site-a/);
  });

  it('clears expiresAt with null and refuses to move it into the past', async () => {
    const created = await create(fullCode());
    expect(created.expiresAt).toMatch(ISO_UTC);

    const past = await service.call('PATCH', codePath(created.code), {
      body: { expiresAt: '2001-01-01T00:00:00Z' },
    });
    expect(past.status).toBe(400);
    expect(Object.keys(past.body.fields)).toEqual(['expiresAt']);

    const cleared = await service.call('PATCH', codePath(created.code), {
      body: { expiresAt: null, description: null },
    });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ expiresAt: null, description: null, usageLimit: 10 });
    expect((await getCode(created.code)).body).toMatchObject({
      expiresAt: null,
      description: null,
    });

    const later = inDays(90);
    const set = await service.call('PATCH', codePath(created.code), {
      body: { expiresAt: later },
    });
    expect(set.status).toBe(200);
    expect(set.body.expiresAt).toBe(later);
  });

  it('refuses to clear the usage limit while a delay is set', async () => {
    const created = await create(fullCode());
    const response = await service.call('PATCH', codePath(created.code), {
      body: { usageLimit: null },
    });
    expect(response.status).toBe(400);
    expect(Object.keys(response.body.fields)).toEqual(['usageLimitDelaySeconds']);
    const both = await service.call('PATCH', codePath(created.code), {
      body: { usageLimit: null, usageLimitDelaySeconds: null },
    });
    expect(both.status).toBe(200);
    expect(both.body).toMatchObject({ usageLimit: null, usageLimitDelaySeconds: null });
  });

  it('answers 400 with fields to invalid changes and changes nothing', async () => {
    const created = await create(fullCode());
    const response = await service.call('PATCH', codePath(created.code), {
      body: { code: 'a b', usageLimit: -1, colour: 'blue' },
    });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_request');
    expect(Object.keys(response.body.fields).sort()).toEqual(['code', 'colour', 'usageLimit']);
    expect((await getCode(created.code)).body).toEqual(created);
  });

  it('answers 404 code_not_found for an unknown code', async () => {
    const response = await service.call('PATCH', codePath(`NOPE-${rand()}`), {
      body: { description: 'x' },
    });
    expect(response.status).toBe(404);
    expect(response.body.error).toBe('code_not_found');
  });

  it('never resets the count when raising the limit of a used-up code', async () => {
    const created = await create(groupCode({ usageLimit: 1 }));
    expect((await redeem(created.code)).status).toBe(200);
    expect((await getCode(created.code)).body.status).toBe('used_up');
    const raised = await service.call('PATCH', codePath(created.code), {
      body: { usageLimit: 3 },
    });
    expect(raised.status).toBe(200);
    expect(raised.body).toMatchObject({ timesUsed: 1, status: 'active', limitReachedAt: null });
    const again = await redeem(created.code);
    expect(again.status).toBe(200);
    expect(again.body.code.timesUsed).toBe(2);
  });
});

describe('DELETE /api/v1/codes/{code}', () => {
  it('answers 204, after which the code is gone everywhere', async () => {
    const created = await create(groupCode({ code: `GONE-${rand()}`, description: 'to delete' }));
    const response = await service.call('DELETE', codePath(created.code.toLowerCase()));
    expect(response.status).toBe(204);
    expect(response.bytes.length).toBe(0);

    const fetched = await getCode(created.code);
    expect(fetched.status).toBe(404);
    expect(fetched.body.error).toBe('code_not_found');
    const redeemed = await redeem(created.code);
    expect(redeemed.status).toBe(404);
    expect(redeemed.body.error).toBe('code_not_found');
    expect((await service.call('GET', codePath(created.code, '/history'))).status).toBe(404);
    expect((await service.call('GET', codePath(created.code, '/qr.png'))).status).toBe(404);
    expect(
      (await service.call('PATCH', codePath(created.code), { body: { description: 'x' } })).status,
    ).toBe(404);
    const again = await service.call('DELETE', codePath(created.code));
    expect(again.status).toBe(404);
    expect(again.body.error).toBe('code_not_found');
    expect((await listAll()).codes.map((c) => c.id)).not.toContain(created.id);

    // The name can be used again.
    const reborn = await create(groupCode({ code: created.code }));
    expect(reborn.createdAt > created.createdAt).toBe(true);
    expect(reborn.version).toBe(1);
    expect(reborn.timesUsed).toBe(0);
    const history = await service.call('GET', codePath(created.code, '/history'));
    expect(history.body.events.map((e: EventJson) => e.type)).toEqual(['created']);
  });

  it('tells each change in the history old → new, instants in ISO-8601 like the rest of the API', async () => {
    const created = await create(groupCode({ description: 'before' }));
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d{3}Z$/, '.000Z');
    await service.call('PATCH', codePath(created.code), {
      body: { description: 'after', expiresAt, usageLimit: 5 },
    });
    const history = await service.call('GET', codePath(created.code, '/history'));
    const updated = history.body.events.find((e: EventJson) => e.type === 'updated');
    expect(updated.changes).toEqual([
      { field: 'description', from: 'before', to: 'after' },
      { field: 'expiresAt', from: null, to: expiresAt },
      { field: 'usageLimit', from: null, to: 5 },
    ]);
  });

  it('answers 412 to a stale If-Match and keeps the code', async () => {
    const created = await create(groupCode());
    const changed = await service.call('PATCH', codePath(created.code), {
      body: { description: 'v2' },
    });
    expect(changed.body.version).toBe(2);

    const stale = await service.call('DELETE', codePath(created.code), {
      headers: { 'if-match': '1' },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.error).toBe('version_conflict');
    const kept = await getCode(created.code);
    expect(kept.status).toBe(200);
    expect(kept.body).toEqual(changed.body);
    expect((await redeem(created.code)).status).toBe(200);

    const current = await service.call('DELETE', codePath(created.code), {
      headers: { 'if-match': '"2"' },
    });
    expect(current.status).toBe(204);
    expect((await getCode(created.code)).status).toBe(404);
  });
});

describe('GET /api/v1/codes/{code}/qr.png', () => {
  it('answers a PNG whose QR code holds the code', async () => {
    const created = await create(groupCode());
    const response = await service.call('GET', codePath(created.code.toLowerCase(), '/qr.png'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.bytes.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
    expect(decodeQr(response.bytes)).toBe(created.code);
  });

  it('answers 404 for an unknown code', async () => {
    const response = await service.call('GET', codePath(`NOPE-${rand()}`, '/qr.png'));
    expect(response.status).toBe(404);
    expect(response.body.error).toBe('code_not_found');
  });

  it('encodes INSTALL_URL_TEMPLATE with the code', async () => {
    const withUrl = await startTestService({
      INSTALL_URL_TEMPLATE: 'https://example.test/i/{code}',
    });
    try {
      const text = `Site-${rand()}`;
      await create(groupCode({ code: text }), withUrl);
      const response = await withUrl.call('GET', codePath(text.toUpperCase(), '/qr.png'));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/png');
      expect(decodeQr(response.bytes)).toBe(`https://example.test/i/${text}`);
    } finally {
      await withUrl.close();
    }
  });
});

describe('GET /api/v1/codes/{code}/history', () => {
  it('tells the events newest first: created, updated, renamed, redeemed', async () => {
    const created = await create(groupCode({ code: `HIST-${rand()}` }));
    await sleep(2);
    const updated = await service.call('PATCH', codePath(created.code), {
      body: { description: 'Described', usageLimit: 9 },
    });
    expect(updated.status).toBe(200);
    await sleep(2);
    const newName = `HIST-${rand()}`;
    expect(
      (await service.call('PATCH', codePath(created.code), { body: { code: newName } })).status,
    ).toBe(200);
    await sleep(2);
    expect((await redeem(newName)).status).toBe(200);

    const response = await service.call('GET', codePath(newName.toLowerCase(), '/history'));
    expect(response.status).toBe(200);
    const events: EventJson[] = response.body.events;
    expect(events.map((e) => e.type)).toEqual(['redeemed', 'renamed', 'updated', 'created']);
    for (const event of events) expect(event.at).toMatch(ISO_UTC);
    const times = events.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const [redeemed, renamed, change, creation] = events as [
      EventJson,
      EventJson,
      EventJson,
      EventJson,
    ];
    expect(creation.by).toBe('api');
    expect(change.by).toBe('api');
    expect([...(change.changed ?? [])].sort()).toEqual(['description', 'usageLimit']);
    expect(renamed).toMatchObject({ by: 'api', from: created.code, to: newName });
    expect(renamed.changed).toContain('code');
    expect(redeemed.by).toBe('device');
    expect(redeemed.accountId).toMatch(/^acme/);
    expect(typeof redeemed.deviceId).toBe('string');

    expect((await service.call('GET', codePath(created.code, '/history'))).status).toBe(404);
  });

  it('answers 404 for an unknown code', async () => {
    const response = await service.call('GET', codePath(`NOPE-${rand()}`, '/history'));
    expect(response.status).toBe(404);
    expect(response.body.error).toBe('code_not_found');
  });
});

describe('lifetime through the API (RETENTION=1s)', () => {
  let short: TestService;
  beforeAll(async () => {
    short = await startTestService({ RETENTION: '1s' });
  });
  afterAll(async () => {
    await short?.close();
  });

  const on = (method: string, path: string, body?: unknown) => short.call(method, path, { body });

  it('shows a used-up code for RETENTION, then it is gone and its name is free', async () => {
    const text = `RET-${rand()}`;
    await create(groupCode({ code: text, usageLimit: 1 }), short);
    expect((await on('POST', '/api/v1/redeem', { code: text, device: {} })).status).toBe(200);
    const shown = await on('GET', codePath(text));
    expect(shown.status).toBe(200);
    expect(shown.body.status).toBe('used_up');
    await sleep(1_600);
    const gone = await on('GET', codePath(text));
    expect(gone.status).toBe(404);
    expect(gone.body.error).toBe('code_not_found');
    const listed = await on('GET', `/api/v1/codes?q=${text}`);
    expect(listed.body.codes).toEqual([]);
    expect((await create(groupCode({ code: text }), short)).timesUsed).toBe(0);
  });

  it('shows an expired code as expired, refuses it with 410, then removes it', async () => {
    const text = `EXP-${rand()}`;
    const created = await create(
      groupCode({ code: text, expiresAt: new Date(Date.now() + 800).toISOString() }),
      short,
    );
    expect(created.status).toBe('active');
    await sleep(1_000);
    const shown = await on('GET', codePath(text));
    expect(shown.status).toBe(200);
    expect(shown.body.status).toBe('expired');
    const listed = await on('GET', `/api/v1/codes?q=${text}&status=expired`);
    expect(listed.body.codes.map((c: CodeJson) => c.id)).toEqual([created.id]);
    const refused = await on('POST', '/api/v1/redeem', { code: text, device: {} });
    expect(refused.status).toBe(410);
    expect(refused.body.error).toBe('code_expired');
    await sleep(1_400);
    expect((await on('GET', codePath(text))).status).toBe(404);
  });

  it('recomputes the lifetime on a change: a raised limit or a cleared expiry keeps the code', async () => {
    const usedUp = `RAISE-${rand()}`;
    await create(groupCode({ code: usedUp, usageLimit: 1 }), short);
    expect((await on('POST', '/api/v1/redeem', { code: usedUp, device: {} })).status).toBe(200);
    const raised = await on('PATCH', codePath(usedUp), { usageLimit: 2 });
    expect(raised.status).toBe(200);
    expect(raised.body.status).toBe('active');

    const expiring = `UNEXP-${rand()}`;
    await create(
      groupCode({ code: expiring, expiresAt: new Date(Date.now() + 1_000).toISOString() }),
      short,
    );
    const cleared = await on('PATCH', codePath(expiring), { expiresAt: null });
    expect(cleared.status).toBe(200);

    await sleep(2_500);
    const kept = await on('GET', codePath(usedUp));
    expect(kept.status).toBe(200);
    expect(kept.body).toMatchObject({ status: 'active', timesUsed: 1 });
    expect((await on('POST', '/api/v1/redeem', { code: usedUp, device: {} })).status).toBe(200);
    const neverExpires = await on('GET', codePath(expiring));
    expect(neverExpires.status).toBe(200);
    expect(neverExpires.body).toMatchObject({ status: 'active', expiresAt: null });
  });
});

describe('GET /api/v1/openapi.json', () => {
  it('describes the API as an OpenAPI 3.1 document', async () => {
    const response = await service.call('GET', '/api/v1/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    const doc = response.body;
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(typeof doc.info?.title).toBe('string');

    const paths = doc.paths;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/redeem',
        '/api/v1/codes',
        '/api/v1/codes/{code}',
        '/api/v1/codes/{code}/qr.png',
        '/api/v1/codes/{code}/history',
      ]),
    );
    expect(paths['/api/v1/redeem']).toHaveProperty('post');
    expect(Object.keys(paths['/api/v1/codes'])).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(paths['/api/v1/codes/{code}'])).toEqual(
      expect.arrayContaining(['get', 'patch', 'delete']),
    );
    expect(paths['/api/v1/codes/{code}/qr.png']).toHaveProperty('get');
    expect(paths['/api/v1/codes/{code}/history']).toHaveProperty('get');
    const listParameters = paths['/api/v1/codes'].get.parameters.map(
      (p: { name: string }) => p.name,
    );
    expect(listParameters).toEqual(expect.arrayContaining(['limit', 'cursor', 'q', 'status']));

    const input = doc.components.schemas.CodeInput;
    expect(Object.keys(input.properties).sort()).toEqual([...EDITABLE_FIELDS].sort());
    expect(input.properties.action.enum).toEqual(
      expect.arrayContaining(['create_account_and_device', 'create_device', 'use_existing_device']),
    );

    // Every $ref resolves.
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[A-Za-z]+/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(doc.components.schemas, ref).toHaveProperty(ref.split('/').pop() as string);
    }
  });
});
