/**
 * Licenses on hardware tokens (dongles) in the runtime: `OpenRuntimeOptions.tokens` is the SDK's
 * `tokens` option, given as is to every licensing state the runtime opens, so that the runtime
 * serves token licenses exactly as an application with tokens on would:
 *
 * - a license stored on a token, or a license file bound to one, counts only while the token is
 *   plugged in and proves the key its license names (checked every `intervalMs`); pulled out,
 *   checks granted by it are refused with the SDK's token code (`LICTOR_E_TOKEN_ABSENT`), plugged
 *   back in, granted again, without a restart; either way the SDK's `change` reaches the event
 *   stream as a `license-change` event naming `token:<manufacturer>/<serial>`;
 * - checks and sessions granted by a license on a token are signed like any other
 *   (`answer-proofs.ts`): by its container key, which the SDK reads from the token's private
 *   memory with the PIN (`Licensing.answerKeys()`), the key the License Manager signs a token's
 *   seats with. Without the PIN the key is not read, and the answer is `proof: null`,
 *   `unproven.reason` `key-unavailable`.
 *
 * The PKCS#11 library is loaded once per process (`@lictor/token` shares it between the states).
 */
import { LictorError, type Scheduler } from '@lictor/protocol';
import type { TokenOptions } from '@lictor/sdk';

/**
 * The `tokens` option of the runtime's licensing states: on the runtime's scheduler unless one is
 * given. A period the SDK would refuse is refused here, before anything listens, rather than at
 * every request (a missing module or PIN file is not: as in the SDK, token licenses are then
 * unavailable, `status` says why, and the other licenses work).
 */
export function runtimeTokens(tokens: TokenOptions | undefined, scheduler: Scheduler): TokenOptions | undefined {
  if (tokens === undefined) return undefined;
  const { intervalMs } = tokens;
  if (intervalMs !== undefined && !(Number.isFinite(intervalMs) && intervalMs >= 10)) {
    throw new LictorError('LICTOR_E_INVALID_INPUT', 'tokens.intervalMs must be at least 10 ms', {
      field: 'tokens.intervalMs',
    });
  }
  return tokens.scheduler === undefined ? { ...tokens, scheduler } : tokens;
}
