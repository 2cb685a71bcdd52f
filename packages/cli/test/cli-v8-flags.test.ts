/**
 * The V8 flags `lictor` sets for itself before loading anything (`src/v8-flags.ts`): V8's memory
 * saver mode for `lictor runtime serve` on a V8 that has it (13 and later: Node 24), never on an
 * older one (Node 22's V8 warns about a flag it does not know), and not with `--no-memory-saver`.
 * Through the real `bin/lictor.js` on the Node that runs this test (CI runs 22 and 24: both ways).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { memorySaverFlag, v8FlagsFor } from '../src/v8-flags.js';
import { binSession, type Served } from './bin.js';

const NODE_22_V8 = '12.4.254.21-node.33';
const NODE_24_V8 = '13.6.233.17-node.37';

test('the memory saver flag is named for V8 13 and later only, and only for runtime serve', () => {
  assert.equal(memorySaverFlag(NODE_22_V8), undefined);
  assert.equal(memorySaverFlag(NODE_24_V8), '--memory-saver-mode');
  assert.equal(memorySaverFlag('garbage'), undefined);
  assert.deepEqual(v8FlagsFor(['runtime', 'serve', '--port', '0'], NODE_24_V8), ['--memory-saver-mode']);
  assert.deepEqual(v8FlagsFor(['runtime', 'serve', '--no-memory-saver'], NODE_24_V8), []);
  assert.deepEqual(v8FlagsFor(['runtime', 'serve'], NODE_22_V8), []);
  assert.deepEqual(v8FlagsFor(['runtime', 'status'], NODE_24_V8), []);
  assert.deepEqual(v8FlagsFor(['manager', 'serve'], NODE_24_V8), []);
});

test('lictor runtime serve turns the memory saver mode on where V8 has it, without a warning', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lictor-v8-flags-'));
  const bin = binSession({ ...process.env, LICTOR_RUNTIME_HOME: join(dir, 'state') });
  t.after(async () => {
    bin.killAll();
    await rm(dir, { recursive: true, force: true });
  });
  const has = memorySaverFlag() !== undefined;
  const stderr: string[] = [];
  const on = await bin.serve('runtime', 'serve', '--no-socket', '--port', '0', '--log-level', 'warn');
  on.child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  await on.waitFor(/sessions: at most/);
  const out = await allPrinted(on);
  assert.equal(/memory: V8's memory saver mode/.test(out), has, `V8 ${process.versions.v8}: ${out}`);
  const off = await bin.serve(
    'runtime',
    'serve',
    '--no-socket',
    '--port',
    '0',
    '--log-level',
    'warn',
    '--no-memory-saver',
  );
  await off.waitFor(/sessions: at most/);
  assert.doesNotMatch(await allPrinted(off), /memory saver/);
  // What V8 warns about an unknown flag comes first; both have stopped: all of it is here.
  assert.doesNotMatch(stderr.join(''), /flag/i);
});

/**
 * Everything `served` printed, once it has stopped (SIGTERM): its banner's lines are written one
 * by one and may arrive here in several reads, so the lines after the one waited for are read
 * only once the process is gone.
 */
async function allPrinted(served: Served): Promise<string> {
  const closed = new Promise((resolve) => served.child.once('close', resolve));
  served.child.kill('SIGTERM');
  await closed;
  return served.out();
}
