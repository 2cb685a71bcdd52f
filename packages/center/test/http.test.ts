/** The HTTP service through `inject()`: every route, its errors, OpenAPI and logs. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, type TestContext, test } from 'node:test';
import { decodeBlacklist, decodeLicenseFile, hardwareBindingOf, normalizeHardware } from '@lictor/protocol';
import { buildCenterServer, type Center, type IssuedPackage } from '../src/index.js';
import {
  activationRequest,
  addApp,
  computer,
  OWNER,
  type ServerFixture,
  SQLITE,
  withCenter,
  withCenterServer,
} from './helpers.js';

function withServer(t: TestContext, body: (f: ServerFixture) => Promise<void>): Promise<void> {
  return withCenterServer(t, { maxActive: 2 }, body);
}

function activation(pkg: IssuedPackage, index = 1, n = 1) {
  return activationRequest(pkg, index, computer(n));
}

describe('HTTP service', { concurrency: true }, () => {
  test('GET /healthz answers after a database query', async (t) => {
    await withServer(t, async ({ app }) => {
      const res = await app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { status: 'ok', database: 'sqlite' });
    });
  });

  test('POST /v1/activations: 201, then 200 on reactivation; the license decodes with the right hardware', async (t) => {
    await withServer(t, async ({ app, center, pkg }) => {
      const first = await app.inject({ method: 'POST', url: '/v1/activations', payload: activation(pkg) });
      assert.equal(first.statusCode, 201, first.body);
      const body = first.json() as { activationId: string; reactivated: boolean; license: string };
      assert.equal(body.reactivated, false);
      const doc = decodeLicenseFile(body.license, center.publicKey);
      assert.equal(doc.activationId, body.activationId);
      assert.deepEqual(hardwareBindingOf(doc).hardware, normalizeHardware(computer(1)));
      const again = await app.inject({ method: 'POST', url: '/v1/activations', payload: activation(pkg) });
      assert.equal(again.statusCode, 200);
      assert.equal(again.json().activationId, body.activationId);
      assert.equal(again.json().reactivated, true);
    });
  });

  test('POST /v1/activations: refusals carry their code and status', async (t) => {
    await withServer(t, async ({ app, pkg }) => {
      const wrong = await app.inject({
        method: 'POST',
        url: '/v1/activations',
        payload: { ...activation(pkg), pin: '00000-00000-00000' },
      });
      assert.equal(wrong.statusCode, 403);
      assert.equal(wrong.json().code, 'LICTOR_E_SERIAL_OR_PIN_INVALID');
      await app.inject({ method: 'POST', url: '/v1/activations', payload: activation(pkg, 1, 1) });
      const used = await app.inject({ method: 'POST', url: '/v1/activations', payload: activation(pkg, 1, 2) });
      assert.equal(used.statusCode, 409);
      assert.equal(used.json().code, 'LICTOR_E_PIN_USED');
      const owner = await app.inject({
        method: 'POST',
        url: '/v1/activations',
        payload: { ...activation(pkg, 2, 3), owner: { company: 'X' } },
      });
      assert.equal(owner.statusCode, 400);
      assert.deepEqual(owner.json(), {
        code: 'LICTOR_E_OWNER_REQUIRED',
        message: owner.json().message,
        details: { missing: ['email'] },
      });
    });
  });

  test('malformed JSON, missing fields, wrong types and wrong media types are 400 with a code', async (t) => {
    await withServer(t, async ({ app, pkg }) => {
      const malformed = await app.inject({
        method: 'POST',
        url: '/v1/activations',
        headers: { 'content-type': 'application/json' },
        payload: '{"serial": ',
      });
      assert.equal(malformed.statusCode, 400);
      assert.equal(malformed.json().code, 'LICTOR_E_INVALID_INPUT');

      const { pin: _pin, ...noPin } = activation(pkg);
      const missing = await app.inject({ method: 'POST', url: '/v1/activations', payload: noPin });
      assert.equal(missing.statusCode, 400);
      assert.equal(missing.json().code, 'LICTOR_E_INVALID_INPUT');
      assert.equal(missing.json().details.field, 'pin');
      assert.match(missing.json().message, /'pin' is required/);

      const { ramBytes: _ram, ...hardware } = computer(1);
      const nested = await app.inject({
        method: 'POST',
        url: '/v1/activations',
        payload: { ...activation(pkg), hardware },
      });
      assert.equal(nested.json().details.field, 'hardware.ramBytes');

      const wrongType = await app.inject({
        method: 'POST',
        url: '/v1/activations',
        payload: { ...activation(pkg), hardware: { ...computer(1), nics: 'x'.repeat(300) } },
      });
      assert.equal(wrongType.statusCode, 400);
      assert.match(wrongType.json().details.field, /^hardware\.nics/);

      const empty = await app.inject({
        method: 'POST',
        url: '/v1/activations',
        headers: { 'content-type': 'application/json' },
        payload: '',
      });
      assert.equal(empty.statusCode, 400);
      assert.equal(empty.json().code, 'LICTOR_E_INVALID_INPUT');

      const xml = await app.inject({
        method: 'POST',
        url: '/v1/activations',
        headers: { 'content-type': 'application/xml' },
        payload: '<a/>',
      });
      assert.equal(xml.statusCode, 400);
      assert.equal(xml.json().code, 'LICTOR_E_INVALID_INPUT');
    });
  });

  test('a body over 64 KiB is 413, an unknown route 404, both with a code', async (t) => {
    await withServer(t, async ({ app, pkg }) => {
      const big = await app.inject({
        method: 'POST',
        url: '/v1/activations',
        payload: { ...activation(pkg), owner: { company: 'x'.repeat(70 * 1024) } },
      });
      assert.equal(big.statusCode, 413);
      assert.equal(big.json().code, 'LICTOR_E_PAYLOAD_TOO_LARGE');
      const unknown = await app.inject({ method: 'GET', url: '/v1/nothing?token=secret' });
      assert.equal(unknown.statusCode, 404);
      assert.equal(unknown.json().code, 'LICTOR_E_NOT_FOUND');
      assert.ok(!unknown.body.includes('secret'));
    });
  });

  test('GET /v1/blacklist serves the signed blacklist as text', async (t) => {
    await withServer(t, async ({ app, center, pkg }) => {
      await center.addToBlacklist({ serial: pkg.serial, reason: 'refund' });
      const res = await app.inject({ method: 'GET', url: '/v1/blacklist' });
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^text\/plain/);
      assert.deepEqual([...decodeBlacklist(res.body, center.publicKey).serials], [pkg.serial]);
    });
  });

  test('admin routes need the admin token', async (t) => {
    await withServer(t, async ({ app, adminToken }) => {
      for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: adminToken }]) {
        const res = await app.inject({ method: 'GET', url: '/v1/admin/products', headers });
        assert.equal(res.statusCode, 401);
        assert.equal(res.json().code, 'LICTOR_E_UNAUTHORIZED');
      }
      const post = await app.inject({ method: 'POST', url: '/v1/admin/packages', payload: { product: 'app' } });
      assert.equal(post.statusCode, 401, 'authentication comes before validation');
      const ok = await app.inject({
        method: 'GET',
        url: '/v1/admin/products',
        headers: { authorization: `bearer ${adminToken}` },
      });
      assert.equal(ok.statusCode, 200);
    });
  });

  test('admin products: list, add, duplicate, missing field', async (t) => {
    await withServer(t, async ({ app, auth }) => {
      const added = await app.inject({
        method: 'POST',
        url: '/v1/admin/products',
        headers: auth,
        payload: { code: 'cad', name: 'CAD', features: [{ code: '3d', name: '3D' }] },
      });
      assert.equal(added.statusCode, 201, added.body);
      assert.equal(added.json().code, 'cad');
      const list = await app.inject({ method: 'GET', url: '/v1/admin/products', headers: auth });
      assert.deepEqual(
        list.json().products.map((p: { code: string }) => p.code),
        ['app', 'cad'],
      );
      const dup = await app.inject({
        method: 'POST',
        url: '/v1/admin/products',
        headers: auth,
        payload: { code: 'cad', name: 'CAD' },
      });
      assert.equal(dup.statusCode, 409);
      assert.equal(dup.json().code, 'LICTOR_E_PRODUCT_EXISTS');
      const missing = await app.inject({
        method: 'POST',
        url: '/v1/admin/products',
        headers: auth,
        payload: { code: 'z' },
      });
      assert.equal(missing.statusCode, 400);
      assert.equal(missing.json().details.field, 'name');
    });
  });

  test('admin packages: issue, read without PINs, unknown serial, unknown product', async (t) => {
    await withServer(t, async ({ app, auth }) => {
      const issued = await app.inject({
        method: 'POST',
        url: '/v1/admin/packages',
        headers: auth,
        payload: { product: 'app', type: 'combined', users: 5, pins: 2 },
      });
      assert.equal(issued.statusCode, 201, issued.body);
      const pkg = issued.json() as IssuedPackage;
      assert.equal(pkg.pins.length, 3);
      const read = await app.inject({ method: 'GET', url: `/v1/admin/packages/${pkg.serial}`, headers: auth });
      assert.equal(read.statusCode, 200);
      assert.equal(read.json().type, 'combined');
      assert.equal(read.json().maxActive, 3);
      for (const p of pkg.pins) assert.ok(!read.body.includes(p.pin));
      const unknown = await app.inject({ method: 'GET', url: '/v1/admin/packages/LX-0000-0000-0000', headers: auth });
      assert.equal(unknown.statusCode, 404);
      assert.equal(unknown.json().code, 'LICTOR_E_NOT_FOUND');
      const noProduct = await app.inject({
        method: 'POST',
        url: '/v1/admin/packages',
        headers: auth,
        payload: { product: 'nope', type: 'single' },
      });
      assert.equal(noProduct.statusCode, 404);
      assert.equal(noProduct.json().code, 'LICTOR_E_PRODUCT_UNKNOWN');
      const badType = await app.inject({
        method: 'POST',
        url: '/v1/admin/packages',
        headers: auth,
        payload: { product: 'app', type: 'floating' },
      });
      assert.equal(badType.statusCode, 400);
      assert.equal(badType.json().details.field, 'type');
      const noUsers = await app.inject({
        method: 'POST',
        url: '/v1/admin/packages',
        headers: auth,
        payload: { product: 'app', type: 'multi' },
      });
      assert.equal(noUsers.statusCode, 400);
      assert.equal(noUsers.json().details.field, 'users');
    });
  });

  test('admin activations, blacklist and audit', async (t) => {
    await withServer(t, async ({ app, auth, pkg }) => {
      const act = await app.inject({ method: 'POST', url: '/v1/activations', payload: activation(pkg) });
      const { activationId } = act.json() as { activationId: string };
      const list = await app.inject({
        method: 'GET',
        url: `/v1/admin/activations?serial=${pkg.serial}`,
        headers: auth,
      });
      assert.equal(list.statusCode, 200);
      const [view] = list.json().activations;
      assert.equal(view.id, activationId);
      assert.equal(view.clientIp, '127.0.0.1');
      assert.deepEqual(view.hardware, normalizeHardware(computer(1)));
      const none = await app.inject({
        method: 'GET',
        url: '/v1/admin/activations?serial=LX-0000-0000-0000',
        headers: auth,
      });
      assert.deepEqual(none.json(), { activations: [] });

      const neither = await app.inject({
        method: 'POST',
        url: '/v1/admin/blacklist',
        headers: auth,
        payload: { reason: 'x' },
      });
      assert.equal(neither.statusCode, 400);
      const unknown = await app.inject({
        method: 'POST',
        url: '/v1/admin/blacklist',
        headers: auth,
        payload: { activationId: 'nope', reason: 'x' },
      });
      assert.equal(unknown.statusCode, 404);
      const listed = await app.inject({
        method: 'POST',
        url: '/v1/admin/blacklist',
        headers: auth,
        payload: { activationId, reason: 'leaked' },
      });
      assert.equal(listed.statusCode, 204);
      assert.equal(listed.body, '');

      const audit = await app.inject({ method: 'GET', url: '/v1/admin/audit?limit=2', headers: auth });
      assert.equal(audit.statusCode, 200);
      const events = audit.json().events as { action: string }[];
      assert.deepEqual(
        events.map((e) => e.action),
        ['blacklist.activation', 'activation.create'],
      );
      const bad = await app.inject({ method: 'GET', url: '/v1/admin/audit?limit=0', headers: auth });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().details.field, 'limit');
    });
  });

  test('GET /openapi.json describes every route with its schemas', async (t) => {
    await withServer(t, async ({ app }) => {
      const res = await app.inject({ method: 'GET', url: '/openapi.json' });
      assert.equal(res.statusCode, 200);
      const doc = res.json() as {
        openapi: string;
        paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>>;
      };
      assert.match(doc.openapi, /^3\./);
      const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
      );
      assert.deepEqual(routes.sort(), [
        'GET /healthz',
        'GET /openapi.json',
        'GET /v1/admin/activations',
        'GET /v1/admin/audit',
        'GET /v1/admin/duplicates',
        'GET /v1/admin/packages/{serial}',
        'GET /v1/admin/products',
        'GET /v1/admin/upgrades',
        'GET /v1/blacklist',
        'POST /v1/activations',
        'POST /v1/admin/blacklist',
        'POST /v1/admin/duplicates/{id}/decision',
        'POST /v1/admin/packages',
        'POST /v1/admin/products',
        'POST /v1/admin/upgrades',
        'POST /v1/admin/upgrades/confirm',
        'POST /v1/admin/upgrades/preview',
        'POST /v1/duplicates',
        'POST /v1/offline/codes',
        'POST /v1/offline/requests',
        'POST /v1/offline/requests/preview',
        'PUT /v1/admin/products/{code}/duplicate-policy',
      ]);
      for (const [path, ops] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(ops)) {
          assert.ok(
            Object.keys(op.responses).some((s) => s.startsWith('2')),
            `${method} ${path} has no success schema`,
          );
          if (method === 'post') assert.ok(op.requestBody, `${method} ${path} has no body schema`);
        }
      }
    });
  });

  test('an unexpected failure is a 500 without internals', async (t) => {
    await withCenter(t, SQLITE, async ({ center }) => {
      const broken: Center = {
        ...center,
        activate: async () => {
          throw new Error('connection string postgres://admin:hunter2@db');
        },
      };
      const app = buildCenterServer(broken);
      try {
        const res = await app.inject({
          method: 'POST',
          url: '/v1/activations',
          payload: { serial: 'LX-0000-0000-0000', pin: '00000', owner: OWNER, hardware: computer(1) },
        });
        assert.equal(res.statusCode, 500);
        assert.equal(res.json().code, 'LICTOR_E_INTERNAL');
        assert.ok(!res.body.includes('hunter2'));
      } finally {
        await app.close();
      }
    });
  });

  test('logs name requests but never the PIN or the admin token', async (t) => {
    await withCenter(t, SQLITE, async ({ center, adminToken }) => {
      await addApp(center);
      const pkg = await center.issuePackage({ product: 'app', type: 'single' });
      const lines: string[] = [];
      const stream = new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      });
      const app = buildCenterServer(center, { logger: { level: 'trace', stream } });
      try {
        const ok = await app.inject({ method: 'POST', url: '/v1/activations', payload: activation(pkg) });
        assert.equal(ok.statusCode, 201);
        await app.inject({ method: 'POST', url: '/v1/activations', payload: activation(pkg, 1, 2) });
        await app.inject({
          method: 'GET',
          url: '/v1/admin/products',
          headers: { authorization: `Bearer ${adminToken}` },
        });
        await app.inject({ method: 'GET', url: '/v1/admin/products', headers: { authorization: 'Bearer guess' } });
      } finally {
        await app.close();
      }
      const log = lines.join('');
      if (process.env.SHOW_LOG) console.log(log);
      assert.match(log, /\/v1\/activations/);
      assert.match(log, /LICTOR_E_PIN_USED/);
      for (const p of pkg.pins) {
        assert.ok(!log.includes(p.pin) && !log.includes(p.pin.replaceAll('-', '')), 'a PIN is in the log');
      }
      assert.ok(!log.includes(adminToken), 'the admin token is in the log');
      assert.ok(!log.includes('guess'), 'a presented token is in the log');
    });
  });

  test('at the default level an activation leaves one line, and a request no line of its own', async (t) => {
    await withCenter(t, SQLITE, async ({ center }) => {
      await addApp(center);
      const pkg = await center.issuePackage({ product: 'app', type: 'single', pins: 2, maxActive: 2 });
      const lines: { level: number; msg: string; [key: string]: unknown }[] = [];
      const stream = new Writable({
        write(chunk, _encoding, done) {
          for (const line of String(chunk).split('\n')) if (line !== '') lines.push(JSON.parse(line));
          done();
        },
      });
      const app = buildCenterServer(center, { logger: { level: 'info', stream } });
      let activationId = '';
      try {
        const first = await app.inject({ method: 'POST', url: '/v1/activations', payload: activation(pkg) });
        assert.equal(first.statusCode, 201);
        activationId = (first.json() as { activationId: string }).activationId;
        const again = await app.inject({ method: 'POST', url: '/v1/activations', payload: activation(pkg) });
        assert.equal(again.statusCode, 200);
        assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
      } finally {
        await app.close();
      }
      const said = lines.filter((l) => l.reqId !== undefined);
      assert.deepEqual(
        said.map((l) => [l.level, l.msg, l.serial, l.activationId, l.reactivated, l.channel]),
        [
          [30, 'activation', pkg.serial, activationId, false, 'online'],
          [30, 'activation', pkg.serial, activationId, true, 'online'],
        ],
      );
      const log = JSON.stringify(lines);
      for (const p of pkg.pins) assert.ok(!log.includes(p.pin), 'a PIN is in the log');
    });
  });
});
