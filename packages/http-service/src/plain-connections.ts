/**
 * A service's hottest routes answered below `node:http`: each new connection of the service's
 * `node:http` server is read here first, and every request that is of the plain subset
 * (`plain-http.ts`), whole in what has arrived, and taken by the service's route is answered
 * here, written as `node:http` would write it. At the first request that is not, the connection
 * is handed to `node:http` for good with that request's bytes unread, and `node:http` (and
 * Fastify behind it) answers it and everything after it as before. Nothing is refused here and
 * no request is kept between reads: a request whose bytes have not all arrived is `node:http`'s.
 * Answers go out in the order of their requests; while an answer is awaited (a route may answer
 * with a promise) what arrives is queued (at most 64 KiB are read ahead).
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

/**
 * A route answered below `node:http`: the answer (or a promise of it: later requests of the
 * connection wait for it), or undefined to leave the request, and the connection, to `node:http`
 * (decided before the route does anything).
 */
export type PlainRoute = (request: PlainRouteRequest, socket: Socket) => PlainAnswer | Promise<PlainAnswer> | undefined;

/** What a {@link PlainRoute} is given of a request (also by `plainRouteListener` on `node:http`). */
export type PlainRouteRequest = Pick<PlainRequest, 'method' | 'url' | 'headers' | 'body'>;

/**
 * The bounds of a service's plain path: `node:http`'s default head size (16 KiB), more headers
 * than any client sends, and the service's own body limit.
 */
export function plainLimits(bodyLimit: number): PlainLimits {
  return { maxHeadBytes: 16 * 1024, maxHeaders: 64, bodyLimit };
}

/** Options of {@link servePlainConnections}. */
export interface PlainConnectionsOptions {
  route: PlainRoute;
  limits: PlainLimits;
  /** Whether the service is closing: every new request and connection then goes to `node:http`. */
  closing: () => boolean;
  /** Told of an exception thrown by the route or a promise of it rejected (the connection is then destroyed). */
  onError: (error: unknown) => void;
  /** The clock the `Date` header is written from (`Date.now`). */
  now?: () => number;
  /**
   * How much longer than the server's `keepAliveTimeout` an idle connection is kept: default
   * 1,000 ms, as Node 24 keeps its own (the client, told the timeout, closes first).
   */
  idleSlackMs?: number;
}

/** What {@link servePlainConnections} returns: the connections it reads now. */
export interface PlainConnections {
  /** The connections read here now (not handed to `node:http`). */
  readonly size: number;
}

/**
 * Reads the connections `server` accepts from now on with `options.route` first (see the
 * module's comment). `server` must be a `node:http` server with only its own connection
 * listener so far, no `maxRequestsPerSocket` and no idle `timeout` (the plain path does not count
 * requests or time a connection but for `keepAliveTimeout`). The server's
 * `closeIdleConnections()` and `closeAllConnections()` close the connections read here too
 * (idle ones end once their answers are written; all are destroyed).
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
  const open = new Set<PlainConnection>();
  let second = -1;
  let date = '';

  /** `Date`'s value for now, made once a second (as `node:http` does). */
  function dateNow(): string {
    const s = Math.floor(now() / 1000);
    if (s !== second) {
      second = s;
      date = new Date(s * 1000).toUTCString();
    }
    return date;
  }

  /** One connection read here, until it closes or is handed to `node:http`. */
  class PlainConnection {
    /** An answer is awaited: what arrives meanwhile is queued (`queued`), served after it. */
    private awaiting = false;
    /** Chunks that arrived while an answer was awaited, in order, and their bytes. */
    private queued: Buffer[] = [];
    private queuedBytes = 0;
    /** Reading is stopped for the queue's size (beyond {@link QUEUE_LIMIT}). */
    private queueFull = false;
    /** The socket's write buffer is full: the connection is not read until it drains. */
    private draining = false;
    /** End the connection once no answer is awaited (the client ended, or the server closes idle connections). */
    private endWhenAnswered = false;
    private readonly keepAlive = String(Math.floor(server.keepAliveTimeout / 1000));

    constructor(readonly socket: Socket) {
      open.add(this);
      socket.on('data', this.onData);
      socket.on('end', this.onEnd);
      socket.on('timeout', this.onTimeout);
      socket.on('close', this.detach);
      socket.on('drain', this.onDrain);
      socket.on('error', ignore);
      // `node:http` closes an idle kept-alive connection after `keepAliveTimeout` (and a second more on Node 24).
      if (server.keepAliveTimeout > 0) socket.setTimeout(server.keepAliveTimeout + idleSlackMs);
    }

    private readonly onData = (chunk: Buffer): void => {
      if (!this.awaiting) {
        this.serve(chunk, 0);
        return;
      }
      this.queued.push(chunk);
      this.queuedBytes += chunk.length;
      if (this.queuedBytes > QUEUE_LIMIT) {
        this.queueFull = true;
        this.socket.pause();
      }
    };

    /** The client is done sending: end the connection once its answers are written. */
    private readonly onEnd = (): void => this.close();

    private readonly onTimeout = (): void => {
      this.detach();
      this.socket.destroy();
    };

    private readonly onDrain = (): void => {
      if (!this.draining) return;
      this.draining = false;
      this.resumeIfFree();
    };

    /** Stops reading the connection here (closed, or handed to `node:http`). */
    readonly detach = (): void => {
      if (!open.delete(this)) return;
      const { socket } = this;
      socket.removeListener('data', this.onData);
      socket.removeListener('end', this.onEnd);
      socket.removeListener('timeout', this.onTimeout);
      socket.removeListener('close', this.detach);
      socket.removeListener('drain', this.onDrain);
      socket.removeListener('error', ignore);
      socket.setTimeout(0);
    };

    /** Answers the whole plain requests of `chunk` from `at` on, and hands the rest to `node:http`. */
    private serve(chunk: Buffer, at: number): void {
      let out = '';
      try {
        while (at < chunk.length) {
          const request = parsePlainOrNot(chunk, at, limits);
          if (request === undefined || closing()) break;
          const answer = route(request, this.socket);
          if (answer === undefined) break;
          at = request.next;
          if (answer instanceof Promise) {
            this.write(out);
            this.await(answer, chunk, at);
            return;
          }
          out += plainAnswerText(answer, STATUS_TEXTS, dateNow(), this.keepAlive);
        }
      } catch (error) {
        this.fail(error);
        return;
      }
      this.write(out);
      if (at < chunk.length) this.handOver(at === 0 ? chunk : chunk.subarray(at));
    }

    /**
     * Waits for `answer`, then serves the rest of `chunk` (from `at`) and what arrived meanwhile.
     * The socket is still read (pausing and resuming a stream for every answer costs more than
     * the answer): chunks are queued until the answer is written.
     */
    private await(answer: Promise<PlainAnswer>, chunk: Buffer, at: number): void {
      this.awaiting = true;
      answer.then(
        (done) => {
          this.awaiting = false;
          if (!open.has(this)) return; // closed meanwhile
          this.write(plainAnswerText(done, STATUS_TEXTS, dateNow(), this.keepAlive));
          if (at < chunk.length) this.serve(chunk, at);
          while (!this.awaiting && open.has(this) && this.queued.length > 0) {
            const next = this.queued.shift() as Buffer;
            this.queuedBytes -= next.length;
            this.serve(next, 0);
          }
          if (this.awaiting || !open.has(this)) return;
          if (this.endWhenAnswered) this.close();
          else if (this.queueFull) {
            this.queueFull = false;
            this.resumeIfFree();
          }
        },
        (error: unknown) => {
          this.awaiting = false;
          this.fail(error);
        },
      );
    }

    private write(text: string): void {
      if (text === '' || this.socket.write(text)) return;
      this.draining = true;
      this.socket.pause();
    }

    private resumeIfFree(): void {
      if (open.has(this) && !this.queueFull && !this.draining) this.socket.resume();
    }

    private fail(error: unknown): void {
      onError(error);
      this.detach();
      this.socket.destroy();
    }

    /** Gives the socket to `node:http` for good, `unread` (a request's first bytes) first. */
    private handOver(unread: Buffer): void {
      this.detach();
      const { socket } = this;
      // What arrived while an answer was awaited, then what the stream holds (read while it
      // was paused), comes after `unread`.
      const parts = [unread, ...this.queued];
      this.queued = [];
      this.queuedBytes = 0;
      for (let held = socket.read() as Buffer | null; held !== null; held = socket.read() as Buffer | null) {
        parts.push(held);
      }
      http.call(server, socket);
      // `node:http` takes the socket's next reads straight into its parser, so the bytes read
      // here are given to its data listener now, before any further read.
      socket.emit('data', parts.length === 1 ? parts[0] : Buffer.concat(parts));
      // Paused here: `node:http` keeps its own account from now on.
      if (socket.isPaused()) socket.resume();
    }

    /** Ends the connection once what was written is sent (or at once when an answer is awaited: after it). */
    close(): void {
      if (this.awaiting) {
        this.endWhenAnswered = true;
        return;
      }
      this.detach();
      this.socket.end();
      this.socket.once('finish', () => this.socket.destroy());
    }

    destroy(): void {
      this.detach();
      this.socket.destroy();
    }
  }

  server.removeListener('connection', http);
  server.on('connection', (socket: Socket) => {
    if (closing()) http.call(server, socket);
    else new PlainConnection(socket);
  });
  // The server's own ways to close its connections close these too.
  const closeIdle = server.closeIdleConnections.bind(server);
  const closeAll = server.closeAllConnections.bind(server);
  server.closeIdleConnections = () => {
    for (const c of [...open]) c.close();
    closeIdle();
  };
  server.closeAllConnections = () => {
    for (const c of [...open]) c.destroy();
    closeAll();
  };

  return {
    get size() {
      return open.size;
    },
  };
}

/** A request of the plain subset at `at`, or undefined (partial or other: `node:http`'s). */
function parsePlainOrNot(chunk: Buffer, at: number, limits: PlainLimits): PlainRequest | undefined {
  const request = parsePlainRequest(chunk, at, limits);
  return request === PARTIAL || request === OTHER ? undefined : request;
}

const STATUS_TEXTS = nodeHttp.STATUS_CODES;

/** Bytes queued on a connection while an answer is awaited before it is no longer read. */
const QUEUE_LIMIT = 64 * 1024;

function ignore(): void {}
