/** Fetching the vendor's signed blacklist from the License Center. */
import {
  decodeBlacklist,
  newTimeNonce,
  type SignedTime,
  TIME_HEADER,
  type VendorPublicKey,
  type VerifiedBlacklist,
  verifyServerTime,
} from '@lictor/protocol';
import { callCenter } from './center-client.js';

/** A blacklist downloaded and verified, with the center's signed time when it sent one. */
export interface FetchedBlacklist {
  /** The file text to store. */
  text: string;
  list: VerifiedBlacklist;
  serials: number;
  activations: number;
  issuedAt: string;
  sequence: number;
  /** The center's time, signed over this request's nonce (absent from older centers). */
  time?: { ms: number; signed: SignedTime };
}

/**
 * Downloads the center's blacklist and verifies its signature; returns the file text to store.
 * A blacklist signed by another key is refused, so a forged one cannot disable good licenses.
 * The center's signed time comes in a header, for a nonce made here; a time that does not verify
 * is refused like a forged list.
 */
export async function fetchBlacklist(
  center: string,
  publicKey: VendorPublicKey,
  timeoutMs = 30_000,
): Promise<FetchedBlacklist> {
  const nonce = newTimeNonce();
  const url = new URL('/v1/blacklist', center);
  url.searchParams.set('nonce', nonce);
  const response = await callCenter(url, { timeoutMs });
  const { text } = response;
  const list = decodeBlacklist(text, publicKey);
  const header = response.header(TIME_HEADER);
  let time: FetchedBlacklist['time'];
  if (header !== null) {
    let signed: unknown;
    try {
      signed = JSON.parse(header);
    } catch {
      signed = null;
    }
    time = { ms: verifyServerTime(signed, publicKey, nonce), signed: signed as SignedTime };
  }
  return {
    text,
    list,
    serials: list.serials.size,
    activations: list.activations.size,
    issuedAt: list.issuedAt,
    sequence: list.sequence,
    ...(time ? { time } : {}),
  };
}
