/**
 * Signed answers: an answer signed over the asker's fresh nonce by a key that a vendor-signed
 * license names. One mechanism for everything that hands out a right on the strength of a
 * license it holds (the License Manager's seats, the Lictor Runtime's answers in
 * `runtime-answer.ts`): whoever cannot make the signature does not hold a genuine license of this
 * vendor, whatever else it sends.
 *
 * The key is the **container key** of the license (`containerKeys.sign`, Ed25519): generated
 * where the license was activated, its private half sealed to that computer (or kept in a
 * hardware token's private memory for a container stored on a token), its public half certified
 * by the vendor's signature of the license (it is part of the subject digest the vendor signs).
 *
 * The asker (an SDK) verifies with the vendor public key the application embeds:
 *
 * 1. the license file sent as the proof's `license` opens with the vendor key (signature,
 *    encryption, vendor key id): a license of another vendor, an altered or a made-up one fails;
 * 2. the proof's signature verifies with that license's container key over
 *    {@link answerSigningBytes}: the domain `lictor/v1/signed-answer`, a NUL, then the canonical
 *    JSON of `{ answer, container, nonce, purpose }`. The nonce is the asker's, fresh for each
 *    question: a genuine answer recorded for another question (replay) fails; `purpose` keeps an
 *    answer of one kind from being taken for another; `container` ties the signature to the
 *    license it is sent with;
 * 3. the caller checks that the license covers what was asked (product, feature, expiry):
 *    {@link answerLicenseCovers}.
 *
 * **Sessions** keep frequent answers (heartbeats) cheap: an Ed25519 signature costs the signer
 * about as much as the rest of a request. After a verified signed answer, the asker seals a
 * random 32-byte session secret to the license's certified X25519 key (`containerKeys.box`,
 * {@link sealAnswerSession}); only the holder of the container's private key opens it. The asker
 * sends it once, then names it by {@link answerSessionId}. Later answers carry
 * `{ key: 'session', mac }`: HMAC-SHA256 under that secret over the same signed-answer bytes
 * (fresh nonce included), which only the asker and the genuine container can compute. An
 * answerer that lost the session (a restart) signs again, and the asker sends the sealed secret again.
 *
 * Pure: no clock and no I/O. Test vectors: `test/seat-proof.test.ts`.
 */
import { canonicalJson } from './canonical.js';
import {
  constantTimeEqual,
  containerVerify,
  hmacSha256Keyed,
  loadContainerOpener,
  randomBytes,
  sealToContainer,
  sha256,
  type VendorPublicKey,
} from './crypto.js';
import { fromBase64Url, toBase64Url, transientUtf8, utf8 } from './encoding.js';
import { LictorError } from './errors.js';
import type { LicenseDocument } from './license.js';
import { decodeLicenseFile } from './license-file.js';

/** The domain-separation label of every signed answer. */
export const ANSWER_PROOF_DOMAIN = 'lictor/v1/signed-answer';
/** Fewest random bytes a nonce carries. */
export const ANSWER_NONCE_MIN_BYTES = 16;
/** Most bytes a nonce carries. */
export const ANSWER_NONCE_MAX_BYTES = 64;
/**
 * The HTTP request header that carries the asker's nonce (the License Manager's lease routes);
 * a header rather than a body field, so that a heartbeat stays a request without a body.
 */
export const ANSWER_NONCE_HEADER = 'lictor-nonce';
/** The HTTP request header that names the asker's session: `<id>`, or `<id>.<sealed secret>`. */
export const ANSWER_SESSION_HEADER = 'lictor-session';

const PURPOSE = /^[a-z][a-z0-9-]{0,31}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** A license file is far smaller; anything larger is refused before it is opened. */
const MAX_LICENSE_LENGTH = 64 * 1024;

/** The proof that travels with an answer (JSON field `proof`). */
export interface AnswerProof {
  /** The vendor-signed license file (armored text, as issued) that names the signing key. */
  license: string;
  /** Which key of that license signed: its container's Ed25519 key. */
  key: 'container';
  /** Ed25519 signature over {@link answerSigningBytes}, base64url. */
  signature: string;
}

/** Why a proof was refused (`details.reason` of `LICTOR_E_ANSWER_UNPROVEN`). */
export type AnswerProofFault =
  /** No proof at all. */
  | 'missing'
  /** Not the shape of a proof, or a value that has no canonical form. */
  | 'malformed'
  /** The license does not open with the vendor key (another vendor, altered, made up). */
  | 'license'
  /** The license names no container key. */
  | 'no-key'
  /** The signature does not verify (another nonce, another answer, another key). */
  | 'signature'
  /** The license is genuine but does not cover what was asked (product, feature, expired). */
  | 'not-covered';

/** The proof of an answer within a session (see the module comment). */
export interface SessionAnswerProof {
  key: 'session';
  /** HMAC-SHA256 under the session secret over {@link answerSigningBytes}, base64url. */
  mac: string;
}

/** The private side: the license and something that signs with its container key. */
export interface AnswerKey {
  /** The license file text, sent as {@link AnswerProof.license}. */
  readonly license: string;
  /** The license's `containerId`. */
  readonly containerId: string;
  /**
   * Ed25519 signature with the container's private key. `data` is valid only during the call
   * (answers are signed from a buffer that the next answer reuses): copy it to keep it.
   */
  sign(data: Uint8Array): Uint8Array;
  /** Opens a session secret sealed to the container's X25519 key ({@link openAnswerSession}); absent: no sessions. */
  openSession?(sealed: string): Uint8Array | null;
}

/** Bytes of a session secret. */
export const ANSWER_SESSION_BYTES = 32;
const SESSION_CONTEXT = 'signed-answer-session';
/** Longest sealed session secret accepted (32 + 12 + 32 + 16 bytes in base64url is 123 characters). */
export const MAX_SEALED_SESSION_LENGTH = 256;
/** What the {@link ANSWER_SESSION_HEADER} may hold: `<id>`, or `<id>.<sealed secret>` (the License Manager's and the runtime's). */
export const ANSWER_SESSION_HEADER_PATTERN = `^[A-Za-z0-9_-]{1,64}(\\.[A-Za-z0-9_-]{1,${MAX_SEALED_SESSION_LENGTH}})?$`;

/** Seals `secret` (32 random bytes) to the certified X25519 key of `doc`'s container. */
export function sealAnswerSession(doc: LicenseDocument, secret: Uint8Array): string {
  const box = doc.containerKeys?.box;
  if (box === undefined || secret.length !== ANSWER_SESSION_BYTES) {
    throw new LictorError('LICTOR_E_INVALID_INPUT', 'a session needs a container key and a 32-byte secret');
  }
  return sealToContainer(box, secret, SESSION_CONTEXT);
}

/**
 * An opener of sealed session secrets for the container's X25519 private key (parsed once);
 * it returns `null` for anything that does not open to a 32-byte secret.
 */
export function answerSessionOpener(boxPrivate: string): (sealed: string) => Uint8Array | null {
  const open = loadContainerOpener(boxPrivate);
  return (sealed) => {
    if (typeof sealed !== 'string' || sealed.length > MAX_SEALED_SESSION_LENGTH) return null;
    const secret = open(sealed, SESSION_CONTEXT);
    return secret !== null && secret.length === ANSWER_SESSION_BYTES ? secret : null;
  };
}

/** The id of a session: base64url of the first 16 bytes of SHA-256 of its sealed secret. */
export function answerSessionId(sealed: string): string {
  return toBase64Url(sha256(utf8(sealed)).subarray(0, 16));
}

/**
 * A new session with the container of `doc` (the asker's side): a fresh 32-byte secret, sealed to
 * the license's certified X25519 key ({@link sealAnswerSession}), and the id that names it.
 */
export function newAnswerSession(doc: LicenseDocument): { id: string; sealed: string; secret: Uint8Array } {
  const secret = randomBytes(ANSWER_SESSION_BYTES);
  const sealed = sealAnswerSession(doc, secret);
  return { id: answerSessionId(sealed), sealed, secret };
}

/** Opens a sealed session secret with the container's X25519 private key; `null` if it does not open. */
export function openAnswerSession(boxPrivate: string, sealed: string): Uint8Array | null {
  return answerSessionOpener(boxPrivate)(sealed);
}

/** A session secret made ready to MAC many answers (HMAC-SHA256 with its pads computed once). */
export type AnswerMacKey = (data: string) => Uint8Array;

/** {@link AnswerMacKey} of `secret`. */
export function answerMacKey(secret: Uint8Array): AnswerMacKey {
  return hmacSha256Keyed(secret);
}

/** The session proof of `answer` to the question that carried `nonce`, under `secret` (or its {@link answerMacKey}). */
export function macAnswer(
  secret: Uint8Array | AnswerMacKey,
  purpose: string,
  containerId: string,
  nonce: string,
  answer: unknown,
): SessionAnswerProof {
  const mac = typeof secret === 'function' ? secret : answerMacKey(secret);
  return { key: 'session', mac: toBase64Url(mac(answerSigningText(purpose, containerId, nonce, answer))) };
}

/**
 * {@link macAnswer} of an answer already written as its canonical JSON: `answerJson` must be
 * `canonicalJson(answer)` (e.g. from a serializer that writes the answer's keys in order), so
 * that a License Manager writes each answer once for both the wire and the MAC. Returns the MAC
 * (base64url), the `mac` of the {@link SessionAnswerProof}.
 */
export function macAnswerJson(
  key: AnswerMacKey,
  purpose: string,
  containerId: string,
  nonce: string,
  answerJson: string,
): string {
  return toBase64Url(key(`${ANSWER_PROOF_DOMAIN}\0${statementOf(purpose, containerId, nonce, answerJson)}`));
}

/** Whether `proof` is the session proof of `answer` to `nonce` under `secret` (constant-time). */
export function answerMacValid(
  secret: Uint8Array,
  containerId: string,
  proof: unknown,
  purpose: string,
  nonce: string,
  answer: unknown,
): boolean {
  const p = proof as Partial<SessionAnswerProof> | null;
  if (typeof p !== 'object' || p === null || p.key !== 'session' || typeof p.mac !== 'string') return false;
  const mac = fromBase64Url(p.mac);
  if (mac === null) return false;
  let expected: SessionAnswerProof;
  try {
    expected = macAnswer(secret, purpose, containerId, nonce, answer);
  } catch {
    return false;
  }
  return constantTimeEqual(mac, fromBase64Url(expected.mac) as Uint8Array);
}

/** A `LICTOR_E_ANSWER_UNPROVEN` refusal with its fault. */
export function answerUnproven(reason: AnswerProofFault, message: string, details: Record<string, unknown> = {}) {
  return new LictorError('LICTOR_E_ANSWER_UNPROVEN', message, { reason, ...details });
}

/** Last characters of canonical base64url (unused low bits zero) when 1 or 2 bytes are left over. */
const LAST_OF_1 = /[AQgw]$/;
const LAST_OF_2 = /[AEIMQUYcgkosw048]$/;

/**
 * Whether `nonce` is canonical base64url of {@link ANSWER_NONCE_MIN_BYTES}–{@link ANSWER_NONCE_MAX_BYTES}
 * bytes (checked without decoding: it runs for every request).
 */
export function isAnswerNonce(nonce: unknown): nonce is string {
  if (typeof nonce !== 'string' || nonce.length > 88 || !BASE64URL.test(nonce)) return false;
  const rest = nonce.length % 4;
  const bytes = Math.floor(nonce.length / 4) * 3 + (rest === 0 ? 0 : rest - 1);
  if (rest === 1 || bytes < ANSWER_NONCE_MIN_BYTES || bytes > ANSWER_NONCE_MAX_BYTES) return false;
  return rest === 2 ? LAST_OF_1.test(nonce) : rest === 3 ? LAST_OF_2.test(nonce) : true;
}

/** A fresh nonce from `random` bytes (the caller's CSPRNG output), base64url. */
export function answerNonce(random: Uint8Array): string {
  if (random.length < ANSWER_NONCE_MIN_BYTES || random.length > ANSWER_NONCE_MAX_BYTES) {
    throw new LictorError(
      'LICTOR_E_INVALID_INPUT',
      `a nonce is ${ANSWER_NONCE_MIN_BYTES}–${ANSWER_NONCE_MAX_BYTES} bytes`,
    );
  }
  return toBase64Url(random);
}

/**
 * The exact bytes signed for `answer` to the question that carried `nonce`:
 * `lictor/v1/signed-answer ‖ 0x00 ‖ canonicalJson({ answer, container, nonce, purpose })`.
 * Throws `LICTOR_E_INVALID_INPUT` for a malformed purpose or nonce, and `TypeError` for an
 * answer with no canonical form (floats, class instances).
 */
export function answerSigningBytes(purpose: string, containerId: string, nonce: string, answer: unknown): Uint8Array {
  return utf8(answerSigningText(purpose, containerId, nonce, answer));
}

/** {@link answerSigningBytes} as text (the bytes are its UTF-8). */
export function answerSigningText(purpose: string, containerId: string, nonce: string, answer: unknown): string {
  return `${ANSWER_PROOF_DOMAIN}\0${answerStatement(purpose, containerId, nonce, answer)}`;
}

/**
 * What a signed answer states: `canonicalJson({ answer, container, nonce, purpose })`, the text
 * after the domain and the NUL in {@link answerSigningText}. Throws as {@link answerSigningBytes}.
 */
export function answerStatement(purpose: string, containerId: string, nonce: string, answer: unknown): string {
  return statementOf(purpose, containerId, nonce, canonicalJson(answer));
}

/** {@link answerStatement} of an answer given as its canonical JSON. */
function statementOf(purpose: string, containerId: string, nonce: string, answerJson: string): string {
  if (!PURPOSE.test(purpose)) throw new LictorError('LICTOR_E_INVALID_INPUT', `'${purpose}' is not an answer purpose`);
  if (!isAnswerNonce(nonce))
    throw new LictorError('LICTOR_E_INVALID_INPUT', 'the nonce is not base64url of 16–64 bytes');
  // canonicalJson({ answer, container, nonce, purpose }), its keys already in order: the
  // manager computes this for every answer.
  return `{"answer":${answerJson},"container":${JSON.stringify(containerId)},"nonce":"${nonce}","purpose":"${purpose}"}`;
}

/** Signs `answer` to the question that carried `nonce`; the proof to send with it. */
export function signAnswer(key: AnswerKey, purpose: string, nonce: string, answer: unknown): AnswerProof {
  const signature = key.sign(transientUtf8(answerSigningText(purpose, key.containerId, nonce, answer)));
  return { license: key.license, key: 'container', signature: toBase64Url(signature) };
}

/** Checks the shape of a received proof; `LICTOR_E_ANSWER_UNPROVEN` (`missing`, `malformed`) otherwise. */
export function parseAnswerProof(value: unknown): AnswerProof {
  if (value === undefined || value === null) {
    throw answerUnproven('missing', 'the answer carries no proof of a license');
  }
  const v = value as Record<string, unknown>;
  if (
    typeof v !== 'object' ||
    typeof v.license !== 'string' ||
    v.license.length > MAX_LICENSE_LENGTH ||
    v.key !== 'container' ||
    typeof v.signature !== 'string' ||
    !BASE64URL.test(v.signature) ||
    v.signature.length > 128
  ) {
    throw answerUnproven('malformed', 'the proof sent with the answer is malformed');
  }
  return { license: v.license, key: 'container', signature: v.signature };
}

/**
 * Opens the license a proof names, with the vendor key: `LICTOR_E_ANSWER_UNPROVEN` with fault
 * `license` (and `details.cause`, the code the license file was refused with) or `no-key`.
 */
export function openAnswerLicense(proof: AnswerProof, publicKey: VendorPublicKey): LicenseDocument {
  let doc: LicenseDocument;
  try {
    doc = decodeLicenseFile(proof.license, publicKey);
  } catch (err) {
    if (!(err instanceof LictorError)) throw err;
    throw answerUnproven(
      'license',
      `the license sent as proof is not a genuine license of this vendor: ${err.message}`,
      {
        cause: err.code,
      },
    );
  }
  if (doc.containerKeys === undefined) {
    throw answerUnproven(
      'no-key',
      `the license sent as proof (serial ${doc.serial}) names no container key; it was activated before containers had keys: activate it again`,
    );
  }
  return doc;
}

/** Whether the proof's signature over `answer` to `nonce` verifies with `doc`'s container key. */
export function answerSignatureValid(
  doc: LicenseDocument,
  proof: AnswerProof,
  purpose: string,
  nonce: string,
  answer: unknown,
): boolean {
  const key = doc.containerKeys?.sign;
  const signature = fromBase64Url(proof.signature);
  if (key === undefined || signature === null) return false;
  let bytes: Uint8Array;
  try {
    bytes = answerSigningBytes(purpose, doc.containerId, nonce, answer);
  } catch {
    return false; // an answer with no canonical form was never signed
  }
  return containerVerify(key, bytes, signature);
}

/** What a verified answer's license must cover. */
export interface AnswerScope {
  product: string;
  /** The feature asked for, or `null` for the product alone. */
  feature: string | null;
  /** The asker's clock, epoch milliseconds: a license entry expired by then does not cover. */
  now: number;
}

/** Whether `doc` holds an unexpired entry for the product (and feature) of `scope`. */
export function answerLicenseCovers(doc: LicenseDocument, scope: AnswerScope): boolean {
  return doc.licenses.some(
    (e) =>
      e.product === scope.product &&
      (scope.feature === null || e.features.some((f) => f.code === scope.feature)) &&
      (e.expiresAt === null || Date.parse(e.expiresAt) > scope.now),
  );
}

/** Input of {@link verifyAnswer}. */
export interface VerifyAnswerInput {
  purpose: string;
  /** The nonce the asker sent with its question. */
  nonce: string;
  /** The answer as received, without its proof. */
  answer: unknown;
  /** The proof as received (any JSON value). */
  proof: unknown;
  publicKey: VendorPublicKey;
  /** What the license must cover. */
  scope: AnswerScope;
  /** Opens the proof's license (default {@link openAnswerLicense}); a caller may cache by text. */
  open?: (proof: AnswerProof, publicKey: VendorPublicKey) => LicenseDocument;
}

/**
 * Verifies a signed answer: its license is the vendor's, the signature is over this answer and
 * this nonce by that license's container key, and the license covers `scope`. Returns the
 * license; throws `LICTOR_E_ANSWER_UNPROVEN` with `details.reason` an {@link AnswerProofFault}.
 */
export function verifyAnswer(input: VerifyAnswerInput): LicenseDocument {
  const proof = parseAnswerProof(input.proof);
  const doc = (input.open ?? openAnswerLicense)(proof, input.publicKey);
  if (!answerSignatureValid(doc, proof, input.purpose, input.nonce, input.answer)) {
    throw answerUnproven(
      'signature',
      `the answer is not signed for this request by the key of the license it names (serial ${doc.serial}): a forged or replayed answer`,
    );
  }
  const { product, feature, now } = input.scope;
  if (!answerLicenseCovers(doc, input.scope)) {
    const what = feature === null ? `product '${product}'` : `feature '${feature}' of product '${product}'`;
    throw answerUnproven(
      'not-covered',
      `the license sent as proof (serial ${doc.serial}) holds no unexpired license for ${what} at ${new Date(now).toISOString()}`,
    );
  }
  return doc;
}
