/**
 * The check of a token-bound activation's proof: the token signed a fresh claim naming the
 * serial, its key and its identity (`tokenActivationMessage`), so the center binds the license
 * only to a key whose holder asked for it, now.
 */
import {
  fromBase64Url,
  LictorError,
  normalizeSerial,
  parseTokenPublicKey,
  type TokenActivationClaim,
  type TokenBinding,
  type TokenPublicKey,
  tokenActivationMessage,
} from '@lictor/protocol';
import { invalid } from './input.js';

/** How far a claim's `createdAt` may be from the center's clock, either way. */
const TOKEN_CLAIM_MAX_SKEW_MS = 10 * 60_000;

/** A verified token claim: the binding the license gets and the key's fingerprint (for messages and audit). */
export interface ClaimedToken {
  binding: TokenBinding;
  fingerprint: string;
}

function proofInvalid(message: string, details?: Record<string, unknown>): never {
  throw new LictorError('LICTOR_E_TOKEN_PROOF_INVALID', message, details);
}

function field(value: unknown, name: string, max: number): string {
  if (typeof value !== 'string' || value === '' || value.length > max) {
    invalid(name, `${name} must be a non-empty text of at most ${max} characters`);
  }
  return value;
}

/** The claim's fields, checked for shape (`LICTOR_E_INVALID_INPUT` naming the field). */
function cleanClaim(value: unknown): TokenActivationClaim {
  if (typeof value !== 'object' || value === null) invalid('token.claim', 'token.claim must be an object');
  const c = value as Record<string, unknown>;
  const t = c.token as Record<string, unknown> | null;
  if (typeof t !== 'object' || t === null) invalid('token.claim.token', 'token.claim.token must be an object');
  const identity = (name: 'manufacturer' | 'model' | 'serial'): string => {
    const v = t[name];
    if (typeof v !== 'string' || v.length > 64) {
      invalid(`token.claim.token.${name}`, `token.claim.token.${name} must be a text of at most 64 characters`);
    }
    return v;
  };
  const token = { manufacturer: identity('manufacturer'), model: identity('model'), serial: identity('serial') };
  return {
    serial: field(c.serial, 'token.claim.serial', 64),
    publicKey: field(c.publicKey, 'token.claim.publicKey', 512),
    token,
    createdAt: field(c.createdAt, 'token.claim.createdAt', 40),
    nonce: field(c.nonce, 'token.claim.nonce', 64),
  };
}

/**
 * Verifies the `token` part of an activation request for `serial` (normalized) at `now`:
 * the claim names that serial, was made within {@link TOKEN_CLAIM_MAX_SKEW_MS} of the center's
 * clock, and its signature verifies under the key it names. Refusals are
 * `LICTOR_E_TOKEN_PROOF_INVALID`; a malformed request is `LICTOR_E_INVALID_INPUT`.
 */
export function verifyTokenActivation(value: unknown, serial: string, now: Date): ClaimedToken {
  if (typeof value !== 'object' || value === null) invalid('token', 'token must hold a claim and its signature');
  const t = value as Record<string, unknown>;
  const claim = cleanClaim(t.claim);
  const signatureText = field(t.signature, 'token.signature', 128);

  let key: TokenPublicKey;
  try {
    key = parseTokenPublicKey(claim.publicKey);
  } catch {
    proofInvalid("the token claim's publicKey is not an ECDSA P-256 key (lictor-p256:<base64url SPKI>)");
  }
  const claimedSerial = normalizeSerial(claim.serial);
  if (claimedSerial !== serial) {
    proofInvalid(
      `the token signed a claim for serial ${claimedSerial}, but the activation is for serial ${serial}: make a new claim for this serial`,
      { claimSerial: claimedSerial },
    );
  }
  const createdAt = Date.parse(claim.createdAt);
  if (Number.isNaN(createdAt)) invalid('token.claim.createdAt', 'token.claim.createdAt must be an ISO 8601 instant');
  const skewMs = createdAt - now.getTime();
  if (Math.abs(skewMs) > TOKEN_CLAIM_MAX_SKEW_MS) {
    proofInvalid(
      `the token claim was made at ${claim.createdAt}, ${Math.round(Math.abs(skewMs) / 60_000)} minutes ` +
        `${skewMs < 0 ? 'before' : 'after'} the License Center's clock (${now.toISOString()}); claims are accepted ` +
        `within ${TOKEN_CLAIM_MAX_SKEW_MS / 60_000} minutes: check the computer's clock and activate again`,
      { createdAt: claim.createdAt, centerTime: now.toISOString() },
    );
  }
  const signature = fromBase64Url(signatureText);
  if (signature === null || !key.verify(tokenActivationMessage(claim), signature)) {
    proofInvalid(
      `the token's signature over the activation claim does not verify under the key it names (fingerprint ${key.fingerprint}): ` +
        'activate again with the token plugged in, so that it signs the claim itself',
      { fingerprint: key.fingerprint },
    );
  }
  return { binding: { kind: 'token', token: claim.token, publicKey: key.text }, fingerprint: key.fingerprint };
}
