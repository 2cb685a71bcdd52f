/**
 * A session-limited server license (`server-sessions`) serves one server on one computer, end to
 * end: the SDK's `connectManager` on two "computers" that reach a real manager over real sockets
 * from their own loopback addresses (127.0.0.2, 127.0.0.3, through `localAddress`), so the
 * manager keys them as it keys computers on a network (address with declared host name).
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { LictorError } from '@lictor/protocol';
import { FakeScheduler } from '@lictor/protocol/testing';
import { connectManager, type ManagerClient } from '@lictor/sdk';
import { VENDOR } from '../../sdk/test/signed-answers.js';
import type { PoolLicense } from '../src/index.js';
import { openManagerApp } from './manager-fixture.js';

const MINUTE = 60_000;
const ERP: PoolLicense = {
  id: 'erp-1',
  serial: 'LX-ERP1-TEST-0001',
  product: 'erp',
  type: 'server-sessions',
  seats: 10,
  features: [],
  expiresAt: null,
  source: 'software',
};

/**
 * A `fetch` whose connections leave from `localAddress`, as a computer of that address would
 * reach the manager; `cut()` makes it fail as an unplugged cable would.
 */
function computerAt(localAddress: string): { fetch: typeof fetch; cut: () => void; plugIn: () => void } {
  let cut = false;
  const send: typeof fetch = (input, init) => {
    if (cut) return Promise.reject(new TypeError('fetch failed: the network cable is out'));
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers = new Headers(init?.headers);
    const body = typeof init?.body === 'string' ? init.body : undefined;
    return new Promise<Response>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: `${url.pathname}${url.search}`,
          method: init?.method ?? 'GET',
          headers: Object.fromEntries(headers),
          localAddress,
          agent: false,
          ...(init?.signal ? { signal: init.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const answer = status === 204 || chunks.length === 0 ? null : Buffer.concat(chunks);
            const names = Object.entries(res.headers).flatMap(([k, v]) =>
              v === undefined ? [] : [[k, Array.isArray(v) ? v.join(', ') : v] as [string, string]],
            );
            resolve(new Response(answer, { status, headers: names }));
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  };
  return {
    fetch: send,
    cut: () => {
      cut = true;
    },
    plugIn: () => {
      cut = false;
    },
  };
}

async function setUp(t: TestContext) {
  const clock = new FakeScheduler();
  const { app, manager } = await openManagerApp(t, {
    licenses: [ERP],
    scheduler: new FakeScheduler(),
    now: () => clock.now(),
    leaseTtlMs: MINUTE,
    heartbeatIntervalMs: 20_000,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const clients: ManagerClient[] = [];
  t.after(async () => {
    for (const c of clients) await c.close();
  });
  /** A server process on the computer `host` at `address`, one OS session of it. */
  const server = async (host: string, net: typeof fetch, session: string) => {
    const c = await connectManager({
      publicKey: VENDOR.publicKey.text,
      managers: [url],
      configPaths: [],
      env: {},
      discovery: false,
      client: { host, session },
      fetch: net,
      scheduler: clock,
      timeoutMs: 10_000,
    });
    clients.push(c);
    return c;
  };
  return { clock, manager, server };
}

function inUseElsewhere(host: string, address: string) {
  return (err: unknown) => {
    assert.ok(err instanceof LictorError, String(err));
    assert.equal(err.code, 'LICTOR_E_SERVER_IN_USE', err.message);
    assert.deepEqual(err.details?.holder, { host, address });
    assert.match(err.message, new RegExp(`in use by the server on ${host} \\(${address.replaceAll('.', '\\.')}\\)`));
    assert.match(err.message, /serves one server computer/);
    return true;
  };
}

test('server-sessions over HTTP: the sessions of one computer, another refused with LICTOR_E_SERVER_IN_USE until they are released', async (t) => {
  const { manager, server } = await setUp(t);
  const a = computerAt('127.0.0.2');
  const b = computerAt('127.0.0.3');
  const a1 = await (await server('erp-app-1', a.fetch, 'rdp-1')).acquire('erp');
  const a2 = await (await server('erp-app-1', a.fetch, 'rdp-2')).acquire('erp');
  assert.equal(manager.usage().find((u) => u.licenseId === 'erp-1')?.inUse, 2, 'two sessions of one computer');

  const second = await server('erp-app-2', b.fetch, 'rdp-1');
  await assert.rejects(second.acquire('erp'), inUseElsewhere('erp-app-1', '127.0.0.2'));
  // Another computer that gives itself the same host name is still another computer.
  const lookalike = await server('erp-app-1', b.fetch, 'rdp-9');
  await assert.rejects(lookalike.acquire('erp'), inUseElsewhere('erp-app-1', '127.0.0.2'));
  assert.equal(manager.usage().find((u) => u.licenseId === 'erp-1')?.inUse, 2, 'refusals took no seat');

  await a1.release();
  await assert.rejects(second.acquire('erp'), { code: 'LICTOR_E_SERVER_IN_USE' }, 'one session is still held');
  await a2.release();
  const b1 = await second.acquire('erp');
  assert.equal(b1.state, 'active');
  // And now the first computer is the other one.
  await assert.rejects(
    (await server('erp-app-1', a.fetch, 'rdp-3')).acquire('erp'),
    inUseElsewhere('erp-app-2', '127.0.0.3'),
  );
});

test('server-sessions over HTTP: when the server computer goes away, its sessions lapse and another computer takes the license', async (t) => {
  const { clock, server } = await setUp(t);
  const a = computerAt('127.0.0.2');
  const b = computerAt('127.0.0.3');
  const held = await (await server('erp-app-1', a.fetch, 'rdp-1')).acquire('erp');
  const second = await server('erp-app-2', b.fetch, 'rdp-1');
  await assert.rejects(second.acquire('erp'), { code: 'LICTOR_E_SERVER_IN_USE' });
  const start = clock.now();
  let lostAt: number | undefined;
  held.on('lost', () => {
    lostAt = clock.now();
  });
  a.cut();
  // Time passes, the cut-off server's heartbeats fail, until it is told its session is lost:
  // the first heartbeat after the lease time to live, when the manager no longer counts it.
  while (lostAt === undefined && clock.now() < start + 5 * MINUTE) {
    clock.runNext();
    await clock.whenPending();
  }
  assert.equal(lostAt, start + MINUTE + 20_000);
  const taken = await second.acquire('erp');
  assert.equal(taken.state, 'active');

  // The first server is back: refused while the other one serves, it keeps asking (the license
  // may come free), and takes it back once the other server's sessions end.
  let reattached = false;
  held.on('reattached', () => {
    reattached = true;
  });
  a.plugIn();
  /** Runs the next timer and waits for the next one to be set (none pending: a client stopped asking). */
  const tick = async () => {
    if (clock.pending === 0) return;
    clock.runNext();
    await clock.whenPending();
  };
  for (let i = 0; i < 5; i++) await tick();
  assert.equal(held.state, 'lost', 'refused: the license serves erp-app-2 now');
  assert.equal(reattached, false);
  await taken.release();
  for (let i = 0; i < 5 && !reattached; i++) await tick();
  assert.equal(reattached, true, 'erp-app-1 took the license back');
  assert.equal(held.state, 'active');
});
