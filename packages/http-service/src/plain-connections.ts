/**
 * A service's hottest routes answered below `node:http`: each new connection of the service's
 * `node:http` server is read here first, and every request that is of the plain subset
 * (`plain-http.ts`), whole in what has arrived, and taken by the service's route is answered
 * here, written as `node:http` would write it. At the first request that is not, the connection
 * is handed to `node:http` for good with that request's bytes unread, and `node:http` (and
 * Fastify behind it) answers it and everything after it as before. Nothing is refused here and
 * nothing is kept between reads: a request whose bytes have not all arrived is `node:http`'s.
 *
 * Why: on a loopback connection `node:http`'s request and response objects, header handling and
 * streams cost about as much CPU per request as the License Manager's lease work; reading the
 * bytes here takes that away (`docs/benchmarks.md`, "The hot lease routes below node:http").
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { nodeHttp } from './node-http.js';
import {
  OTHER,
  PARTIAL,
  type PlainAnswer,
  type PlainLimits,
  type PlainRequest,
  parsePlainRequest,
  plainAnswerText,
} from './plain-http.js';

/** A route answered below `node:http`: the answer, or undefined to leave the request (and the connection) to `node:http`. */
export type PlainRoute = (request: PlainRequest, socket: Socket) => PlainAnswer | undefined;

/** Options of {@link servePlainConnections}. */
export interface PlainConnectionsOptions {
  route: PlainRoute;
  limits: PlainLimits;
  /** Whether the service is closing: every new request and connection then goes to `node:http`. */
  closing: () => boolean;
  /** Told of an exception thrown by the route (the connection is then destroyed). */
  onError: (error: unknown) => void;
  /** The clock the `Date` header is written from (`Date.now`). */
  now?: () => number;
  /**
   * How much longer than the server's `keepAliveTimeout` an idle connection is kept: default
   * 1,000 ms, as Node 24 keeps its own (the client, told the timeout, closes first).
   */
  idleSlackMs?: number;
}

/** What {@link servePlainConnections} returns: the connections it reads now, closed gracefully on demand. */
export interface PlainConnections {
  /** The connections read here now (not handed to `node:http`). */
  readonly size: number;
  /** Ends every connection read here once its answers are written (they hold no request in progress). */
  closeIdle(): void;
}

/**
 * Reads the connections `server` accepts from now on with `options.route` first (see the
 * module's comment). `server` must be a `node:http` server with only its own connection
 * listener, no `maxRequestsPerSocket` and no idle `timeout` (the plain path does not count
 * requests or time a connection but for `keepAliveTimeout`).
 */
export function servePlainConnections(server: Server, options: PlainConnectionsOptions): PlainConnections {
  const listeners = server.listeners('connection');
  if (listeners.length !== 1) {
    throw new Error("servePlainConnections: the server must have only node:http's connection listener");
  }
  const http = listeners[0] as (this: Server, socket: Socket) => void;
  if ((server.maxRequestsPerSocket ?? 0) > 0 || server.timeout > 0) {
    throw new Error('servePlainConnections: maxRequestsPerSocket and timeout are not supported');
  }
  const { route, limits, closing, onError } = options;
  const now = options.now ?? Date.now;
  const idleSlackMs = options.idleSlackMs ?? 1000;
  const open = new Set<Socket>();
  const handlers = new Map<Socket, Handlers>();
  let second = -1;
  let date = '';
  /** `Date`'s value for now, made once a second (as `node:http` does). */
  const dateNow = (): string => {
    const t = now();
    const s = Math.floor(t / 1000);
    if (s !== second) {
      second = s;
      date = new Date(s * 1000).toUTCString();
    }
    return date;
  };

  interface Handlers {
    data: (chunk: Buffer) => void;
    end: () => void;
    timeout: () => void;
    close: () => void;
  }

  function detach(socket: Socket): void {
    const h = handlers.get(socket);
    if (h === undefined) return;
    handlers.delete(socket);
    open.delete(socket);
    socket.removeListener('data', h.data);
    socket.removeListener('end', h.end);
    socket.removeListener('timeout', h.timeout);
    socket.removeListener('close', h.close);
    socket.removeListener('error', ignore);
    socket.removeListener('drain', resume);
    socket.setTimeout(0);
  }

  /** Gives `socket` to `node:http` for good, with `unread` (a request's first bytes) as what it reads first. */
  function handOver(socket: Socket, unread: Buffer | undefined): void {
    detach(socket);
    http.call(server, socket);
    // `node:http` takes the socket's next reads straight into its parser, so the bytes this
    // read took from the socket are given to its data listener now, before any further read.
    if (unread !== undefined && unread.length > 0) socket.emit('data', unread);
    // Paused here for a full write buffer: `node:http` keeps its own account from now on.
    if (socket.isPaused()) socket.resume();
  }

  server.removeListener('connection', http);
  server.on('connection', (socket: Socket) => {
    if (closing()) {
      http.call(server, socket);
      return;
    }
    const keepAlive = String(Math.floor(server.keepAliveTimeout / 1000));
    const h: Handlers = {
      data: (chunk) => {
        let at = 0;
        let out = '';
        try {
          while (at < chunk.length) {
            const request = parsePlainOrNot(chunk, at, limits);
            if (request === undefined || closing()) break;
            const answer = route(request, socket);
            if (answer === undefined) break;
            out += plainAnswerText(answer, STATUS_TEXTS, dateNow(), keepAlive);
            at = request.next;
          }
        } catch (error) {
          onError(error);
          detach(socket);
          socket.destroy();
          return;
        }
        if (out !== '' && !socket.write(out)) {
          socket.pause();
          socket.once('drain', resume);
        }
        if (at < chunk.length) handOver(socket, at === 0 ? chunk : chunk.subarray(at));
      },
      // The client is done sending; nothing is in progress here: answer with the end.
      end: () => {
        detach(socket);
        socket.end();
      },
      timeout: () => {
        detach(socket);
        socket.destroy();
      },
      close: () => detach(socket),
    };
    handlers.set(socket, h);
    open.add(socket);
    socket.on('data', h.data);
    socket.on('end', h.end);
    socket.on('timeout', h.timeout);
    socket.on('close', h.close);
    socket.on('error', ignore);
    // `node:http` closes an idle kept-alive connection after `keepAliveTimeout` (and a second more on Node 24).
    if (server.keepAliveTimeout > 0) socket.setTimeout(server.keepAliveTimeout + idleSlackMs);
  });

  return {
    get size() {
      return open.size;
    },
    closeIdle() {
      for (const socket of [...open]) {
        detach(socket);
        socket.end();
        socket.once('finish', () => socket.destroy());
      }
    },
  };
}

/** A request of the plain subset at `at`, or undefined (partial or other: `node:http`'s). */
function parsePlainOrNot(chunk: Buffer, at: number, limits: PlainLimits): PlainRequest | undefined {
  const request = parsePlainRequest(chunk, at, limits);
  return request === PARTIAL || request === OTHER ? undefined : request;
}

const STATUS_TEXTS = nodeHttp.STATUS_CODES;

function ignore(): void {}

function resume(this: Socket): void {
  this.resume();
}
