/**
 * `GET /v1/events`: server-sent events (`event-stream.ts` writes the stream, for this route and
 * for the raw listener, `hot-routes.ts`, which answers the plainly well-formed requests itself).
 * Here: the query and header checks and the OpenAPI description of what the raw path does not answer.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '@lictor/http-service';
import { EventsQuery } from '@lictor/protocol/wire';
import type { EventStreams } from './event-stream.js';

/** Options of {@link eventRoutes}. */
export interface EventRoutesOptions {
  /** The runtime's open streams, shared with the raw listener. */
  streams: EventStreams;
}

/** The event stream; open streams end when the server closes. */
export const eventRoutes: FastifyPluginAsyncTypebox<EventRoutesOptions> = async (app, { streams }) => {
  app.addHook('preClose', async () => {
    streams.endAll();
  });

  app.get(
    '/v1/events',
    {
      schema: {
        operationId: 'streamEvents',
        summary:
          'Server-sent events: license changes, sessions freed, seats lost and taken again (with ?product=, only those of that product)',
        tags: ['events'],
        querystring: EventsQuery,
        headers: {
          type: 'object',
          properties: { 'last-event-id': { type: 'string', maxLength: 128 } },
        },
        response: {
          200: {
            description: 'A text/event-stream; the data of each event is a RuntimeEvent',
            content: { 'text/event-stream': { schema: { $ref: 'RuntimeEvent#' } } },
          },
          ...errorResponses(400, 403),
        },
      },
    },
    async (request, reply) => {
      const lastEventId = request.headers['last-event-id'];
      reply.hijack();
      streams.open(reply.raw, request.query.product, typeof lastEventId === 'string' ? lastEventId : undefined);
    },
  );
};
