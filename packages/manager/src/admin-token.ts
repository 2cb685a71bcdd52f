/** The manager's admin token, kept only as its SHA-256 and checked in constant time. */

import { constantTimeEqual, LictorError, sha256 } from '@lictor/protocol';

/** Checks admin tokens against a SHA-256 given in hex. */
export class AdminTokenCheck {
  readonly #hash: Uint8Array;

  /** `hashHex`: SHA-256 of the admin token, hex (64 characters); anything else is refused. */
  constructor(hashHex: string) {
    if (!/^[0-9a-fA-F]{64}$/.test(hashHex)) {
      throw new LictorError('LICTOR_E_INVALID_INPUT', 'adminTokenHash must be a SHA-256 in hex (64 characters)');
    }
    this.#hash = new Uint8Array(Buffer.from(hashHex, 'hex'));
  }

  /** Whether `token` is the admin token (constant-time comparison of its SHA-256). */
  verify(token: string): boolean {
    return typeof token === 'string' && constantTimeEqual(sha256(token), this.#hash);
  }
}
