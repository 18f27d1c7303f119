import type { FastifyBaseLogger, FastifyError, FastifyReply } from 'fastify';
import {
  CodeError,
  type CodeErrorKind,
  DEFAULT_MESSAGES,
  type FieldErrors,
} from '../codes/errors.js';
import { isRedisUnavailable } from '../store/connection.js';

export const HTTP_STATUS: Record<CodeErrorKind, number> = {
  invalid_request: 400,
  code_not_found: 404,
  code_expired: 410,
  code_used_up: 410,
  code_taken: 409,
  version_conflict: 412,
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
  if (isRedisUnavailable(error)) {
    log.warn({ err: (error as Error).message }, 'redis unavailable');
    return sendError(reply, 503, { error: 'unavailable', message: DEFAULT_MESSAGES.unavailable });
  }
  log.error({ err: error }, 'unexpected error');
  return sendError(reply, 500, {
    error: 'internal_error',
    message: 'Something went wrong on our side.',
  });
}
