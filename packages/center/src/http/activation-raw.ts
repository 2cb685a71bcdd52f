/**
 * The online activation (`POST /v1/activations`) answered without Fastify: below `node:http`
 * (`http-service`'s `servePlainConnections`, reading the connection itself) and, for the
 * connections `node:http` reads, on `node:http` directly (`plainRouteListener`). Fastify's
 * routing, hooks, request and reply objects and its serializer, and then `node:http`'s own request
 * and response objects, cost the center's main thread more than the HTTP round trip itself
 * (`docs/benchmarks.md`), and activations are what applications send. One route function,
 * {@link plainActivationRoute}, decides and answers on both layers; every other request, and every
 * activation that is not plainly well-formed, goes to Fastify, which answers as it always did.
 *
 * What is answered here is checked against the same wire schema (`ActivationRequest`, compiled
 * with TypeBox's compiler), parsed with Fastify's own JSON parser, handled by the same function
 * as the Fastify route (`activateOnline`), from the socket's address (so with the same rate
 * limits, audit and alerts), and answered with the same status, headers (`Retry-After` on a
 * rate-limited refusal), error bodies and bytes (`JSON.stringify` of the answer built in the
 * schema's order), logged alike: one "activation" line, or one "request refused" line, with a
 * request id of the series Fastify's requests take theirs from.
 *
 * Left to Fastify unread: other methods and paths (a query string too), a body that is chunked,
 * empty, larger than the body limit or not `application/json`, a server closing (Fastify answers
 * 503), and a logger at `debug` or below (Fastify logs every request there). Left to Fastify with
 * the body read (replayed through `inject` on `node:http`; below it, the connection is
 * `node:http`'s from that request on): a body that is not JSON or not an `ActivationRequest`
 * (Fastify's validator answers the same 400, or accepts it).
 */
import {
  logsEveryRequest,
  type PlainRoute,
  plainJsonAnswer,
  plainRouteListener,
  type RawRouteService,
  type RequestListener,
  requestLog,
} from '@lictor/http-service';
import type { ActivationRequest } from '@lictor/protocol';
import { ActivationRequest as ActivationRequestSchema } from '@lictor/protocol/wire';
import { Compile } from 'typebox/compile';
import type { Center } from '../center/types.js';
import { activateOnline } from './activation.js';

/** What the activation route needs of the service around it (`fastify`: Fastify's own request listener). */
export interface RawActivationOptions extends RawRouteService {
  center: Center;
  /** Fastify's JSON body parser (prototype poisoning refused). */
  parseJson: (text: string) => unknown;
}

const PATH = '/v1/activations';
const isActivationRequest = Compile(ActivationRequestSchema);

/**
 * The activation route, for requests read below `node:http` and on it: a request it does not
 * take is left unanswered (undefined) before anything is done.
 */
export function plainActivationRoute(options: RawActivationOptions): PlainRoute {
  const { center, parseJson, log } = options;
  return (req, socket) => {
    if (req.method !== 'POST' || req.url !== PATH || logsEveryRequest(log)) return undefined;
    const clientIp = socket.remoteAddress;
    // The connection is gone: nobody to answer, and no address to count the request against.
    if (clientIp === undefined) return undefined;
    return plainJsonAnswer(options, req, parseJson, isActivationRequest, (body: ActivationRequest, reqId) =>
      activateOnline(center, body, clientIp, requestLog(log, reqId)).then(({ status, answer }) => ({
        status,
        json: JSON.stringify(answer),
      })),
    );
  };
}

/** The request listener of the center's server: {@link plainActivationRoute} first, the rest to Fastify. */
export function rawActivationListener(options: RawActivationOptions): RequestListener {
  return plainRouteListener(options, plainActivationRoute(options), (req) => req.method === 'POST' && req.url === PATH);
}
