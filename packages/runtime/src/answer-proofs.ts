/**
 * Signed answers (`@lictor/protocol`'s `runtime-answer.ts`, the License Manager's mechanism):
 * every answer that grants something carries a proof over the application's nonce that a holder
 * of the granting vendor-signed license answered it.
 *
 * - A check and a session are signed here by the **container key of the license file that
 *   grants** (`Licensing.answerKeys()` of the SDK: the containers whose private key opened on this
 *   computer), purposes `runtime-check` and `runtime-session`.
 * - A seat is signed by the License Manager that holds the seat's license: the runtime forwards
 *   the application's nonce and asks for the container key's signature (never a session MAC, which
 *   only the runtime could check), and returns that proof as the manager made it, purpose `lease`.
 *
 * A license on a hardware token signs the same way: its container key is kept in the token's
 * private memory, which the SDK reads with the PIN (`tokens.ts`).
 *
 * A license that cannot sign here (activated before containers had keys, whose container's
 * private key does not open on this computer, or on a token whose keys were not read) is answered unsigned, `proof: null` with the reason
 * in `unproven`, rather than refused: the grant is true, and a client that accepts unsigned answers
 * by its own choice still gets it; every Lictor client refuses it (`docs/runtime.md`).
 */
import {
  isAnswerNonce,
  LictorError,
  type RuntimeAnswerProof,
  signRuntimeAnswer,
  withStatement,
} from '@lictor/protocol';
import type { RuntimeUnproven } from '@lictor/protocol/wire';
import type { LicenseAnswerKey, LicenseFileStatus, Licensing, SignedSeat } from '@lictor/sdk';

/** What the runtime signs itself: a check granted, a session opened. */
export type SignedPurpose = 'runtime-check' | 'runtime-session';

/** An answer before its proof. */
export type Unsigned<T> = Omit<T, 'proof' | 'unproven'>;

/** The proof fields of an answer that grants. */
export type Proven = { proof: RuntimeAnswerProof } | { proof: null; unproven: RuntimeUnproven };

/** A license file's key, with its license text as a JSON string (escaped once per load). */
interface Signer {
  key: LicenseAnswerKey;
  licenseJson: string;
}

/** What signs for each license file of one load: its key, or why it has none. */
type Signers = Map<string, Signer | RuntimeUnproven>;

/** The license text of each proof made here, as a JSON string (the signer's, escaped once per load). */
const licenseJsons = new WeakMap<RuntimeAnswerProof, string>();

/**
 * `proof.license` as a JSON string: escaped once per load of the license files for a proof made
 * by {@link AnswerProofs.prove} (the same 1.5 KB for every answer of a license file), else now.
 */
export function licenseJsonOf(proof: RuntimeAnswerProof): string {
  return licenseJsons.get(proof) ?? JSON.stringify(proof.license);
}

/** Throws `LICTOR_E_INVALID_INPUT` unless `nonce` is canonical base64url of 16–64 bytes (checked before anything is granted). */
export function assertNonce(nonce: string): void {
  if (!isAnswerNonce(nonce)) {
    throw new LictorError(
      'LICTOR_E_INVALID_INPUT',
      'nonce must be base64url (no padding, canonical) of 16–64 fresh random bytes',
      { field: 'nonce' },
    );
  }
}

/** Adds the proof to granting answers (see the module comment). */
export class AnswerProofs {
  /** The signers of each load, by its status array (rebuilt by every load of the SDK). */
  readonly #signers = new WeakMap<readonly LicenseFileStatus[], Signers>();

  /**
   * `answer` with its proof: signed over `nonce` with `purpose` by the container key of
   * `licenseFile` (of `licensing`'s current load), or `proof: null` with the reason.
   */
  prove<T extends object>(
    purpose: SignedPurpose,
    licensing: Licensing,
    licenseFile: string,
    nonce: string,
    answer: T,
  ): T & Proven {
    const signers = this.#signersOf(licensing);
    let signer = signers.get(licenseFile);
    if (signer === undefined) {
      signer = unprovenOf(licensing, licenseFile);
      signers.set(licenseFile, signer);
    }
    if ('reason' in signer) return { ...answer, proof: null, unproven: signer };
    const proof = signRuntimeAnswer(signer.key, purpose, nonce, answer);
    licenseJsons.set(proof, signer.licenseJson);
    return { ...answer, proof };
  }

  /**
   * The manager's proof of a seat taken with the application's `nonce` (already verified by the
   * SDK with the vendor key), with the statement it signed: `signed` is what the manager's
   * signature covers, so the application verifies it as it would the manager's answer.
   */
  forward(seat: Pick<SignedSeat, 'answer' | 'proof' | 'license'>, nonce: string): RuntimeAnswerProof {
    return withStatement(seat.proof, seat.license, 'lease', nonce, seat.answer);
  }

  #signersOf(licensing: Licensing): Signers {
    const files = licensing.status();
    let signers = this.#signers.get(files);
    if (signers === undefined) {
      signers = new Map();
      for (const key of licensing.answerKeys()) {
        signers.set(key.file, { key, licenseJson: JSON.stringify(key.license) });
      }
      this.#signers.set(files, signers);
    }
    return signers;
  }
}

/** Why `file` has no key that signs here. */
function unprovenOf(licensing: Licensing, file: string): RuntimeUnproven {
  const container = licensing.status().find((f) => f.path === file)?.container;
  if (container !== undefined && !container.hasKeys) {
    return {
      reason: 'no-key',
      message: `license ${container.serial} (${file}) was activated before containers had keys: its answers cannot be signed; activate it again`,
    };
  }
  if (container?.onToken !== undefined) {
    // A container on a token: its key is kept in the token's private memory, read with the PIN.
    return {
      reason: 'key-unavailable',
      message: `the container key of ${file} is kept in the private memory of the hardware token "${container.onToken.label}" and was not read, so its answers cannot be signed (the runtime needs the token's PIN: --token-pin-file or LICTOR_TOKEN_PIN)${container.reason ? `: ${container.reason}` : ''}`,
    };
  }
  return {
    reason: 'key-unavailable',
    message: `the container key of ${file} does not open on this computer, so its answers cannot be signed${container?.reason ? `: ${container.reason}` : ''}`,
  };
}
