/**
 * Proof for the manager's answers: every lease answer (grant, renewal, heartbeat) to a client
 * that sent a nonce (header `lictor-nonce`) is signed over that nonce by the container key of
 * the license the seat came from, and carries that vendor-signed license (`@lictor/protocol`'s
 * `seat-proof.ts`). The SDK accepts a seat only with it, so a server that holds no genuine
 * license cannot hand out seats.
 *
 * The composition root (`openManager()`) tells {@link SeatProofs} which key signs for
 * each pool license (`setKeys`, again whenever the licenses change); the HTTP service asks it
 * for each answer. A lease whose license has no key here (a license activated before containers
 * had keys, a token container whose PIN was not given) is answered without proof, and clients
 * refuse it with `LICTOR_E_ANSWER_UNPROVEN`.
 *
 * Answers within a session are MAC'd instead of signed (HMAC-SHA256 costs the manager about
 * 10 µs, an Ed25519 signature about as much as the rest of the request): after its first signed answer
 * a client sends a session secret sealed to the license's certified X25519 key (until an answer
 * comes MAC'd), then only its id; the manager opens it once with the container's private key,
 * answers that request signed (with the license whose text the session then holds: the client may
 * have sealed to an older text of the same container's license), and keeps it in memory (at most
 * {@link MAX_SESSIONS}, oldest dropped first; after a restart or a drop the answer is signed
 * again and the client sends the sealed secret again). A session remembers the text of its
 * container's license it was last proven under: when that license changes (a remote upgrade keeps
 * the container and its keys), the next answer is signed with the new license, so that the client
 * checks the MAC'd answers after it against that one, then MAC'd again.
 */
import {
  ANSWER_NONCE_HEADER,
  ANSWER_SESSION_HEADER,
  type AnswerKey,
  type AnswerMacKey,
  type AnswerProof,
  answerMacKey,
  answerSessionId,
  isAnswerNonce,
  LictorError,
  macAnswer,
  type ProofHeaders,
  type SessionAnswerProof,
  signAnswer,
} from '@lictor/protocol';
import { sessionProvenJson } from './answer-json.js';
import type { Lease } from './types.js';

/**
 * What the proof of an answer is for: a grant or renewal (`POST /v1/leases`), a heartbeat, a
 * borrowed seat (`POST /v1/borrows`, always signed: the borrower keeps it and checks it offline),
 * or the seats of the manager (`GET /v1/status`).
 */
export type SeatAnswerPurpose = 'lease' | 'heartbeat' | 'borrow' | 'status';

/**
 * A session a client opened, by its id: the HMAC key of its secret, the container whose key opened
 * it, and the text of that container's license the client is known to hold (the one the answer
 * that opened the session was signed with, or the last one signed under the session): answers are MAC'd only under that text.
 */
interface Session {
  mac: AnswerMacKey;
  containerId: string;
  license: string;
}

/** What a client sends to name its session: its id, and the sealed secret until the manager answered with a MAC. */
export interface SessionRef {
  id: string;
  sealed?: string;
}

/**
 * What a request asks to be proven with: its nonce and session, from the headers
 * `lictor-nonce` and `lictor-session` (their shape already checked by the route's
 * `ProofHeaders` schema). Throws `LICTOR_E_INVALID_INPUT` for a nonce that is not the canonical
 * base64url of 16–64 bytes.
 */
export function proofRequest(headers: ProofHeaders): { nonce?: string; session?: SessionRef } {
  const nonce = headers[ANSWER_NONCE_HEADER];
  const session = headers[ANSWER_SESSION_HEADER];
  if (nonce !== undefined && !isAnswerNonce(nonce)) {
    throw new LictorError(
      'LICTOR_E_INVALID_INPUT',
      `the ${ANSWER_NONCE_HEADER} header must be base64url of 16–64 random bytes`,
      { field: ANSWER_NONCE_HEADER, location: 'headers' },
    );
  }
  if (session === undefined) return nonce === undefined ? {} : { nonce };
  const dot = session.indexOf('.');
  const ref: SessionRef = dot < 0 ? { id: session } : { id: session.slice(0, dot), sealed: session.slice(dot + 1) };
  return nonce === undefined ? { session: ref } : { nonce, session: ref };
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
   * when the manager already held it for that license's container, else signed (a sealed secret
   * sent along is opened and kept, and this answer signed).
   */
  sign<T extends object>(
    purpose: SeatAnswerPurpose,
    lease: Lease,
    nonce: string | undefined,
    answer: T,
    session?: SessionRef,
  ): T & { proof?: AnswerProof | SessionAnswerProof } {
    return this.#prove(purpose, this.#keys.get(lease.licenseId), nonce, answer, session);
  }

  /**
   * {@link sign} as JSON text: `answer` MAC'd under the client's session is written once, in
   * canonical order, by `canonical` (which must write `canonicalJson(answer)`) for both the MAC
   * and the body; a signed or plain answer is written by `json`.
   */
  signJson<T extends object>(
    purpose: SeatAnswerPurpose,
    lease: Lease,
    nonce: string | undefined,
    answer: T,
    session: SessionRef | undefined,
    json: (answer: T & { proof?: AnswerProof | SessionAnswerProof }) => string,
    canonical: (answer: T) => string,
  ): string {
    if (nonce !== undefined && session !== undefined) {
      const key = this.#keys.get(lease.licenseId);
      const held = key === undefined ? undefined : this.#session(session, key);
      if (held !== undefined) return sessionProvenJson(held.mac, purpose, held.containerId, nonce, canonical(answer));
    }
    // No session held here: signed, or plain without a nonce or a key, as `sign` answers.
    return json(this.sign(purpose, lease, nonce, answer));
  }

  /**
   * `answer` with its `proof` by the key of the first of `licenseIds` that has one here, else by
   * any key here (the status of a product the manager holds no license of: proven by the manager's
   * other licenses); `answer` as is without a nonce or when no license can sign.
   */
  signByAny<T extends object>(
    purpose: SeatAnswerPurpose,
    licenseIds: readonly string[],
    nonce: string | undefined,
    answer: T,
    session?: SessionRef,
  ): T & { proof?: AnswerProof | SessionAnswerProof } {
    if (nonce === undefined) return answer;
    let key: AnswerKey | undefined;
    for (const id of licenseIds) {
      key = this.#keys.get(id);
      if (key !== undefined) break;
    }
    key ??= this.#keys.values().next().value;
    return this.#prove(purpose, key, nonce, answer, session);
  }

  #prove<T extends object>(
    purpose: SeatAnswerPurpose,
    key: AnswerKey | undefined,
    nonce: string | undefined,
    answer: T,
    session: SessionRef | undefined,
  ): T & { proof?: AnswerProof | SessionAnswerProof } {
    if (nonce === undefined || key === undefined) return answer;
    const held = session === undefined ? undefined : this.#session(session, key);
    if (held !== undefined) {
      return { ...answer, proof: macAnswer(held.mac, purpose, held.containerId, nonce, answer) };
    }
    return { ...answer, proof: signAnswer(key, purpose, nonce, answer) };
  }

  /**
   * The session `ref` names for `key`'s container to MAC under; `undefined` when the answer is to
   * be signed. A session opened now from its sealed secret (new, or of another container before)
   * is kept with `key`'s license text and this answer is signed with it: the manager cannot tell
   * which text of the container's license the client sealed to (an upgrade keeps the keys), so the
   * client learns the one the MAC'd answers after it are checked against. When the container's
   * license changed under a held session (a remote upgrade), the session takes the new license's
   * text and this answer is signed, for the same reason.
   */
  #session(ref: SessionRef, key: AnswerKey): Session | undefined {
    const held = this.#sessions.get(ref.id);
    if (held === undefined || held.containerId !== key.containerId) {
      if (ref.sealed === undefined || answerSessionId(ref.sealed) !== ref.id) return undefined;
      const secret = key.openSession?.(ref.sealed) ?? null;
      if (secret === null) return undefined;
      this.#sessions.delete(ref.id);
      this.#sessions.set(ref.id, { mac: answerMacKey(secret), containerId: key.containerId, license: key.license });
      if (this.#sessions.size > MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value as string);
      return undefined;
    }
    if (held.license !== key.license) {
      held.license = key.license;
      return undefined;
    }
    return held;
  }
}
