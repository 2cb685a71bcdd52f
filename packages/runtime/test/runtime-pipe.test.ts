/**
 * `openRuntime({ pipe })`: a Windows named pipe instead of the Unix socket. Its name is checked
 * everywhere; on an OS without named pipes it is a typed refusal, before the state directory is
 * made (listening on a real pipe needs Windows, which these tests do not run on).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LictorError } from '@lictor/protocol';
import { listenerText, namedPipePath, openRuntime } from '../src/index.js';

const refusedWith = (code: string, details?: Record<string, unknown>) => (error: unknown) => {
  assert.ok(error instanceof LictorError, String(error));
  assert.equal(error.code, code, error.message);
  if (details) assert.deepEqual(error.details, details);
  return true;
};

test('namedPipePath: a name or \\\\.\\pipe\\name on Windows, a malformed name refused anywhere', () => {
  assert.equal(namedPipePath('lictor-runtime', 'win32'), '\\\\.\\pipe\\lictor-runtime');
  assert.equal(namedPipePath('\\\\.\\pipe\\Lictor.Runtime_2', 'win32'), '\\\\.\\pipe\\Lictor.Runtime_2');
  for (const bad of ['', 'a/b', 'a\\b', '..\\..\\x', '\\\\.\\pipe\\', '\\\\host\\pipe\\x', 'x'.repeat(201), 'é']) {
    for (const platform of ['win32', 'linux'] as const) {
      assert.throws(() => namedPipePath(bad, platform), refusedWith('LICTOR_E_INVALID_INPUT', { field: 'pipe' }), bad);
    }
  }
  for (const platform of ['linux', 'darwin', 'freebsd'] as const) {
    assert.throws(
      () => namedPipePath('lictor-runtime', platform),
      refusedWith('LICTOR_E_PLATFORM_UNSUPPORTED', { platform }),
    );
  }
});

test('openRuntime refuses a pipe where there are none, and a pipe with a socket, before making its state directory', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'lictor-rt-pipe-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const stateDir = join(root, 'state');
  await assert.rejects(
    openRuntime({ stateDir, pipe: 'lictor-runtime', port: null, platform: 'linux' }),
    refusedWith('LICTOR_E_PLATFORM_UNSUPPORTED', { platform: 'linux' }),
  );
  await assert.rejects(
    openRuntime({ stateDir, pipe: 'lictor-runtime', socket: join(root, 'rt.sock'), port: null, platform: 'win32' }),
    refusedWith('LICTOR_E_INVALID_INPUT', { field: 'pipe' }),
  );
  await assert.rejects(stat(stateDir), { code: 'ENOENT' });
});

test('listenerText: a named pipe reads pipe:, a Unix socket unix:', () => {
  assert.equal(listenerText('\\\\.\\pipe\\lictor-runtime'), 'pipe:\\\\.\\pipe\\lictor-runtime');
  assert.equal(listenerText('/run/lictor/runtime.sock'), 'unix:/run/lictor/runtime.sock');
});
