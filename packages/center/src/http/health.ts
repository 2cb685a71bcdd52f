/** `GET /healthz`: the service answers and its database responds. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '@lictor/http-service';
import type { Center } from '../center/types.js';
import { ref } from './messages.js';

/** Health route plugin. */
export const healthRoutes: FastifyPluginAsyncTypebox<{ center: Center }> = async (app, { center }) => {
  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'health',
        summary: 'Health check: runs a trivial database query',
        tags: ['health'],
        response: {
          200: ref.Health,
          ...errorResponses(),
        },
      },
    },
    async () => {
      await center.ping();
      return { status: 'ok' as const, database: center.databaseKind };
    },
  );
};
