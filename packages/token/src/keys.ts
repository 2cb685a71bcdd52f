/**
 * The token's signing key: an ECDSA P-256 key pair generated on the token, whose private half
 * never leaves it (sensitive, not extractable), and signatures with it. The digest (SHA-256) is
 * computed on the host and signed with raw `CKM_ECDSA`, which every PKCS#11 token with EC keys
 * offers; the token returns `r ‖ s` (64 bytes), which `node:crypto` verifies with
 * `dsaEncoding: 'ieee-p1363'`.
 */
import { LictorError, randomBytes, sha256, type TokenPublicKey, tokenPublicKeyFromPoint } from '@lictor/protocol';
import type { Template } from 'pkcs11js';
import type { SessionContext } from './session-context.js';

/** DER of the P-256 curve OID (1.2.840.10045.3.1.7), the value of `CKA_EC_PARAMS`. */
const P256_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');

/** A key pair on the token. */
export interface TokenKey {
  /** `CKA_LABEL`. */
  label: string;
  /** `CKA_ID` in hex, shared by the public and the private key object. */
  id: string;
  publicKey: TokenPublicKey;
  /** The private key is there (false when only the public half was found). */
  hasPrivateKey: boolean;
  /**
   * The token generated the private key and it was never extractable (`CKA_LOCAL` and
   * `CKA_NEVER_EXTRACTABLE`): it cannot have been imported from a copy.
   */
  generatedOnToken: boolean;
}

/** Reads one attribute (internal). */
function attribute(ctx: SessionContext, object: Buffer, type: number): Buffer {
  const [result] = ctx.pkcs11.C_GetAttributeValue(ctx.session, object, [{ type }]);
  return result?.value ?? Buffer.alloc(0);
}

function isTrue(value: Buffer): boolean {
  return value.length > 0 && value[0] !== 0;
}

/** Finds every object matching a template (internal). */
export function findObjects(ctx: SessionContext, template: Template): Buffer[] {
  const { pkcs11, session } = ctx;
  pkcs11.C_FindObjectsInit(session, template);
  try {
    const found: Buffer[] = [];
    for (;;) {
      const batch = pkcs11.C_FindObjects(session, 64);
      if (batch.length === 0) return found;
      found.push(...batch);
    }
  } finally {
    pkcs11.C_FindObjectsFinal(session);
  }
}

/** `CKA_EC_POINT` is a DER OCTET STRING around the point on most tokens, the bare point on a few. */
function pointOf(ecPoint: Buffer): Uint8Array | null {
  if (ecPoint.length === 67 && ecPoint[0] === 0x04 && ecPoint[1] === 0x41 && ecPoint[2] === 0x04) {
    return ecPoint.subarray(2);
  }
  if (ecPoint.length === 65 && ecPoint[0] === 0x04) return ecPoint;
  return null;
}

function privateKeysWithId(ctx: SessionContext, id: Buffer): Buffer[] {
  const { binding: b } = ctx;
  return findObjects(ctx, [
    { type: b.CKA_CLASS, value: b.CKO_PRIVATE_KEY },
    { type: b.CKA_ID, value: id },
  ]);
}

function describeKey(ctx: SessionContext, publicObject: Buffer): TokenKey | null {
  const { binding: b } = ctx;
  if (!attribute(ctx, publicObject, b.CKA_EC_PARAMS).equals(P256_PARAMS)) return null;
  const point = pointOf(attribute(ctx, publicObject, b.CKA_EC_POINT));
  if (point === null) return null;
  const id = attribute(ctx, publicObject, b.CKA_ID);
  const [privateObject] = privateKeysWithId(ctx, id);
  const generatedOnToken =
    privateObject !== undefined &&
    isTrue(attribute(ctx, privateObject, b.CKA_LOCAL)) &&
    isTrue(attribute(ctx, privateObject, b.CKA_NEVER_EXTRACTABLE));
  return {
    label: attribute(ctx, publicObject, b.CKA_LABEL).toString('utf8'),
    id: id.toString('hex'),
    publicKey: tokenPublicKeyFromPoint(point),
    hasPrivateKey: privateObject !== undefined,
    generatedOnToken,
  };
}

/** Lists the P-256 key pairs on the token (private keys are visible only after login). */
export function listKeys(ctx: SessionContext): TokenKey[] {
  const { binding: b } = ctx;
  return findObjects(ctx, [
    { type: b.CKA_CLASS, value: b.CKO_PUBLIC_KEY },
    { type: b.CKA_KEY_TYPE, value: b.CKK_EC },
  ])
    .map((o) => describeKey(ctx, o))
    .filter((k): k is TokenKey => k !== null);
}

/**
 * Generates an ECDSA P-256 key pair on the token: the private key is a token object, private
 * (needs login), sensitive and not extractable. Refuses, and destroys the pair, if the token
 * did not honour that (its private key would be readable).
 */
export async function generateKey(ctx: SessionContext, label: string): Promise<TokenKey> {
  const { pkcs11, binding: b, session } = ctx;
  const id = Buffer.from(randomBytes(16));
  const common = [
    { type: b.CKA_TOKEN, value: true },
    { type: b.CKA_LABEL, value: label },
    { type: b.CKA_ID, value: id },
    { type: b.CKA_KEY_TYPE, value: b.CKK_EC },
  ];
  const pair = await pkcs11.C_GenerateKeyPairAsync(
    session,
    { mechanism: b.CKM_EC_KEY_PAIR_GEN },
    [
      ...common,
      { type: b.CKA_CLASS, value: b.CKO_PUBLIC_KEY },
      { type: b.CKA_PRIVATE, value: false },
      { type: b.CKA_VERIFY, value: true },
      { type: b.CKA_EC_PARAMS, value: P256_PARAMS },
    ],
    [
      ...common,
      { type: b.CKA_CLASS, value: b.CKO_PRIVATE_KEY },
      { type: b.CKA_PRIVATE, value: true },
      { type: b.CKA_SENSITIVE, value: true },
      { type: b.CKA_EXTRACTABLE, value: false },
      { type: b.CKA_SIGN, value: true },
      { type: b.CKA_DERIVE, value: false },
    ],
  );
  const sensitive = isTrue(attribute(ctx, pair.privateKey, b.CKA_SENSITIVE));
  const extractable = isTrue(attribute(ctx, pair.privateKey, b.CKA_EXTRACTABLE));
  const key = describeKey(ctx, pair.publicKey);
  if (!sensitive || extractable || key === null) {
    pkcs11.C_DestroyObject(session, pair.privateKey);
    pkcs11.C_DestroyObject(session, pair.publicKey);
    throw new LictorError(
      'LICTOR_E_TOKEN_FAILED',
      `the token ${ctx.describe} did not create a sensitive, non-extractable P-256 key (sensitive ${sensitive}, extractable ${extractable}); the key was destroyed`,
    );
  }
  return key;
}

/**
 * The private keys that may belong to `publicKey`: those sharing `CKA_ID` with a public key object
 * holding the same point, else (tokens that keep no public objects) every EC private key that signs.
 */
function candidateKeys(ctx: SessionContext, publicKey: TokenPublicKey): Buffer[] {
  const { binding: b } = ctx;
  const publicObjects = findObjects(ctx, [
    { type: b.CKA_CLASS, value: b.CKO_PUBLIC_KEY },
    { type: b.CKA_KEY_TYPE, value: b.CKK_EC },
  ]);
  const byId = publicObjects
    .filter((o) => {
      const point = pointOf(attribute(ctx, o, b.CKA_EC_POINT));
      return point !== null && Buffer.from(point).equals(publicKey.point);
    })
    .flatMap((o) => privateKeysWithId(ctx, attribute(ctx, o, b.CKA_ID)));
  if (byId.length > 0) return byId;
  return findObjects(ctx, [
    { type: b.CKA_CLASS, value: b.CKO_PRIVATE_KEY },
    { type: b.CKA_KEY_TYPE, value: b.CKK_EC },
    { type: b.CKA_SIGN, value: true },
  ]).slice(0, 16);
}

/**
 * Signs `message` with the token's private key for `publicKey` (ECDSA P-256 over SHA-256,
 * digest computed here) and checks the signature before returning it (`r ‖ s`, 64 bytes).
 * Throws `LICTOR_E_TOKEN_NOT_GENUINE` when no key on the token produces a signature that
 * `publicKey` verifies: the token is not the one the key was registered for.
 */
export async function signWithKey(
  ctx: SessionContext,
  publicKey: TokenPublicKey,
  message: Uint8Array,
): Promise<Uint8Array> {
  const { pkcs11, binding: b, session, keyHandles } = ctx;
  const digest = Buffer.from(sha256(message));
  const signWith = async (key: Buffer) => {
    pkcs11.C_SignInit(session, { mechanism: b.CKM_ECDSA }, key);
    const signature = new Uint8Array(await pkcs11.C_SignAsync(session, digest, Buffer.alloc(132)));
    return publicKey.verify(message, signature) ? signature : null;
  };
  const known = keyHandles.get(publicKey.text);
  if (known !== undefined) {
    const signature = await signWith(known);
    if (signature !== null) return signature;
    keyHandles.delete(publicKey.text);
  }
  for (const key of candidateKeys(ctx, publicKey)) {
    const signature = await signWith(key);
    if (signature === null) continue;
    keyHandles.set(publicKey.text, key);
    return signature;
  }
  throw new LictorError(
    'LICTOR_E_TOKEN_NOT_GENUINE',
    `the token ${ctx.describe} holds no private key for the registered public key ${publicKey.fingerprint}: it is not the token the license was programmed on (a copy of a token's memory does not carry its key)`,
    { fingerprint: publicKey.fingerprint, serial: ctx.token.serial },
  );
}
