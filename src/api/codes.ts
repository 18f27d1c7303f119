import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CodeError } from '../codes/errors.js';
import { API_ACTOR, CODE_STATUSES } from '../codes/model.js';
import { installUrl, renderQrPng } from '../codes/qr.js';
import { fieldErrorsOf, MESSAGES } from '../codes/rules.js';
import type { CodeService } from '../use-cases/code-service.js';
import { sendError } from './errors.js';
import { presentCode, presentHistory } from './present.js';

const QUERY_MESSAGES = {
  limit: 'a whole number from 1 to 100',
  cursor: 'a nextCursor from an earlier page',
  q: 'text to search for, at most 200 characters, given once',
  status: `one of ${CODE_STATUSES.join(', ')}, given once`,
} as const;

/** Each message names what is wanted, also for `?limit=abc` (NaN) and a parameter given twice (an array). */
export const listQuerySchema = z.strictObject({
  limit: z.coerce
    .number({ error: QUERY_MESSAGES.limit })
    .int(QUERY_MESSAGES.limit)
    .min(1, QUERY_MESSAGES.limit)
    .max(100, QUERY_MESSAGES.limit)
    .default(20),
  cursor: z
    .string({ error: QUERY_MESSAGES.cursor })
    .regex(/^[0-9a-z]{9}[0-9A-Za-z]{1,64}$/, QUERY_MESSAGES.cursor)
    .optional(),
  q: z.string({ error: QUERY_MESSAGES.q }).max(200, QUERY_MESSAGES.q).optional(),
  status: z.enum(CODE_STATUSES, { error: QUERY_MESSAGES.status }).optional(),
});

interface Deps {
  codes: CodeService;
  apiToken: string;
  installUrlTemplate: string;
}

type CodeRequest = FastifyRequest<{ Params: { code: string } }>;

/** The management API of SPEC §3, behind `Authorization: Bearer $API_TOKEN`. */
export function registerCodeRoutes(app: FastifyInstance, deps: Deps) {
  const { codes } = deps;
  const expectedDigest = digest(deps.apiToken);

  app.register(async (api) => {
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

    api.post('/api/v1/codes', async (request, reply) => {
      const code = await codes.createCode(request.body, API_ACTOR);
      return withVersion(reply.code(201), code.version).send(presentCode(code, code.updatedAt));
    });

    api.get('/api/v1/codes', async (request) => {
      const query = listQuerySchema.safeParse(request.query);
      if (!query.success)
        throw new CodeError(
          'invalid_request',
          'The query is not valid.',
          fieldErrorsOf(query.error, MESSAGES.unknownParameter),
        );
      const [page, now] = await Promise.all([codes.listCodes(query.data), codes.now()]);
      return {
        codes: page.codes.map((code) => presentCode(code, now)),
        nextCursor: page.nextCursor,
      };
    });

    api.get('/api/v1/codes/:code', async (request: CodeRequest, reply) => {
      const [code, now] = await Promise.all([codes.getCode(request.params.code), codes.now()]);
      return withVersion(reply, code.version).send(presentCode(code, now));
    });

    api.patch('/api/v1/codes/:code', async (request: CodeRequest, reply) => {
      const expectedVersion = ifMatchVersion(request);
      const code = await codes.updateCode(request.params.code, request.body, API_ACTOR, {
        expectedVersion,
      });
      // The change's own clock reading: no second round trip to show its status.
      return withVersion(reply, code.version).send(presentCode(code, code.updatedAt));
    });

    api.delete('/api/v1/codes/:code', async (request: CodeRequest, reply) => {
      const expectedVersion = ifMatchVersion(request);
      await codes.deleteCode(request.params.code, expectedVersion);
      return reply.code(204).send();
    });

    api.get('/api/v1/codes/:code/qr.png', async (request: CodeRequest, reply) => {
      const code = await codes.getCode(request.params.code);
      const png = await renderQrPng(installUrl(deps.installUrlTemplate, code.code));
      return reply.type('image/png').header('Cache-Control', 'no-store').send(png);
    });

    api.get('/api/v1/codes/:code/history', async (request: CodeRequest) => {
      return presentHistory(await codes.history(request.params.code));
    });
  });
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function withVersion(reply: FastifyReply, version: number): FastifyReply {
  return reply.header('ETag', `"${version}"`);
}

/** `If-Match: 3`, `"3"` or `W/"3"`: the version the client last saw. */
function ifMatchVersion(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const value = String(header).trim();
  // `*` matches whatever version the code has (RFC 9110 §13.1.1): the write is unconditional.
  if (value === '*') return undefined;
  // An entity tag, strong or weak, or our bare version number; never half-quoted.
  const match = /^(?:W\/"(\d{1,15})"|"(\d{1,15})"|(\d{1,15}))$/.exec(value);
  if (!match) {
    throw new CodeError('invalid_request', 'If-Match must be a version number.', {
      'If-Match': 'the version of the code: 3, "3", W/"3", or * for any',
    });
  }
  return Number(match[1] ?? match[2] ?? match[3]);
}
