/**
 * The only module of `protocol` that touches a crypto implementation (Node's `crypto`).
 * Ed25519 for signatures, AES-256-GCM with a full 16-byte tag, HKDF-SHA256, HMAC-SHA256.
 * A browser port replaces this file with a WebCrypto one; nothing else changes.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hash,
  hkdfSync,
  type KeyObject,
  randomBytes as nodeRandomBytes,
  sign,
  timingSafeEqual,
  verify,
} from 'node:crypto';
import { fromBase64Url, toBase64Url, utf8 } from './encoding.js';
import { LictorError } from './errors.js';
import { ScratchBuffer } from './scratch.js';

const ED25519_SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);
const PUBLIC_KEY_PREFIX = 'lictor-ed25519:';

/** A vendor's public key: verifies every file and answer the vendor's License Center signs. */
export interface VendorPublicKey {
  /** Raw 32-byte Ed25519 key. */
  readonly raw: Uint8Array;
  /** First 8 bytes of SHA-256 of the raw key; names the key inside files. */
  readonly keyId: Uint8Array;
  /** Text form `lictor-ed25519:<base64url>`, what an application embeds. */
  readonly text: string;
  /** Verifies an Ed25519 signature over `data`. */
  verify(data: Uint8Array, signature: Uint8Array): boolean;
}

/** Holds the vendor's private key; only the License Center has one. */
export interface VendorSigner {
  readonly publicKey: VendorPublicKey;
  sign(data: Uint8Array): Uint8Array;
}

function publicKeyFromObject(key: KeyObject): VendorPublicKey {
  const der = key.export({ format: 'der', type: 'spki' });
  const raw = new Uint8Array(der.subarray(ED25519_SPKI_PREFIX.length));
  return {
    raw,
    keyId: sha256(raw).subarray(0, 8),
    text: PUBLIC_KEY_PREFIX + toBase64Url(raw),
    verify: (data, signature) => signature.length === 64 && verify(null, data, key, signature),
  };
}

/** Parses the text form of a vendor public key. */
export function parsePublicKey(text: string): VendorPublicKey {
  const trimmed = text.trim();
  const raw = trimmed.startsWith(PUBLIC_KEY_PREFIX) ? fromBase64Url(trimmed.slice(PUBLIC_KEY_PREFIX.length)) : null;
  if (raw === null || raw.length !== 32) {
    throw new LictorError(
      'LICTOR_E_PUBLIC_KEY_INVALID',
      `the vendor public key must look like ${PUBLIC_KEY_PREFIX}<43 base64url characters>; print it with 'lictor center public-key'`,
    );
  }
  const der = new Uint8Array(ED25519_SPKI_PREFIX.length + 32);
  der.set(ED25519_SPKI_PREFIX);
  der.set(raw, ED25519_SPKI_PREFIX.length);
  try {
    return publicKeyFromObject(createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }));
  } catch {
    throw new LictorError('LICTOR_E_PUBLIC_KEY_INVALID', 'the vendor public key is not a valid Ed25519 key');
  }
}

/** Creates a new vendor key pair; the private key as PKCS#8 PEM. */
export function generateVendorKeys(): { privatePem: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKey: publicKeyFromObject(publicKey).text,
  };
}

/** Loads a signer from a PKCS#8 PEM private key. The key object is created once and reused. */
export function loadSigner(privatePem: string): VendorSigner {
  const key = createPrivateKey(privatePem);
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError('the vendor private key must be Ed25519');
  const publicKey = publicKeyFromObject(createPublicKey(key));
  return { publicKey, sign: (data) => new Uint8Array(sign(null, data, key)) };
}

/** AES-256-GCM encryption; the 16-byte tag is appended to the ciphertext. */
export function aesGcmSeal(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  cipher.setAAD(aad);
  return new Uint8Array(Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]));
}

/** AES-256-GCM decryption of `ciphertext‖tag`; `null` when the tag does not verify. */
export function aesGcmOpen(key: Uint8Array, iv: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null {
  if (sealed.length < 16) return null;
  // authTagLength pins the tag size: Node otherwise accepts a truncated 4-byte tag.
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  try {
    return new Uint8Array(Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]));
  } catch {
    return null;
  }
}

/** HKDF-SHA256. */
export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string, length: number): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));
}

/** SHA-256. */
export function sha256(data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/** HMAC-SHA256. */
export function hmacSha256(key: Uint8Array, data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHmac('sha256', key).update(data).digest());
}

const HMAC_BLOCK = 64;
const IPAD = Buffer.alloc(HMAC_BLOCK, 0x36);
const OPAD = Buffer.alloc(HMAC_BLOCK, 0x5c);

/**
 * HMAC-SHA256 (RFC 2104) built from two one-shot hashes: the same bytes as {@link hmacSha256}
 * without creating an `Hmac` object per call, which costs more than the hashing for short
 * messages (a License Manager MACs every heartbeat answer).
 */
export function hmacSha256Quick(key: Uint8Array, data: Uint8Array | string): Uint8Array {
  return hmacSha256Keyed(key)(data);
}

/** The outer hash's input of {@link hmacSha256Keyed}: the outer pad and the inner hash. */
const HMAC_FINAL = Buffer.alloc(HMAC_BLOCK + 32);
/** Where {@link hmacSha256Keyed} writes the inner hash's input (the inner pad and the message). */
const hmacMessage = new ScratchBuffer(4096, 64 * 1024);

/** {@link hmacSha256Quick} with the key's pads computed once: for many MACs under one key. */
export function hmacSha256Keyed(key: Uint8Array): (data: Uint8Array | string) => Uint8Array {
  const k = Buffer.alloc(HMAC_BLOCK);
  k.set(key.length > HMAC_BLOCK ? sha256(key) : key);
  const inner = Buffer.alloc(HMAC_BLOCK);
  const outer = Buffer.alloc(HMAC_BLOCK);
  for (let i = 0; i < HMAC_BLOCK; i++) {
    inner[i] = (k[i] as number) ^ (IPAD[i] as number);
    outer[i] = (k[i] as number) ^ (OPAD[i] as number);
  }
  // The pad copied in and the message written after it (no concat), in buffers that every call
  // reuses: hashing is synchronous, and a pooled buffer per call is memory outside V8's heap that
  // waits for a collection (a runtime MACs every answer within a session).
  return (data) => {
    const length = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
    const message = hmacMessage.take(HMAC_BLOCK + length);
    inner.copy(message, 0);
    if (typeof data === 'string') message.write(data, HMAC_BLOCK, 'utf8');
    else message.set(data, HMAC_BLOCK);
    outer.copy(HMAC_FINAL, 0);
    hash('sha256', message, 'buffer').copy(HMAC_FINAL, HMAC_BLOCK);
    const mac = new Uint8Array(hash('sha256', HMAC_FINAL, 'buffer'));
    // The pads are the key's material and the message may be a secret (a PIN): not left behind.
    message.fill(0);
    HMAC_FINAL.fill(0);
    return mac;
  };
}

/** Cryptographically secure random bytes. */
export function randomBytes(n: number): Uint8Array {
  return new Uint8Array(nodeRandomBytes(n));
}

/**
 * Where a sealing function takes its random bytes. Production passes nothing (and gets
 * {@link randomBytes}); the specification's test vectors pass fixed bytes so that the output can
 * be checked byte for byte (`scripts/make-vectors.ts`).
 */
export type RandomSource = (length: number) => Uint8Array;

/** Constant-time equality of two byte strings (false for different lengths). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A container's key pair, generated on the computer that holds the container. */
export interface ContainerKeyPair {
  /** Public keys, as written in the license. */
  public: { sign: string; box: string };
  /** Private keys: Ed25519 as PKCS#8 PEM, X25519 as base64url raw scalar. Keep them sealed. */
  private: { sign: string; box: string };
}

/** Generates a container's Ed25519 (signing) and X25519 (receiving) key pairs. */
export function generateContainerKeys(): ContainerKeyPair {
  const sign = generateKeyPairSync('ed25519');
  const box = generateKeyPairSync('x25519');
  const boxJwk = box.privateKey.export({ format: 'jwk' });
  return {
    public: {
      sign: toBase64Url(publicKeyFromObject(sign.publicKey).raw),
      box: String(boxJwk.x),
    },
    private: { sign: sign.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), box: String(boxJwk.d) },
  };
}

/** Signs with a container's private Ed25519 key (PKCS#8 PEM). */
export function containerSign(privatePem: string, data: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, data, createPrivateKey(privatePem)));
}

/**
 * A signing function over a container's private Ed25519 key (PKCS#8 PEM), parsed once: for
 * signers that sign many times (a License Manager signing every lease answer).
 */
export function loadContainerSigner(privatePem: string): (data: Uint8Array) => Uint8Array {
  const key = createPrivateKey(privatePem);
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError('a container signing key must be Ed25519');
  return (data) => new Uint8Array(sign(null, data, key));
}

/** Verifies a container's Ed25519 signature; `false` for a malformed key or signature. */
export function containerVerify(publicKey: string, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
    return signature.length === 64 && verify(null, data, key, signature);
  } catch {
    return false;
  }
}

function x25519Shared(privateD: string, publicX: string, privateX?: string): Uint8Array {
  const privateKey = createPrivateKey({
    key: { kty: 'OKP', crv: 'X25519', d: privateD, x: privateX ?? publicFromX25519(privateD) },
    format: 'jwk',
  });
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: publicX }, format: 'jwk' });
  return new Uint8Array(diffieHellman({ privateKey, publicKey }));
}

function x25519PrivateKey(privateD: string): KeyObject {
  const pkcs8 = Buffer.concat([
    Buffer.from('302e020100300506032b656e04220420', 'hex'),
    Buffer.from(privateD, 'base64url'),
  ]);
  return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
}

function publicFromX25519(privateD: string): string {
  return String(createPublicKey(x25519PrivateKey(privateD)).export({ format: 'jwk' }).x);
}

/**
 * Seals a short secret to a container's X25519 public key (ephemeral X25519, HKDF-SHA256,
 * AES-256-GCM). Only the container's private key opens it. Result: base64url of
 * ephemeral public key (32) ‖ iv (12) ‖ ciphertext ‖ tag (16). `random`, for test vectors only,
 * gives the ephemeral private scalar (32 bytes) and then the iv (12 bytes).
 */
export function sealToContainer(boxPublic: string, secret: Uint8Array, context: string, random?: RandomSource): string {
  // Test vectors inject the ephemeral private scalar (32 bytes, then the iv); production generates a key pair.
  const ephPrivate =
    random === undefined ? generateKeyPairSync('x25519').privateKey : x25519PrivateKey(toBase64Url(random(32)));
  const jwk = ephPrivate.export({ format: 'jwk' });
  const ephPublic = fromBase64Url(String(jwk.x)) as Uint8Array;
  const shared = x25519Shared(String(jwk.d), boxPublic, String(jwk.x));
  const key = hkdf(shared, ephPublic, `lictor/v1/seal/${context}`, 32);
  const iv = (random ?? randomBytes)(12);
  const sealed = aesGcmSeal(key, iv, secret, utf8(context));
  return toBase64Url(Buffer.concat([ephPublic, iv, sealed]));
}

/** Opens {@link sealToContainer}'s output with the container's X25519 private key; `null` if it does not open. */
export function openFromContainer(boxPrivate: string, sealedText: string, context: string): Uint8Array | null {
  const bytes = fromBase64Url(sealedText);
  if (bytes === null || bytes.length < 32 + 12 + 16) return null;
  try {
    const ephPublic = bytes.subarray(0, 32);
    const shared = x25519Shared(boxPrivate, toBase64Url(ephPublic));
    const key = hkdf(shared, ephPublic, `lictor/v1/seal/${context}`, 32);
    return aesGcmOpen(key, bytes.subarray(32, 44), bytes.subarray(44), utf8(context));
  } catch {
    return null;
  }
}

const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

/**
 * {@link openFromContainer} with the container's X25519 private key parsed once: for openers
 * that open many times (a License Manager opening its clients' session secrets).
 */
export function loadContainerOpener(boxPrivate: string): (sealedText: string, context: string) => Uint8Array | null {
  const privateKey = createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), Buffer.from(boxPrivate, 'base64url')]),
    format: 'der',
    type: 'pkcs8',
  });
  return (sealedText, context) => {
    const bytes = fromBase64Url(sealedText);
    if (bytes === null || bytes.length < 32 + 12 + 16) return null;
    try {
      const ephPublic = bytes.subarray(0, 32);
      const publicKey = createPublicKey({
        key: Buffer.concat([X25519_SPKI_PREFIX, ephPublic]),
        format: 'der',
        type: 'spki',
      });
      const shared = new Uint8Array(diffieHellman({ privateKey, publicKey }));
      const key = hkdf(shared, ephPublic, `lictor/v1/seal/${context}`, 32);
      return aesGcmOpen(key, bytes.subarray(32, 44), bytes.subarray(44), utf8(context));
    } catch {
      return null;
    }
  };
}

/** An ECDSA P-256 public key (a hardware token's signing key), parsed once. */
export interface EcP256PublicKey {
  /** SubjectPublicKeyInfo, DER. */
  readonly der: Uint8Array;
  /** SubjectPublicKeyInfo, PEM. */
  readonly pem: string;
  /** The uncompressed point `04 ‖ x ‖ y` (65 bytes). */
  readonly point: Uint8Array;
  /** Verifies an ECDSA P-256 / SHA-256 signature over `data`, given as raw `r ‖ s` (64 bytes). */
  verify(data: Uint8Array, signature: Uint8Array): boolean;
}

/** Parses an ECDSA P-256 public key from SPKI (DER bytes or PEM text); `null` for anything else. */
export function parseEcP256PublicKey(spki: Uint8Array | string): EcP256PublicKey | null {
  let key: KeyObject;
  try {
    key =
      typeof spki === 'string'
        ? createPublicKey(spki)
        : createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch {
    return null;
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return null;
  const jwk = key.export({ format: 'jwk' });
  const x = fromBase64Url(String(jwk.x));
  const y = fromBase64Url(String(jwk.y));
  if (x === null || y === null || x.length !== 32 || y.length !== 32) return null;
  const point = new Uint8Array(65);
  point[0] = 0x04;
  point.set(x, 1);
  point.set(y, 33);
  return {
    der: new Uint8Array(key.export({ format: 'der', type: 'spki' })),
    pem: key.export({ format: 'pem', type: 'spki' }).toString(),
    point,
    verify: (data, signature) =>
      signature.length === 64 && verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature),
  };
}
