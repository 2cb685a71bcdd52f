import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { LictorError } from '@lictor/protocol';
import { FakeScheduler } from '@lictor/protocol/testing';
import { connectManager, type Lease, type ManagerClient } from '../src/index.js';
import { type FakeManagerOptions, fakeManager as startFake } from './fake-manager.js';
import { VENDOR } from './signed-answers.js';

/** {@link startFake}, stopped after the tests. */
async function fakeManager(options: FakeManagerOptions = {}) {
  const fake = await startFake(options);
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
    // Generous: a manager's first answer (cold JIT, signature checks) can take seconds on a loaded
    // machine. The one test about a silent manager passes its own shorter timeout.
    timeoutMs: 10_000,
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

function once<T extends unknown[]>(lease: Lease, event: 'lost' | 'reattached', ms = 15_000): Promise<T> {
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
    const scheduler = new FakeScheduler();
    const fake = await fakeManager({ heartbeatIntervalMs: 50, now: () => scheduler.now() });
    const client = await connect([fake.url], { scheduler });
    await client.acquire('ACME');
    for (const n of [1, 2, 3]) {
      scheduler.advance(49);
      assert.equal(fake.state.heartbeats, n - 1, 'no heartbeat before the interval');
      scheduler.advance(1);
      await scheduler.whenPending(); // the heartbeat was answered and the next one scheduled
      assert.equal(fake.state.heartbeats, n);
    }
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
    const scheduler = new FakeScheduler();
    const fake = await fakeManager({ now: () => scheduler.now() });
    const client = await connect([fake.url], { scheduler });
    const lease = await client.acquire('ACME');
    const lost = once<[LictorError]>(lease, 'lost');
    fake.state.leases.clear();
    fake.state.products.clear();
    scheduler.advance(lease.heartbeatIntervalMs);
    const [reason] = await lost;
    assert.equal(reason.code, 'LICTOR_E_NOT_LICENSED');
    assert.equal(lease.state, 'lost');
    const calls = fake.state.heartbeats + fake.state.acquires.length;
    assert.equal(scheduler.pending, 0, 'no timer left');
    assert.equal(scheduler.advance(60_000), 0);
    assert.equal(fake.state.heartbeats + fake.state.acquires.length, calls);
  });

  test('manager down longer than the lease → lost; back → reattached', async () => {
    const scheduler = new FakeScheduler();
    const fake = await fakeManager({ heartbeatIntervalMs: 50, ttlMs: 200, now: () => scheduler.now() });
    const client = await connect([fake.url], { scheduler });
    const lease = await client.acquire('ACME');
    const grantedAt = scheduler.now();
    let lostAt: number | undefined;
    lease.on('lost', () => {
      lostAt = scheduler.now();
    });
    const lost = once<[LictorError]>(lease, 'lost');
    await fake.stop();
    // Heartbeats every 50 ms fail; the seat is lost at the first one after the 200 ms lease.
    while (lostAt === undefined) {
      assert.ok(scheduler.now() - grantedAt <= 250, 'lost no later than the first heartbeat past the lease');
      scheduler.runNext();
      await Promise.race([scheduler.whenPending(), lost]);
    }
    const [reason] = await lost;
    assert.equal(lostAt - grantedAt, 250, 'not lost while the lease still ran');
    assert.equal(reason.code, 'LICTOR_E_MANAGER_UNREACHABLE');
    assert.match(reason.message, /could not be reached since .*: the seat was given back/);
    assert.equal(lease.state, 'lost');
    fake.state.leases.clear(); // a restarted manager remembers nothing
    const reattached = once<[string, string]>(lease, 'reattached');
    await fake.start();
    await scheduler.whenPending();
    scheduler.runNext();
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
      timeoutMs: 3000, // the silent one is skipped after this; the answering one has as long
    });
    const lease = await client.acquire('ACME');
    assert.equal(lease.manager, fake.url);
  });

  test('an answer outside the protocol is refused with a typed error naming the wrong field', async () => {
    const broken = createServer((req, res) => {
      res.writeHead(req.url === '/v1/status' ? 200 : 201, { 'content-type': 'application/json' });
      const lease = { id: 'x', product: 'ACME', feature: null, licenseId: 'l', source: 'software' };
      res.end(
        JSON.stringify(
          req.url === '/v1/status'
            ? { manager: { id: 'm', version: '1' }, heartbeatIntervalMs: 50, leaseTtlMs: 1000, products: 'ACME' }
            : { lease: { ...lease, grantedAt: 'now', expiresAt: 'later', heartbeatIntervalMs: 50 }, renewed: false },
        ),
      );
    });
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    servers.push({ stop: () => new Promise<void>((resolve) => broken.close(() => resolve())) });
    const url = `http://127.0.0.1:${(broken.address() as AddressInfo).port}`;
    const client = await connect([url]);
    const failure = (pattern: RegExp) => (err: unknown) => {
      assert.ok(err instanceof LictorError);
      assert.equal(err.code, 'LICTOR_E_MANAGER_UNREACHABLE');
      const [manager] = (err.details as { managers: { manager: string; error: string }[] }).managers;
      assert.equal(manager?.manager, url);
      assert.match(manager?.error ?? '', pattern);
      return true;
    };
    await assert.rejects(
      client.acquire('ACME'),
      failure(
        /POST \/v1\/leases does not follow the License Manager protocol .*\/lease\/grantedAt must match format "date-time"/,
      ),
    );
    await assert.rejects(client.status(), failure(/GET \/v1\/status .*\/products must be array/));
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
