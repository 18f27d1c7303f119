import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { toIso } from '../codes/durations.js';
import { CodeError, codeError } from '../codes/errors.js';
import { CODE_ACTIONS } from '../codes/model.js';
import { parseRequest, storedText } from '../codes/rules.js';
import type { Metrics } from '../metrics.js';
import { isRedisUnavailable } from '../store/connection.js';
import { monotonicNow, settleBy } from '../store/redis-clock.js';
import type { CodeService } from '../use-cases/code-service.js';
import { answer, documented, errorAnswers } from './openapi.js';
import type { RedeemLimiter } from './redeem-limiter.js';

// Stored in the device registry and shown to staff: the same rule as a code's description.
const deviceText = storedText(200);

export const redeemRequestSchema = documented(
  z.strictObject({
    code: z
      .string({ error: 'the installation code, as text' })
      .min(1, 'the installation code, as text')
      .max(200),
    device: z
      .strictObject({ name: deviceText, model: deviceText, serial: deviceText })
      .partial()
      .default({}),
  }),
  { id: 'RedeemRequest' },
);

export const redemptionSchema = documented(
  z.object({
    action: z.enum(CODE_ACTIONS),
    accountId: z.string().nullable(),
    deviceId: z.string(),
    deviceToken: z.string(),
    code: z.object({
      timesUsed: z.int(),
      usageLimit: z.int().nullable(),
      expiresAt: z.iso.datetime().nullable(),
    }),
  }),
  { id: 'Redemption' },
);

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,64}$/;

/** Documents the header; the handler checks it (a refusal names the header in `fields`). */
const redeemHeadersSchema = z.object({
  'Idempotency-Key': documented(z.string().regex(IDEMPOTENCY_KEY).optional(), {
    description:
      'Optional, 1 to 64 visible ASCII characters: a retry with the same key and code within 24 hours gets the same answer and uses the code once.',
  }),
});

const REDEEM_SCHEMA = {
  operationId: 'redeemCode',
  summary: 'Redeem a code (devices; the code is the credential)',
  tags: ['redemption'],
  security: [],
  headers: redeemHeadersSchema,
  body: redeemRequestSchema,
  response: {
    200: answer('Redeemed: the code was used once', redemptionSchema),
    ...errorAnswers([400, 403, 404, 410, 413, 415, 422, 429, 500, 503], {
      400: 'invalid_request: the body is not JSON, or a field is missing, of the wrong type or unknown (`fields`), or a malformed Idempotency-Key',
      404: 'code_not_found: no such code, or it was deleted',
    }),
  },
};
const FAILURE_COUNT_BUDGET_MS = 1_000;

type RedeemDeps = { codes: CodeService; limiter: RedeemLimiter; metrics: Metrics };

export function registerRedeemRoute(app: FastifyInstance, deps: RedeemDeps) {
  app.post('/api/v1/redeem', { schema: REDEEM_SCHEMA }, async (request, reply) => {
    try {
      const answer = await redeem(deps, request, reply);
      deps.metrics.redemptions.inc({ result: 'ok' });
      return answer;
    } catch (error) {
      deps.metrics.redemptions.inc({ result: resultOf(error) });
      throw error;
    }
  });
}

function resultOf(error: unknown): string {
  if (error instanceof CodeError) return error.kind;
  if (isRedisUnavailable(error)) return 'unavailable';
  return 'error';
}

async function redeem(deps: RedeemDeps, request: FastifyRequest, reply: FastifyReply) {
  const idempotencyKey = request.headers['idempotency-key'];
  if (
    idempotencyKey !== undefined &&
    (typeof idempotencyKey !== 'string' || !IDEMPOTENCY_KEY.test(idempotencyKey))
  ) {
    throw new CodeError('invalid_request', 'Idempotency-Key must be 1 to 64 visible characters.', {
      'Idempotency-Key': '1 to 64 visible ASCII characters',
    });
  }
  const body = parseRequest(redeemRequestSchema, request.body);
  refuseIfBlocked(reply, deps.limiter.retryAfterSeconds(request.ip));
  try {
    const redemption = await deps.codes.redeem({ ...body, idempotencyKey });
    return reply.code(200).send({
      action: redemption.action,
      accountId: redemption.accountId,
      deviceId: redemption.deviceId,
      deviceToken: redemption.deviceToken,
      code: { ...redemption.code, expiresAt: toIso(redemption.code.expiresAt) },
    });
  } catch (error) {
    if (error instanceof CodeError && error.kind === 'code_not_found') {
      // Bounded too: with the redemption's own budget, the answer still comes within 5 s.
      const counted = deps.limiter.recordFailure(request.ip);
      refuseIfBlocked(reply, await settleBy(monotonicNow() + FAILURE_COUNT_BUDGET_MS, counted));
    }
    throw error;
  }
}

/** 429 with Retry-After while the brute-force guard holds the address. */
function refuseIfBlocked(reply: FastifyReply, retryAfterSeconds: number): void {
  if (retryAfterSeconds <= 0) return;
  reply.header('Retry-After', String(retryAfterSeconds));
  throw codeError('rate_limited');
}
