/**
 * Reading a license container from a token's memory (the data objects `lictor center token
 * program` writes, see `protocol/src/token-container.ts`): the license file, public, readable
 * without the PIN; the container's keys, private, read after login.
 */
import {
  decodeLicenseFile,
  decodeTokenContainerKeys,
  fromUtf8,
  type LicenseDocument,
  LictorError,
  TOKEN_KEYS_LABEL,
  TOKEN_LICENSE_LABEL,
  type TokenBinding,
  type VendorPublicKey,
} from '@lictor/protocol';
import type { TokenDescription, TokenSession } from '@lictor/token';
import { sameContainerKeys } from '../activation-client.js';
import type { LoadedContainer } from '../containers.js';

/** The license on a token, verified with the vendor key. */
export interface TokenLicense {
  doc: LicenseDocument & { binding: TokenBinding };
  text: string;
}

function describe(token: TokenDescription): string {
  return `"${token.label}" (${token.manufacturer} ${token.model}, serial ${token.serial})`;
}

/**
 * Reads and verifies the license stored on the token; `null` when the token holds none (it is
 * not a Lictor token, or not programmed yet). Throws a `LictorError` for a license that is
 * damaged, from another vendor, or not bound to a token.
 */
export async function readTokenLicense(
  session: TokenSession,
  publicKey: VendorPublicKey,
): Promise<TokenLicense | null> {
  const bytes = await session.readData(TOKEN_LICENSE_LABEL);
  if (bytes === null) return null;
  const text = fromUtf8(bytes);
  if (text === null) {
    throw new LictorError(
      'LICTOR_E_FILE_FORMAT',
      `the license on the token ${describe(session.token)} is not text; program the token again`,
    );
  }
  const doc = decodeLicenseFile(text, publicKey);
  if (doc.binding.kind !== 'token') {
    throw new LictorError(
      'LICTOR_E_FILE_FORMAT',
      `the license on the token ${describe(session.token)} is bound to a computer, not to a token; program the token again`,
    );
  }
  return { doc: doc as TokenLicense['doc'], text };
}

/**
 * The container keys stored on the token (private: the session must be logged in), checked
 * against the license: they must belong to its container and carry its public keys.
 */
export async function readTokenKeys(session: TokenSession, doc: LicenseDocument): Promise<LoadedContainer['keys']> {
  if (doc.containerKeys === undefined) {
    return {
      ok: false,
      code: 'LICTOR_E_UPGRADE_UNSUPPORTED',
      reason: 'this license carries no container keys: it cannot be upgraded remotely',
    };
  }
  let bytes: Uint8Array | null;
  try {
    bytes = await session.readData(TOKEN_KEYS_LABEL);
  } catch (err) {
    if (!(err instanceof LictorError)) throw err;
    return { ok: false, code: err.code, reason: `the container's keys cannot be read from the token: ${err.message}` };
  }
  if (bytes === null) {
    return {
      ok: false,
      code: 'LICTOR_E_UPGRADE_UNSUPPORTED',
      reason: `the token ${describe(session.token)} holds no container keys (or they need the token's PIN): the license works but cannot be upgraded`,
    };
  }
  try {
    const keys = decodeTokenContainerKeys(bytes);
    if (keys.containerId !== doc.containerId || !sameContainerKeys(keys.public, doc.containerKeys)) {
      return {
        ok: false,
        code: 'LICTOR_E_CONTAINER_TAMPERED',
        reason: `the container keys on the token ${describe(session.token)} belong to another container; program the token again`,
      };
    }
    return { ok: true, keys: keys.private };
  } catch (err) {
    if (!(err instanceof LictorError)) throw err;
    return { ok: false, code: 'LICTOR_E_CONTAINER_TAMPERED', reason: err.message };
  }
}
