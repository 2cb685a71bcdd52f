import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FakeScheduler } from '@lictor/protocol/testing';
import type { ChangeEvent } from '../src/index.js';
import { spawnScript, writeScript } from './child-process.js';
import { activatedStore, answerQuestion, HW, open, SECRET_A, vendor } from './container-fixtures.js';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-reload-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

function nextChange(licensing: { on(e: 'change', l: (e: ChangeEvent) => void): () => void }, timeoutMs = 5000) {
  return new Promise<ChangeEvent>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no change event')), timeoutMs);
    const off = licensing.on('change', (event) => {
      clearTimeout(timer);
      off();
      resolve(event);
    });
  });
}

describe('hot reload', () => {
  test('a running application sees an upgrade applied by another Licensing, with a change event', async () => {
    const { store } = await activatedStore(root);
    // The poll runs when the test moves the fake clock, not on real time.
    const scheduler = new FakeScheduler(Date.now());
    const app = await open(store, { scheduler, watch: true, watchIntervalMs: 100 });
    try {
      assert.equal(app.check('reports').ok, false);
      const tool = await open(store);
      const started = await tool.startUpgrade();
      const changed = nextChange(app);
      const applied = await tool.continueUpgrade(answerQuestion(started.question, ['reports']).text);
      scheduler.advance(100);
      const event = await changed;
      assert.deepEqual(event.changed, [applied.file]);
      assert.equal(app.check('reports').ok, true, 'the snapshot is in place when the event fires');
      assert.equal(app.containers()[0]?.counter, 1);
    } finally {
      app.close();
    }
  });

  test('files that appear and disappear are reported; close() stops the events', async () => {
    const store = await mkdtemp(join(root, 'empty-'));
    const scheduler = new FakeScheduler(Date.now());
    const app = await open(store, { scheduler, watch: true, watchIntervalMs: 100 });
    try {
      assert.equal(app.check().ok, false);
      const added = nextChange(app);
      const other = await activatedStore(root);
      const file = other.licensing.containers()[0]?.file ?? '';
      await writeFile(join(store, 'copy.lic'), await readFile(file, 'utf8'));
      scheduler.advance(100);
      assert.deepEqual((await added).added, [join(store, 'copy.lic')]);
      assert.equal(app.check().ok, true);
      const removed = nextChange(app);
      await unlink(join(store, 'copy.lic'));
      scheduler.advance(100);
      assert.deepEqual((await removed).removed, [join(store, 'copy.lic')]);
      assert.equal(app.check().ok, false);
      await app.close();
      // Closed: no watcher, and no timer left that could run the poll, however far time moves.
      assert.equal(scheduler.pending, 0);
      let fired = false;
      app.on('change', () => {
        fired = true;
      });
      await writeFile(join(store, 'copy.lic'), await readFile(file, 'utf8'));
      scheduler.advance(60_000);
      await new Promise((r) => setImmediate(r));
      assert.equal(fired, false);
    } finally {
      app.close();
    }
  });

  test('an application in another process picks up a new feature without restart', async () => {
    const { store } = await activatedStore(root);
    const script = await writeScript(
      root,
      'app.mjs',
      `const licensing = await openLicensing({
  product: 'SCADA', publicKey: args.publicKey, paths: [args.store],
  hardware: async () => args.hardware, machineSecret: async () => Uint8Array.from(args.secret),
  watchIntervalMs: 200,
});
licensing.on('change', () => console.log('change ' + licensing.check('reports').ok));
console.log('ready ' + licensing.check('reports').ok);
setInterval(() => {}, 1000);`,
    );
    const child = spawnScript(script, {
      store,
      publicKey: vendor.publicKey.text,
      hardware: HW,
      secret: [...SECRET_A],
    });
    try {
      assert.equal(await child.line((l) => l.startsWith('ready')), 'ready false');
      const tool = await open(store);
      const started = await tool.startUpgrade();
      const t0 = Date.now();
      await tool.continueUpgrade(answerQuestion(started.question, ['reports']).text);
      await child.line((l) => l === 'change true', 5000);
      assert.ok(Date.now() - t0 < 5000);
    } finally {
      child.process.kill('SIGKILL');
      await child.exited;
    }
  });
});
