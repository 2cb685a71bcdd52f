/**
 * `lictor seat` against managers that cannot prove a genuine license: the 20-line `node:http`
 * server of the issue (a well-formed 201, no license), and a manager whose license is of another
 * vendor. Both are refused with `LICTOR_E_ANSWER_UNPROVEN` and exit code 1.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { generateVendorKeys, loadSigner } from '@lictor/protocol';
import { licenseKey, signed, VENDOR } from '../../sdk/test/signed-answers.js';
import { cliOn, workstation } from './run-cli.js';

/** A manager that grants any seat, signing with `key` when given (else no proof at all). */
async function grantingServer(t: TestContext, key: ReturnType<typeof licenseKey> | null): Promise<string> {
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => {
      text += c.toString();
    });
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/leases') {
        res.writeHead(204).end();
        return;
      }
      const body = JSON.parse(text) as { product: string };
      const now = Date.now();
      const answer = {
        renewed: false,
        lease: {
          id: 'L1',
          product: body.product,
          feature: null,
          licenseId: 'x',
          source: 'software',
          grantedAt: new Date(now).toISOString(),
          expiresAt: new Date(now + 60_000).toISOString(),
          heartbeatIntervalMs: 20_000,
        },
      };
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify(signed(key, 'lease', req.headers['lictor-nonce'], answer)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const cli = cliOn({
  env: { LICTOR_PUBLIC_KEY: VENDOR.publicKey.text },
  hardware: workstation('ws-1', '00:1b:1b:aa:bb:09'),
});
const seat = (url: string) => ['seat', '--product', 'CAD', '--manager', url, '--hold', '1', '--json'];

test('lictor seat refuses a well-formed seat from a server with no license (LICTOR_E_ANSWER_UNPROVEN)', async (t) => {
  const err = await cli.refused(seat(await grantingServer(t, null)), 'LICTOR_E_ANSWER_UNPROVEN');
  assert.match(err, /did not prove it holds a genuine license for 'CAD'/);
});

test('lictor seat refuses a seat proven with another vendor’s license', async (t) => {
  const other = loadSigner(generateVendorKeys().privatePem);
  await cli.refused(seat(await grantingServer(t, licenseKey(['CAD'], other))), 'LICTOR_E_ANSWER_UNPROVEN');
});

test('lictor seat takes a seat proven with a genuine license of the embedded vendor key', async (t) => {
  const out = await cli.ok(seat(await grantingServer(t, licenseKey(['CAD']))));
  assert.equal(JSON.parse(out).id, 'L1');
});

test('lictor seat without a vendor key is refused before asking any manager', async (t) => {
  const bare = cliOn({ env: {}, hardware: workstation('ws-1', '00:1b:1b:aa:bb:09') });
  await bare.refused(seat(await grantingServer(t, null)), 'LICTOR_E_PUBLIC_KEY_INVALID');
});
