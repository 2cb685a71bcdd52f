/**
 * `servePlainConnections` over real loopback sockets, beside a `node:http` listener that answers
 * what the plain route leaves: answers in order however requests are pipelined or cut, the
 * connection handed to `node:http` for good at the first request left, `node:http`'s bytes for
 * the same answer, a client's end answered with the end, idle connections closed after the
 * keep-alive timeout and by the server's own close calls, closing servers, a route's exception,
 * and answers given as promises (in order, the connection not read meanwhile).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import { type PlainConnections, servePlainConnections } from '../src/plain-connections.js';

const LIMITS = { maxHeadBytes: 16 * 1024, maxHeaders: 64, bodyLimit: 1024 };

interface World {
  server: Server;
  plain: PlainConnections;
  port: number;
  /** Requests `node:http` read (its 'request' events). */
  readByNodeHttp: () => number;
  errors: unknown[];
  closing: { now: boolean };
  /** Answers of `POST /async` awaited: resolve them in any order. */
  pending: Deferred[];
  /** Resolves once `n` answers have been asked for on `POST /async` in all. */
  asked: (n: number) => Promise<void>;
}

interface Deferred {
  body: string;
  resolve: () => void;
}

/**
 * A server whose plain route answers `POST /plain` with `{"plain":<body>}` (201), `POST /async`
 * the same but with a promise the test resolves, throws on `POST /throw` and rejects on
 * `POST /reject`; `node:http` answers everything else with `{"node":<body>}` (201), written
 * with the same calls the plain answer stands for.
 */
async function world(t: TestContext, keepAliveTimeout = 72_000): Promise<World> {
  let read = 0;
  const server = createServer((req, res) => {
    read++;
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      const json = JSON.stringify({ node: body });
      res.writeHead(201, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(json),
      });
      res.end(json);
    });
  });
  server.keepAliveTimeout = keepAliveTimeout;
  const errors: unknown[] = [];
  const closing = { now: false };
  const pending: Deferred[] = [];
  let askedCount = 0;
  const waiters: { n: number; done: () => void }[] = [];
  const asked = (n: number) =>
    new Promise<void>((done) => {
      if (askedCount >= n) done();
      else waiters.push({ n, done });
    });
  const plain = servePlainConnections(server, {
    route: (req) => {
      if (req.method !== 'POST') return undefined;
      if (req.url === '/throw') throw new Error('route failed');
      if (req.url === '/reject') return Promise.reject(new Error('answer failed'));
      if (req.url === '/async') {
        const answer = new Promise<{ status: number; json: string }>((resolve) =>
          pending.push({
            body: req.body,
            resolve: () => resolve({ status: 201, json: JSON.stringify({ plain: req.body }) }),
          }),
        );
        askedCount++;
        for (const w of waiters.filter((x) => askedCount >= x.n)) w.done();
        return answer;
      }
      return req.url === '/plain' ? { status: 201, json: JSON.stringify({ plain: req.body }) } : undefined;
    },
    limits: LIMITS,
    closing: () => closing.now,
    onError: (error) => errors.push(error),
    idleSlackMs: 0,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    server,
    plain,
    port: (server.address() as { port: number }).port,
    readByNodeHttp: () => read,
    errors,
    closing,
    pending,
    asked,
  };
}

/** A client connection that collects what it receives. */
class Client {
  received = Buffer.alloc(0);
  ended = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.#check();
    });
    socket.on('end', () => {
      this.ended = true;
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  #want = 0;
  #done: (() => void) | undefined;

  static open(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, noDelay: true });
      socket.once('connect', () => resolve(new Client(socket)));
      socket.once('error', reject);
    });
  }

  /** The answers' bodies, in order, once `n` whole answers have arrived. */
  async answers(n: number): Promise<string[]> {
    this.#want = n;
    await new Promise<void>((resolve) => {
      this.#done = resolve;
      this.#check();
    });
    return this.#parse().map((a) => a.body);
  }

  #parse(): { head: string; body: string }[] {
    const out: { head: string; body: string }[] = [];
    let at = 0;
    for (;;) {
      const end = this.received.indexOf('\r\n\r\n', at);
      if (end < 0) return out;
      const head = this.received.toString('latin1', at, end);
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
      if (this.received.length < end + 4 + length) return out;
      out.push({ head, body: this.received.toString('utf8', end + 4, end + 4 + length) });
      at = end + 4 + length;
    }
  }

  heads(): string[] {
    return this.#parse().map((a) => a.head);
  }

  #check(): void {
    if (this.#done !== undefined && this.#parse().length >= this.#want) {
      const done = this.#done;
      this.#done = undefined;
      done();
    }
  }
}

const post = (url: string, body: string) =>
  `POST ${url} HTTP/1.1\r\nhost: h\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

test('pipelined requests: answered in order, below node:http until the first it leaves, then by node:http for good', async (t) => {
  const w = await world(t);
  const c = await Client.open(w.port);
  t.after(() => c.socket.destroy());
  c.socket.write(post('/plain', '1') + post('/plain', '2') + post('/other', '3') + post('/plain', '4'));
  assert.deepEqual(await c.answers(4), ['{"plain":"1"}', '{"plain":"2"}', '{"node":"3"}', '{"node":"4"}']);
  assert.equal(w.readByNodeHttp(), 2);
  assert.equal(w.plain.size, 0);
  c.socket.write(post('/plain', '5'));
  assert.deepEqual((await c.answers(5)).slice(4), ['{"node":"5"}']);
});

test("a plain answer is node:http's answer byte for byte, but the body (and the date)", async (t) => {
  const w = await world(t);
  const c = await Client.open(w.port);
  t.after(() => c.socket.destroy());
  c.socket.write(post('/plain', 'x') + post('/other', 'x'));
  await c.answers(2);
  const [plain, node] = c
    .heads()
    .map((h) => h.replace(/\r\nDate: [^\r]+/, '').replace(/content-length: \d+/, 'LENGTH'));
  assert.equal(plain, node);
  // Each length is its own body's: {"plain":"x"} and {"node":"x"}.
  assert.match(c.heads()[0] ?? '', /content-length: 13\r\n/);
  assert.match(c.heads()[1] ?? '', /content-length: 12\r\n/);
  assert.match(c.heads()[0] ?? '', /\r\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n/);
});

test('a request cut across reads is left to node:http whole; a thousand pipelined in one write are all answered in order', async (t) => {
  const w = await world(t);
  const c = await Client.open(w.port);
  t.after(() => c.socket.destroy());
  const request = post('/plain', 'cut');
  c.socket.write(request.slice(0, 20));
  // node:http has the connection once it holds the partial request: the rest goes to it.
  await new Promise<void>((resolve) => {
    const poll = () => (w.plain.size === 0 ? resolve() : setImmediate(poll));
    poll();
  });
  c.socket.write(request.slice(20));
  assert.deepEqual(await c.answers(1), ['{"node":"cut"}']);

  const d = await Client.open(w.port);
  t.after(() => d.socket.destroy());
  const many = Array.from({ length: 1000 }, (_, i) => post('/plain', String(i)));
  d.socket.write(many.join(''));
  const bodies = await d.answers(1000);
  assert.deepEqual(
    bodies.map(
      (b) => (JSON.parse(b) as { plain?: string; node?: string }).plain ?? (JSON.parse(b) as { node: string }).node,
    ),
    many.map((_, i) => String(i)),
  );
  // The first read's whole requests were answered below node:http.
  assert.ok(bodies[0]?.startsWith('{"plain"'));
});

test("a client's end is answered with the end; an idle connection is closed after the keep-alive timeout", async (t) => {
  const w = await world(t, 200);
  const c = await Client.open(w.port);
  c.socket.write(post('/plain', 'a'));
  await c.answers(1);
  c.socket.end();
  await c.closed;
  assert.ok(c.ended);

  const idle = await Client.open(w.port);
  idle.socket.write(post('/plain', 'b'));
  await idle.answers(1);
  assert.equal(w.plain.size, 1);
  // The server closes it (the test waits for the close, however long the timer takes).
  await idle.closed;
  assert.ok(idle.ended);
  assert.equal(w.plain.size, 0);
});

test("the server's closeIdleConnections ends every connection read below node:http; while closing, new ones go to node:http", async (t) => {
  const w = await world(t);
  const clients = await Promise.all([1, 2, 3].map(() => Client.open(w.port)));
  for (const [i, c] of clients.entries()) c.socket.write(post('/plain', String(i)));
  for (const c of clients) await c.answers(1);
  assert.equal(w.plain.size, 3);
  w.closing.now = true;
  w.server.closeIdleConnections();
  await Promise.all(clients.map((c) => c.closed));
  assert.ok(clients.every((c) => c.ended));
  assert.equal(w.plain.size, 0);

  const late = await Client.open(w.port);
  t.after(() => late.socket.destroy());
  late.socket.write(post('/plain', 'late'));
  assert.deepEqual(await late.answers(1), ['{"node":"late"}']);
  assert.equal(w.plain.size, 0);
});

test("a route's exception destroys its connection and is told; other connections go on", async (t) => {
  const w = await world(t);
  const bad = await Client.open(w.port);
  const good = await Client.open(w.port);
  t.after(() => good.socket.destroy());
  bad.socket.write(post('/throw', 'x'));
  await bad.closed;
  assert.equal(bad.received.length, 0);
  assert.equal((w.errors[0] as Error).message, 'route failed');
  good.socket.write(post('/plain', 'ok'));
  assert.deepEqual(await good.answers(1), ['{"plain":"ok"}']);
});

test('answers given as promises: in request order, also after the client ends its side; a rejected one destroys the connection', async (t) => {
  const w = await world(t);
  const c = await Client.open(w.port);
  t.after(() => c.socket.destroy());
  c.socket.write(post('/async', '1') + post('/plain', '2') + post('/async', '3') + post('/other', '4'));
  await w.asked(1);
  // The second request waits for the first answer: nothing written before it.
  assert.equal(w.pending.length, 1);
  assert.equal(c.received.length, 0);
  w.pending[0]?.resolve();
  await w.asked(2);
  assert.deepEqual(await c.answers(2), ['{"plain":"1"}', '{"plain":"2"}']);
  w.pending[1]?.resolve();
  assert.deepEqual(await c.answers(4), ['{"plain":"1"}', '{"plain":"2"}', '{"plain":"3"}', '{"node":"4"}']);
  assert.equal(w.readByNodeHttp(), 1);

  // A client that ends its side after its request still gets the answer, then the end.
  const half = await Client.open(w.port);
  half.socket.end(post('/async', 'half') + post('/plain', 'after'));
  await w.asked(3);
  w.pending[2]?.resolve();
  assert.deepEqual(await half.answers(2), ['{"plain":"half"}', '{"plain":"after"}']);
  await half.closed;
  assert.ok(half.ended);

  const bad = await Client.open(w.port);
  bad.socket.write(post('/reject', 'x'));
  await bad.closed;
  assert.equal(bad.received.length, 0);
  assert.equal((w.errors[0] as Error).message, 'answer failed');
});

test('closeIdleConnections ends a connection awaiting an answer after the answer; closeAllConnections destroys them', async (t) => {
  const w = await world(t);
  const c = await Client.open(w.port);
  c.socket.write(post('/async', 'last'));
  await w.asked(1);
  w.server.closeIdleConnections();
  w.pending[0]?.resolve();
  assert.deepEqual(await c.answers(1), ['{"plain":"last"}']);
  await c.closed;
  assert.ok(c.ended);

  const d = await Client.open(w.port);
  d.socket.write(post('/plain', 'x'));
  await d.answers(1);
  assert.equal(w.plain.size, 1);
  w.server.closeAllConnections();
  await d.closed;
  assert.equal(w.plain.size, 0);
});
