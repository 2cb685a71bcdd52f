/**
 * Hardware tokens as seen by everyone who does not hold one: the token's public key (what the
 * License Center registers and a license is bound to) and the challenge–response that proves a
 * token is present. Pure: the token side (PKCS#11) lives in `@lictor/token`.
 *
 * Presence is proven, never assumed: the verifier picks a fresh random challenge, the token signs
 * `lictor/v1/token-presence\0 ‖ challenge` with its non-extractable ECDSA P-256 key, and the
 * verifier checks the signature against the registered public key. A copy of the token's memory
 * on another token, or a container copied off the token, cannot answer.
 */

import { canonicalJson } from './canonical.js';
import { type EcP256PublicKey, parseEcP256PublicKey, randomBytes, sha256 } from './crypto.js';
import { concatBytes, fromBase64Url, toBase64Url, toHex, utf8 } from './encoding.js';
import { LictorError } from './errors.js';
import type { TokenIdentity } from './license.js';

/** Length of a presence challenge in bytes. */
export const TOKEN_CHALLENGE_BYTES = 32;

const TEXT_PREFIX = 'lictor-p256:';
const PRESENCE_PREFIX = utf8('lictor/v1/token-presence\0');

/** A token's ECDSA P-256 public key. */
export interface TokenPublicKey extends EcP256PublicKey {
  /** Text form `lictor-p256:<base64url of the SPKI DER>`: what the center stores and licenses carry. */
  readonly text: string;
  /** Hex of the first 16 bytes of SHA-256 of the SPKI DER: names the key in messages and listings. */
  readonly fingerprint: string;
}

/**
 * Parses a token public key from its text form (`lictor-p256:…`), SPKI PEM, or SPKI DER bytes.
 * Throws `LICTOR_E_PUBLIC_KEY_INVALID` for anything that is not a P-256 key.
 */
export function parseTokenPublicKey(input: string | Uint8Array): TokenPublicKey {
  let spki: string | Uint8Array | null = input;
  if (typeof input === 'string') {
    const trimmed = input.trim();
    spki = trimmed.startsWith(TEXT_PREFIX) ? fromBase64Url(trimmed.slice(TEXT_PREFIX.length)) : trimmed;
  }
  const key = spki === null ? null : parseEcP256PublicKey(spki);
  if (key === null) {
    throw new LictorError(
      'LICTOR_E_PUBLIC_KEY_INVALID',
      `a token public key must be an ECDSA P-256 key (${TEXT_PREFIX}<base64url SPKI>, or SPKI PEM/DER)`,
    );
  }
  return { ...key, text: TEXT_PREFIX + toBase64Url(key.der), fingerprint: toHex(sha256(key.der).subarray(0, 16)) };
}

const P256_SPKI_PREFIX = Uint8Array.from([
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
  0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
]);

/** The token public key of an uncompressed P-256 point `04 ‖ x ‖ y` (as a PKCS#11 token reports it). */
export function tokenPublicKeyFromPoint(point: Uint8Array): TokenPublicKey {
  if (point.length !== 65 || point[0] !== 0x04) {
    throw new LictorError('LICTOR_E_PUBLIC_KEY_INVALID', 'a P-256 point must be 65 bytes starting with 04');
  }
  return parseTokenPublicKey(concatBytes(P256_SPKI_PREFIX, point));
}

/** A fresh random presence challenge. */
export function createTokenChallenge(): Uint8Array {
  return randomBytes(TOKEN_CHALLENGE_BYTES);
}

/** The bytes a token signs to answer `challenge` (domain-separated from every other use of its key). */
export function tokenPresenceMessage(challenge: Uint8Array): Uint8Array {
  if (challenge.length !== TOKEN_CHALLENGE_BYTES) {
    throw new LictorError('LICTOR_E_INVALID_INPUT', `a presence challenge is ${TOKEN_CHALLENGE_BYTES} bytes`);
  }
  return concatBytes(PRESENCE_PREFIX, challenge);
}

/** Whether `signature` (raw `r ‖ s`) is the token's answer to `challenge` under `key`. */
export function verifyTokenPresence(key: TokenPublicKey, challenge: Uint8Array, signature: Uint8Array): boolean {
  return key.verify(tokenPresenceMessage(challenge), signature);
}

/** What a client signs with a token to activate a license bound to it (proves it holds the token). */
export interface TokenActivationClaim {
  serial: string;
  /** The token's key, `lictor-p256:…`. */
  publicKey: string;
  token: TokenIdentity;
  /** ISO 8601; the center refuses claims older than a few minutes. */
  createdAt: string;
  /** Random, base64url. */
  nonce: string;
}

/** The bytes a token signs for a {@link TokenActivationClaim} (domain-separated from presence answers). */
export function tokenActivationMessage(claim: TokenActivationClaim): Uint8Array {
  const { serial, publicKey, token, createdAt, nonce } = claim;
  return concatBytes(
    utf8('lictor/v1/token-activation\0'),
    utf8(canonicalJson({ serial, publicKey, token, createdAt, nonce })),
  );
}
