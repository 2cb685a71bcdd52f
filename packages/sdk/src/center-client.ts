/**
 * One HTTP call to the License Center, with a timeout and typed errors (activation, blacklist,
 * duplicate reports), over `node:http`/`node:https` (`http-transport.ts`: not `fetch`, undici).
 */
import { isErrorCode, LictorError } from '@lictor/protocol';
import { defaultHttpTransport, type HttpAnswer, type HttpRequest, jsonOf } from './http-transport.js';

/** A request to the center: method, headers, body, and how long to wait. */
export interface CenterRequest extends Omit<HttpRequest, 'signal'> {
  /** What the user can do when the center cannot be reached, appended to the message (`; …`). */
  unreachableHint?: string;
}

/**
 * Calls `url` (an endpoint of the center) and returns the response when its status is 2xx.
 * Throws `LICTOR_E_CENTER_UNREACHABLE` when the center cannot be reached or answers without a
 * Lictor error, and the center's own refusal (its code and message) otherwise.
 */
export async function callCenter(url: URL, request: CenterRequest): Promise<HttpAnswer> {
  const { unreachableHint, ...init } = request;
  const { timeoutMs } = init;
  const hint = unreachableHint === undefined ? '' : `; ${unreachableHint}`;
  let response: HttpAnswer;
  try {
    response = await defaultHttpTransport.request(url, init);
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
  if (response.status >= 200 && response.status < 300) return response;
  const body = jsonOf(response) as { code?: unknown; message?: unknown } | null;
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
