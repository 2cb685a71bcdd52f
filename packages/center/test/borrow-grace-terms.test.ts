/**
 * The License Manager's terms a vendor sets per package (borrowing days, grace period): issued,
 * shown, signed into the licenses answered online and by file, and left out of answer codes,
 * which have no room for them. On every database engine.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeLicenseFile } from '@lictor/protocol';
import {
  addApp,
  computer,
  ENGINES,
  installAnswerCode,
  issue,
  OWNER,
  pinOf,
  rejectsWith,
  requestCode,
  withCenter,
  withCenterServer,
} from './helpers.js';

for (const engine of ENGINES) {
  describe(`borrowing days and grace period of a package (${engine.name})`, { concurrency: true }, () => {
    test('set at issue, shown by the package, signed into the license entry', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { type: 'multi', users: 5, borrowDays: 14, graceMinutes: 30 });
        assert.deepEqual([pkg.borrowDays, pkg.graceMinutes], [14, 30]);
        const view = await center.getPackage(pkg.serial);
        assert.deepEqual([view.borrowDays, view.graceMinutes], [14, 30]);
        const res = await center.activate({
          serial: pkg.serial,
          pin: pinOf(pkg, 1),
          owner: OWNER,
          hardware: computer(1),
        });
        const entry = decodeLicenseFile(res.license, center.publicKey).licenses[0];
        assert.deepEqual([entry?.borrowDays, entry?.graceMinutes], [14, 30]);
      });
    });

    test('not set, or 0 days: the package says null and the license carries neither field', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        for (const spec of [{}, { borrowDays: 0 }]) {
          const pkg = await issue(center, spec);
          assert.deepEqual([pkg.borrowDays, pkg.graceMinutes], [null, null]);
          const res = await center.activate({
            serial: pkg.serial,
            pin: pinOf(pkg, 1),
            owner: OWNER,
            hardware: computer(2),
          });
          const entry = decodeLicenseFile(res.license, center.publicKey).licenses[0] as object;
          assert.equal('borrowDays' in entry, false);
          assert.equal('graceMinutes' in entry, false);
        }
      });
    });

    test('out-of-range terms are refused with the field named', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        for (const [spec, field] of [
          [{ borrowDays: 366 }, 'borrowDays'],
          [{ borrowDays: -1 }, 'borrowDays'],
          [{ borrowDays: 1.5 }, 'borrowDays'],
          [{ graceMinutes: 0 }, 'graceMinutes'],
          [{ graceMinutes: 7 * 24 * 60 + 1 }, 'graceMinutes'],
        ] as const) {
          await rejectsWith(issue(center, spec), 'LICTOR_E_INVALID_INPUT', field);
        }
      });
    });

    test('an answer code carries neither term, and the license it makes still verifies', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { borrowDays: 3, graceMinutes: 10 });
        const { code, pending } = requestCode(pkg, 1, computer(3));
        const answered = await center.answerRequestCode(code, OWNER);
        const { doc } = installAnswerCode(answered.answer, pending, center.publicKey);
        const entry = doc.licenses[0] as object;
        assert.equal('borrowDays' in entry, false);
        assert.equal('graceMinutes' in entry, false);
      });
    });
  });
}

test('POST /v1/admin/packages takes borrowDays and graceMinutes and answers them', async (t) => {
  await withCenterServer(t, {}, async ({ app, auth }) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/admin/packages',
      headers: auth,
      payload: { product: 'app', type: 'multi', users: 3, borrowDays: 7, graceMinutes: 15 },
    });
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual([res.json().borrowDays, res.json().graceMinutes], [7, 15]);
    const view = await app.inject({ method: 'GET', url: `/v1/admin/packages/${res.json().serial}`, headers: auth });
    assert.deepEqual([view.json().borrowDays, view.json().graceMinutes], [7, 15]);
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/admin/packages',
      headers: auth,
      payload: { product: 'app', type: 'single', graceMinutes: 0 },
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 'LICTOR_E_INVALID_INPUT');
  });
});
