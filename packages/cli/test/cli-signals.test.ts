/**
 * Long-running commands end promptly and cleanly on SIGINT and SIGTERM, releasing what they hold
 * (the real bin in child processes: what matters is that the process exits).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BIN, type BinSession, binSession } from './bin.js';

let root: string;
let session: BinSession;
let managerUrl: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-cli-signals-'));
  session = binSession({ PATH: process.env.PATH, HOME: join(root, 'home'), XDG_DATA_HOME: join(root, 'home', 'data') });
  const center = join(root, 'center');
  const managerDir = join(root, 'manager');
  await session.run('center', 'init', '--data', center);
  session.env.LICTOR_PUBLIC_KEY = (await session.run('center', 'public-key', '--data', center)).trim();
  await session.run('center', 'product', 'add', 'ERP', '--name', 'ACME ERP', '--data', center);
  const issued = JSON.parse(
    await session.run(
      'center',
      'issue',
      '--product',
      'ERP',
      '--type',
      'multi',
      '--users',
      '2',
      '--json',
      '--data',
      center,
    ),
  ) as { serial: string; pins: { pin: string }[] };
  const served = await session.serve('center', 'serve', '--data', center, '--port', '0', '--log-level', 'warn');
  await session.run(
    'activate',
    ...['--center', served.url, '--serial', issued.serial, '--pin', issued.pins[0]?.pin ?? ''],
    ...['--company', 'Initech', '--email', 'it@initech.example', '--store', join(managerDir, 'licenses')],
  );
  const manager = await session.serve(
    'manager',
    'serve',
    ...['--data', managerDir, '--port', '0', '--discovery-port', '0', '--announce-port', '0', '--log-level', 'warn'],
  );
  managerUrl = manager.url;
});

after(async () => {
  session.killAll();
  await rm(root, { recursive: true, force: true });
});

async function seatsInUse(): Promise<number> {
  const status = (await (await fetch(`${managerUrl}/v1/status`)).json()) as { products: { inUse: number }[] };
  return status.products[0]?.inUse ?? -1;
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`seat --hold 600 releases its seat and exits at once on ${signal}`, async () => {
    const child = spawn(process.execPath, [BIN, 'seat', '--product', 'ERP', '--manager', managerUrl, '--hold', '600'], {
      env: session.env,
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    for (let i = 0; i < 400 && !out.includes('seat taken'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, /seat taken: ERP/);
    assert.equal(await seatsInUse(), 1);
    const sentAt = Date.now();
    child.kill(signal);
    // Generous for a loaded machine, and far below the 600 s the command was told to hold.
    const bound = new Promise<'still running'>((r) => setTimeout(() => r('still running'), 30_000).unref());
    const ended = await Promise.race([exited, bound]);
    if (ended === 'still running') child.kill('SIGKILL');
    assert.notEqual(ended, 'still running', `lictor seat was still running 30 s after ${signal}`);
    assert.deepEqual(ended, [0, null], 'a clean exit, not killed by the signal');
    assert.ok(Date.now() - sentAt < 30_000);
    assert.equal(await seatsInUse(), 0, 'the seat was released');
  });
}
