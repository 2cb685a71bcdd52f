/**
 * Serial numbers and PIN codes: Crockford base32 in dash-separated groups, so they are easy
 * to read aloud and typing mistakes between 0/O and 1/I/L do not matter.
 */
import { CROCKFORD, normalizeCrockford } from './encoding.js';

function groups(random: Uint8Array, count: number, size: number): string {
  const chars: string[] = [];
  for (let i = 0; i < count * size; i++) {
    chars.push(CROCKFORD[(random[i] ?? 0) & 31] ?? '0');
  }
  const out: string[] = [];
  for (let g = 0; g < count; g++) out.push(chars.slice(g * size, (g + 1) * size).join(''));
  return out.join('-');
}

/** A serial number `LX-XXXX-XXXX-XXXX` (60 random bits) from 12 random bytes. */
export function formatSerial(random: Uint8Array): string {
  return `LX-${groups(random, 3, 4)}`;
}

/** A PIN code `XXXXX-XXXXX-XXXXX` (75 random bits) from 15 random bytes. */
export function formatPin(random: Uint8Array): string {
  return groups(random, 3, 5);
}

/** The characters of a serial number after its `LX` prefix. */
const SERIAL_BODY_LENGTH = 12;
/** A leading `LX` as typed: any case, white space or `-` around or between the letters. */
const TYPED_PREFIX = /^[\s-]*l[\s-]*x/i;
/** The prefix as {@link normalizeSerial} writes it. */
const CANONICAL_PREFIX = /^\s*LX-/;

/** The canonical form of a typed serial number (`lx 7k2m-...` → `LX-7K2M-...`). */
export function normalizeSerial(text: string): string {
  // The prefix is removed before Crockford normalization, which would read its L as 1.
  let rest = normalizeCrockford(text.replace(TYPED_PREFIX, ''));
  // A serial whose characters start with 1X, typed without its prefix as `lx…`: the whole text is
  // the serial's 12 characters where the prefix reading leaves another count. Text that starts as
  // this function writes it (`LX-`) keeps its prefix, so that normalizing twice changes nothing.
  if (rest.length !== SERIAL_BODY_LENGTH && !CANONICAL_PREFIX.test(text)) {
    const whole = normalizeCrockford(text);
    if (whole.length === SERIAL_BODY_LENGTH) rest = whole;
  }
  const g = rest.match(/.{1,4}/g) ?? [];
  return ['LX', ...g].join('-');
}

/** The canonical form of a typed PIN code. */
export function normalizePin(text: string): string {
  return (normalizeCrockford(text).match(/.{1,5}/g) ?? []).join('-');
}
