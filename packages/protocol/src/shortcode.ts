/**
 * Short codes a person can type or read over the phone: bytes in Crockford base32, in groups of
 * five characters, each followed by one check character. The check character is a Luhn mod 32
 * over the group's position and characters, so a single wrong character, most swaps of two
 * neighbours (all but 0↔Z), and a group typed in the wrong place are caught at that group; a
 * missing or doubled group is recognised as such. A length byte makes the padding unambiguous
 * and a 16-bit digest of the whole content catches what the group checks cannot.
 */
import { sha256 } from './crypto.js';
import { CROCKFORD, concatBytes, crockfordValue } from './encoding.js';
import { LictorError } from './errors.js';

const GROUP = 5;
const N = 32;

function luhnCheck(values: number[]): number {
  let factor = 2;
  let sum = 0;
  for (let i = values.length - 1; i >= 0; i--) {
    let addend = factor * (values[i] ?? 0);
    factor = factor === 2 ? 1 : 2;
    addend = Math.floor(addend / N) + (addend % N);
    sum += addend;
  }
  return (N - (sum % N)) % N;
}

function checkChar(groupIndex: number, values: number[]): number {
  return luhnCheck([groupIndex % N, ...values]);
}

function toBase32(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const b of bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push((buffer >> (bits - 5)) & 31);
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out.push((buffer << (5 - bits)) & 31);
  return out;
}

function fromBase32(values: number[], byteLength: number): Uint8Array {
  const out = new Uint8Array(byteLength);
  let buffer = 0;
  let bits = 0;
  let at = 0;
  for (const v of values) {
    buffer = (buffer << 5) | v;
    bits += 5;
    if (bits >= 8) {
      if (at < byteLength) out[at++] = (buffer >> (bits - 8)) & 0xff;
      bits -= 8;
    }
    buffer &= (1 << bits) - 1;
  }
  return out;
}

/** The most a short code carries: its length is one byte. */
export const MAX_SHORT_CODE_BYTES = 255;

/** Encodes bytes as a short code: groups of five characters and a check character, joined by dashes. */
export function encodeShortCode(payload: Uint8Array): string {
  if (payload.length === 0 || payload.length > MAX_SHORT_CODE_BYTES) {
    throw new RangeError(`a short code holds 1 to ${MAX_SHORT_CODE_BYTES} bytes`);
  }
  const withDigest = concatBytes(Uint8Array.of(payload.length), payload, sha256(payload).subarray(0, 2));
  const values = toBase32(withDigest);
  while (values.length % GROUP !== 0) values.push(0);
  const groups: string[] = [];
  for (let g = 0; g * GROUP < values.length; g++) {
    const chunk = values.slice(g * GROUP, (g + 1) * GROUP);
    groups.push(chunk.map((v) => CROCKFORD[v]).join('') + CROCKFORD[checkChar(g, chunk)]);
  }
  return groups.join('-');
}

/** How many characters (without separators) a short code of `byteLength` payload bytes has. */
export function shortCodeLength(byteLength: number): number {
  const chars = Math.ceil(((byteLength + 3) * 8) / 5);
  return Math.ceil(chars / GROUP) * (GROUP + 1);
}

/**
 * Decodes a typed short code. Separators, white space and case do not matter; O reads as 0
 * and I/L as 1. A wrong character is reported with the number of its group.
 */
export function decodeShortCode(text: string, what = 'code'): Uint8Array {
  const chars = [...text].filter((c) => c !== '-' && !/\s/.test(c));
  if (chars.length === 0 || chars.length % (GROUP + 1) !== 0) {
    throw new LictorError(
      'LICTOR_E_CODE_INVALID',
      `the ${what} has ${chars.length} characters; it must be groups of ${GROUP + 1}: a character or group is missing or extra`,
    );
  }
  const groups: number[][] = [];
  for (let g = 0; g * (GROUP + 1) < chars.length; g++) {
    const group = chars.slice(g * (GROUP + 1), (g + 1) * (GROUP + 1));
    const vals = group.map(crockfordValue);
    if (vals.some((v) => v < 0)) {
      throw new LictorError(
        'LICTOR_E_CODE_INVALID',
        `group ${g + 1} (${group.join('').toUpperCase()}) of the ${what} has a character that is not used in codes`,
        { group: g + 1 },
      );
    }
    groups.push(vals);
  }
  const validAt = (g: number, at: number): boolean => {
    const vals = groups[g];
    return vals !== undefined && at >= 0 && checkChar(at, vals.slice(0, GROUP)) === vals[GROUP];
  };
  // The first group holds the length byte, hence how many groups the code should have: that
  // tells a left-out or doubled group apart from a typo.
  let countProblem: string | undefined;
  if (validAt(0, 0)) {
    const expected = shortCodeLength(fromBase32(groups[0]?.slice(0, GROUP) ?? [], 1)[0] ?? 0) / (GROUP + 1);
    if (expected < groups.length) {
      countProblem = `a group was typed twice or is extra (${groups.length} groups, ${expected} expected)`;
    } else if (expected > groups.length) {
      countProblem = `a group is missing (${groups.length} groups, ${expected} expected)`;
    }
  } else if (validAt(0, 1) && (groups.length === 1 || validAt(1, 2))) {
    // The first group itself was left out: the others are valid one place further on.
    countProblem = 'the first group is missing';
  }
  const values: number[] = [];
  for (const [g, vals] of groups.entries()) {
    if (!validAt(g, g)) {
      const shown = chars
        .slice(g * (GROUP + 1), (g + 1) * (GROUP + 1))
        .join('')
        .toUpperCase();
      throw new LictorError(
        'LICTOR_E_CODE_INVALID',
        countProblem
          ? `group ${g + 1} (${shown}) of the ${what} is not the one expected there: ${countProblem}`
          : `group ${g + 1} (${shown}) of the ${what} has a typing mistake: check it`,
        { group: g + 1 },
      );
    }
    values.push(...vals.slice(0, GROUP));
  }
  if (countProblem) throw new LictorError('LICTOR_E_CODE_INVALID', `the ${what} is incomplete: ${countProblem}`);
  const bytes = fromBase32(values, Math.floor((values.length * 5) / 8));
  const length = bytes[0] ?? 0;
  if (length > 0 && shortCodeLength(length) === chars.length) {
    const payload = bytes.subarray(1, 1 + length);
    const digest = sha256(payload).subarray(0, 2);
    if (bytes[1 + length] === digest[0] && bytes[2 + length] === digest[1]) return payload.slice();
  }
  throw new LictorError('LICTOR_E_CODE_INVALID', `the ${what} is incomplete or its groups are out of order`);
}
