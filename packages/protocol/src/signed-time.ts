/**
 * Signed server time: the License Center's clock, signed with the vendor key over a nonce the
 * client chose. The SDK moves its clock mark forward with it (see docs/clock.md); the nonce makes
 * an answer fresh, so a recorded answer cannot be replayed to pull the mark back.
 */
import { canonicalJson } from './canonical.js';
import { randomBytes, type VendorPublicKey, type VendorSigner } from './crypto.js';
import { concatBytes, fromBase64Url, toBase64Url, utf8 } from './encoding.js';
import { LictorError } from './errors.js';

/** The center's time at the moment it answered, for the client's nonce. */
export interface SignedTime {
  /** ISO 8601 UTC, milliseconds. */
  time: string;
  /** The client's nonce, echoed (base64url, 16 to 64 bytes). */
  nonce: string;
  /** Ed25519 signature by the vendor key, base64url. */
  signature: string;
}

/** The HTTP header of `GET /v1/blacklist?nonce=…` that carries the signed time (JSON). */
export const TIME_HEADER = 'lictor-time';

const NONCE_PATTERN = /^[A-Za-z0-9_-]{22,86}$/;

function signedBytes(publicKey: VendorPublicKey, time: string, nonce: string): Uint8Array {
  return concatBytes(utf8('lictor/v1/server-time\0'), publicKey.keyId, utf8(canonicalJson({ nonce, time })));
}

/** A fresh nonce for a signed time request (16 random bytes, base64url). */
export function newTimeNonce(): string {
  return toBase64Url(randomBytes(16));
}

/** Whether `nonce` has the form the center signs (it refuses anything else as invalid input). */
export function isTimeNonce(nonce: unknown): nonce is string {
  return typeof nonce === 'string' && NONCE_PATTERN.test(nonce);
}

/** Signs the center's time `nowMs` for the client's `nonce`. */
export function signServerTime(signer: VendorSigner, nowMs: number, nonce: string): SignedTime {
  const time = new Date(nowMs).toISOString();
  return { time, nonce, signature: toBase64Url(signer.sign(signedBytes(signer.publicKey, time, nonce))) };
}

/**
 * Verifies a signed time answered for `nonce` and returns it in ms since the epoch. Throws
 * `LICTOR_E_SIGNATURE_INVALID` for another nonce, another key or an altered time, and
 * `LICTOR_E_FILE_FORMAT` for a malformed value.
 */
export function verifyServerTime(value: unknown, publicKey: VendorPublicKey, nonce: string): number {
  const v = value as Partial<SignedTime> | null;
  const ms = typeof v?.time === 'string' ? Date.parse(v.time) : Number.NaN;
  const signature = typeof v?.signature === 'string' ? fromBase64Url(v.signature) : null;
  if (v === null || typeof v !== 'object' || typeof v.nonce !== 'string' || !Number.isFinite(ms) || !signature) {
    throw new LictorError('LICTOR_E_FILE_FORMAT', 'the signed server time has an unexpected structure');
  }
  if (v.nonce !== nonce || !publicKey.verify(signedBytes(publicKey, v.time as string, nonce), signature)) {
    throw new LictorError(
      'LICTOR_E_SIGNATURE_INVALID',
      "the server time is not signed by the vendor for this request: the answer does not come from the vendor's License Center",
    );
  }
  return ms;
}
