import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { connectManager } from '@lictor/sdk';

const BIN = fileURLToPath(new URL('../bin/lictor.js', import.meta.url));

let root: string;
let env: NodeJS.ProcessEnv;
const children: ChildProcess[] = [];

function lictor(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`lictor ${args.join(' ')}: ${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Starts a long-running `lictor` command and resolves with the URL it prints. */
function serve(...args: string[]): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env });
    children.push(child);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve({ url: m[1], child });
    });
    child.on('exit', (code) => reject(new Error(`lictor ${args[0]} exited with ${code}: ${out}`)));
  });
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-cli-manager-'));
  env = { PATH: process.env.PATH, HOME: join(root, 'home'), XDG_DATA_HOME: join(root, 'home', 'data') };
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await rm(root, { recursive: true, force: true });
});

test('a manager serves a multi-user license to two simulated computers, refuses a third, serves it when a seat frees', async () => {
  const center = join(root, 'center');
  const managerDir = join(root, 'manager');
  await lictor('center', 'init', '--data', center);
  env.LICTOR_PUBLIC_KEY = (await lictor('center', 'public-key', '--data', center)).trim();
  await lictor('center', 'product', 'add', 'ERP', '--name', 'ACME ERP', '--data', center);
  const issued = JSON.parse(
    await lictor('center', 'issue', '--product', 'ERP', '--type', 'multi', '--users', '2', '--json', '--data', center),
  ) as { serial: string; pins: { pin: string }[] };
  const centerServer = await serve('center', 'serve', '--data', center, '--port', '0', '--log-level', 'warn');

  // The multi-user license is activated on the manager's host, into the manager's license directory.
  await lictor(
    'activate',
    '--center',
    centerServer.url,
    '--serial',
    issued.serial,
    '--pin',
    issued.pins[0]?.pin ?? '',
    '--company',
    'Initech',
    '--email',
    'it@initech.example',
    '--store',
    join(managerDir, 'licenses'),
  );
  const manager = await serve('manager', 'serve', '--data', managerDir, '--port', '0', '--log-level', 'warn');

  const computer = (host: string) => connectManager({ managers: [manager.url], client: { host } });
  const a = await computer('ws-a');
  const b = await computer('ws-b');
  const c = await computer('ws-c');
  try {
    const leaseA = await a.acquire('ERP');
    await b.acquire('ERP');
    await assert.rejects(c.acquire('ERP'), (err: Error & { code?: string; details?: Record<string, unknown> }) => {
      assert.equal(err.code, 'LICTOR_E_SEATS_EXHAUSTED');
      assert.deepEqual(err.details, { inUse: 2, total: 2 });
      return true;
    });
    await leaseA.release();
    const leaseC = await c.acquire('ERP');
    assert.equal(leaseC.product, 'ERP');
    const status = await c.status();
    assert.deepEqual(status.products, [{ product: 'ERP', inUse: 2, total: 2 }]);
  } finally {
    await Promise.all([a.close(), b.close(), c.close()]);
  }
});
