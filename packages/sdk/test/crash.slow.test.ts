import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { spawnScript, writeContinueScript } from './child-process.js';
import {
  activatedStore,
  answerQuestion,
  assertRunAgainCompletes,
  HW,
  open,
  SECRET_A,
  vendor,
} from './container-fixtures.js';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-crash-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const RUNS = 32;

test(`killing 'upgrade continue' at any moment leaves the old state or the new one (${RUNS} kills)`, async () => {
  const { store } = await activatedStore(root);
  const script = await writeContinueScript(root);
  const outcomes = { old: 0, new: 0, finished: 0 };
  for (let run = 0; run < RUNS; run++) {
    const before = await open(store);
    const n = before.containers()[0]?.counter ?? -1;
    const started = await before.startUpgrade();
    const answer = answerQuestion(started.question, [`f${n + 1}`]);
    const child = spawnScript(script, {
      store,
      answer: answer.text,
      publicKey: vendor.publicKey.text,
      hardware: HW,
      secret: [...SECRET_A],
    });
    await child.line((l) => l === 'ready');
    // Increasing delays, with a random part, sweep the steps of continueUpgrade.
    const delay = Math.floor((run / RUNS) * 12 + Math.random() * 3);
    await new Promise((r) => setTimeout(r, delay));
    child.process.kill('SIGKILL');
    const exit = await child.exited;
    if (exit.signal !== 'SIGKILL') outcomes.finished++;

    const after = await open(store);
    const files = after.status();
    assert.equal(files.length, 1, `run ${run}: one license file`);
    assert.equal(files[0]?.available, true, `run ${run}: ${files[0]?.reason}`);
    const [info] = after.containers();
    assert.equal(info?.upgradable, true, `run ${run}: ${info?.reason}`);
    const counter = info?.counter;
    assert.ok(counter === n || counter === n + 1, `run ${run}: counter ${counter}`);
    assert.equal(after.check(`f${n + 1}`).ok, counter === n + 1);
    assert.equal(after.check(`f${n}`).ok, counter === n && n > 0);
    outcomes[counter === n ? 'old' : 'new']++;

    // Running the same answer again finishes the operation, or says it was already applied.
    await assertRunAgainCompletes(after, answer.text, n, counter);
  }
  assert.equal((await readdir(store)).filter((f) => f.endsWith('.lic')).length, 1);
  console.log(`kills: ${JSON.stringify(outcomes)}`);
});
