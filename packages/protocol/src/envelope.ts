/**
 * The sealed, armored envelope every Lictor file uses (license files, blacklists, and later
 * requests and answers): a JSON payload signed by the vendor (Ed25519 over canonical bytes with
 * a domain-separation prefix) and then encrypted (AES-256-GCM), wrapped in base64 between
 * BEGIN/END lines so that it survives e-mail and copy-paste.
 *
 * Binary layout (all fixed-size fields first, they are the GCM associated data):
 *
 *   magic "LCTR" (4) | version (1) | kind (1) | vendor key id (8) | salt (16) | iv (12)
 *   | AES-256-GCM( signature (64) ‖ canonical JSON payload ) ‖ tag (16)
 *
 * The encryption key is HKDF-SHA256(vendor public key, salt, "lictor/v1/<kind>"): anyone who
 * holds the vendor's public key (every copy of the application) can decrypt. The encryption
 * keeps contents from being plain text; the signature is what makes them trustworthy.
 * `docs/security.md` says what each layer does and does not do.
 */
import { canonicalJson } from './canonical.js';
import {
  aesGcmOpen,
  aesGcmSeal,
  constantTimeEqual,
  hkdf,
  type RandomSource,
  randomBytes,
  type VendorPublicKey,
  type VendorSigner,
} from './crypto.js';
import { concatBytes, fromBase64, fromJsonUtf8, toBase64, toHex, utf8 } from './encoding.js';
import { LictorError } from './errors.js';

/** The kinds of sealed documents; the number is written in the file. */
export const DOCUMENT_KINDS = { license: 1, blacklist: 2, request: 3, question: 4 } as const;
export type DocumentKind = keyof typeof DOCUMENT_KINDS;

const MAGIC = utf8('LCTR');
const VERSION = 1;
const HEADER_LENGTH = 4 + 1 + 1 + 8 + 16 + 12;
const SIGNATURE_LENGTH = 64;
const TAG_LENGTH = 16;
/** Larger inputs are refused before any parsing. */
export const MAX_ARMORED_LENGTH = 1024 * 1024;

function label(kind: DocumentKind): string {
  return `LICTOR ${kind.toUpperCase()}`;
}

function domain(kind: DocumentKind): string {
  return `lictor/v1/${kind}`;
}

function signedBytes(kind: DocumentKind, keyId: Uint8Array, payload: Uint8Array): Uint8Array {
  return concatBytes(utf8(`${domain(kind)}\0`), keyId, payload);
}

/**
 * The exact bytes the vendor signs for a document of `kind` whose signed view is `view`:
 * a domain label, the key id, and the view's canonical JSON.
 */
export function documentSigningBytes(kind: DocumentKind, publicKey: VendorPublicKey, view: unknown): Uint8Array {
  return signedBytes(kind, publicKey.keyId, utf8(canonicalJson(view)));
}

/**
 * Signs, encrypts and armors a payload. The signature covers `canonicalJson(signedView)`, which
 * defaults to the payload itself; license files sign a view in which owner and hardware are
 * replaced by their digest (see `licenseSignedView`). `random` gives the salt (16 bytes) and then
 * the iv (12 bytes); only the specification's test vectors pass it.
 */
export function sealDocument(
  kind: DocumentKind,
  payload: unknown,
  signer: VendorSigner,
  signedView: unknown = payload,
  random: RandomSource = randomBytes,
): string {
  const body = utf8(canonicalJson(payload));
  const keyId = signer.publicKey.keyId;
  const salt = random(16);
  const iv = random(12);
  const header = concatBytes(MAGIC, Uint8Array.of(VERSION, DOCUMENT_KINDS[kind]), keyId, salt, iv);
  const key = hkdf(signer.publicKey.raw, salt, domain(kind), 32);
  const signature = signer.sign(signedBytes(kind, keyId, utf8(canonicalJson(signedView))));
  const sealed = aesGcmSeal(key, iv, concatBytes(signature, body), header);
  return armor(kind, concatBytes(header, sealed));
}

/** Wraps the bytes of a Lictor file of `kind` in base64 lines of 64 characters between BEGIN/END lines. */
export function armor(kind: DocumentKind, bytes: Uint8Array): string {
  const lines = toBase64(bytes).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label(kind)}-----\n${lines.join('\n')}\n-----END ${label(kind)}-----\n`;
}

/**
 * Extracts the binary envelope from armored text (the reverse of {@link armor}). Tolerant of what
 * e-mail and editors do (CRLF, indentation, `>` quoting, wrapped or joined lines, text around the
 * block); strict about everything else.
 */
export function dearmor(kind: DocumentKind, text: string): Uint8Array {
  if (text.length > MAX_ARMORED_LENGTH) {
    throw new LictorError('LICTOR_E_FILE_FORMAT', `the text is longer than ${MAX_ARMORED_LENGTH} characters`);
  }
  const begin = `-----BEGIN ${label(kind)}-----`;
  const end = `-----END ${label(kind)}-----`;
  const start = text.indexOf(begin);
  if (start < 0) {
    const other = /-----BEGIN (LICTOR [A-Z ]+)-----/.exec(text);
    throw new LictorError(
      'LICTOR_E_FILE_FORMAT',
      other
        ? `this is a ${other[1]} block, not a ${label(kind)} block`
        : `no '${begin}' line found: this is not a Lictor ${kind} file`,
    );
  }
  const stop = text.indexOf(end, start + begin.length);
  if (stop < 0) {
    throw new LictorError('LICTOR_E_FILE_TRUNCATED', `the '${end}' line is missing: the ${kind} file is truncated`);
  }
  const block = text.slice(start + begin.length, stop);
  // As written (lines of base64 ended by \n): the lines joined, without looking at each one.
  if (/^[A-Za-z0-9+/=\n]*$/.test(block)) return base64Bytes(kind, block.replaceAll('\n', ''));
  const lines = block.split(/\r\n|\r|\n/);
  let b64 = '';
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/^[\s>]*/, '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/=]*$/.test(line)) {
      throw new LictorError('LICTOR_E_FILE_FORMAT', `unexpected characters in line ${i + 1} of the ${kind} block`);
    }
    b64 += line;
  }
  return base64Bytes(kind, b64);
}

/** The bytes of the base64 text of a block of `kind`. */
function base64Bytes(kind: DocumentKind, b64: string): Uint8Array {
  const bytes = fromBase64(b64);
  if (bytes === null) {
    throw new LictorError('LICTOR_E_FILE_FORMAT', `the ${kind} block is not valid base64 (a character was changed)`);
  }
  return bytes;
}

/**
 * Checks a sealed document's header (magic, version, kind, length) and returns its bytes and the
 * vendor key id it was issued with. Needs no key: nothing it returns is verified.
 */
function readHeader(kind: DocumentKind, text: string): { bytes: Uint8Array; keyId: Uint8Array } {
  const bytes = dearmor(kind, text);
  if (bytes.length < HEADER_LENGTH + SIGNATURE_LENGTH + TAG_LENGTH) {
    if (bytes.length >= 4 && !constantTimeEqual(bytes.subarray(0, 4), MAGIC)) {
      throw new LictorError('LICTOR_E_FILE_FORMAT', `not a Lictor ${kind} file`);
    }
    throw new LictorError('LICTOR_E_FILE_TRUNCATED', `the ${kind} file is truncated (${bytes.length} bytes)`);
  }
  if (!constantTimeEqual(bytes.subarray(0, 4), MAGIC)) {
    throw new LictorError('LICTOR_E_FILE_FORMAT', `not a Lictor ${kind} file`);
  }
  if (bytes[4] !== VERSION) {
    throw new LictorError(
      'LICTOR_E_FILE_VERSION',
      `the ${kind} file has format version ${bytes[4]}; this Lictor reads version ${VERSION}: upgrade Lictor`,
    );
  }
  if (bytes[5] !== DOCUMENT_KINDS[kind]) {
    throw new LictorError('LICTOR_E_FILE_FORMAT', `the block holds another kind of document, not a ${kind}`);
  }
  return { bytes, keyId: bytes.subarray(6, 14) };
}

/**
 * The id (hex) of the vendor key a document of `kind` says it was issued with, read without any
 * key: **unverified**, for showing what a file is (`lictor status` without the vendor key) and
 * never for trusting it. Throws the format errors {@link openDocument} throws.
 */
export function documentKeyId(kind: DocumentKind, text: string): string {
  return toHex(readHeader(kind, text).keyId);
}

/**
 * Verifies and decrypts a sealed document; returns its parsed payload. `read` checks the
 * payload's shape and returns what the signature covers (`view`) with the typed value.
 */
export function openDocument<T>(
  kind: DocumentKind,
  text: string,
  publicKey: VendorPublicKey,
  read: (payload: unknown) => { value: T; view: unknown; alternatives?: unknown[] },
): T {
  return openSignedDocument(kind, text, publicKey, read).value;
}

/**
 * {@link openDocument}, returning also the signed view that verified and the signature. `read`
 * may name `alternatives`: earlier formats of the view, tried in order when `view` fails.
 */
export function openSignedDocument<T>(
  kind: DocumentKind,
  text: string,
  publicKey: VendorPublicKey,
  read: (payload: unknown) => { value: T; view: unknown; alternatives?: unknown[] },
): { value: T; view: unknown; signature: Uint8Array } {
  const { bytes, keyId } = readHeader(kind, text);
  if (!constantTimeEqual(keyId, publicKey.keyId)) {
    throw new LictorError(
      'LICTOR_E_WRONG_VENDOR',
      `the ${kind} file was issued with vendor key ${toHex(keyId)}, not with this application's key ${toHex(publicKey.keyId)}`,
    );
  }
  const header = bytes.subarray(0, HEADER_LENGTH);
  const salt = bytes.subarray(14, 30);
  const iv = bytes.subarray(30, HEADER_LENGTH);
  const key = hkdf(publicKey.raw, salt, domain(kind), 32);
  const plain = aesGcmOpen(key, iv, bytes.subarray(HEADER_LENGTH), header);
  if (plain === null) {
    throw new LictorError('LICTOR_E_FILE_TAMPERED', `the ${kind} file was altered or corrupted; obtain it again`);
  }
  const signature = plain.subarray(0, SIGNATURE_LENGTH);
  const payload = fromJsonUtf8(plain.subarray(SIGNATURE_LENGTH));
  if (payload === undefined) {
    throw new LictorError('LICTOR_E_FILE_FORMAT', `the ${kind} file's contents are not valid JSON`);
  }
  // The shape is checked before the signature only to compute what the signature covers;
  // nothing of the payload is trusted or returned unless the signature verifies.
  const { value, view, alternatives = [] } = read(payload);
  for (const candidate of [view, ...alternatives]) {
    if (publicKey.verify(signedBytes(kind, keyId, utf8(canonicalJson(candidate))), signature)) {
      return { value, view: candidate, signature: Uint8Array.from(signature) };
    }
  }
  throw new LictorError('LICTOR_E_SIGNATURE_INVALID', `the ${kind} file is not signed by the vendor`);
}
