/**
 * The hot lease routes answered on `node:http` (`hot-routes.ts`) against the same routes through
 * Fastify (`hotRoutes: false`), over real sockets: two servers over one manager, on a stopped
 * clock, get the same requests and must give the same status, headers (but the date) and body
 * bytes, and log the same lines. Covers the answers (grant, renewal, heartbeat, release; plain,
 * signed and MAC'd), the refusals (unknown lease, seats exhausted, invalid nonce) and every request
 * handed to Fastify (bad JSON, schema violations, properties Fastify removes, wrong type or
 * method, oversize, chunked bodies). Run three ways: read below `node:http` (`plainLeaseRoute`) with
 * each request on a new connection (which of them the plain path answers and which it leaves to
 * `node:http` is asserted by name), the same on kept connections, and on `node:http` alone.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { RawConnection, RawPair, rawRequest, requestLogSink } from '@lictor/http-service/testing';
import {
  answerSessionId,
  decodeLicenseFile,
  parsePublicKey,
  randomBytes,
  sealAnswerSession,
  toBase64Url,
} from '@lictor/protocol';
import { licenseKey, VENDOR } from '../../sdk/test/signed-answers.js';
import { buildManagerServer, MANAGER_BODY_LIMIT, SeatProofs } from '../src/index.js';
import { CAD, openManager } from './manager-fixture.js';

const client = (name: string) => ({ host: `h-${name}`, user: 'u', process: 'p', session: 's' });
const acquire = (name: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ product: 'cad', client: client(name), ...extra });

/**
 * How the hot routes are reached: read below `node:http` (the default), each request on a new
 * connection or all on kept connections (handed to `node:http` at the first request the plain
 * path leaves, as the connection then is for good); or on `node:http` alone.
 */
type Variant = 'plain, new connections' | 'plain, kept connections' | 'node:http';

for (const variant of ['plain, new connections', 'plain, kept connections', 'node:http'] as const) {
  test(`the hot lease routes answer byte for byte as Fastify does, and log the same lines (${variant})`, (t) =>
    conformance(t, variant));
}

async function conformance(t: TestContext, variant: Variant): Promise<void> {
  const now = Date.parse('2026-12-03T10:00:00.000Z');
  const { manager } = await openManager(t, { licenses: [CAD], now: () => now });
  const key = licenseKey(['cad'], VENDOR);
  // Each server its own sessions (the same key): each opens the sealed secret, signing that answer.
  const proofs = new SeatProofs();
  proofs.setKeys(new Map([[CAD.id, key]]));
  const slowProofs = new SeatProofs();
  slowProofs.setKeys(new Map([[CAD.id, key]]));
  const hotLog = requestLogSink();
  const slowLog = requestLogSink();
  const hot = buildManagerServer(manager, {
    proofs,
    logger: { level: 'info', stream: hotLog.stream },
    plainConnections: variant !== 'node:http',
  });
  // `node:http` emits 'request' for each request it reads: none for those read below it.
  let readByNodeHttp = 0;
  hot.server.on('request', () => readByNodeHttp++);
  const slow = buildManagerServer(manager, {
    proofs: slowProofs,
    logger: { level: 'info', stream: slowLog.stream },
    hotRoutes: false,
  });
  t.after(() => Promise.all([hot.close(), slow.close()]));
  const port = async (app: typeof hot) => Number(new URL(await app.listen({ port: 0, host: '127.0.0.1' })).port);
  const ports = [await port(hot), await port(slow)] as const;
  const pair = await RawPair.open([{ port: ports[0] }, { port: ports[1] }], {
    fresh: variant === 'plain, new connections',
  });
  t.after(() => pair.destroy());

  /**
   * Sends `request` to both (the hot server first) and requires the same answer; returns it.
   * Connections are kept alive from request to request unless an answer closes them.
   */
  const readBy = new Map<string, number>();
  const same = async (what: string, request: string, status: number) => {
    const before = readByNodeHttp;
    const answer = await pair.same(what, request, status);
    readBy.set(what, readByNodeHttp - before);
    return answer;
  };

  // Grants take a new random id on each server: two clients, the same answer but the id.
  const grantHot = await pair.first.send(rawRequest('POST', '/v1/leases', {}, acquire('a')));
  const grantSlow = await pair.second.send(rawRequest('POST', '/v1/leases', {}, acquire('b')));
  const idA = (JSON.parse(grantHot.body) as { lease: { id: string } }).lease.id;
  const idB = (JSON.parse(grantSlow.body) as { lease: { id: string } }).lease.id;
  assert.equal(grantHot.status, 201);
  assert.deepEqual(
    { ...grantHot, body: grantHot.body.replace(idA, 'ID') },
    {
      ...grantSlow,
      body: grantSlow.body.replace(idB, 'ID'),
    },
  );
  assert.deepEqual(grantHot.head, [
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(grantHot.body)}`,
    'Connection: keep-alive',
    'Keep-Alive: timeout=72',
  ]);

  // Renewals, heartbeats: plain, signed over a nonce, MAC'd in a session.
  await same('renewal', rawRequest('POST', '/v1/leases', {}, acquire('a')), 200);
  await same('renewal with the lease id', rawRequest('POST', '/v1/leases', {}, acquire('a', { leaseId: idA })), 200);
  await same('heartbeat', rawRequest('POST', `/v1/leases/${idA}/heartbeat`, { 'content-length': '0' }), 200);
  await same('heartbeat without content-length', rawRequest('POST', `/v1/leases/${idA}/heartbeat`), 200);
  await same(
    'heartbeat, empty JSON body',
    rawRequest('POST', `/v1/leases/${idA}/heartbeat`, { 'content-type': 'application/json', 'content-length': '0' }),
    200,
  );
  const nonce = toBase64Url(randomBytes(24));
  const signed = await same(
    'signed heartbeat',
    rawRequest('POST', `/v1/leases/${idA}/heartbeat`, { 'lictor-nonce': nonce }),
    200,
  );
  assert.equal((JSON.parse(signed.body) as { proof: { key: string } }).proof.key, 'container');
  await same('signed renewal', rawRequest('POST', '/v1/leases', { 'lictor-nonce': nonce }, acquire('a')), 200);
  const sealed = sealAnswerSession(
    decodeLicenseFile(key.license, parsePublicKey(VENDOR.publicKey.text)),
    randomBytes(32),
  );
  const session = answerSessionId(sealed);
  const sealedHeartbeat = rawRequest('POST', `/v1/leases/${idA}/heartbeat`, {
    'lictor-nonce': nonce,
    'lictor-session': `${session}.${sealed}`,
  });
  const opening = await same('heartbeat that opens the session (sealed): signed', sealedHeartbeat, 200);
  assert.equal((JSON.parse(opening.body) as { proof: { key: string } }).proof.key, 'container');
  const maced = await same("MAC'd heartbeat (the sealed secret sent again)", sealedHeartbeat, 200);
  assert.equal((JSON.parse(maced.body) as { proof: { key: string } }).proof.key, 'session');
  await same(
    "MAC'd heartbeat",
    rawRequest('POST', `/v1/leases/${idA}/heartbeat`, { 'lictor-nonce': nonce, 'lictor-session': session }),
    200,
  );
  await same(
    "MAC'd renewal",
    rawRequest('POST', '/v1/leases', { 'lictor-nonce': nonce, 'lictor-session': session }, acquire('a')),
    200,
  );

  // Refusals of the route itself.
  const unknown = '00000000-0000-4000-8000-000000000000';
  const refused = await same(
    'heartbeat of an unknown lease',
    rawRequest('POST', `/v1/leases/${unknown}/heartbeat`),
    404,
  );
  assert.equal((JSON.parse(refused.body) as { code: string }).code, 'LICTOR_E_LEASE_UNKNOWN');
  await same('release of an unknown lease', rawRequest('DELETE', `/v1/leases/${unknown}`), 404);
  // Every request so far was one the hot routes answer themselves: below node:http when plain.
  if (variant === 'node:http') assert.equal(readByNodeHttp, 14);
  else assert.equal(readByNodeHttp, 0, 'answered below node:http');
  await same(
    'a nonce that is not canonical base64url',
    rawRequest('POST', `/v1/leases/${idA}/heartbeat`, { 'lictor-nonce': `${'A'.repeat(21)}B` }),
    400,
  );
  await same(
    'a nonce against its pattern',
    rawRequest('POST', '/v1/leases', { 'lictor-nonce': 'short' }, acquire('a')),
    400,
  );
  await same(
    'a session against its pattern',
    rawRequest('POST', '/v1/leases', { 'lictor-session': '!' }, acquire('a')),
    400,
  );
  const c = await pair.first.send(rawRequest('POST', '/v1/leases', {}, acquire('c')));
  assert.equal(c.status, 201); // 3 seats: a, b, c
  const full = await same('seats exhausted', rawRequest('POST', '/v1/leases', {}, acquire('d')), 409);
  assert.equal((JSON.parse(full.body) as { code: string }).code, 'LICTOR_E_SEATS_EXHAUSTED');

  // Requests the hot routes hand to Fastify, before or after reading the body.
  const invalid = await same('bad JSON', rawRequest('POST', '/v1/leases', {}, '{"product":'), 400);
  assert.equal((JSON.parse(invalid.body) as { message: string }).message, 'the request body is not valid JSON');
  await same('prototype poisoning', rawRequest('POST', '/v1/leases', {}, '{"__proto__":{"x":1},"product":"cad"}'), 400);
  // Bodies near what Fastify's parser refuses (the raw path parses plain text with JSON.parse alone).
  await same(
    'constructor poisoning',
    rawRequest('POST', '/v1/leases', {}, '{"constructor":{"x":1},"product":"cad"}'),
    400,
  );
  await same(
    'prototype poisoning, escaped',
    rawRequest('POST', '/v1/leases', {}, '{"\\u005f_proto__":{"x":1},"product":"cad"}'),
    400,
  );
  await same(
    'an escaped character',
    rawRequest('POST', '/v1/leases', {}, acquire('a').replace('"cad"', '"c\\u0061d"')),
    200,
  );
  await same(
    'the words as a value',
    rawRequest('POST', '/v1/leases', {}, acquire('a', { x: '__proto__ constructor' })),
    200,
  );
  await same('a byte-order mark', rawRequest('POST', '/v1/leases', {}, `\ufeff${acquire('a')}`), 200);
  const missing = await same('client missing', rawRequest('POST', '/v1/leases', {}, '{"product":"cad"}'), 400);
  assert.deepEqual((JSON.parse(missing.body) as { details: unknown }).details, { field: 'client', location: 'body' });
  await same('product too long', rawRequest('POST', '/v1/leases', {}, acquire('a', { product: 'x'.repeat(129) })), 400);
  await same('not an object', rawRequest('POST', '/v1/leases', {}, '[1]'), 400);
  await same(
    'empty body',
    rawRequest('POST', '/v1/leases', { 'content-type': 'application/json', 'content-length': '0' }),
    400,
  );
  await same(
    'a property the schema does not name (Fastify removes it)',
    rawRequest('POST', '/v1/leases', {}, acquire('a', { x: 1 })),
    200,
  );
  await same('text/plain', rawRequest('POST', '/v1/leases', { 'content-type': 'text/plain' }, acquire('a')), 400);
  await same(
    'no content type',
    `POST /v1/leases HTTP/1.1\r\nhost: x\r\ncontent-length: ${acquire('a').length}\r\n\r\n${acquire('a')}`,
    400,
  );
  const big = acquire('a', { leaseId: 'x'.repeat(MANAGER_BODY_LIMIT) });
  const oversize = await same('oversize body', rawRequest('POST', '/v1/leases', {}, big), 413);
  assert.equal((JSON.parse(oversize.body) as { code: string }).code, 'LICTOR_E_PAYLOAD_TOO_LARGE');
  const body = acquire('a');
  await same(
    'chunked body',
    `POST /v1/leases HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    200,
  );
  await same('heartbeat with a JSON body', rawRequest('POST', `/v1/leases/${idA}/heartbeat`, {}, '{}'), 200);
  await same('heartbeat with a bad JSON body', rawRequest('POST', `/v1/leases/${idA}/heartbeat`, {}, '{'), 400);
  await same('wrong method', rawRequest('PUT', `/v1/leases/${idA}`), 404);
  await same('GET of the lease list', rawRequest('GET', '/v1/leases'), 404);
  await same('a query string', rawRequest('POST', `/v1/leases/${idA}/heartbeat?x=1`), 200);
  await same('an id longer than the router takes', rawRequest('DELETE', `/v1/leases/${'x'.repeat(101)}`), 414);
  await same('a percent-encoded id', rawRequest('DELETE', '/v1/leases/a%20b'), 404);
  // Paths near the lease routes' (the raw listener parses them without a regular expression).
  await same('an empty id', rawRequest('POST', '/v1/leases//heartbeat'), 400);
  await same('an id of 100 characters', rawRequest('POST', `/v1/leases/${'~.-_'.repeat(25)}/heartbeat`), 404);
  await same(
    'a heartbeat id longer than the router takes',
    rawRequest('POST', `/v1/leases/${'x'.repeat(101)}/heartbeat`),
    414,
  );
  await same('the release of a heartbeat path', rawRequest('DELETE', `/v1/leases/${idA}/heartbeat`), 404);
  await same('a lease named heartbeat', rawRequest('DELETE', '/v1/leases/heartbeat'), 404);
  await same('a heartbeat of a lease named heartbeat', rawRequest('POST', '/v1/leases/heartbeat/heartbeat'), 404);
  await same('a path below a lease', rawRequest('POST', `/v1/leases/${idA}/x/heartbeat`), 404);
  await same('a heartbeat path with a trailing slash', rawRequest('POST', `/v1/leases/${idA}/heartbeat/`), 404);

  // Releases: one lease on each server, same answer.
  const relHot = await pair.first.send(rawRequest('DELETE', `/v1/leases/${idA}`));
  const relSlow = await pair.second.send(rawRequest('DELETE', `/v1/leases/${idB}`));
  assert.deepEqual(relHot, relSlow);
  assert.equal(relHot.status, 204);
  assert.deepEqual(relHot.head, ['Connection: keep-alive', 'Keep-Alive: timeout=72']);
  assert.equal(manager.leases().length, 1);

  // The same lines were logged (the hot server also granted c).
  const byHot = hotLog.lines.filter((l) => l.leaseId === undefined || l.leaseId === idA);
  const bySlow = slowLog.lines.filter((l) => l.leaseId === undefined || l.leaseId === idB);
  assert.deepEqual(
    byHot.map((l) => ({ ...l, leaseId: l.leaseId === undefined ? undefined : 'ID' })),
    bySlow.map((l) => ({ ...l, leaseId: l.leaseId === undefined ? undefined : 'ID' })),
  );
  assert.ok(byHot.some((l) => l.msg === 'lease granted'));
  assert.ok(byHot.some((l) => l.msg === 'request refused' && l.code === 'LICTOR_E_SEATS_EXHAUSTED'));
  if (variant === 'plain, new connections') {
    // On a new connection each: answered below node:http, or left to it (and Fastify) unanswered.
    const plain = [
      'seats exhausted',
      'an escaped character',
      'a byte-order mark',
      'an id of 100 characters',
      'a lease named heartbeat',
      'a heartbeat of a lease named heartbeat',
    ];
    for (const what of plain) assert.equal(readBy.get(what), 0, `${what}: answered below node:http`);
    const left = [...readBy.keys()].filter((what) => readBy.get(what) !== 0);
    assert.deepEqual(left, [
      'a nonce that is not canonical base64url',
      'a nonce against its pattern',
      'a session against its pattern',
      'bad JSON',
      'prototype poisoning',
      'constructor poisoning',
      'prototype poisoning, escaped',
      'the words as a value',
      'client missing',
      'product too long',
      'not an object',
      'empty body',
      'a property the schema does not name (Fastify removes it)',
      'text/plain',
      'no content type',
      'oversize body',
      'chunked body',
      'heartbeat with a JSON body',
      'heartbeat with a bad JSON body',
      'wrong method',
      'GET of the lease list',
      'a query string',
      'an id longer than the router takes',
      'a percent-encoded id',
      'an empty id',
      'a heartbeat id longer than the router takes',
      'the release of a heartbeat path',
      'a path below a lease',
      'a heartbeat path with a trailing slash',
    ]);
  }
}

test('at debug level every request goes through Fastify, which logs each one', async (t) => {
  const { manager } = await openManager(t);
  const log = requestLogSink();
  const app = buildManagerServer(manager, { logger: { level: 'debug', stream: log.stream } });
  t.after(() => app.close());
  const c = await RawConnection.open({ port: Number(new URL(await app.listen({ port: 0, host: '127.0.0.1' })).port) });
  t.after(() => c.socket.destroy());
  const grant = await c.send(rawRequest('POST', '/v1/leases', {}, acquire('a')));
  assert.equal(grant.status, 201);
  assert.deepEqual(
    log.lines.map((l) => l.msg),
    ['incoming request', 'lease granted', 'request completed'],
  );
});
