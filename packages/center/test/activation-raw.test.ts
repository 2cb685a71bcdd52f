/**
 * Online activations answered without Fastify (`activation-raw.ts`: below `node:http`, and on it with
 * `plainConnections: false`) against the same route through Fastify (`rawActivations: false`),
 * over real sockets: two servers over one center, on a stopped
 * clock, get the same requests and must give the same status, headers (but the date) and body
 * bytes, and log the same lines. Covers new activations (whose ids differ), reactivations with
 * and without signed time, refusals (wrong PIN, rate-limited with `Retry-After`) and requests
 * handed to Fastify (bad JSON, schema violations, wrong type, oversize, chunked, other paths).
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { type RawAnswer, RawPair, rawRequest, requestLogSink } from '@lictor/http-service/testing';
import { decodeLicenseFile, newTimeNonce } from '@lictor/protocol';
import type { FastifyInstance } from 'fastify';
import { buildCenterServer } from '../src/index.js';
import { activationRequest, addApp, computer, issue, SQLITE, withCenter } from './helpers.js';

/** Counts the requests Fastify's pipeline sees. */
function fastifyCount(app: FastifyInstance): () => number {
  let seen = 0;
  app.addHook('onRequest', async () => {
    seen++;
  });
  return () => seen;
}

/** Counts the requests `node:http` reads (those read below it never reach its `request` event). */
function nodeHttpCount(app: FastifyInstance): () => number {
  let seen = 0;
  app.server.prependListener('request', () => {
    seen++;
  });
  return () => seen;
}

for (const plainConnections of [true, false]) {
  const where = plainConnections ? 'below node:http' : 'on node:http';
  test(`online activations ${where} answer byte for byte as through Fastify, and log the same lines`, (t) =>
    sameAsFastify(t, plainConnections));
}

async function sameAsFastify(t: TestContext, plainConnections: boolean): Promise<void> {
  await withCenter(
    t,
    SQLITE,
    async ({ center }) => {
      await addApp(center);
      const pkg = await issue(center, { pins: 4, maxActive: 4 });
      const rawLog = requestLogSink();
      const slowLog = requestLogSink();
      const raw = buildCenterServer(center, { logger: { level: 'info', stream: rawLog.stream }, plainConnections });
      const slow = buildCenterServer(center, {
        logger: { level: 'info', stream: slowLog.stream },
        rawActivations: false,
      });
      const seenByFastify = fastifyCount(raw);
      const seenByNodeHttp = nodeHttpCount(raw);
      t.after(() => Promise.all([raw.close(), slow.close()]));
      const port = async (app: FastifyInstance) =>
        Number(new URL(await app.listen({ port: 0, host: '127.0.0.1' })).port);
      const ports = [await port(raw), await port(slow)] as const;
      const pair = await RawPair.open([{ port: ports[0] }, { port: ports[1] }]);
      t.after(() => pair.destroy());

      /**
       * An answer with its license file (sealed afresh each time, with random bytes) replaced by
       * what it carries: the activation, container and PIN.
       */
      const sealed = (answer: RawAnswer): RawAnswer => {
        if (answer.status >= 300) return answer;
        const { license } = JSON.parse(answer.body) as { license: string };
        const doc = decodeLicenseFile(license, center.publicKey);
        const carried = JSON.stringify([doc.activationId, doc.containerId, doc.pin, doc.counter]);
        const length = `content-length: ${Buffer.byteLength(answer.body)}`;
        assert.ok(answer.head.includes(length), 'the length of the body');
        const head = answer.head.map((line) => (line === length ? 'content-length: N' : line));
        return { ...answer, head, body: answer.body.replace(JSON.stringify(license), carried) };
      };
      /** Sends `request` to both (raw first) and requires the same answer, but the license files; returns it. */
      const same = (what: string, request: string, status: number) => pair.same(what, request, status, sealed);
      const activation = (body: unknown) => rawRequest('POST', '/v1/activations', {}, JSON.stringify(body));

      // New activations take new ids on each server: two PINs, the same answer but the ids and license.
      const first = await pair.first.send(activation(activationRequest(pkg, 1, computer(1))));
      const second = await pair.second.send(activation(activationRequest(pkg, 2, computer(2))));
      assert.equal(seenByFastify(), 0, 'the raw path answered');
      assert.equal(
        seenByNodeHttp(),
        plainConnections ? 0 : 1,
        plainConnections ? 'read below node:http' : 'read by node:http',
      );
      const strip = (answer: RawAnswer) => {
        const normal = sealed(answer);
        const [activationId] = (JSON.parse(normal.body) as { license: [string] }).license;
        return {
          ...normal,
          body: normal.body.replace(/"license":\[.*\]/, '"license":"L"').replace(activationId, 'ID'),
        };
      };
      assert.equal(first.status, 201, first.body);
      assert.deepEqual(strip(first), strip(second));
      assert.deepEqual(first.head, [
        'content-type: application/json; charset=utf-8',
        `content-length: ${Buffer.byteLength(first.body)}`,
        'Connection: keep-alive',
        'Keep-Alive: timeout=72',
      ]);
      assert.deepEqual(
        Object.keys(JSON.parse(first.body) as object),
        ['activationId', 'reactivated', 'license'],
        'in the order of the schema',
      );

      // Reactivations (the same computer again), with and without the center's signed time.
      await same('reactivation', activation(activationRequest(pkg, 1, computer(1))), 200);
      const timed = await same(
        'reactivation with signed time',
        activation({ ...activationRequest(pkg, 2, computer(2)), timeNonce: newTimeNonce() }),
        200,
      );
      assert.deepEqual(Object.keys((JSON.parse(timed.body) as { time: object }).time), ['time', 'nonce', 'signature']);
      assert.equal(seenByFastify(), 0, 'the raw path answered');

      // Refusals of the center.
      const wrong = await same(
        'wrong PIN',
        activation({ ...activationRequest(pkg, 3, computer(3)), pin: 'AAAAA-AAAAA-AAAAA' }),
        403,
      );
      assert.equal((JSON.parse(wrong.body) as { code: string }).code, 'LICTOR_E_SERIAL_OR_PIN_INVALID');
      await same('unknown serial', activation({ ...activationRequest(pkg, 3, computer(3)), serial: 'LX-NONE' }), 403);
      assert.equal(seenByFastify(), 0, 'the raw path answered');
      assert.equal(seenByNodeHttp(), plainConnections ? 0 : 5);

      // Requests handed to Fastify, before or after reading the body (PIN 3 activated first, so
      // those that pass reactivate on both).
      assert.equal((await pair.first.send(activation(activationRequest(pkg, 3, computer(3))))).status, 201);
      const [third] = rawLog.lines.splice(rawLog.lines.length - 1);
      assert.equal(third?.msg, 'activation');
      const before = seenByFastify();
      const invalid = await same('bad JSON', rawRequest('POST', '/v1/activations', {}, '{"serial":'), 400);
      assert.equal((JSON.parse(invalid.body) as { message: string }).message, 'the request body is not valid JSON');
      await same(
        'prototype poisoning',
        rawRequest('POST', '/v1/activations', {}, '{"__proto__":{"x":1},"serial":"a"}'),
        400,
      );
      const missing = await same(
        'hardware missing',
        activation({ ...activationRequest(pkg, 3, computer(3)), hardware: undefined }),
        400,
      );
      assert.deepEqual((JSON.parse(missing.body) as { details: unknown }).details, {
        field: 'hardware',
        location: 'body',
      });
      await same(
        'serial too long',
        activation({ ...activationRequest(pkg, 3, computer(3)), serial: 'x'.repeat(65) }),
        400,
      );
      await same(
        'a property the schema does not name (Fastify removes it; reactivates)',
        activation({ ...activationRequest(pkg, 3, computer(3)), x: 1 }),
        200,
      );
      await same('not an object', rawRequest('POST', '/v1/activations', {}, '[1]'), 400);
      await same(
        'empty body',
        rawRequest('POST', '/v1/activations', { 'content-type': 'application/json', 'content-length': '0' }),
        400,
      );
      const body = JSON.stringify(activationRequest(pkg, 3, computer(3)));
      await same('text/plain', rawRequest('POST', '/v1/activations', { 'content-type': 'text/plain' }, body), 400);
      const big = JSON.stringify({ ...activationRequest(pkg, 3, computer(3)), pad: 'x'.repeat(64 * 1024) });
      const oversize = await same('oversize body', rawRequest('POST', '/v1/activations', {}, big), 413);
      assert.equal((JSON.parse(oversize.body) as { code: string }).code, 'LICTOR_E_PAYLOAD_TOO_LARGE');
      const chunked = `POST /v1/activations HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
      await same('chunked body (reactivates)', chunked, 200);
      await same('a query string (reactivates)', rawRequest('POST', '/v1/activations?x=1', {}, body), 200);
      await same('another path', rawRequest('POST', '/v1/activation', {}, body), 404);
      assert.ok(seenByFastify() > before, 'handed to Fastify');

      // Rate-limited: the client's burst of 17 activations is spent on both servers alike.
      const limited = await same('rate-limited', activation(activationRequest(pkg, 1, computer(1))), 429);
      assert.equal((JSON.parse(limited.body) as { code: string }).code, 'LICTOR_E_RATE_LIMITED');
      assert.equal(limited.head[0], 'retry-after: 30');

      // The same log lines, in the same order (new activations but their ids).
      const logged = (lines: Record<string, unknown>[]) =>
        lines.map(({ activationId: _id, ...rest }) => ({
          ...rest,
          serial: rest.serial === undefined ? undefined : 'S',
        }));
      assert.deepEqual(logged(rawLog.lines), logged(slowLog.lines));
      assert.deepEqual(
        rawLog.lines.map((l) => l.code ?? l.msg),
        [
          ...Array(3).fill('activation'),
          ...Array(2).fill('LICTOR_E_SERIAL_OR_PIN_INVALID'),
          ...Array(4).fill('LICTOR_E_INVALID_INPUT'),
          'activation',
          ...Array(3).fill('LICTOR_E_INVALID_INPUT'),
          'LICTOR_E_PAYLOAD_TOO_LARGE',
          ...Array(2).fill('activation'),
          'LICTOR_E_RATE_LIMITED',
        ],
      );
    },
    { rateLimits: { perClient: { burst: 17, perMinute: 2 }, refusalsPerSerial: null, reportsPerSerial: null } },
  );
}

test('behind a trusted proxy every activation goes through Fastify (the client address is its to read)', async (t) => {
  await withCenter(t, SQLITE, async ({ center }) => {
    await addApp(center);
    const pkg = await issue(center);
    const app = buildCenterServer(center, { trustProxy: true });
    const seenByFastify = fastifyCount(app);
    t.after(() => app.close());
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const answer = await fetch(`${url}/v1/activations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.9.8.7' },
      body: JSON.stringify(activationRequest(pkg, 1, computer(1))),
    });
    assert.equal(answer.status, 201);
    assert.equal(seenByFastify(), 1);
  });
});
