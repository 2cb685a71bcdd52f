/**
 * The seam of signed answers. Every answer that grants something (a check, a session, a seat)
 * passes through {@link AnswerProofs.prove} with the application's nonce and the license file
 * that grants it.
 *
 * TODO(signed answers): sign each answer over `nonce` with the container key of the granting
 * license, with the License Manager's mechanism (`@lictor/protocol`'s `seat-proof.ts`:
 * `signAnswer`, the keys from the SDK's `Licensing.answerKeys()`), and add the result as the
 * answer's `proof` field (declared in `wire/runtime.ts` then). For seats, forward the nonce to
 * the manager and return the manager's proof. Until then answers carry no proof.
 */
import type { Licensing } from '@lictor/sdk';

/** What an answer proves (the signed-answer purpose). */
export type AnswerPurpose = 'runtime-check' | 'runtime-session' | 'runtime-seat';

/** Adds the proof to granting answers (see the module comment). */
export class AnswerProofs {
  /**
   * `answer` as it is sent: with its proof once signing is wired in. `licensing` and
   * `licenseFile` name the license whose container key signs.
   */
  prove<T extends object>(
    _purpose: AnswerPurpose,
    _licensing: Licensing | undefined,
    _licenseFile: string | undefined,
    _nonce: string,
    answer: T,
  ): T {
    return answer;
  }
}
