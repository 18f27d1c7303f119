import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/service.js';

const run = promisify(execFile);
let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service?.close();
});

describe('GET /api/v1/openapi.json', () => {
  it('is generated from the routes: operations, security, headers and every status', async () => {
    const { body: doc } = await service.call('GET', '/api/v1/openapi.json');
    expect(doc.servers?.length).toBeGreaterThan(0);
    const operations = Object.values(doc.paths).flatMap((ops) => Object.values(ops as object));
    const ids = operations.map((op) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(
      expect.arrayContaining([
        'redeemCode',
        'createCode',
        'listCodes',
        'getCode',
        'updateCode',
        'deleteCode',
        'getCodeQr',
        'getCodeHistory',
        'getLiveness',
        'getReadiness',
      ]),
    );
    const op = (path: string, method: string) => doc.paths[path][method];
    const statuses = (path: string, method: string) => Object.keys(op(path, method).responses);

    const redeem = op('/api/v1/redeem', 'post');
    expect(redeem.security).toEqual([]);
    expect(statuses('/api/v1/redeem', 'post')).toEqual(
      expect.arrayContaining(['200', '400', '404', '410', '413', '415', '422', '429', '503']),
    );
    expect(redeem.responses['429'].headers).toHaveProperty('Retry-After');
    const key = redeem.parameters.find((p: { name: string }) => p.name === 'Idempotency-Key');
    expect(key).toMatchObject({ in: 'header', required: false });
    expect(new RegExp(key.schema.pattern).test('a'.repeat(64))).toBe(true);
    expect(new RegExp(key.schema.pattern).test('a'.repeat(65))).toBe(false);

    const create = op('/api/v1/codes', 'post');
    expect(create.security).toEqual([{ bearer: [] }]);
    const createRef = create.requestBody.content['application/json'].schema.$ref.split('/').pop();
    expect(doc.components.schemas[createRef].required).toEqual(['action']);
    expect(create.responses['201'].headers).toHaveProperty('ETag');
    expect(statuses('/api/v1/codes', 'post')).toEqual(
      expect.arrayContaining(['201', '400', '401', '409', '413', '415', '503']),
    );
    expect(statuses('/api/v1/codes', 'get')).toEqual(expect.arrayContaining(['200', '400', '401']));
    for (const method of ['patch', 'delete']) {
      const ifMatch = op('/api/v1/codes/{code}', method).parameters.find(
        (p: { name: string }) => p.name === 'If-Match',
      );
      const pattern = new RegExp(ifMatch.schema.pattern);
      for (const good of ['3', '"3"', 'W/"3"', '*']) expect(pattern.test(good), good).toBe(true);
      for (const bad of ['"3', 'w/"3"', 'three', '']) expect(pattern.test(bad), bad).toBe(false);
      expect(statuses('/api/v1/codes/{code}', method)).toEqual(
        expect.arrayContaining(['400', '401', '404', '412', '413', '415', '503']),
      );
    }
    expect(op('/api/v1/codes/{code}', 'get').responses['200'].headers).toHaveProperty('ETag');
    expect(op('/api/v1/codes/{code}', 'patch').responses['200'].headers).toHaveProperty('ETag');
    expect(statuses('/api/v1/codes/{code}', 'patch')).toContain('409');
    for (const path of ['/healthz', '/readyz']) {
      expect(op(path, 'get').security).toEqual([]);
      expect(statuses(path, 'get')).toEqual(['200', '503']);
    }
  });

  it('lints clean with Redocly recommended rules', async () => {
    const { body } = await service.call('GET', '/api/v1/openapi.json');
    const dir = await mkdtemp(join(tmpdir(), 'openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      await writeFile(file, JSON.stringify(body, null, 2));
      if (process.env.OPENAPI_DUMP)
        await writeFile(process.env.OPENAPI_DUMP, JSON.stringify(body, null, 2));
      const result = await run(
        join('node_modules', '.bin', 'redocly'),
        ['lint', '--extends=recommended', '--format=stylish', file],
        {
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        },
      ).catch((error: { stdout: string; stderr: string }) => error);
      const output = `${result.stdout}\n${result.stderr}`;
      expect(output, output).toMatch(
        /Woohoo! Your API description is valid|validated with 0 errors|is valid/,
      );
      expect(output, output).not.toMatch(/\berror\b/i);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
