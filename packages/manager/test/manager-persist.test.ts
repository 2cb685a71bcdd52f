/** The License Manager's state file: restart, crash (SIGKILL) and corrupt files. */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { type TestContext, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sha256, toHex } from '@lictor/protocol';
import { FakeScheduler } from '@lictor/protocol/testing';
import { LicenseManager, type LicenseManagerOptions } from '../src/index.js';
import { CAD } from './manager-fixture.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../../..');
const INDEX_URL = pathToFileURL(resolve(HERE, '../src/index.ts')).href;
const TOKEN_HASH = toHex(sha256('token'));

function client(n: number) {
  return { host: `host-${n}`, user: 'ann', process: 'cad.exe', session: '1' };
}

/** Cleanups of a test, run last registered first (so directories go after what uses them). */
const cleanups = new WeakMap<TestContext, (() => Promise<unknown>)[]>();
function defer(t: TestContext, fn: () => Promise<unknown>): void {
  let list = cleanups.get(t);
  if (list === undefined) {
    const fns: (() => Promise<unknown>)[] = [];
    list = fns;
    cleanups.set(t, fns);
    t.after(async () => {
      for (const f of fns.reverse()) await f();
    });
  }
  list.push(fn);
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lictor-mgr-state-'));
  defer(t, () => rm(dir, { recursive: true, force: true }));
  return dir;
}

function options(stateFile: string, extra: Partial<LicenseManagerOptions> = {}): LicenseManagerOptions {
  return { stateFile, licenses: [CAD], adminTokenHash: TOKEN_HASH, id: 'mgr', ...extra };
}

test('close and reopen: the leases survive and the pool stays full', async (t) => {
  const stateFile = join(await tempDir(t), 'sub', 'state.json');
  const first = await LicenseManager.open(options(stateFile));
  const ids: string[] = [];
  for (const n of [1, 2, 3]) {
    const r = first.acquire({ product: 'cad', client: client(n) });
    assert.equal(r.kind, 'granted');
    if (r.kind === 'granted') ids.push(r.lease.id);
  }
  await first.close();
  await first.close();

  const second = await LicenseManager.open(options(stateFile));
  defer(t, () => second.close());
  assert.deepEqual(
    second
      .leases()
      .map((l) => l.id)
      .sort(),
    [...ids].sort(),
  );
  assert.deepEqual(second.acquire({ product: 'cad', client: client(4) }), { kind: 'exhausted', inUse: 3, total: 3 });
  for (const id of ids) assert.equal(second.heartbeat(id).kind, 'renewed');
  assert.equal(second.events().at(-1)?.kind, 'restored');
});

test('restoring with fewer seats drops the youngest leases and says so', async (t) => {
  const stateFile = join(await tempDir(t), 'state.json');
  let clock = 1_000_000;
  const now = () => clock;
  const first = await LicenseManager.open(options(stateFile, { now }));
  for (const n of [1, 2, 3]) {
    first.acquire({ product: 'cad', client: client(n) });
    clock += 10;
  }
  await first.close();
  const second = await LicenseManager.open(options(stateFile, { now, licenses: [{ ...CAD, seats: 2 }] }));
  defer(t, () => second.close());
  assert.deepEqual(
    second.leases().map((l) => l.client.host),
    ['host-1', 'host-2'],
  );
  const dropped = second.events().find((e) => e.leaseId !== undefined);
  assert.equal(dropped?.client?.host, 'host-3');
  assert.match(dropped?.detail ?? '', /over-capacity/);
});

test('changes are written within the snapshot interval, atomically', async (t) => {
  const dir = await tempDir(t);
  const stateFile = join(dir, 'state.json');
  const scheduler = new FakeScheduler();
  const manager = await LicenseManager.open(options(stateFile, { snapshotIntervalMs: 20, scheduler }));
  defer(t, () => manager.close());
  manager.acquire({ product: 'cad', client: client(1) });
  scheduler.advance(19);
  await manager.snapshots.idle();
  assert.deepEqual(await readdir(dir), [], 'nothing is written before the interval');
  scheduler.advance(1);
  await manager.snapshots.idle();
  const snapshot = JSON.parse(await readFile(stateFile, 'utf8'));
  assert.equal(snapshot.format, 'lictor-lease-pool');
  assert.equal(snapshot.leases.length, 1);
  assert.deepEqual(await readdir(dir), ['state.json']);
});

test('a corrupt state file is moved aside, reported, and the manager starts empty', async (t) => {
  for (const garbage of ['{"format": "lictor-lea', '{"format":"other","version":1,"leases":[]}', '[1,2]']) {
    const dir = await tempDir(t);
    const stateFile = join(dir, 'state.json');
    await writeFile(stateFile, garbage);
    const manager = await LicenseManager.open(options(stateFile, { now: () => 42 }));
    assert.equal(manager.leases().length, 0);
    const [event] = manager.events();
    assert.equal(event?.kind, 'restored');
    assert.match(event?.detail ?? '', /moved aside/);
    assert.deepEqual(await readdir(dir), ['state.json.corrupt-42']);
    assert.equal(await readFile(join(dir, 'state.json.corrupt-42'), 'utf8'), garbage);
    assert.equal(manager.acquire({ product: 'cad', client: client(1) }).kind, 'granted');
    await manager.close();
    assert.equal(JSON.parse(await readFile(stateFile, 'utf8')).leases.length, 1);
  }
});

const CHILD = `
import { buildManagerServer, LicenseManager } from ${JSON.stringify(INDEX_URL)};
const manager = await LicenseManager.open({
  stateFile: process.argv[2],
  licenses: [${JSON.stringify(CAD)}],
  adminTokenHash: ${JSON.stringify(TOKEN_HASH)},
  id: 'child',
  snapshotIntervalMs: 50,
});
const app = buildManagerServer(manager);
await app.listen({ port: 0, host: '127.0.0.1' });
console.log('PORT ' + app.server.address().port);
`;

async function startChild(script: string, stateFile: string): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, stateFile], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d) => {
    err += d;
  });
  const port = await new Promise<number>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`child did not start: ${err}`)), 120_000); // tsx compiles first: slow on a loaded machine
    child.stdout?.on('data', (d) => {
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(Number(m[1]));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`child exited (${code}): ${err}`));
    });
  });
  return { child, base: `http://127.0.0.1:${port}` };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field and asserted
async function post(url: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url, {
    method: 'POST',
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

test('after a SIGKILL the restarted manager never holds more leases than seats', async (t) => {
  const dir = await tempDir(t);
  const script = join(dir, 'child.mjs');
  const stateFile = join(dir, 'state.json');
  await writeFile(script, CHILD);

  const one = await startChild(script, stateFile);
  defer(t, () => kill(one.child));
  const ids: string[] = [];
  for (const n of [1, 2]) {
    const r = await post(`${one.base}/v1/leases`, { product: 'cad', client: client(n) });
    assert.equal(r.status, 201);
    ids.push(r.json.lease.id);
  }
  await new Promise((r) => setTimeout(r, 300)); // past the snapshot interval: these two are on disk
  const late = await post(`${one.base}/v1/leases`, { product: 'cad', client: client(3) });
  assert.equal(late.status, 201);
  await kill(one.child); // maybe before the third grant reached the disk

  const two = await startChild(script, stateFile);
  defer(t, () => kill(two.child));
  const status = (await (await fetch(`${two.base}/v1/status`)).json()) as { products: { inUse: number }[] };
  const inUse = status.products[0]?.inUse ?? 0;
  assert.ok(inUse >= 2 && inUse <= 3, `in use after restart: ${inUse}`);
  for (const id of ids) assert.equal((await post(`${two.base}/v1/leases/${id}/heartbeat`)).status, 200);

  // The third client: its lease survived, or it re-attaches with its identity and old id.
  const beat = await post(`${two.base}/v1/leases/${late.json.lease.id}/heartbeat`);
  if (beat.status === 404) {
    const again = await post(`${two.base}/v1/leases`, {
      product: 'cad',
      client: client(3),
      leaseId: late.json.lease.id,
    });
    assert.equal(again.status, 201);
  } else {
    assert.equal(beat.status, 200);
  }
  const fourth = await post(`${two.base}/v1/leases`, { product: 'cad', client: client(4) });
  assert.equal(fourth.status, 409);
  assert.deepEqual(fourth.json.details, { inUse: 3, total: 3 });
});

test('a grant is written within the snapshot interval; heartbeats alone only within the heartbeat interval', async (t) => {
  const stateFile = join(await tempDir(t), 'state.json');
  const scheduler = new FakeScheduler();
  const manager = await LicenseManager.open(
    options(stateFile, { snapshotIntervalMs: 20, heartbeatIntervalMs: 600, leaseTtlMs: 2_000, scheduler }),
  );
  defer(t, () => manager.close());
  const heartbeatAt = async () => {
    const snapshot = JSON.parse(await readFile(stateFile, 'utf8')) as { leases: { heartbeatAt: number }[] };
    return snapshot.leases[0]?.heartbeatAt;
  };
  /** Moves time on and waits for the snapshot writes it started. */
  const advance = async (ms: number) => {
    scheduler.advance(ms);
    await manager.snapshots.idle();
  };

  const granted = manager.acquire({ product: 'cad', client: client(1) });
  assert.equal(granted.kind, 'granted');
  await advance(20);
  const written = await heartbeatAt();
  assert.equal(written, scheduler.now() - 20, 'the grant was written within the snapshot interval');

  await advance(5);
  assert.equal(manager.heartbeat(granted.kind === 'granted' ? granted.lease.id : '').kind, 'renewed');
  await advance(150);
  assert.equal(await heartbeatAt(), written, 'a heartbeat alone is not written at the snapshot interval');
  await advance(450);
  assert.equal(await heartbeatAt(), written + 25, 'it is written within the heartbeat interval');
});
