import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  decodeRequestFile,
  decodeShortCode,
  encodeAnswerCode,
  encodeLicenseFile,
  encodeShortCode,
  generateVendorKeys,
  type HardwareParams,
  type LicenseDocument,
  type LicenseEntry,
  licenseFromAnswer,
  licenseSigningBytes,
  loadSigner,
  parseRequestCode,
  requestCodeProvesPin,
  requestProvesPin,
  toCodeMinute,
} from '@lictor/protocol';
import { openLicensing } from '../src/index.js';
import { HW, OWNER, PIN, SERIAL } from './container-fixtures.js';

const vendor = loadSigner(generateVendorKeys().privatePem);
const SECRET = new Uint8Array(32).fill(7);
const ENTRY: LicenseEntry = {
  product: 'SCADA',
  type: 'single',
  users: 1,
  sessions: null,
  arch: null,
  expiresAt: null,
  features: [{ code: 'historian', users: null }],
};

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-offline-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function computer(hardware: HardwareParams = HW) {
  const store = await mkdtemp(join(root, 'store-'));
  let hw = hardware;
  const licensing = await openLicensing({
    product: 'SCADA',
    publicKey: vendor.publicKey.text,
    paths: [store],
    hardware: async () => hw,
    machineSecret: async () => SECRET,
    watch: false,
  });
  return {
    licensing,
    store,
    setHardware(next: HardwareParams) {
      hw = next;
    },
  };
}

/** The vendor's side of the file path, as the License Center does it. */
function answerFile(requestText: string, pin = PIN, honourKeys = true): string {
  const request = decodeRequestFile(requestText);
  assert.equal(requestProvesPin(request, pin), true, 'the request proves the PIN');
  const doc: LicenseDocument = {
    format: 1,
    containerId: 'c-offline',
    activationId: 'a-offline',
    serial: request.serial,
    pin: 1,
    issuedAt: new Date().toISOString(),
    counter: 0,
    owner: request.owner,
    binding: { kind: 'hardware', hardware: request.hardware },
    licenses: [ENTRY],
    requestNonce: request.nonce,
    ...(honourKeys && request.containerKeys ? { containerKeys: request.containerKeys } : {}),
  };
  return encodeLicenseFile(doc, vendor);
}

/** The vendor's side of the code path: it sees only digests. */
function answerCode(requestCode: string, pin = PIN): string {
  const bytes = decodeShortCode(requestCode);
  assert.equal(requestCodeProvesPin(bytes, pin), true);
  const request = parseRequestCode(bytes);
  const activationId = '0123456789abcdef';
  const issuedAt = toCodeMinute(new Date().toISOString());
  const placeholder = licenseFromAnswer(
    { activationId, pin: 1, issuedAt, entry: ENTRY, signature: new Uint8Array(64) },
    { serial: request.serial, owner: {}, hardware: HW, nonce: request.nonce },
  );
  const signature = vendor.sign(licenseSigningBytes(placeholder, vendor.publicKey, request.subject));
  return encodeShortCode(encodeAnswerCode({ activationId, pin: 1, issuedAt, entry: ENTRY, signature }));
}

const licFiles = async (store: string) => (await readdir(store)).filter((f) => f.endsWith('.lic'));
const keyFiles = async (store: string) => (await readdir(store)).filter((f) => f.endsWith('.key'));

describe('offline activation by request file', () => {
  test('request → answer → install: the product is licensed, the request is marked installed', async () => {
    const pc = await computer();
    const request = await pc.licensing.requestOffline(
      { serial: SERIAL, pin: PIN, owner: OWNER, product: 'SCADA' },
      'file',
    );
    assert.match(request.text, /^-----BEGIN LICTOR REQUEST-----/);
    assert.equal(request.text.includes(PIN), false);
    assert.equal(request.text.includes(PIN.replaceAll('-', '')), false);
    assert.equal(pc.licensing.check('historian').ok, false);

    const installed = await pc.licensing.install({ file: answerFile(request.text) });
    assert.equal(installed.requestId, request.id);
    assert.equal(pc.licensing.check('historian').ok, true);
    const [pending] = await pc.licensing.requests();
    assert.equal(pending?.status, 'installed');
    assert.equal(pending?.licenseFile, installed.file);
    assert.equal(pending?.sealedKeys, undefined, 'the sealed keys leave the request record at install');
    assert.deepEqual(await keyFiles(pc.store), [installed.file.replace(/^.*\//, '').replace(/\.lic$/, '.key')]);
    assert.equal(pc.licensing.containers()[0]?.upgradable, true);
  });

  test("a request file's id never starts with '-' (it is typed after `lictor requests cancel`)", async () => {
    const pc = await computer();
    // One base64url id in 64 starts with '-': 400 requests would meet one about 6 times over.
    const ids: string[] = [];
    for (let i = 0; i < 400; i++) {
      ids.push((await pc.licensing.requestOffline({ serial: SERIAL, pin: PIN, owner: OWNER }, 'file')).id);
    }
    assert.deepEqual(
      ids.filter((id) => id.startsWith('-')),
      [],
    );
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(ids.every((id) => /^[A-Za-z0-9_-]{22}$/.test(id)));
  });

  test('an answer whose center did not honour the container keys is refused, nothing installed', async () => {
    const pc = await computer();
    const request = await pc.licensing.requestOffline({ serial: SERIAL, pin: PIN, owner: OWNER }, 'file');
    assert.ok(decodeRequestFile(request.text).containerKeys, 'the request carries container keys');
    await assert.rejects(pc.licensing.install({ file: answerFile(request.text, PIN, false) }), {
      code: 'LICTOR_E_UPGRADE_UNSUPPORTED',
    });
    assert.deepEqual(await licFiles(pc.store), []);
    assert.equal((await pc.licensing.requests())[0]?.status, 'pending');
  });

  test('installing the same answer twice is refused and changes nothing', async () => {
    const pc = await computer();
    const request = await pc.licensing.requestOffline({ serial: SERIAL, pin: PIN, owner: OWNER }, 'file');
    const answer = answerFile(request.text);
    await pc.licensing.install({ file: answer });
    const before = await licFiles(pc.store);
    await assert.rejects(pc.licensing.install({ file: answer }), { code: 'LICTOR_E_ALREADY_INSTALLED' });
    assert.deepEqual(await licFiles(pc.store), before);
  });

  test('an answer to a request made on another computer is refused', async () => {
    const a = await computer();
    const b = await computer({ ...HW, hostname: 'plant-08', nics: ['00:1b:1b:aa:bb:02'], disks: ['SIEMENS-SSD-0002'] });
    const request = await a.licensing.requestOffline({ serial: SERIAL, pin: PIN, owner: OWNER }, 'file');
    await assert.rejects(b.licensing.install({ file: answerFile(request.text) }), { code: 'LICTOR_E_REQUEST_UNKNOWN' });
    assert.deepEqual(await licFiles(b.store), []);
  });

  test('hardware changed between request and answer: refused with what changed, nothing installed', async () => {
    const pc = await computer();
    const request = await pc.licensing.requestOffline({ serial: SERIAL, pin: PIN, owner: OWNER }, 'file');
    pc.setHardware({ ...HW, nics: [] });
    await assert.rejects(pc.licensing.install({ file: answerFile(request.text) }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'LICTOR_E_HARDWARE_MISMATCH');
      assert.match(err.message, /network adapter 00:1b:1b:aa:bb:01 removed/);
      return true;
    });
    assert.deepEqual(await licFiles(pc.store), []);
    assert.equal((await pc.licensing.requests())[0]?.status, 'pending');
  });

  test('a cancelled request no longer accepts its answer', async () => {
    const pc = await computer();
    const request = await pc.licensing.requestOffline({ serial: SERIAL, pin: PIN, owner: OWNER }, 'file');
    await pc.licensing.cancelRequest(request.id);
    await assert.rejects(pc.licensing.install({ file: answerFile(request.text) }), {
      code: 'LICTOR_E_REQUEST_UNKNOWN',
      message: /cancelled/,
    });
  });

  test('a license file that answers no request, and a tampered answer, are refused', async () => {
    const pc = await computer();
    const request = await pc.licensing.requestOffline({ serial: SERIAL, pin: PIN, owner: OWNER }, 'file');
    const online = encodeLicenseFile(
      {
        format: 1,
        containerId: 'c',
        activationId: 'a',
        serial: SERIAL,
        pin: 1,
        issuedAt: new Date().toISOString(),
        counter: 0,
        owner: OWNER,
        binding: { kind: 'hardware', hardware: HW },
        licenses: [ENTRY],
      },
      vendor,
    );
    await assert.rejects(pc.licensing.install({ file: online }), { code: 'LICTOR_E_REQUEST_UNKNOWN' });
    const answer = answerFile(request.text);
    const lines = answer.split('\n');
    lines[3] = `${lines[3]?.[0] === 'A' ? 'B' : 'A'}${lines[3]?.slice(1)}`;
    await assert.rejects(pc.licensing.install({ file: lines.join('\n') }), { code: 'LICTOR_E_FILE_TAMPERED' });
    assert.deepEqual(await licFiles(pc.store), []);
  });

  test('pending requests survive closing the application', async () => {
    const pc = await computer();
    const request = await pc.licensing.requestOffline({ serial: SERIAL, pin: PIN, owner: OWNER }, 'file');
    const later = await openLicensing({
      product: 'SCADA',
      publicKey: vendor.publicKey,
      paths: [pc.store],
      hardware: async () => HW,
      machineSecret: async () => SECRET,
      watch: false,
    });
    assert.deepEqual(
      (await later.requests()).map((r) => [r.id, r.status]),
      [[request.id, 'pending']],
    );
    await later.install({ file: answerFile(request.text) });
    assert.equal(later.check().ok, true);
  });
});

describe('offline activation by short code', () => {
  test('request code → answer code → install gives the same license as the file path', async () => {
    const pc = await computer();
    const request = await pc.licensing.requestOffline({ serial: SERIAL, pin: PIN, owner: OWNER }, 'code');
    assert.match(request.text, /^([0-9A-Z]{6}-)+[0-9A-Z]{6}$/);
    const answer = answerCode(request.text);
    const installed = await pc.licensing.install({ code: answer.toLowerCase().replaceAll('-', ' ') });
    assert.equal(installed.requestId, request.id);
    const r = pc.licensing.check('historian');
    assert.equal(r.ok, true);
    const file = pc.licensing.status().find((f) => f.available);
    assert.deepEqual(file?.licenses, [ENTRY]);
    assert.equal(file?.container?.upgradable, true, 'the code path creates an upgradable container too');
    await assert.rejects(pc.licensing.install({ code: answer }), { code: 'LICTOR_E_ALREADY_INSTALLED' });
  });

  test('an answer code for another computer matches no request here', async () => {
    const a = await computer();
    const b = await computer({ ...HW, hostname: 'plant-09', nics: ['00:1b:1b:aa:bb:09'] });
    const request = await a.licensing.requestOffline({ serial: SERIAL, pin: PIN, owner: OWNER }, 'code');
    await b.licensing.requestOffline({ serial: SERIAL, pin: PIN, owner: OWNER }, 'code');
    await assert.rejects(b.licensing.install({ code: answerCode(request.text) }), { code: 'LICTOR_E_REQUEST_UNKNOWN' });
  });

  test('a mistyped answer code names the group with the mistake', async () => {
    const pc = await computer();
    const request = await pc.licensing.requestOffline({ serial: SERIAL, pin: PIN, owner: OWNER }, 'code');
    const answer = answerCode(request.text);
    const typo = `${answer.slice(0, 14)}${answer[14] === 'X' ? 'Y' : 'X'}${answer.slice(15)}`;
    await assert.rejects(pc.licensing.install({ code: typo }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'LICTOR_E_CODE_INVALID');
      assert.match(err.message, /group 3/);
      return true;
    });
  });
});
