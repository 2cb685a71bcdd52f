/** The License Manager's HTTP service: leases for clients, status, and admin routes. */

import {
  errorBodySchema,
  errorResponses,
  failureAnswer,
  loggerOptions,
  type ServiceLoggerOption,
} from '@lictor/http-service';
import { type ErrorBody, LictorError } from '@lictor/protocol';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { type LicenseManager, MANAGER_EVENT_KINDS } from './manager.js';
import { proofRequest, proofSchema, SeatProofs } from './seat-proofs.js';
import type { AcquireRequest, Lease } from './types.js';
import { managerWebRoutes } from './web.js';

/** Request bodies above this size are refused with 413 before parsing. */
export const MANAGER_BODY_LIMIT = 4 * 1024;

/** Log paths that may hold a secret; pino writes `[Redacted]` instead. */
const REDACT = ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'];
const BEARER = /^Bearer\s+(\S+)\s*$/i;
const security = [{ adminToken: [] }];

/** Options of {@link buildManagerServer}. */
export interface ManagerServerOptions {
  /** `true` for info-level JSON logs, or pino options (`level`, `stream`, …); default no logs. */
  logger?: ServiceLoggerOption;
  /** Signs lease answers for clients that send a nonce (see `seat-proofs.ts`); default: no proofs. */
  proofs?: SeatProofs;
}

const text128 = { type: 'string', maxLength: 128 } as const;
const name128 = { type: 'string', minLength: 1, maxLength: 128 } as const;
const isoTime = { type: 'string', description: 'ISO 8601 time' } as const;

const clientSchema = {
  type: 'object',
  required: ['host', 'user', 'process', 'session'],
  additionalProperties: false,
  properties: { host: name128, user: text128, process: text128, session: text128 },
} as const;

const acquireBodySchema = {
  type: 'object',
  required: ['product', 'client'],
  additionalProperties: false,
  properties: { product: name128, feature: name128, client: clientSchema, leaseId: name128 },
} as const;

const leaseProperties = {
  id: { type: 'string' },
  product: { type: 'string' },
  feature: { type: ['string', 'null'] },
  licenseId: { type: 'string' },
  source: { type: 'string', enum: ['software', 'token'] },
  grantedAt: isoTime,
  expiresAt: { ...isoTime, description: 'The lease deadline if no heartbeat comes' },
  heartbeatIntervalMs: { type: 'number' },
} as const;
const leaseRequired = [
  'id',
  'product',
  'feature',
  'licenseId',
  'source',
  'grantedAt',
  'expiresAt',
  'heartbeatIntervalMs',
] as const;

const leaseBodySchema = { type: 'object', required: leaseRequired, properties: leaseProperties } as const;

/** The answer to `POST /v1/leases`, granted (201) or renewed (200). */
const acquireAnswerSchema = {
  type: 'object',
  required: ['lease', 'renewed'],
  properties: { lease: leaseBodySchema, renewed: { type: 'boolean' }, proof: proofSchema },
} as const;

const adminLeaseSchema = {
  type: 'object',
  required: [...leaseRequired, 'client', 'heartbeatAt'],
  properties: { ...leaseProperties, client: clientSchema, heartbeatAt: isoTime },
} as const;

const leaseIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: name128 },
} as const;

const usageSchema = {
  type: 'object',
  required: ['product', 'licenseId', 'inUse', 'total', 'source', 'features'],
  properties: {
    product: { type: 'string' },
    licenseId: { type: 'string' },
    inUse: { type: 'integer' },
    total: { type: 'integer' },
    source: { type: 'string' },
    features: {
      type: 'array',
      items: {
        type: 'object',
        required: ['code', 'inUse', 'total'],
        properties: { code: { type: 'string' }, inUse: { type: 'integer' }, total: { type: ['integer', 'null'] } },
      },
    },
  },
} as const;

const eventSchema = {
  type: 'object',
  required: ['at', 'kind'],
  properties: {
    at: isoTime,
    kind: { type: 'string', enum: MANAGER_EVENT_KINDS },
    leaseId: { type: 'string' },
    product: { type: 'string' },
    client: clientSchema,
    detail: { type: 'string' },
  },
} as const;

const statusSchema = {
  type: 'object',
  required: ['manager', 'heartbeatIntervalMs', 'leaseTtlMs', 'products'],
  properties: {
    manager: {
      type: 'object',
      required: ['id', 'version'],
      properties: { id: { type: 'string' }, version: { type: 'string' } },
    },
    heartbeatIntervalMs: { type: 'number' },
    leaseTtlMs: { type: 'number' },
    products: {
      type: 'array',
      items: {
        type: 'object',
        required: ['product', 'inUse', 'total'],
        properties: { product: { type: 'string' }, inUse: { type: 'integer' }, total: { type: 'integer' } },
      },
    },
  },
} as const;

function leaseUnknown(id: string): LictorError {
  return new LictorError(
    'LICTOR_E_LEASE_UNKNOWN',
    `lease '${id}' is unknown: it expired, was released, or never existed; acquire a seat again`,
  );
}

/** The answer to `POST /v1/leases`, before its proof. */
function answerOf(manager: LicenseManager, lease: Lease, renewed: boolean) {
  return { lease: manager.leaseBody(lease), renewed };
}

/** Client routes: leases and status. */
const clientRoutes: FastifyPluginAsync<{ manager: LicenseManager; proofs: SeatProofs }> = async (
  app,
  { manager, proofs },
) => {
  app.post(
    '/v1/leases',
    {
      schema: {
        body: acquireBodySchema,
        response: {
          200: acquireAnswerSchema,
          201: acquireAnswerSchema,
          ...errorResponses(400, 403, 409, 413),
        },
      },
    },
    async (request, reply) => {
      const body = request.body as AcquireRequest;
      const { nonce, session } = proofRequest(request.headers);
      // Access rules judge the address seen on the socket, never one the client could send.
      // Node forgets it once the socket closes: no address, no seat (address rules must not be skipped).
      const address = request.ip;
      if (typeof address !== 'string' || address === '') {
        throw new LictorError(
          'LICTOR_E_ACCESS_DENIED',
          'the connection closed before its address was known; try again',
        );
      }
      const result = manager.acquire({ ...body, address });
      switch (result.kind) {
        case 'granted':
          request.log.info({ leaseId: result.lease.id, product: body.product }, 'lease granted');
          return reply
            .code(201)
            .send(proofs.sign('lease', result.lease, nonce, answerOf(manager, result.lease, false), session));
        case 'renewed':
          return reply
            .code(200)
            .send(proofs.sign('lease', result.lease, nonce, answerOf(manager, result.lease, true), session));
        case 'exhausted':
          if (result.limit !== undefined) {
            throw new LictorError('LICTOR_E_SEATS_EXHAUSTED', result.limit.reason, {
              inUse: result.inUse,
              total: result.total,
              rule: result.limit.rule,
            });
          }
          throw new LictorError(
            'LICTOR_E_SEATS_EXHAUSTED',
            `all ${result.total} seat(s) for '${body.product}' are in use; try again later`,
            { inUse: result.inUse, total: result.total },
          );
        case 'not-licensed':
          throw new LictorError('LICTOR_E_NOT_LICENSED', result.reason);
        case 'expired':
          throw new LictorError('LICTOR_E_LICENSE_EXPIRED', result.reason);
        case 'denied':
          throw new LictorError('LICTOR_E_ACCESS_DENIED', result.reason, { rules: result.rules });
      }
    },
  );

  app.post(
    '/v1/leases/:id/heartbeat',
    {
      schema: {
        params: leaseIdParams,
        response: {
          200: { type: 'object', required: ['lease'], properties: { lease: leaseBodySchema, proof: proofSchema } },
          ...errorResponses(400, 404, 413),
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const { nonce, session } = proofRequest(request.headers);
      const result = manager.heartbeat(id);
      if (result.kind !== 'renewed') throw leaseUnknown(id);
      return proofs.sign('heartbeat', result.lease, nonce, { lease: manager.leaseBody(result.lease) }, session);
    },
  );

  app.delete(
    '/v1/leases/:id',
    {
      schema: {
        params: leaseIdParams,
        response: { 204: { type: 'null', description: 'Released' }, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!manager.release(id)) throw leaseUnknown(id);
      return reply.code(204).send();
    },
  );

  app.get('/v1/status', { schema: { response: { 200: statusSchema } } }, async () => manager.status());
};

/** Admin routes behind `Authorization: Bearer <admin token>`. */
const adminRoutes: FastifyPluginAsync<{ manager: LicenseManager }> = async (app, { manager }) => {
  app.addHook('onRequest', async (request) => {
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (token === undefined || !manager.verifyAdminToken(token)) {
      throw new LictorError(
        'LICTOR_E_UNAUTHORIZED',
        "send the License Manager's admin token as 'Authorization: Bearer <token>'",
      );
    }
  });

  app.get(
    '/v1/admin/leases',
    {
      schema: {
        security,
        response: {
          200: {
            type: 'object',
            required: ['leases'],
            properties: { leases: { type: 'array', items: adminLeaseSchema } },
          },
          ...errorResponses(401),
        },
      },
    },
    async () => ({ leases: manager.leases().map((l) => manager.adminLeaseBody(l)) }),
  );

  app.delete(
    '/v1/admin/leases/:id',
    {
      schema: {
        security,
        params: leaseIdParams,
        response: { 204: { type: 'null', description: 'Released' }, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!manager.adminRelease(id)) throw leaseUnknown(id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/v1/admin/usage',
    {
      schema: {
        security,
        response: {
          200: { type: 'object', required: ['usage'], properties: { usage: { type: 'array', items: usageSchema } } },
          ...errorResponses(401),
        },
      },
    },
    async () => ({ usage: manager.usage() }),
  );

  app.get(
    '/v1/admin/events',
    {
      schema: {
        security,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
        },
        response: {
          200: { type: 'object', required: ['events'], properties: { events: { type: 'array', items: eventSchema } } },
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) => ({ events: manager.events((request.query as { limit: number }).limit) }),
  );
};

/**
 * Builds the License Manager's HTTP service over an open {@link LicenseManager}; call
 * `listen()` or `inject()` on it. Closing the server does not close the manager.
 */
export function buildManagerServer(manager: LicenseManager, options: ManagerServerOptions = {}): FastifyInstance {
  const app = Fastify({ logger: loggerOptions(options.logger, REDACT), bodyLimit: MANAGER_BODY_LIMIT });
  // The center's error mapping (`failureAnswer`); the center's not-found text points to its
  // OpenAPI document, which the manager does not serve, so both handlers are set here.
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = failureAnswer(request, error, MANAGER_BODY_LIMIT);
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      code: 'LICTOR_E_NOT_FOUND',
      message: `no route ${request.method} ${request.url.split('?')[0] ?? ''} on this License Manager`,
    } satisfies ErrorBody),
  );
  // Heartbeats carry no body; accept an empty one even when sent as application/json.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else json(request, body as string, done);
  });
  app.addSchema(errorBodySchema);
  app.register(clientRoutes, { manager, proofs: options.proofs ?? new SeatProofs() });
  app.register(adminRoutes, { manager });
  app.register(managerWebRoutes, { manager });
  return app;
}
