/** OpenAPI description of every route, served at `GET /openapi.json`. */
import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';

/**
 * Registers @fastify/swagger on the root instance. It must be registered before the route
 * plugins: it collects routes as they are added.
 */
export function registerOpenApi(app: FastifyInstance, version: string): void {
  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Lictor License Center',
        version,
        description:
          'Activation of PIN codes (online, and offline by request file or request code), blacklist, and the vendor admin API. ' +
          'The self-service page for offline requests is GET /activate (HTML).',
      },
      components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } } },
    },
    refResolver: {
      // Shared schemas appear under their own $id in components.schemas.
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });
}

/** `GET /openapi.json`. */
export const openApiRoute: FastifyPluginAsync = async (app) => {
  app.get(
    '/openapi.json',
    {
      schema: {
        summary: 'This OpenAPI document',
        tags: ['health'],
        response: { 200: { type: 'object', additionalProperties: true } },
      },
    },
    async () => app.swagger(),
  );
};
