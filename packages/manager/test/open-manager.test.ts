/**
 * `openManager()`, the composition root, over a data directory holding a license activated for
 * this (injected) computer: it proves the seats it serves with that license's container key, from
 * the same licensing that gives it the licenses; it warns about a license that cannot prove its
 * seats; the per-address cap reaches the lease service; and after a remote upgrade of its license
 * the clients' answer sessions go on under the new license. Over real loopback sockets, with the
 * SDK's `connectManager` as the client.
 */
import assert from 'node:assert/strict';
import { copyFile, cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { LicenseEntry, LictorError } from '@lictor/protocol';
import { FakeScheduler } from '@lictor/protocol/testing';
import { connectManager } from '@lictor/sdk';
import { activatedStore, answerQuestion, HW, SECRET_A, vendor } from '../../sdk/test/container-fixtures.js';
import { type OpenManagerOptions, openManager } from '../src/index.js';

const MULTI: LicenseEntry = {
  product: 'SCADA',
  type: 'multi',
  users: 5,
  sessions: null,
  arch: null,
  expiresAt: null,
  features: [],
};

/**
 * A manager data directory whose `licenses/` holds a license of `licenses` activated for `HW`
 * (with its container key file unless `withKey` is false), opened with `options`.
 */
async function serve(
  t: TestContext,
  licenses: LicenseEntry[],
  options: Partial<OpenManagerOptions> & { withKey?: boolean } = {},
) {
  const root = await mkdtemp(join(tmpdir(), 'lictor-open-manager-'));
  const activated = await activatedStore(root, undefined, licenses);
  await activated.licensing.close();
  const licensesDir = join(root, 'mgr', 'licenses');
  const { withKey = true, ...rest } = options;
  if (withKey) await cp(activated.store, licensesDir, { recursive: true });
  else {
    await mkdir(licensesDir, { recursive: true });
    for (const f of await readdir(activated.store)) {
      if (f.endsWith('.lic')) await copyFile(join(activated.store, f), join(licensesDir, f));
    }
  }
  const warnings: LictorError[] = [];
  const running = await openManager({
    dataDir: join(root, 'mgr'),
    publicKey: vendor.publicKey.text,
    port: 0,
    discoveryPort: 0,
    computer: { env: {}, hardware: async () => HW, machineSecret: async () => SECRET_A },
    onWarning: (e) => warnings.push(e),
    ...rest,
  });
  // Closed before its directory is removed (after-hooks run in the order they were added), so
  // that nothing it writes as it closes lands in a directory being removed.
  t.after(async () => {
    await running.close();
    await rm(root, { recursive: true, force: true });
  });
  return { running, warnings };
}

async function computer(t: TestContext, url: string, process: string) {
  const client = await connectManager({
    publicKey: vendor.publicKey,
    managers: [url],
    configPaths: [],
    env: {},
    discovery: false,
    client: { host: 'ws-1', process },
  });
  t.after(() => client.close());
  return client;
}

test('the seats of an activated license are proven with its container key; the per-address cap applies', async (t) => {
  const { running, warnings } = await serve(t, [MULTI], { maxSeatsPerAddress: 1 });
  assert.deepEqual(warnings, []);
  const a = await computer(t, running.address, 'app-a');
  const lease = await a.acquire('SCADA');
  assert.equal(lease.state, 'active');
  // A second application from the same address needs a second seat of the multi-user license:
  // over the cap of one.
  const b = await computer(t, running.address, 'app-b');
  await assert.rejects(b.acquire('SCADA'), (err: LictorError) => {
    assert.equal(err.code, 'LICTOR_E_SEATS_EXHAUSTED');
    assert.deepEqual(err.details?.rule, { line: 0, text: 'max-seats-per-address 1' });
    return true;
  });
  assert.equal(running.manager.leases().length, 1);
});

test('a license whose container key does not open here is served with a warning, and clients refuse its seats', async (t) => {
  const { running, warnings } = await serve(t, [MULTI], { withKey: false });
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]?.code, 'LICTOR_E_ANSWER_UNPROVEN');
  assert.match(warnings[0]?.message ?? '', /cannot prove its seats/);
  assert.deepEqual(
    running.manager.status().products.map((p) => p.product),
    ['SCADA'],
  );
  const a = await computer(t, running.address, 'app-a');
  await assert.rejects(a.acquire('SCADA'), (err: LictorError) => {
    assert.equal(err.code, 'LICTOR_E_ANSWER_UNPROVEN');
    assert.equal(err.details?.reason, 'missing');
    return true;
  });
});

const DAY = 24 * 3600_000;

/**
 * A client of a manager whose license (of one container) runs out a day from now, holding a seat
 * (by default in an answer session: heartbeats MAC'd; with `inSession: false` only granted, signed,
 * its first heartbeat, which carries the sealed secret, not sent yet); then the license is upgraded
 * remotely on the manager (same container and keys, running a year from now) and served, and the
 * client's clock moved past the first license's end. `proofs`: the proof of each answer the client
 * receives from then on.
 */
async function upgradedUnderSession(t: TestContext, { inSession = true } = {}) {
  // Licenses made here are issued now: the client's clock starts now too.
  const start = Date.now();
  const { running } = await serve(t, [{ ...MULTI, expiresAt: new Date(start + DAY).toISOString() }]);
  const clock = new FakeScheduler(start);
  const proofs: string[] = [];
  const recording: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const text = await response.clone().text();
    const proof = text === '' ? undefined : (JSON.parse(text) as { proof?: { key?: string } }).proof;
    const path = new URL(String(input)).pathname;
    const route = path.endsWith('/heartbeat') ? 'heartbeat' : path === '/v1/status' ? 'status' : 'lease';
    proofs.push(`${route}:${proof?.key ?? 'none'}`);
    return response;
  };
  const client = await connectManager({
    publicKey: vendor.publicKey,
    managers: [running.address],
    configPaths: [],
    env: {},
    discovery: false,
    client: { host: 'ws-1', process: 'app-a' },
    scheduler: clock,
    fetch: recording,
  });
  t.after(() => client.close());
  const lease = await client.acquire('SCADA');
  const lost: LictorError[] = [];
  lease.on('lost', (err) => lost.push(err));
  /** One heartbeat: answered, checked, and the next one set. */
  const beat = async () => {
    clock.advance(lease.heartbeatIntervalMs);
    await clock.whenPending();
  };
  if (inSession) {
    await beat();
    await beat();
    assert.deepEqual(proofs, ['lease:container', 'heartbeat:container', 'heartbeat:session']);
  } else assert.deepEqual(proofs, ['lease:container']);

  // The remote upgrade, applied on the manager, which serves the new license once its licensing tells of the change.
  const started = await running.licensing.startUpgrade();
  const reloaded = new Promise<void>((resolve) => {
    const off = running.licensing.on('change', () => {
      if (running.licensing.containers()[0]?.counter !== 1) return;
      off();
      resolve();
    });
  });
  const upgraded = answerQuestion(started.question, [], (d) => ({
    ...d,
    licenses: [{ ...MULTI, expiresAt: new Date(start + 365 * DAY).toISOString() }],
  }));
  await running.licensing.continueUpgrade(upgraded.text);
  await reloaded;

  // Only the upgraded license covers the seat at the client's clock now.
  clock.setClock(start + 4 * DAY);
  proofs.length = 0;
  return { client, lease, lost, beat, proofs };
}

test('after a remote upgrade of its license the manager signs once with the new license, then MACs; the client checks against the new license', {
  timeout: 30_000,
}, async (t) => {
  const { client, lease, lost, beat, proofs } = await upgradedUnderSession(t);
  // 6 heartbeats, 120 s: a seat whose heartbeats are refused is lost once its 60 s TTL has run out.
  for (let n = 1; n <= 6; n++) {
    await beat();
    // Checked at each heartbeat: a seat lost stops its heartbeats.
    assert.deepEqual(
      lost.map((e) => `${e.code} (${String(e.details?.reason)}): ${e.message}`),
      [],
      `the seat is kept (heartbeat ${n}: ${proofs.join(', ')})`,
    );
  }
  assert.equal(lease.state, 'active');
  // The session's lease answers are checked against the new license too: refused at once otherwise.
  assert.equal(await client.acquire('SCADA'), lease);
  assert.deepEqual(
    proofs,
    ['heartbeat:container', ...Array<string>(5).fill('heartbeat:session'), 'lease:session'],
    "the license changed under the session: signed once with the new one, then MAC'd again, checked against the new one",
  );
});

test("after a remote upgrade the status is what the manager signs once: the client checks the next MAC'd answers against its license", {
  timeout: 30_000,
}, async (t) => {
  const { client, lease, proofs } = await upgradedUnderSession(t);
  await client.status('SCADA');
  assert.equal(await client.acquire('SCADA'), lease, "MAC'd, checked against the upgraded license");
  assert.deepEqual(proofs, ['status:container', 'lease:session']);
});

test('a remote upgrade between the grant and the heartbeat that opens the session: that heartbeat is signed with the new license, the client checks against it', {
  timeout: 30_000,
}, async (t) => {
  // The manager opens the session after the upgrade, from a secret sealed to the license the
  // client held before it: the manager cannot tell which license text that was (both have the
  // same keys), so the answer that opens the session is signed, with the license it holds now.
  const { client, lease, lost, beat, proofs } = await upgradedUnderSession(t, { inSession: false });
  for (let n = 1; n <= 6; n++) {
    await beat();
    assert.deepEqual(
      lost.map((e) => `${e.code} (${String(e.details?.reason)}): ${e.message}`),
      [],
      `the seat is kept (heartbeat ${n}: ${proofs.join(', ')})`,
    );
  }
  assert.equal(lease.state, 'active');
  assert.equal(await client.acquire('SCADA'), lease, "MAC'd, checked against the upgraded license");
  assert.deepEqual(
    proofs,
    ['heartbeat:container', ...Array<string>(5).fill('heartbeat:session'), 'lease:session'],
    "the heartbeat that opened the session signed with the new license, then MAC'd",
  );
});
