/**
 * The License Center under abuse, through HTTP (`inject`, with the client address of each
 * request): rate limits per client address and per serial (429, `Retry-After`, typed code, the
 * injected clock lets them recover), the alert on a burst of wrong PINs, a refusal audit that
 * does not grow with the attack, and owner field names that are built-in properties.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { encodeRequestFile } from '@lictor/protocol';
import type { FastifyInstance } from 'fastify';
import { buildCenterServer, type CenterAlert, type IssuedPackage } from '../src/index.js';
import {
  activationRequest,
  addApp,
  computer,
  ENGINES,
  issue,
  OWNER,
  pinOf,
  requestCode,
  requestFile,
  withCenter,
  withStore,
} from './helpers.js';

const OFF = { perClient: null, refusalsPerSerial: null, reportsPerSerial: null } as const;

function activate(app: FastifyInstance, body: unknown, ip: string) {
  return app.inject({ method: 'POST', url: '/v1/activations', payload: body as object, remoteAddress: ip });
}

function wrongPin(pkg: IssuedPackage, n: number) {
  return { ...activationRequest(pkg, 1, computer(n)), pin: 'AAAAA-AAAAA-AAAAA' };
}

for (const engine of ENGINES) {
  describe(`center under abuse (${engine.name})`, { concurrency: true }, () => {
    test('one address is limited (429, Retry-After, typed code) and lets through again as time passes', async (t) => {
      await withCenter(
        t,
        engine,
        async ({ center, clock }) => {
          await addApp(center);
          const pkg = await issue(center, { pins: 3, maxActive: 3 });
          const app = buildCenterServer(center);
          t.after(() => app.close());
          for (let i = 0; i < 3; i++) assert.equal((await activate(app, wrongPin(pkg, i), '10.0.0.7')).statusCode, 403);
          const limited = await activate(app, activationRequest(pkg, 1, computer(1)), '10.0.0.7');
          assert.equal(limited.statusCode, 429, limited.body);
          assert.equal(limited.json().code, 'LICTOR_E_RATE_LIMITED');
          assert.equal(limited.headers['retry-after'], '30');
          // The offline endpoints share the address's budget.
          const preview = await app.inject({
            method: 'POST',
            url: '/v1/offline/requests/preview',
            payload: { request: requestFile(pkg, 1, computer(1)).text },
            remoteAddress: '10.0.0.7',
          });
          assert.equal(preview.statusCode, 429);
          assert.equal(preview.json().code, 'LICTOR_E_RATE_LIMITED');
          // Another address is not affected.
          assert.equal((await activate(app, activationRequest(pkg, 2, computer(2)), '10.0.0.8')).statusCode, 201);
          clock.set('2030-01-15T10:00:30.000Z');
          assert.equal((await activate(app, activationRequest(pkg, 1, computer(1)), '10.0.0.7')).statusCode, 201);
        },
        { rateLimits: { ...OFF, perClient: { burst: 3, perMinute: 2 } } },
      );
    });

    test('wrong PINs for one serial from many addresses: the serial is limited, others are not; one alert', async (t) => {
      await withCenter(
        t,
        engine,
        async ({ center, clock }) => {
          await addApp(center);
          const pkg = await issue(center, { pins: 2, maxActive: 2 });
          const other = await issue(center);
          const alerts: CenterAlert[] = [];
          center.onAlert((a) => alerts.push(a));
          const lines: string[] = [];
          const stream = new Writable({
            write(chunk, _enc, done) {
              lines.push(String(chunk));
              done();
            },
          });
          const app = buildCenterServer(center, { logger: { level: 'warn', stream } });
          t.after(() => app.close());
          for (let i = 0; i < 5; i++) {
            assert.equal((await activate(app, wrongPin(pkg, i), `10.1.0.${i + 1}`)).statusCode, 403);
          }
          // The sixth attempt, from yet another address and with the right PIN, waits.
          const limited = await activate(app, activationRequest(pkg, 1, computer(1)), '10.1.0.99');
          assert.equal(limited.statusCode, 429, limited.body);
          assert.match(limited.json().message, new RegExp(`for serial ${pkg.serial}`));
          assert.ok(Number(limited.headers['retry-after']) > 0);
          assert.equal((await activate(app, activationRequest(other, 1, computer(7)), '10.1.0.99')).statusCode, 201);
          // One alert at the threshold, audited and logged.
          assert.equal(alerts.length, 1);
          assert.equal(alerts[0]?.serial, pkg.serial);
          const audited = (await center.audit(200)).filter((e) => e.action === 'alert.pin-burst');
          assert.equal(audited.length, 1);
          assert.ok(lines.some((l) => l.includes('alert: 5 wrong PINs') && l.includes(pkg.serial)));
          clock.set('2030-01-15T10:01:00.000Z');
          assert.equal((await activate(app, activationRequest(pkg, 1, computer(1)), '10.1.0.99')).statusCode, 201);
        },
        { rateLimits: { ...OFF, refusalsPerSerial: { burst: 5, perMinute: 1 }, pinBurstAlert: 5 } },
      );
    });

    test('refusal audit is aggregated: 150 wrong PINs and 60 made-up serials add a handful of events', async (t) => {
      await withCenter(
        t,
        engine,
        async ({ center, clock }) => {
          await addApp(center);
          const pkg = await issue(center);
          const app = buildCenterServer(center);
          t.after(() => app.close());
          const before = (await center.audit(1000)).length;
          for (let i = 0; i < 150; i++) await activate(app, wrongPin(pkg, i), `10.2.${i >> 8}.${i & 255}`);
          for (let i = 0; i < 60; i++) {
            const made = `LX-${String(i).padStart(4, '0').replaceAll('0', 'A')}-BBBB-CCCC`;
            await activate(app, { ...wrongPin(pkg, i), serial: made }, '10.3.0.1');
          }
          const events = (await center.audit(1000)).slice(0, (await center.audit(1000)).length - before);
          const refusals = events.filter((e) => e.action === 'activation.refuse');
          // One per (serial, code, channel, window): the package's serial and every unknown serial as '?'.
          assert.deepEqual(refusals.map((e) => e.subject).sort(), ['?', pkg.serial].sort());
          assert.ok(events.length <= 3, `${events.length} events`);
          // The next window starts a new row and one new event.
          clock.set('2030-01-15T10:10:00.000Z');
          await activate(app, wrongPin(pkg, 1), '10.2.0.1');
          const later = (await center.audit(1000)).filter((e) => e.action === 'activation.refuse');
          assert.equal(later.length, 3);
          assert.equal(later[0]?.details?.code, 'LICTOR_E_SERIAL_OR_PIN_INVALID');
        },
        { rateLimits: { ...OFF, pinBurstAlert: 0 } },
      );
    });

    test('a failure is not a refusal: an activation the database cannot record is neither counted nor audited', async (t) => {
      await withCenter(
        t,
        engine,
        async ({ center, config }) => {
          await addApp(center);
          const pkg = await issue(center, { pins: 3, maxActive: 3 });
          const app = buildCenterServer(center);
          t.after(() => app.close());
          assert.equal((await activate(app, activationRequest(pkg, 1, computer(1)), '10.4.0.1')).statusCode, 201);
          // The table the activation's marks go to is gone: the database fails, the client is not at fault.
          await withStore(config, async (store) => {
            await store.db.schema.dropTable('hardware_marks').execute();
          });
          const failed = await activate(app, activationRequest(pkg, 2, computer(2)), '10.4.0.1');
          assert.equal(failed.statusCode, 500);
          const refused = await activate(app, wrongPin(pkg, 3), '10.4.0.1');
          assert.equal(refused.statusCode, 403);
          let counted: { code: string; count: number }[] = [];
          await withStore(config, async (store) => {
            const rows = await store.db.selectFrom('refusal_windows').select(['code', 'count']).execute();
            counted = rows.map((r) => ({ code: r.code, count: Number(r.count) }));
          });
          assert.deepEqual(counted, [{ code: 'LICTOR_E_SERIAL_OR_PIN_INVALID', count: 1 }]);
          const refusals = (await center.audit(100)).filter((e) => e.action === 'activation.refuse');
          assert.deepEqual(
            refusals.map((e) => e.details.code),
            ['LICTOR_E_SERIAL_OR_PIN_INVALID'],
          );
        },
        { rateLimits: { ...OFF, pinBurstAlert: 0 } },
      );
    });
  });
}

describe('the refusal audit stays bounded', () => {
  test('at most 100 refusal events per window, counts kept 90 days', async (t) => {
    await withCenter(
      t,
      ENGINES[0] as (typeof ENGINES)[0],
      async ({ center, clock, config }) => {
        await addApp(center);
        const packages = [];
        for (let i = 0; i < 105; i++) packages.push(await issue(center, { pins: 1 }));
        const app = buildCenterServer(center);
        t.after(() => app.close());
        for (const [i, pkg] of packages.entries()) await activate(app, wrongPin(pkg, i), '10.5.0.1');
        const refusals = (await center.audit(1000)).filter((e) => e.action === 'activation.refuse');
        assert.equal(refusals.length, 100, 'one event per serial up to the cap');
        const rows = async () => {
          let seen: { serial: string; window_start: string; count: number }[] = [];
          await withStore(config, async (store) => {
            seen = await store.db.selectFrom('refusal_windows').select(['serial', 'window_start', 'count']).execute();
          });
          return seen;
        };
        let rowsSeen = await rows();
        assert.equal(rowsSeen.length, 105, 'every serial is still counted');
        // 91 days later a new window deletes the counts past retention.
        clock.advanceDays(91);
        await activate(app, wrongPin(packages[0] as IssuedPackage, 0), '10.5.0.1');
        rowsSeen = await rows();
        assert.equal(rowsSeen.length, 1);
        assert.equal(rowsSeen[0]?.window_start, '2030-04-16T10:00:00.000Z');
      },
      { rateLimits: { ...OFF, pinBurstAlert: 0 } },
    );
  });
});

describe('owner fields named like built-in properties', () => {
  test('constructor, toString, __proto__ and the like get 400 LICTOR_E_OWNER_FIELD_INVALID, not 500', async (t) => {
    await withCenter(t, ENGINES[0] as (typeof ENGINES)[0], async ({ center, adminToken }) => {
      await addApp(center);
      const pkg = await issue(center, { pins: 8 });
      const app = buildCenterServer(center);
      t.after(() => app.close());
      const names = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'];
      for (const [i, name] of names.entries()) {
        const body = JSON.stringify({ ...activationRequest(pkg, i + 1, computer(i)) }).replace(
          '"owner":{',
          `"owner":{"${name}":"x",`,
        );
        const reply = await app.inject({
          method: 'POST',
          url: '/v1/activations',
          payload: body,
          headers: { 'content-type': 'application/json' },
          remoteAddress: '10.9.0.1',
        });
        assert.equal(reply.statusCode, 400, `${name}: ${reply.body}`);
        assert.match(reply.json().code, /LICTOR_E_(OWNER_FIELD_INVALID|INVALID_INPUT)/, name);
        if (name !== '__proto__') assert.equal(reply.json().code, 'LICTOR_E_OWNER_FIELD_INVALID', name);
      }
      // The request code form of the web page carries owner fields as form fields.
      const form = await app.inject({
        method: 'POST',
        url: '/activate/code',
        payload: 'code=ABCDE&toString=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      // (a 500 before: the page looked the field's label up on a plain object and found a function)
      assert.equal(form.statusCode, 400, form.body);
      assert.match(form.body, /LICTOR_E_(OWNER_FIELD_INVALID|CODE_INVALID)/);
      // A product cannot require such a field either.
      const product = await app.inject({
        method: 'POST',
        url: '/v1/admin/products',
        headers: { authorization: `Bearer ${adminToken}` },
        payload: { code: 'p2', name: 'P2', requiredOwnerFields: ['company', 'constructor'] },
      });
      assert.equal(product.statusCode, 400, product.body);
      assert.equal(product.json().code, 'LICTOR_E_OWNER_FIELD_INVALID');
      assert.equal(pinOf(pkg, 1).length > 0, true);
    });
  });
});

describe('offline requests cost the same whatever the package size', () => {
  test('a 1,000-PIN package answers wrong PINs (file, code, preview) trying no PIN, the right one trying one', async (t) => {
    await withCenter(
      t,
      ENGINES[0] as (typeof ENGINES)[0],
      async ({ center }) => {
        await addApp(center);
        const pkg = await issue(center, { pins: 1000, maxActive: 1000 });
        const app = buildCenterServer(center);
        t.after(() => app.close());
        const wrong = 'AAAAA-AAAAA-AAAAA';
        const work = async (what: string, call: () => Promise<{ statusCode: number }>, status: number) => {
          const before = center.workCounters();
          const reply = await call();
          assert.equal(reply.statusCode, status, what);
          const after = center.workCounters();
          return {
            proofs: after.pinProofsTried - before.pinProofsTried,
            opened: after.pinsOpened - before.pinsOpened,
          };
        };
        const post = (url: string, payload: object) => () => app.inject({ method: 'POST', url, payload });
        const file = (pin: string, n: number) => ({ request: requestFile(pkg, 1, computer(n), { pin }).text });
        // Before PIN tags, each of these tried all 1,000 PINs (a sealed PIN opened and a proof over the
        // whole request's canonical JSON each: ~140 ms of event loop).
        assert.deepEqual(await work('file', post('/v1/offline/requests', file(wrong, 1)), 403), {
          proofs: 0,
          opened: 0,
        });
        assert.deepEqual(await work('preview', post('/v1/offline/requests/preview', file(wrong, 2)), 403), {
          proofs: 0,
          opened: 0,
        });
        const code = requestCode(pkg, 1, computer(3), { pin: wrong }).code;
        const byCode = await work('code', post('/v1/offline/codes', { code, owner: OWNER }), 403);
        // A code carries 16 bits of the tag: about 1,000 / 65,536 PINs share them.
        assert.ok(byCode.proofs <= 3, `${byCode.proofs} proofs for a code`);
        // The right PIN: found by its tag, one proof.
        const right = requestFile(pkg, 700, computer(4)).text;
        assert.deepEqual(await work('right', post('/v1/offline/requests', { request: right }), 201), {
          proofs: 1,
          opened: 1,
        });
        // A request stripped of its tag (or made before tags) is not tried against 1,000 PINs.
        const untagged = requestFile(pkg, 1, computer(5)).request;
        const { pinTag: _tag, ...legacy } = untagged;
        const refused = await work(
          'untagged',
          post('/v1/offline/requests', { request: encodeRequestFile(legacy) }),
          400,
        );
        assert.deepEqual(refused, { proofs: 0, opened: 0 });
      },
      { rateLimits: OFF },
    );
  });
});
