/**
 * The persisted hardware snapshot: collected at most once a day across processes (two sources
 * on one state directory stand for two processes) and restarts, sealed to this computer.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { HardwareParams } from '@lictor/protocol';
import { HARDWARE_MAX_AGE_MS, persistedHardware } from '../src/index.js';
import { doc, HW, nonce, PUBLIC_KEY, SECRET, startRuntime, writeLicenses } from './runtime-fixture.js';

async function stateDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lictor-rt-hw-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A hardware source that counts its collections (slow enough for concurrent callers to overlap). */
function countingSource(hw: HardwareParams = HW) {
  const source = async () => {
    source.calls++;
    await new Promise((resolve) => setImmediate(resolve));
    return hw;
  };
  source.calls = 0;
  return source;
}

test('two processes and a restart share one collection a day', async (t) => {
  const dir = await stateDir(t);
  const file = join(dir, 'hardware.json');
  let clock = Date.parse('2026-03-01T00:00:00Z');
  const source = countingSource();
  const open = (secret = SECRET) =>
    persistedHardware({ file, source, machineSecret: async () => secret, now: () => clock });
  const a = open();
  const b = open();
  const got = await Promise.all([a(), b(), a(), b()]);
  assert.equal(source.calls, 1, 'one collection for both processes');
  for (const hw of got) assert.deepEqual(hw, HW);
  assert.equal(a.collections + b.collections, 1);

  // A restart (a new source on the same directory) reads the file.
  clock += HARDWARE_MAX_AGE_MS - 1;
  const restarted = open();
  assert.deepEqual(await restarted(), HW);
  assert.equal(source.calls, 1);

  // A day after the collection, the next reader collects again, once.
  clock += 1;
  await Promise.all([restarted(), a(), b()]);
  assert.equal(source.calls, 2);

  // The clock set back before the collection: the snapshot is not trusted, collected again.
  clock -= 10 * HARDWARE_MAX_AGE_MS;
  await open()();
  assert.equal(source.calls, 3);
});

test('an edited snapshot, or one copied from another computer, is collected again', async (t) => {
  const dir = await stateDir(t);
  const file = join(dir, 'hardware.json');
  const now = () => Date.parse('2026-03-01T00:00:00Z');
  const source = countingSource();
  await persistedHardware({ file, source, machineSecret: async () => SECRET, now })();
  const sealed = JSON.parse(await readFile(file, 'utf8')) as { body: { hardware: HardwareParams } };
  sealed.body.hardware.nics = ['00:00:00:00:00:01'];
  await writeFile(file, JSON.stringify(sealed));
  assert.deepEqual(await persistedHardware({ file, source, machineSecret: async () => SECRET, now })(), HW);
  assert.equal(source.calls, 2);

  const otherComputer = new Uint8Array(32).fill(0x11);
  await persistedHardware({ file, source, machineSecret: async () => otherComputer, now })();
  assert.equal(source.calls, 3);
});

test('a lock left by a process that died does not stop collection', async (t) => {
  const dir = await stateDir(t);
  const file = join(dir, 'hardware.json');
  await writeFile(`${file}.lock`, '999999\n');
  const { utimes } = await import('node:fs/promises');
  const old = new Date(Date.now() - 10 * 60 * 1000);
  await utimes(`${file}.lock`, old, old);
  const source = countingSource();
  assert.deepEqual(await persistedHardware({ file, source, machineSecret: async () => SECRET })(), HW);
  assert.equal(source.calls, 1);
});

test('every licensing state of a runtime reads the one snapshot, kept over restarts', async (t) => {
  const root = await stateDir(t);
  const source = countingSource();
  const options = {
    stateDir: join(root, 'state'),
    socket: join(root, 'rt.sock'),
    computer: { env: {}, hardware: source, machineSecret: async () => SECRET },
  };
  const first = await startRuntime(t, options);
  await writeLicenses(first.licenses, { 'a.lic': doc() });
  for (const product of ['ERP', 'CAD', 'PAY']) {
    await first.call('POST', '/v1/check', { publicKey: PUBLIC_KEY, product, nonce: nonce() });
  }
  assert.equal(source.calls, 1);
  await first.running.close();
  const second = await startRuntime(t, { ...options, socket: join(root, 'rt2.sock') });
  await second.call('POST', '/v1/check', { publicKey: PUBLIC_KEY, product: 'ERP', nonce: nonce() });
  assert.equal(source.calls, 1, 'the restart read the snapshot');
});
