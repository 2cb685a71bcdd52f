/**
 * `POST /v1/check` answers what the in-process SDK answers for the same license files: the same
 * grant, and for each refusal the same code and reason (with the code's HTTP status).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  ERRORS,
  type ErrorCode,
  encodeBlacklist,
  encodeLicenseFile,
  generateVendorKeys,
  loadSigner,
} from '@lictor/protocol';
import { openLicensing } from '@lictor/sdk';
import { doc, entry, HW, nonce, PUBLIC_KEY, SECRET, startRuntime, vendor, writeLicenses } from './runtime-fixture.js';

test('every check answers as the in-process SDK does: grants, and each refusal code with its reason', async (t) => {
  const rt = await startRuntime(t);
  const banned = doc({ licenses: [entry({ features: [{ code: 'banned', users: null }] })] });
  await writeLicenses(rt.licenses, {
    'ok.lic': doc(),
    'moved.lic': doc({
      binding: { kind: 'hardware', hardware: { ...HW, nics: ['52:54:00:99:99:99'] } },
      licenses: [entry({ features: [{ code: 'payroll', users: null }] })],
    }),
    'dongle.lic': doc({
      binding: {
        kind: 'token',
        token: { manufacturer: 'SoftHSM project', model: 'SoftHSM v2', serial: 'abc' },
        publicKey: 'lictor-p256:AAAA',
      },
      licenses: [entry({ features: [{ code: 'ledger', users: null }] })],
    }),
    'server.lic': doc({
      licenses: [entry({ type: 'server', arch: 'x86', features: [{ code: 'olap', users: null }] })],
    }),
    'old.lic': doc({
      licenses: [entry({ expiresAt: '2020-01-01T00:00:00.000Z', features: [{ code: 'archive', users: null }] })],
    }),
    'multi.lic': doc({ licenses: [entry({ type: 'multi', users: 10, features: [{ code: 'portal', users: 3 }] })] }),
    'banned.lic': banned,
  });
  const other = loadSigner(generateVendorKeys().privatePem);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(join(rt.licenses, 'foreign.lic'), encodeLicenseFile(doc(), other));
  await writeFile(
    join(rt.licenses, 'blacklist.lictor'),
    encodeBlacklist(
      { format: 1, issuedAt: '2026-01-02T00:00:00.000Z', serials: [banned.serial], activations: [] },
      vendor,
    ),
  );

  const features = [undefined, 'reports', 'api', 'payroll', 'ledger', 'olap', 'archive', 'portal', 'banned', 'nowhere'];
  const seen = new Set<string>();
  for (const product of ['ERP', 'CAD']) {
    for (const role of ['client', 'server'] as const) {
      for (const bitness of [32, 64] as const) {
        const sdk = await openLicensing({
          product,
          publicKey: PUBLIC_KEY,
          role,
          bitness,
          paths: [join(rt.running.stateDir, 'licenses'), rt.licenses],
          store: join(rt.running.stateDir, 'licenses'),
          hardware: async () => HW,
          machineSecret: async () => SECRET,
          now: () => rt.scheduler.now(),
          watch: false,
        });
        for (const feature of features) {
          const asked = {
            publicKey: PUBLIC_KEY,
            product,
            role,
            bitness,
            nonce: nonce(),
            ...(feature ? { feature } : {}),
          };
          const answer = await rt.call('POST', '/v1/check', asked);
          const expected = sdk.check(feature);
          const where = `${product}/${feature ?? '-'} ${role} ${bitness}`;
          if (expected.ok) {
            seen.add('granted');
            assert.equal(answer.status, 200, where);
            const { licenseId, proof, unproven, ...grant } = answer.json;
            // These licenses were made without container keys: granted, unsigned, and saying why.
            assert.equal(proof, null, where);
            assert.equal((unproven as { reason: string }).reason, 'no-key', where);
            assert.deepEqual(
              grant,
              {
                product: expected.product,
                feature: expected.feature ?? null,
                serial: expected.serial,
                type: expected.type,
                users: expected.users,
                expiresAt: expected.expiresAt,
                file: expected.file,
              },
              where,
            );
            const activationId = sdk.status().find((f) => f.path === expected.file)?.activationId;
            assert.equal(licenseId, `${activationId}:${product}`, where);
          } else {
            seen.add(expected.code);
            assert.equal(answer.status, ERRORS[expected.code as ErrorCode].status, where);
            assert.deepEqual(answer.json, { code: expected.code, message: expected.reason }, where);
          }
        }
        await sdk.close();
      }
    }
  }
  // The store exercised every kind of answer.
  assert.deepEqual([...seen].sort(), [
    'LICTOR_E_ARCH_MISMATCH',
    'LICTOR_E_BLACKLISTED',
    'LICTOR_E_CLIENT_LICENSE',
    'LICTOR_E_FEATURE_NOT_LICENSED',
    'LICTOR_E_HARDWARE_MISMATCH',
    'LICTOR_E_LICENSE_EXPIRED',
    'LICTOR_E_NETWORK_LICENSE',
    'LICTOR_E_NOT_LICENSED',
    'LICTOR_E_SERVER_LICENSE',
    'LICTOR_E_TOKEN_ABSENT',
    'granted',
  ]);
  // One licensing state per vendor key, product and kind of application, kept.
  assert.equal(rt.running.runtime.pool.entries().length, 8);
});

test('a malformed request is refused before any license is looked at', async (t) => {
  const rt = await startRuntime(t);
  const bad = await rt.call('POST', '/v1/check', { publicKey: 'lictor-ed25519:nope', product: 'ERP', nonce: nonce() });
  assert.equal(bad.status, 400, JSON.stringify(bad.json));
  assert.equal(bad.json.code, 'LICTOR_E_PUBLIC_KEY_INVALID');
  const noNonce = await rt.call('POST', '/v1/check', { publicKey: PUBLIC_KEY, product: 'ERP' });
  assert.equal(noNonce.status, 400);
  assert.deepEqual(noNonce.json.details, { field: 'nonce', location: 'body' });
  const shortNonce = await rt.call('POST', '/v1/check', { publicKey: PUBLIC_KEY, product: 'ERP', nonce: 'abc' });
  assert.equal(shortNonce.status, 400);
  assert.equal(rt.running.runtime.pool.entries().length, 0);
});

test('status lists the licenses of the products applications asked about', async (t) => {
  const rt = await startRuntime(t);
  const current = doc({ issuedAt: '2026-02-01T00:00:00.000Z' });
  await writeLicenses(rt.licenses, {
    'a.lic': current,
    'a-old.lic': { ...doc(), serial: current.serial },
    'cad.lic': doc({ licenses: [entry({ product: 'CAD' })] }),
  });
  assert.equal(
    (await rt.call('POST', '/v1/check', { publicKey: PUBLIC_KEY, product: 'ERP', nonce: nonce() })).status,
    200,
  );
  const status = await rt.call('GET', '/v1/status');
  assert.equal(status.status, 200);
  const body = status.json as {
    runtime: { id: string; version: string; socket: string; url: string };
    products: { product: string; role: string; bitness: number; files: { file: string; state: string }[] }[];
    sessions: { count: number };
  };
  assert.equal(body.runtime.id, rt.running.id);
  assert.equal(body.runtime.socket, rt.running.socket);
  assert.equal(body.runtime.url, rt.running.url);
  assert.equal(body.sessions.count, 0);
  assert.equal(body.products.length, 1);
  assert.equal(body.products[0]?.product, 'ERP');
  assert.deepEqual(body.products[0]?.files.map((f) => [f.file.slice(rt.licenses.length + 1), f.state]).sort(), [
    ['a-old.lic', 'superseded'],
    ['a.lic', 'available'],
  ]);
});
