/**
 * `parsePlainRequest` against `node:http`'s own parser (llhttp) over real sockets: every request
 * it takes, `node:http` takes too, with the same method, target, headers and body; every proper
 * prefix of one is partial; and the requests that smuggling and desynchronisation attacks are
 * made of are never taken (they are `node:http`'s to answer or refuse).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { OTHER, PARTIAL, type PlainRequest, parsePlainRequest } from '../src/plain-http.js';

const LIMITS = { maxHeadBytes: 1024, maxHeaders: 8, bodyLimit: 64 };

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let port = 0;

before(async () => {
  // Answers each request with what node:http read of it.
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      const seen: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      const json = JSON.stringify(seen);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
      res.end(json);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

/** What node:http reads of `bytes` sent on a new connection: the request, or its error status. */
function nodeReads(bytes: Buffer): Promise<Seen | number> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = received.toString('latin1', 0, end);
      const status = Number(head.split(' ')[1]);
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
      if (received.length < end + 4 + length) return;
      socket.destroy();
      resolve(status === 200 ? (JSON.parse(received.toString('utf8', end + 4, end + 4 + length)) as Seen) : status);
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(-1));
    socket.write(bytes);
  });
}

const token = fc.constantFrom('content-length', 'Content-Type', 'x-a', 'lictor-nonce', 'X_B', 'a!#$%&');
const oddName = fc.constantFrom(
  'Host',
  'transfer-encoding',
  'connection',
  'expect',
  'upgrade',
  'bad name',
  'x:y',
  '',
  'n\u00e9',
);
const value = fc.constantFrom(
  'x',
  '127.0.0.1:8080',
  'keep-alive',
  'Keep-Alive',
  'application/json',
  ' padded ',
  '\ttab',
  '',
);
const oddValue = fc.constantFrom('close', 'chunked', '+1', '0x1', '1,1', ' 1', '\u0000', 'a\rb', '\u00ff', 'a\nb');
const header = fc.tuple(
  fc.oneof({ weight: 10, arbitrary: token }, oddName),
  fc.oneof({ weight: 10, arbitrary: value }, oddValue),
);
const eol = fc.oneof({ weight: 60, arbitrary: fc.constant('\r\n') }, fc.constantFrom('\n', '\r', '\r\n '));

/** Requests mostly of the plain subset, with every kind of departure from it mixed in. */
const request = fc
  .record({
    method: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom('POST', 'DELETE', 'GET') },
      fc.constantFrom('post', 'P T', ''),
    ),
    target: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom('/v1/leases', '/v1/leases/abc/heartbeat', '/a?b=c', '/%41') },
      fc.constantFrom('http://h/x', '*', '/a b', '/\u00e9', 'x'),
    ),
    version: fc.oneof(
      { weight: 12, arbitrary: fc.constant('HTTP/1.1') },
      fc.constantFrom('HTTP/1.0', 'HTTP/1.10', 'http/1.1'),
    ),
    host: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, fc.constant(false)),
    headers: fc.array(header, { maxLength: 5 }),
    eols: fc.array(eol, { minLength: 8, maxLength: 8 }),
    body: fc.string({ maxLength: 12 }),
    length: fc.oneof(
      { weight: 12, arbitrary: fc.constant('exact') },
      fc.constantFrom('none', 'twice', 'short', 'huge'),
    ),
  })
  .map((r) => {
    const body = Buffer.from(r.body, 'utf8');
    const lines = [`${r.method} ${r.target} ${r.version}`];
    if (r.host) lines.push('host: 127.0.0.1');
    for (const [name, v] of r.headers) if (name.toLowerCase() !== 'content-length') lines.push(`${name}: ${v}`);
    if (r.length === 'exact' || r.length === 'twice') lines.push(`content-length: ${body.length}`);
    if (r.length === 'twice') lines.push(`Content-Length: ${body.length}`);
    if (r.length === 'short') lines.push(`content-length: ${body.length + 5}`);
    if (r.length === 'huge') lines.push(`content-length: ${LIMITS.bodyLimit + 1}`);
    const head = lines.map((l, i) => l + (r.eols[i] ?? '\r\n')).join('');
    return Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), r.length === 'none' ? Buffer.alloc(0) : body]);
  });

test('every request the plain subset takes, node:http reads alike; every proper prefix of one is partial', async () => {
  let taken = 0;
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(request, async (bytes) => {
      runs++;
      const parsed = parsePlainRequest(bytes, 0, LIMITS);
      if (parsed === PARTIAL || parsed === OTHER) return;
      taken++;
      assert.equal(parsed.next, bytes.length);
      const seen = await nodeReads(bytes);
      assert.notEqual(
        typeof seen,
        'number',
        `node:http refused what the plain subset took: ${JSON.stringify(bytes.toString('latin1'))}`,
      );
      const { method, url, headers, body } = seen as Seen;
      assert.deepEqual(
        { method, url, headers, body },
        {
          method: parsed.method,
          url: parsed.url,
          headers: { ...parsed.headers },
          body: parsed.body,
        },
      );
      for (let cut = 0; cut < bytes.length; cut++) {
        assert.equal(parsePlainRequest(bytes.subarray(0, cut), 0, LIMITS), PARTIAL, `prefix of ${cut} bytes`);
      }
    }),
    { numRuns: 300 },
  );
  // The generator reaches both sides of the subset.
  assert.ok(taken > runs / 20 && taken < runs * 0.9, `${taken} of ${runs} taken`);
});

test('requests parsed one after another in one buffer, each from where the last ended', () => {
  const a = 'POST /v1/leases HTTP/1.1\r\nhost: h\r\ncontent-length: 2\r\n\r\n{}';
  const b = 'DELETE /v1/leases/x HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n';
  const buf = Buffer.from(a + b + b.slice(0, 10), 'latin1');
  const first = parsePlainRequest(buf, 0, LIMITS) as PlainRequest;
  assert.deepEqual(
    { ...first, headers: { ...first.headers } },
    { method: 'POST', url: '/v1/leases', headers: { host: 'h', 'content-length': '2' }, body: '{}', next: a.length },
  );
  const second = parsePlainRequest(buf, first.next, LIMITS) as PlainRequest;
  assert.equal(second.method, 'DELETE');
  assert.equal(second.headers.connection, 'keep-alive');
  assert.equal(second.next, a.length + b.length);
  assert.equal(parsePlainRequest(buf, second.next, LIMITS), PARTIAL);
});

test('what smuggling and desynchronisation are made of is never taken: node:http decides it', () => {
  const h = 'POST /v1/leases HTTP/1.1\r\nhost: h\r\n';
  const cases: Record<string, string> = {
    'chunked body': `${h}transfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
    'chunked and a length': `${h}transfer-encoding: chunked\r\ncontent-length: 2\r\n\r\n{}`,
    'two lengths': `${h}content-length: 2\r\ncontent-length: 3\r\n\r\n{}x`,
    'two equal lengths': `${h}content-length: 2\r\nContent-Length: 2\r\n\r\n{}`,
    'a signed length': `${h}content-length: +2\r\n\r\n{}`,
    'a length list': `${h}content-length: 2, 2\r\n\r\n{}`,
    'a length of ten digits': `${h}content-length: 0000000002\r\n\r\n{}`,
    'a folded header': `${h}x-a: 1\r\n folded\r\n\r\n`,
    'a bare LF': `${h}x-a: 1\ncontent-length: 0\r\n\r\n`,
    'a bare CR': `${h}x-a: 1\rcontent-length: 2\r\n\r\n{}`,
    'a space before the colon': `${h}content-length : 2\r\n\r\n{}`,
    'NUL in a value': `${h}x-a: a\u0000b\r\n\r\n`,
    'obs-text in a value': `${h}x-a: \u00e9\r\n\r\n`,
    'HTTP/1.0': 'POST /v1/leases HTTP/1.0\r\nhost: h\r\n\r\n',
    'a closing connection': `${h}connection: close\r\n\r\n`,
    'an upgrade': `${h}connection: upgrade\r\nupgrade: websocket\r\n\r\n`,
    '100-continue': `${h}expect: 100-continue\r\ncontent-length: 2\r\n\r\n{}`,
    'no host': 'POST /v1/leases HTTP/1.1\r\ncontent-length: 2\r\n\r\n{}',
    'two hosts': `${h}host: i\r\n\r\n`,
    'absolute form': 'POST http://h/v1/leases HTTP/1.1\r\nhost: h\r\n\r\n',
    'a lower-case method': 'post /v1/leases HTTP/1.1\r\nhost: h\r\n\r\n',
    'an empty line first': `\r\n${h}\r\n`,
    'a body over the limit': `${h}content-length: ${LIMITS.bodyLimit + 1}\r\n\r\n`,
    'more headers than the limit': `${h}${'x-a: 1\r\n'.repeat(LIMITS.maxHeaders)}\r\n`,
    'a head over the limit': `${h}x-a: ${'a'.repeat(LIMITS.maxHeadBytes)}\r\n\r\n`,
    'a head over the limit, not ended': `${h}x-a: ${'a'.repeat(LIMITS.maxHeadBytes)}`,
  };
  for (const [what, text] of Object.entries(cases)) {
    assert.equal(parsePlainRequest(Buffer.from(text, 'latin1'), 0, LIMITS), OTHER, what);
  }
});
