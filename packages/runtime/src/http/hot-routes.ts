/**
 * The runtime's routes that applications use all day, answered on `node:http` directly: a signed
 * check (`POST /v1/check`), a session opened (`POST /v1/sessions`) and closed
 * (`DELETE /v1/sessions/{id}`), a floating seat taken (`POST /v1/seats`) and given back
 * (`DELETE /v1/seats/{id}`), the change events (`GET /v1/events`, a stream held open all day) and
 * the status (`GET /v1/status`, what `lictor runtime status` asks). Fastify's routing, hooks,
 * validation, request and reply objects cost more CPU per request than the check itself
 * (`docs/benchmarks.md`, "Runtime"), and the Fastify app, composed, keeps about 22 MiB of resident
 * memory for the rest of the process's life (Fastify, TypeBox, Ajv, the OpenAPI plugin, the
 * compiled schemas). Everything else, and every request here that is not plainly well-formed,
 * goes to Fastify, which answers as it always did (the License Manager's design,
 * `packages/manager/src/hot-routes.ts`). What stays on Fastify: activation, offline requests and
 * installs, remote upgrades and `GET /openapi.json`, one-off actions of a person, for which
 * loading the app once is fine.
 *
 * What is answered here passes the same local-only check (`localRefusal`: a refused request is
 * handed to Fastify, whose `onRequest` hook refuses it), is checked against the same wire schemas
 * (`@lictor/protocol/wire`: TypeBox's compiled check of each, generated at build time into
 * `wire-code.generated.ts`, so that neither the schemas' TypeBox builders nor its compiler are
 * loaded to serve), handled by the same functions as the Fastify routes (`hot-answers.ts`, which
 * also make the answer's JSON text, with serializers generated there too; `event-stream.ts` for
 * the event stream), with the same headers, status codes, error bodies and log lines (a refusal
 * at info, a failure at error, with a request id of the series Fastify's requests take theirs
 * from). Event streams opened here are in the same set as Fastify's, and end as they do when the
 * service closes (`RuntimeServer.close()`, the app's `preClose`).
 *
 * Handed to Fastify before anything is read: other methods and paths, a query string (but
 * `?product=` on the events, see below), a session or seat id that is not 1–100 unreserved URL
 * characters, a body on a close, a release, a status or events request, a check, session or seat
 * body that is chunked, larger than the body limit or not `application/json`, an events request
 * whose query is not `?product=` with a value free of `&`, `=`, `+`, `;`, `#`, `?` whose
 * percent-decoding succeeds and fits `EventsQuery`, or whose header `last-event-id` is longer
 * than 128 characters, a request the local-only check refuses, a server closing, and a logger at
 * `debug` or below (Fastify logs every request there). Handed to Fastify with the body read
 * (replayed through `inject`): a check or session whose header `lictor-session` (the
 * application's answer session) is not of `RuntimeProofHeaders`, and a body that is not JSON or
 * not of its schema (Fastify's validator may still accept it, after coercing a type or removing
 * a property the schema does not name, or answers the same 400).
 *
 * {@link plainRuntimeRoute} is the one route function of the check, sessions, seats and status,
 * whichever layer read the request: the connection itself (`servePlainConnections`), or
 * `node:http` ({@link hotRoutesListener}, which also opens event streams).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { PlainRoute, PlainRouteRequest } from '@lictor/http-service/plain-connections';
import type { PlainAnswer } from '@lictor/http-service/plain-http';
import {
  answerOrRefusal,
  bodiless,
  logsEveryRequest,
  plainJsonAnswer,
  plainRouteListener,
  type RawRouteService,
  type RequestListener,
} from '@lictor/http-service/raw-routes';
import { ANSWER_SESSION_HEADER } from '@lictor/protocol';
import { localRefusal } from '../local-only.js';
import type { LictorRuntime } from '../runtime.js';
import type { EventStreams } from './event-stream.js';
import {
  answerAcquireSeat,
  answerCheck,
  answerCloseSession,
  answerOpenSession,
  answerReleaseSeat,
  answerStatus,
} from './hot-answers.js';
import { isCheckBody, isEventsQuery, isProofHeaders, isSeatBody, isSessionBody } from './wire-code.generated.js';

/**
 * What the hot routes need of the service around them (`fastify` composes the Fastify app first
 * if need be; `log` is the service's, the app logs through a child of it).
 */
export interface HotRoutesOptions extends RawRouteService {
  runtime: LictorRuntime;
  /** Whether a connection came through the runtime's Unix socket (the local-only check's). */
  overSocket: (socket: Socket) => boolean;
  /** The runtime's open event streams (the Fastify route's too). */
  streams: EventStreams;
}

/** `/v1/sessions/<id>`, ids Fastify's router takes as they are (no decoding, at most its 100 characters). */
const SESSION_PATH = /^\/v1\/sessions\/([A-Za-z0-9._~-]{1,100})$/;
/** `/v1/seats/<id>`, as {@link SESSION_PATH}. */
const SEAT_PATH = /^\/v1\/seats\/([A-Za-z0-9._~-]{1,100})$/;
/**
 * `/v1/events`, or with `?product=` and a value that Fastify's query string parser and router
 * take as it is but for its percent-decoding (no other member, no `+` for a space, nothing its
 * router cuts a path at).
 */
const EVENTS_PATH = /^\/v1\/events(?:\?product=([^&=+;#?]*))?$/;
/** The event stream's header `last-event-id`, at most this long (its schema on the Fastify route). */
const MAX_LAST_EVENT_ID = 128;

const checkBody = { Check: isCheckBody };
const sessionBody = { Check: isSessionBody };
const seatBody = { Check: isSeatBody };

/** The `product` of an events query (`undefined`: none), or `null` when it is not plainly of `EventsQuery`. */
function eventsProduct(value: string | undefined): string | undefined | null {
  if (value === undefined) return undefined;
  let product = value;
  if (value.includes('%')) {
    try {
      product = decodeURIComponent(value);
    } catch {
      return null;
    }
  }
  return isEventsQuery({ product }) ? product : null;
}

/**
 * The request listener of the runtime's servers: event streams here, and
 * {@link plainRuntimeRoute} for the check, sessions, seats and status (`node:http`'s side of the
 * routes answered below it, the body read only for a check, a session or a seat asked by a
 * local client); the rest to Fastify.
 */
export function hotRoutesListener(options: HotRoutesOptions): RequestListener {
  const { overSocket, streams, fastify, log, genReqId, closing } = options;
  const plain = plainRouteListener(
    options,
    plainRuntimeRoute(options),
    (req) =>
      req.method === 'POST' &&
      (req.url === '/v1/check' || req.url === '/v1/sessions' || req.url === '/v1/seats') &&
      !localRefusal(req, overSocket),
  );

  /** `GET /v1/events` when its query and header are plainly well-formed (true), or nothing (false: Fastify's). */
  function events(req: IncomingMessage, res: ServerResponse): boolean {
    const path = req.method === 'GET' && bodiless(req) ? EVENTS_PATH.exec(req.url ?? '') : null;
    if (path === null) return false;
    const product = eventsProduct(path[1]);
    const lastEventId = req.headers['last-event-id'];
    if (product === null) return false;
    if (lastEventId !== undefined && (typeof lastEventId !== 'string' || lastEventId.length > MAX_LAST_EVENT_ID)) {
      return false;
    }
    genReqId.take();
    streams.open(res, product, lastEventId);
    return true;
  }

  return (req, res) => {
    if (!(req.url ?? '').startsWith('/v1/events')) {
      plain(req, res);
      return;
    }
    if (closing() || logsEveryRequest(log) || localRefusal(req, overSocket) || !events(req, res)) fastify(req, res);
  };
}

const NO_CONTENT: PlainAnswer = { status: 204 };

/**
 * The check, the session opened and closed, the seat taken and given back, and the status, for
 * requests read below `node:http` (`servePlainConnections`) and on it ({@link hotRoutesListener}):
 * a request it does not take (event streams among them) is left unanswered (undefined), before
 * anything is done; `node:http` then reads it, and the listener answers it (events) or gives it
 * to Fastify (replayed through Fastify when its body was read). A seat's answer waits for its
 * License Manager; later requests of the same connection wait behind it, as on `node:http`.
 */
export function plainRuntimeRoute(options: HotRoutesOptions): PlainRoute {
  const { runtime, overSocket, log } = options;

  /**
   * A JSON body of `schema` answered by `answer` (`status`), or undefined (node:http's);
   * `proofHeaders`: the route takes the header `lictor-session`, checked against its schema.
   * (`JSON.parse`: Fastify's parser also refuses `__proto__` and `constructor` keys, which no
   * schema here takes, so such a body is Fastify's either way.)
   */
  function withBody<T>(
    req: PlainRouteRequest,
    schema: { Check(value: unknown): value is T },
    status: number,
    proofHeaders: boolean,
    answer: (body: T, session: string | undefined) => Promise<string>,
  ): Promise<PlainAnswer> | PlainAnswer | undefined {
    const session = proofHeaders ? req.headers[ANSWER_SESSION_HEADER] : undefined;
    if (session !== undefined && !isProofHeaders(req.headers)) return undefined;
    return plainJsonAnswer(options, req, JSON.parse, schema, (body) =>
      answer(body, session).then((json) => ({ status, json })),
    );
  }

  return (req, socket) => {
    const { method, url } = req;
    if (logsEveryRequest(log) || localRefusal({ headers: req.headers, socket }, overSocket)) return undefined;
    if (method === 'POST') {
      if (url === '/v1/check') return withBody(req, checkBody, 200, true, (b, s) => answerCheck(runtime, b, s));
      if (url === '/v1/sessions')
        return withBody(req, sessionBody, 201, true, (b, s) => answerOpenSession(runtime, b, s));
      if (url === '/v1/seats') return withBody(req, seatBody, 201, false, (b) => answerAcquireSeat(runtime, b));
      return undefined;
    }
    if (!bodiless(req)) return undefined;
    if (method === 'GET' && url === '/v1/status') {
      return answerOrRefusal(options, () => ({ status: 200, json: answerStatus(runtime) }));
    }
    if (method === 'DELETE') {
      const session = SESSION_PATH.exec(url);
      if (session !== null) {
        return answerOrRefusal(options, () => {
          answerCloseSession(runtime, session[1] as string);
          return NO_CONTENT;
        });
      }
      const seat = SEAT_PATH.exec(url);
      if (seat === null) return undefined;
      return answerOrRefusal(options, () => answerReleaseSeat(runtime, seat[1] as string).then(() => NO_CONTENT));
    }
    return undefined;
  };
}
