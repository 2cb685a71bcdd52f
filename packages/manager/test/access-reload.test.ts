/**
 * The access rules file of a running manager: read at open (broken: refused with the line),
 * changed on disk (new rules in force, no restart), broken on reload (old rules kept, event).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { LictorError, sha256, toHex } from '@lictor/protocol';
import { LicenseManager, type ManagerEvent, type PoolLicense } from '../src/index.js';
import { CAD as BASE_CAD } from './manager-fixture.js';

const CAD: PoolLicense = { ...BASE_CAD, seats: 10 };

/** A temporary directory, removed after the test once `before` (closing the manager) ran. */
async function tempDir(t: TestContext, before: (() => Promise<void>)[] = []): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lictor-access-reload-'));
  t.after(async () => {
    for (const fn of before) await fn();
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

function options(dir: string, seen: ManagerEvent[] = []) {
  return {
    stateFile: join(dir, 'leases.json'),
    licenses: [CAD],
    adminTokenHash: toHex(sha256('token')),
    id: 'mgr',
    reapIntervalMs: 60_000,
    accessRulesFile: join(dir, 'access.rules'),
    accessRulesPollMs: 50,
    onEvent: (e: ManagerEvent) => seen.push(e),
  };
}

/** Writes like careful editors do: a temporary file renamed over the old one. */
async function replaceFile(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let n = 0;
function kindFor(m: LicenseManager, user: string): string {
  n++;
  return m.acquire({
    product: 'cad',
    client: { host: `pc-${n}`, user, process: 'p', session: 's' },
    address: '10.0.0.1',
  }).kind;
}

test('a broken rules file at start refuses to open, naming the file and line', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'access.rules'), '# rules\ndeny cad usr bob\n');
  await assert.rejects(LicenseManager.open(options(dir)), (error: unknown) => {
    assert.ok(error instanceof LictorError);
    assert.equal(error.code, 'LICTOR_E_ACCESS_RULES_INVALID');
    assert.equal(error.message.startsWith(`${join(dir, 'access.rules')} line 2: unknown subject 'usr'`), true);
    assert.equal((error.details as { line: number }).line, 2);
    return true;
  });
});

test('changes take effect without a restart; a broken change keeps the rules in force', async (t) => {
  const closing: (() => Promise<void>)[] = [];
  const dir = await tempDir(t, closing);
  const file = join(dir, 'access.rules');
  await writeFile(file, 'deny cad user bob\n');
  const seen: ManagerEvent[] = [];
  const m = await LicenseManager.open(options(dir, seen));
  closing.push(() => m.close());
  const loads = () => seen.filter((e) => e.kind === 'access-rules-loaded').length;
  assert.equal(loads(), 1);
  assert.match(seen[0]?.detail ?? '', /1 access rule\(s\) from .*access\.rules/);
  assert.equal(kindFor(m, 'bob'), 'denied');
  assert.equal(kindFor(m, 'carol'), 'granted');

  await replaceFile(file, '# carol, not bob\ndeny cad user carol\n');
  await until('the new rules', () => loads() === 2);
  assert.equal(kindFor(m, 'bob'), 'granted');
  assert.equal(kindFor(m, 'carol'), 'denied');

  await replaceFile(file, 'deny cad user carol\nmax two cad user bob\n');
  await until('the rejection', () => seen.some((e) => e.kind === 'access-rules-rejected'));
  const rejected = m.events().find((e) => e.kind === 'access-rules-rejected');
  assert.match(rejected?.detail ?? '', /^LICTOR_E_ACCESS_RULES_INVALID: .*access\.rules line 2: 'max' needs a number/);
  assert.match(rejected?.detail ?? '', /rules in force before the change stay/);
  assert.equal(kindFor(m, 'carol'), 'denied', 'the previous rules stay in force');
  assert.equal(loads(), 2);
  // The same broken text is reported once, not at every poll.
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(seen.filter((e) => e.kind === 'access-rules-rejected').length, 1);

  // Written in place (truncate and write) rather than renamed: still picked up once settled.
  await writeFile(file, 'deny cad user dave\n');
  await until('the fixed rules', () => loads() === 3);
  assert.equal(kindFor(m, 'carol'), 'granted');
  assert.equal(kindFor(m, 'dave'), 'denied');

  await unlink(file);
  await until('the removal', () => loads() === 4);
  assert.match(m.events(1)[0]?.detail ?? '', /no access rules from .*\(removed\): every client may take seats/);
  assert.equal(kindFor(m, 'dave'), 'granted');
});

test('no rules file: every client may take seats, and a file created later is picked up', async (t) => {
  const closing: (() => Promise<void>)[] = [];
  const dir = await tempDir(t, closing);
  const seen: ManagerEvent[] = [];
  const m = await LicenseManager.open(options(dir, seen));
  closing.push(() => m.close());
  assert.match(seen[0]?.detail ?? '', /no access rules from .*\(no such file\)/);
  assert.equal(kindFor(m, 'bob'), 'granted');
  await replaceFile(join(dir, 'access.rules'), 'allow cad user ann\n');
  await until('the new file', () => m.accessRules().rules.length === 1);
  assert.equal(kindFor(m, 'bob'), 'denied');
  assert.equal(kindFor(m, 'ann'), 'granted');
});
