/**
 * License announcements and duplicate detection: who can make an announcement, what the
 * detector takes for a duplicate (two instances at once) and what it does not (a restart, two
 * applications on one computer, a replay), and the evidence the License Center checks.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type Announcement,
  createAnnouncement,
  DuplicateDetector,
  decodeAnnouncement,
  type ErrorCode,
  encodeAnnouncement,
  encodeLicenseFile,
  generateContainerKeys,
  generateVendorKeys,
  type LicenseDocument,
  loadSigner,
  MAX_ANNOUNCEMENT_BYTES,
  verifyAnnouncement,
  verifyDuplicateEvidence,
} from '../src/index.js';
import { assertCode } from './refusal.js';

const vendor = loadSigner(generateVendorKeys().privatePem);
const otherVendor = loadSigner(generateVendorKeys().privatePem);

interface Holder {
  license: string;
  signKey: string;
}

/** A license file for `pin` of `serial` with its own container keys, as an activation makes it. */
function activated(serial: string, pin: number, activationId: string, signer = vendor): Holder {
  const keys = generateContainerKeys();
  const doc: LicenseDocument = {
    format: 1,
    containerId: `c-${activationId}`,
    activationId,
    serial,
    pin,
    issuedAt: '2030-01-15T10:00:00.000Z',
    counter: 0,
    owner: { company: 'Keller' },
    binding: {
      kind: 'hardware',
      hardware: {
        platform: 'linux',
        osName: 'Debian',
        osVersion: '12',
        hostname: 'ws-1',
        board: '',
        ramBytes: 8 * 1024 ** 3,
        bios: '',
        cpus: [],
        nics: [],
        disks: [],
      },
    },
    licenses: [{ product: 'app', type: 'single', users: 1, sessions: null, arch: null, expiresAt: null, features: [] }],
    containerKeys: keys.public,
  };
  return { license: encodeLicenseFile(doc, signer), signKey: keys.private.sign };
}

const T0 = Date.parse('2030-01-15T10:00:00.000Z');

function announce(h: Holder, instance: string, seq: number, atMs: number): Announcement {
  return createAnnouncement({ license: h.license, instance, seq, sentAt: new Date(atMs).toISOString() }, h.signKey);
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
    const a = announce(holder, 'instance-one', 1, T0);
    const v = decodeAnnouncement(encodeAnnouncement(a), vendor.publicKey);
    assert.equal(v.doc.serial, 'LX-AAAA-BBBB-CCCC');
    assert.equal(v.doc.pin, 1);
    assert.equal(v.doc.activationId, 'act-1');
    assert.equal(v.sentAtMs, T0);
  });

  test('an announcement not signed by the license container is refused', () => {
    const stranger = activated('LX-AAAA-BBBB-CCCC', 1, 'act-2');
    // Someone who has the license file (it travels on the network) but not its container key.
    const forged = createAnnouncement(
      { license: holder.license, instance: 'instance-evil', seq: 1, sentAt: new Date(T0).toISOString() },
      stranger.signKey,
    );
    rejectsCode(() => seen(forged), 'LICTOR_E_ANNOUNCEMENT_INVALID', /not by the license container/);
  });

  test('every changed field breaks the signature', () => {
    const a = announce(holder, 'instance-one', 7, T0);
    for (const changed of [
      { ...a, instance: 'instance-two' },
      { ...a, seq: 8 },
      { ...a, sentAt: new Date(T0 + 1000).toISOString() },
    ]) {
      rejectsCode(() => seen(changed), 'LICTOR_E_ANNOUNCEMENT_INVALID');
    }
  });

  test("another vendor's license file is refused with the license file's own code", () => {
    const foreign = activated('LX-AAAA-BBBB-CCCC', 1, 'act-3', otherVendor);
    rejectsCode(() => seen(announce(foreign, 'instance-one', 1, T0)), 'LICTOR_E_WRONG_VENDOR');
  });

  test('garbage, oversized and malformed announcements get a typed refusal', () => {
    const bad = [
      new TextEncoder().encode('not json'),
      new Uint8Array([0xff, 0xfe, 0x00]),
      new Uint8Array(MAX_ANNOUNCEMENT_BYTES + 1),
      encodeAnnouncement({ ...announce(holder, 'instance-one', 1, T0), instance: 'x' }),
      new TextEncoder().encode(JSON.stringify({ format: 2 })),
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

  test('two computers using one serial and PIN at once are caught, with evidence the center accepts', () => {
    const detector = new DuplicateDetector();
    assert.equal(detector.observe(seen(announce(a, 'computer-a', 1, T0)), T0), null);
    assert.equal(detector.observe(seen(announce(b, 'computer-b', 1, T0 + 5 * sec)), T0 + 5 * sec), null);
    const evidence = detector.observe(seen(announce(a, 'computer-a', 2, T0 + 30 * sec)), T0 + 30 * sec);
    assert.ok(evidence !== null && typeof evidence === 'object', `expected evidence, got ${String(evidence)}`);
    const proven = verifyDuplicateEvidence(JSON.parse(JSON.stringify(evidence)), vendor.publicKey);
    assert.deepEqual(proven.activations, ['act-1', 'act-2']);
    assert.deepEqual(proven.instances, ['computer-a', 'computer-b']);
    assert.equal(proven.serial, 'LX-AAAA-BBBB-CCCC');
    assert.equal(proven.pin, 1);
  });

  test('a cloned computer (same file, two instances) is a duplicate of one activation', () => {
    const detector = new DuplicateDetector();
    detector.observe(seen(announce(a, 'original', 1, T0)), T0);
    detector.observe(seen(announce(a, 'computer-clone', 1, T0 + sec)), T0 + sec);
    const evidence = detector.observe(seen(announce(a, 'original', 2, T0 + 2 * sec)), T0 + 2 * sec);
    assert.ok(evidence !== null && typeof evidence === 'object');
    assert.deepEqual(verifyDuplicateEvidence(evidence, vendor.publicKey).activations, ['act-1']);
  });

  test('not duplicates: a restart, applications on one computer, other PINs of the serial', () => {
    const detector = new DuplicateDetector();
    // The computer's first run, then a restart: a new instance only after the old one stopped.
    for (let i = 0; i < 5; i++)
      assert.equal(detector.observe(seen(announce(a, 'boot-one', i + 1, T0 + i * 30 * sec)), T0 + i * 30 * sec), null);
    for (let i = 0; i < 5; i++) {
      const at = T0 + (150 + i * 30) * sec;
      assert.equal(detector.observe(seen(announce(a, 'boot-two', i + 1, at)), at), null);
    }
    // Two applications on boot-2's computer announce with the same instance: a replay to the detector.
    const at = T0 + 400 * sec;
    assert.equal(detector.observe(seen(announce(b, 'boot-two', 6, at)), at), null);
    // Another PIN of the same serial in use elsewhere is another seat.
    for (let i = 0; i < 3; i++) {
      const t = at + i * 10 * sec;
      assert.equal(detector.observe(seen(announce(otherPin, 'computer-c', i + 1, t)), t), null);
      assert.equal(detector.observe(seen(announce(b, 'boot-two', 7 + i, t + sec)), t + sec), null);
    }
  });

  test('replayed and skewed announcements are ignored', () => {
    const detector = new DuplicateDetector({ maxSkewMs: 60 * sec });
    const first = announce(a, 'computer-a', 5, T0);
    assert.equal(detector.observe(seen(first), T0), null);
    assert.equal(detector.observe(seen(first), T0 + sec), 'replayed');
    assert.equal(detector.observe(seen(announce(a, 'computer-a', 4, T0 + 2 * sec)), T0 + 2 * sec), 'replayed');
    assert.equal(detector.observe(seen(announce(b, 'computer-b', 1, T0)), T0 + 120 * sec), 'skewed');
  });

  test('the center refuses evidence that does not prove two instances at once', () => {
    const a1 = announce(a, 'computer-a', 1, T0);
    const b1 = announce(b, 'computer-b', 1, T0 + sec);
    const a2 = announce(a, 'computer-a', 2, T0 + 2 * sec);
    const ok = { format: 1, serial: 'LX-AAAA-BBBB-CCCC', pin: 1, announcements: [a1, b1, a2] };
    assert.ok(verifyDuplicateEvidence(ok, vendor.publicKey));
    const cases: [unknown, RegExp][] = [
      [{ ...ok, announcements: [a1, b1] }, /exactly three/],
      [{ ...ok, announcements: [b1, a1, a2] }, /different instances/],
      [{ ...ok, announcements: [a1, a2, a2] }, /same instance|different instances/],
      [{ ...ok, announcements: [a1, announce(b, 'computer-b', 2, T0 + 3 * sec), a2] }, /interleave/],
      [{ ...ok, announcements: [a1, announce(otherPin, 'computer-b', 1, T0 + sec), a2] }, /different PINs/],
      [
        {
          ...ok,
          announcements: [
            a1,
            announce(b, 'computer-b', 3, T0 + 10 * 60 * sec),
            announce(a, 'computer-a', 3, T0 + 20 * 60 * sec),
          ],
        },
        /too far apart/,
      ],
      [{ ...ok, announcements: [a1, { ...b1, instance: 'computer-z' }, a2] }, /announcement 2/],
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
        let t = T0;
        let seq = 0;
        for (const gap of gaps) {
          t += gap * sec;
          const r = detector.observe(seen(announce(a, 'only-one', ++seq, t)), t);
          if (r !== null) return false;
        }
        return true;
      }),
      { numRuns: 30 },
    );
    fc.assert(
      // Gaps up to twice the default 30 s interval; silence beyond 3 minutes forgets an instance.
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 60 }), (gap1, gap2) => {
        const detector = new DuplicateDetector();
        detector.observe(seen(announce(a, 'instance-one', 1, T0)), T0);
        const tb = T0 + gap1 * sec;
        if (detector.observe(seen(announce(b, 'instance-two', 1, tb)), tb) !== null) return false;
        const ta = tb + gap2 * sec;
        const evidence = detector.observe(seen(announce(a, 'instance-one', 2, ta)), ta);
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
