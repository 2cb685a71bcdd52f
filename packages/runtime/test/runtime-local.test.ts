/**
 * Programs of this computer only: over a real Unix socket and a real loopback port the runtime
 * answers; a non-loopback address, a foreign Host (DNS rebinding), an Origin (a web page) and a
 * body a browser could send without asking are refused with LICTOR_E_NOT_LOCAL (or as not JSON);
 * the socket and its directory are private; a stale socket is replaced, a live one is not.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { callRuntime, isLoopbackAddress, openRuntime, runtimeStatus } from '../src/index.js';
import { doc, HW, nonce, PUBLIC_KEY, SECRET, startRuntime, writeLicenses } from './runtime-fixture.js';

const checkBody = () => ({ publicKey: PUBLIC_KEY, product: 'ERP', nonce: nonce() });

test('a check over the real Unix socket and the real loopback port answers the same grant', async (t) => {
  const rt = await startRuntime(t);
  await writeLicenses(rt.licenses, { 'a.lic': doc() });
  const socket = rt.running.socket as string;
  const url = rt.running.url as string;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const overSocket = await callRuntime({ socket }, 'POST', '/v1/check', checkBody());
  const overTcp = await callRuntime({ url }, 'POST', '/v1/check', checkBody());
  assert.equal(overSocket.status, 200);
  assert.deepEqual(overTcp, overSocket);
  assert.equal((overSocket.json as { serial: string }).serial.startsWith('LX-'), true);
  assert.equal((await runtimeStatus({ socket })).runtime.id, rt.running.id);
  assert.equal((await runtimeStatus({ url })).runtime.id, rt.running.id);
  // fetch over TCP, as any HTTP client would.
  const fetched = await fetch(`${url}/v1/check`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(checkBody()),
  });
  assert.equal(fetched.status, 200);
});

test('the socket file is 0600 in a 0700 directory, or 0660 in a 0750 one for a group, made by the runtime', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'lictor-rt-sock-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const own = await startRuntime(t, {
    socket: join(root, 'own', 'lictor', 'runtime.sock'),
    socketMode: 0o600,
    port: null,
  });
  assert.equal(own.running.url, null);
  assert.equal((await stat(join(root, 'own', 'lictor'))).mode & 0o777, 0o700);
  assert.equal((await stat(own.running.socket as string)).mode & 0o777, 0o600);
  assert.equal((await stat(own.running.stateDir)).mode & 0o777, 0o700);
  const group = await startRuntime(t, { socket: join(root, 'group', 'runtime.sock'), socketMode: 0o660, port: null });
  assert.equal((await stat(join(root, 'group'))).mode & 0o777, 0o750);
  assert.equal((await stat(group.running.socket as string)).mode & 0o777, 0o660);
  // The default: 0660 for root (a system service whose group connects), else 0600.
  const byDefault = await startRuntime(t, { socket: join(root, 'default.sock'), port: null });
  assert.equal((await stat(byDefault.running.socket as string)).mode & 0o777, process.getuid?.() === 0 ? 0o660 : 0o600);
});

test('requests from other addresses, for other hosts, or from web pages are refused with LICTOR_E_NOT_LOCAL', async (t) => {
  const rt = await startRuntime(t);
  await writeLicenses(rt.licenses, { 'a.lic': doc() });
  const app = await rt.running.server.app();
  const post = (extra: { remoteAddress?: string; headers?: Record<string, string> }) =>
    app.inject({ method: 'POST', url: '/v1/check', payload: checkBody(), ...extra });

  const remote = await post({ remoteAddress: '192.0.2.7' });
  assert.equal(remote.statusCode, 403);
  assert.equal(remote.json().code, 'LICTOR_E_NOT_LOCAL');
  assert.match(remote.json().message, /from 192\.0\.2\.7 is refused/);
  const page = await post({ headers: { origin: 'https://evil.example' } });
  assert.equal(page.statusCode, 403);
  assert.equal(page.json().code, 'LICTOR_E_NOT_LOCAL');
  // A sandboxed iframe (or a file: page) sends Origin: null: a web page all the same.
  const sandboxed = await post({ headers: { origin: 'null' } });
  assert.equal(sandboxed.statusCode, 403);
  assert.equal(sandboxed.json().code, 'LICTOR_E_NOT_LOCAL');
  assert.match(sandboxed.json().message, /Origin null/);
  const empty = await post({ headers: { origin: '' } });
  assert.equal(empty.statusCode, 403);
  const rebound = await post({ headers: { host: 'evil.example:8791' } });
  assert.equal(rebound.statusCode, 403);
  assert.equal(rebound.json().code, 'LICTOR_E_NOT_LOCAL');
  // Status and events are refused too, not only checks.
  const status = await app.inject({ method: 'GET', url: '/v1/status', remoteAddress: '10.1.2.3' });
  assert.equal(status.json().code, 'LICTOR_E_NOT_LOCAL');

  // No Origin, loopback addresses and names are served.
  assert.equal((await post({})).statusCode, 200);
  assert.equal((await post({ remoteAddress: '127.0.0.5', headers: { host: '127.0.0.1:8791' } })).statusCode, 200);
  assert.equal((await post({ remoteAddress: '::1', headers: { host: '[::1]:8791' } })).statusCode, 200);
  assert.equal((await post({ remoteAddress: '::ffff:127.0.0.1', headers: { host: 'localhost' } })).statusCode, 200);

  // A body a browser sends to any address without asking first (text/plain) is not parsed.
  const simple = await app.inject({
    method: 'POST',
    url: '/v1/check',
    headers: { 'content-type': 'text/plain' },
    payload: JSON.stringify(checkBody()),
  });
  assert.equal(simple.statusCode, 400);
  assert.equal(simple.json().code, 'LICTOR_E_INVALID_INPUT');
});

test('over a real socket: an Origin is refused on TCP and on the Unix socket; any Host is fine on the socket', async (t) => {
  const rt = await startRuntime(t);
  await writeLicenses(rt.licenses, { 'a.lic': doc() });
  const raw = (options: { socketPath?: string; port?: number; host?: string; headers: Record<string, string> }) =>
    new Promise<{ status: number; code?: string }>((resolve, reject) => {
      const payload = JSON.stringify(checkBody());
      const req = request(
        {
          ...options,
          method: 'POST',
          path: '/v1/check',
          headers: { ...options.headers, 'content-type': 'application/json', 'content-length': payload.length },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString();
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, code: (JSON.parse(text) as { code?: string }).code }),
          );
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  const port = Number(new URL(rt.running.url as string).port);
  const socketPath = rt.running.socket as string;
  assert.deepEqual(await raw({ port, host: '127.0.0.1', headers: { origin: 'http://localhost:3000' } }), {
    status: 403,
    code: 'LICTOR_E_NOT_LOCAL',
  });
  assert.deepEqual(await raw({ socketPath, headers: { origin: 'https://evil.example' } }), {
    status: 403,
    code: 'LICTOR_E_NOT_LOCAL',
  });
  assert.deepEqual(await raw({ port, host: '127.0.0.1', headers: { origin: 'null' } }), {
    status: 403,
    code: 'LICTOR_E_NOT_LOCAL',
  });
  assert.equal((await raw({ port, host: '127.0.0.1', headers: { host: 'rebound.example' } })).status, 403);
  assert.equal((await raw({ socketPath, headers: { host: 'anything.example' } })).status, 200);
});

test('the runtime refuses to listen on an address that is not loopback', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'lictor-rt-host-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  for (const host of ['0.0.0.0', '::', '192.0.2.1', 'example.com']) {
    await assert.rejects(
      openRuntime({
        stateDir: join(root, 'state'),
        socket: null,
        host,
        port: 0,
        computer: { env: {}, hardware: async () => HW, machineSecret: async () => SECRET },
      }),
      (err: Error & { code?: string; details?: unknown }) => {
        assert.equal(err.code, 'LICTOR_E_NOT_LOCAL');
        assert.deepEqual(err.details, { host });
        return true;
      },
    );
  }
  assert.equal(isLoopbackAddress('127.255.0.1'), true);
  assert.equal(isLoopbackAddress('128.0.0.1'), false);
  assert.equal(isLoopbackAddress(undefined), false);
});

test('a stale socket file is replaced; a socket that answers, or a file that is not a socket, is left alone', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'lictor-rt-stale-'));
  const options = (socket: string) => ({
    stateDir: join(root, 'state'),
    socket,
    port: null,
    computer: { env: {}, hardware: async () => HW, machineSecret: async () => SECRET },
  });

  // A socket file nothing answers on, as a runtime that died leaves it: a listener's socket file
  // moved away from it (closing the listener then unlinks only its old name).
  const stale = join(root, 'stale.sock');
  const dead = createServer();
  await new Promise<void>((resolve) => dead.listen(join(root, 'bound.sock'), resolve));
  await rename(join(root, 'bound.sock'), stale);
  await new Promise<void>((resolve) => dead.close(() => resolve()));
  assert.equal((await stat(stale)).isSocket(), true);
  const replaced = await openRuntime(options(stale));
  // Closed before its directory is removed (after-hooks run in the order they were added), so
  // that nothing it writes as it closes lands in a directory being removed.
  t.after(async () => {
    await replaced.close();
    await rm(root, { recursive: true, force: true });
  });
  assert.equal((await runtimeStatus({ socket: stale })).runtime.id, replaced.id);

  // A second runtime on the same socket: refused, the first keeps serving.
  await assert.rejects(openRuntime({ ...options(stale), stateDir: join(root, 'state2') }), {
    code: 'LICTOR_E_PORT_IN_USE',
  });
  assert.equal((await runtimeStatus({ socket: stale })).runtime.id, replaced.id);

  // A regular file is never removed.
  await mkdir(join(root, 'plain'));
  const plain = join(root, 'plain', 'runtime.sock');
  await writeFile(plain, 'not a socket');
  await assert.rejects(openRuntime({ ...options(plain), stateDir: join(root, 'state3') }), {
    code: 'LICTOR_E_PORT_IN_USE',
  });
  assert.equal((await stat(plain)).isFile(), true);
});
