/**
 * Borrowed seats (`borrow.ts`) and the license terms behind them (`borrowDays`, `graceMinutes` of
 * a license entry): the terms are signed and absent unless set; a borrowed seat verifies only
 * when genuine, unaltered, for this nonce and within the license's days; what binds it to a
 * computer; the return secret.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type AnswerKey,
  answerSessionOpener,
  type BorrowedSeat,
  borrowedSeatFileText,
  borrowHardwareDigest,
  borrowReturnKey,
  borrowReturnSecret,
  borrowReturnValid,
  decodeLicenseFile,
  encodeLicenseFile,
  generateContainerKeys,
  generateVendorKeys,
  type HardwareParams,
  type LicenseDocument,
  type LicenseEntry,
  loadContainerSigner,
  loadSigner,
  parseBorrowedSeatFile,
  parseLicenseDocument,
  randomBytes,
  signAnswer,
  toBase64Url,
  verifyBorrowedSeat,
} from '../src/index.js';
import { assertCode } from './refusal.js';

const DAY = 86_400_000;
const vendor = loadSigner(generateVendorKeys().privatePem);
const otherVendor = loadSigner(generateVendorKeys().privatePem);

const HW: HardwareParams = {
  platform: 'linux',
  osName: 'Debian',
  osVersion: '12',
  hostname: 'laptop',
  board: 'LENOVO 21A0',
  ramBytes: 16 * 1024 ** 3,
  bios: 'N3AET75W',
  cpus: ['Intel i7 (4 cores)'],
  nics: ['00:11:22:33:44:55'],
  disks: ['S4EW123'],
};

function entry(over: Partial<LicenseEntry> = {}): LicenseEntry {
  return {
    product: 'CAD',
    type: 'multi',
    users: 10,
    sessions: null,
    arch: null,
    expiresAt: null,
    features: [{ code: 'render', users: null }],
    ...over,
  };
}

function licenseDoc(licenses: LicenseEntry[], keys = generateContainerKeys()): LicenseDocument {
  return {
    format: 1,
    containerId: `c-${toBase64Url(randomBytes(6))}`,
    activationId: 'a-1',
    serial: 'LX-7K2M-9QXD-4RTA',
    pin: 1,
    issuedAt: '2026-01-01T00:00:00Z',
    counter: 0,
    owner: { company: 'Initech' },
    binding: { kind: 'hardware', hardware: { ...HW, hostname: 'lm-1' } },
    licenses,
    containerKeys: keys.public,
  };
}

/** A manager's signing key for a license of `licenses`, signed by `by`. */
function managerKey(licenses: LicenseEntry[], by = vendor): AnswerKey {
  const keys = generateContainerKeys();
  const doc = licenseDoc(licenses, keys);
  return {
    license: encodeLicenseFile(doc, by),
    containerId: doc.containerId,
    sign: loadContainerSigner(keys.private.sign),
    openSession: answerSessionOpener(keys.private.box),
  };
}

const NONCE = toBase64Url(new Uint8Array(24).fill(3));
const GRANTED = Date.parse('2026-03-01T12:00:00Z');

function seat(over: Partial<BorrowedSeat> = {}): BorrowedSeat {
  return {
    id: 'b-1',
    product: 'CAD',
    feature: null,
    licenseId: 'a-1:CAD',
    serial: 'LX-7K2M-9QXD-4RTA',
    computer: { machine: '0123456789abcdef', hardware: borrowHardwareDigest(HW) },
    grantedAt: new Date(GRANTED).toISOString(),
    until: new Date(GRANTED + 7 * DAY).toISOString(),
    ...over,
  };
}

/** A borrowed seat answer signed by `key` over `nonce`, as a manager sends it. */
function signedSeat(key: AnswerKey, s: BorrowedSeat = seat(), nonce = NONCE) {
  const answer = { borrow: s };
  return { nonce, answer, seat: s, proof: signAnswer(key, 'borrow', nonce, answer) };
}

/** `fn` refuses with `LICTOR_E_ANSWER_UNPROVEN` for `reason`. */
function unproven(fn: () => unknown, reason: string): void {
  const err = assertCode(fn, 'LICTOR_E_ANSWER_UNPROVEN');
  assert.equal(err.details?.reason, reason, err.message);
}

describe('license terms for a License Manager', () => {
  test('absent unless set: a license without them keeps its fields; with them, they are signed', () => {
    const plain = licenseDoc([entry()]);
    const parsed = parseLicenseDocument(JSON.parse(JSON.stringify(plain)));
    assert.equal('borrowDays' in (parsed.licenses[0] as object), false);
    assert.equal('graceMinutes' in (parsed.licenses[0] as object), false);

    const withTerms = licenseDoc([entry({ borrowDays: 14, graceMinutes: 30 })]);
    const text = encodeLicenseFile(withTerms, vendor);
    const back = decodeLicenseFile(text, vendor.publicKey).licenses[0];
    assert.deepEqual([back?.borrowDays, back?.graceMinutes], [14, 30]);
  });

  test('out of range or not whole numbers: LICTOR_E_FILE_FORMAT naming the field', () => {
    for (const [over, field] of [
      [{ borrowDays: 0 }, 'borrowDays'],
      [{ borrowDays: 366 }, 'borrowDays'],
      [{ borrowDays: 1.5 }, 'borrowDays'],
      [{ graceMinutes: 0 }, 'graceMinutes'],
      [{ graceMinutes: 7 * 24 * 60 + 1 }, 'graceMinutes'],
      [{ graceMinutes: '30' }, 'graceMinutes'],
    ] as const) {
      const doc = JSON.parse(JSON.stringify(licenseDoc([entry()])));
      Object.assign(doc.licenses[0], over);
      assert.throws(
        () => parseLicenseDocument(doc),
        (err: Error & { code?: string }) => err.code === 'LICTOR_E_FILE_FORMAT' && err.message.includes(field),
      );
    }
  });
});

describe('borrowed seats', () => {
  const key = managerKey([entry({ borrowDays: 14 })]);

  test('a genuine seat verifies; its end is the seat end or the license end, whichever is first', () => {
    const v = verifyBorrowedSeat(signedSeat(key), vendor.publicKey);
    assert.equal(v.endsAtMs, GRANTED + 7 * DAY);
    assert.equal(v.entry.borrowDays, 14);
    const ending = managerKey([entry({ borrowDays: 14, expiresAt: new Date(GRANTED + DAY).toISOString() })]);
    assert.equal(verifyBorrowedSeat(signedSeat(ending), vendor.publicKey).endsAtMs, GRANTED + DAY);
  });

  test('an altered end, another nonce, or another purpose does not verify', () => {
    const genuine = signedSeat(key);
    const longer = seat({ until: new Date(GRANTED + 10 * DAY).toISOString() });
    unproven(
      () => verifyBorrowedSeat({ ...genuine, answer: { borrow: longer }, seat: longer }, vendor.publicKey),
      'signature',
    );
    unproven(
      () => verifyBorrowedSeat({ ...genuine, nonce: toBase64Url(new Uint8Array(24).fill(4)) }, vendor.publicKey),
      'signature',
    );
    const asLease = { ...genuine, proof: signAnswer(key, 'lease', NONCE, genuine.answer) };
    unproven(() => verifyBorrowedSeat(asLease, vendor.publicKey), 'signature');
  });

  test('a license of another vendor, one that lends nothing, or not for that long, does not cover it', () => {
    const foreign = managerKey([entry({ borrowDays: 365 })], otherVendor);
    unproven(() => verifyBorrowedSeat(signedSeat(foreign), vendor.publicKey), 'license');
    const lendsNothing = managerKey([entry()]);
    unproven(() => verifyBorrowedSeat(signedSeat(lendsNothing), vendor.publicKey), 'not-covered');
    const fiveDays = managerKey([entry({ borrowDays: 5 })]);
    assert.throws(
      () => verifyBorrowedSeat(signedSeat(fiveDays), vendor.publicKey),
      /longer than the 5 day\(s\) the license of serial LX-7K2M-9QXD-4RTA allows/,
    );
    unproven(() => verifyBorrowedSeat(signedSeat(key, seat({ product: 'CAM' })), vendor.publicKey), 'not-covered');
    unproven(() => verifyBorrowedSeat(signedSeat(key, seat({ feature: 'export' })), vendor.publicKey), 'not-covered');
    unproven(
      () => verifyBorrowedSeat(signedSeat(key, seat({ serial: 'LX-0000-0000-0000' })), vendor.publicKey),
      'not-covered',
    );
    const ended = managerKey([entry({ borrowDays: 14, expiresAt: '2026-02-01T00:00:00Z' })]);
    unproven(() => verifyBorrowedSeat(signedSeat(ended), vendor.publicKey), 'not-covered');
  });

  test('the file: written and read back to the same verified seat; malformed files are refused', () => {
    const genuine = signedSeat(key);
    const text = borrowedSeatFileText({ manager: 'http://lm-1:8790', ...genuine });
    const file = parseBorrowedSeatFile(text);
    assert.deepEqual(file.seat, genuine.seat);
    assert.equal(verifyBorrowedSeat(file, vendor.publicKey).seat.id, 'b-1');
    for (const broken of [
      'not json',
      '{}',
      JSON.stringify({ ...JSON.parse(text), version: 2 }),
      JSON.stringify({ ...JSON.parse(text), nonce: 'short' }),
      JSON.stringify({ ...JSON.parse(text), proof: { key: 'session', mac: 'x' } }),
      JSON.stringify({ ...JSON.parse(text), answer: { borrow: { ...genuine.seat, computer: { machine: 'x' } } } }),
    ]) {
      assertCode(() => parseBorrowedSeatFile(broken), 'LICTOR_E_FILE_FORMAT');
    }
  });

  test('what binds it to a computer: the drives, board, processors and platform, not the network, RAM or name', () => {
    const digest = borrowHardwareDigest(HW);
    assert.match(digest, /^[A-Za-z0-9_-]{14}$/);
    const moved = { ...HW, hostname: 'renamed', nics: [], ramBytes: 8 * 1024 ** 3, bios: 'new', osVersion: '13' };
    assert.equal(borrowHardwareDigest(moved), digest);
    assert.notEqual(borrowHardwareDigest({ ...HW, disks: ['OTHER'] }), digest);
    assert.notEqual(borrowHardwareDigest({ ...HW, board: 'Dell' }), digest);
    assert.notEqual(borrowHardwareDigest({ ...HW, cpus: ['AMD'] }), digest);
  });

  test('the return secret: made from the machine secret and the nonce; the manager keeps only its digest', () => {
    const secret = borrowReturnSecret(new Uint8Array(32).fill(1), NONCE);
    const returnKey = borrowReturnKey(secret);
    assert.equal(borrowReturnValid(returnKey, secret), true);
    assert.equal(borrowReturnValid(returnKey, borrowReturnSecret(new Uint8Array(32).fill(2), NONCE)), false);
    assert.equal(borrowReturnValid(returnKey, borrowReturnSecret(new Uint8Array(32).fill(1), 'A'.repeat(32))), false);
    assert.equal(borrowReturnValid(returnKey, undefined), false);
    assert.equal(borrowReturnValid(returnKey, returnKey.slice(1)), false);
  });
});
