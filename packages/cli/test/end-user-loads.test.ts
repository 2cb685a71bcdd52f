/**
 * End-user commands start fast: they load neither the License Center, the License Manager nor the runtime,
 * no HTTP framework, no database driver and no native module (checked on the built bin).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generateVendorKeys } from '@lictor/protocol';
import { BIN } from './bin.js';

const RECORD = fileURLToPath(new URL('./record-loads.mjs', import.meta.url));
const SERVER_SIDE =
  /@lictor\/(center|manager|runtime|http-service)|packages\/(center|manager|runtime|http-service)\/|better-sqlite3|\/node_modules\/pg\/|fastify|kysely|pkcs11js/;

async function loadsOf(args: string[]): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'lictor-loads-'));
  try {
    const file = join(dir, 'loads.txt');
    await new Promise<void>((done) => {
      execFile(
        process.execPath,
        ['--import', RECORD, BIN, ...args],
        { env: { PATH: process.env.PATH, HOME: dir, LICTOR_TEST_LOADS: file } },
        () => done(),
      );
    });
    return (await readFile(file, 'utf8')).split('\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('lictor --version and lictor check load no server code and no native module', async (t) => {
  const key = generateVendorKeys().publicKey;
  // An empty store of its own: what other programs left in the temporary directory is not read.
  const store = await mkdtemp(join(tmpdir(), 'lictor-loads-store-'));
  t.after(() => rm(store, { recursive: true, force: true }));
  for (const args of [['--version'], ['check', '--product', 'ERP', '--public-key', key, '--store', store]]) {
    const loads = await loadsOf(args);
    assert.ok(
      loads.some((u) => u.includes('packages/cli/dist/main.js')),
      `the recorder saw the CLI: ${args[0]}`,
    );
    if (args[0] === 'check')
      assert.ok(
        loads.some((u) => u.includes('packages/sdk/')),
        'check loads the SDK',
      );
    const server = loads.filter((u) => SERVER_SIDE.test(u));
    assert.deepEqual(server, [], `lictor ${args.join(' ')} loaded server-side modules`);
  }
  t.diagnostic('the center and manager commands still load their packages on use (the CLI tests run them)');
});
