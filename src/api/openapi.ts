import { z } from 'zod';
import { codeInputSchema } from '../codes/rules.js';
import { listQuerySchema } from './codes.js';
import { codeViewSchema, historyViewSchema } from './present.js';
import { redeemRequestSchema, redemptionSchema } from './redeem.js';

const errorSchema = z.object({
  error: z.string(),
  message: z.string(),
  fields: z.record(z.string(), z.string()).optional(),
});

const schema = (s: z.ZodType, io: 'input' | 'output' = 'output') =>
  z.toJSONSchema(s, { io, unrepresentable: 'any' });
const json = (ref: string) => ({
  'application/json': { schema: { $ref: `#/components/schemas/${ref}` } },
});
const error = (description: string) => ({ description, content: json('Error') });
const codeParam = {
  name: 'code',
  in: 'path',
  required: true,
  description: 'The code; case, -, _ and spaces are ignored.',
  schema: { type: 'string' },
};
const ifMatch = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description: 'The version last seen; a newer one answers 412.',
  schema: { type: 'string' },
};
const secured = { security: [{ bearer: [] }] };
const codeAnswers = {
  '400': error('invalid_request: a malformed %-escape in the path, or a malformed If-Match'),
  '401': error('No or wrong API token'),
  '404': error('No such code'),
  '414': error('uri_too_long: the code in the path is far too long'),
};
/** What every route that takes a JSON body may answer about the body itself. */
const bodyAnswers = {
  '413': error("payload_too_large: the body is over the service's size limit"),
  '415': error('unsupported_media_type: the body is not sent as application/json'),
};

/** The OpenAPI 3.1 document, derived from the same zod schemas that validate requests. */
export function buildOpenApi() {
  const listParameters = Object.entries(schema(listQuerySchema, 'input').properties ?? {}).map(
    ([name, s]) => ({ name, in: 'query', required: false, schema: s }),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'installcode',
      version: '1',
      description: 'Installation codes for new devices.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        CodeInput: schema(codeInputSchema, 'input'),
        Code: schema(codeViewSchema),
        CodePage: schema(
          z.object({ codes: z.array(codeViewSchema), nextCursor: z.string().nullable() }),
        ),
        History: schema(historyViewSchema),
        RedeemRequest: schema(redeemRequestSchema, 'input'),
        Redemption: schema(redemptionSchema),
        Error: schema(errorSchema),
      },
    },
    paths: {
      '/api/v1/redeem': {
        post: {
          summary: 'Redeem a code (devices; the code is the credential)',
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              schema: { type: 'string', maxLength: 64 },
            },
          ],
          requestBody: { required: true, content: json('RedeemRequest') },
          responses: {
            '200': { description: 'Redeemed', content: json('Redemption') },
            '400': error('invalid_request'),
            '404': error('code_not_found'),
            '410': error('code_expired or code_used_up'),
            ...bodyAnswers,
            '422': error('idempotency_key_reused'),
            '429': error('rate_limited (Retry-After is set)'),
            '503': error('unavailable'),
          },
        },
      },
      '/api/v1/codes': {
        post: {
          ...secured,
          summary: 'Create a code (omit `code` to have one generated)',
          requestBody: { required: true, content: json('CodeInput') },
          responses: {
            '201': { description: 'Created', content: json('Code') },
            '400': error('invalid_request, with `fields`'),
            '401': error('unauthorized'),
            '409': error('code_taken'),
            ...bodyAnswers,
          },
        },
        get: {
          ...secured,
          summary: 'List codes, newest first',
          parameters: listParameters,
          responses: {
            '200': { description: 'A page', content: json('CodePage') },
            '400': error('invalid_request, with `fields`: a bad or unknown query parameter'),
            '401': error('unauthorized'),
          },
        },
      },
      '/api/v1/codes/{code}': {
        parameters: [codeParam],
        get: {
          ...secured,
          summary: 'One code',
          responses: { '200': { description: 'The code', content: json('Code') }, ...codeAnswers },
        },
        patch: {
          ...secured,
          summary: 'Change a code (partial; may rename it)',
          parameters: [ifMatch],
          requestBody: { required: true, content: json('CodeInput') },
          responses: {
            '200': { description: 'Changed', content: json('Code') },
            '409': error('code_taken'),
            '412': error('version_conflict'),
            ...codeAnswers,
            '400': error('invalid_request, with `fields`; or a malformed path or If-Match'),
            ...bodyAnswers,
          },
        },
        delete: {
          ...secured,
          summary: 'Delete a code',
          parameters: [ifMatch],
          responses: {
            '204': { description: 'Deleted' },
            '412': error('version_conflict'),
            ...codeAnswers,
          },
        },
      },
      '/api/v1/codes/{code}/qr.png': {
        parameters: [codeParam],
        get: {
          ...secured,
          summary: 'The QR image (encodes INSTALL_URL_TEMPLATE with the code)',
          responses: {
            '200': { description: 'PNG', content: { 'image/png': {} } },
            ...codeAnswers,
          },
        },
      },
      '/api/v1/codes/{code}/history': {
        parameters: [codeParam],
        get: {
          ...secured,
          summary: 'Recent events',
          responses: { '200': { description: 'Events', content: json('History') }, ...codeAnswers },
        },
      },
    },
  };
}
