/**
 * A request Node cannot parse gets Fastify's answer (`400`, JSON) from both of the runtime's
 * servers, before the Fastify app is loaded (the hot routes answer without it) and after.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildRuntimeServer, closeServer, listenLoopback, listenSocket } from '../src/index.js';
import { startRuntime } from './runtime-fixture.js';

/** Writes `bytes` and reads until the server closes the connection. */
function exchange(to: { path: string } | { port: number }, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = 'path' in to ? connect({ path: to.path }) : connect({ host: '127.0.0.1', port: to.port });
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
    socket.on('connect', () => socket.write(bytes));
  });
}

const FASTIFY_400 =
  'HTTP/1.1 400 Bad Request\r\nContent-Length: 65\r\nContent-Type: application/json\r\n\r\n' +
  '{"error":"Bad Request","message":"Client Error","statusCode":400}';

test('an unparsable request gets the 400 of Fastify from both servers, before and after the app is loaded', async (t) => {
  const rt = await startRuntime(t, { socket: null, port: null });
  const server = buildRuntimeServer(rt.running.runtime, { logger: false });
  server.acceptSocketOn(server.server);
  const path = join(rt.root, 'client-error.sock');
  await listenSocket(server.server, path, 0o600);
  const port = Number(new URL(await listenLoopback(server.extra, '127.0.0.1', 0)).port);
  t.after(async () => {
    await Promise.all([closeServer(server.server), closeServer(server.extra)]);
    await server.close();
  });

  const garbage = 'NOT HTTP AT ALL\r\n\r\n';
  assert.equal(server.composed, false);
  assert.equal(await exchange({ path }, garbage), FASTIFY_400);
  assert.equal(await exchange({ port }, garbage), FASTIFY_400);
  assert.equal(server.composed, false, 'a client error does not load the app');

  await server.app();
  assert.equal(await exchange({ path }, garbage), FASTIFY_400);
  assert.equal(await exchange({ port }, garbage), FASTIFY_400);
});
