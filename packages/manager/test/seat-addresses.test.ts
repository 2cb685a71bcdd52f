/**
 * Seats a client cannot multiply: per-computer seats (single-user and server licenses) are keyed
 * by the address the manager sees on the socket with the declared host name. Each "computer"
 * here is a real TCP connection from its own loopback address (127.0.0.2, 127.0.0.3, …, through
 * `localAddress`), so the manager sees what it would see on a network.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { type TestContext, test } from 'node:test';
import { buildManagerServer, type LicenseManagerOptions, type PoolLicense } from '../src/index.js';
import { openManager } from './manager-fixture.js';

/** A one-seat server license of `srv`, a two-seat single-user license of `app`, three sessions of `ts`. */
const LICENSES: PoolLicense[] = [
  { id: 'srv-1', product: 'srv', type: 'server', seats: 1, features: [], expiresAt: null, source: 'software' },
  { id: 'app-1', product: 'app', type: 'single', seats: 2, features: [], expiresAt: null, source: 'software' },
  { id: 'ts-1', product: 'ts', type: 'server-sessions', seats: 3, features: [], expiresAt: null, source: 'software' },
];

async function listening(t: TestContext, options: Partial<LicenseManagerOptions> = {}) {
  const { manager } = await openManager(t, { licenses: LICENSES, ...options });
  const app = buildManagerServer(manager);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => app.close());
  return { manager, port: Number(new URL(url).port) };
}

interface Answer {
  status: number;
  body: { code?: string; lease?: { id: string }; details?: { rule?: { text: string } } };
}

/** `POST /v1/leases` from `from` (a loopback address) as the client `host`/`session`/`process`. */
function acquire(
  port: number,
  from: string,
  product: string,
  client: { host: string; session?: string; process?: string },
): Promise<Answer> {
  const body = JSON.stringify({
    product,
    client: { host: client.host, user: 'u', process: client.process ?? 'p', session: client.session ?? 's' },
  });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/leases',
        localAddress: from,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Answer['body'] }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const addr = (i: number) => `127.0.0.${i + 2}`;

function inUse(manager: Awaited<ReturnType<typeof listening>>['manager'], licenseId: string): number {
  return manager.usage().find((u) => u.licenseId === licenseId)?.inUse ?? 0;
}

test('clients from different addresses are different computers, even under one host name', async (t) => {
  const { manager, port } = await listening(t);
  const a = await acquire(port, addr(0), 'app', { host: 'host-0' });
  const b = await acquire(port, addr(1), 'app', { host: 'host-0' });
  assert.equal(a.status, 201);
  assert.equal(b.status, 201);
  assert.equal(inUse(manager, 'app-1'), 2);
  const c = await acquire(port, addr(2), 'app', { host: 'host-0' });
  assert.equal(c.status, 409);
  assert.equal(c.body.code, 'LICTOR_E_SEATS_EXHAUSTED');
});

test('fifty clients from fifty addresses all claiming host-0: one seat of a one-seat server license, 49 refused', async (t) => {
  const { manager, port } = await listening(t);
  const answers = await Promise.all(
    Array.from({ length: 50 }, (_, i) => acquire(port, addr(i), 'srv', { host: 'host-0', process: `p${i}` })),
  );
  assert.equal(answers.filter((a) => a.status === 201).length, 1);
  assert.equal(answers.filter((a) => a.body.code === 'LICTOR_E_SEATS_EXHAUSTED').length, 49);
  assert.equal(inUse(manager, 'srv-1'), 1);
  assert.equal(manager.leases().length, 1);
});

test('fifty clients from one address all claiming host-0 are one computer: one seat, never fifty', async (t) => {
  const { manager, port } = await listening(t);
  const answers = await Promise.all(
    Array.from({ length: 50 }, (_, i) => acquire(port, addr(0), 'srv', { host: 'host-0', process: `p${i}` })),
  );
  // Fifty applications of one computer: each its lease, all on the computer's one seat.
  assert.equal(answers.filter((a) => a.status === 201).length, 50);
  assert.equal(inUse(manager, 'srv-1'), 1);
  // Another address claiming the same name is another computer: no seat left.
  const other = await acquire(port, addr(1), 'srv', { host: 'host-0', process: 'p0' });
  assert.equal(other.body.code, 'LICTOR_E_SEATS_EXHAUSTED');
});

test('an identity copied from another address gets no share of its lease', async (t) => {
  const { manager, port } = await listening(t);
  const owner = await acquire(port, addr(0), 'srv', { host: 'ws-1', process: 'erp-1' });
  assert.equal(owner.status, 201);
  const copy = await acquire(port, addr(1), 'srv', { host: 'ws-1', process: 'erp-1' });
  assert.equal(
    copy.body.code,
    'LICTOR_E_SEATS_EXHAUSTED',
    'a copied identity does not renew the lease of another address',
  );
  const again = await acquire(port, addr(0), 'srv', { host: 'ws-1', process: 'erp-1' });
  assert.equal(again.status, 200, 'the owner asking again renews its own lease');
  assert.equal(again.body.lease?.id, owner.body.lease?.id);
  assert.equal(manager.leases().length, 1);
});

test('NAT: computers behind one address are told apart by their names; a per-address cap bounds them', async (t) => {
  const open = await listening(t);
  const a = await acquire(open.port, addr(0), 'app', { host: 'pc-a' });
  const b = await acquire(open.port, addr(0), 'app', { host: 'pc-b' });
  assert.deepEqual([a.status, b.status], [201, 201], 'two names behind one NAT address: two computers');

  const capped = await listening(t, { maxSeatsPerAddress: 1 });
  const first = await acquire(capped.port, addr(0), 'app', { host: 'pc-a' });
  const second = await acquire(capped.port, addr(0), 'app', { host: 'pc-b' });
  assert.equal(first.status, 201);
  assert.equal(second.status, 409);
  assert.equal(second.body.code, 'LICTOR_E_SEATS_EXHAUSTED');
  assert.equal(second.body.details?.rule?.text, 'max-seats-per-address 1');
  // The cap counts seats, not applications: another application of pc-a shares its seat.
  const sameComputer = await acquire(capped.port, addr(0), 'app', { host: 'pc-a', process: 'other' });
  assert.equal(sameComputer.status, 201);
  // And it is per address: another address still gets the second seat.
  const elsewhere = await acquire(capped.port, addr(1), 'app', { host: 'pc-c' });
  assert.equal(elsewhere.status, 201);
  assert.equal(inUse(capped.manager, 'app-1'), 2);
});

test('a per-address cap frees with the seat: after a release the address may take one again', async (t) => {
  const { manager, port } = await listening(t, { maxSeatsPerAddress: 1 });
  const first = await acquire(port, addr(0), 'app', { host: 'pc-a' });
  assert.equal((await acquire(port, addr(0), 'app', { host: 'pc-b' })).status, 409);
  assert.ok(first.body.lease && manager.release(first.body.lease.id));
  assert.equal((await acquire(port, addr(0), 'app', { host: 'pc-b' })).status, 201);
});

test('terminal server: its sessions are one computer for server licenses, each a seat of a sessions license', async (t) => {
  const { manager, port } = await listening(t);
  for (const session of ['rdp-1', 'rdp-2', 'rdp-3']) {
    assert.equal((await acquire(port, addr(0), 'srv', { host: 'ts-1', session })).status, 201);
    assert.equal((await acquire(port, addr(0), 'ts', { host: 'ts-1', session })).status, 201);
  }
  assert.equal(inUse(manager, 'srv-1'), 1);
  assert.equal(inUse(manager, 'ts-1'), 3);
  assert.equal((await acquire(port, addr(0), 'ts', { host: 'ts-1', session: 'rdp-4' })).status, 409);
});

test('several network cards: one computer reaching the manager from two addresses holds a seat per address', async (t) => {
  const { manager, port } = await listening(t);
  assert.equal((await acquire(port, addr(0), 'app', { host: 'ws-1', process: 'a' })).status, 201);
  assert.equal((await acquire(port, addr(1), 'app', { host: 'ws-1', process: 'b' })).status, 201);
  assert.equal(inUse(manager, 'app-1'), 2);
});

test('maxSeatsPerAddress must be a whole number ≥ 1', async (t) => {
  await assert.rejects(openManager(t, { maxSeatsPerAddress: 0 }), { code: 'LICTOR_E_INVALID_INPUT' });
});
