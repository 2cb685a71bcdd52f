/**
 * The test vectors of the open specification (`spec/vectors/`, described in `docs/spec/`), read
 * the way another implementation would read them: every output is recomputed from the inputs with
 * this package and compared byte for byte, every negative case must fail with its code. The folder
 * holds exactly the files checked here, and regenerating them (`scripts/make-vectors.ts`) gives the
 * committed bytes.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { buildVectors, VECTORS_DIR } from '../../../scripts/make-vectors.js';
import {
  ANSWER_PROOF_DOMAIN,
  type Announcement,
  type AnnouncementCredential,
  type AnswerCode,
  type AnswerProof,
  aesGcmOpen,
  aesGcmSeal,
  announcementCredential,
  answerMacValid,
  answerSessionId,
  answerSessionOpener,
  answerSigningBytes,
  answerStatement,
  type BlacklistDocument,
  CODE_EPOCH_MS,
  type ContainerKeys,
  canonicalJson,
  concatBytes,
  confirmationMatches,
  containerSubjectDigest,
  containerTag,
  containerVerify,
  createAnnouncement,
  createConfirmationCode,
  createRequest,
  createRequestCode,
  createUpgradeQuestion,
  type DiscoveryAnnouncement,
  decodeAnnouncement,
  decodeBlacklist,
  decodeDiscoveryAnswer,
  decodeDiscoveryProbe,
  decodeLicenseFile,
  decodeQuestionFile,
  decodeRequestFile,
  decodeShortCode,
  decodeTokenContainerKeys,
  documentSigningBytes,
  documentSubject,
  type ErrorCode,
  encodeAnnouncement,
  encodeAnswerCode,
  encodeDiscoveryAnswer,
  encodeDiscoveryProbe,
  encodeQuestionFile,
  encodeRequestFile,
  encodeShortCode,
  encodeTokenContainerKeys,
  formatPin,
  formatSerial,
  fromBase64Url,
  type HardwareParams,
  hkdf,
  hmacSha256,
  isAnswerNonce,
  isHardwareParams,
  isTimeNonce,
  type LicenseDocument,
  LictorError,
  licenseFileFromSignature,
  licenseFromAnswer,
  licenseSignedView,
  licenseSigningBytes,
  loadContainerSigner,
  loadSigner,
  MAX_EVIDENCE_SPAN_MS,
  macAnswer,
  normalizeHardware,
  normalizePin,
  normalizeSerial,
  type Owner,
  openFromContainer,
  parseAnswerCode,
  parseConfirmationCode,
  parsePublicKey,
  parseRequestCode,
  parseTokenPublicKey,
  pinTag,
  type RandomSource,
  type RequestDocument,
  type RequestFields,
  type RuntimeAnswerPurpose,
  requestCodeProvesPin,
  requestProvesPin,
  type SignedTime,
  sealDocument,
  sealToContainer,
  sha256,
  signAnswer,
  signServerTime,
  subjectDigest,
  subjectPrivateDigest,
  TIME_HEADER,
  type TokenActivationClaim,
  toBase64Url,
  toHex,
  tokenActivationMessage,
  tokenPresenceMessage,
  tokenPublicKeyFromPoint,
  type UpgradeQuestion,
  uintBytes,
  utf8,
  type VendorPublicKey,
  type VendorSigner,
  verifyAnnouncement,
  verifyDuplicateEvidence,
  verifyRuntimeAnswer,
  verifyServerTime,
  verifyTokenPresence,
  verifyUpgradeQuestion,
} from '../src/index.js';
import { assertCode } from './refusal.js';

// ---- reading vectors -----------------------------------------------------------------------

const hex = (bytes: Uint8Array): string => toHex(bytes);
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

function load<T>(name: string): T {
  return JSON.parse(readFileSync(`${VECTORS_DIR}${name}`, 'utf8')) as T;
}

/** Random bytes as a vector lists them: each call takes the next chunk, of exactly that length. */
function fixed(...chunks: string[]): RandomSource {
  const queue = chunks.map(bytes);
  return (n) => {
    const next = queue.shift();
    assert.equal(next?.length, n, `the vector gives ${next?.length ?? 'no'} random bytes where ${n} are drawn`);
    return next as Uint8Array;
  };
}

/** A vendor signer from a vector's Ed25519 seed (PKCS#8 of RFC 8410). */
function signerFromSeed(seedHex: string): VendorSigner {
  return loadSigner(ed25519Pem(seedHex));
}

function ed25519Pem(seedHex: string): string {
  const der = concatBytes(bytes('302e020100300506032b657004220420'), bytes(seedHex));
  return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })
    .export({ format: 'pem', type: 'pkcs8' })
    .toString();
}

function x25519Public(scalarHex: string): string {
  const der = concatBytes(bytes('302e020100300506032b656e04220420'), bytes(scalarHex));
  return String(
    createPublicKey(createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })).export({ format: 'jwk' })
      .x,
  );
}

function x25519Shared(scalarHex: string, publicRaw: string): Uint8Array {
  const der = concatBytes(bytes('302e020100300506032b656e04220420'), bytes(scalarHex));
  return new Uint8Array(
    diffieHellman({
      privateKey: createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' }),
      publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: publicRaw }, format: 'jwk' }),
    }),
  );
}

interface VendorKeyRef {
  seedHex: string;
  publicKey: string;
}

/** The vector's vendor key: the seed must give the public key the vector names. */
function vendorOf(ref: VendorKeyRef): { signer: VendorSigner; key: VendorPublicKey } {
  const signer = signerFromSeed(ref.seedHex);
  assert.equal(signer.publicKey.text, ref.publicKey);
  return { signer, key: parsePublicKey(ref.publicKey) };
}

interface ContainerRef {
  signSeedHex: string;
  boxScalarHex: string;
  public: ContainerKeys;
}

function containerOf(ref: ContainerRef): { signPem: string; boxPrivate: string } {
  const signPem = ed25519Pem(ref.signSeedHex);
  assert.equal(toBase64Url(loadSigner(signPem).publicKey.raw), ref.public.sign);
  assert.equal(x25519Public(ref.boxScalarHex), ref.public.box);
  return { signPem, boxPrivate: toBase64Url(bytes(ref.boxScalarHex)) };
}

interface Named {
  name: string;
}
interface Negative extends Named {
  error: ErrorCode;
}

/** Runs `fn` for each negative case: it must fail with the case's code. */
function refuses<T extends Negative>(cases: T[], fn: (c: T) => unknown): void {
  assert.ok(cases.length > 0);
  for (const c of cases) assertCode(() => fn(c), c.error, c.name);
}

/** The binary content of an armored block (no tolerance needed: vectors are written by `armor`). */
function unarmor(armored: string): Uint8Array {
  const lines = armored.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
  return new Uint8Array(Buffer.from(lines.join(''), 'base64'));
}

// ---- one check per vector file -------------------------------------------------------------

interface CanonicalVectors {
  cases: (Named & { input: string; canonical: string; utf8Hex: string })[];
  negative: (Named & { input: string; error: 'not-canonical' })[];
}

function checkCanonical(v: CanonicalVectors): void {
  for (const c of v.cases) {
    const out = canonicalJson(JSON.parse(c.input));
    assert.equal(out, c.canonical, c.name);
    assert.equal(hex(utf8(out)), c.utf8Hex, c.name);
  }
  for (const c of v.negative) assert.throws(() => canonicalJson(JSON.parse(c.input)), TypeError, c.name);
}

interface CodesVectors {
  format: (Named & { kind: 'serial' | 'pin'; randomHex: string; text: string })[];
  normalize: { kind: 'serial' | 'pin'; typed: string; normalized: string }[];
}

function checkCodes(v: CodesVectors): void {
  for (const c of v.format) {
    assert.equal((c.kind === 'serial' ? formatSerial : formatPin)(bytes(c.randomHex)), c.text, c.name);
  }
  for (const c of v.normalize) {
    assert.equal((c.kind === 'serial' ? normalizeSerial : normalizePin)(c.typed), c.normalized, c.typed);
  }
}

interface ShortCodeVectors {
  cases: (Named & { payloadHex: string; code: string; typed: string[] })[];
  negative: (Negative & { code: string; group?: number })[];
}

function checkShortCode(v: ShortCodeVectors): void {
  for (const c of v.cases) {
    assert.equal(encodeShortCode(bytes(c.payloadHex)), c.code, c.name);
    for (const typed of [c.code, ...c.typed]) assert.equal(hex(decodeShortCode(typed)), c.payloadHex, typed);
  }
  refuses(v.negative, (c) => decodeShortCode(c.code));
  for (const c of v.negative.filter((n) => n.group !== undefined)) {
    let group: unknown;
    try {
      decodeShortCode(c.code);
    } catch (e) {
      group = e instanceof LictorError ? e.details?.group : undefined;
    }
    assert.equal(group, c.group, c.name);
  }
}

interface VendorKeyVectors {
  keys: (Named & {
    seedHex: string;
    privateKeyPem: string;
    publicKeyHex: string;
    keyIdHex: string;
    text: string;
    signature: { messageHex: string; signatureHex: string };
  })[];
  negative: (Negative & { text: string })[];
}

function checkVendorKey(v: VendorKeyVectors): void {
  for (const k of v.keys) {
    assert.equal(ed25519Pem(k.seedHex), k.privateKeyPem);
    const signer = loadSigner(k.privateKeyPem);
    assert.equal(hex(signer.publicKey.raw), k.publicKeyHex);
    assert.equal(hex(sha256(bytes(k.publicKeyHex)).subarray(0, 8)), k.keyIdHex);
    const key = parsePublicKey(k.text);
    assert.equal(hex(key.raw), k.publicKeyHex);
    assert.equal(hex(key.keyId), k.keyIdHex);
    assert.equal(hex(signer.sign(bytes(k.signature.messageHex))), k.signature.signatureHex);
    assert.ok(key.verify(bytes(k.signature.messageHex), bytes(k.signature.signatureHex)));
  }
  refuses(v.negative, (c) => parsePublicKey(c.text));
}

interface HardwareVectors {
  cases: (Named & { hardware: HardwareParams; normalized: HardwareParams })[];
}

function checkHardware(v: HardwareVectors): void {
  for (const c of v.cases) {
    assert.ok(isHardwareParams(c.hardware), c.name);
    assert.equal(canonicalJson(normalizeHardware(c.hardware)), canonicalJson(c.normalized), c.name);
    assert.deepEqual(normalizeHardware(c.normalized), c.normalized, `${c.name}: normalizing twice changes nothing`);
  }
}

interface SealedOutput {
  signingBytesHex: string;
  signatureHex: string;
  payload: string;
  aesKeyHex: string;
  text: string;
}

interface SubjectSteps {
  subjectFormat: 1 | 2;
  /** Format 2 only. */
  subjectPrivateJson?: string;
  subjectPrivate?: string;
  subjectJson: string;
  subject: string;
}

interface LicenseCase extends Named {
  input: { document: LicenseDocument; saltHex: string; ivHex: string };
  output: SealedOutput & SubjectSteps & { signedView: string; headerHex: string };
}

interface LicenseVectors {
  vendorKey: VendorKeyRef;
  otherVendorKey: VendorKeyRef;
  cases: LicenseCase[];
  tolerant: (Named & { text: string; document: LicenseDocument })[];
  negative: (Negative & { publicKey: string; text: string })[];
}

/** The first 80 bits of `SHA-256(label ‖ json)`, base64url: the subject digest. */
function digest80(label: string, json: string): string {
  return toBase64Url(sha256(utf8(label + json)).subarray(0, 10));
}

/** The subject digest of a case, step by step, in the format the case names. */
function checkSubject(doc: LicenseDocument, o: SubjectSteps, name: string): void {
  const bound = doc.binding.kind === 'hardware' ? { hardware: normalizeHardware(doc.binding.hardware) } : doc.binding;
  const ofBinding =
    'hardware' in bound
      ? { owner: doc.owner, ...bound }
      : { owner: doc.owner, token: bound.token, publicKey: bound.publicKey };
  if (o.subjectFormat === 2) {
    const keys = doc.containerKeys as ContainerKeys;
    assert.equal(canonicalJson(ofBinding), o.subjectPrivateJson, name);
    const privateDigest = toBase64Url(sha256(utf8(`lictor/v2/subject-private\0${o.subjectPrivateJson}`)));
    assert.equal(privateDigest, o.subjectPrivate, name);
    const binding = doc.binding.kind === 'hardware' ? doc.binding.hardware : doc.binding;
    assert.equal(subjectPrivateDigest(doc.owner, binding), o.subjectPrivate, name);
    assert.equal(canonicalJson({ containerKeys: keys, private: o.subjectPrivate }), o.subjectJson, name);
    assert.equal(digest80('lictor/v2/subject\0', o.subjectJson), o.subject, name);
    assert.equal(containerSubjectDigest(o.subjectPrivate as string, keys), o.subject, name);
    // Format 2 is what a license with container keys is issued with now.
    assert.equal(documentSubject(doc), o.subject, name);
    return;
  }
  const label = doc.binding.kind === 'hardware' ? 'lictor/v1/subject\0' : 'lictor/v1/token-subject\0';
  const keys = doc.containerKeys ? { containerKeys: doc.containerKeys } : {};
  assert.equal(canonicalJson({ ...ofBinding, ...keys }), o.subjectJson, name);
  assert.equal(digest80(label, o.subjectJson), o.subject, name);
  // Without container keys format 1 is the only format; with them, only files issued before format 2.
  assert.equal(documentSubject(doc) === o.subject, doc.containerKeys === undefined, name);
}

/** Checks one license file case: every intermediate value, the file, and that it decodes back. */
function checkLicenseCase(c: LicenseCase, signer: VendorSigner, key: VendorPublicKey): void {
  const doc = c.input.document;
  const o = c.output;
  checkSubject(doc, o, c.name);
  if (doc.binding.kind === 'hardware' && o.subjectFormat === 2) {
    assert.equal(subjectDigest(doc.owner, doc.binding.hardware, doc.containerKeys), o.subject);
  }
  const view = licenseSignedView(doc, o.subject);
  assert.equal(canonicalJson(view), o.signedView, c.name);
  const signing = licenseSigningBytes(doc, key, o.subject);
  assert.equal(hex(signing), o.signingBytesHex, c.name);
  assert.equal(hex(signing), hex(concatBytes(utf8('lictor/v1/license\0'), key.keyId, utf8(o.signedView))));
  assert.equal(hex(signer.sign(signing)), o.signatureHex, c.name);
  assert.equal(canonicalJson(doc), o.payload, c.name);
  assert.equal(hex(hkdf(key.raw, bytes(c.input.saltHex), 'lictor/v1/license', 32)), o.aesKeyHex, c.name);
  const header = concatBytes(
    utf8('LCTR'),
    Uint8Array.of(1, 1),
    key.keyId,
    bytes(c.input.saltHex),
    bytes(c.input.ivHex),
  );
  assert.equal(hex(header), o.headerHex, c.name);
  // The envelope by hand: header ‖ AES-256-GCM(signature ‖ payload), the header as associated data.
  const sealed = aesGcmSeal(
    bytes(o.aesKeyHex),
    bytes(c.input.ivHex),
    concatBytes(bytes(o.signatureHex), utf8(o.payload)),
    header,
  );
  assert.equal(hex(unarmor(o.text)), hex(concatBytes(header, sealed)), c.name);
  assert.equal(sealDocument('license', doc, signer, view, fixed(c.input.saltHex, c.input.ivHex)), o.text, c.name);
  assert.deepEqual(decodeLicenseFile(o.text, key), doc, c.name);
}

function checkLicenseFile(v: LicenseVectors): void {
  const { signer, key } = vendorOf(v.vendorKey);
  vendorOf(v.otherVendorKey);
  for (const c of v.cases) checkLicenseCase(c, signer, key);
  for (const c of v.tolerant) assert.deepEqual(decodeLicenseFile(c.text, key), c.document, c.name);
  refuses(v.negative, (c) => decodeLicenseFile(c.text, parsePublicKey(c.publicKey)));
}

interface BlacklistVectors {
  vendorKey: VendorKeyRef;
  cases: (Named & {
    input: { document: BlacklistDocument; saltHex: string; ivHex: string };
    output: SealedOutput & { sequence: number };
  })[];
  negative: (Negative & { text: string })[];
}

function checkBlacklist(v: BlacklistVectors): void {
  const { signer, key } = vendorOf(v.vendorKey);
  for (const c of v.cases) {
    const doc = c.input.document;
    assert.equal(canonicalJson(doc), c.output.payload);
    const signing = documentSigningBytes('blacklist', key, doc);
    assert.equal(hex(signing), c.output.signingBytesHex);
    assert.equal(hex(signing), hex(concatBytes(utf8('lictor/v1/blacklist\0'), key.keyId, utf8(c.output.payload))));
    assert.equal(hex(signer.sign(signing)), c.output.signatureHex);
    assert.equal(hex(hkdf(key.raw, bytes(c.input.saltHex), 'lictor/v1/blacklist', 32)), c.output.aesKeyHex);
    assert.equal(sealDocument('blacklist', doc, signer, doc, fixed(c.input.saltHex, c.input.ivHex)), c.output.text);
    const decoded = decodeBlacklist(c.output.text, key);
    assert.deepEqual([...decoded.serials], doc.serials);
    assert.deepEqual([...decoded.activations], doc.activations);
    assert.equal(decoded.issuedAt, doc.issuedAt);
    assert.equal(decoded.sequence, c.output.sequence, c.name);
    assert.equal(c.output.sequence, doc.sequence ?? 0, `${c.name}: a list without a sequence is at 0`);
  }
  refuses(v.negative, (c) => decodeBlacklist(c.text, key));
}

interface PinCheck {
  pin: string;
  proves: boolean;
}

interface RequestFileVectors {
  cases: (Named & {
    input: { fields: RequestFields; pin: string };
    output: {
      pinKey: string;
      pinTagInput: string;
      pinTag: string;
      proofInput: string;
      proof: string;
      document: unknown;
      payload: string;
      checksumHex: string;
      text: string;
    };
    pinChecks: PinCheck[];
  })[];
  beforeTags: Named & {
    input: { document: RequestDocument; pin: string };
    output: { proofInput: string; text: string };
    pinChecks: PinCheck[];
  };
  negative: (Negative & { text: string })[];
}

function checkRequestFile(v: RequestFileVectors): void {
  for (const c of v.cases) {
    const o = c.output;
    const doc = createRequest(c.input.fields, c.input.pin);
    assert.equal(canonicalJson(doc), canonicalJson(o.document), c.name);
    assert.equal(normalizePin(c.input.pin), o.pinKey);
    assert.equal(o.pinTagInput, `lictor/v1/pin-tag\0${normalizeSerial(c.input.fields.serial)}`);
    assert.equal(hex(hmacSha256(utf8(o.pinKey), utf8(o.pinTagInput)).subarray(0, 6)), o.pinTag, c.name);
    assert.equal(pinTag(c.input.fields.serial, c.input.pin), o.pinTag, c.name);
    assert.equal(doc.pinTag, o.pinTag, c.name);
    const { format: _f, proof: _p, ...covered } = doc;
    assert.equal(`lictor/v1/request-proof\0${canonicalJson(covered)}`, o.proofInput, c.name);
    assert.equal(toBase64Url(hmacSha256(utf8(o.pinKey), utf8(o.proofInput))), o.proof, c.name);
    assert.equal(doc.proof, o.proof, c.name);
    assert.equal(canonicalJson(doc), o.payload, c.name);
    assert.equal(hex(sha256(utf8(o.payload)).subarray(0, 8)), o.checksumHex, c.name);
    const binary = concatBytes(utf8('LCTR'), Uint8Array.of(1, 3), bytes(o.checksumHex), utf8(o.payload));
    assert.equal(hex(unarmor(o.text)), hex(binary), c.name);
    assert.equal(encodeRequestFile(doc), o.text, c.name);
    const decoded = decodeRequestFile(o.text);
    assert.equal(canonicalJson(decoded), o.payload, c.name);
    for (const p of c.pinChecks) assert.equal(requestProvesPin(decoded, p.pin), p.proves, `${c.name}: PIN ${p.pin}`);
  }
  const b = v.beforeTags;
  const { format: _f, proof: _p, ...covered } = b.input.document;
  assert.equal('pinTag' in b.input.document, false, b.name);
  assert.equal(`lictor/v1/request-proof\0${canonicalJson(covered)}`, b.output.proofInput, b.name);
  const proof = toBase64Url(hmacSha256(utf8(normalizePin(b.input.pin)), utf8(b.output.proofInput)));
  assert.equal(proof, b.input.document.proof, b.name);
  assert.equal(encodeRequestFile(b.input.document), b.output.text, b.name);
  const decoded = decodeRequestFile(b.output.text);
  assert.deepEqual(decoded, b.input.document, b.name);
  for (const p of b.pinChecks) assert.equal(requestProvesPin(decoded, p.pin), p.proves, `${b.name}: PIN ${p.pin}`);
  refuses(v.negative, (c) => decodeRequestFile(c.text));
}

interface CodeRequestInput {
  serial: string;
  nonceHex: string;
  createdAt: string;
  owner: Owner;
  hardware: HardwareParams;
  containerKeys?: ContainerKeys;
  pin: string;
}

function requestCode(i: CodeRequestInput): Uint8Array {
  return createRequestCode(
    {
      serial: i.serial,
      nonce: bytes(i.nonceHex),
      createdAt: new Date(i.createdAt),
      owner: i.owner,
      hardware: i.hardware,
      ...(i.containerKeys ? { containerKeys: i.containerKeys } : {}),
    },
    i.pin,
  );
}

interface ParsedRequestCode {
  serial: string;
  nonce: string;
  createdAt: string;
  subject: string;
  pinTagPrefix: string | null;
}

/** A parsed request code as the vectors write it (the proof apart, no prefix as `null`). */
function parsedView(bytesIn: Uint8Array): ParsedRequestCode {
  const p = parseRequestCode(bytesIn);
  return {
    serial: p.serial,
    nonce: p.nonce,
    createdAt: p.createdAt,
    subject: p.subject,
    pinTagPrefix: p.pinTagPrefix ?? null,
  };
}

interface RequestCodeVectors {
  cases: (Named & {
    input: CodeRequestInput;
    output: {
      subject: string;
      day: number;
      bodyHex: string;
      pinTag: string;
      proofInputHex: string;
      macHex: string;
      proofHex: string;
      bytesHex: string;
      code: string;
      parsed: ParsedRequestCode;
    };
    pinChecks: PinCheck[];
  })[];
  beforeTags: Named & {
    input: { bodyHex: string; pin: string };
    output: { proofInputHex: string; proofHex: string; bytesHex: string; code: string; parsed: ParsedRequestCode };
    pinChecks: PinCheck[];
  };
  negative: (Negative & { code: string })[];
  encodeRefusals: (Negative & { input: CodeRequestInput })[];
}

/** The 60 bits of a serial number's 12 Crockford characters. */
function serialBits(serial: string): bigint {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let n = 0n;
  for (const ch of serial.slice(3).replaceAll('-', '')) n = (n << 5n) | BigInt(alphabet.indexOf(ch));
  return n;
}

function checkRequestCode(v: RequestCodeVectors): void {
  for (const c of v.cases) {
    const o = c.output;
    const i = c.input;
    assert.equal(subjectDigest(i.owner, i.hardware, i.containerKeys), o.subject, c.name);
    assert.equal(Math.floor((Date.parse(i.createdAt) - CODE_EPOCH_MS) / 86_400_000), o.day, c.name);
    const body = concatBytes(
      Uint8Array.of(0x12),
      uintBytes(serialBits(normalizeSerial(i.serial)), 8),
      bytes(i.nonceHex),
      uintBytes(o.day, 2),
      fromBase64Url(o.subject) as Uint8Array,
    );
    assert.equal(hex(body), o.bodyHex, c.name);
    assert.equal(pinTag(i.serial, i.pin), o.pinTag, c.name);
    assert.equal(hex(concatBytes(utf8('lictor/v1/request-code-proof\0'), body)), o.proofInputHex, c.name);
    assert.equal(hex(hmacSha256(utf8(normalizePin(i.pin)), bytes(o.proofInputHex)).subarray(0, 4)), o.macHex);
    // The proof: the first 16 bits of the PIN tag, then 32 bits of the MAC.
    assert.equal(o.proofHex, o.pinTag.slice(0, 4) + o.macHex, c.name);
    const made = requestCode(i);
    assert.equal(hex(made), o.bytesHex, c.name);
    assert.equal(o.bytesHex, o.bodyHex + o.proofHex);
    assert.equal(encodeShortCode(made), o.code, c.name);
    const decoded = decodeShortCode(o.code);
    assert.deepEqual(parsedView(decoded), o.parsed, c.name);
    assert.equal(o.parsed.pinTagPrefix, o.pinTag.slice(0, 4), c.name);
    assert.equal(hex(parseRequestCode(decoded).proof), o.proofHex);
    for (const p of c.pinChecks) assert.equal(requestCodeProvesPin(made, p.pin), p.proves, `${c.name}: PIN ${p.pin}`);
  }
  const b = v.beforeTags;
  assert.equal(b.input.bodyHex.slice(0, 2), '11', b.name);
  assert.equal(
    hex(concatBytes(utf8('lictor/v1/request-code-proof\0'), bytes(b.input.bodyHex))),
    b.output.proofInputHex,
  );
  const mac = hmacSha256(utf8(normalizePin(b.input.pin)), bytes(b.output.proofInputHex));
  assert.equal(hex(mac.subarray(0, 6)), b.output.proofHex, b.name);
  assert.equal(b.output.bytesHex, b.input.bodyHex + b.output.proofHex, b.name);
  assert.equal(encodeShortCode(bytes(b.output.bytesHex)), b.output.code, b.name);
  assert.deepEqual(parsedView(decodeShortCode(b.output.code)), b.output.parsed, b.name);
  assert.equal(b.output.parsed.pinTagPrefix, null, b.name);
  for (const p of b.pinChecks) {
    assert.equal(requestCodeProvesPin(bytes(b.output.bytesHex), p.pin), p.proves, `${b.name}: PIN ${p.pin}`);
  }
  refuses(v.negative, (c) => parseRequestCode(decodeShortCode(c.code)));
  refuses(v.encodeRefusals, (c) => requestCode(c.input));
}

interface Pending {
  serial: string;
  owner: Owner;
  hardware: HardwareParams;
  nonce: string;
  containerKeys?: ContainerKeys;
}

interface AnswerCodeVectors {
  vendorKey: VendorKeyRef;
  cases: (Named & {
    input: { pending: Pending; answer: Omit<AnswerCode, 'signature'> };
    output: {
      document: string;
      subject: string;
      signedView: string;
      signingBytesHex: string;
      signatureHex: string;
      bytesHex: string;
      code: string;
    };
  })[];
  negative: (Negative & { code: string; pending?: Pending })[];
  encodeRefusals: (Negative & { answer: Omit<AnswerCode, 'signature'> })[];
}

function checkAnswerCode(v: AnswerCodeVectors): void {
  const { signer, key } = vendorOf(v.vendorKey);
  for (const c of v.cases) {
    const o = c.output;
    const { pending, answer } = c.input;
    const unsigned = licenseFromAnswer({ ...answer, signature: new Uint8Array(64) }, pending);
    assert.equal(canonicalJson(unsigned), o.document, c.name);
    assert.equal(documentSubject(unsigned), o.subject, c.name);
    assert.equal(subjectDigest(pending.owner, pending.hardware, pending.containerKeys), o.subject, c.name);
    assert.equal(canonicalJson(licenseSignedView(unsigned)), o.signedView, c.name);
    // The center signs without seeing owner or hardware: only the subject digest from the request code.
    const blind = {
      ...unsigned,
      owner: {},
      binding: { kind: 'hardware' as const, hardware: normalizeHardware(pending.hardware) },
    };
    assert.equal(hex(licenseSigningBytes(blind, key, o.subject)), o.signingBytesHex, c.name);
    assert.equal(hex(licenseSigningBytes(unsigned, key)), o.signingBytesHex, c.name);
    assert.equal(hex(signer.sign(bytes(o.signingBytesHex))), o.signatureHex, c.name);
    const encoded = encodeAnswerCode({ ...answer, signature: bytes(o.signatureHex) });
    assert.equal(hex(encoded), o.bytesHex, c.name);
    assert.equal(encodeShortCode(encoded), o.code, c.name);
    const parsed = parseAnswerCode(decodeShortCode(o.code));
    assert.equal(
      canonicalJson({ ...parsed, signature: hex(parsed.signature) }),
      canonicalJson({ ...answer, signature: o.signatureHex }),
    );
    // What the requesting computer writes: a license file whose signature is the code's.
    const file = licenseFileFromSignature(licenseFromAnswer(parsed, pending), parsed.signature, key);
    assert.equal(canonicalJson(decodeLicenseFile(file, key)), o.document, c.name);
  }
  refuses(v.negative, (c) => {
    const parsed = parseAnswerCode(decodeShortCode(c.code));
    const pending = c.pending ?? (v.cases[0]?.input.pending as Pending);
    return licenseFileFromSignature(licenseFromAnswer(parsed, pending), parsed.signature, key);
  });
  refuses(v.encodeRefusals, (c) => encodeAnswerCode({ ...c.answer, signature: new Uint8Array(64) }));
}

interface UpgradeQuestionVectors {
  vendorKey: VendorKeyRef;
  container: ContainerRef;
  cases: (Named & {
    input: { license: string; nonce: string; createdAt: string };
    output: {
      signingInput: string;
      signatureHex: string;
      question: UpgradeQuestion;
      payload: string;
      checksumHex: string;
      text: string;
    };
  })[];
  negative: (Negative & { publicKey: string; text: string })[];
}

function checkUpgradeQuestion(v: UpgradeQuestionVectors): void {
  const { key } = vendorOf(v.vendorKey);
  const { signPem } = containerOf(v.container);
  for (const c of v.cases) {
    const o = c.output;
    const doc = decodeLicenseFile(c.input.license, key);
    const q = createUpgradeQuestion({ ...c.input, doc }, signPem);
    const { signature: _s, ...body } = q;
    assert.equal(`lictor/v1/upgrade-question\0${canonicalJson(body)}`, o.signingInput, c.name);
    assert.equal(hex(fromBase64Url(q.signature) as Uint8Array), o.signatureHex, c.name);
    assert.ok(containerVerify(v.container.public.sign, utf8(o.signingInput), bytes(o.signatureHex)));
    assert.deepEqual(q, o.question, c.name);
    assert.equal(canonicalJson(q), o.payload);
    assert.equal(hex(sha256(utf8(o.payload)).subarray(0, 8)), o.checksumHex);
    assert.equal(
      hex(unarmor(o.text)),
      hex(concatBytes(utf8('LCTR'), Uint8Array.of(1, 4), bytes(o.checksumHex), utf8(o.payload))),
    );
    assert.equal(encodeQuestionFile(q), o.text, c.name);
    assert.deepEqual(verifyUpgradeQuestion(decodeQuestionFile(o.text), key), doc, c.name);
  }
  refuses(v.negative, (c) => verifyUpgradeQuestion(decodeQuestionFile(c.text), parsePublicKey(c.publicKey)));
}

interface UpgradeAnswerVectors {
  vendorKey: VendorKeyRef;
  container: ContainerRef;
  seal: Named & {
    input: { secretHex: string; boxPublic: string; context: string; ephemeralScalarHex: string; ivHex: string };
    output: { ephemeralPublic: string; sharedHex: string; hkdfInfo: string; aesKeyHex: string; confirm: string };
  };
  license: LicenseCase;
  sealNegative: (Named & { boxScalarHex: string; context: string; confirm: string; opens: false })[];
}

function checkUpgradeAnswer(v: UpgradeAnswerVectors): void {
  const { signer, key } = vendorOf(v.vendorKey);
  const { boxPrivate } = containerOf(v.container);
  const { input: i, output: o } = v.seal;
  assert.equal(i.boxPublic, v.container.public.box);
  assert.equal(x25519Public(i.ephemeralScalarHex), o.ephemeralPublic);
  assert.equal(hex(x25519Shared(i.ephemeralScalarHex, i.boxPublic)), o.sharedHex);
  assert.equal(hex(x25519Shared(v.container.boxScalarHex, o.ephemeralPublic)), o.sharedHex);
  assert.equal(o.hkdfInfo, `lictor/v1/seal/${i.context}`);
  const ephPublic = fromBase64Url(o.ephemeralPublic) as Uint8Array;
  assert.equal(hex(hkdf(bytes(o.sharedHex), ephPublic, o.hkdfInfo, 32)), o.aesKeyHex);
  const sealed = aesGcmSeal(bytes(o.aesKeyHex), bytes(i.ivHex), bytes(i.secretHex), utf8(i.context));
  assert.equal(o.confirm, toBase64Url(concatBytes(ephPublic, bytes(i.ivHex), sealed)));
  const random = fixed(i.ephemeralScalarHex, i.ivHex);
  assert.equal(sealToContainer(i.boxPublic, bytes(i.secretHex), i.context, random), o.confirm);
  assert.equal(hex(openFromContainer(boxPrivate, o.confirm, i.context) ?? new Uint8Array()), i.secretHex);
  const doc = v.license.input.document;
  assert.equal(doc.upgrade?.confirm, o.confirm, 'the upgraded license carries the sealed secret');
  checkLicenseCase(v.license, signer, key);
  for (const n of v.sealNegative) {
    assert.equal(openFromContainer(toBase64Url(bytes(n.boxScalarHex)), n.confirm, n.context), null, n.name);
  }
}

interface ConfirmationInput {
  containerId: string;
  counter: number;
  nonce: string;
  secretHex: string;
}

interface ConfirmationVectors {
  cases: (Named & {
    input: ConfirmationInput;
    output: { tagInput: string; tagHex: string; macInput: string; macHex: string; bytesHex: string; code: string };
  })[];
  negative: (Negative & { code: string })[];
  mismatch: (Named & { code: string; expected: ConfirmationInput; matches: false })[];
}

function checkConfirmation(v: ConfirmationVectors): void {
  const expectation = (i: ConfirmationInput) => ({ ...i, secret: bytes(i.secretHex) });
  for (const c of v.cases) {
    const { input: i, output: o } = c;
    assert.equal(o.tagInput, `lictor/v1/container\0${i.containerId}`);
    assert.equal(hex(sha256(utf8(o.tagInput)).subarray(0, 8)), o.tagHex, c.name);
    assert.equal(containerTag(i.containerId), o.tagHex, c.name);
    const { secretHex: _s, ...macFields } = i;
    assert.equal(`lictor/v1/confirm\0${canonicalJson(macFields)}`, o.macInput, c.name);
    assert.equal(hex(hmacSha256(bytes(i.secretHex), utf8(o.macInput)).subarray(0, 8)), o.macHex, c.name);
    assert.equal(o.bytesHex, `31${o.tagHex}${hex(uintBytes(i.counter, 4))}${o.macHex}`, c.name);
    assert.equal(createConfirmationCode(expectation(i)), o.code, c.name);
    assert.equal(encodeShortCode(bytes(o.bytesHex)), o.code, c.name);
    const parsed = parseConfirmationCode(o.code);
    assert.deepEqual(
      { tag: parsed.tag, counter: parsed.counter, mac: hex(parsed.mac) },
      { tag: o.tagHex, counter: i.counter, mac: o.macHex },
    );
    assert.ok(confirmationMatches(parsed, expectation(i)), c.name);
  }
  refuses(v.negative, (c) => parseConfirmationCode(c.code));
  for (const m of v.mismatch) {
    assert.equal(confirmationMatches(parseConfirmationCode(m.code), expectation(m.expected)), false, m.name);
  }
}

interface KeyFileVectors {
  cases: (Named & {
    input: { machineId: string; bindTo: string; privateKeys: { sign: string; box: string }; ivHex: string };
    output: {
      machineSecretHex: string;
      machineTag: string;
      sealingKeyHex: string;
      plaintext: string;
      fileText: string;
    };
  })[];
  negative: (Negative & { machineId: string; bindTo: string; fileText: string })[];
}

/** The key file's rules, as the specification states them (the SDK's `openKeys` checks the same vectors). */
function openKeyFile(fileText: string, machineId: string, bindTo: string): { sign: string; box: string } {
  const tampered = () => new LictorError('LICTOR_E_CONTAINER_TAMPERED', 'tampered');
  let file: { format?: unknown; machine?: unknown; iv?: unknown; sealed?: unknown };
  try {
    file = JSON.parse(fileText);
  } catch {
    throw tampered();
  }
  if (file.format !== 1 || typeof file.machine !== 'string') throw tampered();
  const secret = hmacSha256(utf8('lictor/v1/machine-secret'), utf8(machineId));
  const tag = hex(sha256(concatBytes(utf8('lictor/v1/machine-tag'), secret)).subarray(0, 8));
  if (file.machine !== tag) throw new LictorError('LICTOR_E_CONTAINER_MOVED', 'moved');
  const iv = typeof file.iv === 'string' ? fromBase64Url(file.iv) : null;
  const sealed = typeof file.sealed === 'string' ? fromBase64Url(file.sealed) : null;
  if (iv === null || iv.length !== 12 || sealed === null) throw tampered();
  const key = hkdf(secret, utf8(bindTo), 'lictor/v1/container-key', 32);
  const plain = aesGcmOpen(key, iv, sealed, utf8(bindTo));
  if (plain === null) throw tampered();
  return JSON.parse(text(plain));
}

function checkKeyFile(v: KeyFileVectors): void {
  for (const c of v.cases) {
    const { input: i, output: o } = c;
    const secret = hmacSha256(utf8('lictor/v1/machine-secret'), utf8(i.machineId));
    assert.equal(hex(secret), o.machineSecretHex, c.name);
    assert.equal(hex(sha256(concatBytes(utf8('lictor/v1/machine-tag'), secret)).subarray(0, 8)), o.machineTag);
    const key = hkdf(secret, utf8(i.bindTo), 'lictor/v1/container-key', 32);
    assert.equal(hex(key), o.sealingKeyHex, c.name);
    assert.equal(JSON.stringify({ sign: i.privateKeys.sign, box: i.privateKeys.box }), o.plaintext);
    const sealed = aesGcmSeal(key, bytes(i.ivHex), utf8(o.plaintext), utf8(i.bindTo));
    const file = { format: 1, machine: o.machineTag, iv: toBase64Url(bytes(i.ivHex)), sealed: toBase64Url(sealed) };
    assert.equal(`${JSON.stringify(file)}\n`, o.fileText, c.name);
    assert.deepEqual(openKeyFile(o.fileText, i.machineId, i.bindTo), i.privateKeys, c.name);
  }
  refuses(v.negative, (c) => openKeyFile(c.fileText, c.machineId, c.bindTo));
}

interface TokenContainerVectors {
  containerKeys: Named & {
    input: {
      containerId: string;
      keys: { public: ContainerKeys; private: { sign: string; box: string } };
      container: ContainerRef;
    };
    output: { text: string };
  };
  dataObjects: {
    label: string;
    private: boolean;
    generation: number;
    payloadText: string;
    headerHex: string;
    valueHex: string;
  }[];
  damagedValues: (Named & { valueHex: string; whole: false })[];
  negative: (Negative & { text: string })[];
}

/** A token data object's value as the specification frames it; `null` when it is not whole. */
function readDataValue(value: Uint8Array): { generation: number; payload: Uint8Array } | null {
  if (value.length < 44 || text(value.subarray(0, 4)) !== 'LTD1') return null;
  const payload = value.subarray(44);
  if (hex(sha256(payload)) !== hex(value.subarray(12, 44))) return null;
  return { generation: Number(Buffer.from(value.subarray(4, 12)).readBigUInt64BE()), payload };
}

function checkTokenContainer(v: TokenContainerVectors): void {
  const k = v.containerKeys;
  const { signPem, boxPrivate } = containerOf(k.input.container);
  assert.deepEqual(k.input.keys.private, { sign: signPem, box: boxPrivate });
  assert.deepEqual(k.input.keys.public, k.input.container.public);
  assert.equal(text(encodeTokenContainerKeys(k.input.containerId, k.input.keys)), k.output.text);
  assert.deepEqual(decodeTokenContainerKeys(utf8(k.output.text)), {
    format: 1,
    containerId: k.input.containerId,
    ...k.input.keys,
  });
  for (const o of v.dataObjects) {
    const payload = utf8(o.payloadText);
    const value = concatBytes(utf8('LTD1'), uintBytes(o.generation, 8), sha256(payload), payload);
    assert.equal(hex(value), o.valueHex, o.label);
    assert.equal(hex(value.subarray(0, 44)), o.headerHex, o.label);
    const read = readDataValue(value);
    assert.equal(read?.generation, o.generation);
    assert.equal(text(read?.payload ?? new Uint8Array()), o.payloadText);
  }
  for (const d of v.damagedValues) assert.equal(readDataValue(bytes(d.valueHex)), null, d.name);
  refuses(v.negative, (c) => decodeTokenContainerKeys(utf8(c.text)));
}

interface TokenPresenceVectors {
  key: Named & {
    input: { scalarHex: string; pointHex: string };
    output: { spkiHex: string; text: string; fingerprint: string };
  };
  presence: Named & {
    input: { challengeHex: string; signatureHex: string };
    output: { messageHex: string; valid: true };
  };
  claim: Named & {
    input: { claim: TokenActivationClaim; signature: string };
    output: { message: string; valid: true };
  };
  invalidProofs: (Named & { challengeHex: string; signatureHex: string; valid: false })[];
  negative: (Negative & { pointHex: string })[];
  challengeRefusals: (Negative & { challengeHex: string })[];
}

function checkTokenPresence(v: TokenPresenceVectors): void {
  const k = v.key;
  const key = tokenPublicKeyFromPoint(bytes(k.input.pointHex));
  assert.equal(hex(key.der), k.output.spkiHex);
  assert.equal(hex(key.der.subarray(0, 26)), '3059301306072a8648ce3d020106082a8648ce3d030107034200');
  assert.equal(key.text, k.output.text);
  assert.equal(key.text, `lictor-p256:${toBase64Url(bytes(k.output.spkiHex))}`);
  assert.equal(key.fingerprint, k.output.fingerprint);
  assert.equal(hex(sha256(bytes(k.output.spkiHex)).subarray(0, 16)), k.output.fingerprint);
  assert.equal(parseTokenPublicKey(k.output.text).text, k.output.text);
  // The scalar is the private half of the point (a test key, given for other implementations).
  const priv = createPrivateKey({
    key: Buffer.from(
      concatBytes(
        bytes('30410201003013'),
        bytes('06072a8648ce3d020106082a8648ce3d030107'),
        bytes('042730250201010420'),
        bytes(k.input.scalarHex),
      ),
    ),
    format: 'der',
    type: 'pkcs8',
  });
  assert.equal(hex(createPublicKey(priv).export({ format: 'der', type: 'spki' })), k.output.spkiHex);
  const p = v.presence;
  const message = tokenPresenceMessage(bytes(p.input.challengeHex));
  assert.equal(hex(message), p.output.messageHex);
  assert.equal(hex(message), hex(concatBytes(utf8('lictor/v1/token-presence\0'), bytes(p.input.challengeHex))));
  assert.equal(verifyTokenPresence(key, bytes(p.input.challengeHex), bytes(p.input.signatureHex)), p.output.valid);
  const c = v.claim;
  assert.equal(text(tokenActivationMessage(c.input.claim)), c.output.message);
  const { serial, publicKey, token, createdAt, nonce } = c.input.claim;
  assert.equal(
    c.output.message,
    `lictor/v1/token-activation\0${canonicalJson({ serial, publicKey, token, createdAt, nonce })}`,
  );
  assert.equal(key.verify(utf8(c.output.message), fromBase64Url(c.input.signature) as Uint8Array), c.output.valid);
  for (const n of v.invalidProofs) {
    assert.equal(verifyTokenPresence(key, bytes(n.challengeHex), bytes(n.signatureHex)), n.valid, n.name);
  }
  refuses(v.negative, (n) => tokenPublicKeyFromPoint(bytes(n.pointHex)));
  refuses(v.challengeRefusals, (n) => tokenPresenceMessage(bytes(n.challengeHex)));
}

interface AnnouncementVectors {
  vendorKey: VendorKeyRef;
  container: ContainerRef;
  instances: {
    machineId: string;
    machineSecretHex: string;
    cases: (Named & { boot: string; input: string; instance: string })[];
  };
  cases: (Named & {
    input: { license: string; instance: string; seq: number };
    output: {
      license: Record<string, unknown>;
      vendorSignatureHex: string;
      subjectPrivate: string;
      signingInput: string;
      signatureHex: string;
      announcement: Announcement;
      wireText: string;
      verified: { serial: string; pin: number; activationId: string };
    };
  })[];
  cannotAnnounce: (Named & { license: string; credential: null })[];
  negative: (Negative & { publicKey: string; wireText: string })[];
}

function checkAnnouncement(v: AnnouncementVectors): void {
  const { key } = vendorOf(v.vendorKey);
  const { signPem } = containerOf(v.container);
  const secret = hmacSha256(utf8('lictor/v1/machine-secret'), utf8(v.instances.machineId));
  assert.equal(hex(secret), v.instances.machineSecretHex);
  for (const i of v.instances.cases) {
    assert.equal(i.input, `lictor/v1/instance\0${i.boot}`, i.name);
    assert.equal(toBase64Url(hmacSha256(secret, utf8(i.input)).subarray(0, 16)), i.instance, i.name);
  }
  for (const c of v.cases) {
    const o = c.output;
    // What the license file shows: its signed view (format 2 subject), the vendor's signature, the keys.
    const doc = decodeLicenseFile(c.input.license, key);
    const binding = doc.binding.kind === 'hardware' ? doc.binding.hardware : doc.binding;
    assert.equal(subjectPrivateDigest(doc.owner, binding), o.subjectPrivate, c.name);
    assert.equal(canonicalJson(o.license), canonicalJson(licenseSignedView(doc)), c.name);
    assert.ok(key.verify(documentSigningBytes('license', key, o.license), bytes(o.vendorSignatureHex)));
    const credential = announcementCredential(c.input.license, key);
    assert.deepEqual(
      credential,
      {
        license: o.license,
        vendorSignature: toBase64Url(bytes(o.vendorSignatureHex)),
        containerKeys: doc.containerKeys,
        subjectPrivate: o.subjectPrivate,
      },
      c.name,
    );
    const { instance, seq } = c.input;
    const a = createAnnouncement({ ...(credential as AnnouncementCredential), instance, seq }, signPem);
    const { signature: _s, ...body } = a;
    assert.equal(`lictor/v2/announcement\0${canonicalJson(body)}`, o.signingInput, c.name);
    assert.equal(hex(fromBase64Url(a.signature) as Uint8Array), o.signatureHex, c.name);
    assert.ok(containerVerify(v.container.public.sign, utf8(o.signingInput), bytes(o.signatureHex)));
    assert.deepEqual(a, o.announcement, c.name);
    assert.equal(text(encodeAnnouncement(a)), o.wireText, c.name);
    const verified = decodeAnnouncement(utf8(o.wireText), key);
    assert.deepEqual(
      { serial: verified.serial, pin: verified.pin, activationId: verified.activationId },
      o.verified,
      c.name,
    );
    // Nothing on the wire names the owner or the hardware.
    for (const secretValue of [
      ...Object.values(doc.owner),
      doc.binding.kind === 'hardware' && doc.binding.hardware.hostname,
    ]) {
      if (typeof secretValue === 'string') assert.ok(!o.wireText.includes(secretValue), `${c.name}: ${secretValue}`);
    }
  }
  for (const c of v.cannotAnnounce) assert.equal(announcementCredential(c.license, key), c.credential, c.name);
  refuses(v.negative, (c) => decodeAnnouncement(utf8(c.wireText), parsePublicKey(c.publicKey)));
}

interface EvidenceHead {
  format: number;
  serial: string;
  pin: number;
}

interface EvidenceVectors {
  vendorKey: VendorKeyRef;
  maxSpanMs: number;
  announcements: Announcement[];
  cases: (Named & {
    evidence: EvidenceHead;
    indexes: number[];
    output: { serial: string; pin: number; activations: string[]; instances: string[]; markFileText: string };
  })[];
  negative: (Negative & { evidence: EvidenceHead; indexes: number[] })[];
}

function checkEvidence(v: EvidenceVectors): void {
  const { key } = vendorOf(v.vendorKey);
  assert.equal(v.maxSpanMs, MAX_EVIDENCE_SPAN_MS);
  const evidenceOf = (head: EvidenceHead, indexes: number[]) => ({
    ...head,
    announcements: indexes.map((i) => v.announcements[i]),
  });
  for (const c of v.cases) {
    const e = evidenceOf(c.evidence, c.indexes);
    const verified = verifyDuplicateEvidence(e, key);
    const { markFileText, ...expected } = c.output;
    assert.deepEqual(
      { serial: verified.serial, pin: verified.pin, activations: verified.activations, instances: verified.instances },
      expected,
      c.name,
    );
    // What is proven is what the announcements' signed licenses say.
    const [a, b, a2] = c.indexes.map((i) => verifyAnnouncement(v.announcements[i], key));
    assert.equal(verified.serial, a?.serial);
    assert.equal(verified.pin, a?.pin);
    assert.deepEqual(verified.instances, [a?.announcement.instance, b?.announcement.instance]);
    assert.ok((a2?.announcement.seq ?? 0) - (a?.announcement.seq ?? 0) <= v.maxSpanMs);
    assert.equal(`${JSON.stringify(e, null, 2)}\n`, markFileText, c.name);
  }
  refuses(v.negative, (c) => verifyDuplicateEvidence(evidenceOf(c.evidence, c.indexes), key));
}

interface SignedTimeVectors {
  vendorKey: VendorKeyRef;
  otherVendorKey: VendorKeyRef;
  header: string;
  cases: (Named & {
    input: { nowMs: number; nonce: string };
    output: {
      time: string;
      signedBytesHex: string;
      signatureHex: string;
      signedTime: SignedTime;
      headerValue: string;
      ms: number;
    };
  })[];
  nonces: (Named & { nonce: string; valid: boolean })[];
  negative: (Negative & { publicKey: string; nonce: string; value: unknown })[];
}

function checkSignedTime(v: SignedTimeVectors): void {
  const { signer, key } = vendorOf(v.vendorKey);
  vendorOf(v.otherVendorKey);
  assert.equal(v.header, TIME_HEADER);
  for (const c of v.cases) {
    const { input: i, output: o } = c;
    assert.equal(o.time, new Date(i.nowMs).toISOString(), c.name);
    const signed = concatBytes(
      utf8('lictor/v1/server-time\0'),
      key.keyId,
      utf8(canonicalJson({ nonce: i.nonce, time: o.time })),
    );
    assert.equal(hex(signed), o.signedBytesHex, c.name);
    assert.equal(hex(signer.sign(signed)), o.signatureHex, c.name);
    const made = signServerTime(signer, i.nowMs, i.nonce);
    assert.deepEqual(made, o.signedTime, c.name);
    assert.deepEqual(made, { time: o.time, nonce: i.nonce, signature: toBase64Url(bytes(o.signatureHex)) });
    assert.equal(JSON.stringify(made), o.headerValue, c.name);
    assert.equal(verifyServerTime(JSON.parse(o.headerValue), key, i.nonce), o.ms, c.name);
    assert.equal(o.ms, i.nowMs, c.name);
    assert.ok(isTimeNonce(i.nonce), c.name);
  }
  for (const n of v.nonces) assert.equal(isTimeNonce(n.nonce), n.valid, n.name);
  refuses(v.negative, (c) => verifyServerTime(c.value, parsePublicKey(c.publicKey), c.nonce));
}

interface MarkRead {
  state: 'valid' | 'tampered';
  markMs?: number;
  serverMs: number | null;
}

interface ClockMarkVectors {
  vendorKey: VendorKeyRef;
  fileName: string;
  machineSecretHex: string;
  cases: (Named & {
    input: { machineId: string; body: { markMs: number; server?: SignedTime } };
    output: { keyHex: string; macInput: string; macHex: string; fileText: string };
    read: MarkRead;
  })[];
  reads: (Named & { machineId: string; fileText: string; read: MarkRead })[];
}

/** The key that seals the SDK's state files of `kind` on a computer. */
function stateKey(machineId: string, kind: string): Uint8Array {
  const secret = hmacSha256(utf8('lictor/v1/machine-secret'), utf8(machineId));
  return hkdf(secret, new Uint8Array(0), `lictor/v1/state/${kind}`, 32);
}

/**
 * A clock mark file read by the rules of the specification (the SDK's `readMark` checks the same
 * vectors): a seal that does not verify is `tampered`, and only a center time whose vendor
 * signature verifies is taken from it.
 */
function readClockMark(fileText: string, machineId: string, key: VendorPublicKey): MarkRead {
  const serverMsOf = (body: Record<string, unknown> | undefined): number | null => {
    const server = body?.server as { nonce?: unknown } | undefined;
    if (typeof server?.nonce !== 'string') return null;
    try {
      return verifyServerTime(server, key, server.nonce);
    } catch {
      return null;
    }
  };
  let file: { format?: unknown; kind?: unknown; body?: unknown; mac?: unknown };
  try {
    file = JSON.parse(fileText);
  } catch {
    return { state: 'tampered', serverMs: null };
  }
  const body = typeof file.body === 'object' && file.body !== null ? (file.body as Record<string, unknown>) : undefined;
  const mac = typeof file.mac === 'string' ? fromBase64Url(file.mac) : null;
  if (body === undefined || file.format !== 1 || file.kind !== 'clock' || mac === null) {
    return { state: 'tampered', serverMs: serverMsOf(body) };
  }
  let expected: Uint8Array;
  try {
    expected = hmacSha256(stateKey(machineId, 'clock'), utf8(canonicalJson({ kind: 'clock', body })));
  } catch {
    return { state: 'tampered', serverMs: serverMsOf(body) };
  }
  if (hex(expected) !== hex(mac)) return { state: 'tampered', serverMs: serverMsOf(body) };
  return {
    state: 'valid',
    ...(Number.isSafeInteger(body.markMs) ? { markMs: body.markMs as number } : {}),
    serverMs: serverMsOf(body),
  };
}

function checkClockMark(v: ClockMarkVectors): void {
  const { key } = vendorOf(v.vendorKey);
  assert.equal(v.fileName, 'lictor-clock.json');
  for (const c of v.cases) {
    const { input: i, output: o } = c;
    const secret = hmacSha256(utf8('lictor/v1/machine-secret'), utf8(i.machineId));
    assert.equal(hex(secret), v.machineSecretHex);
    assert.equal(hex(stateKey(i.machineId, 'clock')), o.keyHex, c.name);
    assert.equal(canonicalJson({ kind: 'clock', body: i.body }), o.macInput, c.name);
    assert.equal(hex(hmacSha256(bytes(o.keyHex), utf8(o.macInput))), o.macHex, c.name);
    const file = { format: 1, kind: 'clock', body: i.body, mac: toBase64Url(bytes(o.macHex)) };
    assert.equal(`${JSON.stringify(file, null, 2)}\n`, o.fileText, c.name);
    assert.deepEqual(readClockMark(o.fileText, i.machineId, key), c.read, c.name);
  }
  assert.ok(v.reads.length > 0);
  for (const r of v.reads) assert.deepEqual(readClockMark(r.fileText, r.machineId, key), r.read, r.name);
}

interface DiscoveryVectors {
  probe: Named & { nonceHex: string; packetHex: string };
  answers: (Named & { announcement: DiscoveryAnnouncement; nonceHex: string; packetHex: string })[];
  tolerant: (Named & { packetHex: string; announcement: DiscoveryAnnouncement })[];
  probeFaults: (Named & { packetHex: string; fault: string })[];
  answerFaults: (Named & { packetHex: string; fault: string })[];
  encodeRefusals: (Negative & { nonceHex: string; announcement: DiscoveryAnnouncement })[];
}

function checkDiscovery(v: DiscoveryVectors): void {
  const probe = encodeDiscoveryProbe(bytes(v.probe.nonceHex));
  assert.equal(hex(probe), v.probe.packetHex);
  assert.equal(hex(probe), `4c4354520101${v.probe.nonceHex}${'00'.repeat(512 - 22)}`);
  const decodedProbe = decodeDiscoveryProbe(probe);
  assert.ok(decodedProbe.ok && hex(decodedProbe.nonce) === v.probe.nonceHex);
  for (const a of v.answers) {
    const packet = encodeDiscoveryAnswer(bytes(a.nonceHex), a.announcement);
    assert.equal(hex(packet), a.packetHex, a.name);
    assert.equal(hex(packet), `4c4354520102${a.nonceHex}${hex(utf8(JSON.stringify(a.announcement)))}`, a.name);
    const decoded = decodeDiscoveryAnswer(packet);
    assert.ok(decoded.ok, a.name);
    assert.deepEqual(decoded.announcement, a.announcement, a.name);
    assert.equal(hex(decoded.nonce), a.nonceHex);
  }
  for (const t of v.tolerant) {
    const decoded = decodeDiscoveryAnswer(bytes(t.packetHex));
    assert.ok(decoded.ok, t.name);
    assert.deepEqual(decoded.announcement, t.announcement, t.name);
  }
  for (const f of v.probeFaults) {
    assert.deepEqual(decodeDiscoveryProbe(bytes(f.packetHex)), { ok: false, fault: f.fault }, f.name);
  }
  for (const f of v.answerFaults) {
    assert.deepEqual(decodeDiscoveryAnswer(bytes(f.packetHex)), { ok: false, fault: f.fault }, f.name);
  }
  refuses(v.encodeRefusals, (r) => encodeDiscoveryAnswer(bytes(r.nonceHex), r.announcement));
}

interface AnswerCase extends Named {
  purpose: RuntimeAnswerPurpose;
  nonce: string;
  product: string;
  feature: string | null;
  nowMs: number;
  response: Record<string, unknown>;
}

interface SignedAnswerVectors {
  domain: string;
  vendorKey: VendorKeyRef;
  otherVendorKey: VendorKeyRef;
  container: ContainerRef;
  license: { containerId: string; text: string };
  signatures: (Named & {
    input: { purpose: string; container: string; nonce: string; answer: unknown };
    output: { statement: string; signingBytesHex: string; signatureHex: string; proof: AnswerProof };
  })[];
  accepted: (AnswerCase & { answer: unknown })[];
  negative: (AnswerCase & Negative & { reason: string })[];
  session: {
    context: string;
    secretHex: string;
    ephemeralScalarHex: string;
    ivHex: string;
    sealed: string;
    id: string;
    header: string;
    mac: { purpose: string; nonce: string; answer: unknown; macInput: string; macHex: string; proof: unknown };
  };
  runtimeSession: {
    description: string;
    secretHex: string;
    header: string;
    accepted: (AnswerCase & { answer: unknown; macInput: string; macHex: string })[];
    negative: (AnswerCase & Negative & { reason: string; sessionNamed: boolean })[];
  };
  nonces: (Named & { nonce: string; valid: boolean })[];
}

function checkSignedAnswer(v: SignedAnswerVectors): void {
  const { key } = vendorOf(v.vendorKey);
  vendorOf(v.otherVendorKey);
  const { signPem, boxPrivate } = containerOf(v.container);
  assert.equal(v.domain, ANSWER_PROOF_DOMAIN);
  assert.equal(v.domain, 'lictor/v1/signed-answer');
  const doc = decodeLicenseFile(v.license.text, key);
  assert.equal(doc.containerId, v.license.containerId);
  assert.deepEqual(doc.containerKeys, v.container.public);
  const sign = loadContainerSigner(signPem);
  for (const c of v.signatures) {
    const { input: i, output: o } = c;
    // The statement by hand: canonical JSON of the four members, keys in order.
    const statement = `{"answer":${canonicalJson(i.answer)},"container":${JSON.stringify(i.container)},"nonce":${JSON.stringify(i.nonce)},"purpose":${JSON.stringify(i.purpose)}}`;
    assert.equal(statement, o.statement, c.name);
    assert.equal(canonicalJson(JSON.parse(statement)), statement, c.name);
    assert.equal(answerStatement(i.purpose, i.container, i.nonce, i.answer), o.statement, c.name);
    const signing = concatBytes(utf8(v.domain), Uint8Array.of(0), utf8(o.statement));
    assert.equal(hex(signing), o.signingBytesHex, c.name);
    assert.equal(hex(answerSigningBytes(i.purpose, i.container, i.nonce, i.answer)), o.signingBytesHex, c.name);
    assert.equal(hex(sign(signing)), o.signatureHex, c.name); // Ed25519 is deterministic
    assert.ok(containerVerify(v.container.public.sign, signing, bytes(o.signatureHex)), c.name);
    assert.deepEqual(o.proof, {
      license: v.license.text,
      key: 'container',
      signature: toBase64Url(bytes(o.signatureHex)),
    });
    const answerKey = { license: v.license.text, containerId: i.container, sign };
    assert.deepEqual(signAnswer(answerKey, i.purpose, i.nonce, i.answer), o.proof, c.name);
  }
  for (const c of v.accepted) {
    const verified = verifyRuntimeAnswer({
      publicKey: key,
      nonce: c.nonce,
      purpose: c.purpose,
      answer: c.response,
      product: c.product,
      feature: c.feature,
      now: c.nowMs,
    });
    assert.deepEqual(verified.answer, c.answer, c.name);
    // As a client in another language verifies: Ed25519 over domain, NUL, the signed text as received.
    const proof = c.response.proof as { license: string; signature: string; signed: string };
    const license = decodeLicenseFile(proof.license, key);
    const signed = concatBytes(utf8(v.domain), Uint8Array.of(0), utf8(proof.signed));
    assert.ok(
      containerVerify(license.containerKeys?.sign as string, signed, fromBase64Url(proof.signature) as Uint8Array),
      c.name,
    );
    const statement = JSON.parse(proof.signed) as {
      answer: unknown;
      container: string;
      nonce: string;
      purpose: string;
    };
    assert.deepEqual(
      [statement.container, statement.nonce, statement.purpose],
      [license.containerId, c.nonce, c.purpose],
    );
    assert.deepEqual(statement.answer, c.answer, c.name);
  }
  for (const c of v.negative) {
    const err = assertCode(
      () =>
        verifyRuntimeAnswer({
          publicKey: key,
          nonce: c.nonce,
          purpose: c.purpose,
          answer: c.response,
          product: c.product,
          feature: c.feature,
          now: c.nowMs,
        }),
      c.error,
      c.name,
    );
    assert.equal(err.details?.reason, c.reason, c.name);
  }
  assert.ok(v.negative.length > 0);
  const s = v.session;
  const sealed = sealToContainer(
    v.container.public.box,
    bytes(s.secretHex),
    s.context,
    fixed(s.ephemeralScalarHex, s.ivHex),
  );
  assert.equal(sealed, s.sealed);
  assert.equal(hex(answerSessionOpener(boxPrivate)(s.sealed) as Uint8Array), s.secretHex);
  assert.equal(toBase64Url(sha256(utf8(s.sealed)).subarray(0, 16)), s.id);
  assert.equal(answerSessionId(s.sealed), s.id);
  assert.equal(s.header, `${s.id}.${s.sealed}`);
  const m = s.mac;
  assert.equal(m.macInput, `${v.domain}\0${answerStatement(m.purpose, v.license.containerId, m.nonce, m.answer)}`);
  assert.equal(hex(hmacSha256(bytes(s.secretHex), utf8(m.macInput))), m.macHex);
  assert.deepEqual(macAnswer(bytes(s.secretHex), m.purpose, v.license.containerId, m.nonce, m.answer), m.proof);
  assert.ok(answerMacValid(bytes(s.secretHex), v.license.containerId, m.proof, m.purpose, m.nonce, m.answer));
  // The runtime's answers within that session: `{ key: 'session', mac, signed }`.
  const r = v.runtimeSession;
  assert.equal(r.secretHex, s.secretHex);
  assert.equal(r.header, s.header);
  const session = { secret: bytes(r.secretHex), license: doc };
  for (const c of r.accepted) {
    const proof = c.response.proof as { key: string; mac: string; signed: string };
    assert.deepEqual(Object.keys(proof), ['key', 'mac', 'signed'], c.name);
    // As a client in another language verifies: HMAC over domain, NUL, the statement as received.
    assert.equal(c.macInput, `${v.domain}\0${proof.signed}`, c.name);
    assert.equal(hex(hmacSha256(bytes(r.secretHex), utf8(c.macInput))), c.macHex, c.name);
    assert.equal(proof.mac, toBase64Url(bytes(c.macHex)), c.name);
    const statement = JSON.parse(proof.signed) as {
      answer: unknown;
      container: string;
      nonce: string;
      purpose: string;
    };
    assert.deepEqual([statement.container, statement.nonce, statement.purpose], [doc.containerId, c.nonce, c.purpose]);
    assert.deepEqual(statement.answer, c.answer, c.name);
    const verified = verifyRuntimeAnswer({
      publicKey: key,
      nonce: c.nonce,
      purpose: c.purpose,
      answer: c.response,
      product: c.product,
      feature: c.feature,
      now: c.nowMs,
      session,
    });
    assert.deepEqual(verified.answer, c.answer, c.name);
    assert.equal(verified.key, 'session', c.name);
    assert.equal(verified.license, doc, c.name);
  }
  assert.ok(r.accepted.length >= 2);
  for (const c of r.negative) {
    const err = assertCode(
      () =>
        verifyRuntimeAnswer({
          publicKey: key,
          nonce: c.nonce,
          purpose: c.purpose,
          answer: c.response,
          product: c.product,
          feature: c.feature,
          now: c.nowMs,
          ...(c.sessionNamed ? { session } : {}),
        }),
      c.error,
      c.name,
    );
    assert.equal(err.details?.reason, c.reason, c.name);
  }
  assert.ok(r.negative.some((c) => !c.sessionNamed));
  for (const n of v.nonces) assert.equal(isAnswerNonce(n.nonce), n.valid, n.name);
}

const REPO_ROOT = new URL('../../../', import.meta.url);

/** GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces as dashes. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** A vector file names the page (and section) of `docs/spec/` that specifies it: both must exist. */
function assertSpecLink(link: string, file: string): void {
  const m = /^(docs\/spec\/[A-Za-z-]+\.md)(?:#([a-z0-9-]+))?$/.exec(link);
  assert.ok(m, `${file}: spec link ${link}`);
  const page = readFileSync(new URL(m[1] as string, REPO_ROOT), 'utf8');
  if (m[2] === undefined) return;
  const anchors = [...page.matchAll(/^#{1,6} (.+)$/gm)].map((h) => anchorOf(h[1] as string));
  assert.ok(anchors.includes(m[2]), `${file}: ${m[1]} has no section #${m[2]} (it has ${anchors.join(', ')})`);
}

/** Every vector file and its check. A file in the folder that is not listed here fails the test. */
const CHECKS: Record<string, (vectors: never) => void> = {
  'canonical-json.json': checkCanonical,
  'codes.json': checkCodes,
  'short-code.json': checkShortCode,
  'vendor-key.json': checkVendorKey,
  'hardware.json': checkHardware,
  'license-file.json': checkLicenseFile,
  'blacklist-file.json': checkBlacklist,
  'request-file.json': checkRequestFile,
  'request-code.json': checkRequestCode,
  'answer-code.json': checkAnswerCode,
  'upgrade-question.json': checkUpgradeQuestion,
  'upgrade-answer.json': checkUpgradeAnswer,
  'confirmation-code.json': checkConfirmation,
  'container-key-file.json': checkKeyFile,
  'token-container.json': checkTokenContainer,
  'token-presence.json': checkTokenPresence,
  'announcement.json': checkAnnouncement,
  'duplicate-evidence.json': checkEvidence,
  'signed-time.json': checkSignedTime,
  'clock-mark.json': checkClockMark,
  'discovery.json': checkDiscovery,
  'signed-answer.json': checkSignedAnswer,
};

describe('specification test vectors (spec/vectors)', () => {
  test('the folder holds exactly the vector files this test checks', () => {
    const present = readdirSync(VECTORS_DIR).sort();
    assert.deepEqual(present, Object.keys(CHECKS).sort(), 'a vector file is unknown to this test, or missing');
  });

  test('regenerating the vectors (node --import tsx scripts/make-vectors.ts) gives the committed bytes', () => {
    const built = buildVectors();
    assert.deepEqual([...built.keys()].sort(), Object.keys(CHECKS).sort());
    for (const [name, body] of built) {
      assert.equal(readFileSync(`${VECTORS_DIR}${name}`, 'utf8'), body, `${name} is not what the script makes`);
    }
  });

  for (const [name, check] of Object.entries(CHECKS)) {
    test(`${name}: every output recomputed, every negative case refused with its code`, () => {
      const vectors = load<Record<string, unknown>>(name);
      assert.equal(vectors.vectors, name.replace(/\.json$/, ''));
      assertSpecLink(String(vectors.spec), name);
      (check as (v: unknown) => void)(vectors);
    });
  }
});
