/** One HTTP call to the License Center, with a timeout and typed errors (activation, blacklist, duplicate reports). */
import { isErrorCode, LictorError } from '@lictor/protocol';

/** A request to the center: `fetch`'s init without the signal, and how long to wait. */
export interface CenterRequest extends Omit<RequestInit, 'signal'> {
  /** Give up after this many ms. */
  timeoutMs: number;
  /** What the user can do when the center cannot be reached, appended to the message (`; …`). */
  unreachableHint?: string;
}

/**
 * Calls `url` (an endpoint of the center) and returns the response when its status is 2xx.
 * Throws `LICTOR_E_CENTER_UNREACHABLE` when the center cannot be reached or answers without a
 * Lictor error, and the center's own refusal (its code and message) otherwise.
 */
export async function callCenter(url: URL, request: CenterRequest): Promise<Response> {
  const { timeoutMs, unreachableHint, ...init } = request;
  const hint = unreachableHint === undefined ? '' : `; ${unreachableHint}`;
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new LictorError(
        'LICTOR_E_CENTER_UNREACHABLE',
        `the License Center at ${url.origin} did not answer within ${formatSeconds(timeoutMs)}${hint}`,
        { timeoutMs },
      );
    }
    throw new LictorError(
      'LICTOR_E_CENTER_UNREACHABLE',
      `cannot reach the License Center at ${url.origin}: ${(err as Error).message}${hint}`,
    );
  }
  if (response.ok) return response;
  const body = (await response.json().catch(() => null)) as { code?: unknown; message?: unknown } | null;
  if (body !== null && isErrorCode(body.code) && typeof body.message === 'string') {
    throw new LictorError(body.code, body.message);
  }
  throw new LictorError(
    'LICTOR_E_CENTER_UNREACHABLE',
    `the License Center at ${url.origin} answered HTTP ${response.status} without a Lictor error${hint}`,
  );
}

/** `1 s`, `2.5 s`, `30 s`. */
function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
