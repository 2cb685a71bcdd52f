/** Routes of sessions and seats: `POST /v1/sessions`, `DELETE /v1/sessions/{id}`, `POST /v1/seats`, `DELETE /v1/seats/{id}`. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, JSON_TYPE, messageRefs } from '@lictor/http-service';
import { ANSWER_SESSION_HEADER } from '@lictor/protocol';
import { RUNTIME_MESSAGES, RuntimeIdParams, RuntimeProofHeaders } from '@lictor/protocol/wire';
import type { FastifyReply } from 'fastify';
import type { LictorRuntime } from '../runtime.js';
import { answerAcquireSeat, answerCloseSession, answerOpenSession, answerReleaseSeat } from './hot-answers.js';

const ref = messageRefs(RUNTIME_MESSAGES);
const closed = { 204: { type: 'null', description: 'Closed' } } as const;

/** Sessions of processes on license files, and floating seats held for applications. */
export const sessionRoutes: FastifyPluginAsyncTypebox<{ runtime: LictorRuntime }> = async (app, { runtime }) => {
  app.post(
    '/v1/sessions',
    {
      schema: {
        operationId: 'openSession',
        summary: 'A process starts using the license file that grants the product (feature): 201 with the session',
        tags: ['sessions'],
        headers: RuntimeProofHeaders,
        body: ref.SessionBody,
        response: { 201: ref.RuntimeSession, ...errorResponses(400, 403, 409, 413) },
      },
    },
    // The JSON text is made as the hot route makes it (`hot-answers.ts`); Fastify sends it as is.
    async (request, reply) =>
      (reply as FastifyReply)
        .code(201)
        .type(JSON_TYPE)
        .send(await answerOpenSession(runtime, request.body, request.headers[ANSWER_SESSION_HEADER])),
  );

  app.delete(
    '/v1/sessions/:id',
    {
      schema: {
        operationId: 'closeSession',
        summary: 'Closes a session',
        tags: ['sessions'],
        params: RuntimeIdParams,
        response: { ...closed, ...errorResponses(400, 403, 404) },
      },
    },
    async (request, reply) => {
      answerCloseSession(runtime, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/seats',
    {
      schema: {
        operationId: 'acquireSeat',
        summary:
          'A floating seat from a License Manager, held (with heartbeats) by the runtime for the application: 201 with the seat',
        tags: ['seats'],
        body: ref.SeatBody,
        response: { 201: ref.RuntimeSeat, ...errorResponses(400, 403, 409, 413, 503) },
      },
    },
    // The JSON text is made as the raw listener makes it (`hot-answers.ts`); Fastify sends it as is.
    async (request, reply) =>
      (reply as FastifyReply)
        .code(201)
        .type(JSON_TYPE)
        .send(await answerAcquireSeat(runtime, request.body)),
  );

  app.delete(
    '/v1/seats/:id',
    {
      schema: {
        operationId: 'releaseSeat',
        summary: 'Gives a seat back to its License Manager',
        tags: ['seats'],
        params: RuntimeIdParams,
        response: { ...closed, ...errorResponses(400, 403, 404) },
      },
    },
    async (request, reply) => {
      await answerReleaseSeat(runtime, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
