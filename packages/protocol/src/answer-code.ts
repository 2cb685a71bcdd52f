/**
 * Answer codes: the vendor's reply to a request code. The requesting computer rebuilds the
 * license document from its pending request (serial, owner, hardware, nonce) plus what the code
 * carries, checks the vendor signature, and writes the same license file the file path would.
 * Most of the length is the 64-byte Ed25519 signature.
 */
import { concatBytes, fromUtf8, readUint, uintBytes, utf8 } from './encoding.js';
import { LictorError } from './errors.js';
import type { HardwareParams } from './hardware.js';
import type { ContainerKeys, ContainerPolicy, LicenseDocument, LicenseEntry, Owner } from './license.js';
import { CODE_EPOCH_MS } from './request.js';
import { MAX_SHORT_CODE_BYTES } from './shortcode.js';

/** What an answer code carries. */
export interface AnswerCode {
  /** Hex, 8 bytes; also the container id of the new license. */
  activationId: string;
  pin: number;
  /** Minute precision. */
  issuedAt: string;
  entry: LicenseEntry;
  /** `software-dongle` containers are marked; absent means standard. */
  policy?: ContainerPolicy;
  signature: Uint8Array;
}

/** The first byte of an answer code. */
export const KIND_ANSWER_CODE = 0x21;

/** Bit of the type byte that marks a software dongle. */
const DONGLE_FLAG = 0x80;

const TYPES = ['single', 'multi', 'server', 'server-sessions'] as const;
const ARCHS = [null, 'x86', 'x64'] as const;
const MINUTE = 60_000;

/** Rounds an instant down to the minute: codes carry minutes. */
export function toCodeMinute(iso: string): string {
  return new Date(Math.floor(Date.parse(iso) / MINUTE) * MINUTE).toISOString();
}

function minutes(iso: string | null): number {
  return iso === null ? 0 : Math.floor((Date.parse(iso) - CODE_EPOCH_MS) / MINUTE);
}

function fromMinutes(n: number): string {
  return new Date(CODE_EPOCH_MS + n * MINUTE).toISOString();
}

function shortString(s: string): Uint8Array {
  const b = utf8(s);
  if (b.length > 255) throw new LictorError('LICTOR_E_INVALID_INPUT', `${s} is too long for a code`);
  return concatBytes(Uint8Array.of(b.length), b);
}

/** Encodes an answer; the entry's dates must already be whole minutes ({@link toCodeMinute}). */
export function encodeAnswerCode(answer: AnswerCode): Uint8Array {
  const { entry } = answer;
  const refuse = (what: string): never => {
    throw new LictorError('LICTOR_E_INVALID_INPUT', `this license cannot be sent as an answer code: ${what}`);
  };
  if (!/^[0-9a-f]{16}$/.test(answer.activationId)) refuse('the activation id must be 8 bytes of hex');
  const id = Buffer.from(answer.activationId, 'hex');
  if (!Number.isInteger(answer.pin) || answer.pin < 1 || answer.pin > 255) refuse('the PIN index must be 1–255');
  if (!(TYPES as readonly string[]).includes(entry.type)) refuse(`license type ${entry.type}`);
  if (entry.users < 1 || entry.users > 0xffff) refuse('users must be 1–65535');
  if (entry.sessions !== null && (entry.sessions < 1 || entry.sessions > 0xffff)) refuse('sessions must be 1–65535');
  // Minute 0 is a valid issue time; as an expiry it would read back as "perpetual".
  for (const [iso, first] of [
    [answer.issuedAt, 0],
    [entry.expiresAt, 1],
  ] as const) {
    if (iso === null) continue;
    const m = minutes(iso);
    if (m < first || m > 0xffffffff || Date.parse(iso) % MINUTE !== 0) {
      refuse(`${iso} is not a whole minute after 2024-01-01`);
    }
  }
  if (entry.features.length > 255) refuse('more than 255 features');
  for (const f of entry.features) {
    if (f.users !== null && (f.users < 1 || f.users > 0xffff)) refuse(`feature ${f.code}: users must be 1–65535`);
  }
  const bytes = concatBytes(
    Uint8Array.of(KIND_ANSWER_CODE),
    id,
    Uint8Array.of(answer.pin),
    uintBytes(minutes(answer.issuedAt), 4),
    shortString(entry.product),
    Uint8Array.of(
      (answer.policy === 'software-dongle' ? DONGLE_FLAG : 0) |
        (TYPES.indexOf(entry.type) << 2) |
        ARCHS.indexOf(entry.arch),
    ),
    uintBytes(entry.users, 2),
    uintBytes(entry.sessions ?? 0, 2),
    uintBytes(minutes(entry.expiresAt), 4),
    Uint8Array.of(entry.features.length),
    ...entry.features.map((f) => concatBytes(shortString(f.code), uintBytes(f.users ?? 0, 2))),
    answer.signature,
  );
  // Checked here, not only when the code is printed: the center encodes inside its transaction,
  // so a license too large for a code is refused before the activation is recorded.
  if (bytes.length > MAX_SHORT_CODE_BYTES) {
    refuse(
      `it needs ${bytes.length} bytes and a code holds ${MAX_SHORT_CODE_BYTES}: use fewer or shorter features, or a request file`,
    );
  }
  return bytes;
}

/** Parses the bytes of an answer code. */
export function parseAnswerCode(bytes: Uint8Array): AnswerCode {
  let at = 0;
  const need = (n: number) => {
    if (at + n > bytes.length) throw new LictorError('LICTOR_E_CODE_INVALID', 'the answer code is incomplete');
  };
  const byte = () => {
    need(1);
    return bytes[at++] as number;
  };
  const uint = (n: number) => {
    need(n);
    const v = Number(readUint(bytes, at, n));
    at += n;
    return v;
  };
  const str = () => {
    const len = byte();
    need(len);
    const s = fromUtf8(bytes.subarray(at, at + len));
    at += len;
    if (s === null) throw new LictorError('LICTOR_E_CODE_INVALID', 'the answer code is damaged');
    return s;
  };
  if (byte() !== KIND_ANSWER_CODE) throw new LictorError('LICTOR_E_CODE_INVALID', 'this is not a Lictor answer code');
  need(8);
  const activationId = Buffer.from(bytes.subarray(at, at + 8)).toString('hex');
  at += 8;
  const pin = byte();
  const issuedAt = fromMinutes(uint(4));
  const product = str();
  const flags = byte();
  const dongle = (flags & DONGLE_FLAG) !== 0;
  const typeArch = flags & ~DONGLE_FLAG;
  const type = TYPES[typeArch >> 2];
  const arch = ARCHS[typeArch & 3];
  if (type === undefined || arch === undefined)
    throw new LictorError('LICTOR_E_CODE_INVALID', 'the answer code is damaged');
  const users = uint(2);
  const sessions = uint(2);
  const expires = uint(4);
  const count = byte();
  const features: LicenseEntry['features'] = [];
  for (let i = 0; i < count; i++) {
    const code = str();
    const u = uint(2);
    features.push({ code, users: u === 0 ? null : u });
  }
  need(64);
  const signature = bytes.slice(at, at + 64);
  at += 64;
  if (at !== bytes.length) throw new LictorError('LICTOR_E_CODE_INVALID', 'the answer code has extra data');
  return {
    activationId,
    pin,
    issuedAt,
    entry: {
      product,
      type,
      users,
      sessions: sessions === 0 ? null : sessions,
      arch,
      expiresAt: expires === 0 ? null : fromMinutes(expires),
      features,
    },
    ...(dongle ? { policy: 'software-dongle' as const } : {}),
    signature,
  };
}

/** The license document an answer code stands for, given what the requesting computer kept. */
export function licenseFromAnswer(
  answer: AnswerCode,
  pending: { serial: string; owner: Owner; hardware: HardwareParams; nonce: string; containerKeys?: ContainerKeys },
): LicenseDocument {
  return {
    format: 1,
    containerId: answer.activationId,
    activationId: answer.activationId,
    serial: pending.serial,
    pin: answer.pin,
    issuedAt: answer.issuedAt,
    counter: 0,
    owner: pending.owner,
    binding: { kind: 'hardware', hardware: pending.hardware },
    licenses: [answer.entry],
    requestNonce: pending.nonce,
    ...(answer.policy === 'software-dongle' ? { policy: answer.policy } : {}),
    ...(pending.containerKeys ? { containerKeys: pending.containerKeys } : {}),
  };
}
