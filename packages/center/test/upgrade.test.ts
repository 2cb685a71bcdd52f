/**
 * Containers: the software-dongle policy, container keys, and remote upgrades (question, answer,
 * confirmation) on every engine, plus the admin routes. The container's side is reproduced with
 * protocol functions only.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, type TestContext, test } from 'node:test';
import {
  createConfirmationCode,
  createUpgradeQuestion,
  decodeLicenseFile,
  type ErrorCode,
  encodeQuestionFile,
  generateContainerKeys,
  type LicenseDocument,
  normalizeHardware,
  normalizeSerial,
  openFromContainer,
} from '@lictor/protocol';
import type { Center } from '../src/index.js';
import {
  activateContainer,
  addApp,
  type Container,
  computer,
  ENGINES,
  installAnswerCode,
  issue,
  OWNER,
  pinOf,
  rejectsWith,
  requestCode,
  requestFile,
  type ServerFixture,
  withCenter,
  withCenterServer,
} from './helpers.js';

const DAY = 86_400_000;
const CREATED = '2030-01-15T09:00:00.000Z';

/** The container asks a question about its current license. */
function ask(center: Center, c: Container, signWith = c.keys.private.sign): { text: string; nonce: string } {
  const doc = decodeLicenseFile(c.license, center.publicKey);
  const nonce = randomBytes(16).toString('base64url');
  const q = createUpgradeQuestion({ license: c.license, doc, nonce, createdAt: CREATED }, signWith);
  return { text: encodeQuestionFile(q), nonce };
}

/** The container applies an answer: the new state, its confirmation secret and code. */
function apply(
  center: Center,
  c: Container,
  answer: string,
): { doc: LicenseDocument; secret: Uint8Array; code: string } {
  const doc = decodeLicenseFile(answer, center.publicKey);
  assert.ok(doc.upgrade, 'an upgrade answer carries its stamp');
  const secret = openFromContainer(c.keys.private.box, doc.upgrade.confirm, 'upgrade-confirm');
  assert.ok(secret, "the confirmation secret opens with the container's key");
  const code = createConfirmationCode({
    containerId: doc.containerId,
    counter: doc.counter,
    nonce: doc.upgrade.nonce,
    secret,
  });
  c.license = answer;
  return { doc, secret, code };
}

for (const engine of ENGINES) {
  describe(`software dongles (${engine.name})`, { concurrency: true }, () => {
    test('a PIN is activated once: not again on the same computer, online, by file or by code; standard still reactivates', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const dongle = await issue(center, { policy: 'software-dongle', pins: 3, maxActive: 3 });
        assert.equal(dongle.policy, 'software-dongle');
        assert.equal((await center.getPackage(dongle.serial)).policy, 'software-dongle');
        const hw = computer(1);
        const first = await activateContainer(center, dongle, 1, hw);
        const doc = decodeLicenseFile(first.license, center.publicKey);
        assert.equal(doc.policy, 'software-dongle');
        const again = center.activate({ serial: dongle.serial, pin: pinOf(dongle, 1), owner: OWNER, hardware: hw });
        const refusal = await rejectsWith(again, 'LICTOR_E_PIN_USED');
        assert.match(refusal.message, /software dongle/);
        assert.match(refusal.message, /not transferable/);

        // By request file: the same request answered twice.
        const file = requestFile(dongle, 2, computer(2)).text;
        const answered = await center.answerRequest(file);
        assert.equal(decodeLicenseFile(answered.license, center.publicKey).policy, 'software-dongle');
        await rejectsWith(center.answerRequest(file), 'LICTOR_E_PIN_USED');
        await rejectsWith(center.previewRequest(file), 'LICTOR_E_PIN_USED');

        // By request code: the same code answered twice.
        const { code } = requestCode(dongle, 3, computer(3));
        await center.answerRequestCode(code, OWNER);
        await rejectsWith(center.answerRequestCode(code, OWNER), 'LICTOR_E_PIN_USED');

        const standard = await issue(center);
        assert.equal(standard.policy, 'standard');
        const req = { serial: standard.serial, pin: pinOf(standard, 1), owner: OWNER, hardware: computer(4) };
        await center.activate(req);
        const re = await center.activate(req);
        assert.equal(re.reactivated, true);
        assert.equal(decodeLicenseFile(re.license, center.publicKey).policy, undefined);
      });
    });

    test('a changed computer frees nothing: no transfer to its new activation', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { policy: 'software-dongle', pins: 2, maxActive: 1 });
        const first = await activateContainer(center, pkg, 1, computer(1));
        const changed = computer(1, { board: 'ASUS Z790' });
        await rejectsWith(activateContainer(center, pkg, 2, changed), 'LICTOR_E_ACTIVE_PIN_LIMIT');
        const views = await center.listActivations({ serial: pkg.serial });
        assert.deepEqual(
          views.map((v) => [v.id, v.status]),
          [[first.activationId, 'active']],
        );
      });
    });
  });

  describe(`remote upgrades (${engine.name})`, { concurrency: true }, () => {
    test('answers to one question at once: each is sealed outside the lock, the last stands, the others are superseded', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { type: 'multi', users: 5, features: [{ code: 'reports', users: null }] });
        const c = await activateContainer(center, pkg, 1, computer(1));
        const q = ask(center, c);
        const answers = await Promise.all(
          [2, 3, 4].map((users) => center.answerUpgrade(q.text, { users: [{ code: '*', users }] })),
        );
        const ids = answers.map((a) => a.upgradeId);
        assert.equal(new Set(ids).size, 3);
        for (const a of answers) assert.equal(a.toCounter, 1);
        const listed = await center.listUpgrades({ serial: pkg.serial });
        const pending = listed.filter((u) => u.status === 'pending');
        assert.equal(pending.length, 1, 'one answer stands');
        assert.equal(listed.filter((u) => u.status === 'superseded').length, 2);
        // The standing answer confirms; every answer is a valid next state of the container.
        const standing = answers.find((a) => a.upgradeId === pending[0]?.id);
        assert.ok(standing);
        for (const a of answers) assert.equal(decodeLicenseFile(a.answer, center.publicKey).counter, 1);
        const { code } = apply(center, c, standing.answer);
        assert.equal((await center.confirmUpgrade(code)).upgradeId, standing.upgradeId);
      });
    });

    test('add features, users and days: the answer is the next state for this container and question', async (t) => {
      await withCenter(t, engine, async ({ center, clock }) => {
        await addApp(center);
        const pkg = await issue(center, {
          type: 'multi',
          users: 5,
          days: 30,
          features: [{ code: 'reports', users: null }],
        });
        const c = await activateContainer(center, pkg, 1, computer(1));
        const before = decodeLicenseFile(c.license, center.publicKey);
        assert.deepEqual(before.containerKeys, c.keys.public);
        const view = (await center.listActivations({ serial: pkg.serial }))[0];
        assert.deepEqual(view?.containerKeys, c.keys.public);
        assert.equal(view?.counter, 0);

        clock.advanceDays(1);
        const q = ask(center, c);
        const answered = await center.answerUpgrade(q.text, {
          addFeatures: [{ code: 'export', users: 3 }],
          users: [
            { code: '*', users: 10 },
            { code: 'reports', users: 2 },
          ],
          extendDays: 10,
        });
        assert.equal(answered.fromCounter, 0);
        assert.equal(answered.toCounter, 1);
        assert.equal(answered.containerId, before.containerId);
        const { doc, secret, code } = apply(center, c, answered.answer);
        assert.equal(secret.length, 16);
        assert.equal(doc.counter, 1);
        assert.equal(doc.containerId, before.containerId);
        assert.deepEqual(doc.containerKeys, c.keys.public);
        assert.equal(doc.upgrade?.nonce, q.nonce);
        assert.equal(doc.upgrade?.fromCounter, 0);
        assert.equal(doc.issuedAt, clock.now().toISOString());
        const expected = {
          ...before.licenses[0]!,
          users: 10,
          expiresAt: new Date(Date.parse(before.licenses[0]!.expiresAt!) + 10 * DAY).toISOString(),
          features: [
            { code: 'reports', users: 2 },
            { code: 'export', users: 3 },
          ],
        };
        assert.deepEqual(doc.licenses, [expected]);
        assert.deepEqual(answered.summary, { product: 'app', before: before.licenses[0], after: expected, added: [] });

        const [pending] = await center.listUpgrades({ serial: pkg.serial });
        assert.equal(pending?.status, 'pending');
        assert.equal(pending?.confirmedAt, null);
        assert.equal((await center.listActivations({ serial: pkg.serial }))[0]?.counter, 1);

        const confirmed = await center.confirmUpgrade(code.toLowerCase());
        assert.deepEqual(confirmed, {
          upgradeId: answered.upgradeId,
          containerId: doc.containerId,
          serial: normalizeSerial(pkg.serial),
          counter: 1,
          confirmedAt: clock.now().toISOString(),
          alreadyConfirmed: false,
        });
        assert.equal((await center.confirmUpgrade(code)).alreadyConfirmed, true);
        const [listed] = await center.listUpgrades({ containerId: doc.containerId, status: 'confirmed' });
        assert.equal(listed?.id, answered.upgradeId);
        assert.equal(listed?.question, q.text);
        assert.equal(listed?.answer, answered.answer);
        assert.equal(listed?.confirmation, code);
        assert.deepEqual(listed?.changes, {
          addFeatures: [{ code: 'export', users: 3 }],
          users: [
            { code: '*', users: 10 },
            { code: 'reports', users: 2 },
          ],
          extendDays: 10,
        });
        assert.deepEqual(await center.listUpgrades({ status: 'pending' }), []);

        // The next upgrade starts from counter 1; an expired license is extended from now.
        clock.advanceDays(100);
        const extended = await center.answerUpgrade(ask(center, c).text, { extendDays: 5 });
        const next = apply(center, c, extended.answer).doc;
        assert.equal(next.counter, 2);
        assert.equal(next.licenses[0]?.expiresAt, new Date(clock.now().getTime() + 5 * DAY).toISOString());
        const perpetual = await center.answerUpgrade(ask(center, c).text, { expiresAt: null });
        assert.equal(perpetual.fromCounter, 2);
        assert.equal(perpetual.summary.after.expiresAt, null);
        const audit = await center.audit(20);
        assert.ok(audit.some((e) => e.action === 'upgrade.answer' && e.subject === answered.upgradeId));
        assert.ok(audit.some((e) => e.action === 'upgrade.confirm' && e.subject === answered.upgradeId));
      });
    });

    test('take away and change: remove a feature, lower users, shorten, expire now, single → multi, another product', async (t) => {
      await withCenter(t, engine, async ({ center, clock }) => {
        await addApp(center);
        await center.addProduct({ code: 'bi', name: 'BI', features: [{ code: 'olap' }, { code: 'cubes' }] });
        const pkg = await issue(center, {
          type: 'multi',
          users: 10,
          days: 30,
          features: [
            { code: 'reports', users: 5 },
            { code: 'export', users: null },
          ],
        });
        const c = await activateContainer(center, pkg, 1, computer(1));
        const start = decodeLicenseFile(c.license, center.publicKey).licenses[0]!;
        const shorter = new Date(clock.now().getTime() + 7 * DAY).toISOString();
        const takeAway = {
          removeFeatures: ['export'],
          users: [
            { code: '*', users: 3 },
            { code: 'reports', users: 2 },
          ],
          expiresAt: shorter,
        };
        const q1 = ask(center, c).text;
        // The preview decides the same answer and records nothing.
        const preview = await center.previewUpgrade(q1, takeAway);
        assert.deepEqual(await center.listUpgrades({ serial: pkg.serial }), []);
        assert.equal((await center.audit(50)).filter((e) => e.action === 'upgrade.answer').length, 0);
        await rejectsWith(center.previewUpgrade(q1, { removeFeatures: ['nope'] }), 'LICTOR_E_FEATURE_UNKNOWN');
        const taken = await center.answerUpgrade(q1, takeAway);
        assert.deepEqual(preview.summary, taken.summary);
        assert.equal(preview.toCounter, taken.toCounter);
        const after = { ...start, users: 3, expiresAt: shorter, features: [{ code: 'reports', users: 2 }] };
        assert.deepEqual(apply(center, c, taken.answer).doc.licenses, [after]);
        assert.deepEqual(taken.summary, { product: 'app', before: start, after, added: [] });
        const [row] = await center.listUpgrades({ serial: pkg.serial });
        assert.deepEqual(row?.changes, {
          removeFeatures: ['export'],
          users: [
            { code: '*', users: 3 },
            { code: 'reports', users: 2 },
          ],
          expiresAt: shorter,
        });
        const audited = (await center.audit(5)).find((e) => e.subject === taken.upgradeId);
        assert.deepEqual(audited?.details.before, start);
        assert.deepEqual(audited?.details.after, after);
        assert.deepEqual(audited?.details.described, [
          'app users: 10 → 3',
          `app expires: ${start.expiresAt} → ${shorter}`,
          'app feature reports users: 5 → 2',
          'app feature removed: export',
        ]);

        // Another product in the same container, then changed by naming it; the first is untouched.
        clock.advanceDays(1);
        const more = await center.answerUpgrade(ask(center, c).text, {
          addProducts: [{ product: 'bi', type: 'multi', users: 4, days: 10, features: [{ code: 'olap' }] }],
        });
        const bi = {
          product: 'bi',
          type: 'multi',
          users: 4,
          sessions: null,
          arch: null,
          expiresAt: new Date(clock.now().getTime() + 10 * DAY).toISOString(),
          features: [{ code: 'olap', users: null }],
        };
        assert.deepEqual(apply(center, c, more.answer).doc.licenses, [after, bi]);
        assert.deepEqual(more.summary.added, [bi]);
        assert.deepEqual(more.summary.before, more.summary.after, 'only added: the package product is unchanged');
        const biMore = await center.answerUpgrade(ask(center, c).text, {
          product: 'bi',
          addFeatures: [{ code: 'cubes', users: null }],
        });
        assert.equal(biMore.summary.product, 'bi');
        assert.deepEqual(apply(center, c, biMore.answer).doc.licenses[1]?.features, [
          { code: 'olap', users: null },
          { code: 'cubes', users: null },
        ]);

        // Expire now: the license ends at the answer's time.
        const ended = await center.answerUpgrade(ask(center, c).text, { expireNow: true });
        assert.equal(apply(center, c, ended.answer).doc.licenses[0]?.expiresAt, clock.now().toISOString());
        assert.deepEqual((await center.listUpgrades({ serial: pkg.serial }))[0]?.changes, { expireNow: true });

        // Refusals name the field.
        const q = ask(center, c).text;
        const refused = async (
          changes: Parameters<Center['answerUpgrade']>[1],
          field: string,
          code: ErrorCode = 'LICTOR_E_INVALID_INPUT',
        ) => {
          const e = await rejectsWith(center.answerUpgrade(q, changes), code);
          if (code === 'LICTOR_E_INVALID_INPUT') assert.equal(e.details?.field, field, e.message);
        };
        await refused({ removeFeatures: ['export'] }, 'removeFeatures[0]');
        await refused({ removeFeatures: ['nope'] }, '', 'LICTOR_E_FEATURE_UNKNOWN');
        await refused(
          { removeFeatures: ['reports'], addFeatures: [{ code: 'reports', users: null }] },
          'addFeatures[0].code',
        );
        await refused({ expireNow: true, extendDays: 3 }, 'expireNow');
        await refused({ type: 'single' }, 'type');
        await refused({ type: 'server' }, 'type');
        await refused({ arch: 'x86' }, 'arch');
        await refused({ addProducts: [{ product: 'bi', type: 'single' }] }, 'addProducts[0].product');
        await refused({ addProducts: [{ product: 'ghost', type: 'single' }] }, '', 'LICTOR_E_PRODUCT_UNKNOWN');
        await refused({ addProducts: [{ product: 'bi', type: 'multi' }] }, 'addProducts[0].users');
        await refused({ product: 'ghost', extendDays: 1 }, 'product');
      });
    });

    test('single → multi needs the users; client and server types do not change into each other', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { type: 'single', features: [] });
        const c = await activateContainer(center, pkg, 1, computer(1));
        const q = ask(center, c).text;
        const noUsers = await rejectsWith(center.answerUpgrade(q, { type: 'multi' }), 'LICTOR_E_INVALID_INPUT');
        assert.equal(noUsers.details?.field, 'users');
        const server = await rejectsWith(center.answerUpgrade(q, { type: 'server' }), 'LICTOR_E_INVALID_INPUT');
        assert.match(server.message, /client and server licenses/);
        const multi = await center.answerUpgrade(q, { type: 'multi', users: [{ code: '*', users: 25 }] });
        const doc = apply(center, c, multi.answer).doc;
        assert.equal(doc.licenses[0]?.type, 'multi');
        assert.equal(doc.licenses[0]?.users, 25);

        const srv = await issue(center, { type: 'server', arch: 'x86', features: [], pins: 1 });
        const s = await activateContainer(center, srv, 1, computer(2));
        const wider = await center.answerUpgrade(ask(center, s).text, { arch: 'x64' });
        assert.equal(apply(center, s, wider.answer).doc.licenses[0]?.arch, 'x64');
        const toSessions = await rejectsWith(
          center.answerUpgrade(ask(center, s).text, { type: 'server-sessions' }),
          'LICTOR_E_INVALID_INPUT',
        );
        assert.match(toSessions.message, /count differently/);
      });
    });

    test('a new question from the same counter supersedes the pending answer; a question older than a confirmed upgrade is stale', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { features: [] });
        const c = await activateContainer(center, pkg, 1, computer(1));
        const original = c.license;
        const first = await center.answerUpgrade(ask(center, c).text, {
          addFeatures: [{ code: 'reports', users: null }],
        });
        const second = await center.answerUpgrade(ask(center, c).text, {
          addFeatures: [{ code: 'export', users: null }],
        });
        const statuses = await center.listUpgrades({ serial: pkg.serial });
        assert.deepEqual(
          statuses.map((u) => [u.id, u.status]),
          [
            [second.upgradeId, 'pending'],
            [first.upgradeId, 'superseded'],
          ],
        );
        // The superseded answer's code is refused; the current one confirms.
        const stale = { license: original, keys: c.keys };
        await rejectsWith(
          center.confirmUpgrade(apply(center, stale, first.answer).code),
          'LICTOR_E_CONFIRMATION_INVALID',
        );
        const { code } = apply(center, c, second.answer);
        await center.confirmUpgrade(code);

        const old = { license: original, keys: c.keys };
        await rejectsWith(
          center.answerUpgrade(ask(center, old).text, { addFeatures: [{ code: 'reports', users: null }] }),
          'LICTOR_E_UPGRADE_STALE',
        );
        const from1 = await center.answerUpgrade(ask(center, c).text, { addFeatures: [{ code: 'reports', users: 4 }] });
        assert.equal(from1.toCounter, 2);
      });
    });

    test('forged, mistyped and foreign confirmation codes are refused', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { days: 10 });
        const c = await activateContainer(center, pkg, 1, computer(1));
        const answered = await center.answerUpgrade(ask(center, c).text, { extendDays: 10 });
        const { doc, code } = apply(center, c, answered.answer);
        const forged = createConfirmationCode({
          containerId: doc.containerId,
          counter: doc.counter,
          nonce: doc.upgrade?.nonce ?? '',
          secret: new Uint8Array(16),
        });
        await rejectsWith(center.confirmUpgrade(forged), 'LICTOR_E_CONFIRMATION_INVALID');
        const otherCounter = createConfirmationCode({
          containerId: doc.containerId,
          counter: 7,
          nonce: 'x',
          secret: new Uint8Array(16),
        });
        await rejectsWith(center.confirmUpgrade(otherCounter), 'LICTOR_E_CONFIRMATION_INVALID');
        const chars = [...code];
        const at = chars.findIndex((ch) => /[0-9A-Z]/.test(ch));
        chars[at] = chars[at] === 'A' ? 'B' : 'A';
        await rejectsWith(center.confirmUpgrade(chars.join('')), 'LICTOR_E_CODE_INVALID');
        await rejectsWith(center.confirmUpgrade(code.slice(0, -5)), 'LICTOR_E_CODE_INVALID');
        assert.equal((await center.listUpgrades())[0]?.status, 'pending');
        await center.confirmUpgrade(code);
      });
    });

    test('questions that cannot be answered: wrong signature, no keys, bad changes, blacklisted', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { pins: 3, maxActive: 3, features: [{ code: 'reports', users: null }] });
        const c = await activateContainer(center, pkg, 1, computer(1));
        const intruder = generateContainerKeys();
        await rejectsWith(
          center.answerUpgrade(ask(center, c, intruder.private.sign).text, { extendDays: 1 }),
          'LICTOR_E_SIGNATURE_INVALID',
        );
        await rejectsWith(center.answerUpgrade('not a question', { extendDays: 1 }), 'LICTOR_E_FILE_FORMAT');

        const q = ask(center, c).text;
        await rejectsWith(center.answerUpgrade(q, {}), 'LICTOR_E_INVALID_INPUT');
        await rejectsWith(
          center.answerUpgrade(q, { addFeatures: [{ code: 'nope', users: null }] }),
          'LICTOR_E_FEATURE_UNKNOWN',
        );
        await rejectsWith(center.answerUpgrade(q, { users: [{ code: 'nope', users: 2 }] }), 'LICTOR_E_FEATURE_UNKNOWN');
        await rejectsWith(
          center.answerUpgrade(q, { addFeatures: [{ code: 'reports', users: 2 }] }),
          'LICTOR_E_INVALID_INPUT',
        );
        await rejectsWith(center.answerUpgrade(q, { users: [{ code: '*', users: 2 }] }), 'LICTOR_E_INVALID_INPUT');
        await rejectsWith(center.answerUpgrade(q, { extendDays: 1, expiresAt: null }), 'LICTOR_E_INVALID_INPUT');
        await rejectsWith(center.answerUpgrade(q, { expiresAt: '2020-01-01T00:00:00Z' }), 'LICTOR_E_INVALID_INPUT');
        assert.deepEqual(await center.listUpgrades(), []);

        // Activated without keys: the question cannot be verified; reactivating with keys fixes it.
        const hw = computer(2);
        const bare = await center.activate({ serial: pkg.serial, pin: pinOf(pkg, 2), owner: OWNER, hardware: hw });
        const keys = generateContainerKeys();
        const noKeys = { license: bare.license, keys };
        await rejectsWith(
          center.answerUpgrade(ask(center, noKeys).text, { extendDays: 1 }),
          'LICTOR_E_UPGRADE_UNSUPPORTED',
        );
        const rekeyed = await activateContainer(center, pkg, 2, hw, keys);
        assert.equal(rekeyed.activationId, bare.activationId);
        assert.deepEqual(decodeLicenseFile(rekeyed.license, center.publicKey).containerKeys, keys.public);
        await center.answerUpgrade(ask(center, rekeyed).text, { addFeatures: [{ code: 'export', users: null }] });

        await center.addToBlacklist({ activationId: c.activationId, reason: 'chargeback' });
        await rejectsWith(center.answerUpgrade(ask(center, c).text, { extendDays: 1 }), 'LICTOR_E_BLACKLISTED');
      });
    });

    test('containers activated by request file and by request code upgrade too; a reactivation keeps the upgraded state', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { pins: 2, maxActive: 2, features: [] });

        // Request file: the keys travel in the request, the license and the activation keep them.
        const fileKeys = generateContainerKeys();
        const hw = normalizeHardware(computer(1));
        const file = requestFile(pkg, 1, hw, { nonce: 'nonce-1', containerKeys: fileKeys.public }).text;
        const byFile = await center.answerRequest(file);
        const fileContainer = { license: byFile.license, keys: fileKeys };
        assert.deepEqual(decodeLicenseFile(byFile.license, center.publicKey).containerKeys, fileKeys.public);
        const up = await center.answerUpgrade(ask(center, fileContainer).text, {
          addFeatures: [{ code: 'reports', users: 5 }],
        });
        await center.confirmUpgrade(apply(center, fileContainer, up.answer).code);
        // The same computer asks again (it lost its files): the license comes back upgraded.
        const again = await center.answerRequest(
          requestFile(pkg, 1, hw, { nonce: 'nonce-2', containerKeys: fileKeys.public }).text,
        );
        assert.equal(again.reactivated, true);
        const restored = decodeLicenseFile(again.license, center.publicKey);
        assert.equal(restored.counter, 1);
        assert.deepEqual(restored.licenses[0]?.features, [{ code: 'reports', users: 5 }]);

        // Request code: the keys are only inside the subject digest; the computer adds them to the
        // license it rebuilds, whose vendor signature covers them.
        const codeKeys = generateContainerKeys();
        const { code, pending } = requestCode(pkg, 2, computer(2), { containerKeys: codeKeys.public });
        const byCode = await center.answerRequestCode(code, OWNER);
        const codeContainer = {
          license: installAnswerCode(byCode.answer, pending, center.publicKey).text,
          keys: codeKeys,
        };
        const views = await center.listActivations({ serial: pkg.serial });
        assert.equal(views.find((v) => v.id === byCode.activationId)?.containerKeys, null);
        const upByCode = await center.answerUpgrade(ask(center, codeContainer).text, {
          addFeatures: [{ code: 'export', users: null }],
        });
        assert.deepEqual(apply(center, codeContainer, upByCode.answer).doc.licenses[0]?.features, [
          { code: 'export', users: null },
        ]);
        // An answer code cannot carry an upgraded state: the center says what to do instead.
        await center.confirmUpgrade(apply(center, codeContainer, upByCode.answer).code);
        await rejectsWith(center.answerRequestCode(code, OWNER), 'LICTOR_E_INVALID_INPUT');
      });
    });
  });
}

describe('upgrade admin routes', { concurrency: true }, () => {
  function withApp(t: TestContext, body: (f: ServerFixture) => Promise<void>): Promise<void> {
    return withCenterServer(t, { days: 30, features: [] }, body);
  }

  test('activate with keys, answer, confirm and list over HTTP; 401 and 400 with the field', async (t) => {
    await withApp(t, async ({ app, auth, pkg, center, clock }) => {
      const keys = generateContainerKeys();
      const body = { serial: pkg.serial, pin: pinOf(pkg, 1), owner: OWNER, hardware: computer(1) };
      const bad = await app.inject({
        method: 'POST',
        url: '/v1/activations',
        payload: { ...body, containerKeys: { sign: 'x'.repeat(65), box: 'y' } },
      });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().details.field, 'containerKeys.sign');
      const act = await app.inject({
        method: 'POST',
        url: '/v1/activations',
        payload: { ...body, containerKeys: keys.public },
      });
      assert.equal(act.statusCode, 201);
      const c = { license: act.json().license as string, keys };
      const q = ask(center, c);

      const unauthorized = await app.inject({
        method: 'POST',
        url: '/v1/admin/upgrades',
        payload: { question: q.text, extendDays: 1 },
      });
      assert.equal(unauthorized.statusCode, 401);
      const invalid = await app.inject({
        method: 'POST',
        url: '/v1/admin/upgrades',
        headers: auth,
        payload: { question: q.text, extendDays: 0 },
      });
      assert.equal(invalid.statusCode, 400);
      assert.equal(invalid.json().details.field, 'extendDays');
      const unknown = await app.inject({
        method: 'POST',
        url: '/v1/admin/upgrades',
        headers: auth,
        payload: { question: q.text, addFeatures: [{ code: 'nope', users: null }] },
      });
      assert.equal(unknown.statusCode, 400);
      assert.equal(unknown.json().code, 'LICTOR_E_FEATURE_UNKNOWN');

      const res = await app.inject({
        method: 'POST',
        url: '/v1/admin/upgrades',
        headers: auth,
        payload: { question: q.text, addFeatures: [{ code: 'export', users: 2 }], extendDays: 5 },
      });
      assert.equal(res.statusCode, 201);
      const answered = res.json() as {
        upgradeId: string;
        answer: string;
        toCounter: number;
        summary: { after: { features: unknown } };
      };
      assert.equal(answered.toCounter, 1);
      assert.deepEqual(answered.summary.after.features, [{ code: 'export', users: 2 }]);
      const { code } = apply(center, c, answered.answer);

      const pending = await app.inject({
        method: 'GET',
        url: `/v1/admin/upgrades?status=pending&serial=${pkg.serial}`,
        headers: auth,
      });
      assert.equal(pending.statusCode, 200);
      assert.deepEqual(
        pending.json().upgrades.map((u: { id: string; status: string }) => [u.id, u.status]),
        [[answered.upgradeId, 'pending']],
      );
      const badStatus = await app.inject({ method: 'GET', url: '/v1/admin/upgrades?status=done', headers: auth });
      assert.equal(badStatus.statusCode, 400);
      assert.equal(badStatus.json().details.field, 'status');

      const forged = await app.inject({
        method: 'POST',
        url: '/v1/admin/upgrades/confirm',
        headers: auth,
        payload: {
          code: createConfirmationCode({ containerId: 'c', counter: 1, nonce: 'n', secret: new Uint8Array(16) }),
        },
      });
      assert.equal(forged.statusCode, 400);
      assert.equal(forged.json().code, 'LICTOR_E_CONFIRMATION_INVALID');
      const confirmed = await app.inject({
        method: 'POST',
        url: '/v1/admin/upgrades/confirm',
        headers: auth,
        payload: { code },
      });
      assert.equal(confirmed.statusCode, 200);
      assert.equal(confirmed.json().upgradeId, answered.upgradeId);
      assert.equal(confirmed.json().alreadyConfirmed, false);
      const noCode = await app.inject({
        method: 'POST',
        url: '/v1/admin/upgrades/confirm',
        headers: auth,
        payload: {},
      });
      assert.equal(noCode.statusCode, 400);
      assert.equal(noCode.json().details.field, 'code');

      const listed = await app.inject({ method: 'GET', url: '/v1/admin/upgrades', headers: auth });
      const [view] = listed.json().upgrades as {
        status: string;
        question: string;
        answer: string;
        confirmation: string;
        changes: unknown;
      }[];
      assert.equal(view?.status, 'confirmed');
      assert.equal(view?.question, q.text);
      assert.equal(view?.answer, answered.answer);
      assert.equal(view?.confirmation, code);
      assert.deepEqual(view?.changes, { addFeatures: [{ code: 'export', users: 2 }], extendDays: 5 });
      const activations = await app.inject({ method: 'GET', url: '/v1/admin/activations', headers: auth });
      assert.equal(activations.json().activations[0].counter, 1);
      assert.deepEqual(activations.json().activations[0].containerKeys, keys.public);

      // Taking away over HTTP: remove the feature, end the license, add a product; listed as asked.
      await center.addProduct({ code: 'bi', name: 'BI', features: [{ code: 'olap' }] });
      const takeAway = await app.inject({
        method: 'POST',
        url: '/v1/admin/upgrades',
        headers: auth,
        payload: {
          question: ask(center, c).text,
          removeFeatures: ['export'],
          expireNow: true,
          addProducts: [{ product: 'bi', type: 'server', arch: 'x86' }],
        },
      });
      assert.equal(takeAway.statusCode, 201, takeAway.body);
      const took = takeAway.json() as {
        answer: string;
        summary: {
          before: unknown;
          after: { features: unknown; expiresAt: string };
          added: { product: string; arch: string; features: unknown }[];
        };
      };
      assert.deepEqual(took.summary.after.features, []);
      assert.equal(took.summary.after.expiresAt, clock.now().toISOString());
      assert.deepEqual(
        took.summary.added.map((e) => [e.product, e.arch, e.features]),
        [['bi', 'x86', [{ code: 'olap', users: null }]]],
      );
      assert.equal(apply(center, c, took.answer).doc.licenses.length, 2);
      const [latest] = (await app.inject({ method: 'GET', url: '/v1/admin/upgrades', headers: auth })).json()
        .upgrades as { changes: unknown }[];
      assert.deepEqual(latest?.changes, {
        removeFeatures: ['export'],
        expireNow: true,
        addProducts: [{ product: 'bi', type: 'server', arch: 'x86' }],
      });
      const badType = await app.inject({
        method: 'POST',
        url: '/v1/admin/upgrades',
        headers: auth,
        payload: { question: ask(center, c).text, type: 'combined' },
      });
      assert.equal(badType.statusCode, 400);
      assert.equal(badType.json().details.field, 'type');
      const previewed = await app.inject({
        method: 'POST',
        url: '/v1/admin/upgrades/preview',
        headers: auth,
        payload: { question: ask(center, c).text, removeFeatures: ['olap'], product: 'bi' },
      });
      assert.equal(previewed.statusCode, 200, previewed.body);
      assert.equal(previewed.json().summary.product, 'bi');
      assert.deepEqual(previewed.json().summary.after.features, []);
      assert.equal(previewed.json().answer, undefined, 'a preview carries no license');
      const noAuth = await app.inject({
        method: 'POST',
        url: '/v1/admin/upgrades/preview',
        payload: { question: ask(center, c).text, expireNow: true },
      });
      assert.equal(noAuth.statusCode, 401);
    });
  });
});
