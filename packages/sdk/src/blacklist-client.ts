/** Fetching the vendor's signed blacklist from the License Center. */
import { decodeBlacklist, type VendorPublicKey } from '@lictor/protocol';
import { callCenter } from './center-client.js';

/**
 * Downloads the center's blacklist and verifies its signature; returns the file text to store.
 * A blacklist signed by another key is refused, so a forged one cannot disable good licenses.
 */
export async function fetchBlacklist(
  center: string,
  publicKey: VendorPublicKey,
  timeoutMs = 30_000,
): Promise<{ text: string; serials: number; activations: number; issuedAt: string }> {
  const response = await callCenter(new URL('/v1/blacklist', center), { timeoutMs });
  const text = await response.text();
  const list = decodeBlacklist(text, publicKey);
  return { text, serials: list.serials.size, activations: list.activations.size, issuedAt: list.issuedAt };
}
