/**
 * Killing `continueUpgrade` of a container on a hardware token (SoftHSM2) at any moment leaves the
 * token with the old license or the new one, and running it again completes. The child process
 * writes to the token; this process reads the token afterwards (SoftHSM2 shares the token
 * directory between processes).
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TOKEN_LICENSE_LABEL, TOKEN_UPGRADE_LABEL } from '@lictor/protocol';
import { openTokenModule, type TokenModule } from '@lictor/token';
import { createSoftHsm, type SoftHsm, USER_PIN } from '../../token/test/softhsm.js';
import { spawnScript, writeContinueScript } from './child-process.js';
import { answerQuestion, assertRunAgainCompletes, entry, HW, open, SECRET_A, vendor } from './container-fixtures.js';
import { keyedToken, modulePath, programToken, skipWithoutSoftHsm, tokenDoc } from './token-fixtures.js';

const RUNS = 12;

describe('crash safety of a token upgrade (SoftHSM2)', skipWithoutSoftHsm, () => {
  let softhsm: SoftHsm;
  let module: TokenModule;

  before(async () => {
    softhsm = await createSoftHsm();
    module = openTokenModule(modulePath);
  });

  after(async () => {
    await module?.close();
    await softhsm?.cleanup();
  });

  test(`killing 'upgrade continue' on a token at any moment leaves the old license or the new one (${RUNS} kills)`, async (t) => {
    const { token, binding } = await keyedToken(softhsm, module, 'crash');
    const doc = tokenDoc(binding, {
      containerId: 'c-crash',
      activationId: 'a-crash',
      serial: 'LX-TOKN-CRSH-AAAA',
      licenses: [entry(['f0'])],
    });
    await programToken(module, token, doc);
    // Logged in, to see the private objects (the pending operation) too.
    const session = await module.openToken({ serial: token.serial });
    await session.login(USER_PIN);

    const root = await mkdtemp(join(softhsm.root, 'crash-'));
    const tokens = { module: modulePath, pin: USER_PIN, intervalMs: 60_000 };
    const script = await writeContinueScript(root);
    const outcomes = { old: 0, new: 0, newStillPending: 0, twoCopies: 0 };
    let applyMs = 0;
    // The kill delays close in on the moment the token is written: between the last delay that left
    // the old license and the first that left the new one (widened again when timing drifts).
    let lo = 0;
    let hi = 0;
    for (let run = 0; run < RUNS; run++) {
      const store = await mkdtemp(join(root, 'store-'));
      const before = await open(store, { tokens });
      const n = before.containers()[0]?.counter ?? -1;
      const answer = answerQuestion((await before.startUpgrade('c-crash')).question, [`f${n + 1}`]);
      await before.close();
      const child = spawnScript(script, {
        store,
        answer: answer.text,
        publicKey: vendor.publicKey.text,
        hardware: HW,
        secret: [...SECRET_A],
        tokens,
      });
      await child.line((l) => l === 'ready');
      if (hi - lo < 2) [lo, hi] = [Math.max(0, lo - 5), hi + 5];
      const delay = run === 0 ? 0 : (lo + hi) / 2 + Math.random() * 2 - 1;
      await new Promise((r) => setTimeout(r, delay));
      if (run === 0) {
        // The first run is not killed: it measures how long applying takes here (about 60 ms).
        const done = await child.line((l) => l.startsWith('done '));
        applyMs = Number(done.split(' ')[2]);
        hi = applyMs * 1.5;
      }
      child.process.kill('SIGKILL');
      await child.exited;

      const listed = await session.listData();
      const stored = listed.find((d) => d.name === TOKEN_LICENSE_LABEL);
      assert.equal(stored?.damaged, false, `run ${run}: the license on the token is whole`);
      if ((stored?.copies ?? 0) > 1) outcomes.twoCopies++;
      const after = await open(store, { tokens });
      const [info] = after.containers();
      assert.equal(info?.upgradable, true, `run ${run}: ${info?.reason}`);
      const counter = info?.counter;
      assert.ok(counter === n || counter === n + 1, `run ${run}: counter ${counter}`);
      assert.equal(after.check(`f${n + 1}`).ok, counter === n + 1);
      outcomes[counter === n ? 'old' : 'new']++;
      if (run > 0 && counter === n) lo = delay;
      if (run > 0 && counter === n + 1) hi = delay;
      if (counter === n + 1 && info?.pendingQuestion !== undefined) outcomes.newStillPending++;

      // Running the same answer again finishes the operation, or says it was already applied.
      await assertRunAgainCompletes(after, answer.text, n, counter);
      await after.close();
      const cleaned = await session.listData();
      assert.equal(cleaned.find((d) => d.name === TOKEN_LICENSE_LABEL)?.copies, 1, `run ${run}: one copy left`);
      assert.equal(
        cleaned.some((d) => d.name === TOKEN_UPGRADE_LABEL),
        false,
      );
    }
    await session.close();
    t.diagnostic(
      `applying took ${applyMs} ms; the token was written about ${Math.round(lo)}-${Math.round(hi)} ms in; after the kills: ${JSON.stringify(outcomes)}`,
    );
    assert.equal(outcomes.old + outcomes.new, RUNS);
  });
});
