/**
 * The runtime's routes answered on `node:http` (`http/hot-routes.ts`) against the same routes
 * through Fastify (`hotRoutes: false`), over real Unix sockets and real loopback ports: two
 * servers over one runtime, on a stopped clock, get the same requests and must give the same
 * status, headers (but the date) and body bytes, and log the same lines. Covers the answers (a
 * signed check, a check MAC'd within an answer session, a session opened and closed, the status,
 * event streams with their first bytes, filter, `Last-Event-ID` replay, live events and keep-alive,
 * a seat taken from a real License Manager and given back), the refusals (not licensed, a nonce that is not
 * canonical, a process that does not run, an unknown session or seat, seats exhausted, a manager
 * that does not answer), the local-only check on both kinds of connection, and every request
 * handed to Fastify (bad JSON, schema violations, types Fastify coerces, properties it removes,
 * wrong type or method, oversize, chunked bodies, odd queries and headers of the event stream);
 * the hot server loads its Fastify app only when a request needs it, and event streams end on
 * both when the service closes.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import {
  type RawAnswer,
  RawConnection,
  RawPair,
  type RawTarget,
  rawRequest,
  requestLogSink,
} from '@lictor/http-service/testing';
import { answerSessionId, randomBytes, sealAnswerSession, verifyRuntimeAnswer } from '@lictor/protocol';
import { RuntimeSeat, RuntimeStatus } from '@lictor/protocol/wire';
import fastJson from 'fast-json-stringify';
import {
  buildRuntimeServer,
  closeServer,
  listenLoopback,
  listenSocket,
  RUNTIME_BODY_LIMIT,
  type RuntimeServer,
} from '../src/index.js';
import { startManager } from './manager-fixture.js';
import { activateLicense, nonce, PUBLIC_KEY, startRuntime, type TestRuntime } from './runtime-fixture.js';

const seatJsonBySchema = fastJson(RuntimeSeat);

/**
 * How the hot routes are reached: read below `node:http` (the default), each request on new
 * connections or all on kept ones (handed to `node:http` at the first request the plain path
 * leaves); or on `node:http` alone.
 */
type Variant = 'plain, new connections' | 'plain, kept connections' | 'node:http';

for (const variant of ['plain, new connections', 'plain, kept connections', 'node:http'] as const) {
  test(`the hot routes answer byte for byte as Fastify does, over the socket and loopback, and log the same lines (${variant})`, (t) =>
    conformance(t, variant));
}

async function conformance(t: TestContext, variant: Variant): Promise<void> {
  const rt = await startRuntime(t, { socket: null, port: null });
  const { runtime } = rt.running;
  await activateLicense(rt.licenses);
  rt.processes.start(900, '4');
  const hotLog = requestLogSink();
  const slowLog = requestLogSink();
  const hot = buildRuntimeServer(runtime, {
    logger: { level: 'info', stream: hotLog.stream },
    plainConnections: variant !== 'node:http',
  });
  const slow = buildRuntimeServer(runtime, { logger: { level: 'info', stream: slowLog.stream }, hotRoutes: false });
  // `node:http` emits 'request' for each request it reads: none for those read below it.
  let readByNodeHttp = 0;
  for (const s of [hot.server, hot.extra]) s.on('request', () => readByNodeHttp++);
  const listen = async (server: RuntimeServer, name: string) => {
    // A loaded machine may leave a connection idle longer than Node's 5 s between two requests.
    server.server.keepAliveTimeout = 60_000;
    server.extra.keepAliveTimeout = 60_000;
    server.acceptSocketOn(server.server);
    const path = join(rt.root, `${name}.sock`);
    await listenSocket(server.server, path, 0o600);
    const port = Number(new URL(await listenLoopback(server.extra, '127.0.0.1', 0)).port);
    return { path, port };
  };
  const at = [await listen(hot, 'hot'), await listen(slow, 'slow')] as const;
  t.after(async () => {
    await Promise.all([hot, slow].flatMap((s) => [closeServer(s.server), closeServer(s.extra)]));
    await Promise.all([hot.close(), slow.close()]);
  });

  for (const kind of ['path', 'port'] as const) {
    const target = (i: 0 | 1) => (kind === 'path' ? { path: at[i].path } : { port: at[i].port });
    const pair = await RawPair.open([target(0), target(1)], { fresh: variant === 'plain, new connections' });
    t.after(() => pair.destroy());
    const over = kind === 'path' ? 'over the socket' : 'over loopback';
    const readBefore = readByNodeHttp;

    /** Sends `request` to both (the hot server first) and requires the same answer; returns it. */
    const same = (what: string, request: string, status: number) => pair.same(`${what} ${over}`, request, status);
    const body = (fields: Record<string, unknown> = {}) =>
      JSON.stringify({ publicKey: PUBLIC_KEY, product: 'ERP', feature: 'reports', nonce: nonce(), ...fields });

    // Checks: signed over the same nonce by the same key, so the same bytes.
    const n = nonce();
    const check = await same('signed check', rawRequest('POST', '/v1/check', {}, body({ nonce: n })), 200);
    // The first request of each kind's connections: answered below node:http when plain.
    assert.equal(readByNodeHttp - readBefore, variant === 'node:http' ? 1 : 0);
    assert.deepEqual(check.head, [
      'content-type: application/json; charset=utf-8',
      `content-length: ${Buffer.byteLength(check.body)}`,
      'Connection: keep-alive',
      'Keep-Alive: timeout=60',
    ]);
    const { license } = verifyRuntimeAnswer({
      publicKey: PUBLIC_KEY,
      nonce: n,
      purpose: 'runtime-check',
      answer: JSON.parse(check.body),
      product: 'ERP',
      feature: 'reports',
      now: rt.scheduler.now(),
    });
    // Within an answer session (one table for both servers): MAC'd, the same bytes (HMAC is
    // deterministic), whether the sealed secret comes along again or the id alone. The request
    // that opens it (here on the hot server) is answered signed.
    const secret = randomBytes(32);
    const sealed = sealAnswerSession(license, secret);
    const id = answerSessionId(sealed);
    const opening = await pair.first.send(
      rawRequest('POST', '/v1/check', { 'lictor-session': `${id}.${sealed}` }, body()),
    );
    assert.equal(opening.status, 200, `${opening.body} ${over}`);
    assert.equal((JSON.parse(opening.body) as { proof: { key: string } }).proof.key, 'container', over);
    for (const header of [`${id}.${sealed}`, id]) {
      const m = nonce();
      const maced = await same(
        `MAC'd check (${header === id ? 'id' : 'sealed'})`,
        rawRequest('POST', '/v1/check', { 'lictor-session': header }, body({ nonce: m })),
        200,
      );
      assert.equal((JSON.parse(maced.body) as { proof: { key: string } }).proof.key, 'session');
      const proven = verifyRuntimeAnswer({
        publicKey: PUBLIC_KEY,
        nonce: m,
        purpose: 'runtime-check',
        answer: JSON.parse(maced.body),
        product: 'ERP',
        feature: 'reports',
        now: rt.scheduler.now(),
        session: { secret, license },
      });
      assert.equal(proven.key, 'session');
    }
    const unheld = await same(
      'a session the runtime does not hold',
      rawRequest('POST', '/v1/check', { 'lictor-session': 'Qdm_OQZ9HgJO-RiqyKaXGw' }, body()),
      200,
    );
    assert.equal((JSON.parse(unheld.body) as { proof: { key: string } }).proof.key, 'container');
    await same('check of the product', rawRequest('POST', '/v1/check', {}, body({ feature: undefined })), 200);
    await same(
      'check as a 32-bit client',
      rawRequest('POST', '/v1/check', {}, body({ role: 'client', bitness: 32 })),
      200,
    );
    await same('check as a server process', rawRequest('POST', '/v1/check', {}, body({ role: 'server' })), 403);
    await same(
      'check, charset in the content type',
      rawRequest('POST', '/v1/check', { 'content-type': 'application/json; charset=utf-8' }, body()),
      200,
    );

    // Sessions take a new random id on each server: the same answer but the id and its signature.
    const s = body({ pid: 900 });
    const openedHot = await pair.first.send(rawRequest('POST', '/v1/sessions', {}, s));
    const openedSlow = await pair.second.send(rawRequest('POST', '/v1/sessions', {}, s));
    assert.equal(openedHot.status, 201, openedHot.body);
    const ids = [openedHot, openedSlow].map((o) => (JSON.parse(o.body) as { id: string }).id);
    const anonymous = (raw: RawAnswer, id: string) => ({
      ...raw,
      body: raw.body
        .split(id)
        .join('ID')
        .replace(/"signature":"[^"]+"/, '"signature":"S"'),
    });
    assert.deepEqual(anonymous(openedHot, ids[0] as string), anonymous(openedSlow, ids[1] as string));
    for (const opened of [openedHot, openedSlow]) {
      verifyRuntimeAnswer({
        publicKey: PUBLIC_KEY,
        nonce: (JSON.parse(s) as { nonce: string }).nonce,
        purpose: 'runtime-session',
        answer: JSON.parse(opened.body),
        product: 'ERP',
        feature: 'reports',
        now: rt.scheduler.now(),
      });
    }
    const closedHot = await pair.first.send(rawRequest('DELETE', `/v1/sessions/${ids[0]}`));
    const closedSlow = await pair.second.send(rawRequest('DELETE', `/v1/sessions/${ids[1]}`));
    assert.deepEqual(closedHot, closedSlow);
    assert.equal(closedHot.status, 204);
    assert.deepEqual(closedHot.head, ['Connection: keep-alive', 'Keep-Alive: timeout=60']);
    assert.equal(runtime.sessions.count, 0);
    if (kind === 'path') {
      assert.equal(hot.composed, false, 'checks, session opens and closes are answered without loading Fastify');
    }

    // Refusals of the routes themselves.
    // A session header not of its pattern: handed to Fastify, whose schema refuses it (400, the header named).
    for (const header of ['a.b.c', '!']) {
      const bad = await same(
        `a session header against its pattern (${header})`,
        rawRequest('POST', '/v1/check', { 'lictor-session': header }, body()),
        400,
      );
      assert.equal((JSON.parse(bad.body) as { details: { field: string } }).details.field, 'lictor-session');
    }
    await same(
      'a session header against its pattern, on a session',
      rawRequest('POST', '/v1/sessions', { 'lictor-session': 'a.b.c' }, body({ pid: 900 })),
      400,
    );
    const unknown = '00000000-0000-4000-8000-000000000000';
    const notThere = await same('close of an unknown session', rawRequest('DELETE', `/v1/sessions/${unknown}`), 404);
    assert.equal((JSON.parse(notThere.body) as { code: string }).code, 'LICTOR_E_SESSION_UNKNOWN');
    await same('a product not licensed', rawRequest('POST', '/v1/check', {}, body({ product: 'CAD' })), 403);
    await same('a feature not licensed', rawRequest('POST', '/v1/sessions', {}, body({ feature: 'x', pid: 900 })), 403);
    await same(
      'a nonce not canonical',
      rawRequest('POST', '/v1/check', {}, body({ nonce: `${'A'.repeat(21)}B` })),
      400,
    );
    await same('a process that does not run', rawRequest('POST', '/v1/sessions', {}, body({ pid: 901 })), 400);

    // The local-only check: web pages are refused on both kinds of connection; a foreign Host
    // only over loopback (the socket has no host to name).
    const page = await same(
      'a web page',
      rawRequest('POST', '/v1/check', { origin: 'https://evil.example' }, body()),
      403,
    );
    assert.equal((JSON.parse(page.body) as { code: string }).code, 'LICTOR_E_NOT_LOCAL');
    await same('Origin null', rawRequest('DELETE', `/v1/sessions/${unknown}`, { origin: 'null' }), 403);
    const foreign = { host: 'rebound.example' };
    await same(
      'a foreign Host',
      rawRequest('POST', '/v1/check', foreign, body({ nonce: n })),
      kind === 'path' ? 200 : 403,
    );
    await same(
      'a foreign Host, bad JSON',
      rawRequest('POST', '/v1/check', foreign, '{"product":'),
      kind === 'path' ? 400 : 403,
    );
    await same(
      'a foreign Host, a property Fastify removes',
      rawRequest('POST', '/v1/check', foreign, body({ nonce: n, x: 1 })),
      kind === 'path' ? 200 : 403,
    );

    // Requests the hot routes hand to Fastify, before or after reading the body.
    const invalid = await same('bad JSON', rawRequest('POST', '/v1/check', {}, '{"product":'), 400);
    assert.equal((JSON.parse(invalid.body) as { message: string }).message, 'the request body is not valid JSON');
    await same(
      'prototype poisoning',
      rawRequest('POST', '/v1/check', {}, `{"__proto__":{"x":1},${body().slice(1)}`),
      400,
    );
    await same(
      'constructor poisoning',
      rawRequest('POST', '/v1/check', {}, `{"constructor":{"prototype":{"x":1}},${body().slice(1)}`),
      400,
    );
    const missing = await same('nonce missing', rawRequest('POST', '/v1/check', {}, body({ nonce: undefined })), 400);
    assert.deepEqual((JSON.parse(missing.body) as { details: unknown }).details, { field: 'nonce', location: 'body' });
    await same('product too long', rawRequest('POST', '/v1/check', {}, body({ product: 'x'.repeat(129) })), 400);
    await same('a bitness of 16', rawRequest('POST', '/v1/check', {}, body({ bitness: 16 })), 400);
    await same(
      'a bitness as text (coerced)',
      rawRequest('POST', '/v1/check', {}, body({ nonce: n, bitness: '64' })),
      200,
    );
    await same('a nonce against its pattern', rawRequest('POST', '/v1/check', {}, body({ nonce: 'short' })), 400);
    await same('not an object', rawRequest('POST', '/v1/check', {}, '[1]'), 400);
    await same(
      'empty body',
      rawRequest('POST', '/v1/check', { 'content-type': 'application/json', 'content-length': '0' }),
      400,
    );
    await same(
      'a property the schema does not name',
      rawRequest('POST', '/v1/check', {}, body({ nonce: n, x: 1 })),
      200,
    );
    await same('text/plain', rawRequest('POST', '/v1/check', { 'content-type': 'text/plain' }, body()), 400);
    await same(
      'no content type',
      `POST /v1/check HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: ${body().length}\r\n\r\n${body()}`,
      400,
    );
    const big = body({ publicKey: 'x'.repeat(RUNTIME_BODY_LIMIT) });
    const oversize = await same('oversize body', rawRequest('POST', '/v1/check', {}, big), 413);
    assert.equal((JSON.parse(oversize.body) as { code: string }).code, 'LICTOR_E_PAYLOAD_TOO_LARGE');
    const chunk = body({ nonce: n });
    await same(
      'chunked body',
      `POST /v1/check HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`,
      200,
    );
    await same('a pid as text (coerced), unknown', rawRequest('POST', '/v1/sessions', {}, body({ pid: '901' })), 400);
    await same('a pid of 0', rawRequest('POST', '/v1/sessions', {}, body({ pid: 0 })), 400);
    await same('a query string', rawRequest('POST', '/v1/check?x=1', {}, body({ nonce: n })), 200);
    await same('wrong method', rawRequest('PUT', '/v1/check', {}, body()), 404);
    await same('GET of the check', rawRequest('GET', '/v1/check'), 404);
    await same('close with a body', rawRequest('DELETE', `/v1/sessions/${unknown}`, {}, '{}'), 404);
    await same(
      'close, another content type',
      rawRequest('DELETE', `/v1/sessions/${unknown}`, { 'content-type': 'text/plain' }),
      400,
    );
    await same('an id longer than the router takes', rawRequest('DELETE', `/v1/sessions/${'x'.repeat(101)}`), 414);
    await same('a percent-encoded id', rawRequest('DELETE', '/v1/sessions/a%20b'), 404);
    assert.equal(hot.composed, true, 'what is not plainly well-formed goes to Fastify');
  }

  // The same lines were logged.
  assert.deepEqual(hotLog.lines, slowLog.lines);
  assert.ok(hotLog.lines.some((l) => l.msg === 'request refused' && l.code === 'LICTOR_E_NOT_LICENSED'));
  assert.ok(hotLog.lines.some((l) => l.msg === 'request refused' && l.code === 'LICTOR_E_NOT_LOCAL'));
}

test('at debug level every request goes through Fastify, which logs each one', async (t) => {
  const rt = await startRuntime(t, { socket: null, port: null });
  await activateLicense(rt.licenses);
  const log = requestLogSink();
  const server = buildRuntimeServer(rt.running.runtime, { logger: { level: 'debug', stream: log.stream } });
  const port = Number(new URL(await listenLoopback(server.extra, '127.0.0.1', 0)).port);
  t.after(async () => {
    await closeServer(server.extra);
    await server.close();
  });
  const c = await RawConnection.open({ port });
  t.after(() => c.socket.destroy());
  const answer = await c.send(
    rawRequest('POST', '/v1/check', {}, JSON.stringify({ publicKey: PUBLIC_KEY, product: 'ERP', nonce: nonce() })),
  );
  assert.equal(answer.status, 200);
  assert.deepEqual(
    log.lines.map((l) => l.msg),
    ['incoming request', 'request completed'],
  );
});

/** A response read off a raw connection as it comes (an event stream never ends by itself). */
class RawStream {
  text = '';
  ended = false;
  #check: (() => void) | undefined;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.text += chunk.toString('utf8');
      this.#check?.();
    });
    socket.on('close', () => {
      this.ended = true;
      this.#check?.();
    });
    socket.on('error', () => {});
  }

  /** Connects to `to` and sends `request`. */
  static open(to: RawTarget, request: string): Promise<RawStream> {
    return new Promise((resolve, reject) => {
      const socket = 'path' in to ? connect({ path: to.path }) : connect({ host: '127.0.0.1', port: to.port });
      socket.once('connect', () => {
        const stream = new RawStream(socket);
        socket.write(request);
        resolve(stream);
      });
      socket.once('error', reject);
    });
  }

  /** Waits until what came so far satisfies `ready` (fails if the connection closes before). */
  until(ready: (text: string) => boolean): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#check = () => {
        if (ready(this.text)) {
          this.#check = undefined;
          resolve(this.text);
        } else if (this.ended) reject(new Error(`closed before it was ready: ${this.text}`));
      };
      this.#check();
    });
  }
}

/** What came on a stream without its `date` header. */
const undated = (text: string) => text.replace(/^date: .*\r\n/im, '');
/** The end of a chunked answer. */
const LAST_CHUNK = '0\r\n\r\n';

/** Two runtime servers over one runtime, the raw path's and Fastify's only, on `rt`'s scheduler, listening on a socket and a port each. */
async function hotAndSlow(t: TestContext, rt: TestRuntime, keepAliveMs: number) {
  const hotLog = requestLogSink();
  const slowLog = requestLogSink();
  const options = { scheduler: rt.scheduler, keepAliveMs };
  const hot = buildRuntimeServer(rt.running.runtime, { ...options, logger: { level: 'info', stream: hotLog.stream } });
  const slow = buildRuntimeServer(rt.running.runtime, {
    ...options,
    logger: { level: 'info', stream: slowLog.stream },
    hotRoutes: false,
  });
  const listen = async (server: RuntimeServer, name: string) => {
    server.server.keepAliveTimeout = 60_000;
    server.extra.keepAliveTimeout = 60_000;
    server.acceptSocketOn(server.server);
    const path = join(rt.root, `${name}.sock`);
    await listenSocket(server.server, path, 0o600);
    const port = Number(new URL(await listenLoopback(server.extra, '127.0.0.1', 0)).port);
    return { path, port };
  };
  const at = [await listen(hot, 'hot'), await listen(slow, 'slow')] as const;
  let read = 0;
  for (const s of [hot.server, hot.extra]) s.on('request', () => read++);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.all([hot.close(), slow.close()]);
  };
  t.after(async () => {
    await Promise.all([hot, slow].flatMap((s) => [closeServer(s.server), closeServer(s.extra)]));
    await close();
  });
  /** Requests of the raw path's server that `node:http` read (the rest were read below it). */
  const readByNodeHttp = () => read;
  return { hot, slow, at, hotLog, slowLog, close, readByNodeHttp };
}

test('status, event streams and seats answer byte for byte as Fastify does, and log the same lines', async (t) => {
  const mgr = await startManager(t, 2);
  const rt = await startRuntime(t, { socket: null, port: null });
  const { runtime } = rt.running;
  await activateLicense(rt.licenses);
  for (const pid of [7, 8, 9]) rt.processes.start(pid, '2');
  const keepAliveMs = 1000;
  const { hot, at, hotLog, slowLog, close, readByNodeHttp } = await hotAndSlow(t, rt, keepAliveMs);
  const hub = runtime.events;
  const first = hub.publish({
    kind: 'session-freed',
    sessionId: 's1',
    pid: 1,
    product: 'ERP',
    reason: 'process-exited',
  });
  hub.publish({ kind: 'session-freed', sessionId: 's2', pid: 2, product: 'CAD', reason: 'process-exited' });
  hub.publish({ kind: 'session-freed', sessionId: 's3', pid: 3, product: 'ERP', reason: 'process-exited' });
  const bySchema = fastJson(RuntimeStatus);
  const seatAsk = (pid: number, more: Record<string, unknown> = {}) =>
    JSON.stringify({
      publicKey: PUBLIC_KEY,
      product: 'CAD',
      managers: [mgr.running.address],
      pid,
      nonce: nonce(),
      ...more,
    });

  for (const kind of ['path', 'port'] as const) {
    const target = (i: 0 | 1): RawTarget => (kind === 'path' ? { path: at[i].path } : { port: at[i].port });
    const pair = await RawPair.open([target(0), target(1)]);
    t.after(() => pair.destroy());
    const over = kind === 'path' ? 'over the socket' : 'over loopback';
    const same = (what: string, request: string, status: number, normalize?: (a: RawAnswer) => unknown) =>
      pair.same(`${what} ${over}`, request, status, normalize);
    const opened: RawStream[] = [];
    t.after(() => {
      for (const s of opened) s.socket.destroy();
    });
    /** Opens the same stream on both, waits until both have what `ready` wants, requires the same bytes. */
    const sameStream = async (what: string, request: string, ready: (text: string) => boolean) => {
      const both = [await RawStream.open(target(0), request), await RawStream.open(target(1), request)] as const;
      opened.push(...both);
      const [a, b] = await Promise.all(both.map((s) => s.until(ready)));
      assert.equal(undated(a as string), undated(b as string), `${what} ${over}`);
      assert.match(a as string, /^HTTP\/1\.1 200 OK\r\n/, `${what} ${over}`);
      return both;
    };
    const started = (text: string) => text.includes(': Lictor Runtime events\n\n');

    // The status, as fast-json-stringify writes it over its schema.
    const status = await same('status', rawRequest('GET', '/v1/status'), 200);
    assert.equal(status.body, bySchema(runtime.status()));
    assert.deepEqual(status.head, [
      'content-type: application/json; charset=utf-8',
      `content-length: ${Buffer.byteLength(status.body)}`,
      'Connection: keep-alive',
      'Keep-Alive: timeout=60',
    ]);

    // Event streams: the first bytes, a filter by product, percent-encoding, Last-Event-ID.
    const [plain] = await sameStream('events', rawRequest('GET', '/v1/events'), started);
    assert.match(plain?.text ?? '', /content-type: text\/event-stream; charset=utf-8\r\n/);
    const [erp] = await sameStream('events of ERP', rawRequest('GET', '/v1/events?product=ERP'), started);
    await sameStream('events of ERP, percent-encoded', rawRequest('GET', '/v1/events?product=E%52P'), started);
    const last = (n: number) => `${hub.start}-${n}`;
    const [resumed] = await sameStream(
      'events after Last-Event-ID',
      rawRequest('GET', '/v1/events?product=ERP', { 'last-event-id': first.id }),
      (text) => text.includes(`id: ${last(3)}\n`),
    );
    assert.ok(!resumed?.text.includes(`id: ${last(2)}\n`), 'the CAD event is filtered out');
    await sameStream(
      'events after the Last-Event-ID of another run',
      rawRequest('GET', '/v1/events', { 'last-event-id': 'another-run-7' }),
      (text) => text.includes('event: reset\n'),
    );
    if (kind === 'path') assert.equal(hot.composed, false, 'status and event streams are answered without Fastify');

    // Seats: each server takes one for its own process (a process asking again gets its seat
    // back, signed anew), the same answer but for what differs by nature.
    const pids = kind === 'path' ? [7, 8] : [8, 7];
    const readBeforeSeats = readByNodeHttp();
    const hotSeat = await pair.first.send(rawRequest('POST', '/v1/seats', {}, seatAsk(pids[0] as number)));
    const slowSeat = await pair.second.send(rawRequest('POST', '/v1/seats', {}, seatAsk(pids[1] as number)));
    assert.equal(hotSeat.status, 201, hotSeat.body);
    const seats = [hotSeat, slowSeat].map((s) => JSON.parse(s.body) as Record<string, string>);
    const anonymous = (raw: RawAnswer, seat: Record<string, string>) => ({
      ...raw,
      head: raw.head.map((l) => l.replace(/^content-length: \d+$/, 'content-length: N')),
      body: raw.body
        .split(seat.id as string)
        .join('ID')
        .split(seat.leaseId as string)
        .join('LEASE')
        .replace(/"pid":\d+/, '"pid":P')
        .replace(/"expiresAt":"[^"]+"/, '"expiresAt":"T"')
        .replace(/"signature":"[^"]+"/, '"signature":"S"')
        .replace(/"signed":"(?:[^"\\]|\\.)*"/, '"signed":"S"'),
    });
    assert.deepEqual(anonymous(hotSeat, seats[0] as never), anonymous(slowSeat, seats[1] as never));
    assert.equal(hotSeat.body, seatJsonBySchema(JSON.parse(hotSeat.body)), "fast-json-stringify's bytes");
    assert.equal(seats[0]?.state, 'active');
    if (kind === 'path') assert.equal(hot.composed, false, 'a seat is taken without Fastify');
    // All taken, the manager unreachable.
    const exhausted = await same('seats exhausted', rawRequest('POST', '/v1/seats', {}, seatAsk(9)), 409);
    assert.equal((JSON.parse(exhausted.body) as { code: string }).code, 'LICTOR_E_SEATS_EXHAUSTED');
    await same(
      'a manager that does not answer',
      rawRequest('POST', '/v1/seats', {}, seatAsk(9, { managers: ['http://127.0.0.1:1'] })),
      503,
    );
    // Given back: the same 204; then unknown.
    const releasedHot = await pair.first.send(rawRequest('DELETE', `/v1/seats/${seats[0]?.id}`));
    const releasedSlow = await pair.second.send(rawRequest('DELETE', `/v1/seats/${seats[1]?.id}`));
    assert.deepEqual(releasedHot, releasedSlow);
    assert.equal(releasedHot.status, 204);
    const gone = await same('release of an unknown seat', rawRequest('DELETE', `/v1/seats/${seats[0]?.id}`), 404);
    assert.equal((JSON.parse(gone.body) as { code: string }).code, 'LICTOR_E_LEASE_UNKNOWN');
    if (kind === 'path') assert.equal(hot.composed, false, 'a seat is given back without Fastify');
    assert.equal(readByNodeHttp(), readBeforeSeats, 'seats are taken, refused and given back below node:http');

    // Hand-overs that Fastify answers with a stream: a member it removes, values it decodes as the raw path does not.
    await sameStream('events, another member', rawRequest('GET', '/v1/events?product=ERP&x=1'), started);
    await sameStream('events, a + in the product', rawRequest('GET', '/v1/events?product=E+RP'), started);
    await sameStream('events, a bad escape', rawRequest('GET', '/v1/events?product=%E0%A4%A'), started);

    // Live events reach both streams alike; the keep-alive comment too.
    hub.publish({ kind: 'session-freed', sessionId: 'live', pid: 4, product: 'CAD', reason: 'process-exited' });
    const erpEvent = hub.publish({ kind: 'seat-lost', seatId: 'x', product: 'ERP', code: 'C', message: 'm' });
    rt.scheduler.advance(keepAliveMs);
    // The keep-alive comment is the last thing written to every stream.
    await Promise.all(opened.map((x) => x.until((text) => text.endsWith(': keep-alive\n\n\r\n'))));
    for (let i = 0; i < opened.length; i += 2) {
      assert.equal(undated(opened[i]?.text ?? ''), undated(opened[i + 1]?.text ?? ''), `stream ${i / 2} ${over}`);
    }
    assert.ok(erp?.text.includes(`id: ${erpEvent.id}\n`), 'a stream of ERP has the ERP event');
    assert.ok(plain?.text.includes('sessionId":"live"'), 'an unfiltered stream has the CAD event');
    assert.ok(!erp?.text.includes('sessionId":"live"'), 'a stream of ERP has not');
    for (const s of opened) s.socket.destroy();

    // Refusals, all Fastify's.
    await same('status from a web page', rawRequest('GET', '/v1/status', { origin: 'null' }), 403);
    await same('status with a query', rawRequest('GET', '/v1/status?x=1'), 200);
    await same('events from a web page', rawRequest('GET', '/v1/events', { origin: 'https://evil.example' }), 403);
    await same('events of no product', rawRequest('GET', '/v1/events?product='), 400);
    await same('events of a product too long', rawRequest('GET', `/v1/events?product=${'x'.repeat(129)}`), 400);
    await same('events, a product twice', rawRequest('GET', '/v1/events?product=a&product=b'), 400);
    await same(
      'events, Last-Event-ID too long',
      rawRequest('GET', '/v1/events', { 'last-event-id': 'x'.repeat(129) }),
      400,
    );
    await same('a seat without a nonce', rawRequest('POST', '/v1/seats', {}, seatAsk(9, { nonce: undefined })), 400);
    await same('a seat of no managers', rawRequest('POST', '/v1/seats', {}, seatAsk(9, { managers: [] })), 400);
    await same('a seat, bad JSON', rawRequest('POST', '/v1/seats', {}, '{"product":'), 400);
    await same(
      'a seat, text/plain',
      rawRequest('POST', '/v1/seats', { 'content-type': 'text/plain' }, seatAsk(9)),
      400,
    );
    await same('a seat from a web page', rawRequest('POST', '/v1/seats', { origin: 'null' }, seatAsk(9)), 403);
    await same('a seat of a process that does not run', rawRequest('POST', '/v1/seats', {}, seatAsk(99)), 400);
    await same('release with a body', rawRequest('DELETE', `/v1/seats/${seats[0]?.id}`, {}, '{}'), 404);
    await same('release, a percent-encoded id', rawRequest('DELETE', '/v1/seats/a%20b'), 404);
    await same('release, an id too long', rawRequest('DELETE', `/v1/seats/${'x'.repeat(101)}`), 414);
    assert.equal(hot.composed, true, 'what is not plainly well-formed goes to Fastify');
  }

  // Streams open when the service closes end on both.
  const ends = [
    await RawStream.open({ path: at[0].path }, rawRequest('GET', '/v1/events')),
    await RawStream.open({ path: at[1].path }, rawRequest('GET', '/v1/events')),
  ];
  await Promise.all(ends.map((s) => s.until((text) => text.includes(': Lictor Runtime events'))));
  await close();
  await Promise.all(ends.map((s) => s.until((text) => text.endsWith(LAST_CHUNK))));
  assert.equal(undated(ends[0]?.text ?? ''), undated(ends[1]?.text ?? ''));
  for (const s of ends) s.socket.destroy();
  assert.equal(hub.subscribers, 0, 'every stream unsubscribed');

  // The same lines; a failure's error the same but for its stack's last async frame (the route that called).
  const failures = (lines: Record<string, unknown>[]) =>
    lines.map(({ err, ...rest }) => (err === undefined ? rest : { ...rest, err: { ...(err as object), stack: 'S' } }));
  assert.deepEqual(failures(hotLog.lines), failures(slowLog.lines));
  assert.ok(hotLog.lines.some((l) => l.msg === 'request refused' && l.code === 'LICTOR_E_SEATS_EXHAUSTED'));
  // An unreachable manager is a failure (503), logged at error with the error.
  assert.ok(hotLog.lines.some((l) => l.msg === 'request failed' && l.level === 50 && l.err !== undefined));
});

test('an event stream the raw path opened ends when the service closes, its app never composed', async (t) => {
  const rt = await startRuntime(t, { socket: null, port: null });
  const server = buildRuntimeServer(rt.running.runtime, { scheduler: rt.scheduler });
  const port = Number(new URL(await listenLoopback(server.extra, '127.0.0.1', 0)).port);
  t.after(() => closeServer(server.extra));
  const stream = await RawStream.open({ port }, rawRequest('GET', '/v1/events'));
  t.after(() => stream.socket.destroy());
  await stream.until((text) => text.includes(': Lictor Runtime events\n\n'));
  assert.equal(rt.running.runtime.events.subscribers, 1);
  assert.equal(server.composed, false);
  await server.close();
  await stream.until((text) => text.endsWith(LAST_CHUNK));
  assert.equal(rt.running.runtime.events.subscribers, 0);
  assert.equal(server.composed, false);
});
