/**
 * The client's side of signed seats: every lease answer (grant, renewal, heartbeat) must carry a
 * proof that the answering manager holds a genuine license of this vendor for the product, signed
 * over the nonce this client sent with its request (`@lictor/protocol`'s `seat-proof.ts`).
 * Verified with the vendor public key the application embeds; anything else is refused with
 * `LICTOR_E_ANSWER_UNPROVEN`, whatever the answer says.
 */
import {
  type AnswerProof,
  answerNonce,
  answerUnproven,
  type LicenseDocument,
  type LictorError,
  openAnswerLicense,
  parsePublicKey,
  randomBytes,
  type VendorPublicKey,
  verifyAnswer,
} from '@lictor/protocol';

/** What a proof is for: a grant or renewal (`POST /v1/leases`), or a heartbeat. */
export type SeatAnswerPurpose = 'lease' | 'heartbeat';

/** Licenses opened before, by their text (a manager sends the same few licenses again and again). */
const MAX_OPENED = 32;

/** Verifies the proofs of one client's lease answers. */
export class SeatVerifier {
  readonly #publicKey: VendorPublicKey;
  readonly #opened = new Map<string, LicenseDocument>();

  constructor(publicKey: string | VendorPublicKey) {
    this.#publicKey = typeof publicKey === 'string' ? parsePublicKey(publicKey) : publicKey;
  }

  /** A fresh nonce for one request. */
  nonce(): string {
    return answerNonce(randomBytes(24));
  }

  /**
   * Checks `body` (the answer's JSON, its `proof` included) answers the request that carried
   * `nonce` for `product`/`feature` (and lease `leaseId` for a heartbeat). Returns the license
   * that proves it; throws `LICTOR_E_ANSWER_UNPROVEN` naming `manager`.
   */
  verify(
    manager: string,
    purpose: SeatAnswerPurpose,
    nonce: string,
    body: Record<string, unknown>,
    expected: { product: string; feature: string | null; leaseId?: string },
  ): LicenseDocument {
    const { proof, ...answer } = body;
    const lease = answer.lease as { id?: unknown; product?: unknown; feature?: unknown } | undefined;
    try {
      if (
        lease?.product !== expected.product ||
        (lease.feature ?? null) !== expected.feature ||
        (expected.leaseId !== undefined && lease.id !== expected.leaseId)
      ) {
        throw answerUnproven('not-covered', 'the answer is about another lease, product or feature than asked');
      }
      return verifyAnswer({
        purpose,
        nonce,
        answer,
        proof,
        publicKey: this.#publicKey,
        scope: { product: expected.product, feature: expected.feature, now: Date.now() },
        open: (p) => this.#open(p),
      });
    } catch (err) {
      const e = err as LictorError;
      if (e.code !== 'LICTOR_E_ANSWER_UNPROVEN') throw err;
      throw answerUnproven(
        e.details?.reason as never,
        `the License Manager at ${manager} did not prove it holds a genuine license for '${expected.product}': ${e.message}`,
        { ...e.details, manager },
      );
    }
  }

  #open(proof: AnswerProof): LicenseDocument {
    const known = this.#opened.get(proof.license);
    if (known !== undefined) return known;
    const doc = openAnswerLicense(proof, this.#publicKey);
    if (this.#opened.size >= MAX_OPENED) this.#opened.delete(this.#opened.keys().next().value as string);
    this.#opened.set(proof.license, doc);
    return doc;
  }
}
