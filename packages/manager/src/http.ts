/** The License Manager's HTTP service: leases for clients, status, and admin routes. */

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  addMessages,
  errorBodySchema,
  errorResponses,
  fastifyRawService,
  installErrorHandling,
  JSON_TYPE,
  messageRefs,
  openApiRoute,
  type RequestListener,
  rawServer,
  registerOpenApi,
  requestIds,
  type ServiceLoggerOption,
  servePlainRoute,
  serviceLogging,
} from '@lictor/http-service';
import { ANSWER_NONCE_HEADER, BORROW_RETURN_HEADER, LictorError } from '@lictor/protocol';
import {
  AdminReleaseQuery,
  BorrowReturnHeaders,
  LeaseIdParams,
  MANAGER_MESSAGES,
  ManagerEventQuery,
  ProofHeaders,
  StatusQuery,
} from '@lictor/protocol/wire';
import type { DongleServer } from '@lictor/sdk';
import Fastify, { type FastifyInstance } from 'fastify';
import { dongleRoutes } from './dongle-routes.js';
import { hotRoutesListener, plainLeaseRoute } from './hot-routes.js';
import {
  acquireLease,
  heartbeatLease,
  type LeaseRoutesContext,
  leaseUnknown,
  releaseLease,
  serverInUse,
} from './lease-routes.js';
import { type LicenseManager, MANAGER_VERSION } from './manager.js';
import { proofRequest, SeatProofs } from './seat-proofs.js';
import type { BorrowResult } from './types.js';
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
  /** The hardware tokens plugged into this host, served to clients as network dongles (`dongle-routes.ts`). */
  dongles?: DongleServer;
  /** The clock of the per-address limit on token signatures, epoch milliseconds. Default `Date.now`. */
  now?: () => number;
  /**
   * Answer the hot lease routes (acquire, heartbeat, release) on `node:http` directly
   * (`hot-routes.ts`) instead of through Fastify's request pipeline; same answers, less CPU.
   * Default true; false sends every request through Fastify (to compare the two).
   */
  hotRoutes?: boolean;
  /**
   * With `hotRoutes`, read each connection's requests below `node:http` first and answer the hot
   * routes' plain requests there (`servePlainConnections`, `plainLeaseRoute`), handing the
   * connection to `node:http` at the first other request; same answers, less CPU still.
   * Default true; false leaves every connection to `node:http` (to compare the two).
   */
  plainConnections?: boolean;
}

const ref = messageRefs(MANAGER_MESSAGES);
const released = { 204: { type: 'null', description: 'Released' } } as const;

function borrowUnknown(id: string): LictorError {
  return new LictorError(
    'LICTOR_E_BORROW_UNKNOWN',
    `no borrowed seat '${id}' is held here for whoever gives it back: it ended, was given back, or the return secret is not its borrower's`,
  );
}

/** The refusal of a borrow request as the error the client gets. */
function borrowRefusal(result: Exclude<BorrowResult, { kind: 'borrowed' }>, product: string): LictorError {
  switch (result.kind) {
    case 'held':
      return new LictorError(
        'LICTOR_E_BORROW_HELD',
        `this computer already borrowed a seat of '${product}' until ${new Date(result.lease.expiresAt).toISOString()}: give it back first (lictor borrow return)`,
        { id: result.lease.id, until: new Date(result.lease.expiresAt).toISOString() },
      );
    case 'not-allowed':
      return new LictorError('LICTOR_E_BORROW_NOT_ALLOWED', result.reason, { maxDays: result.maxDays });
    case 'exhausted':
      return result.limit === undefined
        ? new LictorError(
            'LICTOR_E_SEATS_EXHAUSTED',
            `all ${result.total} seat(s) for '${product}' are in use; try again later`,
            { inUse: result.inUse, total: result.total },
          )
        : new LictorError('LICTOR_E_SEATS_EXHAUSTED', result.limit.reason, {
            inUse: result.inUse,
            total: result.total,
            rule: result.limit.rule,
          });
    case 'not-licensed':
      return new LictorError('LICTOR_E_NOT_LICENSED', result.reason);
    case 'expired':
      return new LictorError('LICTOR_E_LICENSE_EXPIRED', result.reason);
    case 'denied':
      return new LictorError('LICTOR_E_ACCESS_DENIED', result.reason, { rules: result.rules });
    case 'revoked':
      return new LictorError('LICTOR_E_LEASE_REVOKED', result.reason, { until: new Date(result.until).toISOString() });
    case 'server-elsewhere':
      return serverInUse(result);
  }
}

/**
 * Borrowed seats: lent to one computer for offline use, signed for it (purpose `borrow`), kept
 * in the state file before the answer goes out, given back early by their borrower.
 */
const borrowRoutes: FastifyPluginAsyncTypebox<{ manager: LicenseManager; proofs: SeatProofs }> = async (
  app,
  { manager, proofs },
) => {
  app.post(
    '/v1/borrows',
    {
      schema: {
        operationId: 'borrowSeat',
        summary: 'Borrow a seat for offline use: 201 with the borrowed seat, signed over the nonce for this computer',
        tags: ['borrows'],
        headers: ProofHeaders,
        body: ref.BorrowRequest,
        response: { 201: ref.BorrowAnswer, ...errorResponses(400, 403, 409, 413, 500, 502) },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const { nonce } = proofRequest(request.headers);
      if (nonce === undefined) {
        throw new LictorError(
          'LICTOR_E_INVALID_INPUT',
          `a borrowed seat is signed over the borrower's nonce: send the ${ANSWER_NONCE_HEADER} header`,
          { field: ANSWER_NONCE_HEADER, location: 'headers' },
        );
      }
      const address = request.ip;
      if (typeof address !== 'string' || address === '') {
        throw new LictorError(
          'LICTOR_E_ACCESS_DENIED',
          'the connection closed before its address was known; try again',
        );
      }
      const result = manager.borrow({ ...body, address });
      if (result.kind !== 'borrowed') throw borrowRefusal(result, body.product);
      const { lease } = result;
      // A seat the borrower could not prove it holds would be lost to everyone until its end.
      if (!proofs.has(lease.licenseId)) {
        manager.service.returnBorrow(lease.id, 'this manager cannot prove its seats of the license');
        throw new LictorError(
          'LICTOR_E_ANSWER_UNPROVEN',
          `this License Manager cannot prove its seats of '${body.product}' (its license's container key does not open here): activate the license again on this computer`,
          { reason: 'missing' },
        );
      }
      // The borrower takes the seat away: it must outlive a crash of the manager.
      try {
        await manager.flush();
      } catch (error) {
        manager.service.returnBorrow(lease.id, 'the state file could not be written');
        throw new LictorError(
          'LICTOR_E_INTERNAL',
          `the borrowed seat could not be recorded in the manager's state file: ${(error as Error).message}`,
        );
      }
      request.log.info({ leaseId: lease.id, product: body.product }, 'seat borrowed');
      return reply.code(201).send(proofs.sign('borrow', lease, nonce, { borrow: manager.borrowedSeatBody(lease) }));
    },
  );

  app.delete(
    '/v1/borrows/:id',
    {
      schema: {
        operationId: 'returnBorrowedSeat',
        summary: 'Give a borrowed seat back before its end (with the secret committed to at borrowing)',
        tags: ['borrows'],
        params: LeaseIdParams,
        headers: BorrowReturnHeaders,
        response: { ...released, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!manager.returnBorrow(id, request.headers[BORROW_RETURN_HEADER])) throw borrowUnknown(id);
      return reply.code(204).send(null);
    },
  );
};

/** Client routes: leases and status. */
const clientRoutes: FastifyPluginAsyncTypebox<{ manager: LicenseManager; proofs: SeatProofs }> = async (
  app,
  { manager, proofs },
) => {
  const ctx: LeaseRoutesContext = { manager, proofs };
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
      const { status, json } = acquireLease(ctx, request.body, request.headers, request.ip, request.log);
      // The answer is JSON text already (`answer-json.ts`): Fastify sends a string as it is.
      return reply
        .code(status)
        .type(JSON_TYPE)
        .send(json as never);
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
    async (request, reply) =>
      reply.type(JSON_TYPE).send(heartbeatLease(ctx, request.params.id, request.headers) as never),
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
      releaseLease(ctx, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/status',
    {
      schema: {
        operationId: 'getStatus',
        summary: "The manager's name, version, timings and seats per product, proven over the nonce sent",
        tags: ['leases'],
        headers: ProofHeaders,
        querystring: StatusQuery,
        response: { 200: ref.ManagerStatus, ...errorResponses(400) },
      },
    },
    async (request) => {
      const { nonce, session } = proofRequest(request.headers);
      const { product } = request.query;
      // Proven by a license of the product asked for (any license of it, when none was named).
      const licenseIds = manager
        .usage()
        .filter((u) => product === undefined || u.product === product)
        .map((u) => u.licenseId);
      return proofs.signByAny('status', licenseIds, nonce, manager.status(product), session);
    },
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
    '/v1/admin/borrows',
    {
      schema: {
        ...admin,
        operationId: 'listBorrows',
        summary: 'Every borrowed seat with its borrower and end',
        response: { 200: ref.AdminBorrowList, ...errorResponses(401) },
      },
    },
    async () => ({ borrows: manager.borrows().map((l) => manager.adminBorrowedSeat(l)) }),
  );

  app.delete(
    '/v1/admin/borrows/:id',
    {
      schema: {
        ...admin,
        operationId: 'endBorrowedSeat',
        summary:
          'End a borrowed seat (a computer lost or broken): the seat is free again, the computer keeps using it offline until its end',
        params: LeaseIdParams,
        response: { ...released, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!manager.adminReturnBorrow(id)) throw borrowUnknown(id);
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
  const proofs = options.proofs ?? new SeatProofs();
  const genReqId = requestIds();
  // Every request goes through `listener`: the hot lease routes answered on `node:http`
  // (`hot-routes.ts`) once the app is built, the rest (and, without them, everything) by Fastify.
  let fastifyListener: RequestListener | undefined;
  let listener: RequestListener = (req, res) => fastifyListener?.(req, res);
  const app = Fastify({
    ...serviceLogging(options.logger, REDACT),
    bodyLimit: MANAGER_BODY_LIMIT,
    genReqId,
    serverFactory: (handler, serverOptions) => {
      fastifyListener = handler;
      return rawServer(serverOptions, (req, res) => listener(req, res));
    },
  });
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
      'Floating seats (leases) on the customer network: acquire, heartbeat, release, borrow for offline use, status, and the admin API. ' +
      'The admin page is GET /admin (HTML).',
  });
  app.register(openApiRoute);
  app.register(clientRoutes, { manager, proofs });
  app.register(borrowRoutes, { manager, proofs });
  app.register(adminRoutes, { manager });
  app.register(dongleRoutes, { dongles: options.dongles, now: options.now ?? Date.now });
  app.register(managerWebRoutes, { manager });
  if (options.hotRoutes !== false && fastifyListener !== undefined) {
    const hot = {
      ctx: { manager, proofs },
      ...fastifyRawService(app, fastifyListener, json, genReqId, MANAGER_BODY_LIMIT),
    };
    listener = hotRoutesListener(hot);
    // Fastify's close ends them with `node:http`'s idle connections (`closeIdleConnections`).
    if (options.plainConnections !== false) {
      servePlainRoute(app.server, hot, plainLeaseRoute(hot));
    }
  }
  return app;
}
