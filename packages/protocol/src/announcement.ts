/**
 * Duplicate detection on the customer's network. Every computer and License Manager that uses
 * a license file announces it at intervals; an announcement carries the license file (signed by
 * the vendor, so it names the serial, PIN and container key) and is signed by the container's
 * own key, which only the activated computer holds. A forged announcement therefore needs that
 * computer's key: nobody can make a good license look duplicated by talking on the network.
 *
 * Two different computers using files for the same serial and PIN at the same time is a
 * duplicate. The proof ({@link DuplicateEvidence}) is three signed announcements A, B, A' whose
 * send times interleave: instance A was in use before and after instance B, so both ran at once.
 * A computer that restarts (a new instance after the old one stopped) cannot produce that.
 */
import { canonicalJson } from './canonical.js';
import { containerSign, containerVerify, type VendorPublicKey } from './crypto.js';
import { fromBase64Url, fromJsonUtf8, toBase64Url, utf8 } from './encoding.js';
import { LictorError } from './errors.js';
import { fieldReaders } from './fields.js';
import type { LicenseDocument } from './license.js';
import { decodeLicenseFile } from './license-file.js';

/** Largest announcement accepted (a license file is a few KB). */
export const MAX_ANNOUNCEMENT_BYTES = 16 * 1024;

/** An announcement as sent on the wire (JSON). */
export interface Announcement {
  format: 1;
  /** The armored license file in use. */
  license: string;
  /** Who uses it: one running computer (see the SDK's `instanceId`), base64url. */
  instance: string;
  /** Increases with every announcement of the instance. */
  seq: number;
  /** ISO 8601 send time. */
  sentAt: string;
  /** Ed25519 signature by the container's key over the other fields, base64url. */
  signature: string;
}

/** An announcement whose signatures were checked. */
export interface VerifiedAnnouncement {
  announcement: Announcement;
  doc: LicenseDocument;
  sentAtMs: number;
}

const INSTANCE = /^[A-Za-z0-9_-]{8,64}$/;

function signingBytes(a: Omit<Announcement, 'signature'>): Uint8Array {
  const { format, license, instance, seq, sentAt } = a;
  return utf8(`lictor/v1/announcement\0${canonicalJson({ format, license, instance, seq, sentAt })}`);
}

/** Makes an announcement of `license` by `instance`, signed with the container's private key. */
export function createAnnouncement(
  fields: { license: string; instance: string; seq: number; sentAt: string },
  containerSignPrivatePem: string,
): Announcement {
  const body = { format: 1 as const, ...fields };
  return { ...body, signature: toBase64Url(containerSign(containerSignPrivatePem, signingBytes(body))) };
}

/** The wire bytes of an announcement. */
export function encodeAnnouncement(a: Announcement): Uint8Array {
  return utf8(JSON.stringify(a));
}

function refuse(reason: string): never {
  throw new LictorError('LICTOR_E_ANNOUNCEMENT_INVALID', `not a valid license announcement: ${reason}`);
}

const { obj, str, int } = fieldReaders((field, what) => refuse(`${field} ${what}`));

/** Checks the shape of a parsed announcement. */
function announcementShape(value: unknown): Announcement {
  const v = obj(value, 'the announcement');
  if (v.format !== 1) refuse('unsupported format');
  const instance = str(v.instance, 'instance');
  if (!INSTANCE.test(instance)) refuse('instance is not an instance id');
  const sentAt = str(v.sentAt, 'sentAt');
  if (Number.isNaN(Date.parse(sentAt))) refuse('sentAt is not a date');
  return {
    format: 1,
    license: str(v.license, 'license', MAX_ANNOUNCEMENT_BYTES),
    instance,
    seq: int(v.seq, 'seq'),
    sentAt,
    signature: str(v.signature, 'signature'),
  };
}

/**
 * Verifies an announcement: the license file under the vendor key, then the container's
 * signature over the announcement. Throws `LICTOR_E_ANNOUNCEMENT_INVALID` (or the license
 * file's own error) when either fails.
 */
export function verifyAnnouncement(value: unknown, publicKey: VendorPublicKey): VerifiedAnnouncement {
  const announcement = announcementShape(value);
  const doc = decodeLicenseFile(announcement.license, publicKey);
  if (doc.containerKeys === undefined) refuse('the license file has no container key to sign with');
  const signature = fromBase64Url(announcement.signature);
  if (signature === null) refuse('signature is not base64url');
  if (!containerVerify(doc.containerKeys.sign, signingBytes(announcement), signature)) {
    refuse('the signature is not by the license container');
  }
  return { announcement, doc, sentAtMs: Date.parse(announcement.sentAt) };
}

/** Parses and verifies wire bytes (see {@link verifyAnnouncement}). */
export function decodeAnnouncement(bytes: Uint8Array, publicKey: VendorPublicKey): VerifiedAnnouncement {
  if (bytes.length > MAX_ANNOUNCEMENT_BYTES) refuse(`larger than ${MAX_ANNOUNCEMENT_BYTES} bytes`);
  const parsed = fromJsonUtf8(bytes);
  if (parsed === undefined) refuse('not JSON');
  return verifyAnnouncement(parsed, publicKey);
}

/** The key duplicates are counted by: one PIN of one serial. */
export function pinKey(doc: Pick<LicenseDocument, 'serial' | 'pin'>): string {
  return `${doc.serial}#${doc.pin}`;
}

/** Proof that two instances used one serial and PIN at once: A, B, A' in send order. */
export interface DuplicateEvidence {
  format: 1;
  serial: string;
  pin: number;
  announcements: [Announcement, Announcement, Announcement];
}

/** The longest span of an evidence, first to last announcement. */
export const MAX_EVIDENCE_SPAN_MS = 15 * 60_000;

/** What a verified evidence establishes. */
export interface VerifiedDuplicate {
  serial: string;
  pin: number;
  /** Activations of the files in use (one when a whole computer was cloned). */
  activations: string[];
  instances: [string, string];
  /** Send time of the last announcement. */
  seenAtMs: number;
}

/**
 * Verifies an evidence: three valid announcements for the same serial and PIN, the first and
 * last by one instance and the middle one by another, strictly interleaved in time and within
 * {@link MAX_EVIDENCE_SPAN_MS}. Throws `LICTOR_E_EVIDENCE_INVALID` naming what is wrong.
 */
export function verifyDuplicateEvidence(evidence: unknown, publicKey: VendorPublicKey): VerifiedDuplicate {
  const wrong = (reason: string): never => {
    throw new LictorError('LICTOR_E_EVIDENCE_INVALID', `the duplicate evidence is not valid: ${reason}`);
  };
  const e = evidence as Partial<DuplicateEvidence> | null;
  if (typeof e !== 'object' || e === null || e.format !== 1 || !Array.isArray(e.announcements))
    wrong('not an evidence');
  const list = (e as DuplicateEvidence).announcements;
  if (list.length !== 3) wrong('it needs exactly three announcements');
  const [a, b, c] = list.map((x, i) => {
    try {
      return verifyAnnouncement(x, publicKey);
    } catch (error) {
      return wrong(`announcement ${i + 1}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }) as [VerifiedAnnouncement, VerifiedAnnouncement, VerifiedAnnouncement];
  if (pinKey(a.doc) !== pinKey(b.doc) || pinKey(a.doc) !== pinKey(c.doc))
    wrong('the announcements name different PINs');
  if (a.announcement.instance !== c.announcement.instance)
    wrong('the first and last announcements are by different instances');
  if (a.announcement.instance === b.announcement.instance) wrong('the middle announcement is by the same instance');
  if (!(a.sentAtMs < b.sentAtMs && b.sentAtMs < c.sentAtMs)) wrong('the announcements do not interleave in time');
  if (c.sentAtMs - a.sentAtMs > MAX_EVIDENCE_SPAN_MS) wrong('the announcements are too far apart');
  return {
    serial: a.doc.serial,
    pin: a.doc.pin,
    activations: [...new Set([a.doc.activationId, b.doc.activationId])].sort(),
    instances: [a.announcement.instance, b.announcement.instance],
    seenAtMs: c.sentAtMs,
  };
}

/** Options of a {@link DuplicateDetector}. */
export interface DuplicateDetectorOptions {
  /** An instance not heard from for this long is forgotten (default 3 minutes). */
  staleAfterMs?: number;
  /** Announcements whose send time is further than this from the receiver's clock are ignored (default 5 minutes). */
  maxSkewMs?: number;
}

interface InstanceSighting {
  last: Announcement;
  lastMs: number;
}

/** Why an announcement was not taken into account. */
export type IgnoredAnnouncement = 'skewed' | 'replayed';

/**
 * Remembers who uses which serial and PIN, from verified announcements, and tells when two
 * instances use the same one at once. Pure: the caller passes the receive time.
 */
export class DuplicateDetector {
  readonly #byPin = new Map<string, Map<string, InstanceSighting>>();
  readonly #staleAfterMs: number;
  readonly #maxSkewMs: number;

  constructor(options: DuplicateDetectorOptions = {}) {
    this.#staleAfterMs = options.staleAfterMs ?? 180_000;
    this.#maxSkewMs = options.maxSkewMs ?? 300_000;
  }

  /**
   * Takes a verified announcement received at `nowMs`. Returns the evidence when it shows a
   * duplicate, `'skewed'`/`'replayed'` when it was ignored, else `null`.
   */
  observe(v: VerifiedAnnouncement, nowMs: number): DuplicateEvidence | IgnoredAnnouncement | null {
    if (Math.abs(v.sentAtMs - nowMs) > this.#maxSkewMs) return 'skewed';
    const key = pinKey(v.doc);
    let instances = this.#byPin.get(key);
    if (instances === undefined) {
      instances = new Map();
      this.#byPin.set(key, instances);
    }
    for (const [id, s] of instances) if (s.lastMs < nowMs - this.#staleAfterMs) instances.delete(id);
    const { announcement } = v;
    const previous = instances.get(announcement.instance);
    if (previous !== undefined && (announcement.seq <= previous.last.seq || v.sentAtMs <= previous.lastMs)) {
      return 'replayed';
    }
    instances.set(announcement.instance, { last: announcement, lastMs: v.sentAtMs });
    if (previous === undefined || v.sentAtMs - previous.lastMs > MAX_EVIDENCE_SPAN_MS) return null;
    for (const [id, other] of instances) {
      // Another instance spoke between this instance's previous announcement and this one.
      if (id !== announcement.instance && other.lastMs > previous.lastMs && other.lastMs < v.sentAtMs) {
        return {
          format: 1,
          serial: v.doc.serial,
          pin: v.doc.pin,
          announcements: [previous.last, other.last, announcement],
        };
      }
    }
    return null;
  }

  /** Forgets every sighting of a serial and PIN (after it was reported). */
  forget(doc: Pick<LicenseDocument, 'serial' | 'pin'>): void {
    this.#byPin.delete(pinKey(doc));
  }
}
