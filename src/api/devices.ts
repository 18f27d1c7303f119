import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { toIso } from '../codes/durations.js';
import { codeError } from '../codes/errors.js';
import { ACCOUNT_OR_DEVICE_ID, MESSAGES, parseRequest } from '../codes/rules.js';
import type { CodeService } from '../use-cases/code-service.js';
import { requireApiToken } from './api-token.js';
import { answer, BEARER, documented, errorAnswers } from './openapi.js';

const DEVICE_TOKEN_MESSAGE = 'the deviceToken that the redemption answered, as text';
/** Ours are 43 characters; a longer one cannot be ours, and is not worth hashing. */
const MAX_DEVICE_TOKEN_LENGTH = 256;

const deviceIdSchema = z
  .string({ error: MESSAGES.deviceId })
  .regex(ACCOUNT_OR_DEVICE_ID, { error: MESSAGES.deviceId });

export const verifyDeviceRequestSchema = documented(
  z.strictObject({
    deviceId: deviceIdSchema,
    deviceToken: z
      .string({ error: DEVICE_TOKEN_MESSAGE })
      .min(1, DEVICE_TOKEN_MESSAGE)
      .max(MAX_DEVICE_TOKEN_LENGTH, DEVICE_TOKEN_MESSAGE),
  }),
  { id: 'DeviceVerificationRequest' },
);

export const deviceVerificationSchema = documented(
  z.discriminatedUnion('valid', [
    z.strictObject({
      valid: z.literal(true),
      deviceId: z.string(),
      accountId: z.string().nullable(),
      redeemedAt: z.iso.datetime(),
    }),
    z.strictObject({ valid: z.literal(false) }),
  ]),
  {
    id: 'DeviceVerification',
    description:
      'valid: the token is the one the latest redemption of the device issued, not revoked, and the device is kept for DEVICE_RETENTION from now; accountId is null for a device that a use_existing_device code installed. Otherwise only {"valid": false}, alike for a wrong token, an unknown and a revoked device.',
  },
);

const deviceParams = z.object({
  deviceId: documented(z.string(), {
    description: 'The deviceId that the redemption answered.',
  }),
});

const SCHEMAS = {
  verify: {
    operationId: 'verifyDevice',
    summary: 'Check that a device token is the one issued to the device',
    tags: ['devices'],
    security: BEARER,
    body: verifyDeviceRequestSchema,
    response: {
      200: answer('Whether the token is the one issued to the device', deviceVerificationSchema),
      ...errorAnswers([400, 401, 413, 415, 500, 503], {
        400: 'invalid_request: the body is not JSON, or a field is missing, of the wrong type or unknown (`fields`)',
      }),
    },
  },
  revoke: {
    operationId: 'revokeDevice',
    summary: "Revoke a device's token (it no longer verifies)",
    tags: ['devices'],
    security: BEARER,
    params: deviceParams,
    response: {
      204: documented(z.undefined(), { description: 'Revoked' }),
      ...errorAnswers([400, 401, 404, 413, 414, 415, 500, 503], {
        400: 'invalid_request: a malformed %-escape in the path, or a body that is not JSON',
        404: 'device_not_found: no such device, or its token was revoked already',
      }),
    },
  },
};

interface Deps {
  codes: CodeService;
  apiToken: string;
}

type DeviceRequest = FastifyRequest<{ Params: { deviceId: string } }>;

/**
 * The device registry's side of the management API, behind the same bearer token: a
 * device-management system checks the tokens of devices enrolled here, and revokes them.
 */
export function registerDeviceRoutes(app: FastifyInstance, deps: Deps) {
  const { codes } = deps;

  app.register(async (api) => {
    requireApiToken(api, deps.apiToken);

    api.post('/api/v1/devices/verify', { schema: SCHEMAS.verify }, async (request) => {
      const body = parseRequest(verifyDeviceRequestSchema, request.body);
      const verification = await codes.verifyDevice(body.deviceId, body.deviceToken);
      if (!verification.valid) return { valid: false };
      return {
        valid: true,
        deviceId: verification.deviceId,
        accountId: verification.accountId,
        redeemedAt: toIso(verification.redeemedAt),
      };
    });

    api.delete(
      '/api/v1/devices/:deviceId',
      { schema: SCHEMAS.revoke },
      async (request: DeviceRequest, reply) => {
        const { deviceId } = request.params;
        // No device is ever written under an ID outside the rule (nor braces, a key's hash tag).
        if (!deviceIdSchema.safeParse(deviceId).success) throw codeError('device_not_found');
        await codes.revokeDevice(deviceId);
        return reply.code(204).send();
      },
    );
  });
}
