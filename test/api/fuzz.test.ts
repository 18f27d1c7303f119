import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/service.js';

/**
 * A schema-driven fuzzer: bodies, queries, headers and paths generated from the OpenAPI
 * document (itself generated from the zod schemas that validate requests), valid and not, sent
 * to every route. `call` checks each answer against the document (a described status, a body
 * of its schema); here: never a 5xx, and a refused request changes no code.
 */

// biome-ignore lint/suspicious/noExplicitAny: JSON schemas from the document, walked by keyword
type Schema = Record<string, any>;

const RUNS = { numRuns: 100 };
const VISIBLE = /^[\x20-\x7e]{0,80}$/;

let service: TestService;
let doc: Schema;
const seeded: string[] = [];

beforeAll(async () => {
  service = await startTestService({ REDEEM_MAX_FAILURES: '1000000' });
  doc = (await service.call('GET', '/api/v1/openapi.json')).body;
  const bodies = [
    { code: 'FUZZ-ONE', action: 'create_account_and_device', usernamePrefix: 'fz' },
    { code: 'FUZZ-TWO', action: 'create_device', accountId: 'acct-1', usageLimit: 3 },
    { code: 'FUZZ-THREE', action: 'use_existing_device', deviceId: 'dev-1' },
  ];
  for (const body of bodies) {
    const created = await service.call('POST', '/api/v1/codes', { body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    seeded.push(created.body.code);
  }
});
afterAll(async () => {
  await service?.close();
});

function resolve(schema: Schema): Schema {
  if (!schema.$ref) return schema;
  return doc.components.schemas[String(schema.$ref).split('/').pop() as string];
}

const int32 = (n: number) => Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, n));

/** Values that the schema describes. */
function valid(input: Schema): fc.Arbitrary<unknown> {
  const schema = resolve(input);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map(valid));
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.const !== undefined) return fc.constant(schema.const);
  switch (schema.type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
    case 'number': {
      const min = int32(schema.minimum ?? -1_000);
      const max = int32(schema.maximum ?? 1_000_000);
      return fc.oneof(fc.integer({ min, max }), fc.constantFrom(min, max));
    }
    case 'string': {
      if (schema.format === 'date-time') {
        return fc
          .date({ min: new Date('2020-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
          .map((d) => d.toISOString());
      }
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: schema.maxLength ?? 40 });
    }
    case 'object': {
      const properties: Record<string, Schema> = schema.properties ?? {};
      const fields = Object.fromEntries(
        Object.entries(properties).map(([name, s]) => [name, valid(s)]),
      );
      return fc.record(fields, { requiredKeys: schema.required ?? [] });
    }
  }
  return fc.jsonValue();
}

/** Values of the schema, and values a little or wholly off it. */
function anyOf(schema: Schema): fc.Arbitrary<unknown> {
  const good = valid(schema);
  const object = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  return fc.oneof(
    { weight: 3, arbitrary: good },
    // One field of another type or value.
    fc
      .tuple(good, fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 2 }))
      .map(([value, key, other]) => {
        if (!object(value)) return other;
        const keys = Object.keys(value);
        const name = keys.length ? (keys[key.length % keys.length] as string) : key;
        return { ...value, [name]: other };
      }),
    // An unknown field.
    fc
      .tuple(good, fc.string({ minLength: 1, maxLength: 20 }), fc.jsonValue({ maxDepth: 1 }))
      .map(([value, key, other]) => (object(value) ? { ...value, [`x${key}`]: other } : value)),
    fc.jsonValue({ maxDepth: 3 }),
  );
}

function operation(path: string, method: string): Schema {
  return doc.paths[path][method];
}

function bodySchema(path: string, method: string): Schema {
  return operation(path, method).requestBody.content['application/json'].schema;
}

function headerArb(path: string, method: string, name: string): fc.Arbitrary<string | undefined> {
  const parameter = operation(path, method).parameters.find(
    (p: Schema) => p.in === 'header' && p.name === name,
  );
  return fc.option(
    fc.oneof(fc.stringMatching(new RegExp(parameter.schema.pattern)), fc.stringMatching(VISIBLE)),
    { nil: undefined },
  );
}

const codeText = () =>
  fc.oneof(fc.constantFrom(...seeded), fc.string({ minLength: 1, maxLength: 80 }));

/** Every code's identity, version, count and limits: what a refused request must leave alone. */
async function snapshot(): Promise<string> {
  const rows: unknown[] = [];
  let cursor: string | undefined;
  do {
    const page = await service.codes.listCodes({ limit: 100, cursor });
    rows.push(
      ...page.codes.map((c) => [c.id, c.code, c.version, c.timesUsed, c.usageLimit, c.expiresAt]),
    );
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return JSON.stringify(rows);
}

async function send(
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string | undefined> } = {},
) {
  const headers = Object.fromEntries(
    Object.entries(options.headers ?? {}).filter(([, v]) => v !== undefined),
  ) as Record<string, string>;
  const before = await snapshot();
  const answer = await service.call(method, path, { body: options.body, headers });
  expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.body)}`).toBeLessThan(500);
  if (answer.status >= 400)
    expect(await snapshot(), `${method} ${path} changed codes`).toBe(before);
  return answer;
}

describe('generated requests to every route', () => {
  it('POST /api/v1/redeem', async () => {
    const body = fc.oneof(
      anyOf(bodySchema('/api/v1/redeem', 'post')),
      codeText().map((code) => ({ code, device: { name: 'fuzz' } })),
    );
    await fc.assert(
      fc.asyncProperty(
        body,
        headerArb('/api/v1/redeem', 'post', 'Idempotency-Key'),
        async (b, key) => {
          await send('POST', '/api/v1/redeem', { body: b, headers: { 'idempotency-key': key } });
        },
      ),
      RUNS,
    );
  });

  it('POST /api/v1/codes', async () => {
    await fc.assert(
      fc.asyncProperty(anyOf(bodySchema('/api/v1/codes', 'post')), async (body) => {
        await send('POST', '/api/v1/codes', { body });
      }),
      RUNS,
    );
  });

  it('GET /api/v1/codes', async () => {
    const parameters: Schema[] = operation('/api/v1/codes', 'get').parameters;
    const query = fc.record(
      Object.fromEntries(
        parameters.map((p) => [
          p.name,
          fc.oneof(valid(p.schema).map(String), fc.string({ maxLength: 30 })),
        ]),
      ),
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        query,
        fc.option(fc.string({ minLength: 1, maxLength: 10 })),
        async (q, extra) => {
          const search = new URLSearchParams(q as Record<string, string>);
          if (extra) search.append(extra, 'x');
          await send('GET', `/api/v1/codes?${search}`);
        },
      ),
      RUNS,
    );
  });

  it('GET, PATCH and DELETE /api/v1/codes/{code} and its qr.png and history', async () => {
    const path = '/api/v1/codes/{code}';
    await fc.assert(
      fc.asyncProperty(
        codeText(),
        fc.constantFrom('get', 'patch', 'delete', 'qr', 'history'),
        anyOf(bodySchema(path, 'patch')),
        headerArb(path, 'patch', 'If-Match'),
        async (code, what, body, ifMatch) => {
          const base = `/api/v1/codes/${encodeURIComponent(code)}`;
          if (what === 'get') await send('GET', base);
          if (what === 'qr') await send('GET', `${base}/qr.png`);
          if (what === 'history') await send('GET', `${base}/history`);
          if (what === 'patch')
            await send('PATCH', base, { body, headers: { 'if-match': ifMatch } });
          // Deleting a seeded code only with a stale or malformed If-Match: the others stay.
          if (
            what === 'delete' &&
            ifMatch !== undefined &&
            ifMatch !== '*' &&
            !/^(W\/)?"?\d+"?$/.test(ifMatch.trim())
          )
            await send('DELETE', base, { headers: { 'if-match': ifMatch } });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('POST /api/v1/codes/{code}/extend', async () => {
    // Codes that can be extended (also at the edges: the last expiry and the largest limit a code
    // may have), besides the seeded ones, which have nothing to extend or only uses.
    const extendable: string[] = [];
    const bodies = [
      {
        code: 'FUZZ-EXT-ONE',
        action: 'create_device',
        accountId: 'acct-2',
        usageLimit: 5,
        expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      },
      {
        code: 'FUZZ-EXT-TWO',
        action: 'create_device',
        accountId: 'acct-3',
        usageLimit: Number.MAX_SAFE_INTEGER - 10,
        expiresAt: '9999-12-31T23:59:59.000Z',
      },
    ];
    for (const body of bodies) {
      const created = await service.call('POST', '/api/v1/codes', { body });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      extendable.push(created.body.code);
    }
    const path = '/api/v1/codes/{code}/extend';
    const code = fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...extendable) }, codeText());
    const body = fc.oneof(
      anyOf(bodySchema(path, 'post')),
      fc.record({ days: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, 1, 365, 366)) }),
      fc.record({
        uses: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, 1, 1_000_000, 1_000_001)),
      }),
    );
    await fc.assert(
      fc.asyncProperty(code, body, async (c, b) => {
        await send('POST', `/api/v1/codes/${encodeURIComponent(c)}/extend`, { body: b });
      }),
      RUNS,
    );
  });

  it('GET /api/v1/openapi.json', async () => {
    const junk = fc.string({ maxLength: 30 });
    const query = fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), junk, { maxKeys: 4 });
    const headerName = fc.oneof(
      fc.constantFrom(
        'accept',
        'accept-encoding',
        'accept-language',
        'authorization',
        'content-type',
        'cookie',
        'if-match',
        'if-none-match',
        'if-modified-since',
        'origin',
        'range',
        'x-forwarded-for',
        'x-forwarded-proto',
      ),
      fc.stringMatching(/^x-[a-z0-9-]{1,20}$/),
    );
    const headers = fc.dictionary(headerName, fc.stringMatching(VISIBLE), { maxKeys: 4 });
    await fc.assert(
      fc.asyncProperty(query, headers, async (q, h) => {
        const answer = await send('GET', `/api/v1/openapi.json?${new URLSearchParams(q)}`, {
          headers: h,
        });
        expect(answer.status).toBe(200);
      }),
      RUNS,
    );
  });

  it('POST /api/v1/devices/verify and DELETE /api/v1/devices/{deviceId}', async () => {
    // dev-1 is the device of the seeded use_existing_device code, once a request redeems it.
    const deviceId = fc.oneof(
      fc.constantFrom('dev-1', 'dev_unknown'),
      fc.string({ minLength: 1, maxLength: 80 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          anyOf(bodySchema('/api/v1/devices/verify', 'post')),
          fc.record({ deviceId, deviceToken: fc.string({ maxLength: 300 }) }),
        ),
        deviceId,
        fc.boolean(),
        async (body, id, verifying) => {
          if (verifying) await send('POST', '/api/v1/devices/verify', { body });
          else await send('DELETE', `/api/v1/devices/${encodeURIComponent(id)}`);
        },
      ),
      RUNS,
    );
  });

  it('GET /healthz and /readyz', async () => {
    for (const path of ['/healthz', '/readyz']) expect((await send('GET', path)).status).toBe(200);
  });
});
