/**
 * What the vendor's license signature covers (`licenseSignedView`, `licenseSigningBytes`,
 * `subjectDigest`) and the two ways a signature reaches a computer: the end-to-end short-code
 * path (request code → answer code → `licenseFromAnswer` + `licenseFileFromSignature`) and a
 * regular file, where no field can change under the original signature.
 */
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type AnswerCode,
  createRequestCode,
  decodeLicenseFile,
  decodeShortCode,
  encodeAnswerCode,
  encodeLicenseFile,
  encodeShortCode,
  fromBase64Url,
  type HardwareParams,
  hardwareBindingOf,
  type LicenseDocument,
  type LicenseEntry,
  licenseFileFromSignature,
  licenseFromAnswer,
  licenseSignedView,
  licenseSigningBytes,
  loadSigner,
  normalizeHardware,
  normalizeSerial,
  type Owner,
  parseAnswerCode,
  parseRequestCode,
  requestCodeProvesPin,
  SUBJECT_DIGEST_BYTES,
  sha256,
  subjectDigest,
  toCodeMinute,
  type VendorSigner,
} from '../src/index.js';
import { assertCode } from './refusal.js';

const GiB = 1024 ** 3;
const PIN = '0K1ZM-7Q0PA-1X4RT';

/**
 * A vendor signer from a fixed seed (PKCS#8 DER of an Ed25519 seed), so that every run signs the
 * same bytes; random keys would make the short codes below differ from run to run.
 */
function signerFromSeed(label: string): VendorSigner {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), sha256(label)]);
  const pem = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' });
  return loadSigner(pem.toString());
}

const vendor = signerFromSeed('lictor test vendor');
const otherVendor = signerFromSeed('lictor other vendor');
const publicKey = vendor.publicKey;

function owner(): Owner {
  return { name: 'Anna Keller', company: 'Keller & Söhne GmbH', email: 'anna.keller@example.org' };
}

/** As the SDK collects it: not yet normalized. */
function collectedHardware(): HardwareParams {
  return {
    platform: 'win32',
    osName: 'Windows 11 Pro',
    osVersion: '10.0.22631',
    hostname: 'WS-ACCOUNTING',
    board: 'ASUSTeK PRIME B550M-A',
    ramBytes: 16 * GiB,
    bios: 'American Megatrends 2803',
    cpus: ['AMD Ryzen 7 5700X (8 cores)'],
    nics: ['A4-BB-6D-01-02-03', '52:54:00:12:34:56'],
    disks: ['WD-WCC4N1234567', 'S4EWNX0R123456'],
  };
}

/** Another computer: what the vendor puts in the placeholder, since the code carries only a digest. */
function otherHardware(): HardwareParams {
  return {
    platform: 'linux',
    osName: 'Ubuntu',
    osVersion: '24.04',
    hostname: 'placeholder',
    board: '',
    ramBytes: 0,
    bios: '',
    cpus: [],
    nics: [],
    disks: [],
  };
}

function entry(): LicenseEntry {
  return {
    product: 'ACME.CAD',
    type: 'multi',
    users: 5,
    sessions: null,
    arch: null,
    expiresAt: '2026-03-14T00:00:00.000Z',
    features: [
      { code: 'render', users: null },
      { code: 'export-dwg', users: 3 },
    ],
  };
}

// ---- the short-code path, end to end ----------------------------------------------------------

const NONCE = Uint8Array.of(0x5e, 0x11, 0xa7, 0x0d, 0x99);
const ACTIVATION_ID = '5f1d8a2e9b7c4a31';

/** What the requesting computer keeps while it waits for the answer. */
function pending() {
  return {
    serial: normalizeSerial('lx 7k2m 9qht d4wz'),
    owner: owner(),
    hardware: collectedHardware(),
    nonce: Buffer.from(NONCE.subarray(0, 4)).toString('hex'),
  };
}

/** The vendor's side: reads the typed request code, checks the PIN, answers with a typed answer code. */
function vendorAnswers(requestCodeText: string, signer: VendorSigner = vendor, subjectOverride?: string) {
  const received = decodeShortCode(requestCodeText, 'request code');
  const request = parseRequestCode(received);
  assert.ok(requestCodeProvesPin(received, PIN));
  const issuedAt = toCodeMinute('2025-03-14T09:26:53.123Z');
  const placeholder: LicenseDocument = {
    format: 1,
    containerId: ACTIVATION_ID,
    activationId: ACTIVATION_ID,
    serial: request.serial,
    pin: 2,
    issuedAt,
    counter: 0,
    owner: {},
    binding: { kind: 'hardware', hardware: otherHardware() },
    licenses: [entry()],
    requestNonce: request.nonce,
  };
  const subject = subjectOverride ?? request.subject;
  const signature = signer.sign(licenseSigningBytes(placeholder, publicKey, subject));
  const answer: AnswerCode = { activationId: ACTIVATION_ID, pin: 2, issuedAt, entry: entry(), signature };
  return { request, placeholder, subject, answer, answerCode: encodeShortCode(encodeAnswerCode(answer)) };
}

function requestCodeText(): string {
  const p = pending();
  const bytes = createRequestCode(
    {
      serial: 'LX-7K2M-9QHT-D4WZ',
      nonce: NONCE,
      createdAt: new Date('2025-03-14T09:20:00Z'),
      owner: p.owner,
      hardware: p.hardware,
    },
    PIN,
  );
  return encodeShortCode(bytes);
}

describe('license by short code, end to end', () => {
  test('the computer rebuilds a license file the vendor signed without seeing owner or hardware', () => {
    const { request, answerCode, placeholder, subject } = vendorAnswers(requestCodeText().toLowerCase());
    assert.equal(request.subject, subjectDigest(owner(), collectedHardware()));
    const answer = parseAnswerCode(decodeShortCode(answerCode.replaceAll('-', ' '), 'answer code'));
    const doc = licenseFromAnswer(answer, pending());
    const text = licenseFileFromSignature(doc, answer.signature, publicKey);
    const decoded = decodeLicenseFile(text, publicKey);
    assert.deepEqual(decoded, doc);
    assert.deepEqual(decoded.licenses, [entry()]);
    assert.equal(decoded.serial, 'LX-7K2M-9QHT-D4WZ');
    assert.equal(decoded.requestNonce, '5e11a70d');
    assert.equal(decoded.activationId, ACTIVATION_ID);
    assert.equal(decoded.containerId, ACTIVATION_ID);
    assert.equal(decoded.pin, 2);
    assert.equal(decoded.issuedAt, '2025-03-14T09:26:00.000Z');
    assert.deepEqual(decoded.owner, owner());
    assert.deepEqual(hardwareBindingOf(decoded).hardware, collectedHardware());
    // The same signed bytes as the placeholder with the request's subject, so the same as the file path.
    assert.deepEqual(licenseSigningBytes(doc, publicKey), licenseSigningBytes(placeholder, publicKey, subject));
    assert.deepEqual(vendor.sign(licenseSigningBytes(doc, publicKey)), answer.signature);
    assert.deepEqual(decodeLicenseFile(encodeLicenseFile(doc, vendor), publicKey), decoded);
  });

  test('another owner, other hardware, serial or nonce on the computer → SIGNATURE_INVALID', () => {
    const { answerCode } = vendorAnswers(requestCodeText());
    const answer = parseAnswerCode(decodeShortCode(answerCode));
    const hw = collectedHardware();
    const others: [string, ReturnType<typeof pending>][] = [
      ['owner name', { ...pending(), owner: { ...owner(), name: 'Anna Kellner' } }],
      ['owner key added', { ...pending(), owner: { ...owner(), phone: '+49 711 1234' } }],
      ['owner emptied', { ...pending(), owner: {} }],
      ['hostname', { ...pending(), hardware: { ...hw, hostname: 'ws-sales' } }],
      ['one NIC less', { ...pending(), hardware: { ...hw, nics: hw.nics.slice(1) } }],
      ['another disk', { ...pending(), hardware: { ...hw, disks: [...hw.disks, 'NEW-DISK'] } }],
      ['RAM', { ...pending(), hardware: { ...hw, ramBytes: 32 * GiB } }],
      ['OS version', { ...pending(), hardware: { ...hw, osVersion: '10.1' } }],
      ['the placeholder hardware', { ...pending(), hardware: otherHardware() }],
      ['serial', { ...pending(), serial: 'LX-7K2M-9QHT-D4WY' }],
      ['nonce', { ...pending(), nonce: '5e11a70e' }],
    ];
    for (const [what, p] of others) {
      assertCode(
        () => licenseFileFromSignature(licenseFromAnswer(answer, p), answer.signature, publicKey),
        'LICTOR_E_SIGNATURE_INVALID',
        what,
      );
    }
  });

  test('hardware that differs only before normalization still verifies', () => {
    const { answerCode } = vendorAnswers(requestCodeText());
    const answer = parseAnswerCode(decodeShortCode(answerCode));
    const hw = collectedHardware();
    for (const hardware of [
      normalizeHardware(hw),
      { ...hw, nics: [...hw.nics].reverse(), disks: [...hw.disks].reverse() },
      { ...hw, hostname: 'ws-accounting', osVersion: '10.0', nics: hw.nics.map((m) => m.toLowerCase()) },
    ]) {
      const doc = licenseFromAnswer(answer, { ...pending(), hardware });
      assert.deepEqual(decodeLicenseFile(licenseFileFromSignature(doc, answer.signature, publicKey), publicKey), doc);
    }
  });

  test('a signature by another vendor key → SIGNATURE_INVALID', () => {
    const { answerCode } = vendorAnswers(requestCodeText(), otherVendor);
    const answer = parseAnswerCode(decodeShortCode(answerCode));
    const doc = licenseFromAnswer(answer, pending());
    assertCode(
      () => licenseFileFromSignature(doc, answer.signature, publicKey),
      'LICTOR_E_SIGNATURE_INVALID',
      'other vendor',
    );
    // Signed by the other vendor over its own key id: valid for the other key only.
    const ownBytes = otherVendor.sign(licenseSigningBytes(doc, otherVendor.publicKey));
    assertCode(() => licenseFileFromSignature(doc, ownBytes, publicKey), 'LICTOR_E_SIGNATURE_INVALID', 'own key id');
    assert.ok(decodeLicenseFile(licenseFileFromSignature(doc, ownBytes, otherVendor.publicKey), otherVendor.publicKey));
  });

  test('a signature over the placeholder itself (subject not taken from the request) → SIGNATURE_INVALID', () => {
    const placeholderSubject = subjectDigest({}, otherHardware());
    const { answerCode } = vendorAnswers(requestCodeText(), vendor, placeholderSubject);
    const answer = parseAnswerCode(decodeShortCode(answerCode));
    assertCode(
      () => licenseFileFromSignature(licenseFromAnswer(answer, pending()), answer.signature, publicKey),
      'LICTOR_E_SIGNATURE_INVALID',
      'placeholder subject',
    );
  });

  test('an answer whose entry, pin, issue time or signature changed → SIGNATURE_INVALID', () => {
    const { answer } = vendorAnswers(requestCodeText());
    const flipped = answer.signature.slice();
    flipped[17] = (flipped[17] as number) ^ 4;
    const changed: [string, AnswerCode][] = [
      ['users', { ...answer, entry: { ...answer.entry, users: 6 } }],
      ['expiry', { ...answer, entry: { ...answer.entry, expiresAt: null } }],
      ['features', { ...answer, entry: { ...answer.entry, features: [] } }],
      ['type', { ...answer, entry: { ...answer.entry, type: 'single' } }],
      ['pin', { ...answer, pin: 3 }],
      ['issuedAt', { ...answer, issuedAt: '2025-03-14T09:27:00.000Z' }],
      ['activation id', { ...answer, activationId: '5f1d8a2e9b7c4a32' }],
      ['signature bit', { ...answer, signature: flipped }],
      ['zero signature', { ...answer, signature: new Uint8Array(64) }],
    ];
    for (const [what, a] of changed) {
      const parsed = parseAnswerCode(encodeAnswerCode(a));
      assertCode(
        () => licenseFileFromSignature(licenseFromAnswer(parsed, pending()), parsed.signature, publicKey),
        'LICTOR_E_SIGNATURE_INVALID',
        what,
      );
    }
  });
});

// ---- regular license files -----------------------------------------------------------------------

function originalDoc(): LicenseDocument {
  return {
    format: 1,
    containerId: 'c_5f1d8a2e9b7c4a31',
    activationId: 'a_0c9e2b7f14d84e66',
    serial: 'LX-7K2M-9QHT-D4WZ',
    pin: 2,
    issuedAt: '2025-03-14T09:26:53.000Z',
    counter: 0,
    owner: owner(),
    binding: { kind: 'hardware', hardware: normalizeHardware(collectedHardware()) },
    licenses: [
      entry(),
      {
        product: 'ACME.SRV',
        type: 'server-sessions',
        users: 1,
        sessions: 10,
        arch: 'x64',
        expiresAt: null,
        features: [],
      },
    ],
  };
}

type Change = [string, (d: LicenseDocument) => void];

/** Every kind of change a holder of the file might try; each must break the signature. */
function changes(): Change[] {
  const hw = (d: LicenseDocument) => hardwareBindingOf(d).hardware;
  const first = (d: LicenseDocument) => d.licenses[0] as LicenseEntry;
  return [
    ['containerId', (d) => (d.containerId = 'c_5f1d8a2e9b7c4a32')],
    ['activationId', (d) => (d.activationId = 'a_0c9e2b7f14d84e67')],
    ['serial', (d) => (d.serial = 'LX-7K2M-9QHT-D4WY')],
    ['pin', (d) => (d.pin = 1)],
    ['issuedAt', (d) => (d.issuedAt = '2025-03-14T09:26:54.000Z')],
    ['counter', (d) => (d.counter = 1)],
    ['owner value', (d) => (d.owner.name = 'Anna Kellner')],
    ['owner key added', (d) => (d.owner.phone = '+49 711 1234')],
    ['owner key removed', (d) => delete d.owner.company],
    ['owner emptied', (d) => (d.owner = {})],
    ['owner value moved to another key', (d) => (d.owner = { ...d.owner, name: '', fullName: 'Anna Keller' })],
    ['hardware.platform', (d) => (hw(d).platform = 'linux')],
    ['hardware.osName', (d) => (hw(d).osName = 'Windows 10 Pro')],
    ['hardware.osVersion', (d) => (hw(d).osVersion = '6.1')],
    ['hardware.hostname', (d) => (hw(d).hostname = 'ws-sales')],
    ['hardware.board', (d) => (hw(d).board = 'ASUSTeK PRIME B450M-A')],
    ['hardware.board emptied', (d) => (hw(d).board = '')],
    ['hardware.ramBytes', (d) => (hw(d).ramBytes = 8 * GiB)],
    ['hardware.bios', (d) => (hw(d).bios = '')],
    ['hardware.cpus changed', (d) => (hw(d).cpus = ['AMD Ryzen 9 5950X (16 cores)'])],
    ['hardware.cpus doubled', (d) => (hw(d).cpus = [...hw(d).cpus, ...hw(d).cpus])],
    ['hardware.cpus emptied', (d) => (hw(d).cpus = [])],
    ['hardware.nics one removed', (d) => (hw(d).nics = hw(d).nics.slice(1))],
    ['hardware.nics one added', (d) => (hw(d).nics = [...hw(d).nics, '02:00:00:00:00:01'])],
    ['hardware.nics one changed', (d) => (hw(d).nics = [hw(d).nics[0] as string, '52:54:00:12:34:57'])],
    ['hardware.disks emptied', (d) => (hw(d).disks = [])],
    ['hardware.disks one added', (d) => (hw(d).disks = [...hw(d).disks, 'ZL2ABCDEF'])],
    ['hardware.disks one changed', (d) => (hw(d).disks = [hw(d).disks[0] as string, 'S4EWNX0R123457'])],
    ['licenses: product', (d) => (first(d).product = 'ACME.CAM')],
    ['licenses: type', (d) => (first(d).type = 'server')],
    ['licenses: users', (d) => (first(d).users = 50)],
    ['licenses: sessions', (d) => (first(d).sessions = 5)],
    ['licenses: arch', (d) => (first(d).arch = 'x64')],
    ['licenses: feature added', (d) => first(d).features.push({ code: 'simulate', users: null })],
    ['licenses: feature removed', (d) => first(d).features.pop()],
    ['licenses: feature users', (d) => ((first(d).features[1] as { users: number | null }).users = 30)],
    ['licenses: feature uncounted', (d) => ((first(d).features[1] as { users: number | null }).users = null)],
    ['licenses: feature code', (d) => ((first(d).features[0] as { code: string }).code = 'render-pro')],
    ['licenses: features reordered', (d) => first(d).features.reverse()],
    ['licenses: entry removed', (d) => d.licenses.pop()],
    ['licenses: entry duplicated', (d) => d.licenses.push(structuredClone(first(d)))],
    ['licenses: entries reordered', (d) => d.licenses.reverse()],
    ['expiry extended', (d) => (first(d).expiresAt = '2036-03-14T00:00:00.000Z')],
    ['expiry removed (perpetual)', (d) => (first(d).expiresAt = null)],
    ['expiry added', (d) => ((d.licenses[1] as LicenseEntry).expiresAt = '2026-03-14T00:00:00.000Z')],
    ['expiry, same instant in another spelling', (d) => (first(d).expiresAt = '2026-03-14T00:00:00Z')],
    ['requestNonce added', (d) => (d.requestNonce = '5e11a70d')],
  ];
}

/** Decodes an original file and returns the decoded document with the vendor's signature of it. */
function decodedWithSignature(doc: LicenseDocument) {
  const decoded = decodeLicenseFile(encodeLicenseFile(doc, vendor), publicKey);
  assert.deepEqual(decoded, doc);
  return { decoded, signature: vendor.sign(licenseSigningBytes(doc, publicKey)) };
}

describe('a regular license file keeps no change under the original signature', () => {
  test('unchanged, the decoded document re-sealed with the original signature decodes', () => {
    for (const doc of [originalDoc(), { ...originalDoc(), requestNonce: '5e11a70d' }]) {
      const { decoded, signature } = decodedWithSignature(doc);
      const text = licenseFileFromSignature(structuredClone(decoded), signature, publicKey);
      assert.deepEqual(decodeLicenseFile(text, publicKey), doc);
    }
  });

  test('every changed field of hardware, owner, licenses, expiry, ids and request nonce → SIGNATURE_INVALID', () => {
    const { decoded, signature } = decodedWithSignature(originalDoc());
    for (const [what, change] of changes()) {
      const changed = structuredClone(decoded);
      change(changed);
      assert.notDeepEqual(changed, decoded, what);
      assertCode(() => licenseFileFromSignature(changed, signature, publicKey), 'LICTOR_E_SIGNATURE_INVALID', what);
    }
  });

  test('with a request nonce: changed or removed → SIGNATURE_INVALID', () => {
    const { decoded, signature } = decodedWithSignature({ ...originalDoc(), requestNonce: '5e11a70d' });
    const nonceChanges: Change[] = [
      ['requestNonce changed', (d) => (d.requestNonce = '5e11a70e')],
      ['requestNonce removed', (d) => delete d.requestNonce],
      ['requestNonce emptied', (d) => (d.requestNonce = '')],
    ];
    for (const [what, change] of [...nonceChanges, ...changes().filter(([w]) => w !== 'requestNonce added')]) {
      const changed = structuredClone(decoded);
      change(changed);
      assertCode(() => licenseFileFromSignature(changed, signature, publicKey), 'LICTOR_E_SIGNATURE_INVALID', what);
    }
  });

  test('the signature of one license does not fit another document of the same vendor', () => {
    const a = decodedWithSignature(originalDoc());
    const other = { ...originalDoc(), containerId: 'c_other', activationId: 'a_other' };
    assertCode(
      () => licenseFileFromSignature(other, a.signature, publicKey),
      'LICTOR_E_SIGNATURE_INVALID',
      'another document',
    );
  });

  test('changes that normalization removes keep the signature valid', () => {
    const { decoded, signature } = decodedWithSignature(originalDoc());
    const same: Change[] = [
      ['nics reordered', (d) => hardwareBindingOf(d).hardware.nics.reverse()],
      ['disks reordered', (d) => hardwareBindingOf(d).hardware.disks.reverse()],
      [
        'MAC in upper case with dashes',
        (d) => (hardwareBindingOf(d).hardware.nics = ['A4-BB-6D-01-02-03', '52:54:00:12:34:56']),
      ],
      [
        'duplicate MAC',
        (d) => hardwareBindingOf(d).hardware.nics.push(hardwareBindingOf(d).hardware.nics[0] as string),
      ],
      ['host name in upper case', (d) => (hardwareBindingOf(d).hardware.hostname = 'WS-ACCOUNTING')],
      ['OS build number', (d) => (hardwareBindingOf(d).hardware.osVersion = '10.0.22631')],
      ['extra white space', (d) => (hardwareBindingOf(d).hardware.board = '  ASUSTeK   PRIME B550M-A ')],
      ['owner keys in another order', (d) => (d.owner = Object.fromEntries(Object.entries(d.owner).reverse()))],
    ];
    for (const [what, change] of same) {
      const changed = structuredClone(decoded);
      change(changed);
      assert.deepEqual(
        decodeLicenseFile(licenseFileFromSignature(changed, signature, publicKey), publicKey),
        changed,
        what,
      );
    }
  });
});

// ---- what the signature covers -------------------------------------------------------------------

describe('licenseSignedView and subjectDigest', () => {
  test('the signed view holds the subject digest instead of owner and hardware', () => {
    const doc = originalDoc();
    const view = licenseSignedView(doc);
    assert.ok(!('owner' in view));
    assert.deepEqual(view.binding, {
      kind: 'hardware',
      subject: subjectDigest(doc.owner, hardwareBindingOf(doc).hardware),
    });
    const bytes = Buffer.from(licenseSigningBytes(doc, publicKey)).toString('utf8');
    for (const secret of ['Anna Keller', 'anna.keller@example.org', 'ws-accounting', '52:54:00:12:34:56']) {
      assert.ok(!bytes.includes(secret), secret);
    }
    assert.ok(bytes.startsWith('lictor/v1/license\0'));
    // An explicit subject replaces the computed one.
    assert.deepEqual(licenseSignedView(doc, 'AAAAAAAAAAAAAA').binding, { kind: 'hardware', subject: 'AAAAAAAAAAAAAA' });
  });

  test('subjectDigest is 10 bytes, base64url', () => {
    assert.equal(SUBJECT_DIGEST_BYTES, 10);
    const d = subjectDigest(owner(), collectedHardware());
    assert.match(d, /^[A-Za-z0-9_-]{14}$/);
    assert.equal(fromBase64Url(d)?.length, 10);
    assert.equal(subjectDigest(owner(), collectedHardware()), d);
    assert.match(subjectDigest({}, otherHardware()), /^[A-Za-z0-9_-]{14}$/);
  });

  test('property: the order of listed hardware and of owner keys does not matter', () => {
    const hw = collectedHardware();
    const list = <T>(xs: T[]) => fc.shuffledSubarray(xs, { minLength: xs.length, maxLength: xs.length });
    const cpus = ['Intel Xeon E5-2680 v4 (14 cores)', 'Intel Xeon E5-2680 v4 (14 cores)', 'AMD EPYC 7443P'];
    const nics = ['52:54:00:12:34:56', 'a4:bb:6d:01:02:03', '3c:ec:ef:00:a1:b2', '02:42:ac:11:00:02'];
    const disks = ['S4EWNX0R123456', 'WD-WCC4N1234567', 'ZL2ABCDEF'];
    const expected = subjectDigest(owner(), { ...hw, cpus, nics, disks });
    fc.assert(
      fc.property(list(cpus), list(nics), list(disks), list(Object.entries(owner())), (c, n, d, o) => {
        assert.equal(subjectDigest(Object.fromEntries(o), { ...hw, cpus: c, nics: n, disks: d }), expected);
      }),
      { numRuns: 100 },
    );
  });

  test('normalization: case of host name and MACs, MAC dashes, OS build, white space, duplicate NICs and disks', () => {
    const hw = collectedHardware();
    const expected = subjectDigest(owner(), hw);
    for (const variant of [
      normalizeHardware(hw),
      { ...hw, hostname: 'ws-accounting ' },
      { ...hw, nics: ['a4:bb:6d:01:02:03', '52-54-00-12-34-56'] },
      { ...hw, nics: [...hw.nics, '52:54:00:12:34:56'], disks: [...hw.disks, 'S4EWNX0R123456'] },
      { ...hw, osVersion: '10.0' },
      { ...hw, board: 'ASUSTeK\tPRIME  B550M-A' },
    ]) {
      assert.equal(subjectDigest(owner(), variant), expected, JSON.stringify(variant));
    }
  });

  test('any value that survives normalization changes the digest', () => {
    const hw = collectedHardware();
    const base = subjectDigest(owner(), hw);
    const variants: [string, Owner, HardwareParams][] = [
      ['owner value', { ...owner(), name: 'Anna Kellner' }, hw],
      ['owner value case', { ...owner(), name: 'anna keller' }, hw],
      ['owner key', { ...owner(), phone: '' }, hw],
      ['owner empty', {}, hw],
      [
        'owner key renamed',
        { fullName: 'Anna Keller', company: 'Keller & Söhne GmbH', email: 'anna.keller@example.org' },
        hw,
      ],
      ['platform', owner(), { ...hw, platform: 'linux' }],
      ['osName', owner(), { ...hw, osName: 'Windows 11 Home' }],
      ['osVersion', owner(), { ...hw, osVersion: '10.1' }],
      ['hostname', owner(), { ...hw, hostname: 'ws-accounting2' }],
      ['board', owner(), { ...hw, board: 'asustek prime b550m-a' }],
      ['ramBytes', owner(), { ...hw, ramBytes: hw.ramBytes + 1 }],
      ['bios', owner(), { ...hw, bios: 'American Megatrends 2804' }],
      ['cpus', owner(), { ...hw, cpus: [...hw.cpus, ...hw.cpus] }],
      ['nics', owner(), { ...hw, nics: hw.nics.slice(1) }],
      ['disks', owner(), { ...hw, disks: [...hw.disks, 'NEW'] }],
      ['disk case', owner(), { ...hw, disks: hw.disks.map((d) => d.toLowerCase()) }],
    ];
    const seen = new Set([base]);
    for (const [what, o, h] of variants) {
      const d = subjectDigest(o, h);
      assert.ok(!seen.has(d), what);
      seen.add(d);
    }
  });

  test('property: distinct normalized owner and hardware give distinct digests', () => {
    const text = fc.string({ maxLength: 12 });
    const hwArb = fc.record(
      {
        platform: fc.constantFrom('win32', 'linux'),
        osName: text,
        osVersion: fc.constantFrom('10.0', '6.1', ''),
        hostname: text,
        board: text,
        ramBytes: fc.integer({ min: 0, max: 2 ** 40 }),
        bios: text,
        cpus: fc.array(text, { maxLength: 2 }),
        nics: fc.array(fc.constantFrom('52:54:00:12:34:56', 'a4:bb:6d:01:02:03'), { maxLength: 2 }),
        disks: fc.array(text, { maxLength: 2 }),
      },
      { noNullPrototype: true },
    );
    const ownerArb = fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), text, {
      maxKeys: 3,
      noNullPrototype: true,
    });
    fc.assert(
      fc.property(ownerArb, hwArb, ownerArb, hwArb, (o1, h1, o2, h2) => {
        const key = (o: Owner, h: HardwareParams) => JSON.stringify([Object.entries(o).sort(), normalizeHardware(h)]);
        if (key(o1, h1) === key(o2, h2)) assert.equal(subjectDigest(o1, h1), subjectDigest(o2, h2));
        else assert.notEqual(subjectDigest(o1, h1), subjectDigest(o2, h2));
      }),
      { numRuns: 300 },
    );
  });
});
