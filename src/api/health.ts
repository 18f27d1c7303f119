import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../store/connection.js';

const READY_TIMEOUT_MS = 1_000;

/** Liveness says the process serves; readiness says Redis answers too. */
export function registerHealthRoutes(app: FastifyInstance, redis: RedisClient) {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const answered = await Promise.race([
      redis.ping().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => setTimeout(resolve, READY_TIMEOUT_MS, false).unref()),
    ]);
    return reply
      .code(answered ? 200 : 503)
      .send({ status: answered ? 'ready' : 'redis unavailable' });
  });
}
