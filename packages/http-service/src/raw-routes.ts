/**
 * What a service needs to answer its hottest routes on `node:http` directly, beside Fastify
 * (`hot-routes.ts` of the License Manager, `activation-raw.ts` of the License Center): the server
 * Fastify would have created (given to it as its `serverFactory`), one series of request ids for
 * both paths, Fastify's own JSON parser, and the replay of a request whose body was read here
 * through Fastify (`inject`), so that what the raw path does not answer is answered as before.
 */
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';

/** A `node:http` request listener. */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** The content type of every JSON answer, as Fastify sends it. */
export const JSON_TYPE = 'application/json; charset=utf-8';

/** Request ids as Fastify makes them (`req-1`, `req-2`, … in base 36), one series for both paths. */
export function requestIds(): () => string {
  let next = 0;
  return () => {
    next = (next + 1) & 0x7fffffff;
    return `req-${next.toString(36)}`;
  };
}

/** The HTTP/1.1 server Fastify would create with `options` (its timeouts), answering with `listener`. */
export function rawServer(options: FastifyServerOptions, listener: RequestListener): Server {
  const server = createServer(listener);
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

/** Writes a JSON answer as Fastify does (content type and length; `extra` headers first). */
export function sendJson(res: ServerResponse, status: number, json: string, extra?: OutgoingHttpHeaders): void {
  res.writeHead(status, { ...extra, 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(json) });
  res.end(json);
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
      (answer) => {
        const headers: OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          // Fastify closes a connection after a body it could not read (`connection: close`).
          if (!TRANSPORT_HEADERS.has(name) || (name === 'connection' && value === 'close')) headers[name] = value;
        }
        res.writeHead(answer.statusCode, headers);
        res.end(answer.rawPayload);
      },
      () => res.destroy(),
    );
}
