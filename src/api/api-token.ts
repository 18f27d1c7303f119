import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sendError } from './errors.js';

/**
 * The management API's guard (SPEC §3): every route of `api` (an encapsulated plugin) answers
 * 401 unless the request carries `Authorization: Bearer <apiToken>`. The digests are compared in
 * constant time, whatever the length of what was sent.
 */
export function requireApiToken(api: FastifyInstance, apiToken: string): void {
  const expectedDigest = digest(apiToken);
  api.addHook('onRequest', async (request, reply) => {
    const header = request.headers.authorization ?? '';
    const [scheme = '', token = ''] = header.split(' ', 2);
    const bearer = scheme.toLowerCase() === 'bearer' ? token : '';
    if (!timingSafeEqual(digest(bearer), expectedDigest)) {
      reply.header('WWW-Authenticate', 'Bearer');
      return sendError(reply, 401, {
        error: 'unauthorized',
        message: 'A valid API token is needed.',
      });
    }
  });
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
