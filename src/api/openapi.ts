import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import {
  createJsonSchemaTransform,
  createJsonSchemaTransformObject,
} from 'fastify-type-provider-zod';
import { z } from 'zod';

/**
 * The OpenAPI document is generated from the routes' own `schema`s (the zod schemas that validate
 * requests), by @fastify/swagger with fastify-type-provider-zod's transforms. The schemas only
 * document: requests are still checked by the handlers (SPEC's `{error, message, fields}`) and
 * answers are written as they are.
 */

/** Named schemas: a body `X` becomes the component `XInput`, an answer `X` the component `X`. */
export const docRegistry = z.registry<{ id?: string; description?: string }>();

/** `schema`, documented by `description` (and named `id`: a component of its own). */
export function documented<T extends z.ZodType>(
  schema: T,
  meta: { id?: string; description?: string },
): T {
  docRegistry.add(schema, meta);
  return schema;
}

export const errorSchema = documented(
  z.object({
    error: z.string(),
    message: z.string(),
    fields: z.record(z.string(), z.string()).optional(),
  }),
  { id: 'Error', description: "SPEC's error answer; `fields` names each invalid field." },
);

type HeaderDoc = Record<string, { type: string; description: string; pattern?: string }>;

export const ETAG_HEADER: HeaderDoc = {
  ETag: {
    type: 'string',
    pattern: '^"\\d+"$',
    description: "The code's version as a strong entity tag; send it back in If-Match.",
  },
};

const RETRY_AFTER_HEADER: HeaderDoc = {
  'Retry-After': {
    type: 'string',
    pattern: '^\\d+$',
    description: 'Seconds to wait before trying again.',
  },
};

/** An answer: a JSON body of `schema`, maybe with response headers. */
export function answer(description: string, schema: z.ZodType, headers?: HeaderDoc) {
  return {
    description,
    ...(headers && { headers }),
    content: { 'application/json': { schema } },
  };
}

const ERROR_DESCRIPTIONS = {
  400: 'invalid_request',
  401: 'unauthorized: no or a wrong API token (WWW-Authenticate: Bearer)',
  403: 'code_disabled: the code is disabled (it keeps its counts and expiry until enabled again)',
  404: 'not found',
  409: 'code_taken: another code has that text',
  410: 'code_expired or code_used_up',
  412: 'version_conflict: If-Match names an older version',
  413: "payload_too_large: the body is over the service's size limit (16 KiB)",
  414: 'uri_too_long: a part of the path is far too long',
  415: 'unsupported_media_type: the body is not sent as application/json',
  422: 'idempotency_key_reused: the Idempotency-Key came with another code',
  429: 'rate_limited: too many attempts with unknown codes (see Retry-After)',
  500: 'internal_error: an unexpected failure (logged)',
  503: 'unavailable: Redis is unreachable, slow or refusing writes, or the service is restarting',
} as const;
export type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

/** The error answers of a route: each status with SPEC's error body; `overrides` say more. */
export function errorAnswers(
  statuses: ErrorStatus[],
  overrides: Partial<Record<ErrorStatus, string>> = {},
) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      answer(
        overrides[status] ?? ERROR_DESCRIPTIONS[status],
        errorSchema,
        status === 429 ? RETRY_AFTER_HEADER : undefined,
      ),
    ]),
  );
}

/** The management API's bearer token. */
export const BEARER = [{ bearer: [] }];

/** fastify-type-provider-zod's transform, keeping each answer's `headers` (which it drops). */
function transformKeepingHeaders(): ReturnType<typeof createJsonSchemaTransform> {
  const transform = createJsonSchemaTransform({ schemaRegistry: docRegistry });
  return (route) => {
    const result = transform(route);
    const response = (route.schema as { response?: Record<string, { headers?: unknown }> })
      ?.response;
    const out = (result.schema as { response?: Record<string, Record<string, unknown>> })?.response;
    for (const [status, spec] of Object.entries(response ?? {})) {
      const target = out?.[status];
      if (spec?.headers && target) target.headers = spec.headers;
    }
    return result;
  };
}

/** The generated document, with only the named schemas that it uses. */
function transformObject(): ReturnType<typeof createJsonSchemaTransformObject> {
  const transform = createJsonSchemaTransformObject({ schemaRegistry: docRegistry });
  return (input) => {
    const document = transform(input) as {
      paths?: unknown;
      components?: { schemas?: Record<string, unknown> };
    };
    const schemas = document.components?.schemas ?? {};
    const used = new Set<string>();
    const visit = (value: unknown) => {
      const text = JSON.stringify(value);
      for (const [, name] of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
        if (name === undefined || used.has(name)) continue;
        used.add(name);
        visit(schemas[name]);
      }
    };
    visit(document.paths);
    if (document.components) {
      document.components.schemas = Object.fromEntries(
        Object.entries(schemas).filter(([name]) => used.has(name)),
      );
    }
    return document as ReturnType<ReturnType<typeof createJsonSchemaTransformObject>>;
  };
}

/**
 * Registers @fastify/swagger (before the routes: it collects them as they are added) and serves
 * the document at `GET /api/v1/openapi.json`. The route schemas document only: requests are
 * never validated, nor answers serialized, from them.
 */
export async function registerOpenApi(app: FastifyInstance) {
  app.setValidatorCompiler(() => (value) => ({ value }));
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'installcode',
        version: '1',
        description: 'Installation codes for new devices: redeem one, and manage them.',
        license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
      },
      servers: [{ url: '/', description: 'This service' }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'API_TOKEN' },
        },
      },
      tags: [
        { name: 'redemption', description: 'What a device does' },
        { name: 'codes', description: 'The management API' },
        {
          name: 'devices',
          description: 'The management API: the tokens of the devices that redemptions installed',
        },
        { name: 'health', description: 'Liveness and readiness' },
        { name: 'meta', description: 'This document' },
      ],
    },
    transform: transformKeepingHeaders(),
    transformObject: transformObject(),
  });
  app.get(
    '/api/v1/openapi.json',
    {
      schema: {
        operationId: 'getOpenApi',
        summary: 'This OpenAPI document',
        tags: ['meta'],
        security: [],
        response: {
          200: answer(
            'The OpenAPI 3.1 document',
            z.looseObject({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) }),
          ),
          ...errorAnswers([503]),
        },
      },
    },
    async () => app.swagger(),
  );
}
