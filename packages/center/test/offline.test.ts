/** Offline activation by request file and by request code: the PIN rules of online activation, on every engine. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeLicenseFile, hardwareBindingOf, LictorError, normalizeHardware, subjectDigest } from '@lictor/protocol';
import {
  activationRequest,
  addApp,
  computer,
  ENGINES,
  installAnswerCode,
  issue,
  OWNER,
  pinOf,
  rejectsWith,
  requestCode,
  requestFile,
  withCenter,
  withStore,
} from './helpers.js';

const DAY = 86_400_000;

for (const engine of ENGINES) {
  describe(`offline activation by request file (${engine.name})`, { concurrency: true }, () => {
    test('the answer is a license for the request: its nonce, owner and hardware; recorded as a file activation', async (t) => {
      await withCenter(t, engine, async ({ center, clock }) => {
        await addApp(center);
        const pkg = await issue(center, { days: 30 });
        const hw = computer(1, { hostname: 'Plant-07' });
        // The owner exactly as typed on the computer: the license must carry it unchanged.
        const owner = { company: ' Initech ', email: 'it@initech.example' };
        const { text, request } = requestFile(pkg, 2, hw, { owner });
        const answered = await center.answerRequest(text, { clientIp: '192.0.2.9' });
        assert.equal(answered.reactivated, false);
        const doc = decodeLicenseFile(answered.license, center.publicKey);
        assert.equal(doc.requestNonce, request.nonce);
        assert.equal(doc.activationId, answered.activationId);
        assert.equal(doc.serial, pkg.serial);
        assert.equal(doc.pin, 2);
        assert.deepEqual(doc.owner, owner);
        assert.deepEqual(doc.binding, { kind: 'hardware', hardware: request.hardware });
        assert.equal(
          subjectDigest(doc.owner, hardwareBindingOf(doc).hardware),
          subjectDigest(owner, normalizeHardware(hw)),
        );
        const expiresAt = new Date(clock.now().getTime() + 30 * DAY).toISOString();
        assert.deepEqual(doc.licenses, [
          {
            product: 'app',
            type: 'single',
            users: 1,
            sessions: null,
            arch: null,
            expiresAt,
            features: [
              { code: 'export', users: null },
              { code: 'reports', users: null },
            ],
          },
        ]);
        assert.deepEqual(answered.preview, {
          serial: pkg.serial,
          product: 'app',
          productName: 'Accounting App',
          type: 'single',
          users: 1,
          sessions: null,
          arch: null,
          features: doc.licenses[0]?.features,
          expiresAt,
          owner,
          hostname: 'plant-07',
          createdAt: request.createdAt,
          pinIndex: 2,
          reactivation: false,
        });
        const [view] = await center.listActivations({ serial: pkg.serial });
        assert.equal(view?.channel, 'file');
        assert.equal(view?.requestNonce, request.nonce);
        assert.equal(view?.subject, subjectDigest(owner, request.hardware));
        assert.deepEqual(view?.hardware, request.hardware);
        assert.equal(view?.clientIp, '192.0.2.9');
        const [created] = await center.audit(1);
        assert.equal(created?.action, 'activation.create');
        assert.equal(created?.details.channel, 'file');
        assert.equal(created?.details.requestNonce, request.nonce);
      });
    });

    test('a preview shows what will be licensed and writes nothing', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { type: 'multi', users: 5, features: [{ code: 'reports', users: 3 }] });
        const { text, request } = requestFile(pkg, 1, computer(3));
        const auditBefore = await center.audit(1000);
        const preview = await center.previewRequest(text);
        assert.equal(preview.type, 'multi');
        assert.equal(preview.users, 5);
        assert.deepEqual(preview.features, [{ code: 'reports', users: 3 }]);
        assert.equal(preview.expiresAt, null);
        assert.equal(preview.hostname, 'host-3');
        assert.equal(preview.createdAt, request.createdAt);
        assert.equal(preview.reactivation, false);
        assert.deepEqual(await center.listActivations(), []);
        assert.deepEqual(await center.audit(1000), auditBefore);
        await center.answerRequest(text);
        assert.equal((await center.previewRequest(text)).reactivation, true);
      });
    });

    test('a wrong PIN and an unknown serial give the online refusal', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center);
        const other = await issue(center);
        const wrong = await rejectsWith(
          center.answerRequest(requestFile(pkg, 1, computer(1), { pin: pinOf(other, 1) }).text),
          'LICTOR_E_SERIAL_OR_PIN_INVALID',
        );
        await rejectsWith(
          center.previewRequest(requestFile(pkg, 1, computer(1), { pin: pinOf(other, 1) }).text),
          'LICTOR_E_SERIAL_OR_PIN_INVALID',
        );
        const unknown = await rejectsWith(
          center.answerRequest(requestFile({ ...pkg, serial: 'LX-0000-0000-0000' }, 1, computer(1)).text),
          'LICTOR_E_SERIAL_OR_PIN_INVALID',
        );
        assert.equal(wrong.message, unknown.message);
      });
    });

    test('a PIN activated online on another computer is refused; on the same computer it is a reactivation', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { maxActive: 2 });
        const first = await center.activate(activationRequest(pkg, 1, computer(1)));
        await rejectsWith(center.answerRequest(requestFile(pkg, 1, computer(2)).text), 'LICTOR_E_PIN_USED');
        const same = await center.answerRequest(requestFile(pkg, 1, computer(1)).text);
        assert.equal(same.reactivated, true);
        assert.equal(same.activationId, first.activationId);
      });
    });

    test('the limit of active PIN codes counts online and offline activations together', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { pins: 3, maxActive: 2 });
        await center.activate(activationRequest(pkg, 1, computer(1)));
        await center.answerRequest(requestFile(pkg, 2, computer(2)).text);
        const refused = await rejectsWith(
          center.answerRequest(requestFile(pkg, 3, computer(3)).text),
          'LICTOR_E_ACTIVE_PIN_LIMIT',
        );
        assert.deepEqual(refused.details, { active: 2, maxActive: 2 });
        await rejectsWith(center.previewRequest(requestFile(pkg, 3, computer(3)).text), 'LICTOR_E_ACTIVE_PIN_LIMIT');
      });
    });

    test('combined packages: an offline multi-user activation locks the single-user PIN codes', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { type: 'combined', pins: 2, users: 10 });
        const multi = await center.answerRequest(requestFile(pkg, 3, computer(1)).text);
        assert.equal(multi.preview.type, 'multi');
        assert.equal(multi.preview.users, 10);
        await rejectsWith(center.answerRequest(requestFile(pkg, 1, computer(2)).text), 'LICTOR_E_COMBINED_LOCKED');
        await rejectsWith(center.activate(activationRequest(pkg, 2, computer(3))), 'LICTOR_E_COMBINED_LOCKED');
      });
    });

    test('answering the same request twice, or a new request of the same computer, gives the same activation', async (t) => {
      await withCenter(t, engine, async ({ center, clock }) => {
        await addApp(center);
        const pkg = await issue(center, { days: 30 });
        const { text } = requestFile(pkg, 1, computer(1));
        const first = await center.answerRequest(text);
        clock.advanceDays(2);
        const again = await center.answerRequest(text);
        assert.equal(again.reactivated, true);
        assert.equal(again.activationId, first.activationId);
        const firstDoc = decodeLicenseFile(first.license, center.publicKey);
        const againDoc = decodeLicenseFile(again.license, center.publicKey);
        assert.equal(againDoc.containerId, firstDoc.containerId);
        assert.equal(
          againDoc.licenses[0]?.expiresAt,
          firstDoc.licenses[0]?.expiresAt,
          'days count from the activation',
        );
        // A new request after a RAM upgrade: the license binds what this request carries.
        const grown = computer(1, { ramBytes: 64 * 1024 ** 3 });
        const { text: text2, request: r2 } = requestFile(pkg, 1, grown, { createdAt: clock.now() });
        const third = await center.answerRequest(text2);
        assert.equal(third.activationId, first.activationId);
        const doc = decodeLicenseFile(third.license, center.publicKey);
        assert.deepEqual(hardwareBindingOf(doc).hardware, r2.hardware);
        assert.equal(doc.requestNonce, r2.nonce);
        assert.equal((await center.listActivations({ serial: pkg.serial })).length, 1);
      });
    });

    test('a changed computer: the new PIN retires its old activation, as online', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { pins: 2, maxActive: 1 });
        const old = await center.activate(activationRequest(pkg, 1, computer(1)));
        const changed = computer(1, { board: 'ASUS Z790' });
        const answered = await center.answerRequest(requestFile(pkg, 2, changed).text);
        const views = await center.listActivations({ serial: pkg.serial });
        assert.equal(views.find((a) => a.id === old.activationId)?.status, 'retired');
        assert.equal(views.find((a) => a.id === answered.activationId)?.status, 'active');
      });
    });

    test('requests older than the maximum age, or dated in the future, are refused', async (t) => {
      await withCenter(t, engine, async ({ center, clock }) => {
        await addApp(center);
        const pkg = await issue(center, { maxActive: 3 });
        const old = requestFile(pkg, 1, computer(1), { createdAt: new Date(clock.now().getTime() - 31 * DAY) });
        const expired = await rejectsWith(center.answerRequest(old.text), 'LICTOR_E_REQUEST_EXPIRED');
        assert.match(expired.message, /made on 2029-12-15, more than 30 days ago: make a new request/);
        await rejectsWith(center.previewRequest(old.text), 'LICTOR_E_REQUEST_EXPIRED');
        const almost = requestFile(pkg, 1, computer(1), { createdAt: new Date(clock.now().getTime() - 29 * DAY) });
        await center.answerRequest(almost.text);
        const ahead = requestFile(pkg, 2, computer(2), { createdAt: new Date(clock.now().getTime() + 2 * DAY) });
        const future = await rejectsWith(center.answerRequest(ahead.text), 'LICTOR_E_REQUEST_EXPIRED');
        assert.match(future.message, /clock of the requesting computer is wrong/);
        // A clock a few hours ahead (time zones, drift) is tolerated.
        const hoursAhead = requestFile(pkg, 2, computer(2), {
          createdAt: new Date(clock.now().getTime() + 5 * 3_600_000),
        });
        await center.answerRequest(hoursAhead.text);
      });
    });

    test('requestMaxAgeDays sets the maximum age', async (t) => {
      await withCenter(
        t,
        engine,
        async ({ center, clock }) => {
          await addApp(center);
          const pkg = await issue(center);
          const { text } = requestFile(pkg, 1, computer(1), { createdAt: new Date(clock.now().getTime() - 31 * DAY) });
          await center.answerRequest(text);
          const older = requestFile(pkg, 1, computer(1), { createdAt: new Date(clock.now().getTime() - 61 * DAY) });
          const refused = await rejectsWith(center.answerRequest(older.text), 'LICTOR_E_REQUEST_EXPIRED');
          assert.match(refused.message, /more than 60 days ago/);
        },
        { requestMaxAgeDays: 60 },
      );
    });

    test("a request for another product than the package's is refused, naming both", async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        await center.addProduct({ code: 'cad', name: 'CAD' });
        const pkg = await issue(center);
        const refused = await rejectsWith(
          center.answerRequest(requestFile(pkg, 1, computer(1), { product: 'cad' }).text),
          'LICTOR_E_INVALID_INPUT',
        );
        assert.match(refused.message, /for product cad, but package .* is for product app/);
        // No product in the request: any product's package answers it.
        await center.answerRequest(requestFile(pkg, 1, computer(1), { product: null }).text);
      });
    });

    test('corrupted, truncated and foreign texts are refused with the file codes', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center);
        const { text } = requestFile(pkg, 1, computer(1));
        const lines = text.split('\n');
        const line = lines[2] ?? '';
        lines[2] = `${line[0] === 'A' ? 'B' : 'A'}${line.slice(1)}`;
        await rejectsWith(center.answerRequest(lines.join('\n')), 'LICTOR_E_FILE_TAMPERED');
        await rejectsWith(center.answerRequest(text.slice(0, text.length / 2)), 'LICTOR_E_FILE_TRUNCATED');
        await rejectsWith(center.previewRequest('hello'), 'LICTOR_E_FILE_FORMAT');
        await rejectsWith(
          center.answerRequest('-----BEGIN LICTOR REQUEST-----\nTENUUg==\n-----END LICTOR REQUEST-----\n'),
          'LICTOR_E_FILE_TRUNCATED',
        );
        const license = '-----BEGIN LICTOR LICENSE-----\nAAAA\n-----END LICTOR LICENSE-----\n';
        const foreign = await rejectsWith(center.answerRequest(license), 'LICTOR_E_FILE_FORMAT');
        assert.match(foreign.message, /LICTOR LICENSE block, not a LICTOR REQUEST block/);
        assert.deepEqual(await center.listActivations(), []);
      });
    });

    test('a package issued without sealed PIN codes cannot be answered offline: activate it online', async (t) => {
      await withCenter(t, engine, async ({ center, config }) => {
        await addApp(center);
        const pkg = await issue(center);
        await withStore(config, async (store) => {
          await store.db.updateTable('pins').set({ pin_sealed: null }).where('serial', '=', pkg.serial).execute();
        });
        const refused = await rejectsWith(
          center.answerRequest(requestFile(pkg, 1, computer(1)).text),
          'LICTOR_E_INVALID_INPUT',
        );
        assert.match(refused.message, /issued before offline activation existed.*Activate it online/);
        await rejectsWith(
          center.answerRequestCode(requestCode(pkg, 1, computer(1)).code, OWNER),
          'LICTOR_E_INVALID_INPUT',
        );
        await center.activate(activationRequest(pkg, 1, computer(1)));
      });
    });

    test('offline answers and refusals are audited with channel and code, never with the PIN', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center);
        await center.answerRequest(requestFile(pkg, 1, computer(1)).text);
        await rejectsWith(center.answerRequest(requestFile(pkg, 1, computer(2)).text), 'LICTOR_E_PIN_USED');
        await rejectsWith(center.answerRequestCode('00000-0', OWNER), 'LICTOR_E_CODE_INVALID');
        const { code } = requestCode(pkg, 1, computer(3));
        await rejectsWith(center.answerRequestCode(code, OWNER), 'LICTOR_E_PIN_USED');
        const events = await center.audit();
        const [byCode, typo, used, created] = events;
        assert.equal(created?.action, 'activation.create');
        assert.equal(created?.details.channel, 'file');
        assert.deepEqual(
          [used?.action, used?.subject, used?.details.code, used?.details.channel],
          ['activation.refuse', pkg.serial, 'LICTOR_E_PIN_USED', 'file'],
        );
        assert.deepEqual([typo?.details.code, typo?.details.channel], ['LICTOR_E_CODE_INVALID', 'code']);
        assert.deepEqual(
          [byCode?.subject, byCode?.details.code, byCode?.details.channel],
          [pkg.serial, 'LICTOR_E_PIN_USED', 'code'],
        );
        const text = JSON.stringify(events);
        for (const p of pkg.pins) {
          assert.ok(!text.includes(p.pin), 'a PIN leaked into the audit');
          assert.ok(!text.includes(p.pin.replaceAll('-', '')), 'a PIN leaked into the audit');
        }
      });
    });

    test('20 concurrent offline answers of distinct PIN codes with maxActive 3: exactly 3 succeed', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { pins: 20, maxActive: 3 });
        const results = await Promise.allSettled(
          pkg.pins.map((p) =>
            p.index % 2 === 0
              ? center.answerRequest(requestFile(pkg, p.index, computer(2000 + p.index)).text)
              : center.answerRequestCode(requestCode(pkg, p.index, computer(2000 + p.index)).code, OWNER),
          ),
        );
        const ok = results.filter((r) => r.status === 'fulfilled');
        const refused = results.filter(
          (r) =>
            r.status === 'rejected' && r.reason instanceof LictorError && r.reason.code === 'LICTOR_E_ACTIVE_PIN_LIMIT',
        );
        assert.equal(ok.length, 3);
        assert.equal(refused.length, 17);
        assert.equal((await center.getPackage(pkg.serial)).activeCount, 3);
      });
    });
  });

  describe(`offline activation by request code (${engine.name})`, { concurrency: true }, () => {
    test('the answer code installs on the requesting computer as the same license the file path gives', async (t) => {
      await withCenter(t, engine, async ({ center, clock }) => {
        await addApp(center);
        // A clock between minutes: codes carry whole minutes, the expiry is rounded down.
        clock.set('2030-01-15T10:00:30.500Z');
        const pkg = await issue(center, { type: 'multi', users: 7, days: 30 });
        const hw = computer(5);
        const { code, pending } = requestCode(pkg, 2, hw, {
          owner: { company: 'Initech', email: 'it@initech.example' },
        });
        const typed = { company: 'Initech (by phone)', email: 'it@initech.example' };
        const answered = await center.answerRequestCode(code.toLowerCase().replaceAll('-', ' '), typed, {
          clientIp: '198.51.100.4',
        });
        assert.equal(answered.reactivated, false);
        assert.match(answered.activationId, /^[0-9a-f]{16}$/);
        assert.match(answered.answer, /^([0-9A-Z]{6}-)+[0-9A-Z]{6}$/);
        const { doc } = installAnswerCode(answered.answer, pending, center.publicKey);
        assert.equal(doc.activationId, answered.activationId);
        assert.equal(doc.containerId, answered.activationId);
        assert.equal(doc.serial, pkg.serial);
        assert.equal(doc.pin, 2);
        assert.equal(doc.issuedAt, '2030-01-15T10:00:00.000Z');
        assert.equal(doc.requestNonce, pending.nonce);
        assert.deepEqual(doc.owner, pending.owner);
        assert.deepEqual(hardwareBindingOf(doc).hardware, normalizeHardware(hw));
        assert.deepEqual(doc.licenses, [
          {
            product: 'app',
            type: 'multi',
            users: 7,
            sessions: null,
            arch: null,
            expiresAt: '2030-02-14T10:00:00.000Z',
            features: [
              { code: 'export', users: null },
              { code: 'reports', users: null },
            ],
          },
        ]);
        assert.equal(answered.preview.hostname, null);
        assert.deepEqual(answered.preview.owner, typed);
        assert.equal(answered.preview.createdAt, '2030-01-15T00:00:00.000Z');
        assert.equal(answered.preview.expiresAt, '2030-02-14T10:00:00.000Z');
        const [view] = await center.listActivations({ serial: pkg.serial });
        assert.equal(view?.id, answered.activationId);
        assert.equal(view?.containerId, answered.activationId);
        assert.equal(view?.channel, 'code');
        assert.equal(view?.hardware, null);
        assert.deepEqual(view?.owner, typed);
        assert.equal(view?.subject, subjectDigest(pending.owner, pending.hardware));
        assert.equal(view?.requestNonce, pending.nonce);
        assert.equal(view?.clientIp, '198.51.100.4');
      });
    });

    test('a wrong PIN is refused like online; so are a mistyped and an old code', async (t) => {
      await withCenter(t, engine, async ({ center, clock }) => {
        await addApp(center);
        const pkg = await issue(center);
        const other = await issue(center);
        await rejectsWith(
          center.answerRequestCode(requestCode(pkg, 1, computer(1), { pin: pinOf(other, 1) }).code, OWNER),
          'LICTOR_E_SERIAL_OR_PIN_INVALID',
        );
        const { code } = requestCode(pkg, 1, computer(1));
        const typo = `${code.slice(0, 8)}${code[8] === 'X' ? 'Y' : 'X'}${code.slice(9)}`;
        const mistyped = await rejectsWith(center.answerRequestCode(typo, OWNER), 'LICTOR_E_CODE_INVALID');
        assert.match(mistyped.message, /group 2/);
        const old = requestCode(pkg, 1, computer(1), { createdAt: new Date(clock.now().getTime() - 32 * DAY) });
        await rejectsWith(center.answerRequestCode(old.code, OWNER), 'LICTOR_E_REQUEST_EXPIRED');
        // Made 30 days ago, late that day: still within 30 days.
        const recent = requestCode(pkg, 1, computer(1), { createdAt: new Date(clock.now().getTime() - 30 * DAY) });
        const answered = await center.answerRequestCode(recent.code, OWNER);
        assert.equal(answered.reactivated, false);
      });
    });

    test("the product's required owner fields apply to what the vendor types", async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await center.addProduct({ code: 'cad', name: 'CAD', requiredOwnerFields: ['company', 'email', 'phone'] });
        const pkg = await center.issuePackage({ product: 'cad', type: 'single' });
        const { code } = requestCode(pkg, 1, computer(1));
        const missing = await rejectsWith(center.answerRequestCode(code, OWNER), 'LICTOR_E_OWNER_REQUIRED');
        assert.deepEqual(missing.details, { missing: ['phone'] });
        await center.answerRequestCode(code, { ...OWNER, phone: '+1 555 0100' });
      });
    });

    test('the same subject reactivates; another subject on the used PIN is refused', async (t) => {
      await withCenter(t, engine, async ({ center, clock }) => {
        await addApp(center);
        const pkg = await issue(center, { maxActive: 2 });
        const first = requestCode(pkg, 1, computer(1));
        const answered = await center.answerRequestCode(first.code, OWNER);
        clock.advanceDays(1);
        const again = requestCode(pkg, 1, computer(1), { createdAt: clock.now() });
        const re = await center.answerRequestCode(again.code, { company: 'someone else', email: 'x@y.example' });
        assert.equal(re.reactivated, true);
        assert.equal(re.activationId, answered.activationId);
        assert.equal(
          installAnswerCode(re.answer, again.pending, center.publicKey).doc.activationId,
          answered.activationId,
        );
        // Another computer, or another owner on the same computer: another subject.
        await rejectsWith(
          center.answerRequestCode(requestCode(pkg, 1, computer(2), { createdAt: clock.now() }).code, OWNER),
          'LICTOR_E_PIN_USED',
        );
        const otherOwner = { company: 'Other Ltd', email: 'x@other.example' };
        await rejectsWith(
          center.answerRequestCode(
            requestCode(pkg, 1, computer(1), { owner: otherOwner, createdAt: clock.now() }).code,
            otherOwner,
          ),
          'LICTOR_E_PIN_USED',
        );
        await rejectsWith(center.activate(activationRequest(pkg, 1, computer(2))), 'LICTOR_E_PIN_USED');
      });
    });

    test('across channels: a code activation reactivates online; an online one cannot be resent as a code', async (t) => {
      await withCenter(t, engine, async ({ center, config }) => {
        await addApp(center);
        const pkg = await issue(center, { maxActive: 2 });
        const byCode = await center.answerRequestCode(requestCode(pkg, 1, computer(1)).code, OWNER);
        const res = await center.activate(activationRequest(pkg, 1, computer(1)));
        assert.equal(res.reactivated, true);
        assert.equal(res.activationId, byCode.activationId);
        const doc = decodeLicenseFile(res.license, center.publicKey);
        assert.equal(doc.containerId, byCode.activationId);
        assert.deepEqual(hardwareBindingOf(doc).hardware, normalizeHardware(computer(1)));
        const file = await center.answerRequest(requestFile(pkg, 1, computer(1)).text);
        assert.equal(file.activationId, byCode.activationId);

        const second = await center.activate(activationRequest(pkg, 2, computer(2)));
        // As for activations made before subjects were stored: the subject is computed from the row.
        await withStore(config, async (store) => {
          await store.db
            .updateTable('activations')
            .set({ subject: null })
            .where('id', '=', second.activationId)
            .execute();
        });
        await rejectsWith(center.answerRequestCode(requestCode(pkg, 2, computer(3)).code, OWNER), 'LICTOR_E_PIN_USED');
        const refused = await rejectsWith(
          center.answerRequestCode(requestCode(pkg, 2, computer(2)).code, OWNER),
          'LICTOR_E_INVALID_INPUT',
        );
        assert.match(refused.message, /cannot be sent as an answer code/);
        assert.equal((await center.listActivations({ serial: pkg.serial })).length, 2);
      });
    });

    test('a license that an answer code cannot carry is refused before anything is recorded', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { type: 'multi', users: 70_000 });
        const refused = await rejectsWith(
          center.answerRequestCode(requestCode(pkg, 1, computer(1)).code, OWNER),
          'LICTOR_E_INVALID_INPUT',
        );
        assert.match(refused.message, /cannot be sent as an answer code: users/);
        assert.deepEqual(await center.listActivations(), []);
        await center.answerRequest(requestFile(pkg, 1, computer(1)).text);
      });
    });
  });
}
