/**
 * The runtime's three hot routes answered on `node:http` directly: a signed check
 * (`POST /v1/check`), a session opened (`POST /v1/sessions`) and closed
 * (`DELETE /v1/sessions/{id}`), what applications send all day. Fastify's routing, hooks,
 * validation, request and reply objects cost more CPU per request than the check itself
 * (`docs/benchmarks.md`, "Runtime"). Everything else, and every hot request that is not plainly
 * well-formed, goes to Fastify, which answers as it always did (the License Manager's design,
 * `packages/manager/src/hot-routes.ts`).
 *
 * What is answered here passes the same local-only check (`localRefusal`: a refused request is
 * handed to Fastify, whose `onRequest` hook refuses it), is checked against the same wire schemas
 * (`@lictor/protocol/wire`: TypeBox's compiled check of each, generated at build time into
 * `wire-code.generated.ts`, so that neither the schemas' TypeBox builders nor its compiler are
 * loaded to serve), handled by the same functions as
 * the Fastify routes (`hot-answers.ts`, which also make the answer's JSON text), with the same
 * headers, status codes, error bodies and log lines (a refusal at info, a failure at error, with
 * a request id of the series Fastify's requests take theirs from).
 *
 * Handed to Fastify before anything is read: other methods and paths, a query string, a session
 * id that is not 1–100 unreserved URL characters, a body on a close, a header `lictor-session`
 * (the application's answer session) not of `RuntimeProofHeaders`, a check or session body that
 * is chunked, larger than the body limit or not `application/json`, a request the local-only
 * check refuses, a server closing, and a logger at `debug` or below (Fastify logs every request
 * there). Handed to Fastify with the body read (replayed through `inject`): a body that is not
 * JSON or not of its schema (Fastify's validator may still accept it, after coercing a type or
 * removing a property the schema does not name, or answers the same 400).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  bodiless,
  checkedBody,
  logsEveryRequest,
  plainJsonBody,
  type RawRouteService,
  type RequestListener,
  readBody,
  sendDone,
  sendJson,
  sendRefusal,
} from '@lictor/http-service/raw-routes';
import { ANSWER_SESSION_HEADER } from '@lictor/protocol';
import { localRefusal } from '../local-only.js';
import type { LictorRuntime } from '../runtime.js';
import { answerCheck, answerCloseSession, answerOpenSession } from './hot-answers.js';
import { isCheckBody, isProofHeaders, isSessionBody } from './wire-code.generated.js';

/**
 * What the hot routes need of the service around them (`fastify` composes the Fastify app first
 * if need be; `log` is the service's, the app logs through a child of it).
 */
export interface HotRoutesOptions extends RawRouteService {
  runtime: LictorRuntime;
  /** Whether a connection came through the runtime's Unix socket (the local-only check's). */
  overSocket: (socket: Socket) => boolean;
}

/** `/v1/sessions/<id>`, ids Fastify's router takes as they are (no decoding, at most its 100 characters). */
const SESSION_PATH = /^\/v1\/sessions\/([A-Za-z0-9._~-]{1,100})$/;

const checkBody = { Check: isCheckBody };
const sessionBody = { Check: isSessionBody };

/** The request listener of the runtime's servers: the hot routes here, the rest to Fastify. */
export function hotRoutesListener(options: HotRoutesOptions): RequestListener {
  const { runtime, overSocket, fastify, replay, log, genReqId, closing, bodyLimit } = options;

  /** Reads a JSON body of `schema` and answers it with `answer` (`status`), or hands it to Fastify. */
  function withBody<T>(
    req: IncomingMessage,
    res: ServerResponse,
    schema: { Check(value: unknown): value is T },
    status: number,
    answer: (body: T, session: string | undefined) => Promise<string>,
  ): void {
    const session = req.headers[ANSWER_SESSION_HEADER];
    if (!plainJsonBody(req, bodyLimit) || (session !== undefined && !isProofHeaders(req.headers))) {
      fastify(req, res);
      return;
    }
    const reqId = genReqId();
    readBody(req, (text) => {
      // Fastify's parser also refuses `__proto__` and `constructor` keys: neither is in a
      // schema that takes no other properties, so such a body goes to Fastify (replayed).
      const body = checkedBody(req, res, text, JSON.parse, schema, replay);
      if (body === undefined) return;
      answer(body, session as string | undefined).then(
        (json) => sendJson(res, status, json),
        (error: unknown) => sendRefusal(res, log, reqId, error, bodyLimit),
      );
    });
  }

  return (req, res) => {
    const { method, url = '' } = req;
    if (
      (method === 'POST' || method === 'DELETE') &&
      !closing() &&
      !logsEveryRequest(log) &&
      !localRefusal(req, overSocket)
    ) {
      if (method === 'POST') {
        if (url === '/v1/check') {
          withBody(req, res, checkBody, 200, (body, session) => answerCheck(runtime, body, session));
          return;
        }
        if (url === '/v1/sessions') {
          withBody(req, res, sessionBody, 201, (body, session) => answerOpenSession(runtime, body, session));
          return;
        }
      } else {
        const path = SESSION_PATH.exec(url);
        if (path !== null && bodiless(req)) {
          sendDone(res, options, answerCloseSession, runtime, path[1] as string);
          return;
        }
      }
    }
    fastify(req, res);
  };
}
