/** The PIN rules of activation, on every database engine. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeBlacklist, decodeLicenseFile, LictorError, normalizeHardware } from '@lictor/protocol';
import { Migrator } from 'kysely';
import { MIGRATIONS, migrateToLatest } from '../src/store/migrate.js';
import { migrateOptions } from '../src/store/open.js';
import {
  activationRequest,
  addApp,
  computer,
  ENGINES,
  issue,
  OWNER,
  rejectsWith,
  withCenter,
  withStore,
} from './helpers.js';

for (const engine of ENGINES) {
  describe(`activation rules (${engine.name})`, { concurrency: true }, () => {
    test('a first activation returns a signed license for this computer and owner', async (t) => {
      await withCenter(t, engine, async ({ center, clock }) => {
        await addApp(center);
        const pkg = await issue(center, { days: 30 });
        const hw = computer(1, { nics: ['02-00-00-00-00-AA'], hostname: 'Host-One' });
        const res = await center.activate(activationRequest(pkg, 2, hw), { clientIp: '192.0.2.7' });
        assert.equal(res.reactivated, false);
        const doc = decodeLicenseFile(res.license, center.publicKey);
        assert.equal(doc.activationId, res.activationId);
        assert.equal(doc.serial, pkg.serial);
        assert.equal(doc.pin, 2);
        assert.equal(doc.counter, 0);
        assert.deepEqual(doc.owner, OWNER);
        assert.deepEqual(doc.binding, { kind: 'hardware', hardware: normalizeHardware(hw) });
        assert.equal(doc.licenses.length, 1);
        const [entry] = doc.licenses;
        assert.equal(entry?.type, 'single');
        assert.equal(entry?.product, 'app');
        assert.equal(entry?.users, 1);
        assert.deepEqual(entry?.features, [
          { code: 'export', users: null },
          { code: 'reports', users: null },
        ]);
        const expected = new Date(clock.now().getTime() + 30 * 86_400_000).toISOString();
        assert.equal(entry?.expiresAt, expected);
        const [view] = await center.listActivations({ serial: pkg.serial });
        assert.equal(view?.clientIp, '192.0.2.7');
        assert.equal(view?.status, 'active');
      });
    });

    test('serial and PIN are accepted as typed (case, spaces, confusable letters)', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center);
        const pin = pkg.pins[0]!.pin;
        const typedSerial = ` ${pkg.serial.toLowerCase().replaceAll('-', ' ')} `;
        const typedPin = pin.toLowerCase().replaceAll('0', 'o').replaceAll('1', 'l').replaceAll('-', '');
        const res = await center.activate({ serial: typedSerial, pin: typedPin, owner: OWNER, hardware: computer(1) });
        assert.equal(res.reactivated, false);
      });
    });

    test('a wrong serial and a wrong PIN give the same refusal', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center);
        const other = await issue(center);
        const unknownSerial = await rejectsWith(
          center.activate({ ...activationRequest(pkg, 1, computer(1)), serial: 'LX-0000-0000-0000' }),
          'LICTOR_E_SERIAL_OR_PIN_INVALID',
        );
        const wrongPin = await rejectsWith(
          center.activate({ ...activationRequest(pkg, 1, computer(1)), pin: other.pins[0]!.pin }),
          'LICTOR_E_SERIAL_OR_PIN_INVALID',
        );
        assert.equal(unknownSerial.message, wrongPin.message);
        assert.match(wrongPin.message, /check both/);
      });
    });

    test('the same owner on the same computer reactivates and gets the same activation', async (t) => {
      await withCenter(t, engine, async ({ center, clock }) => {
        await addApp(center);
        const pkg = await issue(center, { days: 30 });
        const first = await center.activate(activationRequest(pkg, 1, computer(1)));
        const firstDoc = decodeLicenseFile(first.license, center.publicKey);
        clock.advanceDays(5);
        // Owner spelled differently, a NIC and RAM added: still the same owner and computer.
        const grown = computer(1, { nics: [...computer(1).nics, '02:00:00:00:ff:ff'], ramBytes: 32 * 1024 ** 3 });
        const again = await center.activate(
          activationRequest(pkg, 1, grown, { company: ' acme  corp ', email: 'IT@ACME.example' }),
        );
        assert.equal(again.reactivated, true);
        assert.equal(again.activationId, first.activationId);
        const doc = decodeLicenseFile(again.license, center.publicKey);
        assert.equal(doc.containerId, firstDoc.containerId);
        assert.deepEqual(doc.binding, firstDoc.binding, 'the binding stays the hardware at activation');
        assert.equal(doc.licenses[0]?.expiresAt, firstDoc.licenses[0]?.expiresAt, 'days count from the activation');
        assert.notEqual(doc.issuedAt, firstDoc.issuedAt);
        assert.equal((await center.listActivations({ serial: pkg.serial })).length, 1);
      });
    });

    test('a PIN already activated elsewhere or for another owner is refused', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { maxActive: 3 });
        await center.activate(activationRequest(pkg, 1, computer(1)));
        const elsewhere = await rejectsWith(
          center.activate(activationRequest(pkg, 1, computer(2))),
          'LICTOR_E_PIN_USED',
        );
        assert.match(elsewhere.message, /use another PIN code/);
        await rejectsWith(
          center.activate(activationRequest(pkg, 1, computer(1), { company: 'Other Ltd', email: 'x@other.example' })),
          'LICTOR_E_PIN_USED',
        );
      });
    });

    test('no more PIN codes than maxActive are active at once', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { pins: 3, maxActive: 2 });
        await center.activate(activationRequest(pkg, 1, computer(1)));
        await center.activate(activationRequest(pkg, 2, computer(2)));
        const refused = await rejectsWith(
          center.activate(activationRequest(pkg, 3, computer(3))),
          'LICTOR_E_ACTIVE_PIN_LIMIT',
        );
        assert.match(refused.message, /2 of 2 PIN codes/);
        assert.match(refused.message, /deactivate one or sell more/);
        assert.deepEqual(refused.details, { active: 2, maxActive: 2 });
      });
    });

    test('combined packages: a multi-user activation locks the single-user PIN codes', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { type: 'combined', pins: 2, users: 10 });
        assert.deepEqual(
          pkg.pins.map((p) => p.kind),
          ['single', 'single', 'multi'],
        );
        assert.equal(pkg.maxActive, 3);
        const multi = await center.activate(activationRequest(pkg, 3, computer(1)));
        const entry = decodeLicenseFile(multi.license, center.publicKey).licenses[0];
        assert.equal(entry?.type, 'multi');
        assert.equal(entry?.users, 10);
        const refused = await rejectsWith(
          center.activate(activationRequest(pkg, 1, computer(2))),
          'LICTOR_E_COMBINED_LOCKED',
        );
        assert.match(refused.message, /multi-user PIN code/);
      });
    });

    test('combined packages: a single-user activation locks the multi-user PIN code', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { type: 'combined', pins: 2, users: 10 });
        const single = await center.activate(activationRequest(pkg, 1, computer(1)));
        const entry = decodeLicenseFile(single.license, center.publicKey).licenses[0];
        assert.equal(entry?.type, 'single');
        assert.equal(entry?.users, 1);
        await center.activate(activationRequest(pkg, 2, computer(2)));
        const refused = await rejectsWith(
          center.activate(activationRequest(pkg, 3, computer(3))),
          'LICTOR_E_COMBINED_LOCKED',
        );
        assert.match(refused.message, /single-user PIN code/);
      });
    });

    test('changed hardware: a new PIN retires the old activation, the old PIN cannot come back', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { pins: 3, maxActive: 1 });
        const original = computer(1);
        const first = await center.activate(activationRequest(pkg, 1, original));
        // Same machine (same NIC and disk), new motherboard: no longer matches the activation.
        const changed = computer(1, { board: 'ASUS Z790' });
        await rejectsWith(center.activate(activationRequest(pkg, 1, changed)), 'LICTOR_E_PIN_USED');
        const second = await center.activate(activationRequest(pkg, 2, changed));
        assert.equal(second.reactivated, false);
        const views = await center.listActivations({ serial: pkg.serial });
        const old = views.find((a) => a.id === first.activationId);
        assert.equal(old?.status, 'retired');
        assert.equal(old?.retiredReason, 'hardware changed');
        assert.equal(views.find((a) => a.id === second.activationId)?.status, 'active');
        await rejectsWith(center.activate(activationRequest(pkg, 1, original)), 'LICTOR_E_PIN_USED');
        const again = await center.activate(activationRequest(pkg, 2, changed));
        assert.equal(again.reactivated, true);
        const view = await center.getPackage(pkg.serial);
        assert.deepEqual(
          view.pins.map((p) => p.status),
          ['retired', 'active', 'unused'],
        );
        const audit = await center.audit(20);
        assert.ok(audit.some((e) => e.action === 'activation.retire' && e.subject === first.activationId));
      });
    });

    test('an expired package refuses activation', async (t) => {
      await withCenter(t, engine, async ({ center, clock }) => {
        await addApp(center);
        const end = new Date(clock.now().getTime() + 10 * 86_400_000).toISOString();
        const pkg = await issue(center, { expiresAt: end, days: 365 });
        const res = await center.activate(activationRequest(pkg, 1, computer(1)));
        const entry = decodeLicenseFile(res.license, center.publicKey).licenses[0];
        assert.equal(entry?.expiresAt, end, 'the absolute end comes before activation + days');
        clock.advanceDays(11);
        const refused = await rejectsWith(
          center.activate(activationRequest(pkg, 2, computer(2))),
          'LICTOR_E_PACKAGE_EXPIRED',
        );
        assert.match(refused.message, /expired on/);
      });
    });

    test('a blacklisted serial refuses activation, also as a reactivation', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { maxActive: 2 });
        await center.activate(activationRequest(pkg, 1, computer(1)));
        await center.addToBlacklist({ serial: pkg.serial.toLowerCase(), reason: 'chargeback' });
        await center.addToBlacklist({ serial: pkg.serial, reason: 'chargeback again' });
        await rejectsWith(center.activate(activationRequest(pkg, 2, computer(2))), 'LICTOR_E_BLACKLISTED');
        await rejectsWith(center.activate(activationRequest(pkg, 1, computer(1))), 'LICTOR_E_BLACKLISTED');
        assert.equal((await center.getPackage(pkg.serial)).status, 'blacklisted');
        const list = decodeBlacklist(await center.blacklistFile(), center.publicKey);
        assert.deepEqual([...list.serials], [pkg.serial]);
      });
    });

    test('a blacklisted activation is revoked: its PIN stays used, its place is freed', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { maxActive: 1 });
        const first = await center.activate(activationRequest(pkg, 1, computer(1)));
        await center.addToBlacklist({ activationId: first.activationId, reason: 'leaked license file' });
        await rejectsWith(center.activate(activationRequest(pkg, 1, computer(1))), 'LICTOR_E_BLACKLISTED');
        await center.activate(activationRequest(pkg, 2, computer(2)));
        const list = decodeBlacklist(await center.blacklistFile(), center.publicKey);
        assert.deepEqual([...list.activations], [first.activationId]);
        await rejectsWith(center.addToBlacklist({ activationId: 'nope', reason: 'x' }), 'LICTOR_E_NOT_FOUND');
        await rejectsWith(center.addToBlacklist({ serial: 'LX-0000-0000-0000', reason: 'x' }), 'LICTOR_E_NOT_FOUND');
        await rejectsWith(center.addToBlacklist({ reason: 'x' }), 'LICTOR_E_INVALID_INPUT');
      });
    });

    test("the product's required owner fields must be filled, and the e-mail must look like one", async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await center.addProduct({ code: 'cad', name: 'CAD', requiredOwnerFields: ['company', 'email', 'phone'] });
        const pkg = await center.issuePackage({ product: 'cad', type: 'single' });
        const missing = await rejectsWith(
          center.activate(activationRequest(pkg, 1, computer(1), { company: '  ', email: 'a@b.example' })),
          'LICTOR_E_OWNER_REQUIRED',
        );
        assert.deepEqual(missing.details, { missing: ['company', 'phone'] });
        assert.match(missing.message, /company, phone/);
        const badEmail = await rejectsWith(
          center.activate(activationRequest(pkg, 1, computer(1), { company: 'A', email: 'not-an-email', phone: '1' })),
          'LICTOR_E_INVALID_INPUT',
        );
        assert.deepEqual(badEmail.details, { field: 'owner.email' });
        await center.activate(
          activationRequest(pkg, 1, computer(1), { company: 'A', email: 'a@b.example', phone: '1' }),
        );
      });
    });

    test('malformed hardware is refused as invalid input', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center);
        const bad = { ...computer(1), ramBytes: -1 };
        const refused = await rejectsWith(center.activate(activationRequest(pkg, 1, bad)), 'LICTOR_E_INVALID_INPUT');
        assert.deepEqual(refused.details, { field: 'hardware' });
      });
    });

    test('every activation and refusal is audited, never with the PIN', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center);
        await center.activate(activationRequest(pkg, 1, computer(1)));
        await rejectsWith(center.activate(activationRequest(pkg, 1, computer(2))), 'LICTOR_E_PIN_USED');
        const events = await center.audit();
        const [refusal, created] = events;
        assert.equal(refusal?.action, 'activation.refuse');
        assert.equal(refusal?.subject, pkg.serial);
        assert.equal(refusal?.details.code, 'LICTOR_E_PIN_USED');
        assert.equal(created?.action, 'activation.create');
        const text = JSON.stringify(events);
        for (const p of pkg.pins) {
          assert.ok(!text.includes(p.pin), 'a PIN leaked into the audit');
          assert.ok(!text.includes(p.pin.replaceAll('-', '')), 'a PIN leaked into the audit');
        }
        assert.equal((await center.audit(1)).length, 1);
      });
    });

    test('50 concurrent activations of a package with maxActive 5: exactly 5 succeed', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { pins: 50, maxActive: 5 });
        const results = await Promise.allSettled(
          pkg.pins.map((p) => center.activate(activationRequest(pkg, p.index, computer(1000 + p.index)))),
        );
        const ok = results.filter((r) => r.status === 'fulfilled');
        const refused = results.filter(
          (r) =>
            r.status === 'rejected' && r.reason instanceof LictorError && r.reason.code === 'LICTOR_E_ACTIVE_PIN_LIMIT',
        );
        assert.equal(ok.length, 5);
        assert.equal(refused.length, 45);
        assert.equal((await center.getPackage(pkg.serial)).activeCount, 5);
      });
    });

    test('20 concurrent activations of one PIN on one computer: one activation, the others reactivate it', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { pins: 3, maxActive: 1 });
        const results = await Promise.all(
          Array.from({ length: 20 }, () => center.activate(activationRequest(pkg, 1, computer(7)))),
        );
        const ids = new Set(results.map((r) => r.activationId));
        assert.equal(ids.size, 1);
        assert.equal(results.filter((r) => !r.reactivated).length, 1);
        assert.equal((await center.listActivations({ serial: pkg.serial })).length, 1);
        assert.equal((await center.getPackage(pkg.serial)).activeCount, 1);
      });
    });

    test('20 concurrent activations of one PIN on 20 computers: exactly one succeeds, the others get PIN_USED', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { pins: 3, maxActive: 3 });
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => center.activate(activationRequest(pkg, 2, computer(100 + i)))),
        );
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        const refused = results.filter(
          (r) => r.status === 'rejected' && r.reason instanceof LictorError && r.reason.code === 'LICTOR_E_PIN_USED',
        );
        assert.equal(refused.length, 19);
        assert.equal((await center.getPackage(pkg.serial)).activeCount, 1);
      });
    });

    test('a changed computer activating 10 PINs at once retires its old activation once and keeps to the limit', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { pins: 12, maxActive: 3 });
        const old = await center.activate(activationRequest(pkg, 1, computer(1)));
        await center.activate(activationRequest(pkg, 2, computer(2)));
        // Computer 1 with a new motherboard: the same computer (its NIC and disk), changed.
        const changed = computer(1, { board: 'ASUS Z790' });
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) => center.activate(activationRequest(pkg, 3 + i, changed))),
        );
        // The first retires the old activation and takes its place; the others are the same
        // computer again, new PINs beside it, within the two places left.
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2);
        const refused = results.filter(
          (r) =>
            r.status === 'rejected' && r.reason instanceof LictorError && r.reason.code === 'LICTOR_E_ACTIVE_PIN_LIMIT',
        );
        assert.equal(refused.length, 8);
        const views = await center.listActivations({ serial: pkg.serial });
        assert.equal(views.find((a) => a.id === old.activationId)?.status, 'retired');
        assert.equal(views.filter((a) => a.status === 'active').length, 3);
        const retirements = (await center.audit(100)).filter((e) => e.action === 'activation.retire');
        assert.deepEqual(
          retirements.map((e) => e.subject),
          [old.activationId],
        );
      });
    });

    test("the package's count of active activations and the hardware marks follow every change, also after migrating", async (t) => {
      await withCenter(t, engine, async ({ center, config }) => {
        await addApp(center);
        const pkg = await issue(center, { pins: 6, maxActive: 6 });
        const first = await center.activate(activationRequest(pkg, 1, computer(1)));
        await center.activate(activationRequest(pkg, 2, computer(2)));
        const third = await center.activate(activationRequest(pkg, 3, computer(3)));
        // Retired by the same computer changed, revoked by the vendor.
        await center.activate(activationRequest(pkg, 4, computer(1, { board: 'ASUS Z790' })));
        await center.addToBlacklist({ activationId: third.activationId, reason: 'leaked' });
        const stored = async () => {
          let state: { count: number; marked: string[] } = { count: -1, marked: [] };
          await withStore(config, async (store) => {
            const row = await store.db
              .selectFrom('packages')
              .select('active_count')
              .where('serial', '=', pkg.serial)
              .executeTakeFirstOrThrow();
            const marks = await store.db
              .selectFrom('hardware_marks')
              .select('activation_id')
              .distinct()
              .where('serial', '=', pkg.serial)
              .execute();
            state = { count: Number(row.active_count), marked: marks.map((m) => m.activation_id).sort() };
          });
          return state;
        };
        const view = await center.getPackage(pkg.serial);
        const active = (await center.listActivations({ serial: pkg.serial }))
          .filter((a) => a.status === 'active')
          .map((a) => a.id)
          .sort();
        assert.equal(view.activeCount, 2);
        assert.ok(!active.includes(first.activationId) && !active.includes(third.activationId));
        assert.deepEqual(await stored(), { count: 2, marked: active });

        // A database from before migration 0008 gets the same count and marks.
        await withStore(config, async (store) => {
          const migrator = new Migrator({
            db: store.db,
            provider: { getMigrations: async () => MIGRATIONS },
            ...(store.dialect.migrationSchema === undefined
              ? {}
              : { migrationTableSchema: store.dialect.migrationSchema }),
          });
          const down = await migrator.migrateTo('0007_borrow_grace');
          assert.equal(down.error, undefined);
          assert.deepEqual(await migrateToLatest(store.db, migrateOptions(store.dialect)), [
            { name: '0008_activation_index', status: 'Success' },
            { name: '0009_token_key_partial', status: 'Success' },
          ]);
        });
        assert.deepEqual(await stored(), { count: 2, marked: active });
        await center.activate(activationRequest(pkg, 5, computer(5)));
        assert.equal((await stored()).count, 3);
      });
    });

    test('the PIN rules read a handful of activations, however many the package holds', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { pins: 300, maxActive: 300 });
        await Promise.all(
          Array.from({ length: 250 }, (_, i) => center.activate(activationRequest(pkg, i + 1, computer(1000 + i)))),
        );
        const read = async (work: () => Promise<unknown>) => {
          const before = center.workCounters().activationsRead;
          await work();
          return center.workCounters().activationsRead - before;
        };
        assert.equal(await read(() => center.activate(activationRequest(pkg, 251, computer(2000)))), 0);
        assert.equal(await read(() => center.activate(activationRequest(pkg, 251, computer(2000)))), 1);
        // The same computer changed: its old activation is read, to be retired.
        const changed = computer(1000, { board: 'ASUS Z790' });
        assert.equal(await read(() => center.activate(activationRequest(pkg, 252, changed))), 1);
        const view = await center.getPackage(pkg.serial);
        assert.equal(view.activeCount, 251);
        assert.equal(view.pins[0]?.status, 'retired');
      });
    });
  });
}
