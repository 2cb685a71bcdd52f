/**
 * The LictorError a call refuses with, for the token tests. `LictorError` comes from
 * `@lictor/protocol` as `src/` imports it (the built package), so `instanceof` holds for the
 * errors the token code throws; the protocol tests have their own helper for `protocol/src`.
 */
import assert from 'node:assert/strict';
import { LictorError } from '@lictor/protocol';

/** Runs `fn`; returns the LictorError it threw, fails on success or on any other throwable. */
export function refusal(fn: () => unknown): LictorError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof LictorError, String(err));
    return err;
  }
  assert.fail('expected a LictorError');
}

/** Awaits `promise`; returns the LictorError it rejected with, fails on success or on any other reason. */
export async function rejection(promise: Promise<unknown>): Promise<LictorError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof LictorError, String(err));
    return err;
  }
  assert.fail('expected a LictorError');
}
