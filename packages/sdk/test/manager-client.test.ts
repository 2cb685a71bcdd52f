import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { LictorError } from '@lictor/protocol';
import { connectManager, type Lease, type LeaseBody, type ManagerClient } from '../src/index.js';
import { licenseKey, signed, VENDOR } from './signed-answers.js';

interface FakeLease extends LeaseBody {
  client: { host: string; user: string; process: string; session: string };
  deadline: number;
}

/** A tiny License Manager implementing the wire contract with an in-memory map, signing with a genuine license. */
async function fakeManager(options: { total?: number; heartbeatIntervalMs?: number; ttlMs?: number } = {}) {
  const key = licenseKey(['ACME', 'OTHER']);
  const interval = options.heartbeatIntervalMs ?? 50;
  const ttl = options.ttlMs ?? 1000;
  const state = {
    products: new Map<string, number>([['ACME', options.total ?? 2]]),
    leases: new Map<string, FakeLease>(),
    heartbeats: 0,
    deletes: 0,
    acquires: [] as { leaseId?: string }[],
  };
  const send = (res: ServerResponse, status: number, body?: unknown) => {
    res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const wire = (l: FakeLease): LeaseBody => {
    const { client: _c, deadline: _d, ...body } = l;
    return body;
  };
  const handle = (req: IncomingMessage, res: ServerResponse, text: string) => {
    const now = Date.now();
    for (const [id, l] of state.leases) if (l.deadline < now) state.leases.delete(id);
    const url = new URL(req.url ?? '/', 'http://x');
    const unknown = () =>
      send(res, 404, { code: 'LICTOR_E_LEASE_UNKNOWN', message: 'The lease is unknown or has expired' });
    if (req.method === 'GET' && url.pathname === '/v1/status') {
      return send(res, 200, {
        manager: { id: 'fake', version: '0' },
        heartbeatIntervalMs: interval,
        leaseTtlMs: ttl,
        products: [...state.products].map(([product, total]) => ({
          product,
          total,
          inUse: [...state.leases.values()].filter((l) => l.product === product).length,
        })),
      });
    }
    if (req.method === 'POST' && url.pathname === '/v1/leases') {
      const body = JSON.parse(text) as {
        product: string;
        feature?: string;
        client: FakeLease['client'];
        leaseId?: string;
      };
      state.acquires.push(body.leaseId === undefined ? {} : { leaseId: body.leaseId });
      const total = state.products.get(body.product);
      if (total === undefined) {
        return send(res, 403, { code: 'LICTOR_E_NOT_LICENSED', message: `no license for ${body.product}` });
      }
      const mine = [...state.leases.values()].find(
        (l) =>
          l.product === body.product &&
          l.feature === (body.feature ?? null) &&
          JSON.stringify(l.client) === JSON.stringify(body.client),
      );
      if (mine) {
        mine.deadline = now + ttl;
        mine.expiresAt = new Date(mine.deadline).toISOString();
        return send(res, 200, signed(key, 'lease', req.headers['lictor-nonce'], { lease: wire(mine), renewed: true }));
      }
      const inUse = [...state.leases.values()].filter((l) => l.product === body.product).length;
      if (inUse >= total) {
        return send(res, 409, {
          code: 'LICTOR_E_SEATS_EXHAUSTED',
          message: `all ${total} seats of ${body.product} are in use`,
          details: { inUse, total },
        });
      }
      const lease: FakeLease = {
        id: randomUUID(),
        product: body.product,
        feature: body.feature ?? null,
        licenseId: 'lic-1',
        source: 'software',
        grantedAt: new Date(now).toISOString(),
        expiresAt: new Date(now + ttl).toISOString(),
        heartbeatIntervalMs: interval,
        client: body.client,
        deadline: now + ttl,
      };
      state.leases.set(lease.id, lease);
      return send(res, 201, signed(key, 'lease', req.headers['lictor-nonce'], { lease: wire(lease), renewed: false }));
    }
    const hb = /^\/v1\/leases\/([^/]+)\/heartbeat$/.exec(url.pathname);
    if (req.method === 'POST' && hb?.[1]) {
      state.heartbeats++;
      const lease = state.leases.get(decodeURIComponent(hb[1]));
      if (!lease) return unknown();
      lease.deadline = now + ttl;
      lease.expiresAt = new Date(lease.deadline).toISOString();
      return send(res, 200, signed(key, 'heartbeat', req.headers['lictor-nonce'], { lease: wire(lease) }));
    }
    const del = /^\/v1\/leases\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'DELETE' && del?.[1]) {
      state.deletes++;
      return state.leases.delete(decodeURIComponent(del[1])) ? send(res, 204) : unknown();
    }
    return send(res, 404, { code: 'LICTOR_E_NOT_FOUND', message: 'No such resource' });
  };
  let server: Server | undefined;
  let port = 0;
  const start = async () => {
    const s = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => {
        text += c.toString('utf8');
      });
      req.on('end', () => handle(req, res, text));
    });
    await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  const stop = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  };
  await start();
  const fake = { state, start, stop, url: `http://127.0.0.1:${port}` };
  servers.push(fake);
  return fake;
}

const servers: { stop(): Promise<void> }[] = [];
const clients: ManagerClient[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(servers.map((s) => s.stop()));
});

async function connect(managers: string[], extra: Partial<Parameters<typeof connectManager>[0]> = {}) {
  const client = await connectManager({
    publicKey: VENDOR.publicKey.text,
    managers,
    configPaths: [],
    env: {},
    timeoutMs: 1000,
    ...extra,
  });
  clients.push(client);
  return client;
}

/** A port where nothing listens (bound then closed). */
async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

function once<T extends unknown[]>(lease: Lease, event: 'lost' | 'reattached', ms = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${ms} ms`)), ms);
    const listener = (...args: unknown[]) => {
      clearTimeout(timer);
      lease.off(event, listener as never);
      resolve(args as T);
    };
    lease.on(event, listener as never);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('manager client', () => {
  test('acquire and release (idempotent)', async () => {
    const fake = await fakeManager();
    const client = await connect([fake.url]);
    assert.match(client.identity.process, /^\d+-[0-9a-f]{8}$/);
    assert.equal(client.identity.session, 'console');
    const lease = await client.acquire('ACME', 'reports');
    assert.equal(lease.product, 'ACME');
    assert.equal(lease.feature, 'reports');
    assert.equal(lease.manager, fake.url);
    assert.equal(lease.heartbeatIntervalMs, 50);
    assert.ok(lease.expiresAt instanceof Date && lease.expiresAt.getTime() > Date.now());
    assert.equal(lease.state, 'active');
    assert.ok(fake.state.leases.has(lease.id));
    await lease.release();
    await lease.release();
    assert.equal(lease.state, 'released');
    assert.equal(fake.state.leases.size, 0);
    assert.equal(fake.state.deletes, 1);
    const status = await client.status();
    assert.equal(status.url, fake.url);
    assert.equal(status.heartbeatIntervalMs, 50);
  });

  test('same identity gets the same lease object back', async () => {
    const fake = await fakeManager();
    const client = await connect([fake.url]);
    const a = await client.acquire('ACME');
    const b = await client.acquire('ACME');
    assert.equal(a, b);
    await client.close();
    assert.equal(fake.state.leases.size, 0);
  });

  test('refusals are typed errors with details and do not fail over', async () => {
    const fake = await fakeManager({ total: 1 });
    const second = await fakeManager({ total: 5 });
    const a = await connect([fake.url, second.url], { client: { process: 'a' } });
    const b = await connect([fake.url, second.url], { client: { process: 'b' } });
    await a.acquire('ACME');
    await assert.rejects(b.acquire('ACME'), (err: unknown) => {
      assert.ok(err instanceof LictorError);
      assert.equal(err.code, 'LICTOR_E_SEATS_EXHAUSTED');
      assert.deepEqual(err.details, { inUse: 1, total: 1 });
      return true;
    });
    await assert.rejects(b.acquire('OTHER'), { code: 'LICTOR_E_NOT_LICENSED', message: 'no license for OTHER' });
    assert.equal(second.state.acquires.length, 0);
  });

  test('heartbeats are sent at the announced interval', async () => {
    const fake = await fakeManager({ heartbeatIntervalMs: 50 });
    const client = await connect([fake.url]);
    await client.acquire('ACME');
    // Waits for the third heartbeat (a loaded machine delays timers), then checks it did not come early.
    const started = Date.now();
    while (fake.state.heartbeats < 3 && Date.now() - started < 5000) await sleep(10);
    const elapsed = Date.now() - started;
    assert.ok(fake.state.heartbeats >= 3, `only ${fake.state.heartbeats} heartbeats in ${elapsed} ms`);
    assert.ok(elapsed >= 100, `3 heartbeats within ${elapsed} ms: faster than every 50 ms`);
  });

  test('a manager that forgot the lease: re-acquired with the old id → reattached', async () => {
    const fake = await fakeManager();
    const client = await connect([fake.url]);
    const lease = await client.acquire('ACME');
    const oldId = lease.id;
    const reattached = once<[string, string]>(lease, 'reattached');
    fake.state.leases.clear();
    const [id, previousId] = await reattached;
    assert.equal(previousId, oldId);
    assert.equal(id, lease.id);
    assert.notEqual(id, oldId);
    assert.equal(lease.state, 'active');
    assert.deepEqual(fake.state.acquires.at(-1), { leaseId: oldId });
    assert.ok(fake.state.leases.has(id));
  });

  test('a manager that forgot the lease and refuses it again → lost, heartbeats stop', async () => {
    const fake = await fakeManager();
    const client = await connect([fake.url]);
    const lease = await client.acquire('ACME');
    const lost = once<[LictorError]>(lease, 'lost');
    fake.state.leases.clear();
    fake.state.products.clear();
    const [reason] = await lost;
    assert.equal(reason.code, 'LICTOR_E_NOT_LICENSED');
    assert.equal(lease.state, 'lost');
    const calls = fake.state.heartbeats + fake.state.acquires.length;
    await sleep(200);
    assert.equal(fake.state.heartbeats + fake.state.acquires.length, calls);
  });

  test('manager down longer than the lease → lost; back → reattached', async () => {
    const fake = await fakeManager({ heartbeatIntervalMs: 50, ttlMs: 200 });
    const client = await connect([fake.url], { timeoutMs: 300 });
    const lease = await client.acquire('ACME');
    const lost = once<[LictorError]>(lease, 'lost');
    await fake.stop();
    const [reason] = await lost;
    assert.equal(reason.code, 'LICTOR_E_MANAGER_UNREACHABLE');
    assert.match(reason.message, /could not be reached since .*: the seat was given back/);
    assert.equal(lease.state, 'lost');
    fake.state.leases.clear(); // a restarted manager remembers nothing
    const reattached = once<[string, string]>(lease, 'reattached');
    await fake.start();
    const [id] = await reattached;
    assert.equal(lease.state, 'active');
    assert.ok(fake.state.leases.has(id));
    await lease.release();
    assert.equal(fake.state.leases.size, 0);
  });

  test('fails over from a dead manager to the next one', async () => {
    const dead = await deadUrl();
    const fake = await fakeManager();
    const client = await connect([dead, fake.url]);
    const lease = await client.acquire('ACME');
    assert.equal(lease.manager, fake.url);
  });

  test('a manager that does not answer in time is skipped', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    servers.push({
      stop: () =>
        new Promise<void>((resolve) => {
          silent.close(() => resolve());
          silent.closeAllConnections();
        }),
    });
    const fake = await fakeManager();
    const client = await connect([`127.0.0.1:${(silent.address() as AddressInfo).port}`, fake.url], {
      timeoutMs: 1000, // the silent one is skipped after this; the answering one must answer within it on a loaded machine
    });
    const lease = await client.acquire('ACME');
    assert.equal(lease.manager, fake.url);
  });

  test('all managers dead → LICTOR_E_MANAGER_UNREACHABLE naming them', async () => {
    const a = await deadUrl();
    const b = await deadUrl();
    const client = await connect([a, b]);
    await assert.rejects(client.acquire('ACME'), (err: unknown) => {
      assert.ok(err instanceof LictorError);
      assert.equal(err.code, 'LICTOR_E_MANAGER_UNREACHABLE');
      assert.ok(err.message.includes(a) && err.message.includes(b), err.message);
      assert.equal((err.details as { managers: unknown[] }).managers.length, 2);
      return true;
    });
  });

  test('no manager configured → LICTOR_E_MANAGER_UNREACHABLE', async () => {
    await assert.rejects(connectManager({ publicKey: VENDOR.publicKey, configPaths: [], env: {}, discovery: false }), {
      code: 'LICTOR_E_MANAGER_UNREACHABLE',
    });
  });
});
