/**
 * `@lictor/http-service`: what every Lictor HTTP service (License Center, License Manager) shares:
 * one error answer `{ code, message, details? }` with its schema, the error and not-found
 * handlers, logging (redaction, asynchronous writes, request lines at debug), the OpenAPI
 * document with named messages, the HTML shell of server-rendered pages, listening with a port in
 * use as a typed refusal, and what hot routes answered on `node:http` beside Fastify share.
 */

export { ERROR_REF, errorBodySchema, errorResponses } from './error-schema.js';
export { errorAnswer, failureAnswer, installErrorHandling, retryAfter, retryAfterValue } from './errors.js';
export { escapeHtml, HTML_SECURITY_HEADERS, htmlPage, type PageHead, sendHtml } from './html.js';
export { listenService } from './listen.js';
export { loggerOptions, ServiceLogController, type ServiceLoggerOption, serviceLogging } from './logger.js';
export { addMessages, HIDDEN_ROUTE, messageRefs, type OpenApiInfo, openApiRoute, registerOpenApi } from './openapi.js';
export {
  type PlainConnections,
  type PlainConnectionsOptions,
  type PlainRoute,
  type PlainRouteRequest,
  plainLimits,
  servePlainConnections,
} from './plain-connections.js';
export {
  OTHER,
  PARTIAL,
  type PlainAnswer,
  type PlainLimits,
  type PlainRequest,
  parsePlainRequest,
  plainAnswerText,
} from './plain-http.js';
export {
  answerOrRefusal,
  bodiless,
  type FastifyJsonParser,
  fastifyRawService,
  isJsonType,
  JSON_TYPE,
  logsEveryRequest,
  parseWith,
  plainJsonAnswer,
  plainJsonBody,
  plainRouteListener,
  type RawRouteService,
  type RequestIds,
  type RequestListener,
  type RouteLog,
  rawServer,
  readBody,
  refusalAnswer,
  replayThroughFastify,
  reqIdText,
  requestIds,
  requestLog,
  sendInjected,
  sendJson,
  servePlainRoute,
} from './raw-routes.js';
