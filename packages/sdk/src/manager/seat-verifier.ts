/**
 * The client's side of signed seats: every lease answer (grant, renewal, heartbeat) must carry a
 * proof that the answering manager holds a genuine license of this vendor for the product, signed
 * over the nonce this client sent with its request (`@lictor/protocol`'s `seat-proof.ts`).
 * Verified with the vendor public key the application embeds; anything else is refused with
 * `LICTOR_E_ANSWER_UNPROVEN`, whatever the answer says.
 */
import {
  type AnswerProof,
  answerLicenseCovers,
  answerMacValid,
  answerNonce,
  answerSessionId,
  answerSignatureValid,
  answerUnproven,
  type BorrowComputer,
  type LicenseDocument,
  type LictorError,
  newAnswerSession,
  openAnswerLicense,
  parseAnswerProof,
  parseBorrowedSeat,
  parsePublicKey,
  randomBytes,
  sameBorrowComputer,
  type VendorPublicKey,
  type VerifiedBorrow,
  verifyAnswer,
  verifyBorrowedSeat,
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
  /**
   * The license of the session's container that proved its last signed answer (the grant's, or an
   * upgrade's: a remote upgrade keeps the container and its keys); MAC'd answers are checked against it.
   */
  license: LicenseDocument;
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
    return { ...newAnswerSession(license), license, confirmed: false };
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

  /**
   * Checks a status answer (`body`: its JSON, `proof` included) to `GET /v1/status?product=`
   * that carried `nonce`: it lists `product` alone or nothing, and it is signed over the nonce by
   * a genuine license of this vendor (or MAC'd under `session`, the client's session with that
   * manager); seats it lists must be proven by a license that holds the product. An answer that
   * lists nothing is proven by any genuine license of the vendor: the answerer is a genuine
   * manager that serves no seats of the product. Returns the license that proves it; throws
   * `LICTOR_E_ANSWER_UNPROVEN` naming `manager`.
   */
  status(
    manager: string,
    nonce: string,
    body: Record<string, unknown>,
    product: string,
    session?: SeatSession,
  ): LicenseDocument {
    const { proof, ...answer } = body;
    const products = answer.products as { product?: unknown }[] | undefined;
    try {
      if (!Array.isArray(products) || products.some((p) => p?.product !== product)) {
        throw answerUnproven('not-covered', `the status lists other products than '${product}', the one asked for`);
      }
      let license: LicenseDocument;
      if ((proof as { key?: unknown } | null)?.key === 'session') {
        if (
          session === undefined ||
          !answerMacValid(session.secret, session.license.containerId, proof, 'status', nonce, answer)
        ) {
          throw answerUnproven('signature', "the status is not MAC'd for this request under this manager's session");
        }
        license = session.license;
      } else {
        const parsed = parseAnswerProof(proof);
        license = this.#open(parsed);
        if (!answerSignatureValid(license, parsed, 'status', nonce, answer)) {
          throw answerUnproven(
            'signature',
            `the status is not signed for this request by the key of the license it names (serial ${license.serial}): a forged or replayed answer`,
          );
        }
      }
      if (products.length > 0 && !license.licenses.some((e) => e.product === product)) {
        throw answerUnproven(
          'not-covered',
          `the license that proves the status (serial ${license.serial}) holds no license for '${product}'`,
        );
      }
      return license;
    } catch (err) {
      const e = err as LictorError;
      if (e.code !== 'LICTOR_E_ANSWER_UNPROVEN') throw err;
      throw answerUnproven(
        e.details?.reason as never,
        `the License Manager at ${manager} did not prove its status of '${product}': ${e.message}`,
        { ...e.details, manager },
      );
    }
  }

  /**
   * Checks a borrowed seat answer (`body`: its JSON, `proof` included) to the request that
   * carried `nonce`: signed by a genuine license of this vendor that lends seats of the product
   * for that long (see `verifyBorrowedSeat`), for the product, feature and computer asked, for no
   * more days than asked. Throws `LICTOR_E_ANSWER_UNPROVEN` naming `manager`.
   */
  borrow(
    manager: string,
    nonce: string,
    body: Record<string, unknown>,
    expected: { product: string; feature: string | null; computer: BorrowComputer; days: number },
  ): VerifiedBorrow {
    const { proof, ...answer } = body;
    try {
      let seat: ReturnType<typeof parseBorrowedSeat>;
      try {
        seat = parseBorrowedSeat(answer.borrow);
      } catch (err) {
        throw answerUnproven('malformed', (err as Error).message);
      }
      if (seat.product !== expected.product || seat.feature !== expected.feature) {
        throw answerUnproven('not-covered', 'the borrowed seat is for another product or feature than asked');
      }
      if (!sameBorrowComputer(seat.computer, expected.computer)) {
        throw answerUnproven('not-covered', 'the borrowed seat is bound to another computer than this one');
      }
      const verified = verifyBorrowedSeat({ nonce, answer, seat, proof }, this.#publicKey, (p) => this.#open(p));
      if (Date.parse(seat.until) - verified.grantedAtMs > expected.days * 86_400_000) {
        throw answerUnproven('not-covered', `the borrowed seat runs longer than the ${expected.days} day(s) asked`);
      }
      return verified;
    } catch (err) {
      const e = err as LictorError;
      if (e.code !== 'LICTOR_E_ANSWER_UNPROVEN') throw err;
      throw answerUnproven(
        e.details?.reason as never,
        `the License Manager at ${manager} did not prove the seat of '${expected.product}' it lends: ${e.message}`,
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
