import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  confirmationMatches,
  decodeQuestionFile,
  type LicenseEntry,
  parseConfirmationCode,
  verifyUpgradeQuestion,
} from '@lictor/protocol';
import { upgradeRecordPath } from '../src/index.js';
import { activatedStore, answerQuestion, open, SECRET_B, vendor } from './container-fixtures.js';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-upgrade-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('remote upgrade', () => {
  test('start → answer → continue: new components, counter + 1, a confirmation code the vendor accepts', async () => {
    const { licensing, containerId } = await activatedStore(root);
    assert.equal(licensing.check('reports').ok, false);
    const [info] = licensing.containers();
    assert.equal(info?.id, containerId);
    assert.equal(info?.counter, 0);
    assert.equal(info?.upgradable, true);

    const started = await licensing.startUpgrade();
    assert.equal(started.containerId, containerId);
    assert.equal(started.abandoned, undefined);
    assert.match(started.question, /^-----BEGIN LICTOR QUESTION-----/);
    const question = decodeQuestionFile(started.question);
    assert.equal(verifyUpgradeQuestion(question, vendor.publicKey).counter, 0, "the container's key signed it");
    assert.equal(licensing.containers()[0]?.pendingQuestion?.nonce, started.nonce);

    const answer = answerQuestion(started.question, ['historian', 'reports']);
    const applied = await licensing.continueUpgrade(answer.text);
    assert.equal(applied.containerId, containerId);
    assert.equal(applied.counter, 1);
    assert.equal(licensing.check('reports').ok, true);
    assert.equal(licensing.containers()[0]?.counter, 1);
    assert.equal(licensing.containers()[0]?.pendingQuestion, undefined);
    const expected = { containerId, counter: 1, nonce: started.nonce, secret: answer.secret };
    assert.equal(confirmationMatches(parseConfirmationCode(applied.confirmationCode), expected), true);
    assert.equal(await licensing.confirmationCode(), applied.confirmationCode, 'the code can be shown again');
    assert.equal(await licensing.confirmationCode(containerId), applied.confirmationCode);
  });

  test('an answer that takes away: a removed feature is gone at check(), an ended license is expired, an added product is there', async () => {
    const { store, licensing } = await activatedStore(root);
    assert.equal(licensing.check('historian').ok, true);
    const original = licensing.status().find((f) => f.available)?.path;
    assert.ok(original);
    const before = await readFile(original, 'utf8');
    const first = await licensing.startUpgrade();
    // The vendor removed historian, kept reports, and added another product to the container.
    const taken = answerQuestion(first.question, ['reports'], (d) => ({
      ...d,
      licenses: [...d.licenses, { ...(d.licenses[0] as LicenseEntry), product: 'CAM' }],
    }));
    await licensing.continueUpgrade(taken.text);
    const gone = licensing.check('historian');
    assert.equal(!gone.ok && gone.code, 'LICTOR_E_FEATURE_NOT_LICENSED', JSON.stringify(gone));
    assert.equal(licensing.check('reports').ok, true);
    const cam = await open(store, { product: 'CAM' });
    assert.equal(cam.check('reports').ok, true);
    await cam.close();

    // A copy of the state before, kept and marked as used later than anything: still superseded.
    const current = licensing.status().find((f) => f.available);
    assert.ok(current);
    await writeFile(join(store, 'kept-copy.lic'), before);
    await writeFile(
      join(store, 'lictor-usage.json'),
      JSON.stringify({ [join(store, 'kept-copy.lic')]: 4102444800000 }),
    );
    await licensing.reload();
    const still = licensing.check('historian');
    assert.equal(!still.ok && still.code, 'LICTOR_E_FEATURE_NOT_LICENSED', JSON.stringify(still));
    await unlink(join(store, 'kept-copy.lic'));
    await licensing.reload();

    const second = await licensing.startUpgrade();
    const ended = answerQuestion(second.question, ['reports'], (d) => ({
      ...d,
      licenses: d.licenses.map((e) => ({ ...e, expiresAt: new Date(Date.now() - 1000).toISOString() })),
    }));
    await licensing.continueUpgrade(ended.text);
    const expired = licensing.check('reports');
    assert.equal(!expired.ok && expired.code, 'LICTOR_E_LICENSE_EXPIRED');
    await licensing.close();
  });

  test('an answer applies once: replaying it is STALE and changes nothing', async () => {
    const { store, licensing } = await activatedStore(root);
    const started = await licensing.startUpgrade();
    const answer = answerQuestion(started.question, ['reports']);
    const applied = await licensing.continueUpgrade(answer.text);
    const before = await readFile(applied.file, 'utf8');
    await assert.rejects(licensing.continueUpgrade(answer.text), {
      code: 'LICTOR_E_UPGRADE_STALE',
      message: /already applied on/,
    });
    assert.equal(await readFile(applied.file, 'utf8'), before);
    assert.equal((await open(store)).containers()[0]?.counter, 1);
  });

  test('interrupted after the license was replaced: continuing again finishes and shows the code', async () => {
    const { store, licensing, containerId } = await activatedStore(root);
    const started = await licensing.startUpgrade();
    const answer = answerQuestion(started.question, ['reports']);
    const file = licensing.containers()[0]?.file ?? '';
    await writeFile(file, answer.text);
    const reopened = await open(store);
    assert.equal(reopened.containers()[0]?.counter, 1);
    assert.equal(reopened.containers()[0]?.pendingQuestion?.nonce, started.nonce);
    const applied = await reopened.continueUpgrade(answer.text);
    const expected = { containerId, counter: 1, nonce: started.nonce, secret: answer.secret };
    assert.equal(confirmationMatches(parseConfirmationCode(applied.confirmationCode), expected), true);
    assert.equal(reopened.containers()[0]?.pendingQuestion, undefined);
    await assert.rejects(reopened.continueUpgrade(answer.text), { code: 'LICTOR_E_UPGRADE_STALE' });
  });

  test('starting again abandons the previous operation: its answer is ABANDONED, the newest applies', async () => {
    const { licensing } = await activatedStore(root);
    const first = await licensing.startUpgrade();
    const second = await licensing.startUpgrade();
    assert.deepEqual(second.abandoned?.nonce, first.nonce, 'the user is told the first one was abandoned');
    const oldAnswer = answerQuestion(first.question, ['reports']);
    await assert.rejects(licensing.continueUpgrade(oldAnswer.text), {
      code: 'LICTOR_E_UPGRADE_ABANDONED',
      message: /abandoned when a new one was started on .*send the newest question/,
    });
    assert.equal(licensing.containers()[0]?.counter, 0);
    const applied = await licensing.continueUpgrade(answerQuestion(second.question, ['reports']).text);
    assert.equal(applied.counter, 1);
  });

  test("another container's answer is MISMATCH", async () => {
    const a = await activatedStore(root);
    const b = await activatedStore(root);
    const answer = answerQuestion((await b.licensing.startUpgrade()).question, ['reports']);
    await a.licensing.startUpgrade();
    await assert.rejects(a.licensing.continueUpgrade(answer.text), { code: 'LICTOR_E_UPGRADE_MISMATCH' });
  });

  test('an answer for an older state is STALE', async () => {
    const { licensing } = await activatedStore(root);
    const first = await licensing.startUpgrade();
    await licensing.continueUpgrade(answerQuestion(first.question, ['reports']).text);
    await licensing.startUpgrade();
    const old = answerQuestion(first.question, ['reports', 'alarms']);
    await assert.rejects(licensing.continueUpgrade(old.text), {
      code: 'LICTOR_E_UPGRADE_STALE',
      message: /made for counter 0 .* now at counter 1/,
    });
    assert.equal(licensing.check('alarms').ok, false);
  });

  test('an answer without a started operation is NO_UPGRADE_PENDING; a plain license is FILE_FORMAT', async () => {
    const { store, licensing, containerId } = await activatedStore(root);
    const started = await licensing.startUpgrade();
    const answer = answerQuestion(started.question, ['reports']);
    await unlink(upgradeRecordPath(store, containerId));
    await assert.rejects(licensing.continueUpgrade(answer.text), { code: 'LICTOR_E_NO_UPGRADE_PENDING' });
    const plain = answerQuestion(started.question, ['reports'], ({ upgrade: _u, ...d }) => d);
    await assert.rejects(licensing.continueUpgrade(plain.text), { code: 'LICTOR_E_FILE_FORMAT' });
  });

  test('an answer that changes the owner or binding is MISMATCH', async () => {
    const { licensing } = await activatedStore(root);
    const started = await licensing.startUpgrade();
    const answer = answerQuestion(started.question, ['reports'], (d) => ({ ...d, owner: { company: 'Evil' } }));
    await assert.rejects(licensing.continueUpgrade(answer.text), { code: 'LICTOR_E_UPGRADE_MISMATCH' });
    assert.equal(licensing.containers()[0]?.counter, 0);
  });

  test('a confirmation secret sealed to another key does not open: TAMPERED, nothing changes', async () => {
    const a = await activatedStore(root);
    const b = await activatedStore(root);
    const started = await a.licensing.startUpgrade();
    const foreign = answerQuestion((await b.licensing.startUpgrade()).question, ['x']);
    const answer = answerQuestion(started.question, ['reports'], (d) => ({
      ...d,
      upgrade: { ...(d.upgrade as NonNullable<typeof d.upgrade>), confirm: foreign.doc.upgrade?.confirm ?? '' },
    }));
    await assert.rejects(a.licensing.continueUpgrade(answer.text), { code: 'LICTOR_E_CONTAINER_TAMPERED' });
    assert.equal(a.licensing.containers()[0]?.counter, 0);
  });

  test('several containers: the id is required (AMBIGUOUS lists them)', async () => {
    const a = await activatedStore(root);
    const b = await activatedStore(root);
    const both = await open(a.store, { paths: [a.store, b.store] });
    await assert.rejects(both.startUpgrade(), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'LICTOR_E_CONTAINER_AMBIGUOUS');
      assert.match(err.message, new RegExp(a.containerId));
      assert.match(err.message, new RegExp(b.containerId));
      return true;
    });
    assert.equal((await both.startUpgrade(b.containerId)).containerId, b.containerId);
  });

  test('the question is refused when the container cannot open its keys', async () => {
    const { store } = await activatedStore(root);
    const elsewhere = await open(store, { machineSecret: async () => SECRET_B });
    await assert.rejects(elsewhere.startUpgrade(), { code: 'LICTOR_E_CONTAINER_MOVED' });
  });
});

describe('container files', () => {
  const keyFile = async (store: string) => {
    const info = (await open(store)).containers()[0];
    assert.ok(info);
    return info.file.replace(/\.lic$/, '.key');
  };

  test('an edited key file makes the container TAMPERED (a standard license still works, not upgradable)', async () => {
    const { store } = await activatedStore(root);
    const file = await keyFile(store);
    const sealed = JSON.parse(await readFile(file, 'utf8')) as { sealed: string };
    sealed.sealed = `${sealed.sealed.slice(0, 10)}${sealed.sealed[10] === 'A' ? 'B' : 'A'}${sealed.sealed.slice(11)}`;
    await writeFile(file, JSON.stringify(sealed));
    const licensing = await open(store);
    const [info] = licensing.containers();
    assert.equal(info?.upgradable, false);
    assert.equal(info?.code, 'LICTOR_E_CONTAINER_TAMPERED');
    assert.equal(licensing.check().ok, true);
    await assert.rejects(licensing.startUpgrade(), { code: 'LICTOR_E_CONTAINER_TAMPERED' });
    await writeFile(file, 'not json');
    assert.equal((await open(store)).containers()[0]?.code, 'LICTOR_E_CONTAINER_TAMPERED');
  });

  test('a software dongle with an edited key file is unavailable, with the reason', async () => {
    const { store } = await activatedStore(root, 'software-dongle');
    assert.equal((await open(store)).check().ok, true);
    const file = await keyFile(store);
    await writeFile(file, (await readFile(file, 'utf8')).replace('"iv":"', '"iv":"AAAA'));
    const licensing = await open(store);
    const r = licensing.check();
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.code, 'LICTOR_E_CONTAINER_TAMPERED');
    assert.equal(licensing.status()[0]?.available, false);
  });

  test('a software dongle copied to another computer does not open there: MOVED, says why', async () => {
    const { store } = await activatedStore(root, 'software-dongle');
    const elsewhere = await open(store, { machineSecret: async () => SECRET_B });
    const r = elsewhere.check();
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.code, 'LICTOR_E_CONTAINER_MOVED');
    assert.match(!r.ok ? r.reason : '', /activated on another computer; it does not open here/);
    assert.equal(elsewhere.status()[0]?.code, 'LICTOR_E_CONTAINER_MOVED');
    assert.equal(elsewhere.containers()[0]?.code, 'LICTOR_E_CONTAINER_MOVED');
  });

  test('a software dongle without its key file is unavailable; a standard license is usable but not upgradable', async () => {
    const dongle = await activatedStore(root, 'software-dongle');
    await unlink(await keyFile(dongle.store));
    const r = (await open(dongle.store)).check();
    assert.equal(!r.ok && r.code, 'LICTOR_E_CONTAINER_TAMPERED');
    assert.match(!r.ok ? r.reason : '', /key file is missing/);

    const standard = await activatedStore(root);
    await unlink(await keyFile(standard.store));
    const licensing = await open(standard.store);
    assert.equal(licensing.check().ok, true);
    assert.equal(licensing.containers()[0]?.upgradable, false);
    assert.equal(licensing.containers()[0]?.code, 'LICTOR_E_UPGRADE_UNSUPPORTED');
    assert.equal(licensing.status()[0]?.container?.upgradable, false);
  });

  test('an edited license file is refused by its envelope', async () => {
    const { store } = await activatedStore(root);
    const file = (await open(store)).containers()[0]?.file ?? '';
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines[3] = `${lines[3]?.[0] === 'A' ? 'B' : 'A'}${lines[3]?.slice(1)}`;
    await writeFile(file, lines.join('\n'));
    const licensing = await open(store);
    assert.equal(licensing.status()[0]?.code, 'LICTOR_E_FILE_TAMPERED');
    assert.equal(licensing.check().ok, false);
  });

  test('key files are readable by their owner only', async () => {
    const { store } = await activatedStore(root);
    assert.equal((await stat(await keyFile(store))).mode & 0o777, 0o600);
  });
});
