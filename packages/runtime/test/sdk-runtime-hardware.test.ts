/**
 * The Node SDK reuses the runtime's hardware snapshot (`runtimeHardware` of `@lictor/sdk`,
 * `openLicensing`'s `runtimeHardware` option): the snapshot is written here by the runtime's own
 * store (`persistedHardware`), describing the fixture computer {@link HW}, which is not this
 * computer; so a license bound to {@link HW} is granted by the SDK exactly when the snapshot was
 * used, and refused (`LICTOR_E_HARDWARE_MISMATCH`) when the SDK collected this computer's hardware.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { HardwareParams } from '@lictor/protocol';
import { openLicensing, runtimeHardware } from '@lictor/sdk';
import { HARDWARE_MAX_AGE_MS, persistedHardware } from '../src/index.js';
import { doc, HW, PUBLIC_KEY, SECRET, writeLicenses } from './runtime-fixture.js';

const OTHER: HardwareParams = { ...HW, hostname: 'elsewhere', board: 'Another board', disks: ['OTHER-DISK'] };

/** A runtime state directory whose snapshot of {@link HW} was collected at `collectedAt`, and a license bound to {@link HW}. */
async function world(t: TestContext, collectedAt = Date.now(), secret = SECRET) {
  const root = await mkdtemp(join(tmpdir(), 'lictor-sdk-rt-hw-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const state = join(root, 'state');
  const licenses = join(root, 'licenses');
  await mkdir(state, { mode: 0o700 });
  await mkdir(licenses);
  const file = join(state, 'hardware.json');
  await persistedHardware({
    file,
    source: async () => HW,
    machineSecret: async () => secret,
    now: () => collectedAt,
  })();
  await writeLicenses(licenses, { 'erp.lic': doc() });
  const open = (runtimeHardwareFile: string | false = file) =>
    openLicensing({
      product: 'ERP',
      publicKey: PUBLIC_KEY,
      paths: [licenses],
      machineSecret: async () => SECRET,
      runtimeHardware: runtimeHardwareFile,
      env: {},
      watch: false,
    });
  return { root, state, file, open };
}

async function checkCode(open: () => ReturnType<typeof openLicensing>): Promise<string> {
  const licensing = await open();
  try {
    const result = licensing.check('reports');
    return result.ok ? 'granted' : result.code;
  } finally {
    await licensing.close();
  }
}

test("openLicensing matches against the runtime's fresh snapshot instead of collecting", async (t) => {
  const { open } = await world(t, Date.now() - HARDWARE_MAX_AGE_MS + 60_000);
  assert.equal(await checkCode(open), 'granted');
});

test('a snapshot that is stale, from the future, sealed elsewhere, edited, missing or turned off is not used: the SDK collects', async (t) => {
  const stale = await world(t, Date.now() - HARDWARE_MAX_AGE_MS - 1000);
  assert.equal(await checkCode(stale.open), 'LICTOR_E_HARDWARE_MISMATCH');
  const future = await world(t, Date.now() + 3_600_000);
  assert.equal(await checkCode(future.open), 'LICTOR_E_HARDWARE_MISMATCH');
  const elsewhere = await world(t, Date.now(), new Uint8Array(32).fill(0x11));
  assert.equal(await checkCode(elsewhere.open), 'LICTOR_E_HARDWARE_MISMATCH');

  const edited = await world(t);
  assert.equal(await checkCode(edited.open), 'granted', 'the unedited snapshot is used');
  const text = await readFile(edited.file, 'utf8');
  await writeFile(edited.file, text.replace('ws-042', 'ws-043'));
  assert.equal(await checkCode(edited.open), 'LICTOR_E_HARDWARE_MISMATCH');

  const off = await world(t);
  assert.equal(await checkCode(() => off.open(false)), 'LICTOR_E_HARDWARE_MISMATCH');
  assert.equal(
    await checkCode(() => off.open(join(off.root, 'no-such', 'hardware.json'))),
    'LICTOR_E_HARDWARE_MISMATCH',
  );
});

test('runtimeHardware: a snapshot this process could rewrite is not trusted unless it runs as root; a day by its own time', async (t) => {
  const collectedAt = Date.parse('2026-03-01T00:00:00Z');
  const { file, state } = await world(t, collectedAt);
  let clock = collectedAt + 1000;
  let collections = 0;
  const collect = async () => {
    collections++;
    return OTHER;
  };
  const source = (uid: number) =>
    runtimeHardware({ file, machineSecret: async () => SECRET, collect, now: () => clock, uid });

  // These tests run with a temporary directory this process may write.
  const user = source(1000);
  assert.deepEqual(await user(), OTHER);
  assert.equal(user.origin, 'collected');
  assert.equal(collections, 1);

  const root = source(0);
  assert.deepEqual(await root(), HW);
  assert.equal(root.origin, 'runtime');
  // Kept until a day after the runtime collected it, then read again (and found stale: collected).
  clock = collectedAt + HARDWARE_MAX_AGE_MS - 1;
  assert.deepEqual(await root(), HW);
  assert.equal(collections, 1);
  clock = collectedAt + HARDWARE_MAX_AGE_MS;
  assert.deepEqual(await root(), OTHER);
  assert.equal(root.origin, 'collected');
  assert.equal(collections, 2);

  // Unreadable (a process of another user, as the runtime's 0700 directory makes it): collected.
  if (process.getuid?.() !== 0) {
    await chmod(state, 0o000);
    t.after(() => chmod(state, 0o700));
    clock = collectedAt + 1000;
    const other = source(1000);
    assert.deepEqual(await other(), OTHER);
    assert.equal(other.origin, 'collected');
  }
});
