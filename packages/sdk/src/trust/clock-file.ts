/**
 * The clock mark's file (`lictor-clock.json`): the mark and the last center time, sealed with the
 * machine secret. What an altered file says is not believed, except a center time whose vendor
 * signature still verifies.
 */
import { type SignedTime, type VendorPublicKey, verifyServerTime } from '@lictor/protocol';
import { readSealedState, writeSealedState } from './sealed-state.js';

/** The mark's file name in a license directory. */
export const CLOCK_FILE_NAME = 'lictor-clock.json';

/** A center time whose vendor signature verified. */
export interface ServerTime {
  ms: number;
  signed: SignedTime;
}

/** What a mark file holds. */
export type StoredMark =
  | { state: 'valid'; markMs: number | undefined; server: ServerTime | undefined }
  | { state: 'missing' }
  | { state: 'tampered'; reason: string; server: ServerTime | undefined }
  | { state: 'unreadable'; reason: string };

const KIND = 'clock';

/** A signed time kept in a mark, verified again (`undefined` when absent or not genuine). */
function serverTimeIn(value: unknown, publicKey: VendorPublicKey): ServerTime | undefined {
  const v = value as Partial<SignedTime> | undefined;
  if (v === undefined || typeof v?.nonce !== 'string') return undefined;
  try {
    return { ms: verifyServerTime(v, publicKey, v.nonce), signed: v as SignedTime };
  } catch {
    return undefined;
  }
}

/** Reads a mark file. */
export async function readMark(file: string, secret: Uint8Array, publicKey: VendorPublicKey): Promise<StoredMark> {
  const read = await readSealedState(file, KIND, secret);
  switch (read.state) {
    case 'valid':
      return {
        state: 'valid',
        markMs: Number.isSafeInteger(read.body.markMs) ? (read.body.markMs as number) : undefined,
        server: serverTimeIn(read.body.server, publicKey),
      };
    case 'tampered':
      return { state: 'tampered', reason: read.reason, server: serverTimeIn(read.body?.server, publicKey) };
    default:
      return read;
  }
}

/** Writes a mark file (atomically). */
export function writeMark(
  file: string,
  secret: Uint8Array,
  markMs: number,
  server: ServerTime | undefined,
): Promise<void> {
  return writeSealedState(file, KIND, { markMs, ...(server ? { server: { ...server.signed } } : {}) }, secret);
}
