/**
 * Remote upgrade of a license container, independent of where the container is stored (a
 * license directory, a hardware token, a License Manager):
 *
 * 1. the container asks a **question**: its current license, counter and a fresh nonce, signed
 *    with the container's own Ed25519 key;
 * 2. the vendor answers with a new license state (counter + 1) stamped with the question's nonce
 *    and a confirmation secret sealed to the container's X25519 key;
 * 3. the container applies it only on top of the asked state, then shows a **confirmation code**
 *    (an HMAC under the secret only it could open), which the vendor checks.
 */
import { canonicalJson } from './canonical.js';
import {
  constantTimeEqual,
  containerSign,
  containerVerify,
  hmacSha256,
  sha256,
  type VendorPublicKey,
} from './crypto.js';
import { concatBytes, fromBase64Url, readUint, toBase64Url, toHex, uintBytes, utf8 } from './encoding.js';
import { LictorError } from './errors.js';
import { fieldReaders } from './fields.js';
import type { LicenseDocument } from './license.js';
import { decodeLicenseFile } from './license-file.js';
import { decodePlainFile, encodePlainFile } from './plain-file.js';
import { decodeShortCode, encodeShortCode } from './shortcode.js';

/** An upgrade question, as carried in a question file. */
export interface UpgradeQuestion {
  format: 1;
  containerId: string;
  counter: number;
  /** Fresh for every question, base64url; the answer carries it back. */
  nonce: string;
  createdAt: string;
  /** The container's current license file (armored). */
  license: string;
  /** Ed25519 signature by the container's key over the other fields, base64url. */
  signature: string;
}

function questionBytes(q: Omit<UpgradeQuestion, 'signature'>): Uint8Array {
  const { format, containerId, counter, nonce, createdAt, license } = q;
  return utf8(
    `lictor/v1/upgrade-question\0${canonicalJson({ format, containerId, counter, nonce, createdAt, license })}`,
  );
}

/** Makes a question for the container whose current license is `license` (text) / `doc` (decoded). */
export function createUpgradeQuestion(
  fields: { license: string; doc: LicenseDocument; nonce: string; createdAt: string },
  signPrivatePem: string,
): UpgradeQuestion {
  const body = {
    format: 1 as const,
    containerId: fields.doc.containerId,
    counter: fields.doc.counter,
    nonce: fields.nonce,
    createdAt: fields.createdAt,
    license: fields.license,
  };
  return { ...body, signature: toBase64Url(containerSign(signPrivatePem, questionBytes(body))) };
}

/** Armors a question as a file (it can be pasted into an e-mail). */
export function encodeQuestionFile(q: UpgradeQuestion): string {
  return encodePlainFile('question', q);
}

const { obj, str, int } = fieldReaders((field, what) => {
  throw new LictorError('LICTOR_E_FILE_FORMAT', `the question file's field '${field}' ${what}`);
});

/** Parses a question file: structure and checksum only (see {@link verifyUpgradeQuestion}). */
export function decodeQuestionFile(text: string): UpgradeQuestion {
  const d = obj(decodePlainFile('question', text), '(root)');
  if (d.format !== 1) throw new LictorError('LICTOR_E_FILE_FORMAT', 'the question file has an unknown format');
  return {
    format: 1,
    containerId: str(d.containerId, 'containerId', 64),
    counter: int(d.counter, 'counter'),
    nonce: str(d.nonce, 'nonce', 64),
    createdAt: str(d.createdAt, 'createdAt', 40),
    license: str(d.license, 'license', 64 * 1024),
    signature: str(d.signature, 'signature', 128),
  };
}

/**
 * Checks a question: the license inside is the vendor's, it is the container the question
 * names at the counter it names, and the container's own key signed the question. Returns the
 * container's current license document.
 */
export function verifyUpgradeQuestion(q: UpgradeQuestion, vendorKey: VendorPublicKey): LicenseDocument {
  const doc = decodeLicenseFile(q.license, vendorKey);
  if (doc.containerId !== q.containerId || doc.counter !== q.counter) {
    throw new LictorError('LICTOR_E_FILE_TAMPERED', 'the question does not match the license it carries');
  }
  if (doc.containerKeys === undefined) {
    throw new LictorError(
      'LICTOR_E_UPGRADE_UNSUPPORTED',
      'this license was activated before containers had keys: activate it again to upgrade it remotely',
    );
  }
  const signature = fromBase64Url(q.signature);
  if (signature === null || !containerVerify(doc.containerKeys.sign, questionBytes(q), signature)) {
    throw new LictorError('LICTOR_E_SIGNATURE_INVALID', "the question is not signed by the container's key");
  }
  return doc;
}

// ---- confirmation codes ---------------------------------------------------------------------

const KIND_CONFIRMATION = 0x31;
const TAG_BYTES = 8;
const MAC_BYTES = 8;

/** A short, stable tag of a container id (what a confirmation code names). */
export function containerTag(containerId: string): string {
  return toHex(sha256(utf8(`lictor/v1/container\0${containerId}`)).subarray(0, TAG_BYTES));
}

function confirmationMac(secret: Uint8Array, containerId: string, counter: number, nonce: string): Uint8Array {
  return hmacSha256(secret, `lictor/v1/confirm\0${canonicalJson({ containerId, counter, nonce })}`).subarray(
    0,
    MAC_BYTES,
  );
}

/** The confirmation code a container shows after applying an upgrade. */
export function createConfirmationCode(fields: {
  containerId: string;
  counter: number;
  nonce: string;
  secret: Uint8Array;
}): string {
  return encodeShortCode(
    concatBytes(
      Uint8Array.of(KIND_CONFIRMATION),
      Buffer.from(containerTag(fields.containerId), 'hex'),
      uintBytes(fields.counter, 4),
      confirmationMac(fields.secret, fields.containerId, fields.counter, fields.nonce),
    ),
  );
}

/** What a confirmation code says: which container (by tag), which counter, and the MAC. */
export interface ConfirmationCode {
  tag: string;
  counter: number;
  mac: Uint8Array;
}

/** Parses a typed confirmation code. */
export function parseConfirmationCode(code: string): ConfirmationCode {
  const bytes = decodeShortCode(code, 'confirmation code');
  if (bytes.length !== 1 + TAG_BYTES + 4 + MAC_BYTES || bytes[0] !== KIND_CONFIRMATION) {
    throw new LictorError('LICTOR_E_CODE_INVALID', 'this is not a Lictor confirmation code');
  }
  return {
    tag: toHex(bytes.subarray(1, 1 + TAG_BYTES)),
    counter: Number(readUint(bytes, 1 + TAG_BYTES, 4)),
    mac: bytes.slice(1 + TAG_BYTES + 4),
  };
}

/** Whether a parsed confirmation code proves the upgrade `(containerId, counter, nonce)` sealed with `secret`. */
export function confirmationMatches(
  code: ConfirmationCode,
  expected: { containerId: string; counter: number; nonce: string; secret: Uint8Array },
): boolean {
  return (
    code.tag === containerTag(expected.containerId) &&
    code.counter === expected.counter &&
    constantTimeEqual(
      code.mac,
      confirmationMac(expected.secret, expected.containerId, expected.counter, expected.nonce),
    )
  );
}
