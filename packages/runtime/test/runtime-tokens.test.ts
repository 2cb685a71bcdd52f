/**
 * The runtime's `tokens` option without a token at hand (the SoftHSM2 tests are
 * `packages/cli/test/cli-runtime-token.test.ts`): a period the SDK would refuse is refused before
 * anything listens; a PKCS#11 module that is not there leaves the other licenses served, signed,
 * and the status says why token licenses are unavailable.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { LictorError } from '@lictor/protocol';
import { openRuntime } from '../src/index.js';
import { activateLicense, nonce, PUBLIC_KEY, startRuntime } from './runtime-fixture.js';

test('a token check period below 10 ms is refused when the runtime opens', async (t) => {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const root = await mkdtemp(join(tmpdir(), 'lictor-rt-tokens-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await assert.rejects(
    openRuntime({ stateDir: join(root, 'state'), socket: null, port: 0, tokens: { intervalMs: 5 } }),
    (err: LictorError) => {
      assert.equal(err.code, 'LICTOR_E_INVALID_INPUT');
      assert.match(err.message, /tokens\.intervalMs/);
      return true;
    },
  );
});

test('without the PKCS#11 module, software licenses are served and signed, and the status says why tokens are not', async (t) => {
  const missing = join('/nonexistent', 'libmissing-pkcs11.so');
  const rt = await startRuntime(t, { tokens: { module: missing, intervalMs: 100 } });
  const file = await activateLicense(rt.licenses);
  const check = await rt.call('POST', '/v1/check', { publicKey: PUBLIC_KEY, product: 'ERP', nonce: nonce() });
  assert.equal(check.status, 200, JSON.stringify(check.json));
  assert.equal(check.json.file, file);
  assert.equal((check.json.proof as { key?: string } | null)?.key, 'container');

  const status = await rt.call('GET', '/v1/status');
  const files = (
    status.json.products as { files: { file: string; state: string; code?: string; reason?: string }[] }[]
  ).flatMap((p) => p.files);
  const module = files.find((f) => f.code === 'LICTOR_E_TOKEN_MODULE_MISSING');
  assert.ok(module, JSON.stringify(files));
  assert.match(module.reason ?? '', /token licenses unavailable/);
  assert.match(module.reason ?? '', /libmissing-pkcs11\.so/);
});
