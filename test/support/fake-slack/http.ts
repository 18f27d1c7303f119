/** HTTP plumbing of the fake: reading Web API arguments as Slack reads them, and answering. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeSlackCall } from './types.js';

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** A Web API answer: HTTP 200, whatever `ok` says (as Slack answers). */
export function ok200(body: Record<string, unknown>): Answer {
  return { status: 200, body };
}

/** `{ ok: false, error }` with HTTP 200, plus any of Slack's extra fields. */
export function refusal(error: string, extra: Record<string, unknown> = {}): Answer {
  return ok200({ ok: false, error, ...extra });
}

export function send(res: ServerResponse, answer: Answer): void {
  const isText = typeof answer.body === 'string';
  const payload = isText ? (answer.body as string) : JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    ...answer.headers,
  });
  res.end(payload);
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * @slack/web-api form-encodes every argument; objects and arrays (blocks, view, files, ...) go as
 * JSON strings. Turn those back into objects; leave every other string alone.
 */
export function decodeValue(value: string): unknown {
  const first = value.trimStart()[0];
  if (first !== '{' && first !== '[') return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null ? parsed : value;
  } catch {
    return value;
  }
}

/** The arguments of a Web API call: a JSON, multipart or form body, and the query string. */
export async function parseArgs(
  req: IncomingMessage,
  raw: Buffer,
): Promise<Record<string, unknown>> {
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  const args: Record<string, unknown> = {};
  if (raw.length > 0) {
    if (contentType.startsWith('application/json')) {
      Object.assign(args, asRecord(JSON.parse(raw.toString('utf8'))));
    } else if (contentType.startsWith('multipart/form-data')) {
      const form = await toRequest(req, raw).formData();
      for (const [key, value] of form) {
        args[key] =
          typeof value === 'string' ? decodeValue(value) : Buffer.from(await value.arrayBuffer());
      }
    } else {
      for (const [key, value] of new URLSearchParams(raw.toString('utf8'))) {
        args[key] = decodeValue(value);
      }
    }
  }
  if (req.method === 'GET') {
    const query = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams;
    for (const [key, value] of query) args[key] = decodeValue(value);
  }
  return args;
}

/** The token of a call: `Authorization: Bearer …`, or a `token` argument. */
export function tokenOf(req: IncomingMessage, args: Record<string, unknown>): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  return bearer ?? optionalString(args.token);
}

/** The upload step posts the Buffer as multipart/form-data (field `body`); accept raw bytes too. */
export async function uploadedBytes(req: IncomingMessage, raw: Buffer): Promise<Buffer> {
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  if (!contentType.startsWith('multipart/form-data')) return raw;
  const form = await toRequest(req, raw).formData();
  for (const [, value] of form) {
    if (typeof value !== 'string') return Buffer.from(await value.arrayBuffer());
  }
  return raw;
}

function toRequest(req: IncomingMessage, raw: Buffer): Request {
  return new Request('http://127.0.0.1/', {
    method: 'POST',
    headers: { 'content-type': req.headers['content-type'] ?? '' },
    body: raw,
  });
}

/** What a Web API method gets: its decoded arguments, and the call record to note a refusal on. */
export interface MethodCall {
  args: Record<string, unknown>;
  call: FakeSlackCall;
}

export type MethodHandler = (request: MethodCall) => Answer;

/** Slack's `{ ok: false, error }`, with the reason in words kept on the call for the test's eyes. */
export function refuse(
  call: FakeSlackCall,
  error: string,
  reason: string,
  extra: Record<string, unknown> = {},
): Answer {
  call.reason = reason;
  return refusal(error, extra);
}
