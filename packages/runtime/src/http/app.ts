/**
 * The runtime's Fastify app: every route (the hot ones too, for `inject`, OpenAPI and what the
 * hot routes hand over), the local-only hook, the error handler and the OpenAPI document. Loaded
 * and composed by `server.ts` on first use only (the first request the hot routes do not answer):
 * Fastify, its plugins and the compiled schemas of every route are most of the runtime's memory
 * beyond the SDK's, and applications that check, open sessions, take seats, follow the event
 * stream and whose status a person reads never need them; activation, installs, upgrades and the
 * OpenAPI document (one-off actions of a person) load them.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import {
  addMessages,
  errorBodySchema,
  installErrorHandling,
  openApiRoute,
  type RequestListener,
  registerOpenApi,
  ServiceLogController,
} from '@lictor/http-service';
import { RUNTIME_MESSAGES } from '@lictor/protocol/wire';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { localOnly } from '../local-only.js';
import type { LictorRuntime } from '../runtime.js';
import { activationRoutes } from './activation-routes.js';
import { eventRoutes } from './event-routes.js';
import type { EventStreams } from './event-stream.js';
import { licensingRoutes } from './licensing-routes.js';
import { sessionRoutes } from './session-routes.js';

/** What the app is composed of. */
export interface RuntimeAppOptions {
  runtime: LictorRuntime;
  /** The service's logger (Fastify logs through a child of it), or none. */
  log: FastifyBaseLogger | undefined;
  /** Request ids, one series with the hot routes'. */
  genReqId: () => string;
  /** The server of the Unix socket (the app's `server`; the runtime listens it itself). */
  server: Server;
  /** Whether a connection came through the Unix socket. */
  overSocket: (socket: Socket) => boolean;
  bodyLimit: number;
  /** The runtime's open event streams, shared with the raw listener. */
  streams: EventStreams;
}

/** The app, ready, and its request listener. */
export async function composeRuntimeApp(
  options: RuntimeAppOptions,
): Promise<{ app: FastifyInstance; listener: RequestListener }> {
  const { runtime, log, bodyLimit } = options;
  let listener: RequestListener | undefined;
  const app = Fastify({
    // Fastify's per-request lines at debug, as the License Center and Manager log them.
    ...(log === undefined ? { logger: false } : { loggerInstance: log, logController: new ServiceLogController() }),
    bodyLimit,
    genReqId: options.genReqId,
    serverFactory: (handler) => {
      listener = handler;
      return options.server;
    },
  });
  installErrorHandling(app, bodyLimit);
  app.addHook('onRequest', localOnly(options.overSocket));
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
  app.register(eventRoutes, { streams: options.streams });
  await app.ready();
  if (listener === undefined) throw new Error('Fastify did not hand over its request listener');
  return { app, listener };
}
