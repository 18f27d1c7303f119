import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RedisClient } from '../store/connection.js';
import { probeWrites } from '../store/write-probe.js';
import { answer, errorAnswers, errorSchema } from './openapi.js';

const READY_TIMEOUT_MS = 1_000;

const HEALTH_SCHEMA = {
  operationId: 'getLiveness',
  summary: 'Liveness: the process serves',
  tags: ['health'],
  security: [],
  response: {
    200: answer('Alive', z.object({ status: z.literal('ok') })),
    ...errorAnswers([503], { 503: 'unavailable: the service is restarting' }),
  },
};

const READY_SCHEMA = {
  operationId: 'getReadiness',
  summary: 'Readiness: Redis takes writes (on every master of a cluster) within 1 s',
  tags: ['health'],
  security: [],
  response: {
    200: answer('Ready', z.object({ status: z.literal('ready') })),
    503: answer(
      'Redis does not take writes (or the service is restarting: then the error body)',
      z.union([
        z.object({ status: z.literal('redis unavailable'), reason: z.string() }),
        errorSchema,
      ]),
    ),
  },
};

/**
 * Liveness says the process serves; readiness says Redis takes writes (on every master of a
 * cluster) within 1 s: a Redis that answers PING but refuses writes (out of memory, a replica,
 * a failed save, loading) cannot redeem a code, so the balancer should send devices elsewhere.
 */
export function registerHealthRoutes(app: FastifyInstance, redis: RedisClient, keyPrefix: string) {
  app.get('/healthz', { schema: HEALTH_SCHEMA }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: READY_SCHEMA }, async (_request, reply) => {
    const refused = await probeWrites(redis, keyPrefix, READY_TIMEOUT_MS);
    if (refused === null) return reply.code(200).send({ status: 'ready' });
    return reply.code(503).send({ status: 'redis unavailable', reason: refused });
  });
}
