/**
 * The client's side of signed seats: every lease answer (grant, renewal, heartbeat) must carry a
 * proof that the answering manager holds a genuine license of this vendor for the product, signed
 * over the nonce this client sent with its request (`@lictor/protocol`'s `seat-proof.ts`).
 * Verified with the vendor public key the application embeds; anything else is refused with
 * `LICTOR_E_ANSWER_UNPROVEN`, whatever the answer says.
 */
import {
  ANSWER_SESSION_BYTES,
  type AnswerProof,
  answerLicenseCovers,
  answerMacValid,
  answerNonce,
  answerSessionId,
  answerUnproven,
  type LicenseDocument,
  type LictorError,
  openAnswerLicense,
  parsePublicKey,
  randomBytes,
  sealAnswerSession,
  type VendorPublicKey,
  verifyAnswer,
} from '@lictor/protocol';

/** What a proof is for: a grant or renewal (`POST /v1/leases`), or a heartbeat. */
export type SeatAnswerPurpose = 'lease' | 'heartbeat';

/**
 * A session with one manager (see `seat-proof.ts`): a secret sealed to the certified key of the
 * license that proved its last signed answer; answers MAC'd with it are proven.
 */
export interface SeatSession {
  /** Names the session once the manager holds it ({@link answerSessionId} of `sealed`). */
  readonly id: string;
  readonly secret: Uint8Array;
  /** The secret sealed to the license's container key, sent with heartbeats until confirmed. */
  readonly sealed: string;
  /** The license that proved the grant. */
  readonly license: LicenseDocument;
  /** The manager answered with a MAC under this session. */
  confirmed: boolean;
}

/** Licenses opened before, by their text (a manager sends the same few licenses again and again). */
const MAX_OPENED = 32;

/** Verifies the proofs of one client's lease answers. */
export class SeatVerifier {
  readonly #publicKey: VendorPublicKey;
  readonly #now: () => number;
  readonly #opened = new Map<string, LicenseDocument>();

  /** `now`: the client's clock (epoch ms), against which the license's expiry is judged. */
  constructor(publicKey: string | VendorPublicKey, now: () => number = Date.now) {
    this.#publicKey = typeof publicKey === 'string' ? parsePublicKey(publicKey) : publicKey;
    this.#now = now;
  }

  /** A fresh nonce for one request. */
  nonce(): string {
    return answerNonce(randomBytes(24));
  }

  /** A new session for a lease whose grant `license` proved. */
  session(license: LicenseDocument): SeatSession {
    const secret = randomBytes(ANSWER_SESSION_BYTES);
    const sealed = sealAnswerSession(license, secret);
    return { id: answerSessionId(sealed), secret, sealed, license, confirmed: false };
  }

  /**
   * Checks `body` (the answer's JSON, its `proof` included) answers the request that carried
   * `nonce` for `product`/`feature` (and lease `leaseId` for a heartbeat), signed by a genuine
   * license or MAC'd under `session`. Returns the license that proves it; throws
   * `LICTOR_E_ANSWER_UNPROVEN` naming `manager`.
   */
  verify(
    manager: string,
    purpose: SeatAnswerPurpose,
    nonce: string,
    body: Record<string, unknown>,
    expected: { product: string; feature: string | null; leaseId?: string },
    session?: SeatSession,
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
      if ((proof as { key?: unknown } | null)?.key === 'session') {
        if (
          session === undefined ||
          !answerMacValid(session.secret, session.license.containerId, proof, purpose, nonce, answer)
        ) {
          throw answerUnproven('signature', "the answer is not MAC'd for this request under this lease's session");
        }
        const scope = { product: expected.product, feature: expected.feature, now: this.#now() };
        if (!answerLicenseCovers(session.license, scope)) {
          throw answerUnproven(
            'not-covered',
            `the license that proved the seat (serial ${session.license.serial}) no longer covers it`,
          );
        }
        session.confirmed = true;
        return session.license;
      }
      const doc = verifyAnswer({
        purpose,
        nonce,
        answer,
        proof,
        publicKey: this.#publicKey,
        scope: { product: expected.product, feature: expected.feature, now: this.#now() },
        open: (p) => this.#open(p),
      });
      // Signed, not MAC'd: the manager does not hold the session (yet, or since a restart).
      if (session !== undefined) session.confirmed = false;
      return doc;
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
