/**
 * `lictor manager serve` and the files of its data directory it reads at start: the access rules
 * file (`<data>/access.rules`) and its identity (`<data>/manager.json`), through the built bin.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { generateVendorKeys } from '@lictor/protocol';
import { type BinSession, binSession } from './bin.js';

const PUBLIC_KEY = generateVendorKeys().publicKey;

/** A manager data directory holding `files`, and a session whose HOME is inside it. */
async function dataDir(t: TestContext, files: Record<string, string>): Promise<{ dir: string; session: BinSession }> {
  const dir = await mkdtemp(join(tmpdir(), 'lictor-cli-access-'));
  const session = binSession({ PATH: process.env.PATH, HOME: join(dir, 'home') });
  t.after(async () => {
    session.killAll();
    await rm(dir, { recursive: true, force: true });
  });
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return { dir, session };
}

/** `lictor manager serve` of `dir` on free ports, without discovery or duplicate detection. */
function serveArgs(dir: string): string[] {
  const quiet = ['--discovery-port', '0', '--announce-port', '0'];
  return ['manager', 'serve', '--data', dir, '--port', '0', '--public-key', PUBLIC_KEY, ...quiet];
}

test('a broken access rules file stops the manager from starting, naming the line', async (t) => {
  const { dir, session } = await dataDir(t, { 'access.rules': '# rules\ngroup eng user ann\nreserve 2 cad grp eng\n' });
  const { code, stdout, stderr } = await session.attempt(...serveArgs(dir));
  assert.equal(code, 1);
  assert.doesNotMatch(stdout, /listening on/);
  assert.match(
    stderr,
    /error \[LICTOR_E_ACCESS_RULES_INVALID\]: .*access\.rules line 3: unknown subject 'grp': expected anyone, user, host, address or group/,
  );
});

test('the manager says at start how many access rules are in force', async (t) => {
  const rules = 'group eng user ann\nallow cad group eng\nreserve 2 cad group eng\n';
  const { dir, session } = await dataDir(t, { 'access.rules': rules });
  const manager = await session.serve(...serveArgs(dir));
  assert.match(await manager.waitFor(/access rules: /), /access rules: 2 from .*access\.rules/);
});

test('a damaged identity file stops the manager with a typed error that says how to recover', async (t) => {
  const { dir, session } = await dataDir(t, { 'manager.json': '{"id": "mgr-1", "adminTok' });
  const { code, stderr } = await session.attempt(...serveArgs(dir));
  assert.equal(code, 1);
  assert.match(stderr, /error \[LICTOR_E_FILE_FORMAT\]: .*manager\.json is not a License Manager identity file/);
});
