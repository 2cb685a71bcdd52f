/**
 * Signed answers (`seat-proof.ts`): the pinned bytes and signature (test vectors), and every way
 * to make an asker accept an answer without holding the license: no proof, a license of another
 * vendor, of another product, an expired one, a replayed answer, an altered answer, a license
 * with no container key, another container's key.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  ANSWER_PROOF_DOMAIN,
  type AnswerKey,
  answerMacValid,
  answerSigningBytes,
  containerVerify,
  encodeLicenseFile,
  fromUtf8,
  generateContainerKeys,
  generateVendorKeys,
  hmacSha256,
  hmacSha256Keyed,
  hmacSha256Quick,
  isAnswerNonce,
  type LicenseDocument,
  loadContainerSigner,
  loadSigner,
  macAnswer,
  openAnswerSession,
  randomBytes,
  sealAnswerSession,
  signAnswer,
  toBase64Url,
  type VerifyAnswerInput,
  verifyAnswer,
} from '../src/index.js';
import { genuineLicense } from '../src/testing/index.js';
import { assertCode } from './refusal.js';

/** A container key from a fixed seed: Ed25519 is deterministic, so the signature is pinned. */
function fixedContainerKey(): { pem: string; publicKey: string } {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.alloc(32, 7)]);
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return {
    pem: key.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKey: String(createPublicKey(key).export({ format: 'jwk' }).x),
  };
}

const VECTOR = {
  purpose: 'lease',
  container: 'c-1',
  nonce: toBase64Url(new Uint8Array(16).fill(1)),
  answer: { lease: { id: 'l-1', product: 'CAD', feature: null, heartbeatIntervalMs: 20000 }, renewed: false },
  bytes:
    'lictor/v1/signed-answer\u0000{"answer":{"lease":{"feature":null,"heartbeatIntervalMs":20000,"id":"l-1","product":"CAD"},"renewed":false},"container":"c-1","nonce":"AQEBAQEBAQEBAQEBAQEBAQ","purpose":"lease"}',
  publicKey: '6kpsY-KcUgq-9VB7Ey7F-ZVHdq6-vnuSQh7qaRRG0iw',
  signature: 'pb1PtvtDZzzSQvws1soem92gHFIwkNMl7iBZPdifaJWL0BgKlooy5dAEX0oJwIZsaxc7YoLfd8YE8Jlzakb0Dw',
};

const vendor = loadSigner(generateVendorKeys().privatePem);
const otherVendor = loadSigner(generateVendorKeys().privatePem);

/** A manager's signing side: a license of CAD (feature `reports`) issued by `by`, and its container's private key. */
function answerKey(options: { by?: typeof vendor; product?: string; expiresAt?: string | null } = {}): AnswerKey {
  return genuineLicense({
    vendor: options.by ?? vendor,
    products: [options.product ?? 'CAD'],
    features: [{ code: 'reports', users: null }],
    terms: { expiresAt: options.expiresAt ?? null },
  }).key;
}

const NOW = Date.parse('2026-06-01T00:00:00Z');

function input(key: AnswerKey, overrides: Partial<VerifyAnswerInput> = {}): VerifyAnswerInput {
  const nonce = toBase64Url(randomBytes(16));
  const answer = { lease: { id: 'l-1', product: 'CAD', feature: null }, renewed: false };
  return {
    purpose: 'lease',
    nonce,
    answer,
    proof: signAnswer(key, 'lease', nonce, answer),
    publicKey: vendor.publicKey,
    scope: { product: 'CAD', feature: null, now: NOW },
    ...overrides,
  };
}

describe('signed answers: test vectors', () => {
  test('the signed bytes are the domain, a NUL and the canonical statement', () => {
    const bytes = answerSigningBytes(VECTOR.purpose, VECTOR.container, VECTOR.nonce, VECTOR.answer);
    assert.equal(fromUtf8(bytes), VECTOR.bytes);
    assert.ok(VECTOR.bytes.startsWith(`${ANSWER_PROOF_DOMAIN}\0`));
  });

  test('the signature of the fixed container key is pinned and verifies', () => {
    const key = fixedContainerKey();
    assert.equal(key.publicKey, VECTOR.publicKey);
    const bytes = answerSigningBytes(VECTOR.purpose, VECTOR.container, VECTOR.nonce, VECTOR.answer);
    const signature = loadContainerSigner(key.pem)(bytes);
    assert.equal(toBase64Url(signature), VECTOR.signature);
    assert.ok(containerVerify(VECTOR.publicKey, bytes, signature));
  });

  test('key order of the answer does not change the bytes; purpose and container do', () => {
    const reordered = {
      renewed: false,
      lease: { product: 'CAD', heartbeatIntervalMs: 20000, feature: null, id: 'l-1' },
    };
    const a = answerSigningBytes('lease', 'c-1', VECTOR.nonce, VECTOR.answer);
    assert.deepEqual(answerSigningBytes('lease', 'c-1', VECTOR.nonce, reordered), a);
    assert.notDeepEqual(answerSigningBytes('heartbeat', 'c-1', VECTOR.nonce, VECTOR.answer), a);
    assert.notDeepEqual(answerSigningBytes('lease', 'c-2', VECTOR.nonce, VECTOR.answer), a);
  });

  test('nonces: base64url of 16 to 64 bytes only', () => {
    assert.ok(isAnswerNonce(toBase64Url(new Uint8Array(16))));
    assert.ok(isAnswerNonce(toBase64Url(new Uint8Array(64))));
    assert.ok(!isAnswerNonce(toBase64Url(new Uint8Array(15))));
    assert.ok(!isAnswerNonce(toBase64Url(new Uint8Array(65))));
    assert.ok(!isAnswerNonce('not base64url!'));
    // Only the canonical spelling: unused low bits of the last character must be zero.
    const canonical = toBase64Url(randomBytes(16));
    assert.ok(isAnswerNonce(canonical));
    assert.ok(!isAnswerNonce(`${canonical.slice(0, -1)}B`));
    for (let n = 16; n <= 64; n++) assert.ok(isAnswerNonce(toBase64Url(randomBytes(n))), `${n} bytes`);
    assertCode(() => answerSigningBytes('lease', 'c', 'short', {}), 'LICTOR_E_INVALID_INPUT');
    assertCode(() => answerSigningBytes('Lease/../x', 'c', VECTOR.nonce, {}), 'LICTOR_E_INVALID_INPUT');
  });
});

describe('signed answers: verification and attacks', () => {
  test('a genuine answer verifies and returns the license', () => {
    const key = answerKey();
    const doc = verifyAnswer(input(key));
    assert.equal(doc.containerId, key.containerId);
    assert.equal(
      verifyAnswer(input(key, { scope: { product: 'CAD', feature: 'reports', now: NOW } })).serial,
      doc.serial,
    );
  });

  const refused = (i: VerifyAnswerInput, reason: string) => {
    const err = assertCode(() => verifyAnswer(i), 'LICTOR_E_ANSWER_UNPROVEN');
    assert.equal(err.details?.reason, reason, err.message);
  };

  test('no proof, or a malformed one → missing / malformed', () => {
    const key = answerKey();
    refused(input(key, { proof: undefined }), 'missing');
    refused(input(key, { proof: { license: 'x', key: 'token', signature: 'AA' } }), 'malformed');
    refused(input(key, { proof: 'proof' }), 'malformed');
  });

  test('a license of another vendor → license (WRONG_VENDOR)', () => {
    const err = assertCode(() => verifyAnswer(input(answerKey({ by: otherVendor }))), 'LICTOR_E_ANSWER_UNPROVEN');
    assert.equal(err.details?.reason, 'license');
    assert.equal(err.details?.cause, 'LICTOR_E_WRONG_VENDOR');
  });

  test('a license for another product, another feature, or expired → not-covered', () => {
    refused(input(answerKey({ product: 'OTHER' })), 'not-covered');
    refused(input(answerKey(), { scope: { product: 'CAD', feature: 'export', now: NOW } }), 'not-covered');
    refused(input(answerKey({ expiresAt: '2026-05-31T00:00:00Z' })), 'not-covered');
  });

  test('a genuine answer replayed for another nonce → signature', () => {
    const key = answerKey();
    const genuine = input(key);
    refused({ ...genuine, nonce: toBase64Url(randomBytes(16)) }, 'signature');
  });

  test('an altered answer, or another purpose → signature', () => {
    const genuine = input(answerKey());
    refused(
      { ...genuine, answer: { lease: { id: 'l-2', product: 'CAD', feature: null }, renewed: false } },
      'signature',
    );
    refused({ ...genuine, purpose: 'heartbeat' }, 'signature');
    refused(
      { ...genuine, answer: { lease: { id: 'l-1', product: 'CAD', feature: null, n: 1.5 }, renewed: false } },
      'signature',
    );
  });

  test("a genuine license sent with another key's signature → signature", () => {
    const genuine = answerKey();
    const mine = generateContainerKeys();
    const forger: AnswerKey = { ...genuine, sign: loadContainerSigner(mine.private.sign) };
    refused(input(forger), 'signature');
  });

  test('a license without container keys → no-key', () => {
    const { containerKeys: _k, ...bare } = genuineLicense({ vendor }).doc;
    const key: AnswerKey = {
      license: encodeLicenseFile(bare, vendor),
      containerId: bare.containerId,
      sign: loadContainerSigner(generateContainerKeys().private.sign),
    };
    refused(input(key), 'no-key');
  });
});

describe('signed answers: sessions', () => {
  const keys = generateContainerKeys();
  const doc: LicenseDocument = { ...genuineLicense({ vendor }).doc, containerKeys: keys.public };
  const nonce = toBase64Url(randomBytes(16));
  const answer = { lease: { id: 'l-1' } };

  test('a secret sealed to the certified key opens only with the container key', () => {
    const secret = randomBytes(32);
    const sealed = sealAnswerSession(doc, secret);
    assert.deepEqual(openAnswerSession(keys.private.box, sealed), secret);
    assert.equal(openAnswerSession(generateContainerKeys().private.box, sealed), null);
    // Its last two characters changed (to others than they were: 'AA' itself 1 run in 4,096).
    const tampered = `${sealed.slice(0, -2)}${sealed.endsWith('AA') ? 'QA' : 'AA'}`;
    assert.equal(openAnswerSession(keys.private.box, tampered), null);
    assert.equal(openAnswerSession(keys.private.box, 'x'.repeat(300)), null);
    assertCode(() => sealAnswerSession(doc, randomBytes(16)), 'LICTOR_E_INVALID_INPUT');
  });

  test('a MAC verifies for its secret, nonce, answer, purpose and container only', () => {
    const secret = randomBytes(32);
    const proof = macAnswer(secret, 'heartbeat', doc.containerId, nonce, answer);
    assert.ok(answerMacValid(secret, doc.containerId, proof, 'heartbeat', nonce, answer));
    assert.ok(!answerMacValid(randomBytes(32), doc.containerId, proof, 'heartbeat', nonce, answer));
    assert.ok(!answerMacValid(secret, doc.containerId, proof, 'heartbeat', toBase64Url(randomBytes(16)), answer));
    assert.ok(!answerMacValid(secret, doc.containerId, proof, 'heartbeat', nonce, { lease: { id: 'l-2' } }));
    assert.ok(!answerMacValid(secret, doc.containerId, proof, 'lease', nonce, answer));
    assert.ok(!answerMacValid(secret, 'c-other', proof, 'heartbeat', nonce, answer));
    assert.ok(!answerMacValid(secret, doc.containerId, { key: 'session', mac: 'AA' }, 'heartbeat', nonce, answer));
    assert.ok(!answerMacValid(secret, doc.containerId, null, 'heartbeat', nonce, answer));
  });
});

test('hmacSha256Quick gives the bytes of HMAC-SHA256 for every key length', () => {
  for (const keyLength of [0, 1, 32, 63, 64, 65, 100]) {
    for (const data of ['', 'lictor', 'é€𝄞 \0 \ud800', randomBytes(1000)]) {
      const key = randomBytes(keyLength);
      assert.deepEqual(hmacSha256Quick(key, data), hmacSha256(key, data), `key ${keyLength}`);
    }
  }
});

test('hmacSha256Keyed is HMAC-SHA256 for messages of any length, short again after long ones', () => {
  // Through the shared message buffer, its growth, the buffer of its own past 64 KiB, and back.
  const key = randomBytes(32);
  const mac = hmacSha256Keyed(key);
  const other = hmacSha256Keyed(randomBytes(16));
  for (const length of [10, 4000, 4033, 10_000, 70_000, 10, 65_472, 65_473, 3]) {
    const text = 'é'.repeat(length / 2) + 'x'.repeat(length % 2);
    const bytes = randomBytes(length);
    assert.deepEqual(mac(text), hmacSha256(key, text), `text of ${length} characters`);
    assert.deepEqual(mac(bytes), hmacSha256(key, bytes), `${length} bytes`);
    assert.notDeepEqual(other(bytes), mac(bytes));
  }
});
