/**
 * `plainRouteListener` over real loopback sockets: the route function of the plain path answering
 * on `node:http` (sync and promised answers, with and without a body), what it leaves going to
 * Fastify unread or replayed with the body read, bodies read only where `readsBody` says so and
 * only when plainly JSON within the limit, everything to Fastify while closing or logging at
 * `debug`, and a route's exception (thrown or rejected) logged with the connection destroyed.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type TestContext, test } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import type { PlainRoute } from '../src/plain-connections.js';
import { plainRouteListener, requestIds } from '../src/raw-routes.js';
import { RawConnection, rawRequest } from '../src/testing.js';

interface World {
  port: number;
  /** What the stand-in for Fastify was given: `fastify <method> <url>` or `replay <url> <body>`. */
  handedOver: string[];
  /** What the route was asked: `<method> <url> <body>`. */
  asked: string[];
  errors: unknown[];
  state: { closing: boolean; level: string };
}

/**
 * A server whose route answers `GET /sync` (200), `DELETE /gone` (204 with a header), `POST /echo`
 * with a promise of `{"echo":<body>}` (201) unless the body is `{"leave":true}`, throws on
 * `GET /throw` and rejects on `GET /reject`; `readsBody` takes `POST /echo` and `POST /throw-body`.
 * The stand-in for Fastify answers 404 `{"fastify":true}` (unread) and 400 `{"replayed":<body>}`.
 */
async function world(t: TestContext): Promise<World> {
  const handedOver: string[] = [];
  const asked: string[] = [];
  const errors: unknown[] = [];
  const state = { closing: false, level: 'info' };
  const log = {
    get level() {
      return state.level;
    },
    error: (fields: { err: unknown }) => errors.push(fields.err),
  } as unknown as FastifyBaseLogger;
  const send = (res: ServerResponse, status: number, body: unknown) => {
    const json = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
    res.end(json);
  };
  const route: PlainRoute = (req) => {
    asked.push(`${req.method} ${req.url} ${req.body}`);
    if (req.method === 'GET' && req.url === '/sync') return { status: 200, json: '{"sync":true}' };
    if (req.method === 'DELETE' && req.url === '/gone') return { status: 204, headers: { 'x-gone': 'yes' } };
    if (req.method === 'GET' && req.url === '/throw') throw new Error('route failed');
    if (req.method === 'GET' && req.url === '/reject') return Promise.reject(new Error('answer failed'));
    if (req.method === 'POST' && req.url === '/echo' && req.body !== '{"leave":true}') {
      return Promise.resolve({ status: 201, json: JSON.stringify({ echo: req.body }) });
    }
    return undefined;
  };
  const listener = plainRouteListener(
    {
      fastify: (req: IncomingMessage, res: ServerResponse) => {
        handedOver.push(`fastify ${req.method} ${req.url}`);
        req.resume();
        req.on('end', () => send(res, 404, { fastify: true }));
      },
      replay: (req, body, res) => {
        handedOver.push(`replay ${req.url} ${body}`);
        send(res, 400, { replayed: body });
      },
      log,
      genReqId: requestIds(),
      closing: () => state.closing,
      bodyLimit: 64,
    },
    route,
    (req) => req.method === 'POST' && (req.url === '/echo' || req.url === '/other'),
  );
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as { port: number }).port, handedOver, asked, errors, state };
}

test('the route answers on node:http: sync and promised answers, with and without a body', async (t) => {
  const w = await world(t);
  const c = await RawConnection.open({ port: w.port });
  t.after(() => c.socket.destroy());
  const sync = await c.send(rawRequest('GET', '/sync'));
  assert.deepEqual([sync.status, sync.body], [200, '{"sync":true}']);
  assert.ok(sync.head.includes('content-type: application/json; charset=utf-8'), sync.head.join('|'));
  const gone = await c.send(rawRequest('DELETE', '/gone'));
  assert.equal(gone.status, 204);
  assert.ok(gone.head.includes('x-gone: yes'), gone.head.join('|'));
  const echo = await c.send(rawRequest('POST', '/echo', {}, '{"a":1}'));
  assert.deepEqual([echo.status, JSON.parse(echo.body)], [201, { echo: '{"a":1}' }]);
  assert.deepEqual(w.asked, ['GET /sync ', 'DELETE /gone ', 'POST /echo {"a":1}']);
  assert.deepEqual(w.handedOver, []);
});

test('what the route leaves goes to Fastify: unread without a body, replayed with the body it read', async (t) => {
  const w = await world(t);
  const c = await RawConnection.open({ port: w.port });
  t.after(() => c.socket.destroy());
  assert.equal((await c.send(rawRequest('GET', '/elsewhere'))).status, 404);
  const left = await c.send(rawRequest('POST', '/echo', {}, '{"leave":true}'));
  assert.deepEqual([left.status, JSON.parse(left.body)], [400, { replayed: '{"leave":true}' }]);
  assert.equal((await c.send(rawRequest('POST', '/other', {}, '{"b":2}'))).status, 400);
  assert.deepEqual(w.handedOver, ['fastify GET /elsewhere', 'replay /echo {"leave":true}', 'replay /other {"b":2}']);
});

test('a body is read only where readsBody says so, and only when plainly JSON within the limit', async (t) => {
  const w = await world(t);
  const c = await RawConnection.open({ port: w.port });
  t.after(() => c.socket.destroy());
  const requests = [
    rawRequest('POST', '/not-read', {}, '{"a":1}'),
    rawRequest('POST', '/echo', { 'content-type': 'text/plain' }, '{"a":1}'),
    rawRequest('POST', '/echo', {}, JSON.stringify({ long: 'x'.repeat(64) })),
    'POST /echo HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n7\r\n{"a":1}\r\n0\r\n\r\n',
  ];
  for (const request of requests) assert.equal((await c.send(request)).status, 404);
  assert.deepEqual(w.asked, [], 'the route is never asked');
  assert.deepEqual(w.handedOver, [
    'fastify POST /not-read',
    'fastify POST /echo',
    'fastify POST /echo',
    'fastify POST /echo',
  ]);
});

test('everything goes to Fastify while the service closes or logs every request (debug)', async (t) => {
  const w = await world(t);
  const c = await RawConnection.open({ port: w.port });
  t.after(() => c.socket.destroy());
  w.state.closing = true;
  assert.equal((await c.send(rawRequest('GET', '/sync'))).status, 404);
  w.state.closing = false;
  w.state.level = 'debug';
  assert.equal((await c.send(rawRequest('POST', '/echo', {}, '{"a":1}'))).status, 404);
  w.state.level = 'info';
  assert.equal((await c.send(rawRequest('GET', '/sync'))).status, 200);
  assert.deepEqual(w.handedOver, ['fastify GET /sync', 'fastify POST /echo']);
  assert.deepEqual(w.asked, ['GET /sync ']);
});

test("a route's exception, thrown or a promise rejected, is logged and its connection destroyed", async (t) => {
  const w = await world(t);
  for (const path of ['/throw', '/reject']) {
    const c = await RawConnection.open({ port: w.port });
    t.after(() => c.socket.destroy());
    await assert.rejects(c.send(rawRequest('GET', path)), /the connection closed before the answer/);
  }
  assert.deepEqual(
    w.errors.map((e) => (e as Error).message),
    ['route failed', 'answer failed'],
  );
  // The server goes on.
  const c = await RawConnection.open({ port: w.port });
  t.after(() => c.socket.destroy());
  assert.equal((await c.send(rawRequest('GET', '/sync'))).status, 200);
});
