/**
 * Signed answers of the Lictor Runtime (`lictor runtime serve`), for applications that embed only
 * the vendor public key. The mechanism is the License Manager's ({@link signAnswer},
 * `seat-proof.ts`): an Ed25519 signature by the **container key** of the vendor-signed license
 * that grants, over `lictor/v1/signed-answer ‖ 0x00 ‖ canonicalJson({ answer, container, nonce,
 * purpose })`, with the application's fresh nonce. One addition for clients in other languages:
 * the proof carries that canonical JSON as received text, `signed`, so that a client verifies
 * the signature over `domain ‖ 0x00 ‖ UTF-8(signed)` and then parses `signed` for the nonce, the
 * purpose and the answer, without reproducing canonical JSON.
 *
 * What each answer is signed as ({@link RUNTIME_ANSWER_PURPOSES}):
 *
 * - a granted check: purpose `runtime-check`, the answer the `CheckAnswer` fields;
 * - an opened session: purpose `runtime-session`, the answer the `RuntimeSession` fields;
 * - a floating seat: the runtime does not hold the manager's license, so it forwards the
 *   application's nonce to the License Manager and returns the manager's own signature as is:
 *   purpose `lease`, the answer the manager's `{ lease, renewed }` (with `signed`, which the
 *   runtime computes from the answer the manager signed).
 *
 * A license that cannot sign here (activated before containers had keys; a container whose
 * private key does not open on this computer) answers with `proof: null` and `unproven: { reason,
 * message }`: {@link verifyRuntimeAnswer}, like every client, refuses it.
 *
 * **Sessions** (the License Manager's, `seat-proof.ts`): a client that verified a signed answer
 * seals a 32-byte secret to that license's certified X25519 key and sends it in the header
 * `lictor-session`; while the runtime holds the session and the same license grants, it answers
 * with `{ key: 'session', mac, signed }` ({@link macRuntimeAnswer}): HMAC-SHA256 under the secret
 * over the same bytes a signature covers, the fresh nonce included. The proof carries no license
 * (the client has it from the signed answer that opened the session); the container is named in
 * `signed`. {@link verifyRuntimeAnswer} checks it given the client's {@link RuntimeAnswerSession}.
 *
 * Pure: no clock and no I/O (the caller passes `now`). Test vectors: `spec/vectors/signed-answer.json`
 * (`runtimeSession` for answers within a session).
 */
import { canonicalJson } from './canonical.js';
import { constantTimeEqual, containerVerify, parsePublicKey, type VendorPublicKey } from './crypto.js';
import { fromBase64Url, toBase64Url, transientUtf8, utf8 } from './encoding.js';
import type { LicenseDocument } from './license.js';
import {
  ANSWER_PROOF_DOMAIN,
  type AnswerKey,
  type AnswerMacKey,
  type AnswerProof,
  answerLicenseCovers,
  answerMacKey,
  answerStatement,
  answerUnproven,
  openAnswerLicense,
} from './seat-proof.js';

/** What the runtime's answers are signed as: a check, a session, a seat (the manager's purpose). */
export const RUNTIME_ANSWER_PURPOSES = ['runtime-check', 'runtime-session', 'lease'] as const;
/** What a runtime answer is signed as. */
export type RuntimeAnswerPurpose = (typeof RUNTIME_ANSWER_PURPOSES)[number];

/** Longest `signed` text accepted (an answer is a few hundred bytes). */
export const MAX_SIGNED_STATEMENT_LENGTH = 16 * 1024;
const MAX_LICENSE_LENGTH = 64 * 1024;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The proof of a runtime answer: the License Manager's proof plus the exact statement signed. */
export interface RuntimeAnswerProof extends AnswerProof {
  /**
   * `canonicalJson({ answer, container, nonce, purpose })` exactly as signed: the signature
   * covers `lictor/v1/signed-answer ‖ 0x00 ‖ UTF-8(signed)`.
   */
  signed: string;
}

/**
 * The proof of a runtime answer within the client's session: HMAC-SHA256 under the session secret
 * over `lictor/v1/signed-answer ‖ 0x00 ‖ UTF-8(signed)`. No `license`: the client holds the
 * license its session was sealed to.
 */
export interface RuntimeSessionProof {
  key: 'session';
  /** HMAC-SHA256 (32 bytes), base64url. */
  mac: string;
  /** The statement MAC'd, as in {@link RuntimeAnswerProof.signed}. */
  signed: string;
}

/** A client's session with the runtime: the secret it sealed, and the license it sealed it to. */
export interface RuntimeAnswerSession {
  /** The 32-byte secret (or its {@link answerMacKey}). */
  secret: Uint8Array | AnswerMacKey;
  /** The license (verified with the vendor key) whose container key the secret was sealed to. */
  license: LicenseDocument;
}

/** Why a runtime answer carries no proof (`unproven.reason`). */
export type RuntimeUnprovenReason =
  /** The license that grants names no container key (activated before containers had keys). */
  | 'no-key'
  /** Its container's private key does not open on this computer (a moved key file, a token not read). */
  | 'key-unavailable';

/** The statement of a signed answer, parsed. */
export interface SignedStatement<T = unknown> {
  answer: T;
  container: string;
  nonce: string;
  purpose: string;
}

/** Signs `answer` to the request that carried `nonce` with `key`, the statement included. */
export function signRuntimeAnswer(
  key: AnswerKey,
  purpose: RuntimeAnswerPurpose,
  nonce: string,
  answer: unknown,
): RuntimeAnswerProof {
  const signed = answerStatement(purpose, key.containerId, nonce, answer);
  const signature = key.sign(transientUtf8(`${ANSWER_PROOF_DOMAIN}\0${signed}`));
  return { license: key.license, key: 'container', signature: toBase64Url(signature), signed };
}

/**
 * MACs `answer` to the request that carried `nonce` under a session held for the container
 * `containerId` (`mac`: the session's {@link answerMacKey}), the statement included: the proof of
 * an answer within a session.
 */
export function macRuntimeAnswer(
  mac: AnswerMacKey,
  purpose: RuntimeAnswerPurpose,
  containerId: string,
  nonce: string,
  answer: unknown,
): RuntimeSessionProof {
  const signed = answerStatement(purpose, containerId, nonce, answer);
  return { key: 'session', mac: toBase64Url(mac(`${ANSWER_PROOF_DOMAIN}\0${signed}`)), signed };
}

/**
 * A proof someone else signed (the License Manager's, already verified with `license` by the
 * caller) with its statement added: the same signature, which covers exactly this statement.
 */
export function withStatement(
  proof: AnswerProof,
  license: LicenseDocument,
  purpose: string,
  nonce: string,
  answer: unknown,
): RuntimeAnswerProof {
  return {
    license: proof.license,
    key: 'container',
    signature: proof.signature,
    signed: answerStatement(purpose, license.containerId, nonce, answer),
  };
}

/** Input of {@link verifyRuntimeAnswer}. */
export interface VerifyRuntimeAnswerInput {
  /** The vendor public key the application embeds. */
  publicKey: string | VendorPublicKey;
  /** The nonce the application sent with this request. */
  nonce: string;
  /** What the answer must be signed as: `runtime-check`, `runtime-session`, or `lease` for a seat. */
  purpose: RuntimeAnswerPurpose;
  /** The answer's JSON as received, its `proof` included. */
  answer: unknown;
  /** The product the application asked for. */
  product: string;
  /** The feature it asked for; absent or `null`: the product alone. */
  feature?: string | null;
  /** The application's clock, epoch ms: a license entry expired by then does not cover. */
  now: number;
  /**
   * The session this request named (header `lictor-session`), if any: an answer MAC'd under it
   * (`proof.key` `session`) is accepted; without it such an answer is refused (`signature`).
   */
  session?: RuntimeAnswerSession;
}

/** A verified runtime answer. */
export interface VerifiedRuntimeAnswer<T = Record<string, unknown>> {
  /** The answer as signed (take its values from here). */
  answer: T;
  /** The license that proves it, opened with the vendor key (the session's, for a MAC'd answer). */
  license: LicenseDocument;
  /** How it was proven: signed by the license's container key, or MAC'd under the session. */
  key: 'container' | 'session';
}

/** What a signed answer grants: `[product, feature]` of a check or session, or of the seat's lease. */
function grantOf(purpose: RuntimeAnswerPurpose, answer: unknown): [unknown, unknown] {
  const a = (typeof answer === 'object' && answer !== null ? answer : {}) as Record<string, unknown>;
  const g = (purpose === 'lease' ? (a.lease ?? {}) : a) as Record<string, unknown>;
  return [g.product, g.feature ?? null];
}

/** Whether two JSON values are the same (canonical JSON of both; `false` for values without one). */
function sameJson(a: unknown, b: unknown): boolean {
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return false;
  }
}

/**
 * Verifies an answer of the Lictor Runtime, as every client does (`docs/spec/signed-answers.md`):
 *
 * 1. `proof` present (`missing`; an unsigned answer's `unproven` is named in the message), of the
 *    right shape (`malformed`);
 * 2. its license opens with the vendor key (`license`) and names a container key (`no-key`);
 * 3. the Ed25519 signature verifies with that key over `domain ‖ 0x00 ‖ signed` (`signature`);
 *    for a proof `{ key: 'session', mac, signed }` instead of 2 and 3: `input.session` is given
 *    and the purpose is not `lease` (`signature`), and the HMAC-SHA256 under its secret over the
 *    same bytes equals `mac` (constant-time; `signature`); the license is then the session's;
 * 4. `signed` parses to `{ answer, container, nonce, purpose }` (`malformed`) naming this license's
 *    container, this request's nonce and the expected purpose (`signature`);
 * 5. the signed answer is about the product and feature asked for, and the license holds an
 *    unexpired entry for them at `now` (`not-covered`);
 * 6. the answer's own fields are what is signed (a check or session: the answer without `proof`
 *    and `unproven` equals the signed answer; a seat: its `leaseId`, `product` and `feature` are
 *    the signed lease's) (`signature`).
 *
 * Returns the signed answer and the license; throws `LICTOR_E_ANSWER_UNPROVEN` with
 * `details.reason` the fault.
 */
export function verifyRuntimeAnswer<T = Record<string, unknown>>(
  input: VerifyRuntimeAnswerInput,
): VerifiedRuntimeAnswer<T> {
  const { purpose, nonce, product } = input;
  const feature = input.feature ?? null;
  const received = input.answer as Record<string, unknown> | null;
  const proof = typeof received === 'object' && received !== null ? received.proof : undefined;
  if (proof === undefined || proof === null) {
    const unproven = received?.unproven as { reason?: unknown; message?: unknown } | undefined;
    const why = typeof unproven?.message === 'string' ? `: ${unproven.message}` : '';
    throw answerUnproven('missing', `the runtime's answer carries no proof of a license${why}`, {
      ...(typeof unproven?.reason === 'string' ? { unproven: unproven.reason } : {}),
    });
  }
  const p = proof as Record<string, unknown>;
  const doc =
    typeof p === 'object' && p.key === 'session'
      ? sessionProofLicense(p, purpose, input.session)
      : signedProofLicense(p, input.publicKey);
  let statement: Partial<SignedStatement>;
  try {
    statement = JSON.parse(p.signed as string) as Partial<SignedStatement>;
  } catch {
    throw answerUnproven('malformed', 'the signed statement is not JSON');
  }
  if (typeof statement !== 'object' || statement === null || !('answer' in statement)) {
    throw answerUnproven('malformed', 'the signed statement is not an answer');
  }
  if (statement.container !== doc.containerId || statement.nonce !== nonce || statement.purpose !== purpose) {
    throw answerUnproven(
      'signature',
      `the signed statement is not for this request (its nonce, purpose or container differ: expected purpose '${purpose}'): a replayed answer`,
    );
  }
  const [grantedProduct, grantedFeature] = grantOf(purpose, statement.answer);
  const what = feature === null ? `product '${product}'` : `feature '${feature}' of product '${product}'`;
  if (grantedProduct !== product || grantedFeature !== feature) {
    throw answerUnproven('not-covered', `the signed answer is not about ${what}`);
  }
  if (!answerLicenseCovers(doc, { product, feature, now: input.now })) {
    throw answerUnproven(
      'not-covered',
      `the license sent as proof (serial ${doc.serial}) holds no unexpired license for ${what} at ${new Date(input.now).toISOString()}`,
    );
  }
  const signedAnswer = statement.answer as Record<string, unknown>;
  const { proof: _proof, unproven: _unproven, ...fields } = received as Record<string, unknown>;
  const same =
    purpose === 'lease'
      ? fields.leaseId === (signedAnswer.lease as Record<string, unknown>).id &&
        fields.product === product &&
        (fields.feature ?? null) === feature
      : sameJson(fields, signedAnswer);
  if (!same) {
    throw answerUnproven('signature', "the runtime's answer differs from the answer it signed");
  }
  return { answer: statement.answer as T, license: doc, key: p.key as 'container' | 'session' };
}

/**
 * Steps 1–3 of {@link verifyRuntimeAnswer} for a signed proof `{ license, key: 'container',
 * signature, signed }`: its shape (`malformed`), its license opened with the vendor key
 * (`license`), the Ed25519 signature by the license's container key over `domain ‖ 0x00 ‖ signed`
 * (`signature`). Returns that license, which the statement must name.
 */
function signedProofLicense(p: Record<string, unknown>, vendorKey: string | VendorPublicKey): LicenseDocument {
  if (
    typeof p !== 'object' ||
    typeof p.license !== 'string' ||
    p.license.length > MAX_LICENSE_LENGTH ||
    p.key !== 'container' ||
    typeof p.signature !== 'string' ||
    p.signature.length > 128 ||
    !BASE64URL.test(p.signature) ||
    typeof p.signed !== 'string' ||
    p.signed.length > MAX_SIGNED_STATEMENT_LENGTH
  ) {
    throw answerUnproven('malformed', "the proof of the runtime's answer is malformed");
  }
  const publicKey = typeof vendorKey === 'string' ? parsePublicKey(vendorKey) : vendorKey;
  const doc = openAnswerLicense({ license: p.license, key: 'container', signature: p.signature }, publicKey);
  const signature = fromBase64Url(p.signature);
  const key = doc.containerKeys?.sign;
  if (
    key === undefined ||
    signature === null ||
    !containerVerify(key, utf8(`${ANSWER_PROOF_DOMAIN}\0${p.signed}`), signature)
  ) {
    throw answerUnproven(
      'signature',
      `the runtime's answer is not signed by the key of the license it names (serial ${doc.serial}): a forged answer`,
    );
  }
  return doc;
}

/**
 * Steps 1–3 of {@link verifyRuntimeAnswer} for a proof `{ key: 'session', mac, signed }`: its
 * shape (`malformed`), a session named by the request and a purpose the runtime MACs
 * (`signature`), the MAC under the session's secret over `domain ‖ 0x00 ‖ signed`, compared in
 * constant time (`signature`). Returns the session's license, which the statement must name.
 */
function sessionProofLicense(
  p: Record<string, unknown>,
  purpose: RuntimeAnswerPurpose,
  session: RuntimeAnswerSession | undefined,
): LicenseDocument {
  if (
    typeof p.mac !== 'string' ||
    p.mac.length > 64 ||
    !BASE64URL.test(p.mac) ||
    typeof p.signed !== 'string' ||
    p.signed.length > MAX_SIGNED_STATEMENT_LENGTH
  ) {
    throw answerUnproven('malformed', "the proof of the runtime's answer is malformed");
  }
  if (session === undefined || purpose === 'lease') {
    throw answerUnproven(
      'signature',
      purpose === 'lease'
        ? "a seat's answer is MAC'd: only the License Manager's signature proves a seat"
        : "the runtime's answer is MAC'd under a session this request did not name: a forged answer",
    );
  }
  // A client that verifies many answers passes the session's `answerMacKey` (pads computed once).
  const mac = typeof session.secret === 'function' ? session.secret : answerMacKey(session.secret);
  const received = fromBase64Url(p.mac);
  const expected = mac(`${ANSWER_PROOF_DOMAIN}\0${p.signed}`);
  if (received === null || !constantTimeEqual(received, expected)) {
    throw answerUnproven(
      'signature',
      `the runtime's answer is not MAC'd under this client's session with license ${session.license.serial}: a forged answer`,
    );
  }
  return session.license;
}
