/** Builds the License Center's HTTP service: one Fastify instance, one plugin per concern. */

import {
  addMessages,
  errorBodySchema,
  fastifyRawService,
  installErrorHandling,
  listenService,
  openApiRoute,
  type RequestListener,
  rawServer,
  registerOpenApi,
  requestIds,
  type ServiceLoggerOption,
  servePlainRoute,
  serviceLogging,
} from '@lictor/http-service';
import { CENTER_MESSAGES } from '@lictor/protocol/wire';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Center } from '../center/types.js';
import { activationRoutes } from './activation.js';
import { plainActivationRoute, rawActivationListener } from './activation-raw.js';
import { adminRoutes } from './admin.js';
import { healthRoutes } from './health.js';
import { offlineRoutes } from './offline.js';
import { webRoutes } from './web.js';

/** Request bodies above this size are refused with 413 before parsing. */
const BODY_LIMIT = 64 * 1024;
const API_VERSION = '0.1.0';

/** Log paths that may hold a secret; pino writes `[Redacted]` instead. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'pin',
  '*.pin',
  'body.pin',
  'req.body.pin',
  'adminToken',
  '*.adminToken',
];

/** Options of {@link buildCenterServer}. */
export interface CenterServerOptions {
  /** `true` for info-level JSON logs, or pino options (`level`, `stream`, …); default no logs. */
  logger?: ServiceLoggerOption;
  /** Trust `X-Forwarded-For` from a reverse proxy for the client address. Default false. */
  trustProxy?: boolean;
  /**
   * Answer online activations without Fastify (`activation-raw.ts`) instead of through Fastify's
   * request pipeline; same answers, less CPU. Default true; false sends every request through
   * Fastify (to compare the two). Always false with `trustProxy` (the client address is then
   * Fastify's to read).
   */
  rawActivations?: boolean;
  /**
   * With the raw activations, read each connection below `node:http` first (`http-service`'s
   * `servePlainConnections`) and answer plain activations there. Default true; false leaves
   * every connection to `node:http` (the activations then answered on it), to compare the two.
   */
  plainConnections?: boolean;
}

/**
 * Builds the HTTP service over an open {@link Center}; call `listen()` or `inject()` on it.
 * Closing the server does not close the center.
 */
export function buildCenterServer(center: Center, options: CenterServerOptions = {}): FastifyInstance {
  const trustProxy = options.trustProxy ?? false;
  const genReqId = requestIds();
  // Every request `node:http` reads goes through `listener`: online activations answered on it
  // (`activation-raw.ts`) once the app is built, the rest (and, without them, everything) by Fastify.
  let fastifyListener: RequestListener | undefined;
  let listener: RequestListener = (req, res) => fastifyListener?.(req, res);
  const app = Fastify({
    ...serviceLogging(options.logger, REDACT),
    bodyLimit: BODY_LIMIT,
    trustProxy,
    genReqId,
    serverFactory: (handler, serverOptions) => {
      fastifyListener = handler;
      return rawServer(serverOptions, (req, res) => listener(req, res));
    },
  });
  installErrorHandling(app, BODY_LIMIT);
  app.addSchema(errorBodySchema);
  addMessages(app, CENTER_MESSAGES);
  registerOpenApi(app, {
    title: 'Lictor License Center',
    version: API_VERSION,
    description:
      'Activation of PIN codes (online, and offline by request file or request code), blacklist, and the vendor admin API. ' +
      'The self-service page for offline requests is GET /activate (HTML).',
  });
  app.register(openApiRoute);
  app.register(healthRoutes, { center });
  app.register(activationRoutes, { center });
  app.register(offlineRoutes, { center });
  app.register(adminRoutes, { center });
  app.register(webRoutes, { center });
  // Alerts (a burst of wrong PINs) reach the operator's log as well as the audit trail.
  const stop = center.onAlert((alert) => app.log.warn({ alert }, `alert: ${alert.message}`));
  app.addHook('onClose', async () => {
    stop();
  });
  if (options.rawActivations !== false && !trustProxy && fastifyListener !== undefined) {
    const json = app.getDefaultJsonParser('error', 'error');
    const raw = { center, ...fastifyRawService(app, fastifyListener, json, genReqId, BODY_LIMIT) };
    listener = rawActivationListener(raw);
    // Fastify's close ends them with `node:http`'s idle connections (`closeIdleConnections`).
    if (options.plainConnections !== false) servePlainRoute(app.server, raw, plainActivationRoute(raw));
  }
  return app;
}

/**
 * Starts a center's HTTP service on `host:port` and resolves with its URL; a port in use (or an
 * address not of this host) is `LICTOR_E_PORT_IN_USE`, as for the License Manager.
 */
export function listenCenterServer(server: FastifyInstance, options: { port: number; host: string }): Promise<string> {
  return listenService(server, { ...options, what: 'License Center' });
}
