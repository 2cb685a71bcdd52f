/**
 * OpenAPI of a Lictor HTTP service, served at `GET /openapi.json`: every route has an
 * `operationId`, and request and answer bodies are named schemas (`components.schemas`).
 */
import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifyPluginAsync, FastifySchema } from 'fastify';
import { type Static, type TSchema, type TUnsafe, Type } from 'typebox';

/** What the document says about the service. */
export interface OpenApiInfo {
  title: string;
  version: string;
  description: string;
}

/** The schema of a route left out of the OpenAPI document (HTML pages). */
export const HIDDEN_ROUTE: FastifySchema = { hide: true };

/**
 * Registers @fastify/swagger on the root instance. It must be registered before the route
 * plugins: it collects routes as they are added.
 */
export function registerOpenApi(app: FastifyInstance, info: OpenApiInfo): void {
  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info,
      components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } } },
    },
    refResolver: {
      // Shared schemas appear under their own $id in components.schemas.
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });
}

/** `GET /openapi.json`, whose answer is the named schema `OpenApiDocument`. */
export const openApiRoute: FastifyPluginAsync = async (app) => {
  app.addSchema({
    $id: 'OpenApiDocument',
    type: 'object',
    additionalProperties: true,
    description: 'An OpenAPI 3.1 document',
  });
  app.get(
    '/openapi.json',
    {
      schema: {
        operationId: 'getOpenApi',
        summary: 'This OpenAPI document',
        tags: ['health'],
        response: { 200: { $ref: 'OpenApiDocument#' } },
      },
    },
    async () => app.swagger(),
  );
};

/**
 * Adds each message as a shared schema named by its key (its `components.schemas` name in
 * OpenAPI); routes point to it with {@link messageRef}.
 */
export function addMessages(app: FastifyInstance, messages: Readonly<Record<string, TSchema>>): void {
  for (const [name, schema] of Object.entries(messages)) app.addSchema({ ...schema, $id: name });
}

/**
 * A `$ref` to each message added by {@link addMessages}, typed as the message, so the TypeBox
 * type provider still types `request.body` and the reply.
 */
export function messageRefs<const M extends Readonly<Record<string, TSchema>>>(
  messages: M,
): { readonly [N in keyof M]: TUnsafe<Static<M[N]>> } {
  const refs: Record<string, TSchema> = {};
  for (const name of Object.keys(messages)) refs[name] = Type.Unsafe({ $ref: `${name}#` });
  return refs as { readonly [N in keyof M]: TUnsafe<Static<M[N]>> };
}
