import { randomBytes } from 'node:crypto';
import { get } from 'node:http';
import { Writable } from 'node:stream';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { type Service, type ServiceOptions, startService } from '../../src/service.js';
import { keysFor } from '../../src/store/keys.js';
import { OpenApiCheck } from './openapi-check.js';

export const API_TOKEN = 'test-api-token-0123456789';

export interface TestService extends Service {
  /** Every log line the service wrote, as text. */
  logs: string[];
  prefix: string;
  call(method: string, path: string, options?: CallOptions): Promise<CallResult>;
}

export interface CallOptions {
  body?: unknown;
  /** Sent as is, instead of `body` as JSON. */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Leave out the management API's Authorization header. */
  anonymous?: boolean;
}

export interface CallResult {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: a parsed JSON answer, which each test checks field by field
  body: any;
  bytes: Buffer;
}

/**
 * The whole service on a free port over real HTTP, against the run's redis-server (or `REDIS_URL`
 * given here) under a key prefix of its own, so test files never see each other's data. Its
 * metrics server is on a free port too (`metricsUrl`), unless `METRICS_PORT: '0'` turns it off.
 */
export async function startTestService(
  env: Record<string, string> = {},
  options: Pick<ServiceOptions, 'httpLimits' | 'slackTiming' | 'eventTiming'> = {},
): Promise<TestService> {
  const prefix = `test:${randomBytes(4).toString('hex')}:`;
  const config = loadConfig({
    REDIS_URL: inject('redisUrl'),
    REDIS_KEY_PREFIX: prefix,
    API_TOKEN,
    PORT: '0',
    LOG_LEVEL: 'debug',
    ...env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const service = await startService(config, createLogger(config.LOG_LEVEL, sink), {
    host: '127.0.0.1',
    metricsOnFreePort: true,
    ...options,
  });

  // Every answer a test receives through `call` is checked against the service's own document
  // (fetched on a connection of its own, closed: tests count the server's connections).
  const check = new OpenApiCheck(await documentOf(service.url));

  const call = async (
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<CallResult> => {
    const headers: Record<string, string> = { ...options.headers };
    if (!options.anonymous && /^\/api\/v1\/(codes|devices)\b/.test(path))
      headers.authorization ??= `Bearer ${API_TOKEN}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(service.url + path, { method, headers, body });
    const bytes = Buffer.from(await response.arrayBuffer());
    const text = bytes.toString('utf8');
    const isJson = response.headers.get('content-type')?.includes('json');
    const parsed = isJson && text ? JSON.parse(text) : text;
    const problem = check.problemWith(
      method,
      path,
      response.status,
      parsed,
      Boolean(isJson && text),
    );
    if (problem) throw new Error(`The OpenAPI document does not describe this answer: ${problem}`);
    return { status: response.status, headers: response.headers, body: parsed, bytes };
  };
  return { ...service, logs, prefix, call };
}

/** The service's OpenAPI document, on a connection that is closed when it has come. */
function documentOf(url: string): Promise<ConstructorParameters<typeof OpenApiCheck>[0]> {
  return new Promise((resolve, reject) => {
    const request = get(
      `${url}/api/v1/openapi.json`,
      { agent: false, headers: { connection: 'close' } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        request.socket?.on('close', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    request.on('error', reject);
  });
}

/** A redemption body for `code`. */
export function redeemBody(code: string, device: Record<string, string> = { name: 'test device' }) {
  return { code, device };
}

/** A redemption of a code that Redis holds: counted, and not withdrawn since. */
export interface CountedRedemption {
  eventId: string;
  deviceId: string;
  accountId: string | null;
  device: Record<string, string>;
}

interface Told {
  id: string;
  type: string;
  deviceId?: string;
  accountId?: string | null;
  device?: Record<string, string>;
  withdrawn?: string;
}

/**
 * The redemptions Redis counted on a code and still holds, oldest first: its `redeemed` events
 * less those withdrawn, from the code's outbox and the stream (the outbox read first, so an event
 * the relay moves in between is seen in one or both, and counted once by its ID).
 */
export async function redemptionsOf(
  service: TestService,
  code: string,
): Promise<CountedRedemption[]> {
  const { id } = await service.codes.getCode(code);
  const keys = keysFor(service.prefix);
  const waiting: Told[] = (await service.redis.lrange(keys.outbox(id), 0, -1)).map((raw) => {
    const e = JSON.parse(raw);
    return { ...e, withdrawn: e.redemptionEventId };
  });
  const streamed: Told[] = (await service.redis.xrange(keys.events, '-', '+'))
    .map(([, fields]) => JSON.parse(fields[fields.indexOf('event') + 1] as string))
    .filter((e) => e.code.id === id)
    .map((e) => ({
      id: e.id,
      type: e.type.replace(/^code\./, ''),
      ...e.redemption,
      withdrawn: e.withdrawnEventId,
    }));
  const told = new Map<string, Told>();
  for (const event of [...streamed, ...waiting]) told.set(event.id, event);
  const withdrawn = new Set([...told.values()].map((e) => e.withdrawn).filter(Boolean));
  return [...told.values()]
    .filter((e) => e.type === 'redeemed' && !withdrawn.has(e.id))
    .map((e) => ({
      eventId: e.id,
      deviceId: e.deviceId as string,
      accountId: e.accountId ?? null,
      device: e.device ?? {},
    }));
}
