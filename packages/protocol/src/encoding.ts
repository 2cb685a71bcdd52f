/** Byte encodings used by the file formats and codes. Pure functions, but {@link transientUtf8} (a reused buffer). */

import { ScratchBuffer } from './scratch.js';

const B64URL = /^[A-Za-z0-9_-]*$/;

/**
 * A `Buffer` over the same memory as `bytes` (no copy): `Buffer.from(bytes)` would copy them
 * into Node's shared pool first, only to be read once.
 */
function view(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  return view(bytes).toString('base64url');
}

/** Decodes base64url (no padding); `null` when the text has other characters. */
export function fromBase64Url(text: string): Uint8Array | null {
  if (!B64URL.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? new Uint8Array(bytes) : null;
}

/** Standard base64 with padding, for armored files. */
export function toBase64(bytes: Uint8Array): string {
  return view(bytes).toString('base64');
}

/**
 * Decodes standard base64 strictly (after white space was removed); `null` on any stray
 * character or impossible length, so that corruption is reported rather than skipped.
 */
export function fromBase64(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  const bytes = Buffer.from(text, 'base64');
  // Node ignores unused low bits of the last character; a re-encode catches such a change.
  return bytes.toString('base64') === text ? new Uint8Array(bytes) : null;
}

/** Lower-case hex. */
export function toHex(bytes: Uint8Array): string {
  return view(bytes).toString('hex');
}

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

/** Where {@link transientUtf8} writes (texts of up to ~21,000 characters share it). */
const transient = new ScratchBuffer(4096, 64 * 1024);

/**
 * UTF-8 bytes of `text` in one buffer shared by every call: **valid only until the next call**,
 * for a consumer that reads them at once and keeps nothing (a signature, a hash). The runtime and
 * the License Manager sign or MAC a statement for every answer; {@link utf8} gave each one a slice
 * of Node's shared pool and a copy, both memory outside V8's heap that is freed only when a later
 * collection finds them (on Node 24 that kept the runtime's malloc heap megabytes larger after a
 * burst of checks: `docs/benchmarks.md`).
 */
export function transientUtf8(text: string): Uint8Array {
  const into = transient.take(text.length * 3); // UTF-8 takes at most 3 bytes per UTF-16 code unit
  return into.subarray(0, into.write(text, 0, 'utf8'));
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8 strictly; `null` on invalid sequences. */
export function fromUtf8(bytes: Uint8Array): string | null {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return null;
  }
}

/** Parses UTF-8 JSON bytes; `undefined` when they are not strict UTF-8 or not JSON (shape not checked). */
export function fromJsonUtf8(bytes: Uint8Array): unknown {
  const text = fromUtf8(bytes);
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Concatenates byte strings. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `value` as an unsigned big-endian integer of `length` bytes (higher bits are dropped). */
export function uintBytes(value: number | bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let n = typeof value === 'bigint' ? value : BigInt(Math.trunc(value));
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/** Reads an unsigned big-endian integer of `length` bytes at `at` (missing bytes read as 0). */
export function readUint(bytes: Uint8Array, at: number, length: number): bigint {
  let n = 0n;
  for (let i = 0; i < length; i++) n = (n << 8n) | BigInt(bytes[at + i] ?? 0);
  return n;
}

/**
 * Crockford's base32 alphabet: no I, L, O or U, so 0/O and 1/I/L cannot be confused.
 * Reading is forgiving (O→0, I/L→1, lower case accepted).
 */
export const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Maps a typed character to its Crockford value, or -1. */
export function crockfordValue(ch: string): number {
  const c = ch.toUpperCase();
  // One character in and one out: ligatures such as 'ﬆ' upper-case to two letters.
  if (ch.length !== 1 || c.length !== 1) return -1;
  const n = c === 'O' ? '0' : c === 'I' || c === 'L' ? '1' : c;
  return CROCKFORD.indexOf(n);
}

/** Normalizes typed Crockford text: upper case, O→0, I/L→1, dashes and any white space removed. */
export function normalizeCrockford(text: string): string {
  let out = '';
  for (const ch of text) {
    if (ch === '-' || /\s/.test(ch)) continue;
    const v = crockfordValue(ch);
    out += v < 0 ? ch.toUpperCase() : CROCKFORD[v];
  }
  return out;
}
