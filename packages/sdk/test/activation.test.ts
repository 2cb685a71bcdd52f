import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type ActivationRequest,
  encodeLicenseFile,
  generateVendorKeys,
  hmacSha256,
  type LicenseDocument,
  loadSigner,
  signServerTime,
  toHex,
  utf8,
} from '@lictor/protocol';
import { defaultMachineSecret, machineTag } from '../src/index.js';
import { entry, OWNER, open, PIN, SERIAL, vendor } from './container-fixtures.js';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-activation-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fake License Center that answers one activation, honouring the container keys or not, with the signed time `time` makes. */
async function center(honourKeys: boolean, time?: (nonce: string) => unknown) {
  const received: ActivationRequest[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      const request = JSON.parse(body) as ActivationRequest;
      received.push(request);
      const doc: LicenseDocument = {
        format: 1,
        containerId: 'c-online',
        activationId: 'a-online',
        serial: request.serial,
        pin: 1,
        issuedAt: new Date().toISOString(),
        counter: 0,
        owner: request.owner,
        binding: { kind: 'hardware', hardware: request.hardware },
        licenses: [entry()],
        ...(honourKeys && request.containerKeys ? { containerKeys: request.containerKeys } : {}),
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          activationId: doc.activationId,
          reactivated: false,
          license: encodeLicenseFile(doc, vendor),
          ...(time ? { time: time(request.timeNonce ?? '') } : {}),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('online activation creates a container', () => {
  test('public container keys are sent; the private ones are sealed next to the license (0600)', async () => {
    const c = await center(true);
    try {
      const store = await mkdtemp(join(root, 'store-'));
      const licensing = await open(store);
      const result = await licensing.activate({ center: c.url, serial: SERIAL, pin: PIN, owner: OWNER });
      const sent = c.received[0]?.containerKeys;
      assert.ok(sent?.sign && sent.box);
      const keyFile = result.file.replace(/\.lic$/, '.key');
      assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
      const sealed = JSON.parse(await readFile(keyFile, 'utf8')) as Record<string, unknown>;
      assert.deepEqual(Object.keys(sealed).sort(), ['format', 'iv', 'machine', 'sealed']);
      assert.equal(JSON.stringify(sealed).includes('PRIVATE KEY'), false);
      const [info] = licensing.containers();
      assert.equal(info?.id, 'c-online');
      assert.equal(info?.upgradable, true);
      assert.equal(licensing.check('historian').ok, true);
    } finally {
      await c.close();
    }
  });

  test("the center's signed time moves the clock mark; a time signed by another key refuses the answer, writing nothing", async () => {
    const at = Date.parse('2027-06-01T00:00:00.000Z');
    const genuine = await center(true, (nonce) => signServerTime(vendor, at, nonce));
    try {
      const licensing = await open(await mkdtemp(join(root, 'store-')));
      await licensing.activate({ center: genuine.url, serial: SERIAL, pin: PIN, owner: OWNER });
      assert.equal(licensing.clock().serverTime, new Date(at).toISOString());
      assert.ok(Date.parse(licensing.clock().mark ?? '') >= at);
      await licensing.close();
    } finally {
      await genuine.close();
    }
    const other = loadSigner(generateVendorKeys().privatePem);
    const forged = await center(true, (nonce) => signServerTime(other, at, nonce));
    try {
      const store = await mkdtemp(join(root, 'store-'));
      const licensing = await open(store);
      await assert.rejects(licensing.activate({ center: forged.url, serial: SERIAL, pin: PIN, owner: OWNER }), {
        code: 'LICTOR_E_SIGNATURE_INVALID',
      });
      assert.deepEqual(await readdir(store), []);
      await licensing.close();
    } finally {
      await forged.close();
    }
  });

  test('a center that drops the container keys is refused and nothing is written', async () => {
    const c = await center(false);
    try {
      const store = await mkdtemp(join(root, 'store-'));
      const licensing = await open(store);
      await assert.rejects(licensing.activate({ center: c.url, serial: SERIAL, pin: PIN, owner: OWNER }), {
        code: 'LICTOR_E_UPGRADE_UNSUPPORTED',
      });
      assert.deepEqual(await readdir(store), []);
    } finally {
      await c.close();
    }
  });
});

describe('machine secret', () => {
  test('the default secret is an HMAC of the machine id, never the id itself', async () => {
    const id = (await readFile('/etc/machine-id', 'utf8').catch(() => '')).trim();
    if (process.platform !== 'linux' || id === '') return;
    const secret = await defaultMachineSecret()();
    assert.equal(secret.length, 32);
    assert.equal(toHex(secret), toHex(hmacSha256(utf8('lictor/v1/machine-secret'), id)));
    assert.equal(toHex(secret).includes(id), false);
  });

  test('the machine tag is 8 bytes of hex and differs between secrets', () => {
    assert.match(machineTag(new Uint8Array(32)), /^[0-9a-f]{16}$/);
    assert.notEqual(machineTag(new Uint8Array(32)), machineTag(new Uint8Array(32).fill(1)));
  });
});
