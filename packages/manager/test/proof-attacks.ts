/** What the proof attack tests (seats and status) share: an SDK client of the test vendor, and the refusal they expect. */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { LictorError } from '@lictor/protocol';
import { connectManager, type ManagerClient } from '@lictor/sdk';
import { VENDOR } from '../../sdk/test/signed-answers.js';

/** `connectManager` for the test vendor, to `managers` only (no configuration, no discovery), closed after the test. */
export async function client(
  t: TestContext,
  managers: string[],
  extra: Partial<Parameters<typeof connectManager>[0]> = {},
): Promise<ManagerClient> {
  const c: ManagerClient = await connectManager({
    publicKey: VENDOR.publicKey.text,
    managers,
    configPaths: [],
    env: {},
    discovery: false,
    timeoutMs: 2000,
    ...extra,
  });
  t.after(() => c.close());
  return c;
}

/** An `assert.rejects` check: `LICTOR_E_ANSWER_UNPROVEN` with `details.reason` `reason`. */
export function unproven(reason: string) {
  return (err: unknown) => {
    assert.ok(err instanceof LictorError, String(err));
    assert.equal(err.code, 'LICTOR_E_ANSWER_UNPROVEN', err.message);
    assert.equal(err.details?.reason, reason, err.message);
    return true;
  };
}
