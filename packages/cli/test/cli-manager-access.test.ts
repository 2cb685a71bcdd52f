/**
 * `lictor manager serve` and the files of its data directory it reads at start: the access rules
 * file (`<data>/access.rules`) and its identity (`<data>/manager.json`), through the built bin.
 */
import assert from 'node:assert/strict';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
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

test('the first start makes the admin token only once it listens; a failed start loses none', async (t) => {
  const { dir, session } = await dataDir(t, {});
  const data = join(dir, 'mgr');
  // No vendor public key: refused before anything is made.
  const noKey = await session.attempt('manager', 'serve', '--data', data, '--port', '0', '--discovery-port', '0');
  assert.equal(noKey.code, 1);
  assert.doesNotMatch(noKey.stdout, /admin API token/);
  await assert.rejects(access(join(data, 'manager.json')));

  // The port is taken: a typed error naming the port, no stack, and still no identity.
  const taken = createServer();
  await new Promise<void>((ok) => taken.listen(0, '127.0.0.1', ok));
  t.after(() => taken.close());
  const busyPort = String((taken.address() as AddressInfo).port);
  const busy = await session.attempt(...serveArgs(data).with(5, busyPort));
  assert.equal(busy.code, 1);
  assert.match(
    busy.stderr,
    new RegExp(`error \\[LICTOR_E_PORT_IN_USE\\]: port ${busyPort} on 127\\.0\\.0\\.1 is in use`),
  );
  assert.doesNotMatch(busy.stderr, /at .*\.js:\d+/);
  assert.doesNotMatch(busy.stdout, /admin API token/);
  await assert.rejects(access(join(data, 'manager.json')));

  // A start that listens prints the token after the address, and the token opens the admin API.
  const first = await session.serve(...serveArgs(data));
  const token = /admin API token \(shown once, keep it secret\): (\S+)/.exec(first.out())?.[1] ?? '';
  assert.match(token, /^lictor-manager-/);
  const leases = (t: string) => fetch(`${first.url}/v1/admin/leases`, { headers: { authorization: `Bearer ${t}` } });
  assert.equal((await leases(token)).status, 200);
  first.child.kill('SIGTERM');
  await new Promise((ok) => first.child.once('exit', ok));

  // Re-issued on the host: the next start takes the new token and refuses the old one.
  const reissued = await session.run('manager', 'reissue-admin-token', '--data', data);
  const fresh = /new admin API token \(shown once, keep it secret\): (\S+)/.exec(reissued)?.[1] ?? '';
  assert.match(fresh, /^lictor-manager-/);
  assert.notEqual(fresh, token);
  const second = await session.serve(...serveArgs(data));
  assert.doesNotMatch(second.out(), /admin API token/);
  const again = (t: string) => fetch(`${second.url}/v1/admin/leases`, { headers: { authorization: `Bearer ${t}` } });
  assert.equal((await again(fresh)).status, 200);
  assert.equal((await again(token)).status, 401);
  second.child.kill('SIGTERM');
  await new Promise((ok) => second.child.once('exit', ok));

  // The center's name for the same command, with --json: the token it prints opens the next start.
  const json = JSON.parse(await session.run('manager', 'admin-token', '--data', data, '--json')) as {
    dataDir: string;
    managerId: string;
    adminToken: string;
  };
  assert.equal(json.dataDir, data);
  assert.match(json.adminToken, /^lictor-manager-/);
  const third = await session.serve(...serveArgs(data));
  const latest = (t: string) => fetch(`${third.url}/v1/admin/leases`, { headers: { authorization: `Bearer ${t}` } });
  assert.equal((await latest(json.adminToken)).status, 200);
  assert.equal((await latest(fresh)).status, 401);
});

test('re-issuing the admin token of a host without a manager says how to make one', async (t) => {
  const { dir, session } = await dataDir(t, {});
  const { code, stderr } = await session.attempt('manager', 'admin-token', '--data', join(dir, 'none'));
  assert.equal(code, 1);
  assert.match(
    stderr,
    /error \[LICTOR_E_NOT_FOUND\]: no License Manager in .*manager\.json: 'lictor manager serve' makes one/,
  );
});
