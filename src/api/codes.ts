import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CodeError } from '../codes/errors.js';
import { API_ACTOR, CODE_STATUSES } from '../codes/model.js';
import { installUrl, renderQrPng } from '../codes/qr.js';
import { codeInputSchema, fieldErrorsOf, MESSAGES } from '../codes/rules.js';
import type { CodeService } from '../use-cases/code-service.js';
import { requireApiToken } from './api-token.js';
import {
  answer,
  BEARER,
  documented,
  type ErrorStatus,
  ETAG_HEADER,
  errorAnswers,
} from './openapi.js';
import { codeViewSchema, historyViewSchema, presentCode, presentHistory } from './present.js';

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

documented(codeInputSchema, { id: 'Code' });
/** Create: the editable fields, `action` required (the handler's rules check the rest). */
const codeCreateSchema = documented(codeInputSchema.required({ action: true }), {
  id: 'CodeCreate',
});
const codeSchema = documented(codeViewSchema, { id: 'CodeView' });
const codePageSchema = documented(
  z.object({
    codes: z.array(codeSchema),
    nextCursor: z.string().nullable(),
  }),
  { id: 'CodePage' },
);
const historySchema = documented(historyViewSchema, { id: 'History' });

const EXTEND_MESSAGES = {
  days: 'a whole number of days from 1 to 365',
  uses: 'a whole number of uses from 1 to 1000000',
  body: 'either {"days": n} or {"uses": n}, one of them',
} as const;

/** One extension a request: days onto the expiry, or uses onto the limit. */
const extendBodySchema = documented(
  z.union(
    [
      z.strictObject({
        days: z
          .number({ error: EXTEND_MESSAGES.days })
          .int(EXTEND_MESSAGES.days)
          .min(1, EXTEND_MESSAGES.days)
          .max(365, EXTEND_MESSAGES.days),
      }),
      z.strictObject({
        uses: z
          .number({ error: EXTEND_MESSAGES.uses })
          .int(EXTEND_MESSAGES.uses)
          .min(1, EXTEND_MESSAGES.uses)
          .max(1_000_000, EXTEND_MESSAGES.uses),
      }),
    ],
    { error: EXTEND_MESSAGES.body },
  ),
  {
    id: 'CodeExtension',
    description:
      'Days count from the expiry while it is ahead, else from now; a code that never expires, or has no usage limit, has nothing to extend (400).',
  },
);

const codeParams = z.object({
  code: documented(z.string(), {
    description: "The code; case, '-', '_' and spaces are ignored.",
  }),
});

const IF_MATCH = /^(?:W\/"(\d{1,15})"|"(\d{1,15})"|(\d{1,15}))$/;
/** Documents the header; the handler checks it. */
const ifMatchHeaders = z.object({
  'If-Match': documented(
    z
      .string()
      .regex(/^(?:W\/"\d{1,15}"|"\d{1,15}"|\d{1,15}|\*)$/)
      .optional(),
    {
      description:
        'The version last seen: 3, "3" or W/"3" (the ETag); an older one answers 412, * matches any version.',
    },
  ),
});

/** What every route with a code in its path may answer besides its own. */
const CODE_PATH_ERRORS: ErrorStatus[] = [400, 401, 404, 414, 500, 503];
const codePathAnswers = (more: ErrorStatus[] = []) =>
  errorAnswers(
    [...CODE_PATH_ERRORS, ...more].sort((a, b) => a - b),
    {
      400: 'invalid_request: a malformed %-escape in the path, a malformed If-Match, or invalid fields (`fields`)',
      404: 'code_not_found: no such code, or it was deleted',
    },
  );

const SCHEMAS = {
  create: {
    operationId: 'createCode',
    summary: 'Create a code (omit `code` to have one generated)',
    tags: ['codes'],
    security: BEARER,
    body: codeCreateSchema,
    response: {
      201: answer('Created', codeSchema, ETAG_HEADER),
      ...errorAnswers([400, 401, 409, 413, 415, 500, 503], {
        400: 'invalid_request: the body is not JSON, or invalid fields (`fields`)',
      }),
    },
  },
  list: {
    operationId: 'listCodes',
    summary: 'List codes, newest first',
    tags: ['codes'],
    security: BEARER,
    querystring: listQuerySchema,
    response: {
      200: answer('A page of codes', codePageSchema),
      ...errorAnswers([400, 401, 500, 503], {
        400: 'invalid_request: a bad, repeated or unknown query parameter (`fields`)',
      }),
    },
  },
  get: {
    operationId: 'getCode',
    summary: 'One code',
    tags: ['codes'],
    security: BEARER,
    params: codeParams,
    response: { 200: answer('The code', codeSchema, ETAG_HEADER), ...codePathAnswers() },
  },
  update: {
    operationId: 'updateCode',
    summary: 'Change a code (partial; may rename it)',
    tags: ['codes'],
    security: BEARER,
    params: codeParams,
    headers: ifMatchHeaders,
    body: codeInputSchema,
    response: {
      200: answer('Changed', codeSchema, ETAG_HEADER),
      ...codePathAnswers([409, 412, 413, 415]),
    },
  },
  extend: {
    operationId: 'extendCode',
    summary:
      'Extend a code: days onto its expiry, or uses onto its limit (brings back a used-up or expired code still kept)',
    tags: ['codes'],
    security: BEARER,
    params: codeParams,
    body: extendBodySchema,
    response: {
      200: answer('Extended', codeSchema, ETAG_HEADER),
      ...codePathAnswers([413, 415]),
    },
  },
  delete: {
    operationId: 'deleteCode',
    summary: 'Delete a code',
    tags: ['codes'],
    security: BEARER,
    params: codeParams,
    headers: ifMatchHeaders,
    response: {
      204: documented(z.undefined(), { description: 'Deleted' }),
      ...codePathAnswers([412, 413, 415]),
    },
  },
  qr: {
    operationId: 'getCodeQr',
    summary: 'The QR image (encodes INSTALL_URL_TEMPLATE with the code)',
    tags: ['codes'],
    security: BEARER,
    params: codeParams,
    response: {
      200: {
        description: 'A PNG image',
        content: { 'image/png': { schema: z.string().meta({ contentMediaType: 'image/png' }) } },
      },
      ...codePathAnswers(),
    },
  },
  history: {
    operationId: 'getCodeHistory',
    summary: 'Recent events of a code',
    tags: ['codes'],
    security: BEARER,
    params: codeParams,
    response: { 200: answer('Recent events', historySchema), ...codePathAnswers() },
  },
};

interface Deps {
  codes: CodeService;
  apiToken: string;
  installUrlTemplate: string;
}

type CodeRequest = FastifyRequest<{ Params: { code: string } }>;

/** The management API of SPEC §3, behind `Authorization: Bearer $API_TOKEN`. */
export function registerCodeRoutes(app: FastifyInstance, deps: Deps) {
  const { codes } = deps;

  app.register(async (api) => {
    requireApiToken(api, deps.apiToken);

    api.post('/api/v1/codes', { schema: SCHEMAS.create }, async (request, reply) => {
      const code = await codes.createCode(request.body, API_ACTOR);
      return withVersion(reply.code(201), code.version).send(presentCode(code, code.updatedAt));
    });

    api.get('/api/v1/codes', { schema: SCHEMAS.list }, async (request) => {
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

    api.get('/api/v1/codes/:code', { schema: SCHEMAS.get }, async (request: CodeRequest, reply) => {
      const [code, now] = await Promise.all([codes.getCode(request.params.code), codes.now()]);
      return withVersion(reply, code.version).send(presentCode(code, now));
    });

    api.patch(
      '/api/v1/codes/:code',
      { schema: SCHEMAS.update },
      async (request: CodeRequest, reply) => {
        const expectedVersion = ifMatchVersion(request);
        const code = await codes.updateCode(request.params.code, request.body, API_ACTOR, {
          expectedVersion,
        });
        // The change's own clock reading: no second round trip to show its status.
        return withVersion(reply, code.version).send(presentCode(code, code.updatedAt));
      },
    );

    api.post(
      '/api/v1/codes/:code/extend',
      { schema: SCHEMAS.extend },
      async (request: CodeRequest, reply) => {
        const body = extendBodySchema.safeParse(request.body);
        if (!body.success) throw extendRefusal(request.body);
        const code = await codes.extendCode(request.params.code, body.data, API_ACTOR);
        return withVersion(reply, code.version).send(presentCode(code, code.updatedAt));
      },
    );

    api.delete(
      '/api/v1/codes/:code',
      { schema: SCHEMAS.delete },
      async (request: CodeRequest, reply) => {
        const expectedVersion = ifMatchVersion(request);
        await codes.deleteCode(request.params.code, expectedVersion);
        return reply.code(204).send();
      },
    );

    api.get(
      '/api/v1/codes/:code/qr.png',
      { schema: SCHEMAS.qr },
      async (request: CodeRequest, reply) => {
        const code = await codes.getCode(request.params.code);
        const png = await renderQrPng(installUrl(deps.installUrlTemplate, code.code));
        return reply.type('image/png').header('Cache-Control', 'no-store').send(png);
      },
    );

    api.get(
      '/api/v1/codes/:code/history',
      { schema: SCHEMAS.history },
      async (request: CodeRequest) => {
        return presentHistory(await codes.history(request.params.code));
      },
    );
  });
}

/** The field at fault when the body names one of days or uses alone, else the body as a whole. */
function extendRefusal(raw: unknown): CodeError {
  const names = raw && typeof raw === 'object' ? Object.keys(raw) : [];
  const [only] = names;
  const fields =
    names.length === 1 && (only === 'days' || only === 'uses')
      ? { [only]: EXTEND_MESSAGES[only] }
      : { body: EXTEND_MESSAGES.body };
  return new CodeError('invalid_request', 'The extension is not valid.', fields);
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
  const match = IF_MATCH.exec(value);
  if (!match) {
    throw new CodeError('invalid_request', 'If-Match must be a version number.', {
      'If-Match': 'the version of the code: 3, "3", W/"3", or * for any',
    });
  }
  return Number(match[1] ?? match[2] ?? match[3]);
}
