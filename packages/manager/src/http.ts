/** The License Manager's HTTP service: leases for clients, status, and admin routes. */

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  addMessages,
  errorBodySchema,
  errorResponses,
  installErrorHandling,
  loggerOptions,
  messageRefs,
  openApiRoute,
  registerOpenApi,
  type ServiceLoggerOption,
} from '@lictor/http-service';
import { LictorError } from '@lictor/protocol';
import {
  AdminReleaseQuery,
  LeaseIdParams,
  MANAGER_MESSAGES,
  ManagerEventQuery,
  ProofHeaders,
} from '@lictor/protocol/wire';
import Fastify, { type FastifyInstance } from 'fastify';
import { type LicenseManager, MANAGER_VERSION } from './manager.js';
import { proofRequest, SeatProofs } from './seat-proofs.js';
import { managerWebRoutes } from './web.js';

/** Request bodies above this size are refused with 413 before parsing. */
export const MANAGER_BODY_LIMIT = 4 * 1024;

/** Log paths that may hold a secret; pino writes `[Redacted]` instead. */
const REDACT = ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'];
const BEARER = /^Bearer\s+(\S+)\s*$/i;
/** What every admin route's schema says: its tag and the admin token. */
const admin = { tags: ['admin'], security: [{ adminToken: [] }] };

/** Options of {@link buildManagerServer}. */
export interface ManagerServerOptions {
  /** `true` for info-level JSON logs, or pino options (`level`, `stream`, …); default no logs. */
  logger?: ServiceLoggerOption;
  /**
   * Signs lease answers for clients that send a nonce (see `seat-proofs.ts`); `openManager()`
   * gives the keys of the licenses it serves. Default: no keys, answers go without proof.
   */
  proofs?: SeatProofs;
}

const ref = messageRefs(MANAGER_MESSAGES);
const released = { 204: { type: 'null', description: 'Released' } } as const;

function leaseUnknown(id: string): LictorError {
  return new LictorError(
    'LICTOR_E_LEASE_UNKNOWN',
    `lease '${id}' is unknown: it expired, was released, or never existed; acquire a seat again`,
  );
}

/** Client routes: leases and status. */
const clientRoutes: FastifyPluginAsyncTypebox<{ manager: LicenseManager; proofs: SeatProofs }> = async (
  app,
  { manager, proofs },
) => {
  app.post(
    '/v1/leases',
    {
      schema: {
        operationId: 'acquireLease',
        summary: 'Borrow a seat: 201 with a new lease, 200 with the lease this client already holds',
        tags: ['leases'],
        headers: ProofHeaders,
        body: ref.AcquireBody,
        response: {
          200: ref.AcquireAnswer,
          201: ref.AcquireAnswer,
          ...errorResponses(400, 403, 409, 413),
        },
      },
    },
    async (request, reply) => {
      const { body } = request;
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
            .send(
              proofs.sign(
                'lease',
                result.lease,
                nonce,
                { lease: manager.leaseBody(result.lease), renewed: false },
                session,
              ),
            );
        case 'renewed':
          return reply
            .code(200)
            .send(
              proofs.sign(
                'lease',
                result.lease,
                nonce,
                { lease: manager.leaseBody(result.lease), renewed: true },
                session,
              ),
            );
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
        case 'revoked':
          throw new LictorError('LICTOR_E_LEASE_REVOKED', result.reason, {
            until: new Date(result.until).toISOString(),
          });
      }
    },
  );

  app.post(
    '/v1/leases/:id/heartbeat',
    {
      schema: {
        operationId: 'heartbeatLease',
        summary: 'Keep a lease alive',
        tags: ['leases'],
        headers: ProofHeaders,
        params: LeaseIdParams,
        response: {
          200: ref.HeartbeatAnswer,
          ...errorResponses(400, 404, 413),
        },
      },
    },
    async (request) => {
      const { id } = request.params;
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
        operationId: 'releaseLease',
        summary: 'Give a seat back',
        tags: ['leases'],
        params: LeaseIdParams,
        response: { ...released, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!manager.release(id)) throw leaseUnknown(id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/status',
    {
      schema: {
        operationId: 'getStatus',
        summary: "The manager's name, version, timings and seats per product",
        tags: ['leases'],
        response: { 200: ref.ManagerStatus },
      },
    },
    async () => manager.status(),
  );
};

/** Admin routes behind `Authorization: Bearer <admin token>`. */
const adminRoutes: FastifyPluginAsyncTypebox<{ manager: LicenseManager }> = async (app, { manager }) => {
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
        ...admin,
        operationId: 'listLeases',
        summary: 'Every lease with its holder',
        response: {
          200: ref.AdminLeaseList,
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
        ...admin,
        operationId: 'revokeLease',
        summary: "Take a client's seat back",
        params: LeaseIdParams,
        querystring: AdminReleaseQuery,
        response: { ...released, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const blockSeconds = request.query.blockSeconds ?? 0;
      if (!manager.adminRelease(id, { blockMs: blockSeconds * 1000 })) throw leaseUnknown(id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/admin/usage',
    {
      schema: {
        ...admin,
        operationId: 'getUsage',
        summary: 'Seats in use per license and feature',
        response: {
          200: ref.UsageList,
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
        ...admin,
        operationId: 'listEvents',
        summary: 'Latest events, newest first',
        querystring: ManagerEventQuery,
        response: {
          200: ref.ManagerEventList,
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) => ({ events: manager.events(request.query.limit) }),
  );
};

/**
 * Builds the License Manager's HTTP service over an open {@link LicenseManager}; call
 * `listen()` or `inject()` on it. Closing the server does not close the manager.
 */
export function buildManagerServer(manager: LicenseManager, options: ManagerServerOptions = {}): FastifyInstance {
  const app = Fastify({ logger: loggerOptions(options.logger, REDACT), bodyLimit: MANAGER_BODY_LIMIT });
  installErrorHandling(app, MANAGER_BODY_LIMIT);
  // Heartbeats carry no body; accept an empty one even when sent as application/json.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else json(request, body as string, done);
  });
  app.addSchema(errorBodySchema);
  addMessages(app, MANAGER_MESSAGES);
  registerOpenApi(app, {
    title: 'Lictor License Manager',
    version: MANAGER_VERSION,
    description:
      'Floating seats (leases) on the customer network: acquire, heartbeat, release, status, and the admin API. ' +
      'The admin page is GET /admin (HTML).',
  });
  app.register(openApiRoute);
  app.register(clientRoutes, { manager, proofs: options.proofs ?? new SeatProofs() });
  app.register(adminRoutes, { manager });
  app.register(managerWebRoutes, { manager });
  return app;
}
