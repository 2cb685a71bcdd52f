/**
 * The runtime's HTTP service: one Fastify app behind two servers, the Unix socket (`server`,
 * which Fastify listens with) and loopback TCP (`extra`, the same request handler). Every request
 * passes the local-only check (`local-only.ts`); bodies are JSON only; every route has an
 * `operationId` in `GET /openapi.json`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  addMessages,
  errorBodySchema,
  installErrorHandling,
  loggerOptions,
  openApiRoute,
  registerOpenApi,
  type ServiceLoggerOption,
} from '@lictor/http-service';
import { type Scheduler, systemScheduler } from '@lictor/protocol';
import { RUNTIME_MESSAGES } from '@lictor/protocol/wire';
import Fastify, { type FastifyInstance } from 'fastify';
import { localOnly } from '../local-only.js';
import type { LictorRuntime } from '../runtime.js';
import { activationRoutes } from './activation-routes.js';
import { DEFAULT_KEEP_ALIVE_MS, eventRoutes } from './event-routes.js';
import { licensingRoutes } from './licensing-routes.js';
import { sessionRoutes } from './session-routes.js';

/** Request bodies above this size are refused with 413 before parsing (license and answer files are a few KiB). */
export const RUNTIME_BODY_LIMIT = 128 * 1024;

/** Options of {@link buildRuntimeServer}. */
export interface RuntimeServerOptions {
  /** `true` for info-level JSON logs, or pino options; default no logs. */
  logger?: ServiceLoggerOption;
  /** Timers of the event stream's keep-alive (default `systemScheduler`). */
  scheduler?: Scheduler;
  /** Period of the event stream's keep-alive comment (default 15 s). */
  keepAliveMs?: number;
}

/** The app and the second server that shares its handler. */
export interface RuntimeServer {
  readonly app: FastifyInstance;
  /** A second HTTP server with the app's handler (loopback TCP beside the socket). */
  readonly extra: Server;
  /** Marks `server`'s connections as coming over the Unix socket (local by nature). */
  acceptSocketOn(server: Server): void;
}

/** Builds the runtime's HTTP service over `runtime`; listen with `listenRuntime`, or `inject()` on `app`. */
export function buildRuntimeServer(runtime: LictorRuntime, options: RuntimeServerOptions = {}): RuntimeServer {
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const app = Fastify({
    logger: loggerOptions(options.logger, []),
    bodyLimit: RUNTIME_BODY_LIMIT,
    serverFactory: (h) => {
      handler = h;
      return createServer(h);
    },
  });
  const extra = createServer((req, res) => handler?.(req, res));
  const socketConnections = new WeakSet<Socket>();

  installErrorHandling(app, RUNTIME_BODY_LIMIT);
  app.addHook(
    'onRequest',
    localOnly((socket) => socketConnections.has(socket)),
  );
  // JSON only: a browser sends text/plain and forms to any address without asking it first.
  app.removeContentTypeParser(['text/plain']);
  app.addSchema(errorBodySchema);
  addMessages(app, RUNTIME_MESSAGES);
  registerOpenApi(app, {
    title: 'Lictor Runtime',
    version: runtime.identity.version,
    description:
      'The local licensing service of this computer (Unix socket, loopback HTTP): checks, sessions, floating seats, ' +
      'activation, remote upgrade and change events. Programs of this computer only: see docs/runtime.md.',
  });
  app.register(openApiRoute);
  app.register(licensingRoutes, { runtime });
  app.register(sessionRoutes, { runtime });
  app.register(activationRoutes, { runtime });
  app.register(eventRoutes, {
    runtime,
    scheduler: options.scheduler ?? systemScheduler,
    keepAliveMs: options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS,
  });
  return {
    app,
    extra,
    acceptSocketOn(server) {
      server.on('connection', (socket: Socket) => socketConnections.add(socket));
    },
  };
}
