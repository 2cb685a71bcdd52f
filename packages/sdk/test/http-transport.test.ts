/**
 * The SDK's outgoing HTTP over `node:http` (`src/http-transport.ts`), against real servers on
 * loopback: a client's kept-alive agent sends its requests on one connection (and a new one once
 * the server closed it); a server that does
 * not answer makes a `TimeoutError` after the time given; a refused connection rejects with
 * Node's error and its code; and the manager client, which uses it by default, names
 * `ECONNREFUSED` and the timeout in its refusals as it did over `fetch`.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { test } from 'node:test';
import { nodeHttpTransport } from '../src/http-transport.js';
import { connectManager } from '../src/index.js';
import { VENDOR } from './signed-answers.js';

/** A loopback server, closed (with its connections) after the test. */
async function serve(
  t: { after(fn: () => unknown): void },
  handler: Parameters<typeof createServer>[1],
): Promise<{ url: string; server: Server; sockets: Set<Socket> }> {
  const server = createServer(handler);
  const sockets = new Set<Socket>();
  server.on('connection', (s) => sockets.add(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, sockets };
}

/** A loopback port nothing listens on (a server listened there and was closed). */
async function refusedUrl(): Promise<string> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

test('a kept-alive transport sends two requests on one connection, with their bodies and headers', async (t) => {
  const seen: { method: string; body: string; remotePort: number | undefined; header: unknown }[] = [];
  const { url } = await serve(t, (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', body, remotePort: req.socket.remotePort, header: req.headers['x-test'] });
      res.setHeader('x-answer', ['a', 'b']);
      res.end(`{"n":${seen.length}}`);
    });
  });
  const http = nodeHttpTransport({ keepAlive: true });
  t.after(() => http.close());
  const first = await http.request(new URL('/one', url), {
    method: 'POST',
    headers: { 'x-test': 'yes', 'content-type': 'application/json' },
    body: '{"é":1}',
    timeoutMs: 5000,
  });
  const second = await http.request(new URL('/two', url), { timeoutMs: 5000 });
  assert.deepEqual([first.status, first.text, second.text], [200, '{"n":1}', '{"n":2}']);
  assert.equal(first.header('X-Answer'), 'a, b');
  assert.equal(first.header('x-absent'), null);
  assert.deepEqual(
    seen.map((s) => [s.method, s.body, s.header]),
    [
      ['POST', '{"é":1}', 'yes'],
      ['GET', '', undefined],
    ],
  );
  assert.equal(seen[0]?.remotePort, seen[1]?.remotePort, 'the second request came on the first one’s connection');
});

test('a connection the server closes is not reused: the next request opens a new one', async (t) => {
  const ports: (number | undefined)[] = [];
  const { url } = await serve(t, (req, res) => {
    ports.push(req.socket.remotePort);
    res.setHeader('connection', 'close');
    res.end('ok');
  });
  const http = nodeHttpTransport({ keepAlive: true });
  t.after(() => http.close());
  await http.request(new URL(url), { timeoutMs: 5000 });
  await http.request(new URL(url), { timeoutMs: 5000 });
  assert.equal(ports.length, 2);
  assert.notEqual(ports[0], ports[1], 'the server closed the first connection: a new one');
});

test('a server that does not answer: a TimeoutError after the time given; a refused connection: its code', async (t) => {
  const { url } = await serve(t, () => {
    // Never answers.
  });
  const http = nodeHttpTransport({ keepAlive: true });
  t.after(() => http.close());
  const started = performance.now();
  await assert.rejects(http.request(new URL(url), { timeoutMs: 300 }), (err: Error) => {
    assert.equal(err.name, 'TimeoutError');
    assert.match(err.message, /no answer within 300 ms/);
    return true;
  });
  assert.ok(performance.now() - started >= 290, 'not before the time given');
  await assert.rejects(http.request(new URL(await refusedUrl()), { timeoutMs: 5000 }), { code: 'ECONNREFUSED' });
  const aborted = new AbortController();
  const pending = http.request(new URL(url), { timeoutMs: 5000, signal: aborted.signal });
  aborted.abort();
  await assert.rejects(pending, { name: 'AbortError' });
});

test('the manager client over node:http names a refused connection and a timeout in its refusals', async (t) => {
  const refused = await refusedUrl();
  const quiet = await serve(t, () => {
    // Never answers.
  });
  const client = await connectManager({
    publicKey: VENDOR.publicKey,
    managers: [refused, quiet.url],
    discovery: false,
    timeoutMs: 300,
    env: {},
  });
  t.after(() => client.close());
  await assert.rejects(client.acquire('ERP'), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'LICTOR_E_MANAGER_UNREACHABLE');
    assert.match(err.message, new RegExp(`${refused} \\(ECONNREFUSED\\)`));
    assert.match(err.message, new RegExp(`${quiet.url} \\(no answer within 300 ms\\)`));
    return true;
  });
});
