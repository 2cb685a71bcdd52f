/**
 * Borrowed seats: a floating seat a License Manager lends to one computer for offline use, for
 * up to the days the vendor allows in the license (`LicenseEntry.borrowDays`). The manager answers
 * with a **signed borrowed seat**, made with the signed-answer mechanism of `seat-proof.ts`
 * (purpose `borrow`): the container key of the license the seat comes from signs, over the
 * borrower's fresh nonce, `{ borrow: { id, product, feature, licenseId, serial, computer,
 * grantedAt, until } }`. The computer keeps the answer, its nonce and the proof as a file in its
 * license store and checks it offline: genuine (the license opens with the vendor key, the
 * signature verifies), within the license's terms (`until` no further from `grantedAt` than the
 * license's borrowing days, nor past the license's end), and bound to this computer.
 *
 * **What binds it to a computer** ({@link BorrowComputer}): the computer's machine tag (a digest
 * of its machine secret, which comes from the OS machine id; the SDK's `machineTag`) and
 * {@link borrowHardwareDigest}, a digest of the parameters of the computer that a docking station
 * or a network change does not move (platform, motherboard, processors, internal drives). A copy
 * of the file on another computer matches neither.
 *
 * **Giving it back early**: the borrower commits at borrowing to a secret only that computer can
 * make again ({@link borrowReturnSecret}: an HMAC of its machine secret over the nonce), sending
 * its digest ({@link borrowReturnKey}); the manager ends the borrowing only for whoever sends the
 * secret, so a copy of the file elsewhere cannot free the seat while the laptop still uses it.
 *
 * Pure: no clock and no I/O.
 */

import { canonicalJson } from './canonical.js';
import { constantTimeEqual, hmacSha256, sha256, type VendorPublicKey } from './crypto.js';
import { fromBase64Url, toBase64Url, utf8 } from './encoding.js';
import { LictorError } from './errors.js';
import { fieldReaders } from './fields.js';
import { type HardwareParams, normalizeHardware } from './hardware.js';
import type { LicenseDocument, LicenseEntry } from './license.js';
import { type AnswerProof, answerUnproven, isAnswerNonce, parseAnswerProof, verifyAnswer } from './seat-proof.js';

/** The signed-answer purpose of a borrowed seat. */
export const BORROW_PURPOSE = 'borrow';
/** The HTTP header that carries the return secret of `DELETE /v1/borrows/{id}`. */
export const BORROW_RETURN_HEADER = 'lictor-return-secret';
/** The `format` of a borrowed seat file. */
export const BORROWED_SEAT_FORMAT = 'lictor-borrowed-seat';
/** File names of borrowed seats in a license store end with this. */
export const BORROWED_SEAT_FILE_SUFFIX = '.borrow';

const DAY_MS = 86_400_000;
const MACHINE_TAG = /^[0-9a-f]{16}$/;
/** 10 bytes of base64url. */
const HARDWARE_DIGEST = /^[A-Za-z0-9_-]{14}$/;
/** 32 bytes of base64url. */
const SECRET = /^[A-Za-z0-9_-]{43}$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** The computer a seat is lent to, as the borrowing SDK computes it. */
export interface BorrowComputer {
  /** The machine tag: 8 bytes of SHA-256 of the computer's machine secret, hex (`machineTag` in the SDK). */
  machine: string;
  /** {@link borrowHardwareDigest} of the computer's hardware, base64url. */
  hardware: string;
}

/** A borrowed seat as the manager signs it (`answer.borrow`). */
export interface BorrowedSeat {
  id: string;
  product: string;
  feature: string | null;
  /** The manager's license the seat comes from. */
  licenseId: string;
  /** The serial of that license (the one the proof's license carries). */
  serial: string;
  computer: BorrowComputer;
  /** ISO instant, the manager's clock. */
  grantedAt: string;
  /** ISO instant the seat returns to the manager by itself. */
  until: string;
}

/**
 * A borrowed seat file: the manager's signed answer as received, the nonce it answers, and the
 * proof. The file holds `format`, `version`, `manager`, `nonce`, `answer` and `proof`; `seat` is
 * the checked view of `answer.borrow` (the signature covers `answer` as it was received, members
 * a later manager may add included).
 */
export interface BorrowedSeatFile {
  format: typeof BORROWED_SEAT_FORMAT;
  version: 1;
  /** The manager that lent it (base URL): where it is given back. */
  manager: string;
  /** The borrower's nonce the answer is signed over. */
  nonce: string;
  /** The answer as the manager signed it: `{ borrow }`. */
  answer: Record<string, unknown>;
  /** `answer.borrow`, checked. */
  seat: BorrowedSeat;
  proof: AnswerProof;
}

/** The text of a borrowed seat file (JSON) for a verified answer. */
export function borrowedSeatFileText(file: Omit<BorrowedSeatFile, 'format' | 'version' | 'seat'>): string {
  const { manager, nonce, answer, proof } = file;
  return `${JSON.stringify({ format: BORROWED_SEAT_FORMAT, version: 1, manager, nonce, answer, proof }, null, 2)}\n`;
}

/**
 * The digest of the parameters that bind a borrowed seat besides the machine tag: platform,
 * motherboard, processors and drives (normalized), 10 bytes of SHA-256, base64url. Network
 * adapters, RAM, BIOS version, host name and OS version are left out: a laptop taken away is
 * undocked, updated and renamed, and must keep its seat.
 */
export function borrowHardwareDigest(hardware: HardwareParams): string {
  const h = normalizeHardware(hardware);
  const stable = { platform: h.platform, board: h.board, cpus: h.cpus, disks: h.disks };
  return toBase64Url(sha256(utf8(`lictor/v1/borrow-hardware\0${canonicalJson(stable)}`)).subarray(0, 10));
}

/** Whether `value` is the shape of a {@link BorrowComputer}. */
export function isBorrowComputer(value: unknown): value is BorrowComputer {
  const v = value as Partial<BorrowComputer> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.machine === 'string' &&
    MACHINE_TAG.test(v.machine) &&
    typeof v.hardware === 'string' &&
    HARDWARE_DIGEST.test(v.hardware)
  );
}

/** Whether two computers are the same one (both parts equal). */
export function sameBorrowComputer(a: BorrowComputer, b: BorrowComputer): boolean {
  return a.machine === b.machine && a.hardware === b.hardware;
}

/** The secret that gives a borrowed seat back: HMAC-SHA256 of the machine secret over the borrow's nonce, base64url. */
export function borrowReturnSecret(machineSecret: Uint8Array, nonce: string): string {
  return toBase64Url(hmacSha256(machineSecret, `lictor/v1/borrow-return\0${nonce}`));
}

/** What the manager keeps of a return secret: SHA-256 of its text, base64url. */
export function borrowReturnKey(secret: string): string {
  return toBase64Url(sha256(utf8(secret)));
}

/** Whether `secret` (as sent) is the one `returnKey` commits to; constant-time. */
export function borrowReturnValid(returnKey: string, secret: unknown): boolean {
  if (typeof secret !== 'string' || !SECRET.test(secret)) return false;
  const want = fromBase64Url(returnKey);
  return want !== null && constantTimeEqual(sha256(utf8(secret)), want);
}

function fail(field: string, what: string): never {
  throw new LictorError('LICTOR_E_FILE_FORMAT', `borrowed seat field '${field}' ${what}`);
}

const { obj, str } = fieldReaders(fail);

function instant(v: unknown, field: string): string {
  const s = str(v, field, 40);
  if (!ISO_INSTANT.test(s) || Number.isNaN(Date.parse(s))) fail(field, 'must be an ISO 8601 UTC instant');
  return s;
}

/** Checks the shape of a borrowed seat (the signed `answer.borrow`). */
export function parseBorrowedSeat(value: unknown, field = 'borrow'): BorrowedSeat {
  const b = obj(value, field);
  if (!isBorrowComputer(b.computer)) fail(`${field}.computer`, 'must be { machine, hardware }');
  const feature = b.feature === null ? null : str(b.feature, `${field}.feature`, 128);
  return {
    id: str(b.id, `${field}.id`, 128),
    product: str(b.product, `${field}.product`, 128),
    feature,
    licenseId: str(b.licenseId, `${field}.licenseId`, 256),
    serial: str(b.serial, `${field}.serial`, 64),
    computer: { machine: b.computer.machine, hardware: b.computer.hardware },
    grantedAt: instant(b.grantedAt, `${field}.grantedAt`),
    until: instant(b.until, `${field}.until`),
  };
}

/** Parses the text of a borrowed seat file (JSON); `LICTOR_E_FILE_FORMAT` for anything else. */
export function parseBorrowedSeatFile(text: string): BorrowedSeatFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail('(root)', 'is not JSON');
  }
  const f = obj(json, '(root)');
  if (f.format !== BORROWED_SEAT_FORMAT || f.version !== 1)
    fail('format', `must be ${BORROWED_SEAT_FORMAT}, version 1`);
  const nonce = str(f.nonce, 'nonce', 88);
  if (!isAnswerNonce(nonce)) fail('nonce', 'must be base64url of 16–64 bytes');
  const answer = obj(f.answer, 'answer');
  let proof: AnswerProof;
  try {
    proof = parseAnswerProof(f.proof);
  } catch {
    return fail('proof', 'must be a signed proof { key: "container", license, signature }');
  }
  return {
    format: BORROWED_SEAT_FORMAT,
    version: 1,
    manager: str(f.manager, 'manager', 2048),
    nonce,
    answer,
    seat: parseBorrowedSeat(answer.borrow, 'answer.borrow'),
    proof,
  };
}

/** What {@link verifyBorrowedSeat} gives back. */
export interface VerifiedBorrow {
  seat: BorrowedSeat;
  /** The vendor-signed license the seat comes from. */
  license: LicenseDocument;
  /** The license's entry for the seat's product. */
  entry: LicenseEntry;
  grantedAtMs: number;
  /** When the seat ends: `until`, or the license entry's end if that comes first. */
  endsAtMs: number;
}

/**
 * Verifies a borrowed seat: its license is the vendor's (`publicKey`), the signature is by that
 * license's container key over this answer and nonce (purpose `borrow`), the license holds an
 * entry for the product (and feature) that allows borrowing for that long, unexpired when the
 * seat was lent, and the answer names that license's serial. Whether it is bound to this
 * computer is {@link sameBorrowComputer}'s question. Throws `LICTOR_E_ANSWER_UNPROVEN` with
 * `details.reason` (`license`, `no-key`, `signature`, `not-covered`).
 */
export function verifyBorrowedSeat(
  input: { nonce: string; answer: unknown; seat: BorrowedSeat; proof: unknown },
  publicKey: VendorPublicKey,
  open?: Parameters<typeof verifyAnswer>[0]['open'],
): VerifiedBorrow {
  const { seat } = input;
  const grantedAtMs = Date.parse(seat.grantedAt);
  const untilMs = Date.parse(seat.until);
  const license = verifyAnswer({
    purpose: BORROW_PURPOSE,
    nonce: input.nonce,
    answer: input.answer,
    proof: input.proof,
    publicKey,
    scope: { product: seat.product, feature: seat.feature, now: grantedAtMs },
    ...(open === undefined ? {} : { open }),
  });
  if (license.serial !== seat.serial) {
    throw answerUnproven(
      'not-covered',
      `the borrowed seat names serial ${seat.serial}, its license is ${license.serial}`,
    );
  }
  const what = seat.feature === null ? `'${seat.product}'` : `'${seat.product}/${seat.feature}'`;
  const entries = license.licenses.filter(
    (e) =>
      e.product === seat.product &&
      (seat.feature === null || e.features.some((f) => f.code === seat.feature)) &&
      (e.expiresAt === null || Date.parse(e.expiresAt) > grantedAtMs),
  );
  const entry = entries.find((e) => e.borrowDays !== undefined && untilMs - grantedAtMs <= e.borrowDays * DAY_MS);
  if (entry === undefined || !(untilMs > grantedAtMs)) {
    const most = Math.max(0, ...entries.map((e) => e.borrowDays ?? 0));
    throw answerUnproven(
      'not-covered',
      most === 0
        ? `the license of serial ${license.serial} does not allow borrowing seats of ${what}`
        : `the borrowed seat of ${what} runs from ${seat.grantedAt} to ${seat.until}, longer than the ${most} day(s) the license of serial ${license.serial} allows`,
    );
  }
  const entryEnd = entry.expiresAt === null ? Number.POSITIVE_INFINITY : Date.parse(entry.expiresAt);
  return { seat, license, entry, grantedAtMs, endsAtMs: Math.min(untilMs, entryEnd) };
}

/** The days a seat is lent for, at most: {@link LicenseEntry.borrowDays} bounds it per license. */
export function borrowSpanMs(days: number): number {
  return days * DAY_MS;
}
