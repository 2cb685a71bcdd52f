/**
 * Proof for the manager's answers: every lease answer (grant, renewal, heartbeat) to a client
 * that sent a nonce is signed over that nonce by the container key of the license the seat came
 * from, and carries that vendor-signed license (`@lictor/protocol`'s `seat-proof.ts`). The SDK
 * accepts a seat only with it, so a server that holds no genuine license cannot hand out seats.
 *
 * The composition root (`lictor manager serve`) tells {@link SeatProofs} which key signs for
 * each pool license (`setKeys`, again whenever the licenses change); the HTTP service asks it
 * for each answer. A lease whose license has no key here (a license activated before containers
 * had keys, a token container whose PIN was not given) is answered without proof, and clients
 * refuse it with `LICTOR_E_ANSWER_UNPROVEN`.
 *
 * Heartbeats within a session are MAC'd instead of signed (HMAC-SHA256 costs the manager a few
 * µs, an Ed25519 signature about as much as the rest of the request): a client sends, with a
 * heartbeat, a session secret sealed to the license's certified X25519 key; the manager opens it
 * with the container's private key and keeps it with the lease (in memory only, dropped with the
 * lease; after a restart the next heartbeat is signed again and the client sends a new session).
 */
import { type AnswerKey, type AnswerProof, macAnswer, type SessionAnswerProof, signAnswer } from '@lictor/protocol';
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

/** A session a client opened for one lease. */
interface Session {
  secret: Uint8Array;
  containerId: string;
}

/** The JSON schema of the `nonce` field clients send (base64url of 16–64 random bytes). */
export const nonceSchema = { type: 'string', minLength: 22, maxLength: 86, pattern: '^[A-Za-z0-9_-]+$' } as const;

/** The keys that sign the manager's answers, by pool license id. */
export class SeatProofs {
  #keys: ReadonlyMap<string, AnswerKey> = new Map();
  /** Sessions by lease object: an entry goes when the pool drops its lease. */
  readonly #sessions = new WeakMap<Lease, Session>();

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
   * here; else `answer` as is (the client then refuses it). A heartbeat is MAC'd when the lease
   * has a session (`sealedSession`, sent with this heartbeat, opens one), else signed.
   */
  sign<T extends object>(
    purpose: SeatAnswerPurpose,
    lease: Lease,
    nonce: string | undefined,
    answer: T,
    sealedSession?: string,
  ): T & { proof?: AnswerProof | SessionAnswerProof } {
    if (nonce === undefined) return answer;
    const key = this.#keys.get(lease.licenseId);
    if (key === undefined) return answer;
    if (purpose === 'heartbeat') {
      if (sealedSession !== undefined) {
        const secret = key.openSession?.(sealedSession) ?? null;
        if (secret !== null) this.#sessions.set(lease, { secret, containerId: key.containerId });
      }
      const session = this.#sessions.get(lease);
      if (session !== undefined && session.containerId === key.containerId) {
        return { ...answer, proof: macAnswer(session.secret, purpose, session.containerId, nonce, answer) };
      }
    }
    return { ...answer, proof: signAnswer(key, purpose, nonce, answer) };
  }
}
