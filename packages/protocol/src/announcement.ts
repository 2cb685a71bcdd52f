/**
 * Duplicate detection on the customer's network. Every computer and License Manager that uses
 * a license announces it at intervals. An announcement shows only what detection needs: the
 * vendor-signed view of the license (serial, PIN index, activation and what it grants; owner and
 * binding only as a digest), the container's public keys with the private half of that digest
 * (so the keys can be checked against the vendor's signature), the instance and a counter; it is
 * signed by the container's own key, which only the activated computer holds. A forged
 * announcement therefore needs that computer's key, and nothing on the wire names the owner or
 * the hardware.
 *
 * Two different computers using one serial and PIN at the same time is a duplicate. The proof
 * ({@link DuplicateEvidence}) is three signed announcements A, B, A' as one observer received
 * them: instance A was heard before and after instance B. The order is the observer's receive
 * order and each instance's own monotonic counter, never a wall-clock time the sender writes: a
 * computer that restarts, reboots or has its clock stepped cannot produce it.
 */
import { canonicalJson } from './canonical.js';
import { containerSign, containerVerify, type VendorPublicKey } from './crypto.js';
import { fromBase64Url, fromJsonUtf8, toBase64Url, utf8 } from './encoding.js';
import { documentSigningBytes } from './envelope.js';
import { LictorError } from './errors.js';
import { fieldReaders } from './fields.js';
import type { ContainerKeys, LicenseDocument } from './license.js';
import { containerSubjectDigest, openLicenseCredential, subjectPrivateDigest } from './license-file.js';

/** Largest announcement accepted (the signed view of a license is a few KB). */
export const MAX_ANNOUNCEMENT_BYTES = 16 * 1024;

/** An announcement as sent on the wire (JSON). */
export interface Announcement {
  format: 2;
  /** The vendor-signed view of the license in use: no owner, no hardware (see `licenseSignedView`). */
  license: Record<string, unknown>;
  /** The vendor's signature over `license`, base64url. */
  vendorSignature: string;
  /** The container's public keys. */
  containerKeys: ContainerKeys;
  /** The private half of the subject digest (`subjectPrivateDigest`): ties the keys to the view. */
  subjectPrivate: string;
  /** Who uses it: one running computer (see the SDK's `instanceId`), base64url. */
  instance: string;
  /**
   * The instance's own counter: grows with every announcement of the instance (the SDK uses the
   * computer's monotonic clock in milliseconds, shared by every process of one boot).
   */
  seq: number;
  /** Ed25519 signature by the container's key over the other fields, base64url. */
  signature: string;
}

/** What an announcement says once its signatures were checked. */
export interface VerifiedAnnouncement {
  announcement: Announcement;
  serial: string;
  pin: number;
  activationId: string;
}

/** What announcing a license needs, from its file (see {@link announcementCredential}). */
export interface AnnouncementCredential {
  license: Record<string, unknown>;
  vendorSignature: string;
  containerKeys: ContainerKeys;
  subjectPrivate: string;
}

const INSTANCE = /^[A-Za-z0-9_-]{8,64}$/;

function signingBytes(a: Omit<Announcement, 'signature'>): Uint8Array {
  const { format, license, vendorSignature, containerKeys, subjectPrivate, instance, seq } = a;
  const body = { format, license, vendorSignature, containerKeys, subjectPrivate, instance, seq };
  return utf8(`lictor/v2/announcement\0${canonicalJson(body)}`);
}

/**
 * What a license file can announce: its signed view and the container's keys, or `null` when it
 * has no container keys or was signed before format 2 of the subject digest (reactivate it).
 * Throws the license file's own error when the file does not verify.
 */
export function announcementCredential(text: string, publicKey: VendorPublicKey): AnnouncementCredential | null {
  const { doc, view, signature } = openLicenseCredential(text, publicKey);
  if (doc.containerKeys === undefined) return null;
  const bound = doc.binding.kind === 'hardware' ? doc.binding.hardware : doc.binding;
  const subjectPrivate = subjectPrivateDigest(doc.owner, bound);
  if (containerSubjectDigest(subjectPrivate, doc.containerKeys) !== view.binding.subject) return null;
  return {
    license: view as unknown as Record<string, unknown>,
    vendorSignature: toBase64Url(signature),
    containerKeys: doc.containerKeys,
    subjectPrivate,
  };
}

/** Makes an announcement of a license by `instance`, signed with the container's private key. */
export function createAnnouncement(
  fields: AnnouncementCredential & { instance: string; seq: number },
  containerSignPrivatePem: string,
): Announcement {
  const body = { format: 2 as const, ...fields };
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
  if (v.format !== 2) refuse('unsupported format');
  const instance = str(v.instance, 'instance');
  if (!INSTANCE.test(instance)) refuse('instance is not an instance id');
  const keys = obj(v.containerKeys, 'containerKeys');
  return {
    format: 2,
    license: obj(v.license, 'license'),
    vendorSignature: str(v.vendorSignature, 'vendorSignature', 128),
    containerKeys: { sign: str(keys.sign, 'containerKeys.sign', 64), box: str(keys.box, 'containerKeys.box', 64) },
    subjectPrivate: str(v.subjectPrivate, 'subjectPrivate', 64),
    instance,
    seq: int(v.seq, 'seq'),
    signature: str(v.signature, 'signature', 128),
  };
}

/**
 * Verifies an announcement: the vendor's signature over the license view, the container keys
 * against the view's subject digest, then the container's signature over the announcement.
 * Throws `LICTOR_E_ANNOUNCEMENT_INVALID` naming what failed.
 */
export function verifyAnnouncement(value: unknown, publicKey: VendorPublicKey): VerifiedAnnouncement {
  const announcement = announcementShape(value);
  const view = announcement.license;
  const serial = str(view.serial, 'license.serial', 64);
  const pin = int(view.pin, 'license.pin', 1);
  const activationId = str(view.activationId, 'license.activationId', 64);
  const subject = str(obj(view.binding, 'license.binding').subject, 'license.binding.subject', 64);
  const vendorSignature = fromBase64Url(announcement.vendorSignature);
  if (vendorSignature === null) refuse('vendorSignature is not base64url');
  let signedBytes: Uint8Array;
  try {
    signedBytes = documentSigningBytes('license', publicKey, view);
  } catch {
    return refuse('the license view is not canonical JSON');
  }
  if (!publicKey.verify(signedBytes, vendorSignature)) refuse('the license is not signed by this vendor');
  if (containerSubjectDigest(announcement.subjectPrivate, announcement.containerKeys) !== subject) {
    refuse('the container keys are not the ones the license names');
  }
  const signature = fromBase64Url(announcement.signature);
  if (signature === null) refuse('signature is not base64url');
  if (!containerVerify(announcement.containerKeys.sign, signingBytes(announcement), signature)) {
    refuse('the signature is not by the license container');
  }
  return { announcement, serial, pin, activationId };
}

/** Parses and verifies wire bytes (see {@link verifyAnnouncement}). */
export function decodeAnnouncement(bytes: Uint8Array, publicKey: VendorPublicKey): VerifiedAnnouncement {
  if (bytes.length > MAX_ANNOUNCEMENT_BYTES) refuse(`larger than ${MAX_ANNOUNCEMENT_BYTES} bytes`);
  const parsed = fromJsonUtf8(bytes);
  if (parsed === undefined) refuse('not JSON');
  return verifyAnnouncement(parsed, publicKey);
}

/** The key duplicates are counted by: one PIN of one serial. */
export function pinKey(doc: { serial: string; pin: number }): string {
  return `${doc.serial}#${doc.pin}`;
}

/** Proof that two instances used one serial and PIN at once: A, B, A' in one observer's receive order. */
export interface DuplicateEvidence {
  format: 2;
  serial: string;
  pin: number;
  announcements: [Announcement, Announcement, Announcement];
}

/** The longest span of an evidence: A' at most this many counter milliseconds after A. */
export const MAX_EVIDENCE_SPAN_MS = 15 * 60_000;

/** What a verified evidence establishes. */
export interface VerifiedDuplicate {
  serial: string;
  pin: number;
  /** Activations of the files in use (one when a whole computer was cloned). */
  activations: string[];
  instances: [string, string];
  /**
   * The three announcements as verified (A, B, A' in the observer's receive order): their signed
   * members only, whatever else the reporter sent along.
   */
  announcements: [Announcement, Announcement, Announcement];
}

/**
 * Verifies an evidence: three valid announcements for the same serial and PIN, the first and
 * last by one instance (its counter growing by at most {@link MAX_EVIDENCE_SPAN_MS}) and the
 * middle one by another. The order between instances is the observer's receive order: no
 * timestamp written by a sender is used. Throws `LICTOR_E_EVIDENCE_INVALID` naming what is wrong.
 */
export function verifyDuplicateEvidence(evidence: unknown, publicKey: VendorPublicKey): VerifiedDuplicate {
  const wrong = (reason: string): never => {
    throw new LictorError('LICTOR_E_EVIDENCE_INVALID', `the duplicate evidence is not valid: ${reason}`);
  };
  const e = evidence as Partial<DuplicateEvidence> | null;
  if (typeof e !== 'object' || e === null || e.format !== 2 || !Array.isArray(e.announcements))
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
  if (pinKey(a) !== pinKey(b) || pinKey(a) !== pinKey(c)) wrong('the announcements name different PINs');
  if (a.announcement.instance !== c.announcement.instance)
    wrong('the first and last announcements are by different instances');
  if (a.announcement.instance === b.announcement.instance) wrong('the middle announcement is by the same instance');
  const span = c.announcement.seq - a.announcement.seq;
  if (span <= 0) wrong("the first instance's counter does not grow from the first to the last announcement");
  if (span > MAX_EVIDENCE_SPAN_MS) wrong('the announcements are too far apart');
  return {
    serial: a.serial,
    pin: a.pin,
    activations: [...new Set([a.activationId, b.activationId])].sort(),
    instances: [a.announcement.instance, b.announcement.instance],
    announcements: [a.announcement, b.announcement, c.announcement],
  };
}

/** Options of a {@link DuplicateDetector}. */
export interface DuplicateDetectorOptions {
  /** An instance not heard from for this long (receiver's clock) is forgotten (default 3 minutes). */
  staleAfterMs?: number;
}

interface InstanceSighting {
  last: Announcement;
  /** The receive index of `last`. */
  index: number;
  /** The receiver's clock when `last` arrived. */
  heardMs: number;
}

/** Why an announcement was not taken into account. */
export type IgnoredAnnouncement = 'replayed';

/**
 * Remembers who uses which serial and PIN, from verified announcements, and tells when two
 * instances use the same one at once: instance A heard, then instance B, then A again. Pure:
 * the caller passes announcements in the order received and its own clock (only used to forget
 * instances gone quiet; a monotonic clock is best).
 */
export class DuplicateDetector {
  readonly #byPin = new Map<string, Map<string, InstanceSighting>>();
  readonly #staleAfterMs: number;
  #received = 0;

  constructor(options: DuplicateDetectorOptions = {}) {
    this.#staleAfterMs = options.staleAfterMs ?? 180_000;
  }

  /**
   * Takes a verified announcement received at `nowMs`. Returns the evidence when it shows a
   * duplicate, `'replayed'` when its counter does not grow (ignored), else `null`.
   */
  observe(v: VerifiedAnnouncement, nowMs: number): DuplicateEvidence | IgnoredAnnouncement | null {
    const index = ++this.#received;
    const key = pinKey(v);
    let instances = this.#byPin.get(key);
    if (instances === undefined) {
      instances = new Map();
      this.#byPin.set(key, instances);
    }
    for (const [id, s] of instances) if (s.heardMs < nowMs - this.#staleAfterMs) instances.delete(id);
    const { announcement } = v;
    const previous = instances.get(announcement.instance);
    if (previous !== undefined && announcement.seq <= previous.last.seq) return 'replayed';
    instances.set(announcement.instance, { last: announcement, index, heardMs: nowMs });
    if (previous === undefined || announcement.seq - previous.last.seq > MAX_EVIDENCE_SPAN_MS) return null;
    for (const [id, other] of instances) {
      // Another instance was heard between this instance's previous announcement and this one.
      if (id !== announcement.instance && other.index > previous.index) {
        return { format: 2, serial: v.serial, pin: v.pin, announcements: [previous.last, other.last, announcement] };
      }
    }
    return null;
  }

  /** Forgets every sighting of a serial and PIN (after it was reported). */
  forget(doc: Pick<LicenseDocument, 'serial' | 'pin'>): void {
    this.#byPin.delete(pinKey(doc));
  }
}
