/**
 * PIN codes are stored as a peppered HMAC bound to their serial (the online lookup), and sealed
 * with a key derived from the same pepper, so that the center alone can recover them to check
 * the proofs of offline requests.
 */
import {
  aesGcmOpen,
  aesGcmSeal,
  fromBase64Url,
  hkdf,
  hmacSha256Keyed,
  randomBytes,
  toBase64Url,
  toHex,
  utf8,
} from '@lictor/protocol';

/** The pepper's HMAC with its pads computed once: an `Hmac` object per call cost more than the hashing. */
const keyed = new WeakMap<Uint8Array, (data: string) => Uint8Array>();

/** The stored form of a PIN: HMAC-SHA256(pepper, serial ":" PIN) in hex; both normalized. */
export function hashPin(pepper: Uint8Array, serial: string, pin: string): string {
  let mac = keyed.get(pepper);
  if (mac === undefined) {
    mac = hmacSha256Keyed(pepper);
    keyed.set(pepper, mac);
  }
  return toHex(mac(`${serial}:${pin}`));
}

const SEAL_VERSION = 'v1';
const IV_BYTES = 12;

/**
 * The AES-256 key of sealed PINs. The pepper is already 32 uniformly random bytes, so the salt is
 * empty; the info string keeps this key apart from any other use of the pepper.
 */
export function pinSealKey(pepper: Uint8Array): Uint8Array {
  return hkdf(pepper, new Uint8Array(0), 'lictor/v1/pin-seal', 32);
}

/**
 * The AES-256 key of sealed upgrade confirmation secrets: the same derivation as
 * {@link pinSealKey}, kept apart by its info string.
 */
export function upgradeSecretKey(pepper: Uint8Array): Uint8Array {
  return hkdf(pepper, new Uint8Array(0), 'lictor/v1/upgrade-secret', 32);
}

/**
 * Seals a value for the center itself: `v1.<iv>.<ciphertext and tag>`, base64url, bound to
 * `context` (additional data) so that a sealed value cannot be moved to another row.
 */
export function sealForCenter(key: Uint8Array, context: string, plain: Uint8Array): string {
  const iv = randomBytes(IV_BYTES);
  const sealed = aesGcmSeal(key, iv, plain, utf8(context));
  return `${SEAL_VERSION}.${toBase64Url(iv)}.${toBase64Url(sealed)}`;
}

/** Opens {@link sealForCenter}'s output; `null` when it does not open under `key` and `context`. */
export function openForCenter(key: Uint8Array, context: string, stored: string): Uint8Array | null {
  const [version, ivText, sealedText] = stored.split('.');
  const iv = ivText === undefined ? null : fromBase64Url(ivText);
  const sealed = sealedText === undefined ? null : fromBase64Url(sealedText);
  return version === SEAL_VERSION && iv !== null && iv.length === IV_BYTES && sealed !== null
    ? aesGcmOpen(key, iv, sealed, utf8(context))
    : null;
}

/** Seals a normalized PIN, bound to its serial and index. */
export function sealPin(key: Uint8Array, serial: string, index: number, pin: string): string {
  return sealForCenter(key, `${serial}:${index}`, utf8(pin));
}

/**
 * Recovers a sealed PIN. A value that does not open means the database and the data directory's
 * pin-pepper.key do not belong together (or the row was altered): an operator's problem, so it
 * is a plain error (500, logged), never a client refusal.
 */
export function openPin(key: Uint8Array, serial: string, index: number, stored: string): string {
  const plain = openForCenter(key, `${serial}:${index}`, stored);
  if (plain === null) {
    throw new Error(
      `the sealed PIN ${index} of ${serial} cannot be opened: the database does not match this data directory's pin-pepper.key`,
    );
  }
  return Buffer.from(plain).toString('utf8');
}
