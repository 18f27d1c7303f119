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
  code_expired: 410,
  code_used_up: 410,
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

export function sendError(reply: FastifyReply, status: number, body: ErrorBody): FastifyReply {
  return reply.code(status).type('application/json').send(body);
}

/** Every failure as SPEC's JSON `{error, message}`: domain errors, body parsing, Redis outages. */
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
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return sendError(reply, 413, {
      error: 'payload_too_large',
      message: 'The body is over 16 KiB.',
    });
  }
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return sendError(reply, 400, {
      error: 'invalid_request',
      message: 'The body is not valid JSON.',
    });
  }
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
