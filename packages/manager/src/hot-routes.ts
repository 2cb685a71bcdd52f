/**
 * The License Manager's three hot routes answered on `node:http` directly: acquire
 * (`POST /v1/leases`), heartbeat (`POST /v1/leases/:id/heartbeat`) and release
 * (`DELETE /v1/leases/:id`). Fastify's routing, hooks, request and reply objects cost more CPU
 * per request than the lease itself (`docs/benchmarks.md`), and these are what every client sends
 * all day. Everything else, and every hot request that is not plainly well-formed, goes to
 * Fastify, which answers as it always did.
 *
 * What is answered here is checked against the same wire schemas (`@lictor/protocol/wire`,
 * compiled with TypeBox's compiler), parsed with Fastify's own JSON parser, handled by the same
 * functions as the Fastify routes (`lease-routes.ts`, which write the answers' JSON text),
 * headers, status codes and error bodies, and
 * logged alike (one line per grant, one per refusal, with a request id of the same series).
 *
 * Handed to Fastify before anything is read: other methods and paths, a query string, a lease id
 * that is not 1–100 unreserved URL characters, a body on a heartbeat or release, an acquire body
 * that is chunked, larger than the body limit or not `application/json`, proof headers that do
 * not conform, a server closing (Fastify answers 503), and a logger at `debug` or below (Fastify
 * logs every request there). Handed to Fastify with the body read (replayed through `inject`):
 * an acquire body that is not JSON or not an `AcquireBody` (Fastify's validator may still accept
 * it, e.g. after removing properties the schema does not name, or answers the same 400).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorAnswer, isJsonType, type RequestListener, sendJson } from '@lictor/http-service';
import { ANSWER_NONCE_HEADER, isAnswerNonce } from '@lictor/protocol';
import { AcquireBody, ProofHeaders } from '@lictor/protocol/wire';
import type { FastifyBaseLogger } from 'fastify';
import { Compile } from 'typebox/compile';
import { acquireLease, heartbeatLease, type LeaseRoutesContext, type RouteLog, releaseLease } from './lease-routes.js';

/** What the hot routes need of the service around them. */
export interface HotRoutesOptions {
  ctx: LeaseRoutesContext;
  /** Fastify's own request listener: every request not answered here. */
  fastify: RequestListener;
  /** Answers a request whose body was read through Fastify (its `inject`), as if it came in anew. */
  replay: (req: IncomingMessage, body: string, res: ServerResponse) => void;
  /** Fastify's JSON body parser (prototype poisoning refused). */
  parseJson: (text: string) => unknown;
  /** The service's logger (Fastify's root logger). */
  log: FastifyBaseLogger;
  /** The next request id, from the series Fastify's requests take theirs from. */
  genReqId: () => string;
  /** Whether the service is closing (Fastify then answers 503). */
  closing: () => boolean;
  bodyLimit: number;
}

/** `/v1/leases/<id>` and `/v1/leases/<id>/heartbeat`, ids Fastify's router takes as they are. */
const LEASE_PATH = /^\/v1\/leases\/([A-Za-z0-9._~-]{1,100})(\/heartbeat)?$/;

const isAcquireBody = Compile(AcquireBody);
const isProofHeaders = Compile(ProofHeaders);

/**
 * True when the request carries no body (as the SDK sends heartbeats and releases), and no
 * content type or JSON (another type is refused by Fastify even without a body).
 */
function bodiless(req: IncomingMessage): boolean {
  const { 'content-length': length, 'content-type': type } = req.headers;
  return (
    req.headers['transfer-encoding'] === undefined &&
    (length === undefined || length === '0') &&
    (type === undefined || isJsonType(type))
  );
}

/** True when the proof headers conform to `ProofHeaders` and the nonce, if any, is canonical. */
function proofHeadersOk(req: IncomingMessage): boolean {
  const nonce = req.headers[ANSWER_NONCE_HEADER];
  return isProofHeaders.Check(req.headers) && (nonce === undefined || isAnswerNonce(nonce));
}

/** The request listener of the manager's server: the hot routes here, the rest to Fastify. */
export function hotRoutesListener(options: HotRoutesOptions): RequestListener {
  const { ctx, fastify, replay, parseJson, log, genReqId, closing, bodyLimit } = options;
  // Fastify logs every request at `debug` and below: those requests are left to it.
  const debug = () => log.level === 'debug' || log.level === 'trace';

  const routeLog = (reqId: string): RouteLog => ({
    info: (fields, message) => log.info({ reqId, ...fields }, message),
  });

  /** Answers as Fastify's error handler does (`installErrorHandling`). */
  function refuse(res: ServerResponse, reqId: string, error: unknown): void {
    const { status, body } = errorAnswer(error, bodyLimit);
    if (status >= 500) log.error({ reqId, err: error }, 'request failed');
    else log.info({ reqId, code: body.code }, 'request refused');
    sendJson(res, status, JSON.stringify(body));
  }

  function acquire(req: IncomingMessage, res: ServerResponse): void {
    const length = Number(req.headers['content-length']);
    if (
      req.headers['transfer-encoding'] !== undefined ||
      !(length > 0 && length <= bodyLimit) ||
      !isJsonType(req.headers['content-type']) ||
      !proofHeadersOk(req)
    ) {
      fastify(req, res);
      return;
    }
    const reqId = genReqId();
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
    });
    // A connection that breaks mid-body gets no answer, from here or from Fastify.
    req.on('error', () => {});
    req.on('end', () => {
      let body: unknown;
      try {
        body = parseJson(text);
      } catch {
        replay(req, text, res);
        return;
      }
      if (!isAcquireBody.Check(body)) {
        replay(req, text, res);
        return;
      }
      try {
        const { status, json } = acquireLease(
          ctx,
          body,
          req.headers as ProofHeaders,
          req.socket.remoteAddress,
          routeLog(reqId),
        );
        sendJson(res, status, json);
      } catch (error) {
        refuse(res, reqId, error);
      }
    });
  }

  function heartbeat(req: IncomingMessage, res: ServerResponse, id: string): void {
    const reqId = genReqId();
    try {
      sendJson(res, 200, heartbeatLease(ctx, id, req.headers as ProofHeaders));
    } catch (error) {
      refuse(res, reqId, error);
    }
  }

  function release(res: ServerResponse, id: string): void {
    const reqId = genReqId();
    try {
      releaseLease(ctx, id);
      res.writeHead(204);
      res.end();
    } catch (error) {
      refuse(res, reqId, error);
    }
  }

  return (req, res) => {
    const { method, url = '' } = req;
    if (method === 'POST' && !closing() && !debug()) {
      if (url === '/v1/leases') {
        acquire(req, res);
        return;
      }
      const path = LEASE_PATH.exec(url);
      if (path?.[2] !== undefined && bodiless(req) && proofHeadersOk(req)) {
        heartbeat(req, res, path[1] as string);
        return;
      }
    } else if (method === 'DELETE' && !closing() && !debug()) {
      const path = LEASE_PATH.exec(url);
      if (path !== null && path[2] === undefined && bodiless(req)) {
        release(res, path[1] as string);
        return;
      }
    }
    fastify(req, res);
  };
}
