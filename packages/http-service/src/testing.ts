/**
 * `@lictor/http-service/testing`: what the tests of routes answered on `node:http` beside Fastify
 * share (the manager's and the runtime's hot routes, the center's raw activations): raw requests
 * written on real sockets, answers read off them, two servers asked the same and required to
 * answer byte for byte alike, and the request log lines they write. Not for production code.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';

/** An answer as read off the socket. */
export interface RawAnswer {
  status: number;
  /** Header lines but `date`, in order, as sent. */
  head: string[];
  body: string;
}

/** Where a server listens: a Unix socket (or named pipe) or a loopback port. */
export type RawTarget = { path: string } | { port: number };

/** Writes a request (whole HTTP/1.1 text) on a keep-alive connection and reads one answer. */
export class RawConnection {
  #received = Buffer.alloc(0);
  #waiting: { resolve: (raw: RawAnswer) => void; reject: (error: Error) => void } | null = null;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#received = Buffer.concat([this.#received, chunk]);
      this.#answer();
    });
    // A connection closed before its answer fails the test rather than leaving it waiting.
    socket.on('close', () => this.#waiting?.reject(new Error('the connection closed before the answer')));
    socket.on('error', () => {});
  }

  static open(to: RawTarget): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket =
        'path' in to ? connect({ path: to.path }) : connect({ host: '127.0.0.1', port: to.port, noDelay: true });
      socket.once('connect', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  send(request: string): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
      this.socket.write(request);
    });
  }

  #answer(): void {
    const end = this.#received.indexOf('\r\n\r\n');
    if (end < 0 || this.#waiting === null) return;
    const [status = '', ...lines] = this.#received.toString('latin1', 0, end).split('\r\n');
    const length = Number(/^content-length: *(\d+)$/im.exec(lines.join('\n'))?.[1] ?? 0);
    if (this.#received.length < end + 4 + length) return;
    const body = this.#received.toString('utf8', end + 4, end + 4 + length);
    assert.equal(this.#received.length, end + 4 + length, 'nothing after the answer');
    this.#received = Buffer.alloc(0);
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting.resolve({ status: Number(status.split(' ')[1]), head: lines.filter((l) => !/^date:/i.test(l)), body });
  }
}

/**
 * One connection to each of two servers that must answer alike (the raw path's first, then
 * Fastify's), kept alive from request to request unless an answer closes them.
 */
export class RawPair {
  private constructor(
    private readonly targets: readonly [RawTarget, RawTarget],
    public first: RawConnection,
    public second: RawConnection,
    private readonly fresh: boolean,
  ) {}

  /** `fresh`: every request of {@link same} on new connections (each the first of its connection). */
  static async open(targets: readonly [RawTarget, RawTarget], options: { fresh?: boolean } = {}): Promise<RawPair> {
    const first = await RawConnection.open(targets[0]);
    return new RawPair(targets, first, await RawConnection.open(targets[1]), options.fresh === true);
  }

  async #reopen(): Promise<void> {
    this.destroy();
    this.first = await RawConnection.open(this.targets[0]);
    this.second = await RawConnection.open(this.targets[1]);
  }

  /**
   * Sends `request` to both (the first server first) and requires the same answer (after
   * `normalize`, for what differs by nature) and `status`; returns the first server's answer.
   */
  async same(
    what: string,
    request: string,
    status: number,
    normalize: (answer: RawAnswer) => unknown = (answer) => answer,
  ): Promise<RawAnswer> {
    if (this.fresh) await this.#reopen();
    const a = await this.first.send(request);
    const b = await this.second.send(request);
    assert.deepEqual(normalize(a), normalize(b), what);
    if (a.head.some((l) => /^connection: close$/i.test(l))) await this.#reopen();
    assert.equal(a.status, status, `${what}: ${a.body}`);
    return a;
  }

  destroy(): void {
    this.first.socket.destroy();
    this.second.socket.destroy();
  }
}

/** A request's text (a JSON `body` with its content type and length; `headers` replace those). */
export function rawRequest(method: string, path: string, headers: Record<string, string> = {}, body?: string): string {
  const all = {
    host: '127.0.0.1',
    ...(body === undefined
      ? {}
      : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }),
    ...headers,
  };
  const lines = Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`);
  return `${method} ${path} HTTP/1.1\r\n${lines.join('')}\r\n${body ?? ''}`;
}

/** The request log lines written to a stream, parsed, without what differs from one request to another. */
export function requestLogSink(): { stream: Writable; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line === '') continue;
        const { time: _t, pid: _p, hostname: _h, reqId, ...rest } = JSON.parse(line) as Record<string, unknown>;
        if (reqId === undefined) continue; // "Server listening at …"
        assert.match(String(reqId), /^req-[0-9a-z]+$/);
        lines.push(rest);
      }
      done();
    },
  });
  return { stream, lines };
}
