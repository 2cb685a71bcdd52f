/**
 * `openManager()`, the composition root, over a data directory holding a license activated for
 * this (injected) computer: it proves the seats it serves with that license's container key, from
 * the same licensing that gives it the licenses; it warns about a license that cannot prove its
 * seats; and the per-address cap reaches the lease service. Over real loopback sockets, with the
 * SDK's `connectManager` as the client.
 */
import assert from 'node:assert/strict';
import { copyFile, cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { LicenseEntry, LictorError } from '@lictor/protocol';
import { connectManager } from '@lictor/sdk';
import { activatedStore, HW, SECRET_A, vendor } from '../../sdk/test/container-fixtures.js';
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
