/**
 * What the runtime grants, from the SDK's answers: a check's result as the wire's
 * `CheckAnswer`, or its refusal as the `LictorError` with the SDK's code and reason.
 */
import { LictorError } from '@lictor/protocol';
import type { CheckAnswer } from '@lictor/protocol/wire';
import type { CheckResult, Licensed, LicenseFileStatus, Licensing } from '@lictor/sdk';
import type { Unsigned } from './answer-proofs.js';

/** Activation id by license file, per status array (rebuilt by each load of the SDK). */
const activations = new WeakMap<readonly LicenseFileStatus[], Map<string, string>>();

/** The activation id of the license file `path`, from `licensing`'s current status. */
function activationOf(licensing: Licensing, path: string): string {
  const files = licensing.status();
  let byPath = activations.get(files);
  if (byPath === undefined) {
    byPath = new Map();
    for (const f of files) if (f.activationId !== undefined) byPath.set(f.path, f.activationId);
    activations.set(files, byPath);
  }
  return byPath.get(path) ?? '';
}

/** A granted check as the wire answers it; `licenseId` names the license as the License Manager does. */
export function checkAnswer(licensing: Licensing, granted: Licensed): Unsigned<CheckAnswer> {
  return {
    product: granted.product,
    feature: granted.feature ?? null,
    serial: granted.serial,
    licenseId: `${activationOf(licensing, granted.file)}:${granted.product}`,
    type: granted.type,
    users: granted.users,
    expiresAt: granted.expiresAt,
    file: granted.file,
  };
}

/** The grant of `licensing.check(feature)`, or its refusal thrown as a `LictorError` with the SDK's code and reason. */
export function grantOrThrow(licensing: Licensing, feature: string | undefined): Unsigned<CheckAnswer> {
  const result: CheckResult = licensing.check(feature);
  if (!result.ok) throw new LictorError(result.code, result.reason);
  return checkAnswer(licensing, result);
}
