/** Once through a real socket: the service listening on 127.0.0.1 and a random port. */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { decodeLicenseFile } from '@lictor/protocol';
import { buildCenterServer } from '../src/index.js';
import { addApp, computer, OWNER, SQLITE, withCenter } from './helpers.js';

test('activation and admin over HTTP on a real socket', async (t) => {
  await withCenter(t, SQLITE, async ({ center, adminToken }) => {
    await addApp(center);
    const app = buildCenterServer(center);
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = app.server.address() as AddressInfo;
      const base = `http://127.0.0.1:${port}`;
      const health = await fetch(`${base}/healthz`);
      assert.deepEqual(await health.json(), { status: 'ok', database: 'sqlite' });

      const issued = await fetch(`${base}/v1/admin/packages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ product: 'app', type: 'single' }),
      });
      assert.equal(issued.status, 201);
      const pkg = (await issued.json()) as { serial: string; pins: { pin: string }[] };

      const res = await fetch(`${base}/v1/activations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ serial: pkg.serial, pin: pkg.pins[0]?.pin, owner: OWNER, hardware: computer(7) }),
      });
      assert.equal(res.status, 201);
      const body = (await res.json()) as { license: string; activationId: string };
      assert.equal(decodeLicenseFile(body.license, center.publicKey).activationId, body.activationId);

      const missing = await fetch(`${base}/v1/nowhere`);
      assert.equal(missing.status, 404);
      assert.equal(((await missing.json()) as { code: string }).code, 'LICTOR_E_NOT_FOUND');
    } finally {
      await app.close();
    }
  });
});
