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
 * (`@lictor/protocol/wire`, compiled with TypeBox's JSON Schema compiler, `typebox/schema`: the
 * same check as `typebox/compile`'s, without the value functions it loads), handled by the same functions as
 * the Fastify routes (`hot-answers.ts`, which also make the answer's JSON text), with the same
 * headers, status codes, error bodies and log lines (a refusal at info, a failure at error, with
 * a request id of the series Fastify's requests take theirs from).
 *
 * Handed to Fastify before anything is read: other methods and paths, a query string, a session
 * id that is not 1–100 unreserved URL characters, a body on a close, a check or session body that
 * is chunked, larger than the body limit or not `application/json`, a request the local-only
 * check refuses, a server closing, and a logger at `debug` or below (Fastify logs every request
 * there). Handed to Fastify with the body read (replayed through `inject`): a body that is not
 * JSON or not of its schema (Fastify's validator may still accept it, after coercing a type or
 * removing a property the schema does not name, or answers the same 400).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { errorAnswer } from '@lictor/http-service/errors';
import { CheckBody, SessionBody } from '@lictor/protocol/wire';
import type { FastifyBaseLogger } from 'fastify';
import { Compile } from 'typebox/schema';
import { localRefusal } from '../local-only.js';
import type { LictorRuntime } from '../runtime.js';
import { JSON_TYPE } from './answer-json.js';
import { answerCheck, answerCloseSession, answerOpenSession } from './hot-answers.js';

/** A `node:http` request listener. */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** What the hot routes need of the service around them. */
export interface HotRoutesOptions {
  runtime: LictorRuntime;
  /** Whether a connection came through the runtime's Unix socket (the local-only check's). */
  overSocket: (socket: Socket) => boolean;
  /** Hands a request to the Fastify app (composed first if need be): every request not answered here. */
  fastify: RequestListener;
  /** Answers a request whose body was read through Fastify (its `inject`), as if it came in anew. */
  replay: (req: IncomingMessage, body: string, res: ServerResponse) => void;
  /** The service's logger (the Fastify app logs through a child of it). */
  log: FastifyBaseLogger;
  /** The next request id, from the series Fastify's requests take theirs from. */
  genReqId: () => string;
  /** Whether the service is closing (Fastify then answers 503). */
  closing: () => boolean;
  bodyLimit: number;
}

/** `/v1/sessions/<id>`, ids Fastify's router takes as they are (no decoding, at most its 100 characters). */
const SESSION_PATH = /^\/v1\/sessions\/([A-Za-z0-9._~-]{1,100})$/;

const isCheckBody = Compile(CheckBody);
const isSessionBody = Compile(SessionBody);

/** Whether Fastify's JSON parser would take this content type. */
function isJsonType(type: string | undefined): boolean {
  if (type === undefined) return false;
  const t = type.toLowerCase();
  return t === 'application/json' || t === 'application/json; charset=utf-8';
}

/** True when the request carries no body, and no content type or JSON (another type is refused by Fastify even without a body). */
function bodiless(req: IncomingMessage): boolean {
  const { 'content-length': length, 'content-type': type } = req.headers;
  return (
    req.headers['transfer-encoding'] === undefined &&
    (length === undefined || length === '0') &&
    (type === undefined || isJsonType(type))
  );
}

function send(res: ServerResponse, status: number, json: string): void {
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

/** The request listener of the runtime's servers: the hot routes here, the rest to Fastify. */
export function hotRoutesListener(options: HotRoutesOptions): RequestListener {
  const { runtime, overSocket, fastify, replay, log, genReqId, closing, bodyLimit } = options;
  // Fastify logs every request at `debug` and below: those requests are left to it.
  const debug = () => log.level === 'debug' || log.level === 'trace';

  /** Answers as Fastify's error handler does (`installErrorHandling`). */
  function refuse(res: ServerResponse, reqId: string, error: unknown): void {
    const { status, body } = errorAnswer(error, bodyLimit);
    if (status >= 500) log.error({ reqId, err: error }, 'request failed');
    else log.info({ reqId, code: body.code }, 'request refused');
    send(res, status, JSON.stringify(body));
  }

  /** Reads a JSON body of `schema` and answers it with `answer` (`status`), or hands it to Fastify. */
  function withBody<T>(
    req: IncomingMessage,
    res: ServerResponse,
    schema: { Check(value: unknown): value is T },
    status: number,
    answer: (body: T) => Promise<string>,
  ): void {
    const length = Number(req.headers['content-length']);
    if (
      req.headers['transfer-encoding'] !== undefined ||
      !(length > 0 && length <= bodyLimit) ||
      !isJsonType(req.headers['content-type'])
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
        // Fastify's parser also refuses `__proto__` and `constructor` keys: neither is in a
        // schema that takes no other properties, so such a body goes to Fastify below.
        body = JSON.parse(text);
      } catch {
        replay(req, text, res);
        return;
      }
      if (!schema.Check(body)) {
        replay(req, text, res);
        return;
      }
      answer(body).then(
        (json) => send(res, status, json),
        (error: unknown) => refuse(res, reqId, error),
      );
    });
  }

  function close(res: ServerResponse, id: string): void {
    const reqId = genReqId();
    try {
      answerCloseSession(runtime, id);
      res.writeHead(204);
      res.end();
    } catch (error) {
      refuse(res, reqId, error);
    }
  }

  return (req, res) => {
    const { method, url = '' } = req;
    if ((method === 'POST' || method === 'DELETE') && !closing() && !debug() && !localRefusal(req, overSocket)) {
      if (method === 'POST') {
        if (url === '/v1/check') {
          withBody(req, res, isCheckBody, 200, (body) => answerCheck(runtime, body));
          return;
        }
        if (url === '/v1/sessions') {
          withBody(req, res, isSessionBody, 201, (body) => answerOpenSession(runtime, body));
          return;
        }
      } else {
        const path = SESSION_PATH.exec(url);
        if (path !== null && bodiless(req)) {
          close(res, path[1] as string);
          return;
        }
      }
    }
    fastify(req, res);
  };
}
