/**
 * A license's grace period end to end, over a real socket: the manager announces it in the signed
 * lease answer, the SDK's `connectManager` keeps the seat that long after its last successful
 * heartbeat when the manager cannot be reached (lost only after it), and the manager keeps the
 * seat counted for that client meanwhile, so nobody else takes it. Time is a FakeScheduler's.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { LictorError } from '@lictor/protocol';
import { FakeScheduler } from '@lictor/protocol/testing';
import { connectManager, type ManagerClient } from '@lictor/sdk';
import { VENDOR } from '../../sdk/test/signed-answers.js';
import { CAD, openManagerApp } from './manager-fixture.js';

const MINUTE = 60_000;

test('grace period: the client keeps its seat while cut off, is told it lost it only after the grace, and the manager does not give it away meanwhile', async (t) => {
  const clock = new FakeScheduler();
  const licenses = [{ ...CAD, seats: 1, graceMs: 10 * MINUTE }];
  // The manager reads the clients' clock; its own timers never run (the pool reaps as it is asked).
  const { app } = await openManagerApp(t, {
    licenses,
    scheduler: new FakeScheduler(),
    now: () => clock.now(),
    leaseTtlMs: MINUTE,
    heartbeatIntervalMs: 20_000,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  let cut = false;
  const network: typeof fetch = (input, init) =>
    cut ? Promise.reject(new TypeError('fetch failed: the network cable is out')) : fetch(input, init);
  const clients: ManagerClient[] = [];
  t.after(async () => {
    cut = false;
    for (const c of clients) await c.close();
  });
  const connect = async (host: string, options: { fetch?: typeof fetch; scheduler?: FakeScheduler }) => {
    const c = await connectManager({
      publicKey: VENDOR.publicKey.text,
      managers: [url],
      configPaths: [],
      env: {},
      discovery: false,
      client: { host },
      ...options,
    });
    clients.push(c);
    return c;
  };
  const laptop = await connect('laptop', { fetch: network, scheduler: clock });
  const other = await connect('desk', { scheduler: new FakeScheduler() });

  const start = clock.now();
  const lease = await laptop.acquire('cad');
  assert.equal(lease.expiresAt.getTime(), start + 10 * MINUTE, 'the manager holds the seat for the grace');
  let lostAt: number | undefined;
  let reason: LictorError | undefined;
  lease.on('lost', (why) => {
    lostAt = clock.now();
    reason = why;
  });

  cut = true;
  /** Runs the laptop's heartbeats (each fails) up to `until`, or until the seat is lost. */
  const runUntil = async (until: number) => {
    while (clock.now() < until && lostAt === undefined) {
      clock.runNext();
      await clock.whenPending();
    }
  };

  await runUntil(start + 2 * MINUTE);
  assert.equal(lease.state, 'active', 'two minutes without the manager, twice the lease TTL: still held');
  await assert.rejects(other.acquire('cad'), (err: LictorError) => {
    assert.equal(err.code, 'LICTOR_E_SEATS_EXHAUSTED', 'the seat is not given to another computer within the grace');
    return true;
  });

  await runUntil(start + 10 * MINUTE);
  assert.equal(lease.state, 'active', 'held to the last heartbeat within the grace');
  await runUntil(start + 11 * MINUTE);
  assert.equal(lostAt, start + 10 * MINUTE + 20_000, 'lost at the first heartbeat after the grace, not before');
  assert.equal(reason?.code, 'LICTOR_E_MANAGER_UNREACHABLE');
  assert.equal(lease.state, 'lost');

  const taken = await other.acquire('cad');
  assert.equal(taken.state, 'active', 'after the grace the seat is free for another computer');
});

test('without a grace period the seat is lost after the lease TTL, as before', async (t) => {
  const clock = new FakeScheduler();
  const { app } = await openManagerApp(t, {
    licenses: [{ ...CAD, seats: 1 }],
    scheduler: new FakeScheduler(),
    now: () => clock.now(),
    leaseTtlMs: MINUTE,
    heartbeatIntervalMs: 20_000,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  let cut = false;
  const client = await connectManager({
    publicKey: VENDOR.publicKey.text,
    managers: [url],
    configPaths: [],
    env: {},
    discovery: false,
    scheduler: clock,
    fetch: (input, init) => (cut ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init)),
  });
  t.after(async () => {
    cut = false;
    await client.close();
  });
  const start = clock.now();
  const lease = await client.acquire('cad');
  let lostAt: number | undefined;
  lease.on('lost', () => {
    lostAt = clock.now();
  });
  cut = true;
  while (lostAt === undefined && clock.now() < start + 5 * MINUTE) {
    clock.runNext();
    await clock.whenPending();
  }
  assert.equal(lostAt, start + MINUTE + 20_000);
});
