/**
 * The wire contract against the SDK tests' fake License Manager (the real one:
 * `manager/test/manager-contract.test.ts`), and the same fake without a genuine license: the
 * SDK refuses its seats.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { type AnswerKey, generateVendorKeys, LictorError, loadSigner } from '@lictor/protocol';
import { connectManager } from '../src/index.js';
import { fakeManager } from './fake-manager.js';
import { managerContract } from './manager-contract.js';
import { licenseKey, VENDOR } from './signed-answers.js';

managerContract('the SDK tests’ fake', {
  async start(t, seats, terms = {}) {
    const fake = await fakeManager({ total: seats, heartbeatIntervalMs: 20_000, ttlMs: 60_000, ...terms });
    t.after(() => fake.stop());
    return fake.url;
  },
});

/** `acquire('ACME')` from the fake signing with `key`, as an application embedding `VENDOR`'s key. */
async function acquireFrom(t: TestContext, key: AnswerKey | null) {
  const fake = await fakeManager({ key, heartbeatIntervalMs: 20_000, ttlMs: 60_000 });
  t.after(() => fake.stop());
  const client = await connectManager({
    publicKey: VENDOR.publicKey,
    managers: [fake.url],
    configPaths: [],
    env: {},
    discovery: false,
  });
  t.after(() => client.close());
  return { fake, attempt: client.acquire('ACME') };
}

function unproven(reason: string) {
  return (err: unknown) => {
    assert.ok(err instanceof LictorError, String(err));
    assert.equal(err.code, 'LICTOR_E_ANSWER_UNPROVEN', err.message);
    assert.equal(err.details?.reason, reason, err.message);
    return true;
  };
}

test('the fake without a license: its well-formed grant is refused (LICTOR_E_ANSWER_UNPROVEN, missing)', async (t) => {
  const { fake, attempt } = await acquireFrom(t, null);
  await assert.rejects(attempt, unproven('missing'));
  assert.equal(fake.state.leases.size, 1, 'the fake granted; the SDK did not accept it');
});

test('the fake with a license of another vendor: refused (license)', async (t) => {
  const other = loadSigner(generateVendorKeys().privatePem);
  const { attempt } = await acquireFrom(t, licenseKey(['ACME'], other));
  await assert.rejects(attempt, unproven('license'));
});

test('the fake with a genuine license of another product: refused (not-covered)', async (t) => {
  const { attempt } = await acquireFrom(t, licenseKey(['OTHER']));
  await assert.rejects(attempt, unproven('not-covered'));
});
