/** What the token operations (keys, data objects) need from an open session (internal). */
import type { PKCS11 } from 'pkcs11js';
import type { Pkcs11Binding } from './binding.js';
import type { TokenDescription } from './token-info.js';

/** An open session as the operation functions see it. */
export interface SessionContext {
  readonly pkcs11: PKCS11;
  readonly binding: Pkcs11Binding;
  /** The `pkcs11js` session handle. */
  readonly session: Buffer;
  readonly token: TokenDescription;
  /** The token as it reads in messages. */
  readonly describe: string;
  /**
   * Private key handles found for a public key (by its text form), so that repeated signatures
   * skip the search. Every signature is still verified; a handle that stops working is dropped.
   */
  readonly keyHandles: Map<string, Buffer>;
}
