/** `GET /healthz`: the service answers and its database responds. */
import type { FastifyPluginAsync } from 'fastify';
import type { Center } from '../center/types.js';
import { errorResponses } from './schemas.js';

/** Health route plugin. */
export const healthRoutes: FastifyPluginAsync<{ center: Center }> = async (app, { center }) => {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Health check: runs a trivial database query',
        tags: ['health'],
        response: {
          200: {
            type: 'object',
            required: ['status', 'database'],
            properties: {
              status: { type: 'string', enum: ['ok'] },
              database: { type: 'string', enum: ['sqlite', 'postgres'] },
            },
          },
          ...errorResponses(),
        },
      },
    },
    async () => {
      await center.ping();
      return { status: 'ok', database: center.databaseKind };
    },
  );
};
