/**
 * Clock rollback and a blacklist that only moves forward, attacked through the real `lictor`
 * command (with libfaketime for the clock) and the SDK against a real License Center over HTTP.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FakeScheduler } from '@lictor/protocol/testing';
import { connectManager, openLicensing } from '@lictor/sdk';
import { BIN, type BinSession, binSession, type Ran } from './bin.js';

let root: string;
let session: BinSession;
let url: string;
let adminToken: string;
let publicKey: string;
let toolsActivation: string;
const ok = (...args: string[]) => session.run(...args);
const lictor = (...args: string[]) => session.attempt(...args);

/** `lictor` with the clock moved by `offset` (libfaketime, e.g. `-400d`), as a customer would. */
function fakedLictor(offset: string, ...args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      'faketime',
      ['-f', offset, process.execPath, BIN, ...args],
      { env: session.env, timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function blacklistAtCenter(activationId: string): Promise<void> {
  const res = await fetch(`${url}/v1/admin/blacklist`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ activationId, reason: 'refund' }),
  });
  assert.equal(res.status, 204, await res.text());
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-trust-'));
  session = binSession({
    PATH: process.env.PATH,
    HOME: join(root, 'home'),
    XDG_DATA_HOME: join(root, 'home', 'data'),
    LICTOR_LICENSE_PATH: join(root, 'licenses'),
  });
  const data = join(root, 'center');
  const init = await ok('center', 'init', '--data', data);
  adminToken = /admin API token[^:]*: (\S+)/.exec(init)?.[1] ?? '';
  publicKey = (await ok('center', 'public-key', '--data', data)).trim();
  session.env.LICTOR_PUBLIC_KEY = publicKey;
  await ok('center', 'product', 'add', 'ERP', '--name', 'ACME ERP', '--data', data);
  await ok('center', 'product', 'add', 'TOOLS', '--name', 'ACME Tools', '--data', data);
  const issue = async (product: string, ...extra: string[]) =>
    JSON.parse(
      await ok(
        'center',
        'issue',
        '--product',
        product,
        '--type',
        'single',
        '--pins',
        '1',
        '--json',
        '--data',
        data,
        ...extra,
      ),
    ) as { serial: string; pins: { pin: string }[] };
  const erp = await issue('ERP', '--days', '30');
  const tools = await issue('TOOLS');
  ({ url } = await session.serve('center', 'serve', '--data', data, '--port', '0'));
  const activate = (pkg: { serial: string; pins: { pin: string }[] }) =>
    ok(
      'activate',
      '--center',
      url,
      '--serial',
      pkg.serial,
      '--pin',
      pkg.pins[0]?.pin ?? '',
      '--company',
      'Initech',
      '--email',
      'it@initech.example',
      '--json',
    );
  await activate(erp);
  toolsActivation = (JSON.parse(await activate(tools)) as { activationId: string }).activationId;
});

after(async () => {
  session.killAll();
  await rm(root, { recursive: true, force: true });
});

test('a clock set back before the license was issued: the time-limited license is refused, the perpetual one is not', async () => {
  assert.match(await ok('check', '--product', 'ERP'), /licensed: ERP/);
  const back = await fakedLictor('-400d', 'check', '--product', 'ERP');
  assert.equal(back.code, 1, back.stdout);
  assert.match(
    back.stderr,
    /LICTOR_E_CLOCK_ROLLBACK.*clock is earlier than .* when this license of ERP was issued: set the date, time and time zone right/,
  );
  assert.equal((await fakedLictor('-400d', 'check', '--product', 'TOOLS')).code, 0);
  assert.match(await ok('check', '--product', 'ERP'), /licensed: ERP/, 'the right clock: works again');
});

test('a clock set back past the mark, within the tolerance and beyond; the center resets a clock that was ahead by mistake', async () => {
  // Ten hours ahead, then right again: within the 24 h tolerance.
  assert.equal((await fakedLictor('+10h', 'check', '--product', 'ERP')).code, 0);
  assert.equal((await lictor('check', '--product', 'ERP')).code, 0);
  // Forty days ahead (the license expired then), then right again: the mark says the clock was set back.
  const ahead = await fakedLictor('+40d', 'check', '--product', 'ERP');
  assert.match(ahead.stderr, /LICTOR_E_LICENSE_EXPIRED/);
  const back = await lictor('check', '--product', 'ERP');
  assert.equal(back.code, 1);
  assert.match(back.stderr, /LICTOR_E_CLOCK_ROLLBACK.*more than 24 h behind/);
  assert.equal((await lictor('check', '--product', 'TOOLS')).code, 0, 'perpetual licenses do not care');
  assert.match(await ok('status'), /clock: set back \[LICTOR_E_CLOCK_ROLLBACK\]/);
  // Online once: the center's signed time resets the mark.
  await ok('blacklist', '--center', url);
  assert.match(await ok('check', '--product', 'ERP'), /licensed: ERP/);
  assert.doesNotMatch(await ok('status'), /clock: set back/);
});

test('the blacklist only moves forward: deleting it or putting an older signed list back revives nothing', async () => {
  const store = join(root, 'licenses');
  await ok('blacklist', '--center', url);
  const older = await readFile(join(store, 'blacklist.lictor'), 'utf8');
  await blacklistAtCenter(toolsActivation);
  assert.match(await ok('blacklist', '--center', url), /blacklist sequence 1 /);
  assert.match((await lictor('check', '--product', 'TOOLS')).stderr, /LICTOR_E_BLACKLISTED/);

  await rm(join(store, 'blacklist.lictor'));
  assert.match((await lictor('check', '--product', 'TOOLS')).stderr, /LICTOR_E_BLACKLISTED/, 'deleted');
  await writeFile(join(store, 'blacklist.lictor'), older);
  assert.match((await lictor('check', '--product', 'TOOLS')).stderr, /LICTOR_E_BLACKLISTED/, 'older list');
  assert.match(await ok('status'), /blacklist.lictor: unavailable \[LICTOR_E_BLACKLIST_STALE\]/);

  // A center (or a man in the middle) that serves the older, genuinely signed list.
  const replay = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(older));
  await new Promise<void>((resolve) => replay.listen(0, '127.0.0.1', resolve));
  const address = replay.address();
  try {
    const refused = await lictor(
      'blacklist',
      '--center',
      `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /LICTOR_E_BLACKLIST_STALE/);
  } finally {
    await new Promise<void>((r) => replay.close(() => r()));
  }
});

test("the SDK's blacklistRefresh downloads from a real center on its schedule and blacklists at once", async () => {
  // A fresh store and product: the ERP license, blacklisted at the center after opening.
  const store = join(root, 'sdk-store');
  const data = join(root, 'center');
  const pkg = JSON.parse(
    await ok('center', 'issue', '--product', 'ERP', '--type', 'single', '--pins', '1', '--json', '--data', data),
  ) as { serial: string; pins: { pin: string }[] };
  const scheduler = new FakeScheduler(Date.now());
  const licensing = await openLicensing({
    product: 'ERP',
    publicKey,
    paths: [store],
    watch: false,
    blacklistRefresh: { center: url, scheduler },
  });
  try {
    const activated = await licensing.activate({
      center: url,
      serial: pkg.serial,
      pin: pkg.pins[0]?.pin ?? '',
      owner: { company: 'Initech', email: 'it@initech.example' },
    });
    assert.equal(licensing.check().ok, true);
    await blacklistAtCenter(activated.activationId);
    const deadline = Date.now() + 120_000;
    const stored = new Promise<void>((resolve, reject) => {
      const poll = () => {
        if (licensing.blacklistRefresh()?.lastSuccessAt) resolve();
        else if (Date.now() > deadline)
          reject(new Error(`no download: ${JSON.stringify(licensing.blacklistRefresh())}`));
        else setImmediate(poll);
      };
      poll();
    });
    await scheduler.whenPending(1);
    scheduler.runNext();
    await stored;
    const r = licensing.check();
    assert.equal(!r.ok && r.code, 'LICTOR_E_BLACKLISTED');
    assert.ok((licensing.blacklistRefresh()?.sequence ?? 0) >= 2);
    assert.ok(licensing.clock().serverTime, "the center's signed time was taken");
  } finally {
    await licensing.close();
  }
});

test('a License Manager with --center downloads the blacklist and stops serving a blacklisted license', async () => {
  const data = join(root, 'center');
  const managerDir = join(root, 'manager');
  const pkg = JSON.parse(
    await ok('center', 'issue', '--product', 'ERP', '--type', 'multi', '--users', '2', '--json', '--data', data),
  ) as { serial: string; pins: { pin: string }[] };
  const activated = JSON.parse(
    await ok(
      'activate',
      '--center',
      url,
      '--serial',
      pkg.serial,
      '--pin',
      pkg.pins[0]?.pin ?? '',
      '--company',
      'Initech',
      '--email',
      'it@initech.example',
      '--store',
      join(managerDir, 'licenses'),
      '--json',
    ),
  ) as { activationId: string };
  const serveManager = () =>
    session.serve(
      'manager',
      'serve',
      '--data',
      managerDir,
      '--port',
      '0',
      '--discovery-port',
      '0',
      '--announce-port',
      '0',
      '--center',
      url,
      '--log-level',
      'warn',
    );
  const acquire = async (managerUrl: string): Promise<string> => {
    const client = await connectManager({ publicKey, managers: [managerUrl], client: { host: 'ws-1' } });
    try {
      const lease = await client.acquire('ERP');
      await lease.release();
      return 'ok';
    } catch (err) {
      return (err as { code?: string }).code ?? String(err);
    } finally {
      await client.close();
    }
  };
  const before = await serveManager();
  assert.equal(await acquire(before.url), 'ok');
  before.child.kill('SIGTERM');
  await new Promise((resolve) => before.child.once('exit', resolve));

  await blacklistAtCenter(activated.activationId);
  const after = await serveManager();
  // The manager downloads at start, then its license directory's watcher reloads (2 s poll).
  let outcome = await acquire(after.url);
  for (let i = 0; i < 100 && outcome === 'ok'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    outcome = await acquire(after.url);
  }
  assert.equal(outcome, 'LICTOR_E_NOT_LICENSED', 'the blacklisted license is no longer served');
  assert.match(await readFile(join(managerDir, 'licenses', 'blacklist.lictor'), 'utf8'), /BEGIN LICTOR BLACKLIST/);
  after.child.kill('SIGTERM');
});
