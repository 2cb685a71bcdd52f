/** License files and blacklists: the sealed envelope applied to the license model. */
import type { Blacklist } from './availability.js';
import { canonicalJson } from './canonical.js';
import { sha256, type VendorPublicKey, type VendorSigner } from './crypto.js';
import { toBase64Url, utf8 } from './encoding.js';
import { documentSigningBytes, openDocument, openSignedDocument, sealDocument } from './envelope.js';
import { LictorError } from './errors.js';
import { type HardwareParams, normalizeHardware } from './hardware.js';
import {
  type ContainerKeys,
  type LicenseDocument,
  type Owner,
  parseLicenseDocument,
  type TokenBinding,
} from './license.js';

/** Bytes of the subject digest: 80 bits, short enough for a code read over the phone. */
export const SUBJECT_DIGEST_BYTES = 10;

function digest80(label: string, value: unknown): string {
  return toBase64Url(sha256(utf8(`${label}\0${canonicalJson(value)}`)).subarray(0, SUBJECT_DIGEST_BYTES));
}

/**
 * The private half of a container's subject: a 256-bit digest of the owner and what the license
 * is bound to. Duplicate announcements carry it instead of the owner and hardware, so that a
 * receiver can check the container keys against the vendor's signature without learning either.
 */
export function subjectPrivateDigest(owner: Owner, bound: HardwareParams | TokenBinding): string {
  const subject =
    'kind' in bound
      ? { owner, token: bound.token, publicKey: bound.publicKey }
      : { owner, hardware: normalizeHardware(bound) };
  return toBase64Url(sha256(utf8(`lictor/v2/subject-private\0${canonicalJson(subject)}`)));
}

/**
 * The subject of a license with container keys (format 2): the container's public keys next to
 * the private digest of owner and binding, so that the keys can be shown apart from the rest.
 */
export function containerSubjectDigest(privateDigest: string, containerKeys: ContainerKeys): string {
  return digest80('lictor/v2/subject', { containerKeys, private: privateDigest });
}

/**
 * The digest of whom and what a license is for: owner data, the bound hardware and the
 * container's own public keys. The vendor
 * signs this digest rather than the data itself, so that an activation by short code, where the
 * center never sees the full hardware list, yields the same signed license as one by file.
 * With container keys it is {@link containerSubjectDigest}; without, the first format's digest.
 */
export function subjectDigest(owner: Owner, hardware: HardwareParams, containerKeys?: ContainerKeys): string {
  if (containerKeys) return containerSubjectDigest(subjectPrivateDigest(owner, hardware), containerKeys);
  return legacySubjectDigest(owner, hardware);
}

/** The first format's subject digest (licenses issued before format 2, or without container keys). */
function legacySubjectDigest(owner: Owner, hardware: HardwareParams, containerKeys?: ContainerKeys): string {
  return digest80('lictor/v1/subject', {
    owner,
    hardware: normalizeHardware(hardware),
    ...(containerKeys ? { containerKeys } : {}),
  });
}

/** The subject digest of a token-bound license: owner, token identity and key, container keys. */
export function tokenSubjectDigest(owner: Owner, binding: TokenBinding, containerKeys?: ContainerKeys): string {
  if (containerKeys) return containerSubjectDigest(subjectPrivateDigest(owner, binding), containerKeys);
  return legacyTokenSubjectDigest(owner, binding);
}

function legacyTokenSubjectDigest(owner: Owner, binding: TokenBinding, containerKeys?: ContainerKeys): string {
  return digest80('lictor/v1/token-subject', {
    owner,
    token: binding.token,
    publicKey: binding.publicKey,
    ...(containerKeys ? { containerKeys } : {}),
  });
}

/** The first format's subject of a document: licenses with container keys issued before format 2. */
function legacyDocumentSubject(doc: LicenseDocument): string {
  return doc.binding.kind === 'hardware'
    ? legacySubjectDigest(doc.owner, doc.binding.hardware, doc.containerKeys)
    : legacyTokenSubjectDigest(doc.owner, doc.binding, doc.containerKeys);
}

/** The subject digest of a document, whatever it is bound to. */
export function documentSubject(doc: LicenseDocument): string {
  return doc.binding.kind === 'hardware'
    ? subjectDigest(doc.owner, doc.binding.hardware, doc.containerKeys)
    : tokenSubjectDigest(doc.owner, doc.binding, doc.containerKeys);
}

/** What the vendor's signature of a license covers: the document with owner and binding as their digest. */
export function licenseSignedView(doc: LicenseDocument, subject = documentSubject(doc)) {
  const { owner: _owner, binding, containerKeys: _keys, ...rest } = doc;
  return { ...rest, binding: { kind: binding.kind, subject } };
}

/** The bytes the vendor signs for a license whose subject digest is `subject`. */
export function licenseSigningBytes(doc: LicenseDocument, publicKey: VendorPublicKey, subject?: string): Uint8Array {
  return documentSigningBytes('license', publicKey, licenseSignedView(doc, subject));
}

/** Signs and encrypts a license document into the armored license file text. */
export function encodeLicenseFile(doc: LicenseDocument, signer: VendorSigner): string {
  return sealDocument('license', doc, signer, licenseSignedView(doc));
}

/**
 * Builds a license file from a document and a vendor signature obtained elsewhere (an answer
 * code); the result is verified before it is returned, so a wrong signature never yields a file.
 */
export function licenseFileFromSignature(
  doc: LicenseDocument,
  signature: Uint8Array,
  publicKey: VendorPublicKey,
): string {
  const text = sealDocument('license', doc, { publicKey, sign: () => signature }, licenseSignedView(doc));
  decodeLicenseFile(text, publicKey);
  return text;
}

/** The vendor-signed view of a license (no owner, no binding details) with its signature. */
export interface LicenseCredential {
  doc: LicenseDocument;
  view: ReturnType<typeof licenseSignedView>;
  signature: Uint8Array;
}

function readLicense(payload: unknown) {
  const value = parseLicenseDocument(payload);
  // Files with container keys signed before format 2 of the subject digest still verify.
  const legacy = value.containerKeys ? [licenseSignedView(value, legacyDocumentSubject(value))] : [];
  return { value, view: licenseSignedView(value), alternatives: legacy };
}

/** Verifies, decrypts and checks a license file; throws a {@link LictorError} on any defect. */
export function decodeLicenseFile(text: string, publicKey: VendorPublicKey): LicenseDocument {
  return openDocument('license', text, publicKey, readLicense);
}

/**
 * Verifies a license file like {@link decodeLicenseFile} and also returns the signed view and the
 * vendor signature: what a duplicate announcement shows instead of the file.
 */
export function openLicenseCredential(text: string, publicKey: VendorPublicKey): LicenseCredential {
  const { value, view, signature } = openSignedDocument('license', text, publicKey, readLicense);
  return { doc: value, view: view as LicenseCredential['view'], signature };
}

/** The signed blacklist a License Center publishes. */
export interface BlacklistDocument {
  format: 1;
  issuedAt: string;
  /**
   * Moves up by one with every change of the center's list; the SDK refuses a list with a lower
   * sequence than one it has seen. Lists made before sequences existed have none (read as 0).
   */
  sequence?: number;
  serials: string[];
  activations: string[];
}

/** A verified blacklist: the sets, when it was issued and its sequence. */
export interface VerifiedBlacklist extends Blacklist {
  issuedAt: string;
  sequence: number;
}

/** Signs and encrypts a blacklist. */
export function encodeBlacklist(doc: BlacklistDocument, signer: VendorSigner): string {
  return sealDocument('blacklist', doc, signer);
}

function parseBlacklist(payload: unknown): BlacklistDocument {
  const d = payload as Partial<BlacklistDocument> | null;
  const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
  if (
    d === null ||
    typeof d !== 'object' ||
    d.format !== 1 ||
    typeof d.issuedAt !== 'string' ||
    !strings(d.serials) ||
    !strings(d.activations) ||
    (d.sequence !== undefined && !(Number.isSafeInteger(d.sequence) && d.sequence >= 0))
  ) {
    throw new LictorError('LICTOR_E_FILE_FORMAT', 'the blacklist file has an unexpected structure');
  }
  return {
    format: 1,
    issuedAt: d.issuedAt,
    ...(d.sequence === undefined ? {} : { sequence: d.sequence }),
    serials: d.serials,
    activations: d.activations,
  };
}

/** Verifies a blacklist file and returns it as sets. */
export function decodeBlacklist(text: string, publicKey: VendorPublicKey): VerifiedBlacklist {
  const d = openDocument('blacklist', text, publicKey, (payload) => {
    const value = parseBlacklist(payload);
    return { value, view: payload };
  });
  return {
    issuedAt: d.issuedAt,
    sequence: d.sequence ?? 0,
    serials: new Set(d.serials),
    activations: new Set(d.activations),
  };
}
