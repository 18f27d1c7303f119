import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../store/connection.js';
import { probeWrites } from '../store/write-probe.js';

const READY_TIMEOUT_MS = 1_000;

/**
 * Liveness says the process serves; readiness says Redis takes writes (on every master of a
 * cluster) within 1 s: a Redis that answers PING but refuses writes (out of memory, a replica,
 * a failed save, loading) cannot redeem a code, so the balancer should send devices elsewhere.
 */
export function registerHealthRoutes(app: FastifyInstance, redis: RedisClient, keyPrefix: string) {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const refused = await probeWrites(redis, keyPrefix, READY_TIMEOUT_MS);
    if (refused === null) return reply.code(200).send({ status: 'ready' });
    return reply.code(503).send({ status: 'redis unavailable', reason: refused });
  });
}
