/**
 * Public routes answering offline requests. Like `/v1/activations` they need no token: the
 * request's proof of a PIN code is the authorization.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '@lictor/http-service';
import { MAX_REQUEST_TEXT } from '@lictor/protocol/wire';
import type { Center } from '../center/types.js';
import { ref } from './messages.js';

/** Room for the JSON around a request of the largest accepted size. */
const REQUEST_BODY_LIMIT = MAX_REQUEST_TEXT * 2;

/** Offline answer route plugin. */
export const offlineRoutes: FastifyPluginAsyncTypebox<{ center: Center }> = async (app, { center }) => {
  app.post(
    '/v1/offline/requests',
    {
      bodyLimit: REQUEST_BODY_LIMIT,
      schema: {
        operationId: 'answerRequestFile',
        summary: 'Answer an offline request file with a license file',
        description:
          '201 with a new activation; 200 when the same owner and computer had this PIN already (the same activation). ' +
          'The PIN rules are those of POST /v1/activations.',
        tags: ['offline'],
        body: ref.OfflineRequest,
        response: {
          200: ref.OfflineFileAnswer,
          201: ref.OfflineFileAnswer,
          ...errorResponses(400, 403, 409, 413, 429),
        },
      },
    },
    async (request, reply) => {
      const { request: text } = request.body;
      const { activationId, reactivated, license, preview } = await center.answerRequest(text, {
        clientIp: request.ip,
      });
      request.log.info({ serial: preview.serial, activationId, reactivated, channel: 'file' }, 'activation');
      return reply.code(reactivated ? 200 : 201).send({ activationId, reactivated, license });
    },
  );

  app.post(
    '/v1/offline/requests/preview',
    {
      bodyLimit: REQUEST_BODY_LIMIT,
      schema: {
        operationId: 'previewRequestFile',
        summary: 'What answering an offline request file would license; changes nothing',
        description: 'Refuses with the same codes as answering it would.',
        tags: ['offline'],
        body: ref.OfflineRequest,
        response: { 200: ref.RequestPreview, ...errorResponses(400, 403, 409, 413, 429) },
      },
    },
    async (request) => center.previewRequest(request.body.request, { clientIp: request.ip }),
  );

  app.post(
    '/v1/offline/codes',
    {
      schema: {
        operationId: 'answerRequestCode',
        summary: 'Answer an offline request code with an answer code',
        description:
          "201 with a new activation; 200 when the PIN is already active for the same computer (the same subject). 'owner' is the registration data taken down by the vendor.",
        tags: ['offline'],
        body: ref.OfflineCode,
        response: {
          200: ref.OfflineCodeAnswer,
          201: ref.OfflineCodeAnswer,
          ...errorResponses(400, 403, 409, 413, 429),
        },
      },
    },
    async (request, reply) => {
      const { code, owner } = request.body;
      const { activationId, reactivated, answer, preview } = await center.answerRequestCode(code, owner, {
        clientIp: request.ip,
      });
      request.log.info({ serial: preview.serial, activationId, reactivated, channel: 'code' }, 'activation');
      return reply.code(reactivated ? 200 : 201).send({ activationId, reactivated, answer });
    },
  );
};
