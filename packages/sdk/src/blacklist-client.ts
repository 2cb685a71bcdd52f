/** Fetching the vendor's signed blacklist from the License Center. */
import { decodeBlacklist, LictorError, type VendorPublicKey } from '@lictor/protocol';

/**
 * Downloads the center's blacklist and verifies its signature; returns the file text to store.
 * A blacklist signed by another key is refused, so a forged one cannot disable good licenses.
 */
export async function fetchBlacklist(
  center: string,
  publicKey: VendorPublicKey,
  timeoutMs = 30_000,
): Promise<{ text: string; serials: number; activations: number; issuedAt: string }> {
  const url = new URL('/v1/blacklist', center);
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new LictorError(
      'LICTOR_E_CENTER_UNREACHABLE',
      `cannot reach the License Center at ${url.origin}: ${(err as Error).message}`,
    );
  }
  if (!response.ok) {
    throw new LictorError(
      'LICTOR_E_CENTER_UNREACHABLE',
      `the License Center at ${url.origin} answered HTTP ${response.status}`,
    );
  }
  const text = await response.text();
  const list = decodeBlacklist(text, publicKey);
  return { text, serials: list.serials.size, activations: list.activations.size, issuedAt: list.issuedAt };
}
