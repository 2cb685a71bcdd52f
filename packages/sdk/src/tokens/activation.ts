/**
 * The token's side of an activation bound to a hardware token (`lictor activate --bind-token`):
 * the token signs a {@link TokenActivationClaim} with its Lictor key, which proves to the License
 * Center that whoever activates holds that token.
 *
 * The key: the token's key pair labelled `lictor` (`TOKEN_KEY_LABEL`), the one a vendor's
 * `lictor center token program` creates. A token without one gets one generated now (a new key
 * pair changes nothing else on the token, and a license can only be bound to a key that exists).
 * A `lictor` key that was imported rather than generated on the token is refused, as the vendor's
 * programming refuses it: a copy of it may exist elsewhere.
 */
import {
  LictorError,
  randomBytes,
  TOKEN_KEY_LABEL,
  type TokenActivation,
  type TokenActivationClaim,
  toBase64Url,
  tokenActivationMessage,
} from '@lictor/protocol';
import type { TokenKey, TokenSession } from '@lictor/token';
import { logInIfRequired, type TokenSupport } from './load.js';

/** Which token to bind a license to; every given field must match (the serial number is the stable choice). */
export interface BindTokenSelector {
  serial?: string;
  label?: string;
}

/** The signed claim and what it says about the token. */
export interface SignedTokenClaim {
  activation: TokenActivation;
  /** The key was generated on the token for this activation (it had no Lictor key). */
  keyGenerated: boolean;
}

async function lictorKey(session: TokenSession): Promise<{ key: TokenKey; generated: boolean }> {
  const keys = (await session.listKeys()).filter((k) => k.label === TOKEN_KEY_LABEL && k.hasPrivateKey);
  const key = keys.find((k) => k.generatedOnToken);
  if (key !== undefined) return { key, generated: false };
  if (keys.length > 0) {
    throw new LictorError(
      'LICTOR_E_TOKEN_NOT_GENUINE',
      `the key '${TOKEN_KEY_LABEL}' on the token "${session.token.label}" (serial ${session.token.serial}) was not generated on it (it was imported, so a copy may exist); delete it with the token vendor's tool and activate again`,
    );
  }
  return { key: await session.generateKey(TOKEN_KEY_LABEL), generated: true };
}

/**
 * Opens the token, logs in, finds (or generates) its Lictor key and signs a claim for the
 * package `serial`. Throws `LICTOR_E_TOKEN_ABSENT` / `_AMBIGUOUS` when the token is not found or
 * several match, `LICTOR_E_TOKEN_PIN_REQUIRED` without a PIN.
 */
export async function signTokenClaim(
  support: TokenSupport,
  selector: BindTokenSelector,
  serial: string,
  now: Date,
): Promise<SignedTokenClaim> {
  const session = await support.module.openToken(selector);
  try {
    await logInIfRequired(session, support, `binding a license to the token "${session.token.label}"`);
    const { key, generated } = await lictorKey(session);
    const { manufacturer, model, serial: tokenSerial } = session.token;
    const claim: TokenActivationClaim = {
      serial,
      publicKey: key.publicKey.text,
      token: { manufacturer, model, serial: tokenSerial },
      createdAt: now.toISOString(),
      nonce: toBase64Url(randomBytes(16)),
    };
    const signature = await session.sign(key.publicKey, tokenActivationMessage(claim));
    return { activation: { claim, signature: toBase64Url(signature) }, keyGenerated: generated };
  } finally {
    await session.close();
  }
}
