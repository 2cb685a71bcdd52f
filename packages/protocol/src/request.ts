/**
 * Offline activation requests: what a computer without network access hands to the vendor,
 * as a file (full data) or as a short code (digests only).
 *
 * A request proves knowledge of the PIN code without revealing it: it carries
 * HMAC-SHA256(key = PIN, the request's canonical contents). The PIN has 75 random bits, so the
 * proof cannot be reversed or guessed. It also carries the PIN's tag ({@link pinTag}, the same for
 * every request of one PIN): the center, which keeps each PIN's tag, finds the one PIN to check
 * the proof against by the tag instead of trying every PIN of the package (requests made before
 * tags are still checked against each PIN). Requests are not secret and not vendor-signed; a
 * SHA-256 checksum tells corruption apart from a wrong PIN.
 */
import { canonicalJson } from './canonical.js';
import { normalizePin, normalizeSerial } from './codes.js';
import { constantTimeEqual, hmacSha256 } from './crypto.js';
import { CROCKFORD, concatBytes, fromBase64Url, readUint, toBase64Url, uintBytes, utf8 } from './encoding.js';
import { LictorError } from './errors.js';
import { fieldReaders } from './fields.js';
import { type HardwareParams, isHardwareParams, normalizeHardware } from './hardware.js';
import { CODE_PATTERN, type ContainerKeys, type Owner } from './license.js';
import { subjectDigest } from './license-file.js';
import { decodePlainFile, encodePlainFile } from './plain-file.js';

/** The contents of a request file. */
export interface RequestDocument {
  format: 1;
  serial: string;
  /** Product the application asked for, checked against the package; `null` if not given. */
  product: string | null;
  owner: Owner;
  hardware: HardwareParams;
  /** Random, base64url; the answer carries it back so that it can be matched to this request. */
  nonce: string;
  createdAt: string;
  /** base64url HMAC-SHA256(PIN, proof input). */
  proof: string;
  /** Public keys of the container the answer will create. */
  containerKeys?: ContainerKeys;
  /** {@link pinTag} of the PIN (hex); absent in requests made before tags. */
  pinTag?: string;
}

/** The fields a request is made from. */
export type RequestFields = Omit<RequestDocument, 'format' | 'proof' | 'pinTag'>;

/** Hex digits of a PIN tag. */
export const PIN_TAG_HEX = 12;
const PIN_TAG = /^[0-9a-f]{12}$/;

/**
 * A PIN's tag: the first 48 bits of HMAC-SHA256(key = PIN, serial), in hex. The same for every
 * request of one PIN, so the center can find the PIN by it; it reveals no more of the PIN than
 * the proof next to it already does.
 */
export function pinTag(serial: string, pin: string): string {
  const mac = hmacSha256(pinKey(pin), utf8(`lictor/v1/pin-tag\0${normalizeSerial(serial)}`));
  return Buffer.from(mac.subarray(0, PIN_TAG_HEX / 2)).toString('hex');
}

function proofInput(fields: Omit<RequestDocument, 'format' | 'proof'>): Uint8Array {
  const { serial, product, owner, hardware, nonce, createdAt, containerKeys, pinTag: tag } = fields;
  const covered = {
    serial,
    product,
    owner,
    hardware,
    nonce,
    createdAt,
    ...(containerKeys ? { containerKeys } : {}),
    ...(tag === undefined ? {} : { pinTag: tag }),
  };
  return utf8(`lictor/v1/request-proof\0${canonicalJson(covered)}`);
}

function pinKey(pin: string): Uint8Array {
  return utf8(normalizePin(pin));
}

/** Builds a request with the proof and the tag of `pin`. */
export function createRequest(fields: RequestFields, pin: string): RequestDocument {
  const normalized = {
    ...fields,
    serial: normalizeSerial(fields.serial),
    hardware: normalizeHardware(fields.hardware),
    pinTag: pinTag(fields.serial, pin),
  };
  return { format: 1, ...normalized, proof: toBase64Url(hmacSha256(pinKey(pin), proofInput(normalized))) };
}

/** Whether the request's proof was made with `pin`. Constant time. */
export function requestProvesPin(request: RequestDocument, pin: string): boolean {
  return requestProofChecker(request)(pin);
}

/** {@link requestProvesPin} for many PINs: the request's canonical bytes are computed once. */
export function requestProofChecker(request: RequestDocument): (pin: string) => boolean {
  const proof = fromBase64Url(request.proof);
  const input = proofInput(request);
  return (pin) => proof !== null && constantTimeEqual(proof, hmacSha256(pinKey(pin), input));
}

/** Armors a request as a file that can also be pasted into an e-mail. */
export function encodeRequestFile(request: RequestDocument): string {
  return encodePlainFile('request', request);
}

function fail(field: string, what: string): never {
  throw new LictorError('LICTOR_E_FILE_FORMAT', `the request file field '${field}' ${what}`);
}

const { obj, str } = fieldReaders(fail);

/** Parses a request file (tolerant of e-mail mangling); checks structure and checksum, not the PIN. */
export function decodeRequestFile(text: string): RequestDocument {
  const d = obj(decodePlainFile('request', text), '(root)');
  if (d.format !== 1) throw new LictorError('LICTOR_E_FILE_FORMAT', 'the request file has an unknown format');
  const owner = obj(d.owner, 'owner');
  for (const [k, v] of Object.entries(owner)) {
    if (k.length > 64) fail('owner', 'has a field name longer than 64 characters');
    str(v, `owner.${k}`, 256);
  }
  if (!isHardwareParams(d.hardware)) fail('hardware', 'is not a valid set of hardware parameters');
  const product = d.product === null ? null : str(d.product, 'product', 64);
  if (product !== null && !CODE_PATTERN.test(product)) fail('product', 'is not a product code');
  let containerKeys: ContainerKeys | undefined;
  if (d.containerKeys !== undefined) {
    const k = obj(d.containerKeys, 'containerKeys');
    containerKeys = { sign: str(k.sign, 'containerKeys.sign', 64), box: str(k.box, 'containerKeys.box', 64) };
  }
  const createdAt = str(d.createdAt, 'createdAt', 40);
  if (Number.isNaN(Date.parse(createdAt))) fail('createdAt', 'is not a date');
  return {
    format: 1,
    serial: str(d.serial, 'serial', 64),
    product,
    owner: owner as Owner,
    hardware: d.hardware,
    nonce: str(d.nonce, 'nonce', 64),
    createdAt,
    proof: str(d.proof, 'proof', 64),
    ...(containerKeys === undefined ? {} : { containerKeys }),
    ...(d.pinTag === undefined ? {} : { pinTag: tagOf(d.pinTag) }),
  };
}

function tagOf(value: unknown): string {
  const tag = str(value, 'pinTag', PIN_TAG_HEX);
  if (!PIN_TAG.test(tag)) fail('pinTag', 'is not a PIN tag');
  return tag;
}

// ---- short codes -------------------------------------------------------------------------

/** Days and minutes in codes count from this instant. */
export const CODE_EPOCH_MS = Date.parse('2024-01-01T00:00:00Z');
/** Request codes made before PIN tags: a 48-bit proof. */
const KIND_REQUEST_CODE_V1 = 0x11;
/** Request codes with a PIN tag: 16 bits of the tag, then a 32-bit proof (the same length). */
const KIND_REQUEST_CODE = 0x12;
const CODE_TAG_BYTES = 2;
const SERIAL_CHARS = 12;
const NONCE_BYTES = 4;
const PROOF_BYTES = 6;

/** What a request code carries: digests, not data. */
export interface RequestCode {
  serial: string;
  /** Hex nonce (4 bytes). */
  nonce: string;
  /** Day the request was made (UTC midnight, ISO). */
  createdAt: string;
  /** {@link subjectDigest} of the owner and hardware kept on the requesting computer. */
  subject: string;
  proof: Uint8Array;
  /** The first 4 hex digits of the PIN's {@link pinTag}; absent in codes made before tags. */
  pinTagPrefix?: string;
}

function serialBits(serial: string): bigint {
  const body = normalizeSerial(serial).slice(3).replaceAll('-', '');
  if (body.length !== SERIAL_CHARS) throw new LictorError('LICTOR_E_INVALID_INPUT', `${serial} is not a serial number`);
  let n = 0n;
  for (const ch of body) n = (n << 5n) | BigInt(CROCKFORD.indexOf(ch));
  return n;
}

function serialFromBits(n: bigint): string {
  let s = '';
  for (let i = 0; i < SERIAL_CHARS; i++) {
    s = CROCKFORD[Number(n & 31n)] + s;
    n >>= 5n;
  }
  return normalizeSerial(s);
}

function requestCodeProofInput(body: Uint8Array): Uint8Array {
  return concatBytes(utf8('lictor/v1/request-code-proof\0'), body);
}

/** Builds the bytes of a request code; `subject` from {@link subjectDigest}. */
export function createRequestCode(
  fields: {
    serial: string;
    nonce: Uint8Array;
    createdAt: Date;
    owner: Owner;
    hardware: HardwareParams;
    containerKeys?: ContainerKeys;
  },
  pin: string,
): Uint8Array {
  const days = Math.floor((fields.createdAt.getTime() - CODE_EPOCH_MS) / 86_400_000);
  if (days < 0 || days > 0xffff)
    throw new LictorError('LICTOR_E_INVALID_INPUT', "this computer's clock is wrong: check the date");
  const subject = fromBase64Url(subjectDigest(fields.owner, fields.hardware, fields.containerKeys)) as Uint8Array;
  const body = concatBytes(
    Uint8Array.of(KIND_REQUEST_CODE),
    uintBytes(serialBits(fields.serial), 8),
    fields.nonce.subarray(0, NONCE_BYTES),
    uintBytes(days, 2),
    subject,
  );
  return concatBytes(body, codeProof(body, pin, fields.serial));
}

function codeProof(body: Uint8Array, pin: string, serial: string): Uint8Array {
  const mac = hmacSha256(pinKey(pin), requestCodeProofInput(body));
  if (body[0] === KIND_REQUEST_CODE_V1) return mac.subarray(0, PROOF_BYTES);
  const tag = Buffer.from(pinTag(serial, pin).slice(0, CODE_TAG_BYTES * 2), 'hex');
  return concatBytes(tag, mac.subarray(0, PROOF_BYTES - CODE_TAG_BYTES));
}

/** Parses the bytes of a request code. */
export function parseRequestCode(bytes: Uint8Array): RequestCode {
  const bodyLength = 1 + 8 + NONCE_BYTES + 2 + 10;
  const kind = bytes[0];
  if (bytes.length !== bodyLength + PROOF_BYTES || (kind !== KIND_REQUEST_CODE && kind !== KIND_REQUEST_CODE_V1)) {
    throw new LictorError('LICTOR_E_CODE_INVALID', 'this is not a Lictor request code');
  }
  if ((bytes[1] ?? 0) >> 4 !== 0) throw new LictorError('LICTOR_E_CODE_INVALID', 'the request code is damaged');
  const days = Number(readUint(bytes, 1 + 8 + NONCE_BYTES, 2));
  return {
    serial: serialFromBits(readUint(bytes, 1, 8)),
    nonce: Buffer.from(bytes.subarray(9, 9 + NONCE_BYTES)).toString('hex'),
    createdAt: new Date(CODE_EPOCH_MS + days * 86_400_000).toISOString(),
    subject: toBase64Url(bytes.subarray(bodyLength - 10, bodyLength)),
    proof: bytes.slice(bodyLength),
    ...(kind === KIND_REQUEST_CODE
      ? { pinTagPrefix: Buffer.from(bytes.subarray(bodyLength, bodyLength + CODE_TAG_BYTES)).toString('hex') }
      : {}),
  };
}

/** Whether a request code's proof was made with `pin`. Constant time. */
export function requestCodeProvesPin(bytes: Uint8Array, pin: string): boolean {
  const body = bytes.subarray(0, bytes.length - PROOF_BYTES);
  const serial = serialFromBits(readUint(bytes, 1, 8));
  return constantTimeEqual(codeProof(body, pin, serial), bytes.subarray(bytes.length - PROOF_BYTES));
}
