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
 */
import { type AnswerKey, type AnswerProof, signAnswer } from '@lictor/protocol';

/** What the proof of an answer is for: a grant or renewal (`POST /v1/leases`) or a heartbeat. */
export type SeatAnswerPurpose = 'lease' | 'heartbeat';

/** The JSON schema of the `proof` field of lease answers. */
export const proofSchema = {
  type: 'object',
  required: ['license', 'key', 'signature'],
  properties: {
    license: { type: 'string', description: 'The vendor-signed license file naming the signing key' },
    key: { type: 'string', enum: ['container'] },
    signature: { type: 'string', description: 'Ed25519, base64url, over the signed-answer bytes' },
  },
} as const;

/** The JSON schema of the `nonce` field clients send (base64url of 16–64 random bytes). */
export const nonceSchema = { type: 'string', minLength: 22, maxLength: 86, pattern: '^[A-Za-z0-9_-]+$' } as const;

/** The keys that sign the manager's answers, by pool license id. */
export class SeatProofs {
  #keys: ReadonlyMap<string, AnswerKey> = new Map();

  /** Replaces the keys: pool license id → the key of the license that serves it. */
  setKeys(keys: ReadonlyMap<string, AnswerKey>): void {
    this.#keys = keys;
  }

  /** Whether the license `licenseId` has a key to sign with. */
  has(licenseId: string): boolean {
    return this.#keys.has(licenseId);
  }

  /**
   * `answer` with its `proof` when the client sent a nonce and the license `licenseId` has a
   * key here; else `answer` as is (the client then refuses it).
   */
  sign<T extends object>(
    purpose: SeatAnswerPurpose,
    licenseId: string,
    nonce: string | undefined,
    answer: T,
  ): T & { proof?: AnswerProof } {
    if (nonce === undefined) return answer;
    const key = this.#keys.get(licenseId);
    if (key === undefined) return answer;
    return { ...answer, proof: signAnswer(key, purpose, nonce, answer) };
  }
}
