/**
 * The instance identity of duplicate detection: every process of one boot shares it, whatever
 * its wall clock says (two real processes, one under `faketime`), on an OS with a boot identity
 * and on one without (the per-boot record); a reboot changes it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { bootIdentity, bootRecord, resolveInstanceId } from '../src/duplicates/instance.js';

const SECRET = new Uint8Array(32).fill(0xa1);
const INSTANCE_URL = pathToFileURL(join(import.meta.dirname, '..', 'src', 'duplicates', 'instance.ts')).href;

async function scratch(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lictor-instance-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs a process that prints its instance id; under `faketime` with `clockOffset` when given. */
async function instanceInProcess(script: string, recordDir: string | null, clockOffset?: string): Promise<string> {
  const node = [process.execPath, '--import', 'tsx', script, JSON.stringify({ recordDir })];
  const [file, ...args] = clockOffset === undefined ? node : ['faketime', '-f', clockOffset, ...node];
  return new Promise((resolve, reject) => {
    const child = spawn(file as string, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c;
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c;
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

async function writeInstanceScript(dir: string): Promise<string> {
  const script = join(dir, 'instance-child.mts');
  await writeFile(
    script,
    `import { resolveInstanceId } from ${JSON.stringify(INSTANCE_URL)};
const { recordDir } = JSON.parse(process.argv[2]);
const secret = new Uint8Array(32).fill(0xa1);
const sources = recordDir === null ? {} : { boot: async () => null, recordDir };
console.log(JSON.stringify({ instance: await resolveInstanceId(secret, sources), now: new Date().toISOString() }));
`,
  );
  return script;
}

test('two processes of one boot share the instance, their wall clocks hours apart (boot identity and record)', async (t) => {
  const dir = await scratch(t);
  const script = await writeInstanceScript(dir);
  const recordDir = join(dir, 'records');
  for (const record of [null, recordDir]) {
    const [behind, ahead, plain] = await Promise.all([
      instanceInProcess(script, record, '-2h'),
      instanceInProcess(script, record, '+3d'),
      instanceInProcess(script, record),
    ]);
    const parsed = [behind, ahead, plain].map((line) => JSON.parse(line) as { instance: string; now: string });
    // The clocks really differ...
    assert.ok(Date.parse(parsed[1]?.now ?? '') - Date.parse(parsed[0]?.now ?? '') > 24 * 3600_000);
    // ...and the instance does not.
    assert.equal(new Set(parsed.map((p) => p.instance)).size, 1, `one instance with record dir ${record}`);
  }
  // The record made once for this boot is the only one.
  assert.deepEqual(
    (await readdir(recordDir)).filter((n) => n.endsWith('.json')),
    ['instance-1.json'],
  );
});

test('the per-boot record: processes starting together agree; a reboot (uptime lower) makes a new one', async (t) => {
  const dir = await scratch(t);
  const together = await Promise.all(Array.from({ length: 8 }, () => bootRecord(dir, 120)));
  assert.equal(new Set(together).size, 1);
  // Later in the same boot: the same record.
  assert.equal(await bootRecord(dir, 5000), together[0]);
  // After a reboot the uptime starts again: a new record, shared again.
  // (Both read one uptime source when they compare, as processes of one computer do.)
  const up = () => 30;
  const rebooted = await Promise.all([bootRecord(dir, up), bootRecord(dir, up)]);
  assert.notEqual(rebooted[0], together[0]);
  assert.equal(rebooted[1], rebooted[0]);
  assert.deepEqual(await readdir(dir), ['instance-2.json']);
  // The instance ids follow.
  const first = await resolveInstanceId(SECRET, { boot: async () => null, recordDir: dir, uptime: () => 40 });
  const second = await resolveInstanceId(SECRET, { boot: async () => null, recordDir: dir, uptime: () => 10 });
  assert.notEqual(first, second);
});

test('the boot identity per OS, never the wall clock', async () => {
  const calls: string[] = [];
  const exec = async (file: string, args: string[]) => {
    calls.push([file, ...args].join(' '));
    if (file.endsWith('sysctl')) return '8F1D2C3B-0000-4000-8000-1234567890AB\n';
    return '\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\...\\PrefetchParameters\r\n    BootId    REG_DWORD    0x4c\r\n';
  };
  const read = async () => 'f3b1c2d4-1111-4222-8333-444455556666\n';
  assert.equal(await bootIdentity('linux', exec, read), 'linux:f3b1c2d4-1111-4222-8333-444455556666');
  assert.equal(await bootIdentity('darwin', exec, read), 'darwin:8F1D2C3B-0000-4000-8000-1234567890AB');
  assert.equal(await bootIdentity('win32', exec, read), 'win32:76');
  assert.equal(await bootIdentity('freebsd', exec, read), null);
  assert.equal(await bootIdentity('linux', exec, async () => ''), null);
  assert.equal(await bootIdentity('win32', async () => '', read), null);
  assert.deepEqual(calls, [
    '/usr/sbin/sysctl -n kern.bootsessionuuid',
    'reg query HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management\\PrefetchParameters /v BootId',
  ]);
  // Different boots, different instances; one boot, one instance.
  const id = (boot: string) => resolveInstanceId(SECRET, { boot: async () => boot });
  assert.equal(await id('win32:76'), await id('win32:76'));
  assert.notEqual(await id('win32:76'), await id('win32:77'));
});
