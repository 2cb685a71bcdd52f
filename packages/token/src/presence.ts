/**
 * Presence by challenge–response: a fresh random challenge, signed on the token, verified
 * against the public key registered with the License Center. The challenge can come from
 * another computer (a client of a License Manager whose host holds the token):
 * {@link answerTokenChallenge} signs it there, `verifyTokenPresence` from `@lictor/protocol`
 * checks it here, without either side needing a free seat.
 */
import { createTokenChallenge, type TokenPublicKey, tokenPresenceMessage } from '@lictor/protocol';
import type { TokenSession } from './session.js';
import type { TokenDescription } from './token-info.js';

/** A successful presence check. */
export interface PresenceProof {
  token: TokenDescription;
  publicKey: TokenPublicKey;
  challenge: Uint8Array;
  /** ECDSA P-256 `r ‖ s` over `tokenPresenceMessage(challenge)`. */
  signature: Uint8Array;
}

/**
 * Signs a presence challenge (32 bytes, chosen by the verifier) with the token's key for
 * `publicKey`. Throws `LICTOR_E_TOKEN_NOT_GENUINE` when the token does not hold that key.
 */
export function answerTokenChallenge(
  session: TokenSession,
  publicKey: TokenPublicKey,
  challenge: Uint8Array,
): Promise<Uint8Array> {
  return session.sign(publicKey, tokenPresenceMessage(challenge));
}

/**
 * Proves that the token of `session` holds the private key of `publicKey` (the key registered
 * for it), with a fresh challenge. Throws `LICTOR_E_TOKEN_NOT_GENUINE` for another token
 * (including one carrying a byte-for-byte copy of this token's data objects),
 * `LICTOR_E_TOKEN_ABSENT` when the token was pulled out, `LICTOR_E_TOKEN_PIN_REQUIRED` before login.
 */
export async function proveTokenPresence(session: TokenSession, publicKey: TokenPublicKey): Promise<PresenceProof> {
  const challenge = createTokenChallenge();
  // `sign` returns only a signature that `publicKey` verifies over the presence message, which is
  // exactly what `verifyTokenPresence` checks: checking it again here would verify twice.
  const signature = await answerTokenChallenge(session, publicKey, challenge);
  return { token: session.token, publicKey, challenge, signature };
}
