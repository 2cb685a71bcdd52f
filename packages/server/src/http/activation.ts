/** Public routes used by applications: activation and the blacklist. */
import type { ActivationRequest } from '@lictor/protocol';
import type { FastifyPluginAsync } from 'fastify';
import type { Center } from '../center/types.js';
import { activationRequestSchema, activationResponseSchema, errorResponses } from './schemas.js';

/** Activation route plugin. */
export const activationRoutes: FastifyPluginAsync<{ center: Center }> = async (app, { center }) => {
  app.post(
    '/v1/activations',
    {
      schema: {
        summary: 'Activate a PIN code of a package on a computer',
        description:
          '201 with a new license file; 200 when the same owner activates the same PIN on the same computer again.',
        tags: ['activation'],
        body: activationRequestSchema,
        response: {
          200: activationResponseSchema,
          201: activationResponseSchema,
          ...errorResponses(400, 403, 409, 413),
        },
      },
    },
    async (request, reply) => {
      const result = await center.activate(request.body as ActivationRequest, { clientIp: request.ip });
      return reply.code(result.reactivated ? 200 : 201).send(result);
    },
  );

  app.get(
    '/v1/blacklist',
    {
      schema: {
        summary: 'The signed blacklist file',
        tags: ['activation'],
        produces: ['text/plain'],
        response: {
          200: { type: 'string', description: 'Armored LICTOR BLACKLIST block' },
          ...errorResponses(),
        },
      },
    },
    async (_request, reply) => reply.type('text/plain; charset=utf-8').send(await center.blacklistFile()),
  );
};
