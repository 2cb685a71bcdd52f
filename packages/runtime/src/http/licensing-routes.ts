/** Routes of checks and status: `GET /v1/status`, `POST /v1/check`. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, JSON_TYPE, messageRefs } from '@lictor/http-service';
import { ANSWER_SESSION_HEADER } from '@lictor/protocol';
import { RUNTIME_MESSAGES, RuntimeProofHeaders } from '@lictor/protocol/wire';
import type { FastifyReply } from 'fastify';
import type { LictorRuntime } from '../runtime.js';
import { answerCheck, answerStatus } from './hot-answers.js';

const ref = messageRefs(RUNTIME_MESSAGES);

/** Status and checks. */
export const licensingRoutes: FastifyPluginAsyncTypebox<{ runtime: LictorRuntime }> = async (app, { runtime }) => {
  app.get(
    '/v1/status',
    {
      schema: {
        operationId: 'getStatus',
        summary: "The runtime's id and version, the licenses applications asked about, sessions and seats",
        tags: ['status'],
        response: { 200: ref.RuntimeStatus, ...errorResponses(403) },
      },
    },
    // The JSON text is made as the raw listener makes it (`hot-answers.ts`); Fastify sends it as is.
    async (_request, reply) => (reply as FastifyReply).type(JSON_TYPE).send(answerStatus(runtime)),
  );

  app.post(
    '/v1/check',
    {
      schema: {
        operationId: 'check',
        summary:
          "Is the product (or a feature) licensed on this computer? 200 with the grant; a refusal is an error answer with the SDK's code and reason",
        tags: ['licensing'],
        headers: RuntimeProofHeaders,
        body: ref.CheckBody,
        response: { 200: ref.CheckAnswer, ...errorResponses(400, 403, 413) },
      },
    },
    // The JSON text is made as the hot route makes it (`hot-answers.ts`); Fastify sends it as is.
    async (request, reply) =>
      (reply as FastifyReply)
        .type(JSON_TYPE)
        .send(await answerCheck(runtime, request.body, request.headers[ANSWER_SESSION_HEADER])),
  );
};
