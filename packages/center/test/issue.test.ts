/** Products and issuing packages, on every database engine. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeLicenseFile } from '@lictor/protocol';
import { openStore } from '../src/store/open.js';
import { addApp, computer, ENGINES, OWNER, rejectsWith, withCenter } from './helpers.js';

const SERIAL = /^LX-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;
const PIN = /^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/;

for (const engine of ENGINES) {
  describe(`products and packages (${engine.name})`, { concurrency: true }, () => {
    test('products: defaults, listing, duplicates and bad codes', async (t) => {
      await withCenter(t, engine, async ({ center, clock }) => {
        const app = await center.addProduct({ code: 'app', name: 'App', features: [{ code: 'reports' }] });
        assert.deepEqual(app, {
          code: 'app',
          name: 'App',
          features: [{ code: 'reports', name: 'reports' }],
          requiredOwnerFields: ['company', 'email'],
          duplicatePolicy: 'blacklist',
          createdAt: clock.now().toISOString(),
        });
        await center.addProduct({ code: 'Cad.2', name: 'CAD', requiredOwnerFields: ['email'] });
        const list = await center.listProducts();
        assert.deepEqual(
          list.map((p) => [p.code, p.features.length, p.requiredOwnerFields]),
          [
            ['Cad.2', 0, ['email']],
            ['app', 1, ['company', 'email']],
          ],
        );
        await rejectsWith(center.addProduct({ code: 'app', name: 'Again' }), 'LICTOR_E_PRODUCT_EXISTS');
        await rejectsWith(center.addProduct({ code: 'bad code', name: 'X' }), 'LICTOR_E_INVALID_INPUT', 'code');
        await rejectsWith(center.addProduct({ code: 'x', name: ' ' }), 'LICTOR_E_INVALID_INPUT', 'name');
        await rejectsWith(
          center.addProduct({ code: 'y', name: 'Y', features: [{ code: 'a' }, { code: 'a' }] }),
          'LICTOR_E_INVALID_INPUT',
          'features[1].code',
        );
      });
    });

    test('a single package: defaults, formats, and every feature uncounted', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await center.issuePackage({ product: 'app', type: 'single' });
        assert.match(pkg.serial, SERIAL);
        assert.equal(pkg.pins.length, 3);
        for (const p of pkg.pins) assert.match(p.pin, PIN);
        assert.deepEqual(
          pkg.pins.map((p) => [p.index, p.kind]),
          [
            [1, 'single'],
            [2, 'single'],
            [3, 'single'],
          ],
        );
        assert.equal(new Set(pkg.pins.map((p) => p.pin)).size, 3);
        assert.deepEqual(
          { users: pkg.users, sessions: pkg.sessions, arch: pkg.arch, maxActive: pkg.maxActive },
          { users: 1, sessions: null, arch: null, maxActive: 1 },
        );
        assert.deepEqual(pkg.features, [
          { code: 'export', users: null },
          { code: 'reports', users: null },
        ]);
        assert.equal(pkg.expiresAt, null);
        assert.equal(pkg.days, null);
      });
    });

    test('the package view shows PIN states, never PIN codes; PINs are stored only as HMACs', async (t) => {
      await withCenter(t, engine, async ({ center, config }) => {
        await addApp(center);
        const pkg = await center.issuePackage({ product: 'app', type: 'single', pins: 2 });
        const view = await center.getPackage(pkg.serial.toLowerCase());
        assert.equal(view.serial, pkg.serial);
        assert.equal(view.status, 'active');
        assert.equal(view.activeCount, 0);
        assert.deepEqual(view.pins, [
          { index: 1, kind: 'single', status: 'unused', activationId: null },
          { index: 2, kind: 'single', status: 'unused', activationId: null },
        ]);
        const text = JSON.stringify(view);
        for (const p of pkg.pins) assert.ok(!text.includes(p.pin));
        await assert.rejects(center.getPackage('LX-0000-0000-0000'), { code: 'LICTOR_E_NOT_FOUND' });

        const store = await openStore(config);
        try {
          const rows = await store.db.selectFrom('pins').selectAll().execute();
          assert.equal(rows.length, 2);
          const dump = JSON.stringify(rows);
          for (const p of pkg.pins) {
            assert.ok(!dump.includes(p.pin) && !dump.includes(p.pin.replaceAll('-', '')), 'a PIN is stored');
          }
          for (const r of rows) assert.match(r.pin_hash, /^[0-9a-f]{64}$/);
        } finally {
          await store.close();
        }
      });
    });

    test('multi, server and server-sessions packages carry their numbers into the license', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const multi = await center.issuePackage({
          product: 'app',
          type: 'multi',
          users: 25,
          pins: 1,
          features: [{ code: 'reports', users: 5 }],
        });
        assert.equal(multi.pins[0]?.kind, 'multi');
        const server = await center.issuePackage({ product: 'app', type: 'server', pins: 1 });
        assert.equal(server.arch, 'x64');
        const sessions = await center.issuePackage({
          product: 'app',
          type: 'server-sessions',
          sessions: 40,
          arch: 'x86',
          pins: 1,
        });
        const entryOf = async (serial: string, pin: string, n: number) => {
          const res = await center.activate({ serial, pin, owner: OWNER, hardware: computer(n) });
          return decodeLicenseFile(res.license, center.publicKey).licenses[0];
        };
        const m = await entryOf(multi.serial, multi.pins[0]!.pin, 1);
        assert.deepEqual(
          { type: m?.type, users: m?.users, features: m?.features },
          { type: 'multi', users: 25, features: [{ code: 'reports', users: 5 }] },
        );
        const s = await entryOf(server.serial, server.pins[0]!.pin, 2);
        assert.deepEqual(
          { type: s?.type, arch: s?.arch, sessions: s?.sessions },
          { type: 'server', arch: 'x64', sessions: null },
        );
        const ss = await entryOf(sessions.serial, sessions.pins[0]!.pin, 3);
        assert.deepEqual(
          { type: ss?.type, arch: ss?.arch, sessions: ss?.sessions },
          { type: 'server-sessions', arch: 'x86', sessions: 40 },
        );
      });
    });

    test('issuing refuses unknown products and features and impossible numbers', async (t) => {
      await withCenter(t, engine, async ({ center, clock }) => {
        await addApp(center);
        await rejectsWith(center.issuePackage({ product: 'nope', type: 'single' }), 'LICTOR_E_PRODUCT_UNKNOWN');
        await rejectsWith(
          center.issuePackage({ product: 'app', type: 'single', features: [{ code: 'ai', users: null }] }),
          'LICTOR_E_FEATURE_UNKNOWN',
        );
        const cases: [Parameters<typeof center.issuePackage>[0], string][] = [
          [{ product: 'app', type: 'multi' }, 'users'],
          [{ product: 'app', type: 'multi', users: 0 }, 'users'],
          [{ product: 'app', type: 'single', users: 2 }, 'users'],
          [{ product: 'app', type: 'server-sessions' }, 'sessions'],
          [{ product: 'app', type: 'single', sessions: 3 }, 'sessions'],
          [{ product: 'app', type: 'single', arch: 'x86' }, 'arch'],
          [{ product: 'app', type: 'single', pins: 0 }, 'pins'],
          [{ product: 'app', type: 'single', pins: 2.5 }, 'pins'],
          [{ product: 'app', type: 'single', pins: 2, maxActive: 3 }, 'maxActive'],
          [{ product: 'app', type: 'single', days: 0 }, 'days'],
          [{ product: 'app', type: 'single', expiresAt: 'soon' }, 'expiresAt'],
          [{ product: 'app', type: 'single', expiresAt: '2000-01-01T00:00:00Z' }, 'expiresAt'],
          [{ product: 'app', type: 'single', features: [{ code: 'reports', users: 0 }] }, 'features[0].users'],
          [{ product: 'app', type: 'bogus' as 'single' }, 'type'],
        ];
        for (const [spec, field] of cases) {
          await rejectsWith(center.issuePackage(spec), 'LICTOR_E_INVALID_INPUT', field);
        }
        const later = new Date(clock.now().getTime() + 86_400_000).toISOString();
        const ok = await center.issuePackage({ product: 'app', type: 'single', expiresAt: later, days: 30 });
        assert.equal(ok.expiresAt, later);
        assert.equal(ok.days, 30);
      });
    });

    test('issuing and product changes are audited without PIN codes', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await center.issuePackage({ product: 'app', type: 'single' });
        const events = await center.audit();
        assert.deepEqual(
          events.map((e) => e.action),
          ['package.issue', 'product.add'],
        );
        assert.equal(events[0]?.subject, pkg.serial);
        const text = JSON.stringify(events);
        for (const p of pkg.pins) assert.ok(!text.includes(p.pin));
        await rejectsWith(center.audit(0), 'LICTOR_E_INVALID_INPUT', 'limit');
      });
    });
  });
}
