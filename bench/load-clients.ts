/**
 * Simulated License Manager clients for `manager-net.ts`: each owns one persistent connection
 * (an HTTP/1.1 keep-alive socket, or a WebSocket) and has at most one request in flight, as a
 * client application does. Latencies go to {@link Samples}.
 */
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { WS_PATH } from './ws-heartbeats.js';

/** Latencies of one kind of operation, in milliseconds. */
export class Samples {
  private readonly values: number[] = [];

  add(ms: number): void {
    this.values.push(ms);
  }

  get count(): number {
    return this.values.length;
  }

  /** p50, p99 and max in ms (NaN without samples). */
  stats(): LatencyStats {
    const sorted = Float64Array.from(this.values).sort();
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)] ?? Number.NaN;
    return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? Number.NaN };
  }
}

/** Summary of a {@link Samples}. */
export interface LatencyStats {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** A client whose heartbeats travel over its persistent connection. */
export interface HeartbeatClient {
  /** Sends one heartbeat for `leaseId` and waits for the answer. */
  heartbeat(leaseId: string): Promise<void>;
  close(): void;
}

/** The identity of simulated client `name` (one application on its own host). */
export function identity(name: string) {
  return { host: `host-${name}`, user: 'bench', process: name, session: '1' };
}

/**
 * One client application speaking HTTP/1.1 over one keep-alive socket. The requests are written
 * and the answers read directly on a `net` socket (as autocannon does) rather than through
 * `http.request`, which costs this process about as much CPU as the manager spends answering:
 * on 2 cores the load generator's own cost would otherwise be most of what is measured.
 */
export class HttpClient implements HeartbeatClient {
  private socket: Socket | null = null;
  private received: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (answer: Answer) => void; reject: (error: Error) => void } | null = null;

  /**
   * @param reconnect `true`: a new connection for every request (`connection: close`), as a
   *   client does when the server closes idle connections sooner than its heartbeat interval.
   * @param socketPath a Unix socket to connect to instead of loopback `port` (the Lictor Runtime's).
   */
  constructor(
    private readonly port: number,
    private readonly reconnect = false,
    private readonly socketPath?: string,
  ) {}

  /**
   * Takes a seat for `name` and returns the lease id (expects 201 or 200); `head`: more header
   * lines (`name: value\r\n` each).
   */
  async acquire(product: string, name: string, samples?: Samples, head = ''): Promise<string> {
    const t = performance.now();
    const answer = await this.send('POST', '/v1/leases', JSON.stringify({ product, client: identity(name) }), head);
    samples?.add(performance.now() - t);
    if (answer.status !== 201 && answer.status !== 200) throw unexpected('acquire', answer);
    return (JSON.parse(answer.text) as { lease: { id: string } }).lease.id;
  }

  /** Gives `leaseId` back (expects 204). */
  async release(leaseId: string, samples?: Samples): Promise<void> {
    const t = performance.now();
    const answer = await this.send('DELETE', `/v1/leases/${leaseId}`);
    samples?.add(performance.now() - t);
    if (answer.status !== 204) throw unexpected('release', answer);
  }

  /** A heartbeat of `leaseId` (expects 200); `head`: more header lines (`name: value\r\n` each). */
  async heartbeat(leaseId: string, samples?: Samples, head = ''): Promise<void> {
    const t = performance.now();
    const answer = await this.send('POST', `/v1/leases/${leaseId}/heartbeat`, '', head);
    samples?.add(performance.now() - t);
    if (answer.status !== 200) throw unexpected('heartbeat', answer);
  }

  /** Any request (`head`: more header lines): its status and body text, whatever they are. */
  request(method: string, path: string, body?: string, head = ''): Promise<{ status: number; text: string }> {
    return this.send(method, path, body, head);
  }

  /** Opens the connection now rather than at the first request. */
  connect(): Promise<void> {
    const socket = this.socket ?? this.open();
    if (!socket.connecting) return Promise.resolve();
    return new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }

  /**
   * One request on the connection (opened on first use, reopened if the manager closed it).
   * The answer is read by its `content-length` (the manager always sends one; 204 has no body).
   */
  private send(method: string, path: string, body?: string, more = ''): Promise<Answer> {
    if (this.waiting !== null) throw new Error('manager bench: one request at a time per client');
    const head =
      more +
      (this.reconnect ? 'connection: close\r\n' : '') +
      (body === undefined
        ? ''
        : body === ''
          ? 'content-length: 0\r\n'
          : `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`);
    const socket = this.socket ?? this.open();
    return new Promise<Answer>((resolve, reject) => {
      this.waiting = { resolve, reject };
      socket.write(`${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1:${this.port}\r\n${head}\r\n${body ?? ''}`);
    });
  }

  private open(): Socket {
    const socket =
      this.socketPath === undefined
        ? connect({ host: '127.0.0.1', port: this.port, noDelay: true })
        : connect({ path: this.socketPath });
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    // Only the current connection's end fails the request in flight (not one closed after use).
    socket.on('error', (error) => {
      if (this.socket === socket) this.settle(error);
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.settle(new Error('manager bench: the manager closed the connection'));
    });
    this.socket = socket;
    this.received = Buffer.alloc(0);
    return socket;
  }

  private read(chunk: Buffer): void {
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    const end = this.received.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.received.toString('latin1', 0, end);
    const status = Number(head.slice(9, 12));
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.received.length < end + 4 + length) return;
    const text = this.received.toString('utf8', end + 4, end + 4 + length);
    this.received = this.received.subarray(end + 4 + length);
    if (this.reconnect) this.close();
    this.settle(null, { status, text });
  }

  private settle(error: Error | null, answer?: Answer): void {
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting === null) return;
    if (error !== null || answer === undefined) waiting.reject(error ?? new Error('manager bench: no answer'));
    else waiting.resolve(answer);
  }
}

/** An HTTP answer: status and body text. */
interface Answer {
  status: number;
  text: string;
}

/** One client application whose heartbeats are WebSocket text frames (`ws-heartbeats.ts`). */
export class WsClient implements HeartbeatClient {
  private pending: { resolve: () => void; reject: (e: Error) => void } | null = null;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const waiting = this.pending;
      this.pending = null;
      const text = data.toString();
      if (text.startsWith('{"lease"')) waiting?.resolve();
      else waiting?.reject(new Error(`manager bench: ws heartbeat refused: ${text}`));
    });
    socket.on('close', () => this.pending?.reject(new Error('manager bench: WebSocket closed')));
  }

  /** Opens the WebSocket to the manager on `port`. */
  static open(port: number): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}${WS_PATH}`, { perMessageDeflate: false });
      socket.once('open', () => resolve(new WsClient(socket)));
      socket.once('error', reject);
    });
  }

  heartbeat(leaseId: string, samples?: Samples): Promise<void> {
    const t = performance.now();
    return new Promise<void>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.send(leaseId);
    }).then(() => samples?.add(performance.now() - t));
  }

  close(): void {
    this.socket.terminate();
  }
}

function unexpected(what: string, answer: Answer): Error {
  return new Error(`manager bench: ${what} answered ${answer.status}: ${answer.text.slice(0, 200)}`);
}
