/**
 * The runtime's HTTP service: one Fastify app behind two servers, the Unix socket (`server`,
 * which Fastify listens with) and loopback TCP (`extra`, the same request handler). The hot routes
 * (a check, a session opened or closed) are answered on `node:http` directly (`hot-routes.ts`),
 * everything else by the app. Every request passes the local-only check (`local-only.ts`); bodies
 * are JSON only; every route has an `operationId` in `GET /openapi.json`.
 */
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import {
  addMessages,
  errorBodySchema,
  installErrorHandling,
  openApiRoute,
  registerOpenApi,
  type ServiceLoggerOption,
  serviceLogging,
} from '@lictor/http-service';
import { type Scheduler, systemScheduler } from '@lictor/protocol';
import { RUNTIME_MESSAGES } from '@lictor/protocol/wire';
import Fastify, { type FastifyInstance } from 'fastify';
import { hostOfHeader, isLoopbackHost, localOnly } from '../local-only.js';
import type { LictorRuntime } from '../runtime.js';
import { activationRoutes } from './activation-routes.js';
import { DEFAULT_KEEP_ALIVE_MS, eventRoutes } from './event-routes.js';
import { hotRoutesListener, type RequestListener } from './hot-routes.js';
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
  /**
   * Answer the hot routes (check, session open and close) on `node:http` directly
   * (`hot-routes.ts`; default `true`); `false`: every request through Fastify (tests compare both).
   */
  hotRoutes?: boolean;
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
  const genReqId = requestIds();
  // Every request of both servers goes through `listener`: the hot routes answered on `node:http`
  // (`hot-routes.ts`) once the app is built, the rest (and, without them, everything) by Fastify.
  let fastifyListener: RequestListener | undefined;
  let listener: RequestListener = (req, res) => fastifyListener?.(req, res);
  const app = Fastify({
    // Fastify's per-request lines at debug, as the License Center and Manager log them.
    ...serviceLogging(options.logger, []),
    bodyLimit: RUNTIME_BODY_LIMIT,
    genReqId,
    serverFactory: (h) => {
      fastifyListener = h;
      return createServer((req, res) => listener(req, res));
    },
  });
  const extra = createServer((req, res) => listener(req, res));
  const socketConnections = new WeakSet<Socket>();
  const overSocket = (socket: Socket) => socketConnections.has(socket);

  installErrorHandling(app, RUNTIME_BODY_LIMIT);
  app.addHook('onRequest', localOnly(overSocket));
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
  if (options.hotRoutes !== false && fastifyListener !== undefined) {
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    listener = hotRoutesListener({
      runtime,
      overSocket,
      fastify: fastifyListener,
      replay: (req, body, res) => replay(app, req, body, res, overSocket),
      log: app.log,
      genReqId,
      closing: () => closing,
      bodyLimit: RUNTIME_BODY_LIMIT,
    });
  }
  return {
    app,
    extra,
    acceptSocketOn(server) {
      server.on('connection', (socket: Socket) => socketConnections.add(socket));
    },
  };
}

/** Request ids as Fastify makes them (`req-1`, `req-2`, … in base 36), one series for both ways of answering. */
function requestIds(): () => string {
  let next = 0;
  return () => {
    next = (next + 1) & 0x7fffffff;
    return `req-${next.toString(36)}`;
  };
}

/**
 * Answers `req`, whose `body` the hot routes read, through Fastify as if it had come in anew.
 * It passed the local-only check on its connection: one that came over the Unix socket (no
 * address, any `Host`) is replayed from 127.0.0.1 for `localhost` when its `Host` is not
 * loopback, which the app's check then lets in as the socket's connection did.
 */
function replay(
  app: FastifyInstance,
  req: IncomingMessage,
  body: string,
  res: ServerResponse,
  overSocket: (socket: Socket) => boolean,
): void {
  const socket = overSocket(req.socket);
  const remoteAddress = socket ? '127.0.0.1' : req.socket.remoteAddress;
  // The connection is gone: nobody to answer.
  if (remoteAddress === undefined || req.socket.destroyed) {
    res.destroy();
    return;
  }
  const host = req.headers.host;
  const headers =
    socket && (host === undefined || !isLoopbackHost(hostOfHeader(host)))
      ? { ...req.headers, host: 'localhost' }
      : req.headers;
  app.inject({ method: req.method as 'POST', url: req.url ?? '/', headers, payload: body, remoteAddress }).then(
    (answer) => {
      const out: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        // Fastify closes a connection after a body it could not read (`connection: close`).
        if (!TRANSPORT_HEADERS.has(name) || (name === 'connection' && value === 'close')) out[name] = value;
      }
      res.writeHead(answer.statusCode, out);
      res.end(answer.rawPayload);
    },
    () => res.destroy(),
  );
}

/** Headers of an injected answer that the real connection sets itself. */
const TRANSPORT_HEADERS = new Set(['connection', 'keep-alive', 'date', 'transfer-encoding']);
