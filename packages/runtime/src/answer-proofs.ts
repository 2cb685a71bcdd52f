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
 * **Answer sessions** (`docs/spec/signed-answers.md`, "Sessions with the runtime"; the License
 * Manager's mechanism): an application that verified a signed answer sends a 32-byte secret sealed
 * to that license's X25519 key in the header `lictor-session` (`<id>.<sealed>`, then `<id>`). The
 * runtime opens it once with the container keys it holds (the granting license's first; only the
 * holder of the license's private key can), keeps its HMAC key in {@link AnswerSessions} (at most
 * {@link MAX_ANSWER_SESSIONS}, the least recently used dropped; a restart loses them all), answers
 * the request that opened it signed (with the license text the session then holds: the application
 * may have sealed to an older text of the same container's license, before a remote upgrade), and
 * answers the later checks and sessions that this license grants with `{ key: 'session', mac, signed }`: an
 * HMAC-SHA256 costs a few microseconds where an Ed25519 signature costs about 50. An unknown id, a
 * secret that does not open, or another license granting: signed as without the header. When the
 * container's license changes under a session (a remote upgrade), the next answer is signed with
 * the new license, then MAC'd again.
 *
 * A license that cannot sign here (activated before containers had keys, whose container's
 * private key does not open on this computer, or on a token whose keys were not read) is answered unsigned, `proof: null` with the reason
 * in `unproven`, rather than refused: the grant is true, and a client that accepts unsigned answers
 * by its own choice still gets it; every Lictor client refuses it (`docs/runtime.md`).
 */
import {
  type AnswerMacKey,
  answerMacKey,
  answerSessionId,
  isAnswerNonce,
  LictorError,
  macRuntimeAnswer,
  type RuntimeAnswerProof,
  type RuntimeSessionProof,
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
export type Proven = { proof: RuntimeAnswerProof | RuntimeSessionProof } | { proof: null; unproven: RuntimeUnproven };

/** What the header `lictor-session` names: a session's id, with its sealed secret until the runtime MAC'd an answer. */
export interface SessionRef {
  id: string;
  sealed?: string;
}

/**
 * The session a request names, from its header `lictor-session` (its shape already checked
 * against `RuntimeProofHeaders`: `<id>` or `<id>.<sealed>`); `undefined` without the header.
 */
export function sessionRefOf(header: string | undefined): SessionRef | undefined {
  if (header === undefined) return undefined;
  const dot = header.indexOf('.');
  return dot < 0 ? { id: header } : { id: header.slice(0, dot), sealed: header.slice(dot + 1) };
}

/** Answer sessions kept; the least recently used goes first (its application gets a signature and sends the sealed secret again). */
export const MAX_ANSWER_SESSIONS = 1024;

/**
 * A session held: the HMAC key of its secret, the container whose key opened it, and the text of
 * that container's license the application is known to hold (the one the answer that opened the
 * session was signed with, or the last one signed under it): an answer is MAC'd only under that license text.
 */
export interface HeldSession {
  mac: AnswerMacKey;
  containerId: string;
  license: string | undefined;
}

/** What opens sealed session secrets: a container's key (with its license's text). */
export interface SessionOpener {
  readonly containerId: string;
  readonly license?: string;
  openSession?(sealed: string): Uint8Array | null;
}

/** The applications' answer sessions, by id, least recently used first (lost when the runtime stops). */
export class AnswerSessions {
  readonly #held = new Map<string, HeldSession>();
  readonly #max: number;

  constructor(max = MAX_ANSWER_SESSIONS) {
    this.#max = max;
  }

  /** Sessions held. */
  get size(): number {
    return this.#held.size;
  }

  /** The session held under `id` (made the most recently used), or `undefined`. */
  held(id: string): HeldSession | undefined {
    const held = this.#held.get(id);
    if (held !== undefined) {
      this.#held.delete(id);
      this.#held.set(id, held);
    }
    return held;
  }

  /**
   * Opens the sealed secret of `ref` with the first of `keys` it opens under and keeps the
   * session (dropping the least recently used beyond the bound); `undefined` without a sealed
   * secret, for an id that is not the sealed secret's, or when no key opens it.
   */
  open(ref: SessionRef, keys: Iterable<SessionOpener>): HeldSession | undefined {
    if (ref.sealed === undefined || answerSessionId(ref.sealed) !== ref.id) return undefined;
    for (const key of keys) {
      const secret = key.openSession?.(ref.sealed) ?? null;
      if (secret === null) continue;
      const opened = { mac: answerMacKey(secret), containerId: key.containerId, license: key.license };
      secret.fill(0);
      this.#held.set(ref.id, opened);
      if (this.#held.size > this.#max) this.#held.delete(this.#held.keys().next().value as string);
      return opened;
    }
    return undefined;
  }

  /** The session `ref` names: {@link held}, else {@link open}ed now. */
  find(ref: SessionRef, keys: Iterable<SessionOpener>): HeldSession | undefined {
    return this.held(ref.id) ?? this.open(ref, keys);
  }
}

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
  /** The applications' answer sessions. */
  readonly sessions: AnswerSessions;

  constructor(sessions = new AnswerSessions()) {
    this.sessions = sessions;
  }

  /**
   * `answer` with its proof: MAC'd under the application's session (`session`, from the header
   * `lictor-session`) when the runtime already held it for the container of `licenseFile` (a
   * session opened by this request is kept and this answer signed), else signed
   * over `nonce` with `purpose` by that container's key (of `licensing`'s current load), or
   * `proof: null` with the reason.
   */
  prove<T extends object>(
    purpose: SignedPurpose,
    licensing: Licensing,
    licenseFile: string,
    nonce: string,
    answer: T,
    session?: SessionRef,
  ): T & Proven {
    const signers = this.#signersOf(licensing);
    let signer = signers.get(licenseFile);
    if (signer === undefined) {
      signer = unprovenOf(licensing, licenseFile);
      signers.set(licenseFile, signer);
    }
    if ('reason' in signer) return { ...answer, proof: null, unproven: signer };
    if (session !== undefined) {
      const key = signer.key;
      const held = this.sessions.held(session.id);
      if (held === undefined) {
        // Opened now (with the granting license's key first: the one an application seals to) and
        // kept with that license's text, this answer signed with it: the runtime cannot tell which
        // text of the container's license the application sealed to (an upgrade keeps the keys),
        // so it learns the one its MAC'd answers are checked against from then on.
        this.sessions.open(session, keysFrom(key, signers));
      } else if (held.containerId === key.containerId) {
        if (held.license === key.license) {
          return { ...answer, proof: macRuntimeAnswer(held.mac, purpose, key.containerId, nonce, answer) };
        }
        // The container's license changed under the session (a remote upgrade): signed once with
        // the new license, so that the application checks its MAC'd answers against that one.
        held.license = key.license;
      }
    }
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

/** `first`, then the other keys of `signers` (a load's). */
function* keysFrom(first: LicenseAnswerKey, signers: Signers): Iterable<LicenseAnswerKey> {
  yield first;
  for (const s of signers.values()) if ('key' in s && s.key !== first) yield s.key;
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
