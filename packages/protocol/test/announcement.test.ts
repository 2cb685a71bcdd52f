/**
 * License announcements and duplicate detection: who can make an announcement, what the
 * detector takes for a duplicate (two instances at once) and what it does not (a restart, two
 * applications on one computer, a replay, clock steps), what is on the wire (no owner, no
 * hardware), and the evidence the License Center checks.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type Announcement,
  type AnnouncementCredential,
  announcementCredential,
  canonicalJson,
  createAnnouncement,
  DuplicateDetector,
  decodeAnnouncement,
  decodeLicenseFile,
  type ErrorCode,
  encodeAnnouncement,
  encodeLicenseFile,
  generateContainerKeys,
  generateVendorKeys,
  hardwareBindingOf,
  type LicenseDocument,
  licenseSignedView,
  loadSigner,
  MAX_ANNOUNCEMENT_BYTES,
  normalizeHardware,
  sealDocument,
  sha256,
  toBase64Url,
  verifyAnnouncement,
  verifyDuplicateEvidence,
} from '../src/index.js';
import { assertCode } from './refusal.js';

const vendor = loadSigner(generateVendorKeys().privatePem);
const otherVendor = loadSigner(generateVendorKeys().privatePem);

interface Holder {
  license: string;
  credential: AnnouncementCredential;
  signKey: string;
}

/** Owner and hardware values that must never be on the wire. */
const PRIVATE = ['Keller Maschinenbau', 'anna@keller.example', 'ws-keller-01', '52:54:00:ab:cd:ef', 'WD-WX41A1234567'];

/** A license document for `pin` of `serial` with its own container keys, as an activation makes it. */
function document(serial: string, pin: number, activationId: string) {
  const keys = generateContainerKeys();
  const doc: LicenseDocument = {
    format: 1,
    containerId: `c-${activationId}`,
    activationId,
    serial,
    pin,
    issuedAt: '2030-01-15T10:00:00.000Z',
    counter: 0,
    owner: { company: 'Keller Maschinenbau', email: 'anna@keller.example' },
    binding: {
      kind: 'hardware',
      hardware: {
        platform: 'linux',
        osName: 'Debian',
        osVersion: '12',
        hostname: 'ws-keller-01',
        board: '',
        ramBytes: 8 * 1024 ** 3,
        bios: '',
        cpus: [],
        nics: ['52:54:00:ab:cd:ef'],
        disks: ['WD-WX41A1234567'],
      },
    },
    licenses: [{ product: 'app', type: 'single', users: 1, sessions: null, arch: null, expiresAt: null, features: [] }],
    containerKeys: keys.public,
  };
  return { doc, signKey: keys.private.sign };
}

/** A license file with its announcement credential, as an activated computer holds them. */
function activated(serial: string, pin: number, activationId: string, signer = vendor): Holder {
  const { doc, signKey } = document(serial, pin, activationId);
  const license = encodeLicenseFile(doc, signer);
  const credential = announcementCredential(license, signer.publicKey);
  assert.ok(credential);
  return { license, credential, signKey };
}

function announce(h: Holder, instance: string, seq: number): Announcement {
  return createAnnouncement({ ...h.credential, instance, seq }, h.signKey);
}

function seen(a: Announcement) {
  return verifyAnnouncement(JSON.parse(JSON.stringify(a)), vendor.publicKey);
}

function rejectsCode(fn: () => unknown, code: ErrorCode, pattern?: RegExp): void {
  const err = assertCode(fn, code);
  if (pattern) assert.match(err.message, pattern);
}

describe('license announcements', () => {
  const holder = activated('LX-AAAA-BBBB-CCCC', 1, 'act-1');

  test('round-trip through wire bytes names the serial, PIN and activation', () => {
    const v = decodeAnnouncement(encodeAnnouncement(announce(holder, 'instance-one', 1)), vendor.publicKey);
    assert.equal(v.serial, 'LX-AAAA-BBBB-CCCC');
    assert.equal(v.pin, 1);
    assert.equal(v.activationId, 'act-1');
    assert.equal(v.announcement.seq, 1);
  });

  test('the bytes on the wire carry no owner and no hardware, and no wall-clock time', () => {
    const text = new TextDecoder().decode(encodeAnnouncement(announce(holder, 'instance-one', 1)));
    for (const value of PRIVATE) assert.ok(!text.includes(value), `${value} is on the wire`);
    for (const field of [
      '"owner":',
      '"hardware":',
      '"hostname":',
      '"nics":',
      '"disks":',
      '"company":',
      '"email":',
      '"sentAt":',
    ])
      assert.ok(!text.includes(field), `${field} is on the wire`);
    // Nor the license file, which anyone with the application can decrypt.
    assert.ok(!text.includes('BEGIN LICTOR LICENSE'));
  });

  test('an announcement not signed by the license container is refused', () => {
    const stranger = activated('LX-AAAA-BBBB-CCCC', 1, 'act-2');
    // Someone who has the license view (it travels on the network) but not its container key.
    const forged = createAnnouncement({ ...holder.credential, instance: 'instance-evil', seq: 1 }, stranger.signKey);
    rejectsCode(() => seen(forged), 'LICTOR_E_ANNOUNCEMENT_INVALID', /not by the license container/);
    // ... nor with their own container keys put next to the license view.
    const swapped = createAnnouncement(
      { ...holder.credential, containerKeys: stranger.credential.containerKeys, instance: 'instance-evil', seq: 1 },
      stranger.signKey,
    );
    rejectsCode(() => seen(swapped), 'LICTOR_E_ANNOUNCEMENT_INVALID', /not the ones the license names/);
  });

  test('every changed field breaks a signature', () => {
    const a = announce(holder, 'instance-one', 7);
    const view = { ...a.license, pin: 2 };
    for (const changed of [
      { ...a, instance: 'instance-two' },
      { ...a, seq: 8 },
      { ...a, subjectPrivate: toBase64Url(new Uint8Array(32)) },
      { ...a, license: view },
    ]) {
      rejectsCode(() => seen(changed), 'LICTOR_E_ANNOUNCEMENT_INVALID');
    }
  });

  test("another vendor's license is refused", () => {
    const foreign = activated('LX-AAAA-BBBB-CCCC', 1, 'act-3', otherVendor);
    rejectsCode(
      () => seen(announce(foreign, 'instance-one', 1)),
      'LICTOR_E_ANNOUNCEMENT_INVALID',
      /not signed by this vendor/,
    );
  });

  test('a license signed before format 2 of the subject digest still verifies, but cannot announce', () => {
    const { doc } = document('LX-AAAA-BBBB-CCCC', 1, 'act-old');
    const subject = {
      owner: doc.owner,
      hardware: normalizeHardware(hardwareBindingOf(doc).hardware),
      containerKeys: doc.containerKeys,
    };
    const legacy = toBase64Url(
      sha256(new TextEncoder().encode(`lictor/v1/subject\0${canonicalJson(subject)}`)).subarray(0, 10),
    );
    const text = sealDocument('license', doc, vendor, licenseSignedView(doc, legacy));
    assert.equal(decodeLicenseFile(text, vendor.publicKey).activationId, 'act-old');
    assert.equal(announcementCredential(text, vendor.publicKey), null);
  });

  test('garbage, oversized and malformed announcements get a typed refusal', () => {
    const bad = [
      new TextEncoder().encode('not json'),
      new Uint8Array([0xff, 0xfe, 0x00]),
      new Uint8Array(MAX_ANNOUNCEMENT_BYTES + 1),
      encodeAnnouncement({ ...announce(holder, 'instance-one', 1), instance: 'x' }),
      new TextEncoder().encode(JSON.stringify({ format: 1 })),
      new TextEncoder().encode('null'),
    ];
    for (const bytes of bad)
      rejectsCode(() => decodeAnnouncement(bytes, vendor.publicKey), 'LICTOR_E_ANNOUNCEMENT_INVALID');
  });
});

describe('duplicate detection', () => {
  const a = activated('LX-AAAA-BBBB-CCCC', 1, 'act-1');
  const b = activated('LX-AAAA-BBBB-CCCC', 1, 'act-2');
  const otherPin = activated('LX-AAAA-BBBB-CCCC', 2, 'act-3');
  const sec = 1000;
  /** A monotonic counter value (ms), far from 0 like a real uptime. */
  const M = 3_600_000;

  test('two computers using one serial and PIN at once are caught, with evidence the center accepts', () => {
    const detector = new DuplicateDetector();
    assert.equal(detector.observe(seen(announce(a, 'computer-a', M)), 0), null);
    assert.equal(detector.observe(seen(announce(b, 'computer-b', 5)), 5 * sec), null);
    const evidence = detector.observe(seen(announce(a, 'computer-a', M + 30 * sec)), 30 * sec);
    assert.ok(evidence !== null && typeof evidence === 'object', `expected evidence, got ${String(evidence)}`);
    const proven = verifyDuplicateEvidence(JSON.parse(JSON.stringify(evidence)), vendor.publicKey);
    assert.deepEqual(proven.activations, ['act-1', 'act-2']);
    assert.deepEqual(proven.instances, ['computer-a', 'computer-b']);
    assert.equal(proven.serial, 'LX-AAAA-BBBB-CCCC');
    assert.equal(proven.pin, 1);
  });

  test('a cloned computer (same file, two instances) is a duplicate of one activation', () => {
    const detector = new DuplicateDetector();
    detector.observe(seen(announce(a, 'original', M)), 0);
    detector.observe(seen(announce(a, 'computer-clone', 10)), sec);
    const evidence = detector.observe(seen(announce(a, 'original', M + 30 * sec)), 2 * sec);
    assert.ok(evidence !== null && typeof evidence === 'object');
    assert.deepEqual(verifyDuplicateEvidence(evidence, vendor.publicKey).activations, ['act-1']);
  });

  test('not duplicates: restarts and reboots (whatever the clock), applications on one computer, other PINs', () => {
    const detector = new DuplicateDetector();
    // The first boot, then a reboot: the new instance is heard only after the old one stopped.
    // Its counter starts again near 0 (a new boot), which would be a clock far behind: no matter.
    for (let i = 0; i < 5; i++)
      assert.equal(detector.observe(seen(announce(a, 'boot-one', M + i * 30 * sec)), i * 30 * sec), null);
    for (let i = 0; i < 5; i++)
      assert.equal(
        detector.observe(seen(announce(a, 'boot-two', 20 * sec + i * 30 * sec)), (160 + i * 30) * sec),
        null,
      );
    // Two applications of boot-two's computer, with one instance and one monotonic clock, interleave.
    assert.equal(detector.observe(seen(announce(a, 'boot-two', 160 * sec)), 300 * sec), null);
    assert.equal(detector.observe(seen(announce(a, 'boot-two', 161 * sec)), 301 * sec), null);
    // Another PIN of the same serial in use elsewhere is another seat.
    for (let i = 0; i < 3; i++) {
      assert.equal(
        detector.observe(seen(announce(otherPin, 'computer-c', M + i * 10 * sec)), (400 + i * 10) * sec),
        null,
      );
      assert.equal(detector.observe(seen(announce(a, 'boot-two', (200 + i * 10) * sec)), (401 + i * 10) * sec), null);
    }
  });

  test("the receiver's clock stepping back or forward makes no duplicate of a restart", () => {
    const detector = new DuplicateDetector();
    const steps = [0, 30 * sec, -3600 * sec, -3570 * sec, 7200 * sec, 7230 * sec];
    for (const [i, now] of steps.entries()) {
      assert.equal(detector.observe(seen(announce(a, 'boot-one', M + i * 30 * sec)), now), null);
    }
    for (const [i, now] of steps.entries()) {
      assert.equal(detector.observe(seen(announce(a, 'boot-two', 1 + i * 30 * sec)), now + sec), null);
    }
  });

  test('replayed announcements are ignored', () => {
    const detector = new DuplicateDetector();
    const first = announce(a, 'computer-a', M);
    assert.equal(detector.observe(seen(first), 0), null);
    assert.equal(detector.observe(seen(first), sec), 'replayed');
    assert.equal(detector.observe(seen(announce(a, 'computer-a', M - 1)), 2 * sec), 'replayed');
    // An old announcement of B replayed between two of A's is B's latest only if B is new here;
    // once B has been heard, its replay is ignored and makes no evidence.
    assert.equal(detector.observe(seen(announce(b, 'computer-b', 50)), 3 * sec), null);
  });

  test('the center refuses evidence that does not prove two instances at once', () => {
    const a1 = announce(a, 'computer-a', M);
    const b1 = announce(b, 'computer-b', 7);
    const a2 = announce(a, 'computer-a', M + 30 * sec);
    const ok = { format: 2, serial: 'LX-AAAA-BBBB-CCCC', pin: 1, announcements: [a1, b1, a2] };
    assert.ok(verifyDuplicateEvidence(ok, vendor.publicKey));
    const cases: [unknown, RegExp][] = [
      [{ ...ok, announcements: [a1, b1] }, /exactly three/],
      [{ ...ok, announcements: [b1, a1, a2] }, /different instances/],
      [{ ...ok, announcements: [a1, a2, a2] }, /same instance|different instances/],
      [{ ...ok, announcements: [a2, b1, a1] }, /counter does not grow/],
      [{ ...ok, announcements: [a1, announce(otherPin, 'computer-b', 1), a2] }, /different PINs/],
      [{ ...ok, announcements: [a1, b1, announce(a, 'computer-a', M + 16 * 60 * sec)] }, /too far apart/],
      [{ ...ok, announcements: [a1, { ...b1, instance: 'computer-z' }, a2] }, /announcement 2/],
      [{ ...ok, format: 1 }, /not an evidence/],
      ['nonsense', /not an evidence/],
    ];
    for (const [evidence, reason] of cases) {
      rejectsCode(() => verifyDuplicateEvidence(evidence, vendor.publicKey), 'LICTOR_E_EVIDENCE_INVALID', reason);
    }
  });

  test('property: one instance, however it announces, is never a duplicate; two overlapping always are', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 30 }), (gaps) => {
        const detector = new DuplicateDetector();
        let t = 0;
        for (const gap of gaps) {
          t += gap * sec;
          if (detector.observe(seen(announce(a, 'only-one', M + t)), t) !== null) return false;
        }
        return true;
      }),
      { numRuns: 30 },
    );
    fc.assert(
      // Gaps up to twice the default 30 s interval; silence beyond 3 minutes forgets an instance.
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 60 }), (gap1, gap2) => {
        const detector = new DuplicateDetector();
        detector.observe(seen(announce(a, 'instance-one', M)), 0);
        if (detector.observe(seen(announce(b, 'instance-two', 1)), gap1 * sec) !== null) return false;
        const evidence = detector.observe(
          seen(announce(a, 'instance-one', M + (gap1 + gap2) * sec)),
          (gap1 + gap2) * sec,
        );
        return (
          typeof evidence === 'object' &&
          evidence !== null &&
          verifyDuplicateEvidence(evidence, vendor.publicKey).pin === 1
        );
      }),
      { numRuns: 30 },
    );
  });
});
