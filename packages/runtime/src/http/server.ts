/**
 * The runtime's HTTP service behind two servers, the Unix socket (`server`) and loopback TCP
 * (`extra`), with one request listener. The routes applications use all day (a check, a session
 * opened or closed, a seat taken or given back, the event stream, and the status) are answered
 * on `node:http` directly (`hot-routes.ts`); everything else (activation, installs, upgrades,
 * the OpenAPI document, and what the raw path hands over) by the Fastify app (`app.ts`), which
 * is loaded and composed on the first request that needs it (or a call of `app()`): until then
 * the runtime holds neither Fastify nor the compiled schemas of its routes.
 * Every request passes the local-only check (`local-only.ts`); bodies are JSON only; every route
 * has an `operationId` in `GET /openapi.json`.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { loggerOptions, type ServiceLoggerOption } from '@lictor/http-service/log-options';
import { nodeHttp } from '@lictor/http-service/node-http';
import { type RequestListener, requestIds, sendInjected, servePlainRoute } from '@lictor/http-service/raw-routes';
import { type Scheduler, systemScheduler } from '@lictor/protocol';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import pino from 'pino';
import { hostOfHeader, isLoopbackHost } from '../local-only.js';
import type { LictorRuntime } from '../runtime.js';
import { answerClientErrors } from './client-error.js';
import { DEFAULT_KEEP_ALIVE_MS } from './event-format.js';
import { EventStreams } from './event-stream.js';
import { type HotRoutesOptions, hotRoutesListener, plainRuntimeRoute } from './hot-routes.js';

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
   * Answer the hot routes (check, session open and close, seat take and release, events, status)
   * on `node:http` directly (`hot-routes.ts`; default `true`); `false`: every request through
   * Fastify (tests compare both).
   */
  hotRoutes?: boolean;
  /**
   * With `hotRoutes`, read each connection's requests below `node:http` first and answer a check,
   * a session opened or closed, a seat taken or given back and the status there when plainly well-formed
   * (`servePlainConnections`, `plainRuntimeRoute`), handing the connection to `node:http` at the
   * first other request (default `true`; `false`: every connection to `node:http`).
   */
  plainConnections?: boolean;
}

/** The runtime's servers, its logger, and its Fastify app composed on first use. */
export interface RuntimeServer {
  /** The server of the Unix socket (or named pipe): the app's `server`. */
  readonly server: Server;
  /** A second HTTP server with the same listener (loopback TCP beside the socket). */
  readonly extra: Server;
  /** The service's logger (silent without the `logger` option); the app logs through a child of it. */
  readonly log: FastifyBaseLogger;
  /** The Fastify app, ready: loaded and composed on the first call (for `inject`, say) or the first request that needs it. */
  app(): Promise<FastifyInstance>;
  /** Whether the app has been asked for (it is loaded, or being loaded). */
  readonly composed: boolean;
  /** Marks `server`'s connections as coming over the Unix socket (local by nature). */
  acceptSocketOn(server: Server): void;
  /**
   * Answers no more requests on the hot routes, ends the open event streams, and closes the app
   * if it was composed (the servers are closed by their owner).
   */
  close(): Promise<void>;
}

/** Builds the runtime's HTTP service over `runtime`; listen with `listenRuntime`, or `inject()` on `await app()`. */
export function buildRuntimeServer(runtime: LictorRuntime, options: RuntimeServerOptions = {}): RuntimeServer {
  const genReqId = requestIds();
  const logging = loggerOptions(options.logger, []) as
    | (pino.LoggerOptions & { stream?: pino.DestinationStream })
    | false;
  // What Fastify would make of these options (`pino(options, options.stream)`), made before it is loaded.
  const log: FastifyBaseLogger = logging === false ? pino({ level: 'silent' }) : pino(logging, logging.stream);
  const socketConnections = new WeakSet<Socket>();
  const overSocket = (socket: Socket) => socketConnections.has(socket);
  // Both servers answer through `listener`: the hot routes on `node:http`, the rest through the app.
  let listener: RequestListener = (req, res) => toApp(req, res);
  const server = nodeHttp.createServer((req, res) => listener(req, res));
  const extra = nodeHttp.createServer((req, res) => listener(req, res));
  answerClientErrors(server);
  answerClientErrors(extra);
  const streams = new EventStreams(
    runtime,
    options.scheduler ?? systemScheduler,
    options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS,
  );

  let composed: Promise<{ app: FastifyInstance; listener: RequestListener }> | undefined;
  let fastifyListener: RequestListener | undefined;
  let closing = false;
  const compose = () => {
    composed ??= import('./app.js')
      .then(({ composeRuntimeApp }) =>
        composeRuntimeApp({
          runtime,
          log: logging === false ? undefined : log,
          genReqId,
          server,
          overSocket,
          bodyLimit: RUNTIME_BODY_LIMIT,
          streams,
        }),
      )
      .then((done) => {
        fastifyListener = done.listener;
        return done;
      });
    return composed;
  };
  /** Hands a request to the app, composing it first if need be. */
  function toApp(req: IncomingMessage, res: ServerResponse): void {
    if (fastifyListener !== undefined) {
      fastifyListener(req, res);
      return;
    }
    // Closing: not the moment to load the app (the servers are closed before, so rarely seen).
    if (closing) {
      res.destroy();
      return;
    }
    compose().then(
      ({ listener: answer }) => answer(req, res),
      (error: unknown) => {
        log.error({ err: error }, 'the HTTP service could not be composed');
        res.destroy();
      },
    );
  }
  const app = async () => (await compose()).app;

  if (options.hotRoutes !== false) {
    const hot: HotRoutesOptions = {
      runtime,
      overSocket,
      streams,
      fastify: toApp,
      replay: (req, body, res) => replay(app, req, body, res, overSocket),
      log,
      genReqId,
      closing: () => closing,
      bodyLimit: RUNTIME_BODY_LIMIT,
    };
    listener = hotRoutesListener(hot);
    if (options.plainConnections !== false) {
      const route = plainRuntimeRoute(hot);
      // Both servers' `closeAllConnections` (`closeServer`) close these connections too.
      for (const s of [server, extra]) servePlainRoute(s, hot, route);
    }
  }
  return {
    server,
    extra,
    log,
    app,
    get composed() {
      return composed !== undefined;
    },
    acceptSocketOn(s) {
      s.on('connection', (socket: Socket) => socketConnections.add(socket));
    },
    async close() {
      closing = true;
      streams.endAll();
      if (composed !== undefined) await (await composed.catch(() => undefined))?.app.close();
    },
  };
}

/**
 * Answers `req`, whose `body` the hot routes read, through Fastify as if it had come in anew.
 * It passed the local-only check on its connection: one that came over the Unix socket (no
 * address, any `Host`) is replayed from 127.0.0.1 for `localhost` when its `Host` is not
 * loopback, which the app's check then lets in as the socket's connection did.
 */
function replay(
  app: () => Promise<FastifyInstance>,
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
  app()
    .then((a) => a.inject({ method: req.method as 'POST', url: req.url ?? '/', headers, payload: body, remoteAddress }))
    .then(
      (answer) => sendInjected(res, answer),
      () => res.destroy(),
    );
}
