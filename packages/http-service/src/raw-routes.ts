/**
 * What a service needs to answer its hottest routes on `node:http` directly, beside Fastify
 * (`hot-routes.ts` of the License Manager and of the runtime, `activation-raw.ts` of the License
 * Center): the server Fastify would have created (given to it as its `serverFactory`), one series
 * of request ids for both paths, Fastify's own JSON parser, the body read and checked, answers and
 * refusals written as Fastify writes them, and the replay of a request whose body was read here
 * through Fastify (`inject`), so that what the raw path does not answer is answered as before.
 *
 * Also the plain path's side of it (`plainRouteListener`, `servePlainRoute`, the answers of
 * {@link answerOrRefusal} and {@link plainJsonAnswer}): one route function for both layers.
 *
 * Loaded by the runtime on its hot path (as `@lictor/http-service/raw-routes`): nothing here may
 * load Fastify (types only) or more than `errors.ts` and `plain-connections.ts`.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { FastifyBaseLogger, FastifyInstance, FastifyServerOptions, LightMyRequestResponse } from 'fastify';
import { errorAnswer, retryAfterValue } from './errors.js';
import { nodeHttp } from './node-http.js';
import { type PlainRoute, type PlainRouteRequest, plainLimits, servePlainConnections } from './plain-connections.js';
import type { PlainAnswer } from './plain-http.js';

/** A `node:http` request listener. */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** What the raw routes of a service need of the service around them. */
export interface RawRouteService {
  /** Hands a request to Fastify: every request not answered on the raw path. */
  fastify: RequestListener;
  /** Answers a request whose body was read on the raw path through Fastify (its `inject`), as if it came in anew. */
  replay: (req: IncomingMessage, body: string, res: ServerResponse) => void;
  /** The service's logger (Fastify's, or the one its app logs through). */
  log: FastifyBaseLogger;
  /** The next request id, from the series Fastify's requests take theirs from (`take`: its number only). */
  genReqId: RequestIds;
  /** Whether the service is closing (Fastify then answers 503). */
  closing: () => boolean;
  bodyLimit: number;
}

/**
 * The raw-route service of the Fastify `app` of the License Manager or Center: requests not
 * answered on the raw path go to `fastify` (Fastify's own listener), bodies read are replayed
 * through `app`, parsed with `json` (Fastify's JSON parser), and the service is closing from
 * `app`'s `preClose` on.
 */
export function fastifyRawService(
  app: FastifyInstance,
  fastify: RequestListener,
  json: FastifyJsonParser,
  genReqId: RequestIds,
  bodyLimit: number,
): RawRouteService & { parseJson: (text: string) => unknown } {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  return {
    fastify,
    replay: (req, body, res) => replayThroughFastify(app, req, body, res),
    parseJson: (text) => (plainJsonText(text) ? JSON.parse(text) : parseWith(json, text)),
    log: app.log,
    genReqId,
    closing: () => closing,
    bodyLimit,
  };
}

/** Where a route logs what it did: a request's logger (Fastify's `request.log`, or {@link requestLog}). */
export interface RouteLog {
  info(fields: Record<string, unknown>, message: string): void;
}

/** A {@link RouteLog} for a request answered on the raw path: `log`'s lines carry `reqId`, as Fastify's request logger's do. */
export function requestLog(log: FastifyBaseLogger, reqId: string): RouteLog {
  return { info: (fields, message) => log.info({ reqId, ...fields }, message) };
}

/** Whether the raw routes leave every request to Fastify: it logs each one at `debug` and below. */
export function logsEveryRequest(log: FastifyBaseLogger): boolean {
  return log.level === 'debug' || log.level === 'trace';
}

/** The content type of every JSON answer, as Fastify sends it. */
export const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * A series of request ids: called, the next id as text (Fastify's `genReqId`); `take()`, the next
 * id's number only, its text ({@link reqIdText}) written when a log line needs it (most answers
 * on the raw path log nothing).
 */
export interface RequestIds {
  (): string;
  take(): number;
}

/** Request ids as Fastify makes them (`req-1`, `req-2`, … in base 36), one series for both paths. */
export function requestIds(): RequestIds {
  let next = 0;
  const take = () => {
    next = (next + 1) & 0x7fffffff;
    return next;
  };
  return Object.assign(() => reqIdText(take()), { take });
}

/** The text of request id number `n` of a {@link requestIds} series. */
export function reqIdText(n: number): string {
  return `req-${n.toString(36)}`;
}

/** The HTTP/1.1 server Fastify would create with `options` (its timeouts), answering with `listener`. */
export function rawServer(options: FastifyServerOptions, listener: RequestListener): Server {
  const server = nodeHttp.createServer(listener);
  server.keepAliveTimeout = options.keepAliveTimeout ?? 72_000;
  server.requestTimeout = options.requestTimeout ?? 0;
  server.setTimeout(options.connectionTimeout ?? 0);
  if ((options.maxRequestsPerSocket ?? 0) > 0) server.maxRequestsPerSocket = options.maxRequestsPerSocket as number;
  return server;
}

/** Whether Fastify's JSON parser takes this content type (the two spellings clients send; the rest go to Fastify). */
export function isJsonType(type: string | undefined): boolean {
  if (type === undefined) return false;
  const t = type.toLowerCase();
  return t === 'application/json' || t === 'application/json; charset=utf-8';
}

/** Fastify's JSON body parser (`getDefaultJsonParser`) as a function of the text: prototype poisoning refused. */
export type FastifyJsonParser = ReturnType<FastifyInstance['getDefaultJsonParser']>;

/**
 * Whether `JSON.parse(text)` gives what Fastify's JSON parser gives (or throws where it throws):
 * no byte-order mark (the parser drops one) and nothing that could spell a `__proto__` or
 * `constructor` key (the parser refuses those; spelled with escapes they need a backslash).
 * Most bodies are such text, and skip the parser's two scans for those keys.
 */
export function plainJsonText(text: string): boolean {
  return (
    text.charCodeAt(0) !== 0xfeff &&
    !text.includes('\\') &&
    !text.includes('__proto__') &&
    !text.includes('constructor')
  );
}

/** `text` parsed by `parser`; throws what the parser refuses with. */
export function parseWith(parser: FastifyJsonParser, text: string): unknown {
  let parsed: unknown;
  let failure: unknown;
  parser(undefined as never, text, (error, value) => {
    failure = error;
    parsed = value;
  });
  if (failure) throw failure;
  return parsed;
}

/**
 * True when the request carries no body, and no content type or JSON (another type is refused by
 * Fastify even without a body).
 */
export function bodiless(req: { headers: IncomingHttpHeaders }): boolean {
  const { 'content-length': length, 'content-type': type } = req.headers;
  return (
    req.headers['transfer-encoding'] === undefined &&
    (length === undefined || length === '0') &&
    (type === undefined || isJsonType(type))
  );
}

/**
 * True when the request's body is plainly one the raw path reads: not chunked, of 1 to
 * `bodyLimit` bytes, JSON (the rest goes to Fastify before anything is read).
 */
export function plainJsonBody(req: { headers: IncomingHttpHeaders }, bodyLimit: number): boolean {
  const length = Number(req.headers['content-length']);
  return (
    req.headers['transfer-encoding'] === undefined &&
    length > 0 &&
    length <= bodyLimit &&
    isJsonType(req.headers['content-type'])
  );
}

function ignore(): void {}

/**
 * Reads the request's body as UTF-8 text and calls `done` with it (a connection that breaks
 * mid-body gets no answer). The chunks are kept as bytes and decoded once at the end, the same
 * text as a stream's `setEncoding('utf8')` gives (Fastify reads bodies so), without a
 * `StringDecoder` per request.
 */
export function readBody(req: Readable, done: (text: string) => void): void {
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  req.on('data', (chunk: Buffer) => {
    if (first === undefined) first = chunk;
    else if (chunks === undefined) chunks = [first, chunk];
    else chunks.push(chunk);
  });
  req.on('error', ignore);
  req.on('end', () =>
    done(
      chunks !== undefined ? Buffer.concat(chunks).toString('utf8') : first === undefined ? '' : first.toString('utf8'),
    ),
  );
}

/** Writes a JSON answer as Fastify does (content type and length; `extra` headers first). */
export function sendJson(res: ServerResponse, status: number, json: string, extra?: OutgoingHttpHeaders): void {
  const length = Buffer.byteLength(json);
  res.writeHead(
    status,
    extra === undefined
      ? { 'content-type': JSON_TYPE, 'content-length': length }
      : { ...extra, 'content-type': JSON_TYPE, 'content-length': length },
  );
  res.end(json);
}

/**
 * The answer to `error` as Fastify's error handler gives it (`installErrorHandling`): its status
 * and error body, `Retry-After` on a rate-limited refusal; logged once (a refusal at info, a
 * failure at error) with the request's id.
 */
export function refusalAnswer(
  log: FastifyBaseLogger,
  reqId: string,
  error: unknown,
  bodyLimit: number,
): { status: number; json: string; headers?: { 'retry-after': string } } {
  const { status, body } = errorAnswer(error, bodyLimit);
  if (status >= 500) log.error({ reqId, err: error }, 'request failed');
  else log.info({ reqId, code: body.code }, 'request refused');
  const retry = retryAfterValue(body);
  const json = JSON.stringify(body);
  return retry === undefined ? { status, json } : { status, json, headers: { 'retry-after': retry } };
}

/**
 * What `answer()` gives (or the promise of it), or, if it throws or the promise is rejected, the
 * refusal {@link refusalAnswer} makes of it, with a request id taken before (its text written
 * only for the log line of a refusal): the bodiless routes answered below `node:http`.
 */
export function answerOrRefusal(
  service: Pick<RawRouteService, 'log' | 'genReqId' | 'bodyLimit'>,
  answer: () => PlainAnswer | Promise<PlainAnswer>,
): PlainAnswer | Promise<PlainAnswer> {
  const reqId = service.genReqId.take();
  return orRefusal(answer, (error) => refusalAnswer(service.log, reqIdText(reqId), error, service.bodyLimit));
}

/** What `answer()` gives (or the promise of it), or what `refuse` makes of what it throws (or rejects with). */
function orRefusal(
  answer: () => PlainAnswer | Promise<PlainAnswer>,
  refuse: (error: unknown) => PlainAnswer,
): PlainAnswer | Promise<PlainAnswer> {
  try {
    const answered = answer();
    return answered instanceof Promise ? answered.catch(refuse) : answered;
  } catch (error) {
    return refuse(error);
  }
}

/**
 * The answer to a request whose body is JSON of `schema`, made by `answer` (or the promise of it)
 * with a request id taken once the body is known to be of it; what `answer` throws (or its
 * promise rejects with) becomes the refusal {@link refusalAnswer} makes of it. Undefined, before
 * anything is done, for a body that is not plainly JSON within the limit, not JSON by `parse`, or
 * not of `schema`: the request is Fastify's (its parser and validator answer it, or accept it
 * after coercing a type or removing a property the schema does not name).
 */
export function plainJsonAnswer<T>(
  service: Pick<RawRouteService, 'log' | 'genReqId' | 'bodyLimit'>,
  req: PlainRouteRequest,
  parse: (text: string) => unknown,
  schema: { Check(value: unknown): value is T },
  answer: (body: T, reqId: string) => PlainAnswer | Promise<PlainAnswer>,
): PlainAnswer | Promise<PlainAnswer> | undefined {
  if (!plainJsonBody(req, service.bodyLimit)) return undefined;
  let body: unknown;
  try {
    body = parse(req.body);
  } catch {
    return undefined;
  }
  if (!schema.Check(body)) return undefined;
  const checked = body; // of `schema` (a closure does not keep the narrowing of a `let`)
  const reqId = service.genReqId();
  return orRefusal(
    () => answer(checked, reqId),
    (error) => refusalAnswer(service.log, reqId, error, service.bodyLimit),
  );
}

/**
 * Reads the connections `server` accepts below `node:http` with `route` first
 * (`servePlainConnections`), within the service's body limit, handing everything to `node:http`
 * once the service closes; a route's exception is logged as {@link plainRouteListener} logs it.
 */
export function servePlainRoute(
  server: Server,
  service: Pick<RawRouteService, 'log' | 'closing' | 'bodyLimit'>,
  route: PlainRoute,
): void {
  servePlainConnections(server, {
    route,
    limits: plainLimits(service.bodyLimit),
    closing: service.closing,
    onError: (error) => logFailure(service.log, error),
  });
}

/** An exception of a route answered on the plain path, or on `node:http` by its route function. */
function logFailure(log: FastifyBaseLogger, error: unknown): void {
  log.error({ err: error }, 'request failed');
}

/**
 * The `node:http` request listener of a service whose hot routes are answered by `route`, the
 * same function that answers them below `node:http` (`servePlainConnections`): one decision of
 * which requests are hot, one answer, whichever layer read the request. A request without a body
 * is offered to `route` as it is; one with a body is read when `readsBody` says `route` may take
 * it and the body is plainly JSON of at most the body limit (`plainJsonBody`), and replayed
 * through Fastify if `route` leaves it. Everything else goes to Fastify unread, and everything
 * while the service closes (Fastify answers 503) or logs at `debug` and below (Fastify logs every
 * request there). An exception of `route` (a thrown one or a promise rejected: routes answer
 * refusals themselves) is logged and the connection destroyed, as below `node:http`.
 */
export function plainRouteListener(
  service: RawRouteService,
  route: PlainRoute,
  readsBody: (req: IncomingMessage) => boolean,
): RequestListener {
  const { fastify, replay, log, closing, bodyLimit } = service;
  function fail(res: ServerResponse, error: unknown): void {
    logFailure(log, error);
    res.destroy();
  }
  /** Answers `req` with what `route` makes of `request` (true), or leaves it (false: `route` does not take it). */
  function answer(req: IncomingMessage, res: ServerResponse, request: PlainRouteRequest): boolean {
    let answered: PlainAnswer | Promise<PlainAnswer> | undefined;
    try {
      answered = route(request, req.socket);
    } catch (error) {
      fail(res, error);
      return true;
    }
    if (answered === undefined) return false;
    if (answered instanceof Promise) {
      answered.then(
        (done) => sendAnswer(res, done),
        (error: unknown) => fail(res, error),
      );
    } else sendAnswer(res, answered);
    return true;
  }
  return (req, res) => {
    if (closing() || logsEveryRequest(log)) {
      fastify(req, res);
      return;
    }
    const method = req.method ?? '';
    const url = req.url ?? '';
    // A repeated header is as `node:http` gives it to Fastify too: values joined, or the first kept.
    const headers = req.headers as Record<string, string>;
    const length = headers['content-length'];
    if (headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) {
      if (!answer(req, res, { method, url, headers, body: '' })) fastify(req, res);
      return;
    }
    if (!readsBody(req) || !plainJsonBody(req, bodyLimit)) {
      fastify(req, res);
      return;
    }
    readBody(req, (body) => {
      if (!answer(req, res, { method, url, headers, body })) replay(req, body, res);
    });
  };
}

/** Writes `answer` (a route's, see {@link plainRouteListener}) as `node:http` would for the plain path. */
function sendAnswer(res: ServerResponse, answer: PlainAnswer): void {
  if (answer.json !== undefined) sendJson(res, answer.status, answer.json, answer.headers);
  else {
    res.writeHead(answer.status, answer.headers);
    res.end();
  }
}

/** Headers of an injected answer that the real connection sets itself. */
const TRANSPORT_HEADERS = new Set(['connection', 'keep-alive', 'date', 'transfer-encoding']);

/**
 * Answers `req`, whose `body` the raw path read, through Fastify (`inject`) as if it had come
 * in anew, from the socket's address.
 */
export function replayThroughFastify(
  app: FastifyInstance,
  req: IncomingMessage,
  body: string,
  res: ServerResponse,
): void {
  const remoteAddress = req.socket.remoteAddress;
  // The connection is gone: nobody to answer (and no address to judge the request by).
  if (remoteAddress === undefined) {
    res.destroy();
    return;
  }
  app
    .inject({
      method: req.method as 'POST',
      url: req.url ?? '/',
      headers: req.headers,
      payload: body,
      remoteAddress,
    })
    .then(
      (answer) => sendInjected(res, answer),
      () => res.destroy(),
    );
}

/** Writes the answer of a request injected into Fastify on the real connection (without the headers the connection sets itself). */
export function sendInjected(res: ServerResponse, answer: LightMyRequestResponse): void {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(answer.headers)) {
    // Fastify closes a connection after a body it could not read (`connection: close`).
    if (!TRANSPORT_HEADERS.has(name) || (name === 'connection' && value === 'close')) headers[name] = value;
  }
  res.writeHead(answer.statusCode, headers);
  res.end(answer.rawPayload);
}
