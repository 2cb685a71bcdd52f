/**
 * Public routes answering offline requests. Like `/v1/activations` they need no token: the
 * request's proof of a PIN code is the authorization.
 */
import type { Owner } from '@lictor/protocol';
import type { FastifyPluginAsync } from 'fastify';
import type { Center } from '../center/types.js';
import {
  errorResponses,
  MAX_REQUEST_TEXT,
  offlineCodeAnswerSchema,
  offlineCodeBodySchema,
  offlineFileAnswerSchema,
  offlineRequestBodySchema,
  requestPreviewSchema,
} from './schemas.js';

/** Room for the JSON around a request of the largest accepted size. */
const REQUEST_BODY_LIMIT = MAX_REQUEST_TEXT * 2;

/** Offline answer route plugin. */
export const offlineRoutes: FastifyPluginAsync<{ center: Center }> = async (app, { center }) => {
  app.post(
    '/v1/offline/requests',
    {
      bodyLimit: REQUEST_BODY_LIMIT,
      schema: {
        summary: 'Answer an offline request file with a license file',
        description:
          '201 with a new activation; 200 when the same owner and computer had this PIN already (the same activation). ' +
          'The PIN rules are those of POST /v1/activations.',
        tags: ['offline'],
        body: offlineRequestBodySchema,
        response: {
          200: offlineFileAnswerSchema,
          201: offlineFileAnswerSchema,
          ...errorResponses(400, 403, 409, 413, 429),
        },
      },
    },
    async (request, reply) => {
      const { request: text } = request.body as { request: string };
      const { activationId, reactivated, license } = await center.answerRequest(text, { clientIp: request.ip });
      return reply.code(reactivated ? 200 : 201).send({ activationId, reactivated, license });
    },
  );

  app.post(
    '/v1/offline/requests/preview',
    {
      bodyLimit: REQUEST_BODY_LIMIT,
      schema: {
        summary: 'What answering an offline request file would license; changes nothing',
        description: 'Refuses with the same codes as answering it would.',
        tags: ['offline'],
        body: offlineRequestBodySchema,
        response: { 200: requestPreviewSchema, ...errorResponses(400, 403, 409, 413, 429) },
      },
    },
    async (request) => center.previewRequest((request.body as { request: string }).request, { clientIp: request.ip }),
  );

  app.post(
    '/v1/offline/codes',
    {
      schema: {
        summary: 'Answer an offline request code with an answer code',
        description:
          "201 with a new activation; 200 when the PIN is already active for the same computer (the same subject). 'owner' is the registration data taken down by the vendor.",
        tags: ['offline'],
        body: offlineCodeBodySchema,
        response: {
          200: offlineCodeAnswerSchema,
          201: offlineCodeAnswerSchema,
          ...errorResponses(400, 403, 409, 413, 429),
        },
      },
    },
    async (request, reply) => {
      const { code, owner } = request.body as { code: string; owner: Owner };
      const { activationId, reactivated, answer } = await center.answerRequestCode(code, owner, {
        clientIp: request.ip,
      });
      return reply.code(reactivated ? 200 : 201).send({ activationId, reactivated, answer });
    },
  );
};
