/** `lictor manager serve` and its access rules file (`<data>/access.rules`), through the built bin. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generateVendorKeys } from '@lictor/protocol';

const BIN = fileURLToPath(new URL('../bin/lictor.js', import.meta.url));
const PUBLIC_KEY = generateVendorKeys().publicKey;

/** Runs `lictor manager serve` until `done(stdout)` holds or it exits; then stops it. */
function serve(
  t: TestContext,
  dir: string,
  done: (out: string) => boolean,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const args = ['manager', 'serve', '--data', dir, '--port', '0', '--public-key', PUBLIC_KEY];
    const child = spawn(process.execPath, [BIN, ...args, '--discovery-port', '0', '--announce-port', '0'], {
      env: { PATH: process.env.PATH, HOME: join(dir, 'home') },
    });
    t.after(() => child.kill('SIGKILL'));
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (done(out)) child.kill('SIGTERM');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

async function dataDir(t: TestContext, rules: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lictor-cli-access-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'access.rules'), rules);
  return dir;
}

test('a broken access rules file stops the manager from starting, naming the line', async (t) => {
  const dir = await dataDir(t, '# rules\ngroup eng user ann\nreserve 2 cad grp eng\n');
  const { code, out, err } = await serve(t, dir, () => false);
  assert.equal(code, 1);
  assert.doesNotMatch(out, /listening on/);
  assert.match(
    err,
    /error \[LICTOR_E_ACCESS_RULES_INVALID\]: .*access\.rules line 3: unknown subject 'grp': expected anyone, user, host, address or group/,
  );
});

test('the manager says at start how many access rules are in force', async (t) => {
  const dir = await dataDir(t, 'group eng user ann\nallow cad group eng\nreserve 2 cad group eng\n');
  const { out } = await serve(t, dir, (o) => /access rules: /.test(o));
  assert.match(out, /access rules: 2 from .*access\.rules/);
});
