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
 * with the same headers, status codes and error bodies, and logged alike (one line per grant, one per refusal, with a request id of the same series).
 *
 * Handed to Fastify before anything is read: other methods and paths, a query string, a lease id
 * that is not 1–100 unreserved URL characters, a body on a heartbeat or release, an acquire body
 * that is chunked, larger than the body limit or not `application/json`, a heartbeat's proof
 * headers that do not conform, a server closing (Fastify answers 503), and a logger at `debug` or
 * below (Fastify logs every request there). Handed to Fastify with the body read (replayed
 * through `inject`): an acquire whose proof headers do not conform, or whose body is not JSON or
 * not an `AcquireBody` (Fastify's validator may still accept it, e.g. after removing properties
 * the schema does not name, or answers the same 400).
 *
 * {@link plainLeaseRoute} is the one route function, whichever layer read the request: the
 * connection itself (`servePlainConnections`), or `node:http` ({@link hotRoutesListener}).
 */
import type { IncomingHttpHeaders } from 'node:http';
import {
  answerOrRefusal,
  bodiless,
  logsEveryRequest,
  type PlainAnswer,
  type PlainRoute,
  plainJsonAnswer,
  plainRouteListener,
  type RawRouteService,
  type RequestListener,
  requestLog,
} from '@lictor/http-service';
import { ANSWER_NONCE_HEADER, ANSWER_SESSION_HEADER, isAnswerNonce } from '@lictor/protocol';
import { AcquireBody, ProofHeaders } from '@lictor/protocol/wire';
import { Compile } from 'typebox/compile';
import { acquireLease, heartbeatLease, type LeaseRoutesContext, releaseLease } from './lease-routes.js';

/** What the hot routes need of the service around them (`fastify`: Fastify's own request listener). */
export interface HotRoutesOptions extends RawRouteService {
  ctx: LeaseRoutesContext;
  /** Fastify's JSON body parser (prototype poisoning refused). */
  parseJson: (text: string) => unknown;
}

const LEASES = '/v1/leases/';
const HEARTBEAT = '/heartbeat';

/** Whether `c` is an unreserved URL character (`[A-Za-z0-9._~-]`). */
function unreserved(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 57) ||
    c === 45 ||
    c === 46 ||
    c === 95 ||
    c === 126
  );
}

/**
 * The lease id of `/v1/leases/<id>` (`heartbeat` false) or `/v1/leases/<id>/heartbeat` (true):
 * 1–100 unreserved URL characters, ids Fastify's router takes as they are; otherwise undefined.
 * (What `/^\/v1\/leases\/([A-Za-z0-9._~-]{1,100})(\/heartbeat)?$/` matches, without a match array.)
 */
export function leasePathId(url: string, heartbeat: boolean): string | undefined {
  if (!url.startsWith(LEASES)) return undefined;
  const end = heartbeat ? url.length - HEARTBEAT.length : url.length;
  if (end - LEASES.length < 1 || end - LEASES.length > 100 || (heartbeat && !url.endsWith(HEARTBEAT))) return undefined;
  for (let i = LEASES.length; i < end; i++) if (!unreserved(url.charCodeAt(i))) return undefined;
  return url.slice(LEASES.length, end);
}

const isAcquireBody = Compile(AcquireBody);
const isProofHeaders = Compile(ProofHeaders);

/** True when the proof headers conform to `ProofHeaders` and the nonce, if any, is canonical. */
function proofHeadersOk(req: { headers: IncomingHttpHeaders }): boolean {
  const headers = req.headers;
  const nonce = headers[ANSWER_NONCE_HEADER];
  if (nonce === undefined && headers[ANSWER_SESSION_HEADER] === undefined) return true;
  return isProofHeaders.Check(headers) && (nonce === undefined || isAnswerNonce(nonce));
}

/**
 * The request listener of the manager's server: {@link plainLeaseRoute} for the requests
 * `node:http` reads (a connection's first request outside the plain subset, and every request
 * with `plainConnections: false`), the body read only for an acquire; the rest to Fastify.
 */
export function hotRoutesListener(options: HotRoutesOptions): RequestListener {
  return plainRouteListener(
    options,
    plainLeaseRoute(options),
    (req) => req.method === 'POST' && req.url === '/v1/leases',
  );
}

const NO_CONTENT: PlainAnswer = { status: 204 };

/**
 * The three routes, for requests read below `node:http` (`servePlainConnections`) and on it
 * ({@link hotRoutesListener}): a request it does not take is left unanswered (undefined), before
 * anything is done; `node:http` then reads it, and the listener gives it to Fastify (or replays
 * it through Fastify when its body was read).
 */
export function plainLeaseRoute(options: HotRoutesOptions): PlainRoute {
  const { ctx, parseJson, log } = options;

  return (req, socket) => {
    if (logsEveryRequest(log)) return undefined;
    const { method, url } = req;
    if (method === 'POST') {
      if (url === '/v1/leases') {
        if (!proofHeadersOk(req)) return undefined;
        return plainJsonAnswer(options, req, parseJson, isAcquireBody, (body, reqId) =>
          acquireLease(ctx, body, req.headers as ProofHeaders, socket.remoteAddress, requestLog(log, reqId)),
        );
      }
      const id = leasePathId(url, true);
      if (id === undefined || !bodiless(req) || !proofHeadersOk(req)) return undefined;
      return answerOrRefusal(options, () => ({
        status: 200,
        json: heartbeatLease(ctx, id, req.headers as ProofHeaders),
      }));
    }
    if (method === 'DELETE') {
      const id = leasePathId(url, false);
      if (id === undefined || !bodiless(req)) return undefined;
      return answerOrRefusal(options, () => {
        releaseLease(ctx, id);
        return NO_CONTENT;
      });
    }
    return undefined;
  };
}
