/**
 * The online activation (`POST /v1/activations`) answered on `node:http` directly: Fastify's
 * routing, hooks, request and reply objects and its serializer cost the center's main thread
 * more than the HTTP round trip itself (`docs/benchmarks.md`), and activations are what
 * applications send. Every other request, and every activation that is not plainly well-formed,
 * goes to Fastify, which answers as it always did.
 *
 * What is answered here is checked against the same wire schema (`ActivationRequest`, compiled
 * with TypeBox's compiler), parsed with Fastify's own JSON parser, handled by the same function
 * as the Fastify route (`activateOnline`), from the socket's address (so with the same rate
 * limits, audit and alerts), and answered with the same status, headers (`Retry-After` on a
 * rate-limited refusal), error bodies and bytes (`JSON.stringify` of the answer built in the
 * schema's order), logged alike: one "activation" line, or one "request refused" line, with a
 * request id of the series Fastify's requests take theirs from.
 *
 * Handed to Fastify before anything is read: other methods and paths (a query string too), a body
 * that is chunked, empty, larger than the body limit or not `application/json`, a server closing
 * (Fastify answers 503), and a logger at `debug` or below (Fastify logs every request there).
 * Handed to Fastify with the body read (replayed through `inject`): a body that is not JSON or
 * not an `ActivationRequest` (Fastify's validator answers the same 400, or accepts it).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  checkedBody,
  logsEveryRequest,
  plainJsonBody,
  type RawRouteService,
  type RequestListener,
  readBody,
  requestLog,
  sendJson,
  sendRefusal,
} from '@lictor/http-service';
import type { ActivationRequest } from '@lictor/protocol';
import { ActivationRequest as ActivationRequestSchema } from '@lictor/protocol/wire';
import { Compile } from 'typebox/compile';
import type { Center } from '../center/types.js';
import { activateOnline } from './activation.js';

/** What the raw activation route needs of the service around it (`fastify`: Fastify's own request listener). */
export interface RawActivationOptions extends RawRouteService {
  center: Center;
  /** Fastify's JSON body parser (prototype poisoning refused). */
  parseJson: (text: string) => unknown;
}

const PATH = '/v1/activations';
const isActivationRequest = Compile(ActivationRequestSchema);

/** The request listener of the center's server: online activations here, the rest to Fastify. */
export function rawActivationListener(options: RawActivationOptions): RequestListener {
  const { center, fastify, replay, parseJson, log, genReqId, closing, bodyLimit } = options;

  function answer(req: IncomingMessage, res: ServerResponse, text: string): void {
    const body = checkedBody(req, res, text, parseJson, isActivationRequest, replay);
    if (body === undefined) return;
    const clientIp = req.socket.remoteAddress;
    // The connection is gone: nobody to answer, and no address to count the request against.
    if (clientIp === undefined) {
      res.destroy();
      return;
    }
    const reqId = genReqId();
    activateOnline(center, body as ActivationRequest, clientIp, requestLog(log, reqId)).then(
      ({ status, answer }) => sendJson(res, status, JSON.stringify(answer)),
      (error: unknown) => sendRefusal(res, log, reqId, error, bodyLimit),
    );
  }

  function activation(req: IncomingMessage, res: ServerResponse): void {
    if (!plainJsonBody(req, bodyLimit)) {
      fastify(req, res);
      return;
    }
    readBody(req, (text) => answer(req, res, text));
  }

  return (req, res) => {
    if (req.method === 'POST' && req.url === PATH && !closing() && !logsEveryRequest(log)) activation(req, res);
    else fastify(req, res);
  };
}
