/**
 * The token's memory: named `CKO_DATA` objects with `CKA_APPLICATION` `lictor`.
 *
 * PKCS#11 has no transactions: creating one object either succeeds or fails as a whole (at best;
 * a smart card losing power in the middle of an EEPROM write can leave a torn object), and
 * nothing ties two objects together. So a replace never edits an object in place: it creates the
 * new copy with the next generation number and only then destroys the older copies. A crash in
 * between leaves two copies and readers take the newest whole one; a torn copy fails its digest
 * and is skipped. Each value is stored as
 *
 *     "LTD1" ‖ generation (uint64 big-endian) ‖ SHA-256(payload) ‖ payload
 */
import { concatBytes, constantTimeEqual, LictorError, sha256, utf8 } from '@lictor/protocol';
import { reportedFreeMemory } from './flags.js';
import { findObjects } from './keys.js';
import type { SessionContext } from './session-context.js';

/** `CKA_APPLICATION` of every data object Lictor writes. */
export const DATA_APPLICATION = 'lictor';

const MAGIC = utf8('LTD1');
const HEADER_BYTES = MAGIC.length + 8 + 32;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** A named data object on the token, as listed. */
export interface TokenDataInfo {
  name: string;
  /** Generation of the newest whole copy (one more per replace). */
  generation: number;
  /** Payload size in bytes. */
  size: number;
  /** Readable only after login. */
  private: boolean;
  /** Copies on the token (2 after an interrupted replace; the next write cleans up). */
  copies: number;
  /** No copy is whole (see {@link readData}); generation and size are then 0. */
  damaged: boolean;
}

/** How a data object is written. */
export interface WriteDataOptions {
  /** Readable only after login (default `true`). */
  private?: boolean;
}

interface Copy {
  handle: Buffer;
  generation: number;
  payload: Uint8Array;
  private: boolean;
}

function checkName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new LictorError(
      'LICTOR_E_INVALID_INPUT',
      `a token data object name is 1-64 letters, digits, '_', '.', ':' or '-' (got ${JSON.stringify(name)})`,
    );
  }
}

function encode(generation: number, payload: Uint8Array): Buffer {
  const gen = Buffer.alloc(8);
  gen.writeBigUInt64BE(BigInt(generation));
  return Buffer.from(concatBytes(MAGIC, gen, sha256(payload), payload));
}

function decode(value: Buffer): { generation: number; payload: Uint8Array } | null {
  if (value.length < HEADER_BYTES || !value.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  const generation = Number(value.readBigUInt64BE(MAGIC.length));
  const digest = value.subarray(MAGIC.length + 8, HEADER_BYTES);
  const payload = new Uint8Array(value.subarray(HEADER_BYTES));
  if (!Number.isSafeInteger(generation) || !constantTimeEqual(digest, sha256(payload))) return null;
  return { generation, payload };
}

function objectsNamed(ctx: SessionContext, name?: string): Buffer[] {
  const { binding: b } = ctx;
  return findObjects(ctx, [
    { type: b.CKA_CLASS, value: b.CKO_DATA },
    { type: b.CKA_APPLICATION, value: DATA_APPLICATION },
    ...(name === undefined ? [] : [{ type: b.CKA_LABEL, value: name }]),
  ]);
}

function readCopies(ctx: SessionContext, name: string): { whole: Copy[]; all: Buffer[] } {
  const { pkcs11, binding: b, session } = ctx;
  const all = objectsNamed(ctx, name);
  const whole: Copy[] = [];
  for (const handle of all) {
    const [value, priv] = pkcs11.C_GetAttributeValue(session, handle, [{ type: b.CKA_VALUE }, { type: b.CKA_PRIVATE }]);
    const decoded = value?.value === undefined ? null : decode(value.value);
    if (decoded !== null) whole.push({ handle, ...decoded, private: (priv?.value[0] ?? 0) !== 0 });
  }
  whole.sort((x, y) => y.generation - x.generation);
  return { whole, all };
}

/**
 * Reads the newest whole copy of the data object `name`; `null` when there is none. Throws
 * `LICTOR_E_CONTAINER_TAMPERED` when copies exist but none is whole.
 */
export function readData(ctx: SessionContext, name: string): Uint8Array | null {
  checkName(name);
  const { whole, all } = readCopies(ctx, name);
  const [newest] = whole;
  if (newest !== undefined) return newest.payload;
  if (all.length === 0) return null;
  throw new LictorError(
    'LICTOR_E_CONTAINER_TAMPERED',
    `the data object '${name}' on the token ${ctx.describe} is damaged (${all.length} copies, none whole); program the token again`,
  );
}

function freeMemory(ctx: SessionContext, isPrivate: boolean): number | undefined {
  const info = ctx.pkcs11.C_GetTokenInfo(ctx.pkcs11.C_GetSessionInfo(ctx.session).slotID);
  return isPrivate
    ? reportedFreeMemory(info.freePrivateMemory, info.totalPrivateMemory)
    : reportedFreeMemory(info.freePublicMemory, info.totalPublicMemory);
}

/**
 * Writes `payload` as the data object `name`, replacing any older copy crash-safely (new copy
 * first, then the old ones destroyed). Throws `LICTOR_E_TOKEN_FULL` when the token reports too
 * little free memory or refuses with `CKR_DEVICE_MEMORY`; the old copy is then untouched.
 * Returns the new generation.
 */
export function writeData(
  ctx: SessionContext,
  name: string,
  payload: Uint8Array,
  options: WriteDataOptions = {},
): number {
  checkName(name);
  const { pkcs11, binding: b, session } = ctx;
  const isPrivate = options.private ?? true;
  const { whole, all } = readCopies(ctx, name);
  const generation = (whole[0]?.generation ?? 0) + 1;
  const value = encode(generation, payload);
  const free = freeMemory(ctx, isPrivate);
  if (free !== undefined && free < value.length) {
    throw new LictorError(
      'LICTOR_E_TOKEN_FULL',
      `the token ${ctx.describe} has ${free} bytes free, the data object '${name}' needs ${value.length}; nothing was changed`,
      { free, needed: value.length },
    );
  }
  pkcs11.C_CreateObject(session, [
    { type: b.CKA_CLASS, value: b.CKO_DATA },
    { type: b.CKA_TOKEN, value: true },
    { type: b.CKA_PRIVATE, value: isPrivate },
    { type: b.CKA_MODIFIABLE, value: true },
    { type: b.CKA_APPLICATION, value: DATA_APPLICATION },
    { type: b.CKA_LABEL, value: name },
    { type: b.CKA_VALUE, value },
  ]);
  for (const old of all) pkcs11.C_DestroyObject(session, old);
  return generation;
}

/** Destroys every copy of the data object `name`; returns how many there were. */
export function deleteData(ctx: SessionContext, name: string): number {
  checkName(name);
  const all = objectsNamed(ctx, name);
  for (const handle of all) ctx.pkcs11.C_DestroyObject(ctx.session, handle);
  return all.length;
}

/** Lists Lictor's data objects on the token (private ones only after login). */
export function listData(ctx: SessionContext): TokenDataInfo[] {
  const { pkcs11, binding: b, session } = ctx;
  const names = new Set(
    objectsNamed(ctx).map((h) => pkcs11.C_GetAttributeValue(session, h, [{ type: b.CKA_LABEL }])[0]?.value.toString()),
  );
  const out: TokenDataInfo[] = [];
  for (const name of names) {
    if (name === undefined || !NAME_PATTERN.test(name)) continue;
    const { whole, all } = readCopies(ctx, name);
    const [newest] = whole;
    out.push({
      name,
      generation: newest?.generation ?? 0,
      size: newest?.payload.length ?? 0,
      private: newest?.private ?? true,
      copies: all.length,
      damaged: newest === undefined,
    });
  }
  return out.sort((x, y) => x.name.localeCompare(y.name));
}
