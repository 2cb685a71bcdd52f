/**
 * The License Manager's HTTP service on real keep-alive sockets, driven as the benchmark drives
 * it: raw HTTP/1.1 written on `net` sockets, many connections at once, each acquiring and
 * releasing its own lease in turn. Every answer must come whole on its own connection, which
 * stays open. (How fast is measured by `npm run bench`, never timed here.)
 */
import assert from 'node:assert/strict';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { CAD, openManagerApp } from './manager-fixture.js';

/** An HTTP answer read off a socket: status, headers (lower-case names) and body. */
interface Answer {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** One keep-alive connection with one request at a time, written and read by hand. */
class RawConnection {
  private received = Buffer.alloc(0);
  private waiting: { resolve: (answer: Answer) => void; reject: (error: Error) => void } | null = null;
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.answer();
    });
    socket.on('close', () => {
      this.closed = true;
    });
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, noDelay: true });
      socket.once('connect', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  request(method: string, path: string, body?: string): Promise<Answer> {
    assert.equal(this.waiting, null, 'one request at a time');
    const head =
      body === undefined ? '' : `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(`${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${head}\r\n${body ?? ''}`);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  /** Settles the request in flight once its whole answer is in (the body by `content-length`). */
  private answer(): void {
    const end = this.received.indexOf('\r\n\r\n');
    if (end < 0 || this.waiting === null) return;
    const [statusLine = '', ...lines] = this.received.toString('latin1', 0, end).split('\r\n');
    const headers = new Map(
      lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
    );
    const length = Number(headers.get('content-length') ?? 0);
    if (this.received.length < end + 4 + length) return;
    const body = this.received.toString('utf8', end + 4, end + 4 + length);
    const extra = this.received.length - (end + 4 + length);
    this.received = Buffer.alloc(0);
    const waiting = this.waiting;
    this.waiting = null;
    // One answer per request: nothing may follow it.
    if (extra > 0) waiting.reject(new Error(`${extra} bytes after the answer`));
    else waiting.resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
  }
}

test('50 keep-alive connections acquiring and releasing their own leases: every answer whole, every seat back', async (t) => {
  const CONNECTIONS = 50;
  const ROUNDS = 10;
  const { manager, app } = await openManagerApp(t, { licenses: [{ ...CAD, seats: CONNECTIONS }] });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const connections = await Promise.all(Array.from({ length: CONNECTIONS }, () => RawConnection.open(port)));
  t.after(() => {
    for (const c of connections) c.close();
  });

  const answers = { granted: 0, released: 0 };
  await Promise.all(
    connections.map(async (connection, i) => {
      const body = JSON.stringify({
        product: 'cad',
        client: { host: `host-${i}`, user: 'ann', process: '1', session: '1' },
      });
      for (let round = 0; round < ROUNDS; round++) {
        const acquired = await connection.request('POST', '/v1/leases', body);
        assert.equal(acquired.status, 201, acquired.body);
        assert.equal(acquired.headers.get('connection'), 'keep-alive');
        const { lease } = JSON.parse(acquired.body) as { lease: { id: string; product: string } };
        assert.equal(lease.product, 'cad');
        answers.granted++;
        const released = await connection.request('DELETE', `/v1/leases/${lease.id}`);
        assert.equal(released.status, 204);
        assert.equal(released.body, '');
        assert.equal(released.headers.get('connection'), 'keep-alive');
        answers.released++;
        // Its own lease, not another connection's: releasing it twice finds nothing.
        assert.equal((await connection.request('DELETE', `/v1/leases/${lease.id}`)).status, 404);
      }
    }),
  );
  assert.deepEqual(answers, { granted: CONNECTIONS * ROUNDS, released: CONNECTIONS * ROUNDS });
  assert.ok(
    connections.every((c) => !c.closed),
    'a connection was closed',
  );
  assert.deepEqual(manager.status().products, [{ product: 'cad', inUse: 0, total: CONNECTIONS }]);
});
