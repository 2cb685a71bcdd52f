/**
 * The manager's records (issue 10): the event log keeps what an administrator looks for however
 * many renewals arrive, and an administrator's release can keep the client out for a while,
 * told to the client as a typed refusal. Through HTTP (inject) with a fake scheduler.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { sha256, toHex } from '@lictor/protocol';
import { FakeScheduler } from '@lictor/protocol/testing';
import { connectManager } from '@lictor/sdk';
import { VENDOR } from '../../sdk/test/signed-answers.js';
import { MANAGER_EVENT_CAPACITY } from '../src/index.js';
import { openManagerApp } from './manager-fixture.js';

const TOKEN = 'manager-records-admin-token';
const ADMIN = { authorization: `Bearer ${TOKEN}` };

const client = (n: number) => ({ host: `host-${n}`, user: 'ann', process: `cad-${n}`, session: '1' });

async function setup(t: TestContext) {
  const scheduler = new FakeScheduler();
  const opened = await openManagerApp(t, { scheduler, adminTokenHash: toHex(sha256(TOKEN)), id: 'mgr-records' });
  const { app } = opened;
  const acquire = async (n: number) => {
    const res = await app.inject({ method: 'POST', url: '/v1/leases', payload: { product: 'cad', client: client(n) } });
    return { status: res.statusCode, json: res.json() };
  };
  const events = async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/admin/events?limit=1000', headers: ADMIN });
    assert.equal(res.statusCode, 200);
    return res.json().events as { kind: string; leaseId?: string; detail?: string; client?: { host: string } }[];
  };
  return { ...opened, scheduler, acquire, events };
}

test('grants, releases, expiries and refusals stay in the event log however many renewals arrive', async (t) => {
  const { app, manager, scheduler, acquire, events } = await setup(t);
  const first = await acquire(1);
  assert.equal(first.status, 201);
  await acquire(2);
  await acquire(3);
  assert.equal((await acquire(4)).status, 409);
  assert.equal((await app.inject({ method: 'DELETE', url: `/v1/leases/${first.json.lease.id}` })).statusCode, 204);
  const before = await events();
  assert.deepEqual(
    before.map((e) => e.kind),
    ['released', 'refused', 'granted', 'granted', 'granted'],
  );

  // More renewals than the ring holds, by asking again and by heartbeats, over time.
  const second = (await acquire(2)).json.lease.id as string;
  for (let i = 0; i < MANAGER_EVENT_CAPACITY + 200; i++) {
    scheduler.advance(10);
    assert.equal((await acquire(3)).status, 200);
    const beat = await app.inject({ method: 'POST', url: `/v1/leases/${second}/heartbeat` });
    assert.equal(beat.statusCode, 200);
  }
  assert.deepEqual(await events(), before, 'the renewals did not push anything out, nor were they listed');
  assert.deepEqual(manager.renewals(), {
    renewals: MANAGER_EVENT_CAPACITY + 201,
    heartbeats: MANAGER_EVENT_CAPACITY + 200,
  });

  // The clients stop renewing: the reaper (every 60 s in these tests) lists their expiries too.
  scheduler.advance(manager.leaseTtlMs + 60_000);
  const [expired] = await events();
  assert.equal(expired?.kind, 'expired');
  assert.equal(expired?.client?.host, 'host-2');
});

test('an admin release with blockSeconds keeps that client out with LICTOR_E_LEASE_REVOKED until the block ends', async (t) => {
  const { app, scheduler, acquire, events } = await setup(t);
  const lease = (await acquire(1)).json.lease;
  const release = (query: string, id = lease.id) =>
    app.inject({ method: 'DELETE', url: `/v1/admin/leases/${id}${query}`, headers: ADMIN });

  for (const bad of ['?blockSeconds=-1', '?blockSeconds=2592001', '?blockSeconds=soon']) {
    const refused = await release(bad);
    assert.equal(refused.statusCode, 400, bad);
    assert.equal(refused.json().code, 'LICTOR_E_INVALID_INPUT');
  }
  assert.equal((await release('?blockSeconds=600')).statusCode, 204);
  const heartbeat = await app.inject({ method: 'POST', url: `/v1/leases/${lease.id}/heartbeat` });
  assert.equal(heartbeat.json().code, 'LICTOR_E_LEASE_UNKNOWN');

  // What the SDK does next: ask again with its identity and old lease id.
  const until = new Date(scheduler.now() + 600_000).toISOString();
  const again = await app.inject({
    method: 'POST',
    url: '/v1/leases',
    payload: { product: 'cad', client: client(1), leaseId: lease.id },
  });
  assert.equal(again.statusCode, 403);
  assert.equal(again.json().code, 'LICTOR_E_LEASE_REVOKED');
  assert.deepEqual(again.json().details, { until });
  assert.match(
    again.json().message,
    new RegExp(`an administrator released this client's seat of 'cad'.*until ${until}`),
  );
  assert.equal((await acquire(2)).status, 201, 'other clients are not kept out');

  const [granted, refused, released] = await events();
  assert.equal(refused?.kind, 'refused');
  assert.equal(refused?.client?.host, 'host-1');
  assert.equal(granted?.kind, 'granted');
  assert.equal(released?.kind, 'released');
  assert.equal(released?.detail, `by an administrator; its client is kept from taking a seat again until ${until}`);

  scheduler.advance(599_999);
  assert.equal((await acquire(1)).json.code, 'LICTOR_E_LEASE_REVOKED');
  scheduler.advance(1);
  assert.equal((await acquire(1)).status, 201, 'the block ends at the time chosen');
});

test('an admin release without a block lets the client take a seat again at once, as before', async (t) => {
  const { app, acquire } = await setup(t);
  const lease = (await acquire(1)).json.lease;
  const released = await app.inject({ method: 'DELETE', url: `/v1/admin/leases/${lease.id}`, headers: ADMIN });
  assert.equal(released.statusCode, 204);
  assert.equal((await acquire(1)).status, 201);
});

test('over a real socket, the SDK client of a blocked seat reports it lost with LICTOR_E_LEASE_REVOKED and stops asking', async (t) => {
  const { app, manager } = await setup(t);
  const scheduler = new FakeScheduler(); // the client's own time
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const client = await connectManager({
    publicKey: VENDOR.publicKey,
    managers: [url],
    configPaths: [],
    env: {},
    scheduler,
    client: { host: 'ws-1' },
  });
  t.after(() => client.close());
  const lease = await client.acquire('cad');
  const lost = new Promise<{ code: string; message: string; details?: unknown }>((resolve) =>
    lease.on('lost', resolve),
  );

  const released = await fetch(`${url}/v1/admin/leases/${lease.id}?blockSeconds=3600`, {
    method: 'DELETE',
    headers: ADMIN,
  });
  assert.equal(released.status, 204);
  await scheduler.whenPending(); // the client's heartbeat timer
  scheduler.advance(manager.heartbeatIntervalMs); // its heartbeat: unknown lease, so it asks again, and is refused
  const reason = await lost;
  assert.equal(reason.code, 'LICTOR_E_LEASE_REVOKED');
  assert.match(reason.message, /an administrator released this client's seat of 'cad'/);
  assert.equal(lease.state, 'lost');
  assert.equal(manager.leases().length, 0, 'the client did not take the seat back');

  // It stops asking: no timer is left to send a heartbeat or ask again.
  assert.equal(scheduler.pending, 0);
});
