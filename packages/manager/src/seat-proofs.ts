/**
 * Proof for the manager's answers: every lease answer (grant, renewal, heartbeat) to a client
 * that sent a nonce (header `lictor-nonce`) is signed over that nonce by the container key of
 * the license the seat came from, and carries that vendor-signed license (`@lictor/protocol`'s
 * `seat-proof.ts`). The SDK accepts a seat only with it, so a server that holds no genuine
 * license cannot hand out seats.
 *
 * The composition root (`lictor manager serve`) tells {@link SeatProofs} which key signs for
 * each pool license (`setKeys`, again whenever the licenses change); the HTTP service asks it
 * for each answer. A lease whose license has no key here (a license activated before containers
 * had keys, a token container whose PIN was not given) is answered without proof, and clients
 * refuse it with `LICTOR_E_ANSWER_UNPROVEN`.
 *
 * Answers within a session are MAC'd instead of signed (HMAC-SHA256 costs the manager about
 * 10 µs, an Ed25519 signature about as much as the rest of the request): after its first signed answer
 * a client sends a session secret sealed to the license's certified X25519 key, then only its
 * id; the manager opens it once with the container's private key and keeps it in memory (at most
 * {@link MAX_SESSIONS}, oldest dropped first; after a restart or a drop the answer is signed
 * again and the client sends the sealed secret again).
 */
import {
  type AnswerKey,
  type AnswerMacKey,
  type AnswerProof,
  answerMacKey,
  answerSessionId,
  isAnswerNonce,
  LictorError,
  MAX_SEALED_SESSION_LENGTH,
  macAnswer,
  type SessionAnswerProof,
  signAnswer,
} from '@lictor/protocol';
import type { Lease } from './types.js';

/** What the proof of an answer is for: a grant or renewal (`POST /v1/leases`) or a heartbeat. */
export type SeatAnswerPurpose = 'lease' | 'heartbeat';

/** The JSON schema of the `proof` field of lease answers. */
export const proofSchema = {
  type: 'object',
  required: ['key'],
  properties: {
    key: { type: 'string', enum: ['container', 'session'] },
    license: { type: 'string', description: "key 'container': the vendor-signed license file naming the signing key" },
    signature: { type: 'string', description: "key 'container': Ed25519, base64url, over the signed-answer bytes" },
    mac: { type: 'string', description: "key 'session': HMAC-SHA256 under the session secret, base64url" },
  },
} as const;

/** A session a client opened, by its id. */
interface Session {
  mac: AnswerMacKey;
  containerId: string;
}

/** What a client sends to name its session: its id, and the sealed secret until the manager answered with a MAC. */
export interface SessionRef {
  id: string;
  sealed?: string;
}

/** The request header that carries the client's nonce. */
export const NONCE_HEADER = 'lictor-nonce';
/** The request header that names the client's session: `<id>`, or `<id>.<sealed secret>`. */
export const SESSION_HEADER = 'lictor-session';

/**
 * What a request asks to be proven with: its nonce and session from the headers
 * ({@link NONCE_HEADER}, {@link SESSION_HEADER}), headers rather than body fields so that a
 * heartbeat stays a request without a body. Throws `LICTOR_E_INVALID_INPUT` for malformed ones.
 */
export function proofRequest(headers: Record<string, string | string[] | undefined>): {
  nonce?: string;
  session?: SessionRef;
} {
  const nonce = headers[NONCE_HEADER];
  const session = headers[SESSION_HEADER];
  if (nonce !== undefined && !isAnswerNonce(nonce)) {
    throw new LictorError(
      'LICTOR_E_INVALID_INPUT',
      `the ${NONCE_HEADER} header must be base64url of 16–64 random bytes`,
    );
  }
  if (session === undefined) return nonce === undefined ? {} : { nonce };
  const [id, sealed, extra] = typeof session === 'string' ? session.split('.') : [];
  if (id === undefined || id.length > 64 || extra !== undefined || (sealed?.length ?? 0) > MAX_SEALED_SESSION_LENGTH) {
    throw new LictorError(
      'LICTOR_E_INVALID_INPUT',
      `the ${SESSION_HEADER} header must be <id> or <id>.<sealed secret>`,
    );
  }
  return { ...(nonce === undefined ? {} : { nonce }), session: sealed === undefined ? { id } : { id, sealed } };
}

/** Sessions kept; the oldest go first (their clients are answered with a signature and send them again). */
export const MAX_SESSIONS = 100_000;

/** The keys that sign the manager's answers, by pool license id, and the clients' sessions. */
export class SeatProofs {
  #keys: ReadonlyMap<string, AnswerKey> = new Map();
  /** Sessions by id, oldest first. */
  readonly #sessions = new Map<string, Session>();

  /** Replaces the keys: pool license id → the key of the license that serves it. */
  setKeys(keys: ReadonlyMap<string, AnswerKey>): void {
    this.#keys = keys;
  }

  /** Whether the license `licenseId` has a key to sign with. */
  has(licenseId: string): boolean {
    return this.#keys.has(licenseId);
  }

  /**
   * `answer` with its `proof` when the client sent a nonce and the license of `lease` has a key
   * here; else `answer` as is (the client then refuses it). MAC'd under the client's session
   * when the manager holds it for that license's container (a sealed secret sent along is
   * opened first), else signed.
   */
  sign<T extends object>(
    purpose: SeatAnswerPurpose,
    lease: Lease,
    nonce: string | undefined,
    answer: T,
    session?: SessionRef,
  ): T & { proof?: AnswerProof | SessionAnswerProof } {
    if (nonce === undefined) return answer;
    const key = this.#keys.get(lease.licenseId);
    if (key === undefined) return answer;
    const held = session === undefined ? undefined : this.#session(session, key);
    if (held !== undefined) {
      return { ...answer, proof: macAnswer(held.mac, purpose, held.containerId, nonce, answer) };
    }
    return { ...answer, proof: signAnswer(key, purpose, nonce, answer) };
  }

  /** The session `ref` names for `key`'s container, opening its sealed secret when new. */
  #session(ref: SessionRef, key: AnswerKey): Session | undefined {
    let held = this.#sessions.get(ref.id);
    if (held === undefined || held.containerId !== key.containerId) {
      if (ref.sealed === undefined || answerSessionId(ref.sealed) !== ref.id) return undefined;
      const secret = key.openSession?.(ref.sealed) ?? null;
      if (secret === null) return undefined;
      held = { mac: answerMacKey(secret), containerId: key.containerId };
      this.#sessions.delete(ref.id);
      this.#sessions.set(ref.id, held);
      if (this.#sessions.size > MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value as string);
    }
    return held;
  }
}
