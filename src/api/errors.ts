import { maxHeaderSize, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger, FastifyError, FastifyReply } from 'fastify';
import {
  CodeError,
  type CodeErrorKind,
  DEFAULT_MESSAGES,
  type FieldErrors,
} from '../codes/errors.js';
import { redisFailureOf } from '../store/connection.js';

export const HTTP_STATUS: Record<CodeErrorKind, number> = {
  invalid_request: 400,
  code_not_found: 404,
  device_not_found: 404,
  code_expired: 410,
  code_used_up: 410,
  code_disabled: 403,
  code_taken: 409,
  version_conflict: 412,
  idempotency_key_reused: 422,
  rate_limited: 429,
  unavailable: 503,
};

export interface ErrorBody {
  error: string;
  message: string;
  fields?: FieldErrors;
}

/**
 * A refusal of the HTTP layer itself (how the request was sent, not what it asks for), with the
 * stable `error` string that SPEC §2 names.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** SPEC §2: a body must be JSON, said so, or any web page could post one from a visitor's browser. */
export function unsupportedMediaType(): HttpError {
  return new HttpError(
    415,
    'unsupported_media_type',
    'The body must be JSON, sent with Content-Type: application/json.',
  );
}

export function sendError(reply: FastifyReply, status: number, body: ErrorBody): FastifyReply {
  return reply.code(status).type('application/json').send(body);
}

/**
 * Every failure as SPEC's JSON `{error, message}`: domain errors, the HTTP layer's and the
 * framework's refusals, Redis outages.
 */
export function errorReply(
  error: unknown,
  reply: FastifyReply,
  log: FastifyBaseLogger,
): FastifyReply {
  if (error instanceof CodeError) {
    // The operation's budget ran out waiting for Redis (a stall, a pause, a restart's loading).
    if (error.kind === 'unavailable') {
      warnOncePerInterval(reply.server.server, log, 'timeout', 'no answer within the budget');
    }
    const body: ErrorBody = { error: error.kind, message: error.message };
    if (error.fields) body.fields = error.fields;
    return sendError(reply, HTTP_STATUS[error.kind], body);
  }
  if (error instanceof HttpError) {
    return sendError(reply, error.status, { error: error.error, message: error.message });
  }
  const refusal = frameworkRefusal(error as Partial<FastifyError>, reply);
  if (refusal) return sendError(reply, refusal.status, refusal.body);
  const redisFailure = redisFailureOf(error);
  if (redisFailure) {
    // Keyed by the HTTP server: each plugin has a Fastify instance of its own, all share that.
    warnOncePerInterval(reply.server.server, log, redisFailure.kind, (error as Error).message);
    return sendError(reply, 503, { error: 'unavailable', message: DEFAULT_MESSAGES.unavailable });
  }
  log.error({ err: withoutCommand(error) }, 'unexpected error');
  return sendError(reply, 500, {
    error: 'internal_error',
    message: 'Something went wrong on our side.',
  });
}

interface Refusal {
  status: number;
  body: ErrorBody;
}

/** Fastify's own errors (its codes are `FST_ERR_…`), each as a stable `error` and a message for people. */
function frameworkRefusal(error: Partial<FastifyError>, reply: FastifyReply): Refusal | null {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': {
      const limit = reply.request.routeOptions.bodyLimit ?? reply.server.initialConfig.bodyLimit;
      const message = `The body is larger than ${bytes(limit ?? 0)}, the most this service takes.`;
      return { status: 413, body: { error: 'payload_too_large', message } };
    }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const refusal = unsupportedMediaType();
      return { status: 415, body: { error: refusal.error, message: refusal.message } };
    }
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return invalidRequest('The body is not valid JSON.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return invalidRequest('The body is not as long as its Content-Length header says.');
    case 'FST_ERR_BAD_URL':
      return invalidRequest(
        'The URL is not valid: each % in it must begin an escaped UTF-8 character, like %20.',
      );
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return {
        status: 414,
        body: { error: 'uri_too_long', message: 'A part of the URL path is too long.' },
      };
    case 'FST_ERR_HANDLER_TIMEOUT':
      return {
        status: 503,
        body: { error: 'unavailable', message: DEFAULT_MESSAGES.unavailable },
      };
  }
  const status = error.statusCode;
  if (!error.code?.startsWith('FST_') || !status || status < 400 || status >= 500) return null;
  if (status === 400) return invalidRequest('The request is not valid.');
  // Any other refusal Fastify may add: its status, named after the status's own words.
  const name = STATUS_CODES[status] ?? 'Client Error';
  return {
    status,
    body: {
      error: name.toLowerCase().replace(/[^a-z]+/g, '_'),
      message: `The request was refused: ${name}.`,
    },
  };
}

function invalidRequest(message: string): Refusal {
  return { status: 400, body: { error: 'invalid_request', message } };
}

/** `16384` as `16 KiB (16384 bytes)`. */
function bytes(count: number): string {
  return count % 1024 === 0 ? `${count / 1024} KiB (${count} bytes)` : `${count} bytes`;
}

/**
 * The answer to what node:http refuses before Fastify sees a request (headers too large, a
 * request that is not HTTP, one that does not arrive in time), in the same JSON shape and with
 * `headers` (the security headers), where node and Fastify would write bodies of their own.
 */
export function answerClientError(
  headers: Record<string, string>,
): (error: Error & { code?: string }, socket: Duplex) => void {
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    // node:http hangs its server and the answer in progress on the socket.
    const { server, _httpMessage: inFlight } = socket as Duplex & {
      server?: { maxHeaderSize?: number };
      _httpMessage?: ServerResponse;
    };
    // As node itself: no answer when one is already on its way on this connection.
    if (socket.writable && !inFlight?.headersSent) {
      const headerLimit = server?.maxHeaderSize ?? maxHeaderSize;
      const { status, body } = clientErrorRefusal(error.code, headerLimit);
      const json = JSON.stringify(body);
      const lines = [
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
        'content-type: application/json; charset=utf-8',
        `content-length: ${Buffer.byteLength(json)}`,
        'connection: close',
        ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      ];
      socket.write(`${lines.join('\r\n')}\r\n\r\n${json}`);
    }
    socket.destroy(error);
  };
}

function clientErrorRefusal(code: string | undefined, maxHeaderBytes: number): Refusal {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        body: {
          error: 'headers_too_large',
          message: `The request's headers are larger than ${bytes(maxHeaderBytes)}.`,
        },
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        body: {
          error: 'request_timeout',
          message: 'The request did not arrive in full in time. Send it again.',
        },
      };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return {
        status: 413,
        body: { error: 'payload_too_large', message: "The body's chunk extensions are too large." },
      };
    default:
      return invalidRequest('The request is not valid HTTP/1.1.');
  }
}

/**
 * ioredis hangs the failed command on its errors (`command.args`: a code, a token hash), which
 * pino's error serialiser would write out: the log gets the error without it.
 */
function withoutCommand(error: unknown): unknown {
  if (!(error instanceof Error) || !('command' in error)) return error;
  const { command: _command, ...rest } = error as Error & { command: unknown };
  return Object.assign(new Error(error.message), rest, { name: error.name, stack: error.stack });
}

/** While Redis refuses, every request fails alike: one warn line per kind per interval says so. */
const WARN_INTERVAL_MS = 10_000;

interface Quiet {
  until: number;
  /** Failures of this kind since the last line, not logged (each is counted in the metrics). */
  unlogged: number;
}

const quietByApp = new WeakMap<object, Map<string, Quiet>>();

function warnOncePerInterval(
  app: object,
  log: FastifyBaseLogger,
  kind: string,
  message: string,
): void {
  let quiet = quietByApp.get(app);
  if (!quiet) {
    quiet = new Map();
    quietByApp.set(app, quiet);
  }
  const now = Date.now();
  const last = quiet.get(kind);
  if (last && now < last.until) {
    last.unlogged++;
    return;
  }
  // Redis's own text, never the error object: that carries the command's arguments.
  log.warn(
    { redis: kind, reason: message, unloggedSinceLast: last?.unlogged ?? 0 },
    'redis unavailable or refusing: answered 503',
  );
  quiet.set(kind, { until: now + WARN_INTERVAL_MS, unlogged: 0 });
}
