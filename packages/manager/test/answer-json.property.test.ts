/**
 * The lease answers' JSON text (`answer-json.ts`): the canonical serializers write exactly what
 * `canonicalJson` writes, for any lease body, so the MAC a client checks (over the canonical JSON
 * of the answer it parsed) is the one the manager computed over the text it sent.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerMacKey, answerMacValid, answerNonce, canonicalJson, randomBytes } from '@lictor/protocol';
import { LICENSE_SOURCES } from '@lictor/protocol/wire';
import fc from 'fast-check';
import {
  acquireCanonicalJson,
  acquireJson,
  canonicalSchema,
  heartbeatCanonicalJson,
  heartbeatJson,
  sessionProvenJson,
} from '../src/answer-json.js';

// Any UTF-16 text: quotes, backslashes, control characters, lone surrogates, astral characters.
const text = fc.string({ unit: 'binary', maxLength: 40 });
const iso = fc.integer({ min: 0, max: 253_402_300_799_999 }).map((ms) => new Date(ms).toISOString());
const leaseBody = fc.record(
  {
    id: text,
    product: text,
    feature: fc.option(text, { nil: null }),
    licenseId: text,
    source: fc.constantFrom(...LICENSE_SOURCES),
    grantedAt: iso,
    expiresAt: iso,
    heartbeatIntervalMs: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    graceMs: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  },
  {
    noNullPrototype: true,
    requiredKeys: ['id', 'product', 'feature', 'licenseId', 'source', 'grantedAt', 'expiresAt', 'heartbeatIntervalMs'],
  },
);

test('the canonical serializers write canonicalJson of any lease answer', () => {
  fc.assert(
    fc.property(leaseBody, fc.boolean(), (lease, renewed) => {
      assert.equal(heartbeatCanonicalJson({ lease }), canonicalJson({ lease }));
      assert.equal(acquireCanonicalJson({ lease, renewed }), canonicalJson({ lease, renewed }));
    }),
    { numRuns: 5_000 },
  );
});

test('a body MAC’d under a session parses to the answer, and its proof verifies over the parsed answer', () => {
  const secret = randomBytes(32);
  const key = answerMacKey(secret);
  fc.assert(
    fc.property(leaseBody, fc.boolean(), (lease, renewed) => {
      const nonce = answerNonce(randomBytes(24));
      const body = sessionProvenJson(key, 'lease', 'c-1', nonce, acquireCanonicalJson({ lease, renewed }));
      const { proof, ...answer } = JSON.parse(body) as Record<string, unknown>;
      assert.deepEqual(answer, { lease, renewed });
      assert.equal(answerMacValid(secret, 'c-1', proof, 'lease', nonce, answer), true);
      assert.equal(answerMacValid(secret, 'c-2', proof, 'lease', nonce, answer), false, 'bound to the container');
      assert.equal(answerMacValid(secret, 'c-1', proof, 'heartbeat', nonce, answer), false, 'bound to the purpose');
    }),
    { numRuns: 1_000 },
  );
});

test('plain answers keep the schema’s key order (as Fastify writes them)', () => {
  const lease = {
    id: 'l-1',
    product: 'ERP',
    feature: null,
    licenseId: 'm',
    source: 'software' as const,
    grantedAt: '2026-12-03T00:00:00.000Z',
    expiresAt: '2026-12-03T00:01:00.000Z',
    heartbeatIntervalMs: 20_000,
  };
  assert.equal(
    heartbeatJson({ lease }),
    '{"lease":{"id":"l-1","product":"ERP","feature":null,"licenseId":"m","source":"software","grantedAt":"2026-12-03T00:00:00.000Z","expiresAt":"2026-12-03T00:01:00.000Z","heartbeatIntervalMs":20000}}',
  );
  assert.equal(acquireJson({ lease, renewed: true }), `${heartbeatJson({ lease }).slice(0, -1)},"renewed":true}`);
});

test('an optional answer property without a canonical variant is refused when the serializers are made', () => {
  const schema = {
    type: 'object',
    properties: { b: { type: 'string' }, a: { type: 'string' }, extra: { type: 'string' } },
    required: ['a', 'b'],
  };
  assert.throws(() => canonicalSchema(schema, [], []), /optional property 'extra' has no canonical variant/);
  assert.deepEqual(canonicalSchema(schema, ['extra'], []), {
    type: 'object',
    properties: { a: { type: 'string' }, b: { type: 'string' } },
    required: ['a', 'b'],
  });
});
