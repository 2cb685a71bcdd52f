/**
 * Signed answers of a real runtime: a check and a session granted by a license activated on this
 * computer are signed over the application's nonce by that license's container key, verifiable
 * with the vendor key alone (by `verifyRuntimeAnswer`, and by hand the way a C, Java or Python
 * client does it); a license that cannot sign is granted unsigned, saying why, and refused by the
 * verifier.
 */
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  ANSWER_PROOF_DOMAIN,
  decodeLicenseFile,
  type LictorError,
  parsePublicKey,
  type RuntimeAnswerPurpose,
  verifyRuntimeAnswer,
} from '@lictor/protocol';
import { activateLicense, doc, nonce, PUBLIC_KEY, startRuntime, writeLicenses } from './runtime-fixture.js';

/** Asserts that verifying throws `LICTOR_E_ANSWER_UNPROVEN` with `reason`. */
function refused(reason: string, verifying: () => unknown): void {
  assert.throws(verifying, (err: LictorError) => {
    assert.equal(err.code, 'LICTOR_E_ANSWER_UNPROVEN', err.message);
    assert.equal(err.details?.reason, reason, err.message);
    return true;
  });
}

test('a check and a session of an activated license are signed over the nonce by its container key', async (t) => {
  const rt = await startRuntime(t);
  const file = await activateLicense(rt.licenses);
  rt.processes.start(500, '3');
  const now = rt.scheduler.now();

  const checkNonce = nonce();
  const check = await rt.call('POST', '/v1/check', {
    publicKey: PUBLIC_KEY,
    product: 'ERP',
    feature: 'reports',
    nonce: checkNonce,
  });
  assert.equal(check.status, 200, JSON.stringify(check.json));
  assert.equal(check.json.file, file);
  assert.equal(check.json.unproven, undefined);
  const verified = verifyRuntimeAnswer({
    publicKey: PUBLIC_KEY,
    nonce: checkNonce,
    purpose: 'runtime-check',
    answer: check.json,
    product: 'ERP',
    feature: 'reports',
    now,
  });
  const { proof, ...fields } = check.json;
  assert.deepEqual(verified.answer, fields, 'what is signed is the answer as sent');
  assert.equal(verified.license.serial, check.json.serial);

  // What a client in another language does: open the license with the vendor key, verify
  // Ed25519 over the domain, a NUL and the signed text, then read the signed text.
  const p = proof as { license: string; key: string; signature: string; signed: string };
  assert.equal(p.key, 'container');
  const license = decodeLicenseFile(p.license, parsePublicKey(PUBLIC_KEY));
  const containerKey = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: license.containerKeys?.sign as string },
    format: 'jwk',
  });
  const message = Buffer.concat([Buffer.from(ANSWER_PROOF_DOMAIN), Buffer.of(0), Buffer.from(p.signed, 'utf8')]);
  assert.ok(verify(null, message, containerKey, Buffer.from(p.signature, 'base64url')));
  const statement = JSON.parse(p.signed) as { answer: unknown; container: string; nonce: string; purpose: string };
  assert.deepEqual(
    { container: statement.container, nonce: statement.nonce, purpose: statement.purpose },
    { container: license.containerId, nonce: checkNonce, purpose: 'runtime-check' },
  );
  assert.deepEqual(statement.answer, fields);

  // The same answer for another request, as another kind of answer, or about another feature: refused.
  const asked = { publicKey: PUBLIC_KEY, answer: check.json, product: 'ERP', feature: 'reports', now };
  refused('signature', () => verifyRuntimeAnswer({ ...asked, nonce: nonce(), purpose: 'runtime-check' }));
  refused('signature', () => verifyRuntimeAnswer({ ...asked, nonce: checkNonce, purpose: 'runtime-session' }));
  refused('not-covered', () =>
    verifyRuntimeAnswer({ ...asked, nonce: checkNonce, purpose: 'runtime-check', feature: 'api' }),
  );

  const sessionNonce = nonce();
  const session = await rt.call('POST', '/v1/sessions', {
    publicKey: PUBLIC_KEY,
    product: 'ERP',
    pid: 500,
    nonce: sessionNonce,
  });
  assert.equal(session.status, 201, JSON.stringify(session.json));
  const opened = verifyRuntimeAnswer<{ id: string; pid: number; licenseFile: string }>({
    publicKey: PUBLIC_KEY,
    nonce: sessionNonce,
    purpose: 'runtime-session',
    answer: session.json,
    product: 'ERP',
    now,
  });
  assert.equal(opened.answer.id, session.json.id);
  assert.equal(opened.answer.pid, 500);
  assert.equal(opened.answer.licenseFile, file);
});

test('a license that cannot sign is granted unsigned, saying why, and the verifier refuses it', async (t) => {
  const rt = await startRuntime(t);
  await writeLicenses(rt.licenses, { 'old.lic': doc() });
  const cadFile = await activateLicense(rt.licenses, [
    {
      product: 'CAD',
      type: 'single',
      users: 1,
      sessions: null,
      arch: null,
      expiresAt: null,
      features: [],
    },
  ]);
  // Its key file gone (moved elsewhere, a backup restored without it): the license still grants.
  const { readdir } = await import('node:fs/promises');
  for (const f of await readdir(rt.licenses)) if (f.endsWith('.key')) await rm(join(rt.licenses, f));

  const cases: [string, string, RuntimeAnswerPurpose][] = [
    ['ERP', 'no-key', 'runtime-check'],
    ['CAD', 'key-unavailable', 'runtime-check'],
  ];
  for (const [product, reason, purpose] of cases) {
    const n = nonce();
    const answer = await rt.call('POST', '/v1/check', { publicKey: PUBLIC_KEY, product, nonce: n });
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    assert.equal(answer.json.proof, null);
    const unproven = answer.json.unproven as { reason: string; message: string };
    assert.equal(unproven.reason, reason, unproven.message);
    if (product === 'CAD') assert.match(unproven.message, new RegExp(cadFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.throws(
      () => verifyRuntimeAnswer({ publicKey: PUBLIC_KEY, nonce: n, purpose, answer: answer.json, product, now: 0 }),
      (err: LictorError) => {
        assert.equal(err.code, 'LICTOR_E_ANSWER_UNPROVEN');
        assert.equal(err.details?.reason, 'missing');
        assert.equal(err.details?.unproven, reason);
        assert.ok(err.message.includes(unproven.message), err.message);
        return true;
      },
    );
  }
});

test('a nonce that is not canonical base64url of 16 to 64 bytes is refused before anything is granted', async (t) => {
  const rt = await startRuntime(t);
  await activateLicense(rt.licenses);
  rt.processes.start(9, '1');
  // 22 characters whose last one carries bits beyond the 16 bytes: the schema's pattern allows it.
  const loose = `${nonce().slice(0, 21)}B`;
  for (const [route, body] of [
    ['/v1/check', { publicKey: PUBLIC_KEY, product: 'ERP', nonce: loose }],
    ['/v1/sessions', { publicKey: PUBLIC_KEY, product: 'ERP', pid: 9, nonce: loose }],
  ] as const) {
    const answer = await rt.call('POST', route, body);
    assert.equal(answer.status, 400, route);
    assert.equal(answer.json.code, 'LICTOR_E_INVALID_INPUT');
    assert.deepEqual(answer.json.details, { field: 'nonce' });
  }
  assert.equal(rt.running.runtime.sessions.count, 0, 'no session was opened');
});
