/**
 * Floating seats through a real License Manager (`openManager` on loopback): the runtime takes
 * leases for applications, one client per process, keeps them with heartbeats on its scheduler,
 * follows a lease revoked and taken again, reports one lost, and gives seats back when asked or
 * when their process exits.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verifyRuntimeAnswer } from '@lictor/protocol';
import type { RuntimeEvent } from '@lictor/protocol/wire';
import { startManager as manager } from './manager-fixture.js';
import { nonce, PUBLIC_KEY, startRuntime } from './runtime-fixture.js';

/** The next runtime event of `kind`. */
function nextEvent(rt: Awaited<ReturnType<typeof startRuntime>>, kind: RuntimeEvent['kind']): Promise<RuntimeEvent> {
  return new Promise((resolve) => {
    const stop = rt.running.runtime.events.subscribe((e) => {
      if (e.event.kind !== kind) return;
      stop();
      resolve(e.event);
    });
  });
}

test('seats for applications: one per process, the same one asked again, refused when all are taken, given back', async (t) => {
  const mgr = await manager(t, 2);
  const rt = await startRuntime(t);
  for (const pid of [1, 2, 3]) rt.processes.start(pid, '4');
  const nonces = new Map<number, string>();
  const seat = (pid: number) => {
    const n = nonce();
    nonces.set(pid, n);
    return rt.call('POST', '/v1/seats', {
      publicKey: PUBLIC_KEY,
      product: 'CAD',
      managers: [mgr.running.address],
      pid,
      nonce: n,
    });
  };
  /** The seat answer of `pid`'s last request, verified as an application does: the manager's signature over its nonce. */
  const verifySeat = (pid: number, answer: Record<string, unknown>) =>
    verifyRuntimeAnswer<{ lease: { id: string; product: string }; renewed: boolean }>({
      publicKey: PUBLIC_KEY,
      nonce: nonces.get(pid) as string,
      purpose: 'lease',
      answer,
      product: 'CAD',
      now: rt.scheduler.now(),
    });
  const inUse = () => mgr.running.manager.status().products.find((p) => p.product === 'CAD')?.inUse;

  const first = await seat(1);
  assert.equal(first.status, 201, JSON.stringify(first.json));
  assert.equal(first.json.state, 'active');
  assert.equal(first.json.manager, mgr.running.address);
  assert.equal(first.json.pid, 1);
  assert.equal(first.json.product, 'CAD');
  const signed = verifySeat(1, first.json);
  assert.equal(signed.answer.lease.id, first.json.leaseId);
  assert.equal(signed.answer.renewed, false);
  const asked = await seat(1);
  assert.equal(asked.json.id, first.json.id, 'the same process gets its seat back');
  // Signed again over the new nonce with the container key, though the runtime's client now has
  // a session with the manager (whose MACs the application could not check).
  assert.equal((asked.json.proof as { key: string }).key, 'container');
  assert.equal(verifySeat(1, asked.json).answer.renewed, true);
  // The first answer does not prove a seat to a request with another nonce.
  nonces.set(1, nonce());
  assert.throws(() => verifySeat(1, first.json), /not for this request/);
  const second = await seat(2);
  assert.equal(second.status, 201);
  assert.notEqual(second.json.leaseId, first.json.leaseId);
  assert.equal(inUse(), 2);
  const holders = mgr.running.manager.leases().map((l) => l.client);
  assert.deepEqual(holders.map((c) => c.session).sort(), ['4', '4']);
  assert.equal(new Set(holders.map((c) => c.process)).size, 2, 'one client per process');

  const third = await seat(3);
  assert.equal(third.status, 409);
  assert.equal(third.json.code, 'LICTOR_E_SEATS_EXHAUSTED');
  assert.deepEqual(third.json.details, { inUse: 2, total: 2 });

  assert.equal((await rt.call('DELETE', `/v1/seats/${second.json.id}`)).status, 204);
  assert.equal(inUse(), 1);
  const again = await rt.call('DELETE', `/v1/seats/${second.json.id}`);
  assert.equal(again.status, 404);
  assert.equal(again.json.code, 'LICTOR_E_LEASE_UNKNOWN');
  assert.equal((await seat(3)).status, 201);

  // Process 1 exits: the sweep gives its seat back.
  rt.processes.exit(1);
  assert.equal(await rt.running.runtime.seats.sweep(), 1);
  assert.equal(inUse(), 1);
  assert.equal(rt.running.runtime.seats.count, 1);

  const unknownPid = await seat(999);
  assert.equal(unknownPid.json.code, 'LICTOR_E_PROCESS_UNKNOWN');
  const noManager = await rt.call('POST', '/v1/seats', {
    publicKey: PUBLIC_KEY,
    product: 'CAD',
    managers: ['http://127.0.0.1:1'],
    nonce: nonce(),
  });
  assert.equal(noManager.status, 503);
  assert.equal(noManager.json.code, 'LICTOR_E_MANAGER_UNREACHABLE');
});

test('the runtime keeps a seat with heartbeats, takes a revoked one again, and reports one lost', async (t) => {
  const mgr = await manager(t, 1);
  const rt = await startRuntime(t);
  rt.processes.start(7, '2');
  const taken = await rt.call('POST', '/v1/seats', {
    publicKey: PUBLIC_KEY,
    product: 'CAD',
    managers: [mgr.running.address],
    pid: 7,
    nonce: nonce(),
  });
  assert.equal(taken.status, 201);
  const interval = taken.json.heartbeatIntervalMs as number;
  assert.equal(interval, 20_000);

  // The administrator takes the lease back: the next heartbeat learns it and the runtime takes the seat again.
  assert.equal(mgr.running.manager.adminRelease(taken.json.leaseId as string, { blockMs: 0 }), true);
  const reattached = nextEvent(rt, 'seat-reattached');
  rt.scheduler.advance(interval);
  const event = await reattached;
  assert.equal(event.seatId, taken.json.id);
  assert.equal(event.previousLeaseId, taken.json.leaseId);
  const seat = rt.running.runtime.seats.get(taken.json.id as string);
  assert.equal(seat?.leaseId, event.leaseId);
  assert.equal(seat?.state, 'active');

  // The manager goes away: after the lease's time to live without a heartbeat, the seat is lost.
  await mgr.close();
  const lost = nextEvent(rt, 'seat-lost');
  const baseline = rt.scheduler.pending;
  for (let i = 0; i < 5; i++) {
    rt.scheduler.advance(interval);
    await rt.scheduler.whenPending(baseline);
  }
  const why = await lost;
  assert.equal(why.seatId, taken.json.id);
  assert.equal(why.code, 'LICTOR_E_MANAGER_UNREACHABLE');
  assert.equal(rt.running.runtime.seats.get(taken.json.id as string)?.state, 'lost');
});
