/**
 * Remote upgrade of a container stored on a hardware token, through `openLicensing` with the
 * `tokens` option, against SoftHSM2: a running application sees the upgrade through its `change`
 * event, the token proves its key when the answer is applied, and an interrupted apply completes.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  confirmationMatches,
  decodeLicenseFile,
  fromUtf8,
  parseConfirmationCode,
  TOKEN_LICENSE_LABEL,
  TOKEN_UPGRADE_LABEL,
  utf8,
} from '@lictor/protocol';
import { FakeScheduler } from '@lictor/protocol/testing';
import { openTokenModule, type TokenModule } from '@lictor/token';
import { createSoftHsm, type SoftHsm, type TestToken, USER_PIN } from '../../token/test/softhsm.js';
import { type ChangeEvent, type Licensing, type LicensingOptions, tokenContainerPath } from '../src/index.js';
import { answerQuestion, open, vendor } from './container-fixtures.js';
import {
  afterOneInterval,
  CHANGE_BOUND_MS,
  INTERVAL_MS,
  keyedToken,
  modulePath,
  nextChange,
  programToken,
  skipWithoutSoftHsm,
  tokenDoc,
  withTimeout,
} from './token-fixtures.js';

/** The next `change` event naming `path`. */
function nextChangeOf(licensing: Licensing, path: string): Promise<ChangeEvent> {
  return nextChange(licensing, (event) => event.changed.includes(path));
}

describe('remote upgrade of a token container (SoftHSM2)', skipWithoutSoftHsm, () => {
  let softhsm: SoftHsm;
  let root: string;
  let module: TokenModule;
  const opened: Licensing[] = [];

  async function openWithTokens(
    options: Partial<LicensingOptions> = {},
    scheduler?: FakeScheduler,
  ): Promise<Licensing> {
    const licensing = await open(await mkdtemp(join(root, 'store-')), {
      tokens: { module: modulePath, pin: USER_PIN, intervalMs: INTERVAL_MS, ...(scheduler ? { scheduler } : {}) },
      ...options,
    });
    opened.push(licensing);
    return licensing;
  }

  /** A token programmed as `lictor center token program` does: its own key, the license and the container keys. */
  async function programmedToken(
    label: string,
  ): Promise<{ token: TestToken; path: string; containerId: string; keyFiles: Map<string, Buffer> }> {
    const { token, binding, keyFiles } = await keyedToken(softhsm, module, label);
    const containerId = `c-${label}`;
    await programToken(
      module,
      token,
      tokenDoc(binding, { containerId, activationId: `a-${label}`, serial: 'LX-TOKN-UPGR-AAAA' }),
    );
    return { token, path: tokenContainerPath(binding.token), containerId, keyFiles };
  }

  /** The counter of the license in a token's memory, and whether a pending operation is there. */
  async function onToken(token: TestToken): Promise<{ counter: number; pending: boolean }> {
    const session = await module.openToken({ serial: token.serial });
    try {
      await session.login(USER_PIN);
      const license = await session.readData(TOKEN_LICENSE_LABEL);
      assert.ok(license, `the token ${token.label} holds a license`);
      const { counter } = decodeLicenseFile(fromUtf8(license) ?? '', vendor.publicKey);
      return { counter, pending: (await session.readData(TOKEN_UPGRADE_LABEL)) !== null };
    } finally {
      await session.close();
    }
  }

  async function licenseCopies(token: TestToken): Promise<number | undefined> {
    const session = await module.openToken({ serial: token.serial });
    try {
      return (await session.listData()).find((d) => d.name === TOKEN_LICENSE_LABEL)?.copies;
    } finally {
      await session.close();
    }
  }

  before(async () => {
    softhsm = await createSoftHsm();
    root = await mkdtemp(join(softhsm.root, 'stores-'));
    module = openTokenModule(modulePath);
  });

  after(async () => {
    for (const l of opened) await l.close();
    await module?.close();
    await softhsm?.cleanup();
  });

  test('a running application sees the token upgraded by another program through its change event', async () => {
    const { path, containerId } = await programmedToken('running');
    const scheduler = new FakeScheduler();
    const app = await openWithTokens({ watch: true }, scheduler);
    const missing = app.check('reports');
    assert.equal(!missing.ok && missing.code, 'LICTOR_E_FEATURE_NOT_LICENSED');

    // Another program (what `lictor upgrade` is) asks, and applies the vendor's answer.
    const tool = await openWithTokens({ watch: false });
    const started = await tool.startUpgrade(containerId);
    assert.equal(started.containerId, containerId);
    assert.equal(
      tool.containers().find((c) => c.id === containerId)?.pendingQuestion?.nonce,
      started.nonce,
      'the pending question is on the token',
    );
    const answer = answerQuestion(started.question, ['historian', 'reports']);
    const appSaw = nextChangeOf(app, path);
    const toolSaw = nextChangeOf(tool, path);
    const applied = await tool.continueUpgrade(answer.text);
    assert.equal(applied.counter, 1);
    assert.equal(applied.file, path);
    assert.ok(
      confirmationMatches(parseConfirmationCode(applied.confirmationCode), {
        containerId,
        counter: 1,
        nonce: answer.nonce,
        secret: answer.secret,
      }),
      'the confirmation code proves the upgrade to the vendor',
    );
    await withTimeout(toolSaw, CHANGE_BOUND_MS, "the applying instance's change event");
    assert.equal(tool.check('reports').ok, true);

    // The running application's next look at its token (one presence check, one look for changes).
    const event = await afterOneInterval(scheduler, 2, appSaw, "the running application's change event");
    assert.deepEqual(event.changed, [path]);
    assert.equal(event.tokens, undefined, 'the token was not plugged or pulled');
    const licensed = app.check('reports');
    assert.equal(licensed.ok, true, JSON.stringify(licensed));
    const container = app.containers().find((c) => c.id === containerId);
    assert.equal(container?.counter, 1);
    assert.equal(container?.pendingQuestion, undefined);
    assert.equal(await app.confirmationCode(containerId), applied.confirmationCode);
  });

  test('the token proves its key when the answer is applied, whatever the loaded state says', async () => {
    const { token, containerId, keyFiles } = await programmedToken('pulled');
    // A long interval: the monitor still believes the token present when the answer comes.
    const tool = await openWithTokens({
      watch: false,
      tokens: { module: modulePath, pin: USER_PIN, intervalMs: 60_000 },
    });
    const answer = answerQuestion((await tool.startUpgrade(containerId)).question, ['historian', 'trends']);

    await softhsm.unplug(token);
    await tool.reload();
    const loaded = tool.containers().find((c) => c.id === containerId);
    assert.equal(loaded?.upgradable, true, "the loaded state still trusts the monitor's last proof");
    await assert.rejects(tool.continueUpgrade(answer.text), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'LICTOR_E_TOKEN_ABSENT', err.message);
      return true;
    });
    await softhsm.replug(token);
    // SoftHSM2 lists a token put back only after a re-initialization (hardware modules at once).
    await module.reinitialize();
    assert.deepEqual(await onToken(token), { counter: 0, pending: true });

    // The same serial number, the same data objects, but not the key: what a forged token is.
    for (const name of keyFiles.keys()) await rm(join(token.dir, name));
    await module.reinitialize();
    await tool.reload();
    assert.equal(tool.containers().find((c) => c.id === containerId)?.upgradable, true);
    await assert.rejects(tool.continueUpgrade(answer.text), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'LICTOR_E_TOKEN_NOT_GENUINE', err.message);
      assert.match(err.message, /holds no private key for the registered public key/);
      return true;
    });
    assert.deepEqual(await onToken(token), { counter: 0, pending: true });

    for (const [name, bytes] of keyFiles) await writeFile(join(token.dir, name), bytes);
    await module.reinitialize();
    const applied = await tool.continueUpgrade(answer.text);
    assert.equal(applied.counter, 1);
    assert.deepEqual(await onToken(token), { counter: 1, pending: false });
  });

  test('refused answers change nothing; an apply interrupted while replacing the license completes when run again', async () => {
    const { token, containerId } = await programmedToken('interrupted');
    const tool = await openWithTokens({ watch: false });
    const abandoned = answerQuestion((await tool.startUpgrade(containerId)).question, ['historian', 'alarms']);
    const question = (await tool.startUpgrade(containerId)).question;
    const answer = answerQuestion(question, ['historian', 'alarms']);
    await assert.rejects(tool.continueUpgrade(abandoned.text), { code: 'LICTOR_E_UPGRADE_ABANDONED' });
    const otherOwner = answerQuestion(question, ['historian'], (d) => ({ ...d, owner: { company: 'Globex' } }));
    await assert.rejects(tool.continueUpgrade(otherOwner.text), { code: 'LICTOR_E_UPGRADE_MISMATCH' });
    assert.deepEqual(await onToken(token), { counter: 0, pending: true }, 'refused answers change nothing');

    // What a power cut in the middle of applying can leave: the new license copy written, the old
    // copy not yet destroyed (SoftHSM2: its files put back), the operation still pending.
    const files = new Map<string, Buffer>();
    for (const name of await readdir(token.dir)) files.set(name, await readFile(join(token.dir, name)));
    const session = await module.openToken({ serial: token.serial });
    await session.login(USER_PIN);
    await session.writeData(TOKEN_LICENSE_LABEL, utf8(answer.text), { private: false });
    await session.close();
    const left = new Set(await readdir(token.dir));
    for (const [name, bytes] of files) if (!left.has(name)) await writeFile(join(token.dir, name), bytes);
    await module.reinitialize(); // SoftHSM2 reads the token directory again
    assert.deepEqual(await onToken(token), { counter: 1, pending: true });
    assert.equal(await licenseCopies(token), 2);

    const completed = await tool.continueUpgrade(answer.text);
    assert.equal(completed.counter, 1);
    assert.ok(
      confirmationMatches(parseConfirmationCode(completed.confirmationCode), {
        containerId: completed.containerId,
        counter: 1,
        nonce: answer.nonce,
        secret: answer.secret,
      }),
    );
    assert.deepEqual(await onToken(token), { counter: 1, pending: false });
    assert.equal(await licenseCopies(token), 1, 'the older copy is gone');
    await assert.rejects(tool.continueUpgrade(answer.text), { code: 'LICTOR_E_UPGRADE_STALE' });
  });
});
