/** The License Manager's HTTP service, through inject() with a fake clock, and once on a real socket. */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { sha256, toHex } from '@lictor/protocol';
import type { FastifyInstance } from 'fastify';
import type { LicenseManager, PoolLicense } from '../src/index.js';
import { CAD as BASE_CAD, openManagerApp } from './manager-fixture.js';

const TOKEN = 'manager-admin-token';
const ADMIN = { authorization: `Bearer ${TOKEN}` };
const T0 = Date.parse('2026-01-01T00:00:00Z');

const CAD: PoolLicense = { ...BASE_CAD, features: [{ code: 'render', users: 1 }] };
const OLD: PoolLicense = { ...CAD, id: 'old-1', product: 'old', expiresAt: T0 - 1 };

function client(n: number) {
  return { host: `host-${n}`, user: 'ann', process: 'cad.exe', session: '1' };
}

interface Ctx {
  manager: LicenseManager;
  app: FastifyInstance;
  clock: { t: number };
  // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field and asserted
  acquire(body: unknown): Promise<{ status: number; json: Record<string, any> }>;
}

async function setup(t: TestContext, licenses: PoolLicense[] = [CAD, OLD]): Promise<Ctx> {
  const clock = { t: T0 };
  const { manager, app } = await openManagerApp(t, {
    licenses,
    now: () => clock.t,
    adminTokenHash: toHex(sha256(TOKEN)),
    id: 'mgr-test',
  });
  const acquire = async (body: unknown) => {
    const res = await app.inject({ method: 'POST', url: '/v1/leases', payload: body as object });
    return { status: res.statusCode, json: res.json() };
  };
  return { manager, app, clock, acquire };
}

test('acquire grants a seat; the same identity renews it', async (t) => {
  const { acquire } = await setup(t);
  const first = await acquire({ product: 'cad', client: client(1) });
  assert.equal(first.status, 201);
  assert.equal(first.json.renewed, false);
  const lease = first.json.lease;
  assert.deepEqual(Object.keys(lease).sort(), [
    'expiresAt',
    'feature',
    'grantedAt',
    'heartbeatIntervalMs',
    'id',
    'licenseId',
    'product',
    'source',
  ]);
  assert.equal(lease.product, 'cad');
  assert.equal(lease.feature, null);
  assert.equal(lease.licenseId, 'cad-1');
  assert.equal(lease.source, 'software');
  assert.equal(lease.grantedAt, new Date(T0).toISOString());
  assert.equal(lease.expiresAt, new Date(T0 + 60_000).toISOString());
  assert.equal(lease.heartbeatIntervalMs, 20_000);

  const again = await acquire({ product: 'cad', client: client(1), leaseId: lease.id });
  assert.equal(again.status, 200);
  assert.equal(again.json.renewed, true);
  assert.equal(again.json.lease.id, lease.id);

  const withFeature = await acquire({ product: 'cad', feature: 'render', client: client(2) });
  assert.equal(withFeature.status, 201);
  assert.equal(withFeature.json.lease.feature, 'render');
});

test('refusals: exhausted with details, not licensed, license expired', async (t) => {
  const { acquire } = await setup(t);
  for (const n of [1, 2, 3]) assert.equal((await acquire({ product: 'cad', client: client(n) })).status, 201);
  const full = await acquire({ product: 'cad', client: client(4) });
  assert.equal(full.status, 409);
  assert.equal(full.json.code, 'LICTOR_E_SEATS_EXHAUSTED');
  assert.deepEqual(full.json.details, { inUse: 3, total: 3 });

  const none = await acquire({ product: 'nope', client: client(1) });
  assert.equal(none.status, 403);
  assert.equal(none.json.code, 'LICTOR_E_NOT_LICENSED');
  const noFeature = await acquire({ product: 'cad', feature: 'cam', client: client(1) });
  assert.equal(noFeature.status, 403);
  assert.equal(noFeature.json.code, 'LICTOR_E_NOT_LICENSED');
  const expired = await acquire({ product: 'old', client: client(1) });
  assert.equal(expired.status, 403);
  assert.equal(expired.json.code, 'LICTOR_E_LICENSE_EXPIRED');
});

test('invalid bodies name the field; oversized bodies get 413', async (t) => {
  const { app, acquire } = await setup(t);
  const missing = await acquire({ product: 'cad', client: { user: 'a', process: 'p', session: 's' } });
  assert.equal(missing.status, 400);
  assert.equal(missing.json.code, 'LICTOR_E_INVALID_INPUT');
  assert.equal(missing.json.details.field, 'client.host');

  const long = await acquire({ product: 'x'.repeat(129), client: client(1) });
  assert.equal(long.status, 400);
  assert.equal(long.json.details.field, 'product');

  const wrongType = await acquire({ product: 'cad', client: 'host-1' });
  assert.equal(wrongType.status, 400);
  assert.equal(wrongType.json.details.field, 'client');

  // Unknown properties are stripped (as on the center), so newer clients keep working.
  const extra = await acquire({ product: 'cad', client: client(1), seats: 9 });
  assert.equal(extra.status, 201);

  const notJson = await app.inject({
    method: 'POST',
    url: '/v1/leases',
    headers: { 'content-type': 'application/json' },
    payload: '{"product":',
  });
  assert.equal(notJson.statusCode, 400);
  assert.equal(notJson.json().code, 'LICTOR_E_INVALID_INPUT');

  const big = await acquire({ product: 'cad', client: client(1), pad: 'x'.repeat(5000) });
  assert.equal(big.status, 413);
  assert.equal(big.json.code, 'LICTOR_E_PAYLOAD_TOO_LARGE');

  const route = await app.inject({ method: 'GET', url: '/v1/nowhere' });
  assert.equal(route.statusCode, 404);
  assert.equal(route.json().code, 'LICTOR_E_NOT_FOUND');
});

test('heartbeats keep a lease alive past the TTL; without them it expires and frees the seat', async (t) => {
  const { app, acquire, clock } = await setup(t);
  const ids: string[] = [];
  for (const n of [1, 2, 3]) ids.push((await acquire({ product: 'cad', client: client(n) })).json.lease.id);
  const kept = ids[0] as string;

  for (let i = 0; i < 4; i++) {
    clock.t += 40_000;
    // The first as an empty POST, the others as an empty JSON body, as clients may send either.
    const res = await app.inject({
      method: 'POST',
      url: `/v1/leases/${kept}/heartbeat`,
      ...(i === 0 ? {} : { headers: { 'content-type': 'application/json' }, payload: '' }),
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().lease.id, kept);
    assert.equal(res.json().lease.expiresAt, new Date(clock.t + 60_000).toISOString());
  }
  // 160 s later the two others have lapsed: their seats are free again.
  const lapsed = await app.inject({ method: 'POST', url: `/v1/leases/${ids[1]}/heartbeat` });
  assert.equal(lapsed.statusCode, 404);
  assert.equal(lapsed.json().code, 'LICTOR_E_LEASE_UNKNOWN');
  assert.equal((await acquire({ product: 'cad', client: client(4) })).status, 201);
  assert.equal((await acquire({ product: 'cad', client: client(5) })).status, 201);
  assert.equal((await acquire({ product: 'cad', client: client(6) })).status, 409);

  // The lapsed client re-attaches with its identity and old lease id once a seat is free.
  clock.t += 61_000;
  const back = await acquire({ product: 'cad', client: client(2), leaseId: ids[1] });
  assert.equal(back.status, 201);

  const status = await app.inject({ method: 'GET', url: '/v1/status' });
  assert.deepEqual(status.json(), {
    manager: { id: 'mgr-test', version: '0.1.0' },
    heartbeatIntervalMs: 20_000,
    leaseTtlMs: 60_000,
    products: [
      { product: 'cad', inUse: 1, total: 3 },
      { product: 'old', inUse: 0, total: 3 },
    ],
  });
});

test('release, unknown leases, and reaper events', async (t) => {
  const { app, acquire, manager, clock } = await setup(t);
  const id = (await acquire({ product: 'cad', client: client(1) })).json.lease.id;
  assert.equal((await app.inject({ method: 'DELETE', url: `/v1/leases/${id}` })).statusCode, 204);
  const again = await app.inject({ method: 'DELETE', url: `/v1/leases/${id}` });
  assert.equal(again.statusCode, 404);
  assert.equal(again.json().code, 'LICTOR_E_LEASE_UNKNOWN');
  const never = await app.inject({ method: 'POST', url: '/v1/leases/no-such-lease/heartbeat' });
  assert.equal(never.statusCode, 404);
  assert.equal(never.json().code, 'LICTOR_E_LEASE_UNKNOWN');

  const other = (await acquire({ product: 'cad', client: client(2) })).json.lease.id;
  clock.t += 60_001;
  assert.deepEqual(
    manager.expire().map((l) => l.id),
    [other],
  );
  const kinds = manager.events().map((e) => e.kind);
  assert.deepEqual(kinds, ['expired', 'granted', 'released', 'granted']);
});

test('admin routes need the token; list, release, usage and events', async (t) => {
  const { app, acquire } = await setup(t);
  for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: TOKEN }]) {
    const res = await app.inject({ method: 'GET', url: '/v1/admin/leases', headers });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().code, 'LICTOR_E_UNAUTHORIZED');
  }
  const denied = await app.inject({ method: 'DELETE', url: '/v1/admin/leases/x' });
  assert.equal(denied.statusCode, 401);

  const lease = (await acquire({ product: 'cad', client: client(1) })).json.lease;
  await acquire({ product: 'cad', client: client(2) });
  await acquire({ product: 'nope', client: client(3) });

  const list = await app.inject({ method: 'GET', url: '/v1/admin/leases', headers: ADMIN });
  assert.equal(list.statusCode, 200);
  const leases = list.json().leases as Record<string, unknown>[];
  assert.equal(leases.length, 2);
  assert.deepEqual(leases[0], { ...lease, client: client(1), heartbeatAt: new Date(T0).toISOString() });

  const usage = await app.inject({ method: 'GET', url: '/v1/admin/usage', headers: ADMIN });
  assert.deepEqual(usage.json().usage[0], {
    product: 'cad',
    licenseId: 'cad-1',
    serial: 'LX-CAD1-TEST-0001',
    inUse: 2,
    total: 3,
    source: 'software',
    features: [{ code: 'render', inUse: 0, total: 1 }],
  });

  const released = await app.inject({ method: 'DELETE', url: `/v1/admin/leases/${lease.id}`, headers: ADMIN });
  assert.equal(released.statusCode, 204);
  const gone = await app.inject({ method: 'DELETE', url: `/v1/admin/leases/${lease.id}`, headers: ADMIN });
  assert.equal(gone.statusCode, 404);
  assert.equal(gone.json().code, 'LICTOR_E_LEASE_UNKNOWN');
  const heartbeat = await app.inject({ method: 'POST', url: `/v1/leases/${lease.id}/heartbeat` });
  assert.equal(heartbeat.statusCode, 404);

  const events = await app.inject({ method: 'GET', url: '/v1/admin/events?limit=2', headers: ADMIN });
  assert.equal(events.statusCode, 200);
  const latest = events.json().events as Record<string, unknown>[];
  assert.equal(latest.length, 2);
  assert.deepEqual(latest[0], {
    at: new Date(T0).toISOString(),
    kind: 'released',
    leaseId: lease.id,
    product: 'cad',
    client: client(1),
    detail: 'by an administrator',
  });
  assert.equal(latest[1]?.kind, 'refused');
  const all = await app.inject({ method: 'GET', url: '/v1/admin/events', headers: ADMIN });
  assert.deepEqual(
    (all.json().events as { kind: string }[]).map((e) => e.kind),
    ['released', 'refused', 'granted', 'granted'],
  );
  const bad = await app.inject({ method: 'GET', url: '/v1/admin/events?limit=0', headers: ADMIN });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().details.field, 'limit');
});

test('setLicenses takes effect without a restart', async (t) => {
  const { acquire, manager } = await setup(t, [{ ...CAD, seats: 1 }]);
  assert.equal((await acquire({ product: 'cad', client: client(1) })).status, 201);
  assert.equal((await acquire({ product: 'cad', client: client(2) })).status, 409);
  manager.setLicenses([{ ...CAD, seats: 2 }]);
  assert.equal((await acquire({ product: 'cad', client: client(2) })).status, 201);
  assert.equal(manager.events()[1]?.kind, 'licenses-changed');
  manager.setLicenses([]);
  assert.equal((await acquire({ product: 'cad', client: client(3) })).status, 403);
});

test('setLicenses ends the leases of a token license that left and says why', async (t) => {
  const TOKEN_CAD: PoolLicense = { ...CAD, id: 'dongle-1', seats: 1, source: 'token' };
  const { acquire, manager, app } = await setup(t, [{ ...CAD, seats: 1 }, TOKEN_CAD]);
  assert.equal((await acquire({ product: 'cad', client: client(1) })).json.lease.source, 'software');
  const onToken = (await acquire({ product: 'cad', client: client(2) })).json.lease;
  assert.equal(onToken.source, 'token');
  const ended = manager.setLicenses([{ ...CAD, seats: 1 }], 'the dongle was pulled');
  assert.deepEqual(
    ended.map((l) => l.id),
    [onToken.id],
  );
  assert.deepEqual(
    manager.events(2).map((e) => [e.kind, e.leaseId, e.detail]),
    [
      ['released', onToken.id, 'the dongle was pulled'],
      ['licenses-changed', undefined, '1 license(s) served'],
    ],
  );
  const beat = await app.inject({ method: 'POST', url: `/v1/leases/${onToken.id}/heartbeat` });
  assert.equal(beat.statusCode, 404);
  assert.equal(manager.leases().length, 1);
});

test('the service on a real socket', async (t) => {
  const { app } = await setup(t);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  const granted = await fetch(`${base}/v1/leases`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ product: 'cad', client: client(1) }),
  });
  assert.equal(granted.status, 201);
  const { lease } = (await granted.json()) as { lease: { id: string } };
  const beat = await fetch(`${base}/v1/leases/${lease.id}/heartbeat`, { method: 'POST' });
  assert.equal(beat.status, 200);
  const status = (await (await fetch(`${base}/v1/status`)).json()) as { products: unknown[] };
  assert.deepEqual(status.products[0], { product: 'cad', inUse: 1, total: 3 });
  const released = await fetch(`${base}/v1/leases/${lease.id}`, { method: 'DELETE' });
  assert.equal(released.status, 204);
});
