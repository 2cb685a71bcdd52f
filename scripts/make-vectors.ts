/**
 * Writes the test vectors of the open specification (`docs/spec/`) to `spec/vectors/`:
 *
 *     node --import tsx scripts/make-vectors.ts          # write the files
 *     node --import tsx scripts/make-vectors.ts --check  # exit 1 if a file differs or is extra
 *
 * Every vector is computed with `@lictor/protocol` (its sources, so no build is needed) from
 * fixed inputs: test keys derived from labels (`SHA-256("lictor/spec-vectors/<label>")`, never a
 * real key), fixed salts, ivs and nonces injected where the code would draw random bytes. The
 * output is byte-identical on every run; `packages/protocol/test/spec-vectors.test.ts` checks that
 * the committed files are exactly what this script makes, and recomputes every vector.
 *
 * ECDSA P-256 signatures (hardware tokens) are randomized, so the two token signatures are fixed
 * constants below, made once with the test token key; the script refuses to write them unless
 * they verify.
 */
import { createECDH, createPrivateKey, createPublicKey, diffieHellman, sign } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  ANSWER_PROOF_DOMAIN,
  type Announcement,
  type AnnouncementCredential,
  type AnswerCode,
  type AnswerKey,
  aesGcmSeal,
  announcementCredential,
  answerMacKey,
  answerSessionId,
  answerSigningBytes,
  answerSigningText,
  answerStatement,
  armor,
  type BlacklistDocument,
  CODE_EPOCH_MS,
  canonicalJson,
  concatBytes,
  confirmationMatches,
  containerSubjectDigest,
  containerTag,
  createAnnouncement,
  createConfirmationCode,
  createRequest,
  createRequestCode,
  createUpgradeQuestion,
  DOCUMENT_KINDS,
  type DuplicateEvidence,
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
  encodeAnnouncement,
  encodeAnswerCode,
  encodeDiscoveryAnswer,
  encodeDiscoveryProbe,
  encodePlainFile,
  encodeQuestionFile,
  encodeRequestFile,
  encodeShortCode,
  encodeTokenContainerKeys,
  formatPin,
  formatSerial,
  fromBase64,
  fromBase64Url,
  type HardwareParams,
  hkdf,
  hmacSha256,
  isAnswerNonce,
  isTimeNonce,
  type LicenseDocument,
  type LicenseEntry,
  LictorError,
  licenseFileFromSignature,
  licenseFromAnswer,
  licenseSignedView,
  licenseSigningBytes,
  loadContainerSigner,
  loadSigner,
  MAX_EVIDENCE_SPAN_MS,
  macAnswer,
  macRuntimeAnswer,
  normalizeHardware,
  normalizePin,
  normalizeSerial,
  type Owner,
  openFromContainer,
  parseAnswerCode,
  parseConfirmationCode,
  parseRequestCode,
  pinTag,
  type RandomSource,
  type RequestDocument,
  type RequestFields,
  type RuntimeAnswerPurpose,
  type RuntimeAnswerSession,
  sealDocument,
  sealToContainer,
  sha256,
  signAnswer,
  signRuntimeAnswer,
  signServerTime,
  subjectDigest,
  subjectPrivateDigest,
  TIME_HEADER,
  type TokenActivationClaim,
  type TokenBinding,
  toBase64,
  toBase64Url,
  toHex,
  tokenActivationMessage,
  tokenPresenceMessage,
  tokenPublicKeyFromPoint,
  type UpgradeQuestion,
  uintBytes,
  utf8,
  type VendorSigner,
  verifyAnnouncement,
  verifyDuplicateEvidence,
  verifyRuntimeAnswer,
  verifyServerTime,
  verifyTokenPresence,
  verifyUpgradeQuestion,
  withStatement,
} from '../packages/protocol/src/index.js';

/** Where the vector files live. */
export const VECTORS_DIR = fileURLToPath(new URL('../spec/vectors/', import.meta.url));

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// ---- fixed test inputs ---------------------------------------------------------------------

/** Bytes derived from a label: `SHA-256("lictor/spec-vectors/<label>")`, first `n` bytes. */
export function testBytes(label: string, n = 32): Uint8Array {
  return sha256(utf8(`lictor/spec-vectors/${label}`)).slice(0, n);
}

const hex = (bytes: Uint8Array): string => toHex(bytes);
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

/** An Ed25519 private key as PKCS#8 PEM from its 32-byte seed (RFC 8410). */
export function ed25519PemFromSeed(seed: Uint8Array): string {
  const der = concatBytes(fromHex('302e020100300506032b657004220420'), seed);
  return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })
    .export({ format: 'pem', type: 'pkcs8' })
    .toString();
}

/** The raw X25519 public key (base64url) of a 32-byte private scalar. */
export function x25519PublicFromScalar(scalar: Uint8Array): string {
  const der = concatBytes(fromHex('302e020100300506032b656e04220420'), scalar);
  const key = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
  return String(createPublicKey(key).export({ format: 'jwk' }).x);
}

/** Returns the given chunks in order; each call must ask for exactly the next chunk's length. */
function fixedRandom(...chunks: Uint8Array[]): RandomSource {
  const queue = [...chunks];
  return (n) => {
    const next = queue.shift();
    if (next === undefined || next.length !== n) {
      throw new Error(`fixed random source: asked for ${n} bytes, holds ${next?.length ?? 'nothing'}`);
    }
    return next;
  };
}

interface TestSigner {
  seedHex: string;
  signer: VendorSigner;
}

function vendor(label: string): TestSigner {
  const seed = testBytes(label);
  return { seedHex: hex(seed), signer: loadSigner(ed25519PemFromSeed(seed)) };
}

function vendorKeyJson(v: TestSigner): Json {
  return { seedHex: v.seedHex, publicKey: v.signer.publicKey.text };
}

interface TestContainer {
  signSeedHex: string;
  boxScalarHex: string;
  signPem: string;
  boxPrivate: string;
  keys: { sign: string; box: string };
}

function container(label: string): TestContainer {
  const signSeed = testBytes(`${label}/sign`);
  const boxScalar = testBytes(`${label}/box`);
  const signPem = ed25519PemFromSeed(signSeed);
  return {
    signSeedHex: hex(signSeed),
    boxScalarHex: hex(boxScalar),
    signPem,
    boxPrivate: toBase64Url(boxScalar),
    keys: { sign: toBase64Url(loadSigner(signPem).publicKey.raw), box: x25519PublicFromScalar(boxScalar) },
  };
}

function containerJson(c: TestContainer): Json {
  return { signSeedHex: c.signSeedHex, boxScalarHex: c.boxScalarHex, public: c.keys };
}

const VENDOR = vendor('vendor');
const OTHER_VENDOR = vendor('other-vendor');
const CONTAINER = container('container');
const OTHER_CONTAINER = container('other-container');
const EARLY_CONTAINER = container('early-container');

const GiB = 1024 ** 3;

const HARDWARE: HardwareParams = {
  platform: 'linux',
  osName: 'Ubuntu',
  osVersion: '24.04',
  hostname: 'plant-a',
  board: 'ACME Mainboard X1',
  ramBytes: 16 * GiB,
  bios: 'ACME BIOS 1.2',
  cpus: ['Intel Xeon E5-2680 v4 (14 cores)'],
  nics: ['02:00:5e:10:00:01'],
  disks: ['S3Z9NB0K123456'],
};

const OWNER: Owner = { company: 'Müller Engineering', email: 'it@mueller.example' };

// The token of the token-bound vectors: a P-256 key from a fixed scalar.
const TOKEN_SCALAR = testBytes('token-key');
const TOKEN_POINT = (() => {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(TOKEN_SCALAR));
  return new Uint8Array(ecdh.getPublicKey());
})();
const TOKEN_KEY = tokenPublicKeyFromPoint(TOKEN_POINT);
const TOKEN_IDENTITY = { manufacturer: 'SoftHSM project', model: 'SoftHSM v2', serial: 'f509b32f721f4348' };
const TOKEN_CHALLENGE = testBytes('token-challenge');
/** ECDSA P-256 (raw r‖s) by the test token key over the presence message of TOKEN_CHALLENGE. */
const TOKEN_PRESENCE_SIGNATURE =
  'bbfc82352aa2e2d7227b2d225e9b2fef0858a76e7a73709212e91da70f1670fd6e4894ba9fe31661e32171252574f4ef2c1fc16ea71e60e151c12cf53a58fd3b';
/** ECDSA P-256 (raw r‖s) by the test token key over the activation message of TOKEN_CLAIM. */
const TOKEN_CLAIM_SIGNATURE =
  'ed968bd457c96f7cf4670dfb744a6635a1a7527e3477f606ed62c82fc5bc754f5207827d2013fd17bbd7560b4357c41d369dd8714e871df771db163a0c26c0f0';
const TOKEN_CLAIM: TokenActivationClaim = {
  serial: 'LX-SDG9-3CVY-MYB5',
  publicKey: TOKEN_KEY.text,
  token: TOKEN_IDENTITY,
  createdAt: '2026-11-22T23:37:13.741Z',
  nonce: toBase64Url(testBytes('token-claim-nonce', 16)),
};

// ---- helpers for negative cases ------------------------------------------------------------

/** The binary envelope inside an armored block. */
function unarmor(armored: string): Uint8Array {
  const body = armored.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
  return fromBase64(body.join('')) as Uint8Array;
}

function flipByte(bytes: Uint8Array, at: number, mask = 0x01): Uint8Array {
  const out = bytes.slice();
  out[at] = (out[at] ?? 0) ^ mask;
  return out;
}

/** Runs `fn`, which must throw a LictorError; returns its code (the generator refuses a vector that does not fail). */
function codeOf(fn: () => unknown, what: string): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof LictorError) return e.code;
    throw e;
  }
  throw new Error(`negative vector '${what}' does not fail`);
}

// ---- canonical JSON ------------------------------------------------------------------------

function canonicalVectors(): Json {
  const cases: [string, string][] = [
    ['keys sorted at every level, no white space', '{ "b": 2, "a": { "d": [3, 1], "c": "x" }, "B": true, "": null }'],
    [
      'keys sorted by UTF-16 code unit (U+1F600 sorts before U+FF5A)',
      '{"\uff5a": 1, "\ud83d\ude00": 2, "z": 3, "\u00e9": 4, "Z": 5}',
    ],
    [
      'string escapes: only quote, backslash and controls; the rest is UTF-8 as is',
      JSON.stringify({ s: 'quote" backslash\\ tab\t nl\n nul\u0000 us\u001f del\u007f é € 😀 ls\u2028 /' }),
    ],
    ['integers in their shortest decimal form; -0 is 0', '[0, -0, 1, -1, 1e3, 9007199254740991, -9007199254740991]'],
    ['empty object and array; booleans and null', '{"o": {}, "a": [], "t": true, "f": false, "n": null}'],
  ];
  const negative: [string, string][] = [
    ['a fraction', '{"price": 1.5}'],
    ['an integer beyond 2^53 - 1', '[9007199254740992]'],
    ['a fraction deep inside', '{"a": [{"b": 0.1}]}'],
  ];
  return {
    cases: cases.map(([name, input]) => {
      const canonical = canonicalJson(JSON.parse(input));
      return { name, input, canonical, utf8Hex: hex(utf8(canonical)) };
    }),
    negative: negative.map(([name, input]) => {
      try {
        canonicalJson(JSON.parse(input));
      } catch {
        return { name, input, error: 'not-canonical' };
      }
      throw new Error(`canonical negative '${name}' succeeds`);
    }),
  };
}

// ---- serial numbers and PIN codes ----------------------------------------------------------

function codesVectors(): Json {
  const serialRandom = testBytes('serial', 12);
  const pinRandom = testBytes('pin', 15);
  const typedSerials = [
    'lx 7k2m 9qxd 4rta',
    'LX7K2M9QXD4RTA',
    ' lx-7k2m-9qxd-4rta ',
    'lx-oi1l-9qxd-4rta',
    'lxwk-3cnz-pqj5',
    'LX-1XWK-3CNZ-PQJ5',
  ];
  const typedPins = ['q7k2m 9qxd4 rta8b', 'Q7K2M9QXD4RTA8B', 'qokim-9qxd4-rta8b'];
  return {
    format: [
      {
        name: 'serial number from 12 random bytes',
        kind: 'serial',
        randomHex: hex(serialRandom),
        text: formatSerial(serialRandom),
      },
      { name: 'PIN code from 15 random bytes', kind: 'pin', randomHex: hex(pinRandom), text: formatPin(pinRandom) },
    ],
    normalize: [
      ...typedSerials.map((typed) => ({ kind: 'serial', typed, normalized: normalizeSerial(typed) })),
      ...typedPins.map((typed) => ({ kind: 'pin', typed, normalized: normalizePin(typed) })),
    ],
  };
}

// ---- short codes ---------------------------------------------------------------------------

function shortCodeVectors(): Json {
  const payloads: [string, Uint8Array][] = [
    ['one byte', Uint8Array.of(0x2a)],
    ['the bytes 00 to 0f', Uint8Array.from({ length: 16 }, (_, i) => i)],
    ['31 bytes, the size of a request code', testBytes('short-code', 31)],
  ];
  const cases = payloads.map(([name, payload]) => {
    const code = encodeShortCode(payload);
    const plain = code.replaceAll('-', '');
    const typed = [
      code.toLowerCase(),
      plain.match(/.{1,6}/g)?.join(' ') ?? plain,
      code.replaceAll('0', 'O').replaceAll('1', 'l'),
    ];
    for (const t of typed) {
      if (hex(decodeShortCode(t)) !== hex(payload)) throw new Error(`short code variant ${t} does not decode`);
    }
    return { name, payloadHex: hex(payload), code, typed };
  });
  const base = encodeShortCode(testBytes('short-code', 31));
  const groups = base.split('-');
  const withGroup = (i: number, g: string) => groups.map((x, j) => (j === i ? g : x)).join('-');
  const typo = (g: string) => `${g[0] === 'A' ? 'B' : 'A'}${g.slice(1)}`;
  const swapped = (g: string) => `${g[1]}${g[0]}${g.slice(2)}`;
  const negatives: [string, string, number | undefined][] = [
    ['one character changed in group 2', withGroup(1, typo(groups[1] ?? '')), 2],
    ['two neighbours swapped in group 3', withGroup(2, swapped(groups[2] ?? '')), 3],
    ['a character outside the alphabet (U) in group 4', withGroup(3, `U${(groups[3] ?? '').slice(1)}`), 4],
    ['group 5 left out', groups.filter((_, i) => i !== 4).join('-'), 5],
    ['group 5 typed twice', [...groups.slice(0, 5), ...groups.slice(4)].join('-'), 6],
    ['groups 2 and 3 exchanged', withGroup(2, groups[1] ?? '').replace(groups[1] ?? '', groups[2] ?? ''), 2],
    ['a character missing', base.slice(0, -1), undefined],
    ['empty', '', undefined],
  ];
  return {
    cases,
    negative: negatives.map(([name, code, group]) => {
      let err: LictorError | undefined;
      try {
        decodeShortCode(code);
      } catch (e) {
        if (e instanceof LictorError) err = e;
        else throw e;
      }
      if (err === undefined) throw new Error(`short code negative '${name}' decodes`);
      const reported = err.details?.group;
      if (group !== undefined && reported !== group) {
        throw new Error(`short code negative '${name}' reports group ${String(reported)}, expected ${group}`);
      }
      return { name, code, error: err.code, ...(group === undefined ? {} : { group }) };
    }),
  };
}

// ---- vendor keys ---------------------------------------------------------------------------

function vendorKeyVectors(): Json {
  const message = utf8('lictor/v1/example\0hello');
  const keys = [VENDOR, OTHER_VENDOR].map((v, i) => ({
    name: i === 0 ? 'the vendor key of every vector' : 'another vendor key (for wrong-key cases)',
    seedHex: v.seedHex,
    privateKeyPem: ed25519PemFromSeed(fromHex(v.seedHex)),
    publicKeyHex: hex(v.signer.publicKey.raw),
    keyIdHex: hex(v.signer.publicKey.keyId),
    text: v.signer.publicKey.text,
    signature: { messageHex: hex(message), signatureHex: hex(v.signer.sign(message)) },
  }));
  const raw = toBase64Url(VENDOR.signer.publicKey.raw);
  return {
    keys,
    negative: [
      { name: 'one character short', text: `lictor-ed25519:${raw.slice(0, -1)}`, error: 'LICTOR_E_PUBLIC_KEY_INVALID' },
      { name: 'padded base64url', text: `lictor-ed25519:${raw}=`, error: 'LICTOR_E_PUBLIC_KEY_INVALID' },
      { name: 'without the prefix', text: raw, error: 'LICTOR_E_PUBLIC_KEY_INVALID' },
      {
        name: 'a token key given as a vendor key',
        text: TOKEN_KEY.text,
        error: 'LICTOR_E_PUBLIC_KEY_INVALID',
      },
    ],
  };
}

// ---- hardware normalization ----------------------------------------------------------------

/** Hardware as collected, before normalization (the request-file vector sends it raw). */
const HARDWARE_RAW: HardwareParams = {
  platform: ' linux ',
  osName: 'Ubuntu\t',
  osVersion: '24.04.1 LTS',
  hostname: '  Plant-A ',
  board: 'ACME  Mainboard\u00a0X1',
  ramBytes: 16 * GiB,
  bios: 'ACME BIOS 1.2',
  cpus: ['Intel Xeon E5-2680 v4 (14 cores)', ' Intel  Xeon E5-2680 v4 (14 cores)', ''],
  nics: ['02-00-5E-10-00-02', '02:00:5e:10:00:01', ' 02:00:5E:10:00:01', ''],
  disks: ['WD-2', 'S3Z9NB0K123456', 'WD-2', ' '],
};

function hardwareVectors(): Json {
  const raw: [string, HardwareParams][] = [
    ['white space, case, MAC spelling, duplicates and order', HARDWARE_RAW],
    [
      'Windows before 10: OS serial and installation date kept; empty ones dropped',
      {
        platform: 'win32',
        osName: 'Windows 7 Professional',
        osVersion: '6.1.7601',
        hostname: 'WS-ACCOUNTING',
        board: '',
        ramBytes: 8 * GiB,
        bios: '',
        cpus: ['Intel Core i5-2400 (4 cores)'],
        nics: ['52:54:00:12:34:56'],
        disks: [],
        osSerial: ' 00371-OEM-8992671-00524 ',
        osInstallDate: '2013-05-02T08:00:00.000Z',
      },
    ],
    [
      'a version without a minor number; unknown OS serial',
      {
        platform: 'darwin',
        osName: 'macOS',
        osVersion: '14',
        hostname: 'studio.local',
        board: 'Mac14,13',
        ramBytes: 32 * GiB,
        bios: '',
        cpus: ['Apple M2 Max (12 cores)'],
        nics: ['a0:b1:c2:d3:e4:f5'],
        disks: [],
        osSerial: '   ',
      },
    ],
  ];
  return {
    cases: raw.map(([name, hardware]) => ({
      name,
      hardware: hardware as unknown as Json,
      normalized: normalizeHardware(hardware) as unknown as Json,
    })),
  };
}

// ---- license files -------------------------------------------------------------------------

const ENTRY_MINER: LicenseEntry = {
  product: 'MINER',
  type: 'single',
  users: 1,
  sessions: null,
  arch: null,
  expiresAt: '2027-11-22T10:00:00.000Z',
  features: [
    { code: 'etl', users: null },
    { code: 'reports', users: 5 },
  ],
};

const LICENSE_HARDWARE: LicenseDocument = {
  format: 1,
  containerId: '5f28d672-968f-4d31-91fe-52ff5bff480b',
  activationId: '01a2054fac6900b5cfb5322a',
  serial: 'LX-ZWMW-DCA8-A67E',
  pin: 1,
  issuedAt: '2026-11-22T10:00:00.000Z',
  counter: 0,
  owner: OWNER,
  binding: { kind: 'hardware', hardware: HARDWARE },
  licenses: [ENTRY_MINER],
  containerKeys: CONTAINER.keys,
};

/** A network license served by a License Manager, with the vendor's terms for its seats. */
const LICENSE_MANAGER_TERMS: LicenseDocument = {
  ...LICENSE_HARDWARE,
  containerId: '0d6f1b52-4f0e-4c1a-9a43-7c2b8e5d1f60',
  activationId: '01a205a3c2b1009e1f4d7a55',
  serial: 'LX-M4NG-R7ER-MS2B',
  licenses: [
    {
      product: 'MINER',
      type: 'multi',
      users: 25,
      sessions: null,
      arch: null,
      expiresAt: null,
      features: [{ code: 'etl', users: null }],
      borrowDays: 14,
      graceMinutes: 30,
    },
  ],
};

const TOKEN_BINDING: TokenBinding = { kind: 'token', token: TOKEN_IDENTITY, publicKey: TOKEN_KEY.text };

const LICENSE_TOKEN: LicenseDocument = {
  format: 1,
  containerId: 'e738b164-b6cc-46e5-bd34-ea7d0c860aa7',
  activationId: '01a2059eed3c0092ec78d243',
  serial: 'LX-SDG9-3CVY-MYB5',
  pin: 1,
  issuedAt: '2026-11-22T23:37:13.741Z',
  counter: 0,
  owner: { company: 'ACME Corp', email: 'it@acme.example' },
  binding: TOKEN_BINDING,
  licenses: [
    {
      product: 'CAD',
      type: 'server-sessions',
      users: 1,
      sessions: 25,
      arch: 'x64',
      expiresAt: null,
      features: [{ code: 'render', users: 10 }],
    },
  ],
  policy: 'software-dongle',
  containerKeys: OTHER_CONTAINER.keys,
};

const LICENSE_LEGACY: LicenseDocument = {
  format: 1,
  containerId: 'c_5f1d8a2e9b7c4a31',
  activationId: 'a_0c9e2b7f14d84e66',
  serial: 'LX-7K2M-9QHT-D4WZ',
  pin: 2,
  issuedAt: '2025-03-14T09:26:53.000Z',
  counter: 0,
  owner: { name: 'Anna Keller', company: 'Keller & Söhne GmbH' },
  binding: {
    kind: 'hardware',
    hardware: {
      platform: 'win32',
      osName: 'Windows 7 Professional',
      osVersion: '6.1',
      hostname: 'ws-accounting',
      board: 'ASUSTeK PRIME B550M-A',
      ramBytes: 16 * GiB,
      bios: 'American Megatrends 2803',
      cpus: ['AMD Ryzen 7 5700X (8 cores)', 'AMD Ryzen 7 5700X (8 cores)'],
      nics: ['52:54:00:12:34:56'],
      disks: ['S4EWNX0R123456'],
      osSerial: '00371-OEM-8992671-00524',
      osInstallDate: '2013-05-02T08:00:00.000Z',
    },
  },
  licenses: [
    {
      product: 'ACME.CAD',
      type: 'multi',
      users: 10,
      sessions: null,
      arch: null,
      expiresAt: '2026-03-14T00:00:00.000Z',
      features: [],
    },
  ],
  requestNonce: 'liscRmCBJkD8BVFnHDoLKQ',
};

/** A license with container keys as centers signed it before format 2 of the subject digest. */
const LICENSE_EARLY_KEYS: LicenseDocument = {
  format: 1,
  containerId: '9c1e4f0a-3b7d-4e2a-8f61-0d5c2b9a7e34',
  activationId: '01a1f3c2b85e00a4d7e6c911',
  serial: 'LX-4QRT-8MZB-1KWD',
  pin: 3,
  issuedAt: '2026-05-04T12:30:00.000Z',
  counter: 2,
  owner: { company: 'Initech', email: 'it@initech.example' },
  binding: { kind: 'hardware', hardware: HARDWARE },
  licenses: [{ ...ENTRY_MINER, expiresAt: null, features: [] }],
  containerKeys: EARLY_CONTAINER.keys,
};

/** What the subject digest is computed from: the owner and the (normalized) binding. */
function bindingSubject(doc: LicenseDocument): Record<string, unknown> {
  return doc.binding.kind === 'hardware'
    ? { owner: doc.owner, hardware: normalizeHardware(doc.binding.hardware) }
    : { owner: doc.owner, token: doc.binding.token, publicKey: doc.binding.publicKey };
}

/** The first 80 bits of `SHA-256(label ‖ canonical(value))`, base64url. */
function digest80(label: string, value: unknown): string {
  return toBase64Url(sha256(utf8(`${label}${canonicalJson(value)}`)).subarray(0, 10));
}

/**
 * The subject digest of format 1 (licenses without container keys, and those with container keys
 * issued before format 2): the owner, the binding and the container keys in one digest.
 */
export function formatOneSubject(doc: LicenseDocument): { subjectJson: string; subject: string } {
  const value = { ...bindingSubject(doc), ...(doc.containerKeys ? { containerKeys: doc.containerKeys } : {}) };
  const label = doc.binding.kind === 'hardware' ? 'lictor/v1/subject\0' : 'lictor/v1/token-subject\0';
  return { subjectJson: canonicalJson(value), subject: digest80(label, value) };
}

/** Every step of a license's subject digest, in the format the vector names. */
function subjectSteps(doc: LicenseDocument, format: 1 | 2): Record<string, Json> {
  if (format === 1) return { subjectFormat: 1, ...formatOneSubject(doc) };
  const keys = doc.containerKeys;
  if (keys === undefined) throw new Error('format 2 of the subject digest needs container keys');
  const bound = doc.binding.kind === 'hardware' ? doc.binding.hardware : doc.binding;
  const privateJson = canonicalJson(bindingSubject(doc));
  const subjectPrivate = subjectPrivateDigest(doc.owner, bound);
  if (subjectPrivate !== toBase64Url(sha256(utf8(`lictor/v2/subject-private\0${privateJson}`)))) {
    throw new Error('subjectPrivateDigest does not hash what the specification says');
  }
  const outer = { containerKeys: keys, private: subjectPrivate };
  const subject = containerSubjectDigest(subjectPrivate, keys);
  if (subject !== digest80('lictor/v2/subject\0', outer) || subject !== documentSubject(doc)) {
    throw new Error('the format 2 subject digest is not what the specification says');
  }
  return {
    subjectFormat: 2,
    subjectPrivateJson: privateJson,
    subjectPrivate,
    subjectJson: canonicalJson(outer),
    subject,
  };
}

interface SealedCase {
  text: string;
  json: Json;
}

/**
 * A license file sealed with fixed salt and iv, with every intermediate value. `subjectFormat` 1
 * with container keys makes a file as centers signed them before format 2 of the subject digest.
 */
function licenseCase(name: string, doc: LicenseDocument, label: string, subjectFormat?: 1 | 2): SealedCase {
  const format = subjectFormat ?? (doc.containerKeys ? 2 : 1);
  const salt = testBytes(`${label}/salt`, 16);
  const iv = testBytes(`${label}/iv`, 12);
  const { signer } = VENDOR;
  const steps = subjectSteps(doc, format);
  const subject = String(steps.subject);
  const view = licenseSignedView(doc, subject);
  const signing = licenseSigningBytes(doc, signer.publicKey, subject);
  const out = sealDocument('license', doc, signer, view, fixedRandom(salt, iv));
  const header = concatBytes(utf8('LCTR'), Uint8Array.of(1, DOCUMENT_KINDS.license), signer.publicKey.keyId, salt, iv);
  return {
    text: out,
    json: {
      name,
      input: { document: doc as unknown as Json, saltHex: hex(salt), ivHex: hex(iv) },
      output: {
        ...steps,
        signedView: canonicalJson(view),
        signingBytesHex: hex(signing),
        signatureHex: hex(signer.sign(signing)),
        payload: canonicalJson(doc),
        aesKeyHex: hex(hkdf(signer.publicKey.raw, salt, 'lictor/v1/license', 32)),
        headerHex: hex(header),
        text: out,
      },
    },
  };
}

/** Flips the lowest bit of the base64 character before the padding: canonical base64 refuses it. */
function unusedBitsChanged(armored: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const changed = armored.replace(
    /([A-Za-z0-9+/])(=+)\n/,
    (_m, c: string, pad: string) => `${alphabet[alphabet.indexOf(c) ^ 1]}${pad}\n`,
  );
  if (changed === armored) throw new Error('no padding to change the unused bits before');
  return changed;
}

interface Licenses {
  hardware: string;
  token: string;
  legacy: string;
  /** With container keys, signed over the format 1 subject digest. */
  early: string;
}

function licenseVectors(): { json: Json; texts: Licenses } {
  const hw = licenseCase('bound to a computer, with container keys', LICENSE_HARDWARE, 'license-hardware');
  const token = licenseCase('bound to a hardware token; a software dongle', LICENSE_TOKEN, 'license-token');
  const legacy = licenseCase(
    'an offline answer without container keys (older SDKs): Windows 7, two equal processors',
    LICENSE_LEGACY,
    'license-legacy',
  );
  const early = licenseCase(
    'with container keys, signed over the format 1 subject digest (issued before format 2): still read',
    LICENSE_EARLY_KEYS,
    'license-early',
    1,
  );
  const terms = licenseCase(
    "a network license with a License Manager's terms (borrowDays, graceMinutes)",
    LICENSE_MANAGER_TERMS,
    'license-manager-terms',
  );
  const key = VENDOR.signer.publicKey;
  const env = unarmor(hw.text);
  const body = hw.text.replace(/\n$/, '').split('\n');
  const tolerant = [
    {
      name: 'pasted into an e-mail: CRLF, "> " quoting, text around',
      text: `Hello,\r\n\r\nhere is the license:\r\n\r\n${body.map((l) => `> ${l}`).join('\r\n')}\r\n\r\nRegards\r\n`,
    },
    {
      name: 'wrapped at 76 characters and indented, no final newline',
      text: `-----BEGIN LICTOR LICENSE-----\n${(toBase64(env).match(/.{1,76}/g) ?? []).map((l) => `    ${l}`).join('\n')}\n-----END LICTOR LICENSE-----`,
    },
  ].map((c) => {
    decodeLicenseFile(c.text, key);
    return { ...c, document: LICENSE_HARDWARE as unknown as Json };
  });
  const salt = testBytes('license-hardware/salt', 16);
  const iv = testBytes('license-hardware/iv', 12);
  // Signs the right bytes, then flips a bit: the envelope itself stays intact.
  const flipping: VendorSigner = { publicKey: key, sign: (data) => flipByte(VENDOR.signer.sign(data), 10) };
  const badSignature = sealDocument(
    'license',
    LICENSE_HARDWARE,
    flipping,
    licenseSignedView(LICENSE_HARDWARE),
    fixedRandom(salt, iv),
  );
  const blacklistBlock = sealDocument(
    'blacklist',
    { format: 1, issuedAt: '2026-11-22T10:00:00.000Z', serials: [], activations: [] },
    VENDOR.signer,
    undefined,
    fixedRandom(salt, iv),
  );
  const format2 = sealDocument(
    'license',
    { ...LICENSE_HARDWARE, format: 2 },
    VENDOR.signer,
    undefined,
    fixedRandom(salt, iv),
  );
  // The vendor's signature of the file, kept while the container keys in the payload are replaced.
  const signature = VENDOR.signer.sign(licenseSigningBytes(LICENSE_HARDWARE, key));
  const keysReplaced = sealDocument(
    'license',
    { ...LICENSE_HARDWARE, containerKeys: OTHER_CONTAINER.keys },
    { publicKey: key, sign: () => signature },
    undefined,
    fixedRandom(salt, iv),
  );
  const version2 = env.slice();
  version2[4] = 2;
  const kind2 = env.slice();
  kind2[5] = DOCUMENT_KINDS.blacklist;
  const other = OTHER_VENDOR.signer.publicKey;
  const negatives: { name: string; text: string; other?: boolean }[] = [
    { name: 'signature altered (one bit), envelope intact', text: badSignature },
    { name: 'opened with another vendor key', text: hw.text, other: true },
    { name: 'one byte of the ciphertext changed', text: armor('license', flipByte(env, 100)) },
    { name: 'one byte of the salt changed (associated data)', text: armor('license', flipByte(env, 20)) },
    { name: 'format version 2', text: armor('license', version2) },
    { name: 'kind byte 2 (blacklist) in a license block', text: armor('license', kind2) },
    { name: 'the END line is missing', text: hw.text.replace('-----END LICTOR LICENSE-----\n', '') },
    { name: 'shorter than header, signature and tag', text: armor('license', env.subarray(0, 120)) },
    { name: 'a character that is not base64', text: hw.text.replace(/\n(.)/, '\n*') },
    {
      name: 'non-zero unused bits before the padding',
      text: unusedBitsChanged(armor('license', env.subarray(0, 200))),
    },
    { name: 'a blacklist block', text: blacklistBlock },
    { name: 'a signed payload with format 2', text: format2 },
    { name: 'container keys replaced: neither format of the subject digest verifies', text: keysReplaced },
  ];
  return {
    json: {
      vendorKey: vendorKeyJson(VENDOR),
      otherVendorKey: vendorKeyJson(OTHER_VENDOR),
      cases: [hw.json, token.json, legacy.json, early.json, terms.json],
      tolerant,
      negative: negatives.map((n) => {
        const pk = n.other ? other : key;
        return {
          name: n.name,
          publicKey: pk.text,
          text: n.text,
          error: codeOf(() => decodeLicenseFile(n.text, pk), n.name),
        };
      }),
    },
    texts: { hardware: hw.text, token: token.text, legacy: legacy.text, early: early.text },
  };
}

// ---- blacklists ----------------------------------------------------------------------------

function blacklistVectors(licenses: Licenses): Json {
  const doc: BlacklistDocument = {
    format: 1,
    issuedAt: '2026-11-23T08:00:00.000Z',
    sequence: 42,
    serials: ['LX-VBK0-JD9K-5SFW'],
    activations: ['01a2054169ec00d57558c6f0', '01a205416e6b54a3'],
  };
  const early: BlacklistDocument = {
    format: 1,
    issuedAt: '2026-03-02T17:45:10.000Z',
    serials: [],
    activations: ['01a1f3c2b85e00a4d7e6c911'],
  };
  const key = VENDOR.signer.publicKey;
  const blacklistCase = (name: string, d: BlacklistDocument, label: string) => {
    const salt = testBytes(`${label}/salt`, 16);
    const iv = testBytes(`${label}/iv`, 12);
    const signing = documentSigningBytes('blacklist', key, d);
    const decoded = decodeBlacklist(sealDocument('blacklist', d, VENDOR.signer, d, fixedRandom(salt, iv)), key);
    return {
      name,
      input: { document: d as unknown as Json, saltHex: hex(salt), ivHex: hex(iv) },
      output: {
        payload: canonicalJson(d),
        signingBytesHex: hex(signing),
        signatureHex: hex(VENDOR.signer.sign(signing)),
        aesKeyHex: hex(hkdf(key.raw, salt, 'lictor/v1/blacklist', 32)),
        text: sealDocument('blacklist', d, VENDOR.signer, d, fixedRandom(salt, iv)),
        sequence: decoded.sequence,
      },
    };
  };
  const salt = testBytes('blacklist/salt', 16);
  const iv = testBytes('blacklist/iv', 12);
  // The same payload signed under the license label: the domain label tells them apart.
  const asLicense: VendorSigner = {
    publicKey: key,
    sign: () => VENDOR.signer.sign(documentSigningBytes('license', key, doc)),
  };
  const signed = (payload: unknown) =>
    sealDocument('blacklist', payload, VENDOR.signer, undefined, fixedRandom(salt, iv));
  const negatives = [
    { name: 'a license block', text: licenses.hardware },
    {
      name: 'signed under the license domain label',
      text: sealDocument('blacklist', doc, asLicense, doc, fixedRandom(salt, iv)),
    },
    { name: 'serials is not a list of strings', text: signed({ ...doc, serials: [1] }) },
    { name: 'a negative sequence', text: signed({ ...doc, sequence: -1 }) },
    { name: 'the sequence as a string', text: signed({ ...doc, sequence: '42' }) },
  ];
  return {
    vendorKey: vendorKeyJson(VENDOR),
    cases: [
      blacklistCase('a serial and two activations, sequence 42', doc, 'blacklist'),
      blacklistCase('made before sequences: no sequence member, read as 0', early, 'blacklist-early'),
    ],
    negative: negatives.map((n) => ({ ...n, error: codeOf(() => decodeBlacklist(n.text, key), n.name) })),
  };
}

// ---- offline request files -----------------------------------------------------------------

const REQUEST_PIN = 'XPQ72-HWZ0P-FQYVA';
const OTHER_PIN = 'GJ86H-JRZCD-FFMGF';

function requestFileVectors(raw: HardwareParams): Json {
  const inputs: { name: string; fields: RequestFields; pin: string }[] = [
    {
      name: 'typed serial and PIN, raw hardware, a product and container keys',
      fields: {
        serial: 'lx vbk0 jd9k 5sfw',
        product: 'SCADA',
        owner: OWNER,
        hardware: raw,
        nonce: toBase64Url(testBytes('request-file/nonce', 16)),
        createdAt: '2026-11-22T21:54:50.332Z',
        containerKeys: CONTAINER.keys,
      },
      pin: 'xpq72 hwz0p fqyva',
    },
    {
      name: 'no product, no container keys',
      fields: {
        serial: 'LX-VBK0-JD9K-5SFW',
        product: null,
        owner: { company: 'Initech' },
        hardware: HARDWARE,
        nonce: toBase64Url(testBytes('request-file/nonce-2', 16)),
        createdAt: '2026-11-23T08:00:00.000Z',
      },
      pin: REQUEST_PIN,
    },
  ];
  const docs = inputs.map((c) => createRequest(c.fields, c.pin));
  const cases = inputs.map((c, i) => {
    const doc = docs[i] as RequestDocument;
    const { format: _format, proof: _proof, ...covered } = doc;
    const payload = utf8(canonicalJson(doc));
    return {
      name: c.name,
      input: { fields: c.fields as unknown as Json, pin: c.pin },
      output: {
        pinKey: normalizePin(c.pin),
        pinTagInput: `lictor/v1/pin-tag\0${normalizeSerial(c.fields.serial)}`,
        pinTag: pinTag(c.fields.serial, c.pin),
        proofInput: `lictor/v1/request-proof\0${canonicalJson(covered)}`,
        proof: doc.proof,
        document: doc as unknown as Json,
        payload: canonicalJson(doc),
        checksumHex: hex(sha256(payload).subarray(0, 8)),
        text: encodeRequestFile(doc),
      },
      pinChecks: [
        { pin: REQUEST_PIN, proves: true },
        { pin: 'xpq72-hwzop-fqyva', proves: true },
        { pin: OTHER_PIN, proves: false },
      ],
    };
  });
  // A request made before PIN tags: the same members without `pinTag`, the proof over them.
  const second = inputs[1] as (typeof inputs)[number];
  const untaggedFields = {
    ...second.fields,
    serial: normalizeSerial(second.fields.serial),
    hardware: normalizeHardware(second.fields.hardware),
  };
  const untaggedInput = `lictor/v1/request-proof\0${canonicalJson(untaggedFields)}`;
  const untagged: RequestDocument = {
    format: 1,
    ...untaggedFields,
    proof: toBase64Url(hmacSha256(utf8(normalizePin(second.pin)), utf8(untaggedInput))),
  };
  const beforeTags = {
    name: 'made before PIN tags: no pinTag member',
    input: { document: untagged as unknown as Json, pin: second.pin },
    output: { proofInput: untaggedInput, text: encodeRequestFile(untagged) },
    pinChecks: [
      { pin: REQUEST_PIN, proves: true },
      { pin: OTHER_PIN, proves: false },
    ],
  };
  const full = docs[0] as RequestDocument;
  const text = encodeRequestFile(full);
  const bytes = unarmor(text);
  const version2 = bytes.slice();
  version2[4] = 2;
  const kind4 = bytes.slice();
  kind4[5] = DOCUMENT_KINDS.question;
  const plain = (payload: unknown) => encodePlainFile('request', payload);
  const notJson = concatBytes(bytes.subarray(0, 6), sha256(utf8('{')).subarray(0, 8), utf8('{'));
  const negatives = [
    { name: 'one byte of the JSON changed (checksum)', text: armor('request', flipByte(bytes, 40)) },
    { name: 'format version 2', text: armor('request', version2) },
    { name: 'kind byte 4 (question) in a request block', text: armor('request', kind4) },
    { name: 'a question block', text: armor('question', bytes) },
    { name: 'truncated to 13 bytes', text: armor('request', bytes.subarray(0, 13)) },
    { name: 'the END line is missing', text: text.replace('-----END LICTOR REQUEST-----\n', '') },
    { name: 'valid checksum, format 2 inside', text: plain({ ...full, format: 2 }) },
    { name: 'valid checksum, negative RAM', text: plain({ ...full, hardware: { ...full.hardware, ramBytes: -1 } }) },
    { name: 'valid checksum, product is not a product code', text: plain({ ...full, product: 'SCADA PRO' }) },
    { name: 'valid checksum, not JSON', text: armor('request', notJson) },
    { name: 'valid checksum, a PIN tag in upper case', text: plain({ ...full, pinTag: full.pinTag?.toUpperCase() }) },
    { name: 'valid checksum, a PIN tag of 10 hex digits', text: plain({ ...full, pinTag: full.pinTag?.slice(2) }) },
  ];
  return {
    cases,
    beforeTags,
    negative: negatives.map((n) => ({ ...n, error: codeOf(() => decodeRequestFile(n.text), n.name) })),
  };
}

// ---- request codes -------------------------------------------------------------------------

interface CodeRequestInput {
  name: string;
  serial: string;
  nonceHex: string;
  createdAt: string;
  owner: Owner;
  hardware: HardwareParams;
  containerKeys?: { sign: string; box: string };
  pin: string;
}

const CODE_REQUESTS: CodeRequestInput[] = [
  {
    name: 'with container keys',
    serial: 'LX-VBK0-JD9K-5SFW',
    nonceHex: hex(testBytes('request-code/nonce', 4)),
    createdAt: '2026-11-22T21:54:50.332Z',
    owner: OWNER,
    hardware: HARDWARE,
    containerKeys: CONTAINER.keys,
    pin: OTHER_PIN,
  },
  {
    name: 'without container keys, made on the first day of the code epoch',
    serial: 'LX-VBK0-JD9K-5SFW',
    nonceHex: hex(testBytes('request-code/nonce-2', 4)),
    createdAt: '2024-01-01T23:59:59.999Z',
    owner: { company: 'Initech', email: 'it@initech.example' },
    hardware: LICENSE_LEGACY.binding.kind === 'hardware' ? LICENSE_LEGACY.binding.hardware : HARDWARE,
    pin: REQUEST_PIN,
  },
];

function requestCodeBytes(c: CodeRequestInput): Uint8Array {
  return createRequestCode(
    {
      serial: c.serial,
      nonce: fromHex(c.nonceHex),
      createdAt: new Date(c.createdAt),
      owner: c.owner,
      hardware: c.hardware,
      ...(c.containerKeys ? { containerKeys: c.containerKeys } : {}),
    },
    c.pin,
  );
}

function requestCodeVectors(): Json {
  const cases = CODE_REQUESTS.map((c) => {
    const bytes = requestCodeBytes(c);
    const body = bytes.subarray(0, 25);
    const parsed = parseRequestCode(bytes);
    const { name, pin, ...fields } = c;
    const proofInput = concatBytes(utf8('lictor/v1/request-code-proof\0'), body);
    return {
      name,
      input: { ...(fields as unknown as Record<string, Json>), pin },
      output: {
        subject: subjectDigest(c.owner, c.hardware, c.containerKeys),
        day: Math.floor((Date.parse(c.createdAt) - CODE_EPOCH_MS) / 86_400_000),
        bodyHex: hex(body),
        pinTag: pinTag(c.serial, pin),
        proofInputHex: hex(proofInput),
        macHex: hex(hmacSha256(utf8(normalizePin(pin)), proofInput).subarray(0, 4)),
        proofHex: hex(bytes.subarray(25)),
        bytesHex: hex(bytes),
        code: encodeShortCode(bytes),
        parsed: {
          serial: parsed.serial,
          nonce: parsed.nonce,
          createdAt: parsed.createdAt,
          subject: parsed.subject,
          pinTagPrefix: parsed.pinTagPrefix ?? null,
        },
      },
      pinChecks: [
        { pin: c.pin, proves: true },
        { pin: c.pin === OTHER_PIN ? REQUEST_PIN : OTHER_PIN, proves: false },
      ],
    };
  });
  const first = CODE_REQUESTS[0] as CodeRequestInput;
  const bytes = requestCodeBytes(first);
  // A code made before PIN tags: kind 0x11, a 48-bit proof.
  const oldBody = bytes.slice(0, 25);
  oldBody[0] = 0x11;
  const oldInput = concatBytes(utf8('lictor/v1/request-code-proof\0'), oldBody);
  const oldBytes = concatBytes(oldBody, hmacSha256(utf8(normalizePin(first.pin)), oldInput).subarray(0, 6));
  const oldParsed = parseRequestCode(oldBytes);
  const beforeTags = {
    name: 'made before PIN tags: kind 0x11, the proof 48 bits of the MAC',
    input: { bodyHex: hex(oldBody), pin: first.pin },
    output: {
      proofInputHex: hex(oldInput),
      proofHex: hex(oldBytes.subarray(25)),
      bytesHex: hex(oldBytes),
      code: encodeShortCode(oldBytes),
      parsed: {
        serial: oldParsed.serial,
        nonce: oldParsed.nonce,
        createdAt: oldParsed.createdAt,
        subject: oldParsed.subject,
        pinTagPrefix: oldParsed.pinTagPrefix ?? null,
      },
    },
    pinChecks: [
      { pin: first.pin, proves: true },
      { pin: REQUEST_PIN, proves: false },
    ],
  };
  const code = encodeShortCode(bytes);
  const groups = code.split('-');
  const g2 = groups[1] ?? '';
  const typo = groups.map((g, i) => (i === 1 ? `${g2[0] === 'A' ? 'B' : 'A'}${g2.slice(1)}` : g)).join('-');
  const highBits = bytes.slice();
  highBits[1] = (highBits[1] ?? 0) | 0x10;
  const kind = bytes.slice();
  kind[0] = 0x21;
  const decode = (text: string) => parseRequestCode(decodeShortCode(text, 'request code'));
  const negatives = [
    { name: 'a typing mistake in group 2', code: typo },
    { name: 'kind byte 0x21 (an answer code)', code: encodeShortCode(kind) },
    { name: 'kind byte 0x13 (unknown)', code: encodeShortCode(Uint8Array.of(0x13, ...bytes.subarray(1))) },
    { name: 'the serial has more than 60 bits', code: encodeShortCode(highBits) },
    { name: 'one byte short', code: encodeShortCode(bytes.subarray(0, 30)) },
  ].map((n) => ({ ...n, error: codeOf(() => decode(n.code), n.name) }));
  const refusals = [
    { name: 'made before 2024-01-01', change: { createdAt: '2023-12-31T23:59:59.999Z' } },
    { name: 'a serial with two groups', change: { serial: 'LX-VBK0-JD9K' } },
  ].map((r) => {
    const input = { ...first, ...r.change };
    const { name: _n, ...fields } = input;
    return { name: r.name, input: fields as unknown as Json, error: codeOf(() => requestCodeBytes(input), r.name) };
  });
  return { cases, beforeTags, negative: negatives, encodeRefusals: refusals };
}

// ---- answer codes --------------------------------------------------------------------------

interface AnswerInput {
  name: string;
  request: CodeRequestInput;
  answer: Omit<AnswerCode, 'signature'>;
}

function pendingOf(r: CodeRequestInput) {
  return {
    serial: r.serial,
    owner: r.owner,
    hardware: normalizeHardware(r.hardware),
    nonce: r.nonceHex,
    ...(r.containerKeys ? { containerKeys: r.containerKeys } : {}),
  };
}

function signedAnswer(a: AnswerInput): { answer: AnswerCode; doc: LicenseDocument; signing: Uint8Array } {
  const unsigned = { ...a.answer, signature: new Uint8Array(64) };
  const doc = licenseFromAnswer(unsigned, pendingOf(a.request));
  const signing = licenseSigningBytes(doc, VENDOR.signer.publicKey);
  return { answer: { ...a.answer, signature: VENDOR.signer.sign(signing) }, doc, signing };
}

function answerCodeVectors(): Json {
  const inputs: AnswerInput[] = [
    {
      name: 'a single-user license with two features',
      request: CODE_REQUESTS[0] as CodeRequestInput,
      answer: {
        activationId: '01a205416e6b54a3',
        pin: 2,
        issuedAt: '2026-11-22T21:55:00.000Z',
        entry: {
          product: 'SCADA',
          type: 'single',
          users: 1,
          sessions: null,
          arch: null,
          expiresAt: '2027-11-22T21:55:00.000Z',
          features: [
            { code: 'historian', users: null },
            { code: 'alarms', users: 3 },
          ],
        },
      },
    },
    {
      name: 'a software dongle: perpetual 64-bit server with sessions, no features',
      request: CODE_REQUESTS[1] as CodeRequestInput,
      answer: {
        activationId: '00000000000000ff',
        pin: 1,
        issuedAt: '2024-01-01T00:00:00.000Z',
        entry: {
          product: 'SCADA.SRV',
          type: 'server-sessions',
          users: 1,
          sessions: 25,
          arch: 'x64',
          expiresAt: null,
          features: [],
        },
        policy: 'software-dongle',
      },
    },
  ];
  const cases = inputs.map((a) => {
    const { answer, doc, signing } = signedAnswer(a);
    const bytes = encodeAnswerCode(answer);
    return {
      name: a.name,
      input: { pending: pendingOf(a.request) as unknown as Json, answer: a.answer as unknown as Json },
      output: {
        document: canonicalJson(doc),
        subject: documentSubject(doc),
        signedView: canonicalJson(licenseSignedView(doc)),
        signingBytesHex: hex(signing),
        signatureHex: hex(answer.signature),
        bytesHex: hex(bytes),
        code: encodeShortCode(bytes),
      },
    };
  });
  const first = inputs[0] as AnswerInput;
  const { answer } = signedAnswer(first);
  const bytes = encodeAnswerCode(answer);
  const badSignature = encodeAnswerCode({ ...answer, signature: flipByte(answer.signature, 0) });
  const typeBits = bytes.slice();
  const flagsAt = 1 + 8 + 1 + 4 + 1 + utf8(first.answer.entry.product).length;
  typeBits[flagsAt] = 4 << 2;
  const other = { ...pendingOf(first.request), hardware: { ...normalizeHardware(HARDWARE), hostname: 'plant-b' } };
  const install = (code: string, pending: ReturnType<typeof pendingOf>) => {
    const parsed = parseAnswerCode(decodeShortCode(code, 'answer code'));
    return licenseFileFromSignature(licenseFromAnswer(parsed, pending), parsed.signature, VENDOR.signer.publicKey);
  };
  const negatives = [
    { name: 'signature altered', code: encodeShortCode(badSignature) },
    { name: 'answers a request made on another computer', code: encodeShortCode(bytes), pending: other },
    { name: 'one byte too many', code: encodeShortCode(concatBytes(bytes, Uint8Array.of(0))) },
    { name: 'the last byte missing', code: encodeShortCode(bytes.subarray(0, bytes.length - 1)) },
    { name: 'license type 4 (unknown)', code: encodeShortCode(typeBits) },
    { name: 'a request code', code: encodeShortCode(requestCodeBytes(first.request)) },
  ].map((n) => {
    const pending = n.pending ?? pendingOf(first.request);
    return {
      name: n.name,
      code: n.code,
      ...(n.pending ? { pending: n.pending as unknown as Json } : {}),
      error: codeOf(() => install(n.code, pending), n.name),
    };
  });
  const refusals = [
    { name: 'PIN index 256', answer: { ...answer, pin: 256 } },
    {
      name: 'an expiry that is not a whole minute',
      answer: { ...answer, entry: { ...answer.entry, expiresAt: '2027-11-22T21:55:30.000Z' } },
    },
    { name: 'issued before 2024-01-01', answer: { ...answer, issuedAt: '2023-12-31T23:59:00.000Z' } },
  ].map((r) => {
    const { signature: _s, ...rest } = r.answer;
    return { name: r.name, answer: rest as unknown as Json, error: codeOf(() => encodeAnswerCode(r.answer), r.name) };
  });
  return { vendorKey: vendorKeyJson(VENDOR), cases, negative: negatives, encodeRefusals: refusals };
}

// ---- remote upgrade ------------------------------------------------------------------------

const QUESTION_NONCE = toBase64Url(testBytes('upgrade/nonce', 16));
const QUESTION_CREATED_AT = '2026-11-22T22:10:40.123Z';

function questionFor(license: string, doc: LicenseDocument, signPem: string, counter?: number): UpgradeQuestion {
  const q = createUpgradeQuestion({ license, doc, nonce: QUESTION_NONCE, createdAt: QUESTION_CREATED_AT }, signPem);
  if (counter === undefined) return q;
  // A question that names another counter, signed properly: only the license inside disagrees.
  return createUpgradeQuestion(
    { license, doc: { ...doc, counter }, nonce: QUESTION_NONCE, createdAt: QUESTION_CREATED_AT },
    signPem,
  );
}

function upgradeQuestionVectors(licenses: Licenses): Json {
  const q = questionFor(licenses.hardware, LICENSE_HARDWARE, CONTAINER.signPem);
  const { signature: _s, ...body } = q;
  const signingInput = `lictor/v1/upgrade-question\0${canonicalJson(body)}`;
  const payload = utf8(canonicalJson(q));
  const textOut = encodeQuestionFile(q);
  const bytes = unarmor(textOut);
  const key = VENDOR.signer.publicKey;
  const verify = (t: string, pk = key) => verifyUpgradeQuestion(decodeQuestionFile(t), pk);
  const badSig = { ...q, signature: toBase64Url(flipByte(fromBase64Url(q.signature) as Uint8Array, 5)) };
  const negatives = [
    { name: 'signature altered', text: encodeQuestionFile(badSig) },
    {
      name: "signed with another container's key",
      text: encodeQuestionFile(questionFor(licenses.hardware, LICENSE_HARDWARE, OTHER_CONTAINER.signPem)),
    },
    {
      name: 'names counter 1, the license inside is at 0',
      text: encodeQuestionFile(questionFor(licenses.hardware, LICENSE_HARDWARE, CONTAINER.signPem, 1)),
    },
    {
      name: 'a license without container keys',
      text: encodeQuestionFile(questionFor(licenses.legacy, LICENSE_LEGACY, CONTAINER.signPem)),
    },
    { name: "verified with another vendor's key", text: textOut, other: true },
    { name: 'one byte changed on the way (checksum)', text: armor('question', flipByte(bytes, 30)) },
    { name: 'valid checksum, format 2 inside', text: encodePlainFile('question', { ...q, format: 2 }) },
  ].map((n) => {
    const pk = n.other ? OTHER_VENDOR.signer.publicKey : key;
    return { name: n.name, publicKey: pk.text, text: n.text, error: codeOf(() => verify(n.text, pk), n.name) };
  });
  return {
    vendorKey: vendorKeyJson(VENDOR),
    container: containerJson(CONTAINER),
    cases: [
      {
        name: 'a question from a computer-bound container at counter 0',
        input: { license: licenses.hardware, nonce: QUESTION_NONCE, createdAt: QUESTION_CREATED_AT },
        output: {
          signingInput,
          signatureHex: hex(fromBase64Url(q.signature) as Uint8Array),
          question: q as unknown as Json,
          payload: canonicalJson(q),
          checksumHex: hex(sha256(payload).subarray(0, 8)),
          text: textOut,
        },
      },
    ],
    negative: negatives,
  };
}

const CONFIRM_SECRET = testBytes('upgrade/secret', 16);

const UPGRADED: LicenseDocument = {
  ...LICENSE_HARDWARE,
  counter: 1,
  licenses: [
    {
      ...ENTRY_MINER,
      expiresAt: '2028-11-21T10:00:00.000Z',
      features: [...ENTRY_MINER.features, { code: 'ml', users: 5 }],
    },
  ],
};

function upgradeAnswerVectors(): Json {
  const ephemeral = testBytes('upgrade/ephemeral');
  const iv = testBytes('upgrade/confirm-iv', 12);
  const context = 'upgrade-confirm';
  const confirm = sealToContainer(CONTAINER.keys.box, CONFIRM_SECRET, context, fixedRandom(ephemeral, iv));
  const ephPublic = x25519PublicFromScalar(ephemeral);
  const shared = x25519Shared(ephemeral, fromBase64Url(CONTAINER.keys.box) as Uint8Array);
  const aesKey = hkdf(shared, fromBase64Url(ephPublic) as Uint8Array, `lictor/v1/seal/${context}`, 32);
  const doc: LicenseDocument = { ...UPGRADED, upgrade: { nonce: QUESTION_NONCE, fromCounter: 0, confirm } };
  const license = licenseCase('the upgraded state: counter 1, a feature added, one more year', doc, 'upgrade-answer');
  const sealed = fromBase64Url(confirm) as Uint8Array;
  const opens = (name: string, boxScalar: Uint8Array, ctx: string, text: string) => {
    const opened = openFromContainer(toBase64Url(boxScalar), text, ctx);
    if (opened !== null) throw new Error(`upgrade-answer negative '${name}' opens`);
    return { name, boxScalarHex: hex(boxScalar), context: ctx, confirm: text, opens: false };
  };
  const box = fromHex(CONTAINER.boxScalarHex);
  return {
    vendorKey: vendorKeyJson(VENDOR),
    container: containerJson(CONTAINER),
    seal: {
      name: 'the confirmation secret sealed to the container',
      input: {
        secretHex: hex(CONFIRM_SECRET),
        boxPublic: CONTAINER.keys.box,
        context,
        ephemeralScalarHex: hex(ephemeral),
        ivHex: hex(iv),
      },
      output: {
        ephemeralPublic: ephPublic,
        sharedHex: hex(shared),
        hkdfInfo: `lictor/v1/seal/${context}`,
        aesKeyHex: hex(aesKey),
        confirm,
      },
    },
    license: license.json,
    sealNegative: [
      opens("another container's key", fromHex(OTHER_CONTAINER.boxScalarHex), context, confirm),
      opens('another context', box, 'upgrade:01a2054fd74c0097d301dda3', confirm),
      opens('one byte of the ciphertext changed', box, context, toBase64Url(flipByte(sealed, 50))),
      opens('the tag cut short', box, context, toBase64Url(sealed.subarray(0, sealed.length - 4))),
    ],
  };
}

function x25519Shared(scalar: Uint8Array, publicRaw: Uint8Array): Uint8Array {
  const priv = createPrivateKey({
    key: Buffer.from(concatBytes(fromHex('302e020100300506032b656e04220420'), scalar)),
    format: 'der',
    type: 'pkcs8',
  });
  const pub = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: toBase64Url(publicRaw) }, format: 'jwk' });
  return new Uint8Array(diffieHellman({ privateKey: priv, publicKey: pub }));
}

function confirmationVectors(): Json {
  const inputs = [
    {
      name: 'after the upgrade of the upgrade-answer vector',
      containerId: LICENSE_HARDWARE.containerId,
      counter: 1,
      nonce: QUESTION_NONCE,
      secret: CONFIRM_SECRET,
    },
    {
      name: 'a later upgrade of another container',
      containerId: 'e738b164-b6cc-46e5-bd34-ea7d0c860aa7',
      counter: 70000,
      nonce: toBase64Url(testBytes('confirmation/nonce', 16)),
      secret: testBytes('confirmation/secret', 16),
    },
  ];
  const cases = inputs.map((c) => {
    const code = createConfirmationCode(c);
    const macInput = `lictor/v1/confirm\0${canonicalJson({ containerId: c.containerId, counter: c.counter, nonce: c.nonce })}`;
    return {
      name: c.name,
      input: { containerId: c.containerId, counter: c.counter, nonce: c.nonce, secretHex: hex(c.secret) },
      output: {
        tagInput: `lictor/v1/container\0${c.containerId}`,
        tagHex: containerTag(c.containerId),
        macInput,
        macHex: hex(hmacSha256(c.secret, utf8(macInput)).subarray(0, 8)),
        bytesHex: hex(decodeShortCode(code)),
        code,
      },
    };
  });
  const first = inputs[0] as (typeof inputs)[number];
  const code = createConfirmationCode(first);
  const groups = code.split('-');
  const g = groups[3] ?? '';
  const typo = groups.map((x, i) => (i === 3 ? `${g[0] === 'A' ? 'B' : 'A'}${g.slice(1)}` : x)).join('-');
  const negatives = [
    { name: 'a typing mistake in group 4', code: typo },
    { name: 'a request code', code: encodeShortCode(requestCodeBytes(CODE_REQUESTS[0] as CodeRequestInput)) },
  ].map((n) => ({ ...n, error: codeOf(() => parseConfirmationCode(n.code), n.name) }));
  const expected = { containerId: first.containerId, counter: first.counter, nonce: first.nonce, secret: first.secret };
  const mismatches = [
    { name: 'another secret', change: { secret: testBytes('confirmation/secret', 16) } },
    { name: 'another counter', change: { counter: 2 } },
    { name: 'another nonce', change: { nonce: toBase64Url(testBytes('confirmation/nonce', 16)) } },
    { name: 'another container', change: { containerId: 'e738b164-b6cc-46e5-bd34-ea7d0c860aa7' } },
  ].map((m) => {
    const e = { ...expected, ...m.change };
    if (confirmationMatches(parseConfirmationCode(code), e))
      throw new Error(`confirmation mismatch '${m.name}' matches`);
    return {
      name: m.name,
      code,
      expected: { containerId: e.containerId, counter: e.counter, nonce: e.nonce, secretHex: hex(e.secret) },
      matches: false,
    };
  });
  return { cases, negative: negatives, mismatch: mismatches };
}

// ---- software containers: the key file -----------------------------------------------------

const MACHINE_ID = '3f2c7b1e9a5d4c8b8e6f0a1b2c3d4e5f';
const OTHER_MACHINE_ID = '0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a';

function machineSecretOf(machineId: string): Uint8Array {
  return hmacSha256(utf8('lictor/v1/machine-secret'), utf8(machineId));
}

function machineTagOf(secret: Uint8Array): string {
  return hex(sha256(concatBytes(utf8('lictor/v1/machine-tag'), secret)).subarray(0, 8));
}

function keyFileVectors(): Json {
  const secret = machineSecretOf(MACHINE_ID);
  const privateKeys = { sign: CONTAINER.signPem, box: CONTAINER.boxPrivate };
  const seal = (bindTo: string, iv: Uint8Array) => {
    const key = hkdf(secret, utf8(bindTo), 'lictor/v1/container-key', 32);
    const plaintext = JSON.stringify({ sign: privateKeys.sign, box: privateKeys.box });
    const file = {
      format: 1,
      machine: machineTagOf(secret),
      iv: toBase64Url(iv),
      sealed: toBase64Url(aesGcmSeal(key, iv, utf8(plaintext), utf8(bindTo))),
    };
    return { key, plaintext, file, fileText: `${JSON.stringify(file)}\n` };
  };
  const cases = [
    {
      name: 'the key file next to a license: bound to the container id',
      bindTo: LICENSE_HARDWARE.containerId,
      label: 'key-file/iv',
    },
    {
      name: 'the keys kept with a pending offline request',
      bindTo: `request:${toBase64Url(testBytes('request-file/nonce', 16))}`,
      label: 'key-file/iv-2',
    },
  ].map((c) => {
    const iv = testBytes(c.label, 12);
    const s = seal(c.bindTo, iv);
    return {
      name: c.name,
      input: { machineId: MACHINE_ID, bindTo: c.bindTo, privateKeys, ivHex: hex(iv) },
      output: {
        machineSecretHex: hex(secret),
        machineTag: s.file.machine,
        sealingKeyHex: hex(s.key),
        plaintext: s.plaintext,
        fileText: s.fileText,
      },
    };
  });
  const good = seal(LICENSE_HARDWARE.containerId, testBytes('key-file/iv', 12));
  const sealedBytes = fromBase64Url(good.file.sealed) as Uint8Array;
  const negatives = [
    {
      name: 'opened on another computer',
      machineId: OTHER_MACHINE_ID,
      fileText: good.fileText,
      error: 'LICTOR_E_CONTAINER_MOVED',
    },
    {
      name: 'one byte of the sealed keys changed',
      fileText: `${JSON.stringify({ ...good.file, sealed: toBase64Url(flipByte(sealedBytes, 3)) })}\n`,
      error: 'LICTOR_E_CONTAINER_TAMPERED',
    },
    {
      name: "another container's key file renamed to this one",
      bindTo: 'e738b164-b6cc-46e5-bd34-ea7d0c860aa7',
      fileText: good.fileText,
      error: 'LICTOR_E_CONTAINER_TAMPERED',
    },
    {
      name: 'format 2',
      fileText: `${JSON.stringify({ ...good.file, format: 2 })}\n`,
      error: 'LICTOR_E_CONTAINER_TAMPERED',
    },
    {
      name: 'an iv of 8 bytes',
      fileText: `${JSON.stringify({ ...good.file, iv: toBase64Url(testBytes('key-file/iv', 8)) })}\n`,
      error: 'LICTOR_E_CONTAINER_TAMPERED',
    },
    { name: 'not JSON', fileText: good.fileText.slice(0, 40), error: 'LICTOR_E_CONTAINER_TAMPERED' },
  ].map((n) => ({
    name: n.name,
    machineId: n.machineId ?? MACHINE_ID,
    bindTo: n.bindTo ?? LICENSE_HARDWARE.containerId,
    fileText: n.fileText,
    error: n.error,
  }));
  return { cases, negative: negatives };
}

// ---- containers on hardware tokens ---------------------------------------------------------

/** A token data object value: "LTD1" ‖ generation (uint64 BE) ‖ SHA-256(payload) ‖ payload. */
function tokenDataValue(generation: number, payload: Uint8Array): Uint8Array {
  return concatBytes(utf8('LTD1'), uintBytes(generation, 8), sha256(payload), payload);
}

function tokenContainerVectors(licenses: Licenses): Json {
  const keysPair = {
    public: OTHER_CONTAINER.keys,
    private: { sign: OTHER_CONTAINER.signPem, box: OTHER_CONTAINER.boxPrivate },
  };
  const keysObject = encodeTokenContainerKeys(LICENSE_TOKEN.containerId, keysPair);
  const upgradeRecord = utf8(
    JSON.stringify({ nonce: QUESTION_NONCE, counter: 0, createdAt: QUESTION_CREATED_AT, abandoned: [] }),
  );
  const objects = [
    { label: 'lictor-license', private: false, generation: 1, payloadText: licenses.token },
    { label: 'lictor-container-keys', private: true, generation: 2, payloadText: text(keysObject) },
    { label: 'lictor-upgrade', private: true, generation: 1, payloadText: text(upgradeRecord) },
  ].map((o) => {
    const value = tokenDataValue(o.generation, utf8(o.payloadText));
    return { ...o, headerHex: hex(value.subarray(0, 44)), valueHex: hex(value) };
  });
  const keysValue = tokenDataValue(2, keysObject);
  const damaged = flipByte(keysValue, 60);
  const badMagic = keysValue.slice();
  badMagic[3] = 0x32;
  return {
    containerKeys: {
      name: 'the container keys object of the token-bound license vector',
      input: { containerId: LICENSE_TOKEN.containerId, keys: keysPair, container: containerJson(OTHER_CONTAINER) },
      output: { text: text(keysObject) },
    },
    dataObjects: objects,
    damagedValues: [
      { name: 'one payload byte changed: the digest does not match', valueHex: hex(damaged), whole: false },
      { name: 'magic LTD2', valueHex: hex(badMagic), whole: false },
      { name: 'shorter than the 44-byte header', valueHex: hex(keysValue.subarray(0, 43)), whole: false },
    ],
    negative: [
      { name: 'format 2', text: text(utf8(JSON.stringify({ ...JSON.parse(text(keysObject)), format: 2 }))) },
      {
        name: 'no private keys',
        text: JSON.stringify({ format: 1, containerId: LICENSE_TOKEN.containerId, public: keysPair.public }),
      },
      { name: 'not JSON', text: 'lictor' },
    ].map((n) => ({ ...n, error: codeOf(() => decodeTokenContainerKeys(utf8(n.text)), n.name) })),
  };
}

function tokenPresenceVectors(): Json {
  const presence = fromHex(TOKEN_PRESENCE_SIGNATURE);
  const claimSignature = fromHex(TOKEN_CLAIM_SIGNATURE);
  const message = tokenPresenceMessage(TOKEN_CHALLENGE);
  const claimMessage = tokenActivationMessage(TOKEN_CLAIM);
  requireEcdsa('presence', TOKEN_KEY.verify(message, presence), message);
  requireEcdsa('claim', TOKEN_KEY.verify(claimMessage, claimSignature), claimMessage);
  const otherChallenge = testBytes('token-challenge-2');
  return {
    key: {
      name: 'the test token key',
      input: { scalarHex: hex(TOKEN_SCALAR), pointHex: hex(TOKEN_POINT) },
      output: { spkiHex: hex(TOKEN_KEY.der), text: TOKEN_KEY.text, fingerprint: TOKEN_KEY.fingerprint },
    },
    presence: {
      name: 'a presence proof',
      input: { challengeHex: hex(TOKEN_CHALLENGE), signatureHex: TOKEN_PRESENCE_SIGNATURE },
      output: { messageHex: hex(message), valid: true },
    },
    claim: {
      name: 'a token activation claim',
      input: { claim: TOKEN_CLAIM as unknown as Json, signature: toBase64Url(claimSignature) },
      output: { message: text(claimMessage), valid: true },
    },
    invalidProofs: [
      {
        name: 'presence signature altered',
        challengeHex: hex(TOKEN_CHALLENGE),
        signatureHex: hex(flipByte(presence, 40)),
      },
      {
        name: 'the proof of another challenge',
        challengeHex: hex(otherChallenge),
        signatureHex: TOKEN_PRESENCE_SIGNATURE,
      },
      {
        name: 'a claim signature as a presence proof',
        challengeHex: hex(TOKEN_CHALLENGE),
        signatureHex: TOKEN_CLAIM_SIGNATURE,
      },
    ].map((p) => {
      if (verifyTokenPresence(TOKEN_KEY, fromHex(p.challengeHex), fromHex(p.signatureHex))) {
        throw new Error(`token proof '${p.name}' verifies`);
      }
      return { ...p, valid: false };
    }),
    negative: [
      { name: 'a point of 64 bytes', pointHex: hex(TOKEN_POINT.subarray(1)) },
      { name: 'a compressed point', pointHex: `02${hex(TOKEN_POINT.subarray(1, 33))}` },
      { name: 'a point off the curve', pointHex: hex(flipByte(TOKEN_POINT, 64)) },
    ].map((n) => ({ ...n, error: codeOf(() => tokenPublicKeyFromPoint(fromHex(n.pointHex)), n.name) })),
    challengeRefusals: [{ name: 'a challenge of 16 bytes', challengeHex: hex(TOKEN_CHALLENGE.subarray(0, 16)) }].map(
      (n) => ({ ...n, error: codeOf(() => tokenPresenceMessage(fromHex(n.challengeHex)), n.name) }),
    ),
  };
}

function requireEcdsa(what: string, ok: boolean, message: Uint8Array): void {
  if (ok) return;
  const key = createPrivateKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      d: toBase64Url(TOKEN_SCALAR),
      x: toBase64Url(TOKEN_POINT.subarray(1, 33)),
      y: toBase64Url(TOKEN_POINT.subarray(33)),
    },
    format: 'jwk',
  });
  const fresh = sign('sha256', message, { key, dsaEncoding: 'ieee-p1363' }).toString('hex');
  throw new Error(`the fixed token ${what} signature does not verify; set it to ${fresh}`);
}

// ---- duplicate detection -------------------------------------------------------------------

const INSTANCE_A = toBase64Url(testBytes('instance-a', 16));
const INSTANCE_B = toBase64Url(testBytes('instance-b', 16));
/** Instance A's counter at its first announcement: its computer's monotonic clock, one day after boot. */
const SEQ_A = 86_400_123;

/** The instance id of a boot: HMAC-SHA256(machine secret, "lictor/v1/instance\0" ‖ boot)[..16], base64url. */
function instanceOf(machineSecret: Uint8Array, boot: string): string {
  return toBase64Url(hmacSha256(machineSecret, utf8(`lictor/v1/instance\0${boot}`)).subarray(0, 16));
}

function credentialOf(license: string): AnnouncementCredential {
  const credential = announcementCredential(license, VENDOR.signer.publicKey);
  if (credential === null) throw new Error('the license cannot announce');
  return credential;
}

function announce(license: string, instance: string, seq: number, signPem = CONTAINER.signPem): Announcement {
  return createAnnouncement({ ...credentialOf(license), instance, seq }, signPem);
}

/** An announcement with `fields` changed, signed again by `signPem` (only the changed part is wrong). */
function resigned(a: Announcement, fields: Partial<Announcement>, signPem: string): Announcement {
  const { signature: _s, format: _f, ...rest } = { ...a, ...fields };
  return createAnnouncement(rest, signPem);
}

function announcementVectors(licenses: Licenses): Json {
  const key = VENDOR.signer.publicKey;
  const credential = credentialOf(licenses.hardware);
  const a = announce(licenses.hardware, INSTANCE_A, SEQ_A);
  const { signature: _s, ...body } = a;
  const wire = text(encodeAnnouncement(a));
  const verified = verifyAnnouncement(JSON.parse(wire), key);
  const badSig = { ...a, signature: toBase64Url(flipByte(fromBase64Url(a.signature) as Uint8Array, 1)) };
  // A license issued before format 2 of the subject digest, announced anyway (the SDK does not).
  const early = decodeLicenseFile(licenses.early, key);
  const earlyView = licenseSignedView(early, formatOneSubject(early).subject);
  const earlyAnnouncement = createAnnouncement(
    {
      license: earlyView as unknown as Record<string, unknown>,
      vendorSignature: toBase64Url(
        VENDOR.signer.sign(licenseSigningBytes(early, key, String(earlyView.binding.subject))),
      ),
      containerKeys: EARLY_CONTAINER.keys,
      subjectPrivate: subjectPrivateDigest(early.owner, HARDWARE),
      instance: INSTANCE_A,
      seq: SEQ_A,
    },
    EARLY_CONTAINER.signPem,
  );
  const otherOwner = subjectPrivateDigest({ company: 'Initech' }, HARDWARE);
  const negatives: { name: string; wireText: string; other?: boolean }[] = [
    { name: 'signature altered', wireText: JSON.stringify(badSig) },
    {
      name: 'signed with the key of another container',
      wireText: JSON.stringify(announce(licenses.hardware, INSTANCE_A, SEQ_A, OTHER_CONTAINER.signPem)),
    },
    {
      name: "another container's keys, signed with them",
      wireText: JSON.stringify(resigned(a, { containerKeys: OTHER_CONTAINER.keys }, OTHER_CONTAINER.signPem)),
    },
    {
      name: 'subjectPrivate of another owner',
      wireText: JSON.stringify(resigned(a, { subjectPrivate: otherOwner }, CONTAINER.signPem)),
    },
    {
      name: 'a license signed over the format 1 subject digest',
      wireText: JSON.stringify(earlyAnnouncement),
    },
    {
      name: 'the license view altered (PIN index 2)',
      wireText: JSON.stringify(resigned(a, { license: { ...a.license, pin: 2 } }, CONTAINER.signPem)),
    },
    {
      name: 'the license view without an activation id',
      wireText: JSON.stringify(resigned(a, { license: { ...a.license, activationId: undefined } }, CONTAINER.signPem)),
    },
    { name: 'an instance id of 7 characters', wireText: JSON.stringify({ ...a, instance: 'abcdefg' }) },
    { name: 'format 1', wireText: JSON.stringify({ ...a, format: 1 }) },
    { name: 'seq is negative', wireText: JSON.stringify({ ...a, seq: -1 }) },
    { name: 'seq is not an integer', wireText: JSON.stringify({ ...a, seq: 1.5 }) },
    { name: 'not JSON', wireText: wire.slice(0, 100) },
    { name: 'more than 16384 bytes', wireText: JSON.stringify({ ...a, padding: 'x'.repeat(16_384) }) },
    { name: "verified with another vendor's key", wireText: wire, other: true },
  ];
  const secret = machineSecretOf(MACHINE_ID);
  const boots = [
    ['Linux: /proc/sys/kernel/random/boot_id', 'linux:5f0c2a1e-8d3b-4c7a-9e21-6b4d8f3a0c57'],
    ['macOS: sysctl kern.bootsessionuuid', 'darwin:8E1C2F3A-4B5D-4E6F-8A7B-9C0D1E2F3A4B'],
    ['Windows: the BootId counter', 'win32:187'],
    ['no boot identity: the per-boot record', `record:${toBase64Url(testBytes('instance-record', 16))}`],
  ];
  return {
    vendorKey: vendorKeyJson(VENDOR),
    container: containerJson(CONTAINER),
    instances: {
      machineId: MACHINE_ID,
      machineSecretHex: hex(secret),
      cases: boots.map(([name, boot]) => ({
        name: name as string,
        boot: boot as string,
        input: `lictor/v1/instance\0${boot}`,
        instance: instanceOf(secret, boot as string),
      })),
    },
    cases: [
      {
        name: 'an announcement of the computer-bound license',
        input: { license: licenses.hardware, instance: INSTANCE_A, seq: SEQ_A },
        output: {
          license: credential.license as Json,
          vendorSignatureHex: hex(fromBase64Url(credential.vendorSignature) as Uint8Array),
          subjectPrivate: credential.subjectPrivate,
          signingInput: `lictor/v2/announcement\0${canonicalJson(body)}`,
          signatureHex: hex(fromBase64Url(a.signature) as Uint8Array),
          announcement: a as unknown as Json,
          wireText: wire,
          verified: { serial: verified.serial, pin: verified.pin, activationId: verified.activationId },
        },
      },
    ],
    cannotAnnounce: [
      { name: 'a license signed over the format 1 subject digest', license: licenses.early },
      { name: 'a license without container keys', license: licenses.legacy },
    ].map((c) => {
      if (announcementCredential(c.license, key) !== null) throw new Error(`'${c.name}' can announce`);
      return { ...c, credential: null };
    }),
    negative: negatives.map((n) => {
      const pk = n.other ? OTHER_VENDOR.signer.publicKey : key;
      return {
        name: n.name,
        publicKey: pk.text,
        wireText: n.wireText,
        error: codeOf(() => decodeAnnouncement(utf8(n.wireText), pk), n.name),
      };
    }),
  };
}

function evidenceVectors(licenses: Licenses): Json {
  // A cloned computer: instance B announces the same license (same container key) between A's two.
  // Each instance counts with its own computer's monotonic clock: B's counter is unrelated to A's.
  const pool: Announcement[] = [
    announce(licenses.hardware, INSTANCE_A, SEQ_A),
    announce(licenses.hardware, INSTANCE_B, 4_000_017),
    announce(licenses.hardware, INSTANCE_A, SEQ_A + 30_000),
    announce(licenses.hardware, INSTANCE_A, SEQ_A + MAX_EVIDENCE_SPAN_MS + 1),
    { ...announce(licenses.hardware, INSTANCE_B, 4_030_017), signature: toBase64Url(new Uint8Array(64)) },
    announce(licenses.token, INSTANCE_B, 4_000_017, OTHER_CONTAINER.signPem),
    announce(licenses.hardware, INSTANCE_A, SEQ_A + MAX_EVIDENCE_SPAN_MS),
  ];
  const key = VENDOR.signer.publicKey;
  const head = { format: 2, serial: LICENSE_HARDWARE.serial, pin: LICENSE_HARDWARE.pin };
  const evidenceOf = (h: Record<string, unknown>, indexes: number[]) =>
    ({ ...h, announcements: indexes.map((i) => pool[i]) }) as unknown as DuplicateEvidence;
  const cases = [
    { name: 'A, B, A: a cloned computer', evidence: head, indexes: [0, 1, 2] },
    { name: "A's counter grew by exactly 15 minutes", evidence: head, indexes: [0, 1, 6] },
    {
      name: "the evidence's own serial and pin are not read: what it proves comes from the announcements",
      evidence: { ...head, serial: 'LX-SDG9-3CVY-MYB5', pin: 7 },
      indexes: [0, 1, 2],
    },
  ].map((c) => {
    const e = evidenceOf(c.evidence, c.indexes);
    const v = verifyDuplicateEvidence(e, key);
    return {
      ...c,
      output: {
        serial: v.serial,
        pin: v.pin,
        activations: v.activations,
        instances: v.instances,
        markFileText: `${JSON.stringify(e, null, 2)}\n`,
      },
    };
  });
  const negatives = [
    { name: 'not interleaved: B before A', indexes: [1, 0, 2] },
    { name: 'the middle announcement by the same instance', indexes: [0, 2, 6] },
    { name: "A's counter does not grow (the same announcement twice)", indexes: [0, 1, 0] },
    { name: "A's counter goes back", indexes: [2, 1, 0] },
    { name: "A's counter grew by 15 minutes and 1 ms", indexes: [0, 1, 3] },
    { name: 'two announcements', indexes: [0, 1] },
    { name: 'the middle announcement is not signed by the container', indexes: [0, 4, 2] },
    { name: 'the middle announcement names another serial', indexes: [0, 5, 2] },
    { name: 'format 1', evidence: { ...head, format: 1 }, indexes: [0, 1, 2] },
  ].map((n) => {
    const h = n.evidence ?? head;
    return {
      name: n.name,
      evidence: h,
      indexes: n.indexes,
      error: codeOf(() => verifyDuplicateEvidence(evidenceOf(h, n.indexes), key), n.name),
    };
  });
  return {
    vendorKey: vendorKeyJson(VENDOR),
    maxSpanMs: MAX_EVIDENCE_SPAN_MS,
    announcements: pool as unknown as Json,
    cases: cases as unknown as Json,
    negative: negatives,
  };
}

// ---- signed center time and the clock mark -------------------------------------------------

const TIME_NONCE = toBase64Url(testBytes('signed-time/nonce', 16));
const TIME_MS = Date.parse('2026-11-23T08:15:42.318Z');

/** The bytes the vendor signs for a center time: label ‖ key id ‖ canonical({ nonce, time }). */
function serverTimeBytes(key: VendorSigner['publicKey'], time: string, nonce: string): Uint8Array {
  return concatBytes(utf8('lictor/v1/server-time\0'), key.keyId, utf8(canonicalJson({ nonce, time })));
}

function signedTimeVectors(): Json {
  const key = VENDOR.signer.publicKey;
  const inputs = [
    { name: 'for a nonce of 16 bytes, as the SDK makes it', nowMs: TIME_MS, nonce: TIME_NONCE },
    {
      name: 'for a nonce of 64 bytes, the longest',
      nowMs: Date.parse('2027-01-01T00:00:00.000Z'),
      nonce: toBase64Url(testBytes('signed-time/nonce-64', 32)) + toBase64Url(testBytes('signed-time/nonce-64b', 32)),
    },
  ];
  const cases = inputs.map((c) => {
    const signed = signServerTime(VENDOR.signer, c.nowMs, c.nonce);
    const bytes = serverTimeBytes(key, signed.time, c.nonce);
    if (!key.verify(bytes, fromBase64Url(signed.signature) as Uint8Array)) throw new Error('signed time bytes');
    return {
      name: c.name,
      input: { nowMs: c.nowMs, nonce: c.nonce },
      output: {
        time: signed.time,
        signedBytesHex: hex(bytes),
        signatureHex: hex(fromBase64Url(signed.signature) as Uint8Array),
        signedTime: signed as unknown as Json,
        headerValue: JSON.stringify(signed),
        ms: verifyServerTime(signed, key, c.nonce),
      },
    };
  });
  const good = signServerTime(VENDOR.signer, TIME_MS, TIME_NONCE);
  const otherNonce = toBase64Url(testBytes('signed-time/other-nonce', 16));
  const negatives: { name: string; value: unknown; nonce?: string; other?: boolean }[] = [
    { name: 'answered for another nonce', value: good, nonce: otherNonce },
    { name: 'the time changed by 1 ms', value: { ...good, time: '2026-11-23T08:15:42.319Z' } },
    {
      name: 'the same instant written differently (+00:00): the signature is over the text',
      value: { ...good, time: '2026-11-23T08:15:42.318+00:00' },
    },
    { name: "verified with another vendor's key", value: good, other: true },
    { name: 'signed by another vendor key', value: signServerTime(OTHER_VENDOR.signer, TIME_MS, TIME_NONCE) },
    { name: 'the time is not a date', value: { ...good, time: 'tomorrow' } },
    { name: 'no signature', value: { time: good.time, nonce: good.nonce } },
    { name: 'a signature that is not base64url', value: { ...good, signature: `${good.signature}=` } },
    { name: 'not an object', value: null },
  ];
  const nonces = [
    ['16 bytes (22 characters)', TIME_NONCE, true],
    ['64 bytes (86 characters)', inputs[1]?.nonce, true],
    ['21 characters', TIME_NONCE.slice(1), false],
    ['87 characters', `${inputs[1]?.nonce}A`, false],
    ['base64 with padding', `${TIME_NONCE}==`, false],
    ['a character outside base64url (+)', `+${TIME_NONCE.slice(1)}`, false],
  ].map(([name, nonce, valid]) => {
    if (isTimeNonce(nonce) !== valid) throw new Error(`time nonce '${name}'`);
    return { name: name as string, nonce: nonce as string, valid: valid as boolean };
  });
  return {
    vendorKey: vendorKeyJson(VENDOR),
    otherVendorKey: vendorKeyJson(OTHER_VENDOR),
    header: TIME_HEADER,
    cases,
    nonces,
    negative: negatives.map((n) => {
      const pk = n.other ? OTHER_VENDOR.signer.publicKey : key;
      const nonce = n.nonce ?? TIME_NONCE;
      return {
        name: n.name,
        publicKey: pk.text,
        nonce,
        value: n.value as Json,
        error: codeOf(() => verifyServerTime(n.value, pk, nonce), n.name),
      };
    }),
  };
}

/** A sealed state file as the SDK writes it (`sealed-state.ts`). */
function sealedState(secret: Uint8Array, kind: string, body: Record<string, unknown>) {
  const key = hkdf(secret, new Uint8Array(0), `lictor/v1/state/${kind}`, 32);
  const macInput = canonicalJson({ kind, body });
  const mac = toBase64Url(hmacSha256(key, utf8(macInput)));
  const fileText = `${JSON.stringify({ format: 1, kind, body, mac }, null, 2)}\n`;
  return { key, macInput, mac, fileText };
}

function clockMarkVectors(): Json {
  const secret = machineSecretOf(MACHINE_ID);
  const server = signServerTime(VENDOR.signer, TIME_MS, TIME_NONCE);
  const markMs = TIME_MS + 3 * 3_600_000 + 17;
  const bodies: [string, Record<string, unknown>][] = [
    ['a mark and the last center time', { markMs, server }],
    ['a mark before any center time', { markMs: Date.parse('2026-11-22T10:00:00.000Z') }],
  ];
  const cases = bodies.map(([name, body]) => {
    const s = sealedState(secret, 'clock', body);
    return {
      name,
      input: { machineId: MACHINE_ID, body: body as Json },
      output: {
        keyHex: hex(s.key),
        macInput: s.macInput,
        macHex: hex(fromBase64Url(s.mac) as Uint8Array),
        fileText: s.fileText,
      },
      read: {
        state: 'valid',
        markMs: body.markMs as number,
        serverMs: body.server === undefined ? null : TIME_MS,
      },
    };
  });
  const good = sealedState(secret, 'clock', { markMs, server });
  const file = JSON.parse(good.fileText) as { body: Record<string, unknown> };
  const edit = (change: Record<string, unknown>) => `${JSON.stringify({ ...file, ...change }, null, 2)}\n`;
  const badServer = { ...server, time: '2026-11-24T08:15:42.318Z' };
  const reads = [
    {
      name: 'copied from another computer: the seal does not verify, the signed center time still counts',
      machineId: OTHER_MACHINE_ID,
      fileText: good.fileText,
      read: { state: 'tampered', serverMs: TIME_MS },
    },
    {
      name: 'the mark edited: the seal does not verify, the signed center time still counts',
      machineId: MACHINE_ID,
      fileText: edit({ body: { ...file.body, markMs: markMs - 86_400_000 } }),
      read: { state: 'tampered', serverMs: TIME_MS },
    },
    {
      name: 'sealed, with a center time whose signature does not verify: the time is ignored',
      machineId: MACHINE_ID,
      fileText: sealedState(secret, 'clock', { markMs, server: badServer }).fileText,
      read: { state: 'valid', markMs, serverMs: null },
    },
    {
      name: 'format 2',
      machineId: MACHINE_ID,
      fileText: edit({ format: 2 }),
      read: { state: 'tampered', serverMs: TIME_MS },
    },
    {
      name: 'a state of another kind',
      machineId: MACHINE_ID,
      fileText: sealedState(secret, 'other', { markMs, server }).fileText,
      read: { state: 'tampered', serverMs: TIME_MS },
    },
    {
      name: 'a mark that is not an integer: no canonical form, so no seal can match',
      machineId: MACHINE_ID,
      fileText: edit({ body: { ...file.body, markMs: markMs + 0.5 } }),
      read: { state: 'tampered', serverMs: TIME_MS },
    },
    {
      name: 'not JSON',
      machineId: MACHINE_ID,
      fileText: good.fileText.slice(0, 50),
      read: { state: 'tampered', serverMs: null },
    },
  ];
  return {
    vendorKey: vendorKeyJson(VENDOR),
    fileName: 'lictor-clock.json',
    machineSecretHex: hex(secret),
    cases,
    reads: reads as unknown as Json,
  };
}

// ---- discovery packets ---------------------------------------------------------------------

function discoveryVectors(): Json {
  const nonce = testBytes('discovery/nonce', 16);
  const probe = encodeDiscoveryProbe(nonce);
  const answers = [
    { name: 'id, version and port', announcement: { id: 'mgr-3f9a0c1d', version: '0.1.0', port: 8790 } },
    {
      name: 'with a URL',
      announcement: { id: 'mgr-3f9a0c1d', version: '0.1.0', port: 8790, url: 'http://10.0.4.12:8790' },
    },
  ].map((a) => ({ ...a, nonceHex: hex(nonce), packetHex: hex(encodeDiscoveryAnswer(nonce, a.announcement)) }));
  const answer = encodeDiscoveryAnswer(nonce, { id: 'mgr-3f9a0c1d', version: '0.1.0', port: 8790 });
  const withBody = (json: string) => concatBytes(answer.subarray(0, 22), utf8(json));
  const version2 = probe.slice();
  version2[4] = 2;
  const probeFaults = [
    { name: '511 bytes', packet: probe.subarray(0, 511) },
    { name: '513 bytes', packet: concatBytes(probe, Uint8Array.of(0)) },
    { name: 'version 2', packet: version2 },
    { name: 'an answer', packet: answer },
  ].map((f) => {
    const decoded = decodeDiscoveryProbe(f.packet);
    if (decoded.ok) throw new Error(`discovery probe fault '${f.name}' decodes`);
    return { name: f.name, packetHex: hex(f.packet), fault: decoded.fault };
  });
  const answerFaults = [
    { name: 'port 0', packet: withBody('{"id":"mgr-3f9a0c1d","version":"0.1.0","port":0}') },
    { name: 'a control character in the id', packet: withBody('{"id":"mgr\\u0007","version":"0.1.0","port":8790}') },
    { name: 'not JSON', packet: withBody('{"id"') },
    { name: 'a probe', packet: probe },
    { name: '21 bytes', packet: answer.subarray(0, 21) },
  ].map((f) => {
    const decoded = decodeDiscoveryAnswer(f.packet);
    if (decoded.ok) throw new Error(`discovery answer fault '${f.name}' decodes`);
    return { name: f.name, packetHex: hex(f.packet), fault: decoded.fault };
  });
  const ignored = {
    name: 'unknown fields are ignored',
    packetHex: hex(withBody('{"id":"mgr-3f9a0c1d","version":"0.1.0","port":8790,"weight":3}')),
    announcement: { id: 'mgr-3f9a0c1d', version: '0.1.0', port: 8790 },
  };
  return {
    probe: { name: 'a probe', nonceHex: hex(nonce), packetHex: hex(probe) },
    answers: answers as unknown as Json,
    tolerant: [ignored],
    probeFaults,
    answerFaults,
    encodeRefusals: [
      { name: 'an id of 65 characters', announcement: { id: 'm'.repeat(65), version: '0.1.0', port: 8790 } },
      { name: 'port 65536', announcement: { id: 'mgr', version: '0.1.0', port: 65536 } },
      {
        name: 'a nonce of 15 bytes',
        nonceHex: hex(nonce.subarray(0, 15)),
        announcement: { id: 'mgr', version: '0.1.0', port: 8790 },
      },
    ].map((r) => {
      const nonceHex = r.nonceHex ?? hex(nonce);
      const error = codeOf(() => encodeDiscoveryAnswer(fromHex(nonceHex), r.announcement), r.name);
      return { name: r.name, nonceHex, announcement: r.announcement, error };
    }),
  };
}

// ---- signed answers ------------------------------------------------------------------------

const ANSWER_MS = Date.parse('2026-11-23T08:15:42.318Z');
const answerNonceOf = (label: string, n = 24) => toBase64Url(testBytes(`signed-answer/${label}`, n));

/** The container key of LICENSE_HARDWARE (MINER, features etl and reports, until 2027-11-22), with its license. */
function hardwareAnswerKey(licenses: Licenses): AnswerKey {
  return {
    license: licenses.hardware,
    containerId: LICENSE_HARDWARE.containerId,
    sign: loadContainerSigner(CONTAINER.signPem),
  };
}

const RUNTIME_FILE = '/var/lib/lictor/runtime/licenses/LX-ZWMW-DCA8-A67E_01a2054fac6900b5cfb5322a.lic';
const CHECK_ANSWER = {
  product: 'MINER',
  feature: 'reports',
  serial: LICENSE_HARDWARE.serial,
  licenseId: `${LICENSE_HARDWARE.activationId}:MINER`,
  type: 'single',
  users: 5,
  expiresAt: '2027-11-22T10:00:00.000Z',
  file: RUNTIME_FILE,
};
const ESCAPED_CHECK_ANSWER = {
  ...CHECK_ANSWER,
  feature: 'etl',
  users: null,
  file: 'C:\\ProgramData\\Lictor\\runtime\\licenses\\Müller "Werk 2"\u0001.lic',
};
const SESSION_ANSWER = {
  id: '0f8e2d4c-6b1a-4e39-9c57-2a1d0b3e4f60',
  product: 'MINER',
  feature: null,
  serial: LICENSE_HARDWARE.serial,
  licenseId: `${LICENSE_HARDWARE.activationId}:MINER`,
  licenseFile: RUNTIME_FILE,
  pid: 4242,
  osSession: '3',
  openedAt: '2026-11-23T08:15:42.318Z',
};
const LEASE_BODY = {
  id: '7c1b9e52-3f0d-4a86-b2e4-5d9f01c6a7b3',
  product: 'MINER',
  feature: null,
  licenseId: `${LICENSE_HARDWARE.activationId}:MINER`,
  source: 'software',
  grantedAt: '2026-11-23T08:15:42.318Z',
  expiresAt: '2026-11-23T08:16:42.318Z',
  heartbeatIntervalMs: 20000,
};
const LEASE_ANSWER = { lease: LEASE_BODY, renewed: false };
const STATUS_ANSWER = {
  manager: { id: 'mgr-3f9a2c', version: '0.1.0' },
  heartbeatIntervalMs: 20000,
  leaseTtlMs: 60000,
  products: [{ product: 'MINER', inUse: 3, total: 5 }],
};
const SEAT = {
  id: 'b3d0c5a1-9e7f-4c28-8a61-f4e2d7b90c15',
  leaseId: LEASE_BODY.id,
  product: 'MINER',
  feature: null,
  manager: 'http://10.0.4.12:8790',
  state: 'active',
  expiresAt: LEASE_BODY.expiresAt,
  heartbeatIntervalMs: 20000,
  pid: 4242,
};

/** How one answer is signed: the statement, the bytes and the signature (Ed25519 is deterministic). */
function signingCase(key: AnswerKey, name: string, purpose: string, nonce: string, answer: Json) {
  const statement = answerStatement(purpose, key.containerId, nonce, answer);
  const bytes = answerSigningBytes(purpose, key.containerId, nonce, answer);
  if (text(bytes) !== `${ANSWER_PROOF_DOMAIN}\0${statement}`) throw new Error('signed-answer bytes');
  const proof = signAnswer(key, purpose, nonce, answer);
  return {
    name,
    input: { purpose, container: key.containerId, nonce, answer },
    output: {
      statement,
      signingBytesHex: hex(bytes),
      signatureHex: hex(fromBase64Url(proof.signature) as Uint8Array),
      proof: proof as unknown as Json,
    },
  };
}

/** A runtime answer as sent, and what a client verifying it must conclude. */
interface AnswerCheck {
  name: string;
  purpose: RuntimeAnswerPurpose;
  nonce: string;
  product: string;
  feature: string | null;
  nowMs: number;
  response: unknown;
}

/** The verdict of the reference verifier: the signed answer, or the fault (within `session` if given). */
function verdict(c: AnswerCheck, session?: RuntimeAnswerSession): { answer: Json } | { error: string; reason: string } {
  try {
    const { answer } = verifyRuntimeAnswer({
      publicKey: VENDOR.signer.publicKey,
      nonce: c.nonce,
      purpose: c.purpose,
      answer: c.response,
      product: c.product,
      feature: c.feature,
      now: c.nowMs,
      ...(session === undefined ? {} : { session }),
    });
    return { answer: answer as Json };
  } catch (e) {
    if (!(e instanceof LictorError)) throw e;
    return { error: e.code, reason: String(e.details?.reason) };
  }
}

function signedAnswerVectors(licenses: Licenses): Json {
  const key = hardwareAnswerKey(licenses);
  const nonces = {
    check: answerNonceOf('check'),
    escaped: answerNonceOf('check-escaped', 16),
    session: answerNonceOf('session'),
    lease: answerNonceOf('lease'),
    heartbeat: answerNonceOf('heartbeat'),
    other: answerNonceOf('other'),
  };
  const signatures = [
    signingCase(key, 'a check granted by the runtime', 'runtime-check', nonces.check, CHECK_ANSWER),
    signingCase(
      key,
      'a check whose file name needs escapes (quote, backslash, U+0001) and UTF-8 (ü); a 16-byte nonce',
      'runtime-check',
      nonces.escaped,
      ESCAPED_CHECK_ANSWER,
    ),
    signingCase(key, 'a session opened by the runtime', 'runtime-session', nonces.session, SESSION_ANSWER),
    signingCase(key, "a License Manager's grant (POST /v1/leases)", 'lease', nonces.lease, LEASE_ANSWER),
    signingCase(key, "a License Manager's heartbeat answer", 'heartbeat', nonces.heartbeat, { lease: LEASE_BODY }),
    signingCase(
      key,
      "a License Manager's status of one product (GET /v1/status?product=MINER)",
      'status',
      answerNonceOf('status'),
      STATUS_ANSWER,
    ),
  ];

  // As the runtime sends them: the answer's fields, and the proof with the statement signed.
  const check = { ...CHECK_ANSWER, proof: signRuntimeAnswer(key, 'runtime-check', nonces.check, CHECK_ANSWER) };
  const escaped = {
    ...ESCAPED_CHECK_ANSWER,
    proof: signRuntimeAnswer(key, 'runtime-check', nonces.escaped, ESCAPED_CHECK_ANSWER),
  };
  const session = {
    ...SESSION_ANSWER,
    proof: signRuntimeAnswer(key, 'runtime-session', nonces.session, SESSION_ANSWER),
  };
  const managerProof = signAnswer(key, 'lease', nonces.lease, LEASE_ANSWER);
  const seat = { ...SEAT, proof: withStatement(managerProof, LICENSE_HARDWARE, 'lease', nonces.lease, LEASE_ANSWER) };
  const base = { product: 'MINER', nowMs: ANSWER_MS };
  const accepted: AnswerCheck[] = [
    { name: 'a check', purpose: 'runtime-check', nonce: nonces.check, feature: 'reports', response: check, ...base },
    {
      name: 'a check with escapes in the statement',
      purpose: 'runtime-check',
      nonce: nonces.escaped,
      feature: 'etl',
      response: escaped,
      ...base,
    },
    { name: 'a session', purpose: 'runtime-session', nonce: nonces.session, feature: null, response: session, ...base },
    {
      name: "a seat: the License Manager's signature of its grant, passed on by the runtime",
      purpose: 'lease',
      nonce: nonces.lease,
      feature: null,
      response: seat,
      ...base,
    },
    {
      name: 'a check a second before the license expires',
      purpose: 'runtime-check',
      nonce: nonces.check,
      feature: 'reports',
      response: check,
      product: 'MINER',
      nowMs: Date.parse('2027-11-22T09:59:59.000Z'),
    },
  ];

  // Refused: each is the check answer (or the seat) with one thing wrong.
  const otherVendorLicense = sealDocument(
    'license',
    LICENSE_HARDWARE,
    OTHER_VENDOR.signer,
    licenseSignedView(LICENSE_HARDWARE),
    fixedRandom(testBytes('signed-answer/other-vendor/salt', 16), testBytes('signed-answer/other-vendor/iv', 12)),
  );
  decodeLicenseFile(otherVendorLicense, OTHER_VENDOR.signer.publicKey);
  const signedWith = (k: AnswerKey, purpose: RuntimeAnswerPurpose, nonce: string, answer: typeof CHECK_ANSWER) => ({
    ...answer,
    proof: signRuntimeAnswer(k, purpose, nonce, answer),
  });
  const tokenKey: AnswerKey = {
    license: licenses.token,
    containerId: LICENSE_TOKEN.containerId,
    sign: loadContainerSigner(OTHER_CONTAINER.signPem),
  };
  const checkProof = check.proof;
  /** The check's proof with `signed` replaced, signed again by the container key. */
  const statementSigned = (signed: string) => ({
    ...CHECK_ANSWER,
    proof: {
      ...checkProof,
      signature: toBase64Url(key.sign(utf8(`${ANSWER_PROOF_DOMAIN}\0${signed}`))),
      signed,
    },
  });
  const asked = { purpose: 'runtime-check' as const, nonce: nonces.check, feature: 'reports', ...base };
  const refused: AnswerCheck[] = [
    {
      name: 'unsigned: proof null, with the reason',
      ...asked,
      response: {
        ...CHECK_ANSWER,
        proof: null,
        unproven: { reason: 'no-key', message: 'license LX-ZWMW-DCA8-A67E was activated before containers had keys' },
      },
    },
    { name: 'no proof member', ...asked, response: CHECK_ANSWER },
    {
      name: "the manager's form of the proof (no signed statement)",
      ...asked,
      response: {
        ...CHECK_ANSWER,
        proof: signAnswer(key, 'runtime-check', nonces.check, CHECK_ANSWER) as unknown as Json,
      },
    },
    {
      name: 'a signature that is not base64url',
      ...asked,
      response: { ...check, proof: { ...checkProof, signature: `${checkProof.signature}=` } },
    },
    {
      name: 'the license of another vendor (its container key signs)',
      ...asked,
      response: signedWith({ ...key, license: otherVendorLicense }, 'runtime-check', nonces.check, CHECK_ANSWER),
    },
    {
      name: 'a license without container keys (activated by an older SDK)',
      ...asked,
      response: { ...check, proof: { ...checkProof, license: licenses.legacy } },
    },
    {
      name: "signed by another container's key",
      ...asked,
      response: signedWith(
        { ...tokenKey, license: licenses.hardware, containerId: LICENSE_HARDWARE.containerId },
        'runtime-check',
        nonces.check,
        CHECK_ANSWER,
      ),
    },
    { name: 'answered for another nonce (a replay)', ...asked, nonce: nonces.other, response: check },
    { name: 'verified as a session (another purpose)', ...asked, purpose: 'runtime-session', response: check },
    {
      name: 'the signed statement altered (reports → etl), the signature kept',
      ...asked,
      response: { ...check, proof: { ...checkProof, signed: checkProof.signed.replace('"reports"', '"etl"') } },
    },
    {
      name: "the statement names another container (the token license's)",
      ...asked,
      response: statementSigned(checkProof.signed.replace(LICENSE_HARDWARE.containerId, LICENSE_TOKEN.containerId)),
    },
    { name: 'the statement is not JSON', ...asked, response: statementSigned(checkProof.signed.slice(0, -1)) },
    {
      name: 'the answer beside the proof altered (expiresAt), the proof genuine',
      ...asked,
      response: { ...check, expiresAt: '2099-01-01T00:00:00.000Z' },
    },
    {
      name: 'a genuine license for another product (CAD) signing a MINER answer',
      ...asked,
      response: signedWith(tokenKey, 'runtime-check', nonces.check, CHECK_ANSWER),
    },
    { name: 'asked for feature etl, answered about reports', ...asked, feature: 'etl', response: check },
    {
      name: 'the license expired (at 2027-11-22T10:00:00.000Z)',
      ...asked,
      nowMs: Date.parse('2027-11-22T10:00:00.000Z'),
      response: check,
    },
    {
      name: 'a seat whose leaseId is not the signed lease',
      purpose: 'lease',
      nonce: nonces.lease,
      feature: null,
      response: { ...seat, leaseId: 'f0000000-0000-4000-8000-000000000000' },
      ...base,
    },
  ];
  for (const c of accepted) {
    if (!('answer' in verdict(c))) throw new Error(`signed answer '${c.name}' is refused`);
  }
  const negative = refused.map((c) => {
    const v = verdict(c);
    if ('answer' in v) throw new Error(`negative signed answer '${c.name}' is accepted`);
    return { ...c, ...v } as unknown as Json;
  });

  // A session of the License Manager's clients: the secret sealed to the container's X25519 key,
  // then heartbeat answers MAC'd under it.
  const secret = testBytes('signed-answer/session-secret');
  const ephemeral = testBytes('signed-answer/session-ephemeral');
  const iv = testBytes('signed-answer/session-iv', 12);
  const sealed = sealToContainer(CONTAINER.keys.box, secret, 'signed-answer-session', fixedRandom(ephemeral, iv));
  const id = answerSessionId(sealed);
  const heartbeat = { lease: LEASE_BODY };
  const mac = macAnswer(secret, 'heartbeat', LICENSE_HARDWARE.containerId, nonces.heartbeat, heartbeat);

  // The runtime's answers within the same session: `{ key: 'session', mac, signed }`.
  const macKey = answerMacKey(secret);
  const runtimeSession: RuntimeAnswerSession = { secret, license: LICENSE_HARDWARE };
  const maced = <T extends object>(purpose: RuntimeAnswerPurpose, nonce: string, answer: T, k = macKey) => ({
    ...answer,
    proof: macRuntimeAnswer(k, purpose, LICENSE_HARDWARE.containerId, nonce, answer),
  });
  const macedCheck = maced('runtime-check', nonces.check, CHECK_ANSWER);
  const macedSession = maced('runtime-session', nonces.session, SESSION_ANSWER);
  const macOf = (response: { proof: { mac: string; signed: string } }) => ({
    macInput: `${ANSWER_PROOF_DOMAIN}\0${response.proof.signed}`,
    macHex: hex(fromBase64Url(response.proof.mac) as Uint8Array),
  });
  const sessionAccepted: AnswerCheck[] = [
    {
      name: "a check MAC'd within the session",
      purpose: 'runtime-check',
      nonce: nonces.check,
      feature: 'reports',
      response: macedCheck,
      ...base,
    },
    {
      name: "a session opened, MAC'd within the session",
      purpose: 'runtime-session',
      nonce: nonces.session,
      feature: null,
      response: macedSession,
      ...base,
    },
  ];
  /** The MAC'd check's proof with `signed` replaced, MAC'd again under the session's secret. */
  const statementMaced = (signed: string) => ({
    ...CHECK_ANSWER,
    proof: { key: 'session', mac: toBase64Url(macKey(`${ANSWER_PROOF_DOMAIN}\0${signed}`)), signed },
  });
  const sessionRefused: (AnswerCheck & { sessionNamed: boolean })[] = [
    {
      name: "MAC'd under another secret (a runtime that could not open the sealed secret)",
      ...asked,
      response: maced(
        'runtime-check',
        nonces.check,
        CHECK_ANSWER,
        answerMacKey(testBytes('signed-answer/other-secret')),
      ),
      sessionNamed: true,
    },
    {
      name: 'answered for another nonce (a replay)',
      ...asked,
      nonce: nonces.other,
      response: macedCheck,
      sessionNamed: true,
    },
    {
      name: "the statement names another container (the token license's), MAC'd under the session's secret",
      ...asked,
      response: statementMaced(
        macedCheck.proof.signed.replace(LICENSE_HARDWARE.containerId, LICENSE_TOKEN.containerId),
      ),
      sessionNamed: true,
    },
    {
      name: 'verified as a session (another purpose)',
      ...asked,
      purpose: 'runtime-session',
      response: macedCheck,
      sessionNamed: true,
    },
    {
      name: "a seat MAC'd (only the License Manager's signature proves a seat)",
      purpose: 'lease',
      nonce: nonces.lease,
      feature: null,
      response: maced('lease', nonces.lease, SEAT),
      ...base,
      sessionNamed: true,
    },
    {
      name: 'the answer beside the proof altered (expiresAt), the MAC genuine',
      ...asked,
      response: { ...macedCheck, expiresAt: '2099-01-01T00:00:00.000Z' },
      sessionNamed: true,
    },
    {
      name: 'a MAC that is not base64url',
      ...asked,
      response: { ...macedCheck, proof: { ...macedCheck.proof, mac: `${macedCheck.proof.mac}=` } },
      sessionNamed: true,
    },
    {
      name: 'the license expired (at 2027-11-22T10:00:00.000Z)',
      ...asked,
      nowMs: Date.parse('2027-11-22T10:00:00.000Z'),
      response: macedCheck,
      sessionNamed: true,
    },
    {
      name: "MAC'd, but the request named no session (the client asked for signatures)",
      ...asked,
      response: macedCheck,
      sessionNamed: false,
    },
  ];
  for (const c of sessionAccepted) {
    if (!('answer' in verdict(c, runtimeSession))) throw new Error(`MAC'd answer '${c.name}' is refused`);
  }
  const sessionNegative = sessionRefused.map((c) => {
    const v = verdict(c, c.sessionNamed ? runtimeSession : undefined);
    if ('answer' in v) throw new Error(`negative MAC'd answer '${c.name}' is accepted`);
    return { ...c, ...v } as unknown as Json;
  });
  return {
    domain: ANSWER_PROOF_DOMAIN,
    vendorKey: vendorKeyJson(VENDOR),
    otherVendorKey: vendorKeyJson(OTHER_VENDOR),
    container: containerJson(CONTAINER),
    license: { containerId: LICENSE_HARDWARE.containerId, text: licenses.hardware },
    signatures,
    accepted: accepted.map((c) => ({ ...c, ...verdict(c) }) as unknown as Json),
    negative,
    session: {
      context: 'signed-answer-session',
      secretHex: hex(secret),
      ephemeralScalarHex: hex(ephemeral),
      ivHex: hex(iv),
      sealed,
      id,
      header: `${id}.${sealed}`,
      mac: {
        purpose: 'heartbeat',
        nonce: nonces.heartbeat,
        answer: heartbeat,
        macInput: answerSigningText('heartbeat', LICENSE_HARDWARE.containerId, nonces.heartbeat, heartbeat),
        macHex: hex(fromBase64Url(mac.mac) as Uint8Array),
        proof: mac as unknown as Json,
      },
    },
    runtimeSession: {
      description:
        "The Lictor Runtime's answers within the session above (header lictor-session): proof { key: 'session', mac, signed }, mac = HMAC-SHA256(secret, macInput), macInput = domain, NUL, signed. Verify each with the session (secretHex, and the license above, whose containerId the statement must name); sessionNamed false: the request named no session.",
      secretHex: hex(secret),
      header: `${id}.${sealed}`,
      accepted: sessionAccepted.map(
        (c) => ({ ...c, ...macOf(c.response as typeof macedCheck), ...verdict(c, runtimeSession) }) as unknown as Json,
      ),
      negative: sessionNegative,
    },
    nonces: [
      ['16 bytes (22 characters)', answerNonceOf('n16', 16), true],
      [
        '64 bytes (86 characters)',
        toBase64Url(concatBytes(testBytes('signed-answer/n64a'), testBytes('signed-answer/n64b'))),
        true,
      ],
      ['15 bytes', answerNonceOf('n15', 15), false],
      [
        '65 bytes',
        toBase64Url(concatBytes(testBytes('signed-answer/n64a'), testBytes('signed-answer/n64b'), Uint8Array.of(0))),
        false,
      ],
      ['unused bits not zero (22 characters ending in B)', `${answerNonceOf('n16', 16).slice(0, 21)}B`, false],
      ['base64 with padding', `${answerNonceOf('n16', 16)}==`, false],
    ].map(([name, nonce, valid]) => {
      if (isAnswerNonce(nonce) !== valid) throw new Error(`answer nonce '${name}'`);
      return { name: name as string, nonce: nonce as string, valid: valid as boolean };
    }),
  };
}

// ---- the files -----------------------------------------------------------------------------

/** Every vector file: name → [spec page, description, contents]. */
export function buildVectors(): Map<string, string> {
  const licenses = licenseVectors();
  const files: [string, string, string, Json][] = [
    [
      'canonical-json',
      'README.md#canonical-json',
      'Canonical JSON: the bytes every signature covers.',
      canonicalVectors(),
    ],
    [
      'codes',
      'offline-activation.md#serial-numbers-and-pin-codes',
      'Serial numbers and PIN codes: made from random bytes, normalized when typed.',
      codesVectors(),
    ],
    [
      'short-code',
      'offline-activation.md#short-codes',
      'Short codes: bytes as Crockford base32 groups with check characters.',
      shortCodeVectors(),
    ],
    [
      'vendor-key',
      'license-file.md#the-vendor-key',
      'Vendor Ed25519 keys: raw key, key id, text form.',
      vendorKeyVectors(),
    ],
    [
      'hardware',
      'license-file.md#hardware-parameters',
      'Hardware parameters: normalization before hashing and comparing.',
      hardwareVectors(),
    ],
    [
      'license-file',
      'license-file.md',
      'License files: the signed, encrypted, armored license document.',
      licenses.json,
    ],
    [
      'blacklist-file',
      'license-file.md#blacklist-files',
      'Blacklist files: the same envelope with kind 2, and the sequence inside.',
      blacklistVectors(licenses.texts),
    ],
    [
      'request-file',
      'offline-activation.md#request-files',
      'Offline request files: canonical JSON with a PIN tag and proof, checksummed and armored.',
      requestFileVectors(HARDWARE_RAW),
    ],
    [
      'request-code',
      'offline-activation.md#request-codes',
      'Request codes: serial, nonce, day, subject digest, PIN tag and proof in 31 bytes.',
      requestCodeVectors(),
    ],
    [
      'answer-code',
      'offline-activation.md#answer-codes',
      'Answer codes: what the requesting computer needs to rebuild the signed license.',
      answerCodeVectors(),
    ],
    [
      'upgrade-question',
      'remote-upgrade.md#questions',
      "Upgrade questions: the container's license, counter and nonce, signed by the container.",
      upgradeQuestionVectors(licenses.texts),
    ],
    [
      'upgrade-answer',
      'remote-upgrade.md#answers',
      'Upgrade answers: the next license state and the confirmation secret sealed to the container.',
      upgradeAnswerVectors(),
    ],
    [
      'confirmation-code',
      'remote-upgrade.md#confirmation-codes',
      'Confirmation codes: an HMAC under the sealed secret, as a short code.',
      confirmationVectors(),
    ],
    [
      'container-key-file',
      'containers.md#the-key-file',
      "Software containers: the private keys sealed to the computer's machine secret.",
      keyFileVectors(),
    ],
    [
      'token-container',
      'containers.md#containers-on-hardware-tokens',
      'Containers on hardware tokens: the data objects and their framing.',
      tokenContainerVectors(licenses.texts),
    ],
    [
      'token-presence',
      'containers.md#token-keys-presence-and-activation-claims',
      'Hardware token keys, presence proofs and activation claims (ECDSA P-256).',
      tokenPresenceVectors(),
    ],
    [
      'announcement',
      'announcements-and-discovery.md#announcements',
      "Duplicate-detection announcements (format 2): the license's signed view, signed by the container key.",
      announcementVectors(licenses.texts),
    ],
    [
      'duplicate-evidence',
      'announcements-and-discovery.md#duplicate-evidence',
      "Duplicate evidence: three announcements A, B, A' as one observer received them.",
      evidenceVectors(licenses.texts),
    ],
    [
      'signed-time',
      'clock.md#signed-center-time',
      "Signed center time: the License Center's clock signed by the vendor key over the client's nonce.",
      signedTimeVectors(),
    ],
    [
      'clock-mark',
      'clock.md#the-clock-mark-file',
      'The clock mark file: the latest time seen and the last center time, sealed with the machine secret.',
      clockMarkVectors(),
    ],
    [
      'discovery',
      'announcements-and-discovery.md#discovery-packets',
      'License Manager discovery packets (UDP).',
      discoveryVectors(),
    ],
    [
      'signed-answer',
      'signed-answers.md',
      "Signed answers: the License Manager's seats and the Lictor Runtime's checks, sessions and seats, signed over the asker's nonce by the granting license's container key.",
      signedAnswerVectors(licenses.texts),
    ],
  ];
  const out = new Map<string, string>();
  for (const [name, spec, description, body] of files) {
    const file = { vectors: name, spec: `docs/spec/${spec}`, description, ...(body as Record<string, Json>) };
    out.set(`${name}.json`, `${JSON.stringify(file, null, 2)}\n`);
  }
  return out;
}

function main(argv: string[]): number {
  const vectors = buildVectors();
  const check = argv.includes('--check');
  mkdirSync(VECTORS_DIR, { recursive: true });
  const present = readdirSync(VECTORS_DIR).filter((n) => n.endsWith('.json'));
  let differs = 0;
  for (const [name, body] of vectors) {
    const path = join(VECTORS_DIR, name);
    let old: string | null = null;
    try {
      old = readFileSync(path, 'utf8');
    } catch {
      old = null;
    }
    if (old === body) continue;
    differs += 1;
    if (check) console.error(`${name}: ${old === null ? 'missing' : 'differs'}`);
    else {
      writeFileSync(path, body);
      console.log(`wrote ${name}`);
    }
  }
  for (const name of present.filter((n) => !vectors.has(n))) {
    differs += 1;
    if (check) console.error(`${name}: not made by this script`);
    else {
      rmSync(join(VECTORS_DIR, name));
      console.log(`removed ${name}`);
    }
  }
  if (check) return differs === 0 ? 0 : 1;
  console.log(differs === 0 ? `${vectors.size} vector files, all up to date` : `${vectors.size} vector files`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
