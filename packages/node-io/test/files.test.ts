import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { isErrno, readTextIfExists, writeFileAtomic } from '@lictor/node-io';

async function dir(t: TestContext): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'lictor-node-io-'));
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}

test('writeFileAtomic writes text, bytes or pieces, with the mode asked for, into a new directory', async (t) => {
  const d = await dir(t);
  const file = join(d, 'sub', 'state.json');
  await writeFileAtomic(file, ['{"a":', Buffer.from('1'), '}\n'], 0o600);
  assert.equal(await readFile(file, 'utf8'), '{"a":1}\n');
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  await writeFileAtomic(file, new TextEncoder().encode('two'));
  assert.equal(await readFile(file, 'utf8'), 'two');
  assert.deepEqual(await readdir(join(d, 'sub')), ['state.json']);
});

test('a write that fails halfway leaves the old file and no temporary file', async (t) => {
  const d = await dir(t);
  const file = join(d, 'license.lic');
  await writeFile(file, 'old');
  function* failing(): Generator<string> {
    yield 'new, half';
    throw new Error('disk full');
  }
  await assert.rejects(writeFileAtomic(file, failing()), /disk full/);
  assert.equal(await readFile(file, 'utf8'), 'old');
  assert.deepEqual(await readdir(d), ['license.lic']);
});

test('readTextIfExists: the text, undefined for no file, and other failures thrown', async (t) => {
  const d = await dir(t);
  await writeFile(join(d, 'a.txt'), 'hello');
  assert.equal(await readTextIfExists(join(d, 'a.txt')), 'hello');
  assert.equal(await readTextIfExists(join(d, 'missing.txt')), undefined);
  await assert.rejects(readTextIfExists(d), (e: unknown) => isErrno(e, 'EISDIR'));
});
