/**
 * Answer codes (`encodeAnswerCode` / `parseAnswerCode`): the vendor's reply to a request code.
 * Round trips over every kind of license entry, minute precision, and refusal of truncated,
 * extended and random bytes with LICTOR_E_CODE_INVALID only.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type AnswerCode,
  CODE_EPOCH_MS,
  decodeShortCode,
  encodeAnswerCode,
  encodeShortCode,
  KIND_ANSWER_CODE,
  type LicenseEntry,
  LictorError,
  MAX_SHORT_CODE_BYTES,
  parseAnswerCode,
  shortCodeLength,
  toCodeMinute,
} from '../src/index.js';

const MINUTE = 60_000;
/** Minutes from the code epoch (2024-01-01) to 2100-01-01. */
const MAX_MINUTES = (Date.parse('2100-01-01T00:00:00Z') - CODE_EPOCH_MS) / MINUTE;

const minuteIso = (m: number) => new Date(CODE_EPOCH_MS + m * MINUTE).toISOString();

const codeArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,20}$/);
const count = fc.integer({ min: 1, max: 65535 });

const entryArb: fc.Arbitrary<LicenseEntry> = fc.record(
  {
    product: codeArb,
    type: fc.constantFrom('single', 'multi', 'server', 'server-sessions'),
    users: count,
    sessions: fc.option(count, { nil: null }),
    arch: fc.constantFrom(null, 'x86', 'x64'),
    expiresAt: fc.option(fc.integer({ min: 1, max: MAX_MINUTES }).map(minuteIso), { nil: null }),
    features: fc.array(
      fc.record({ code: codeArb, users: fc.option(count, { nil: null }) }, { noNullPrototype: true }),
      {
        maxLength: 10,
      },
    ),
  },
  { noNullPrototype: true },
);

/** Bytes an answer takes (see the layout in answer-code.ts): every answer a code can carry. */
function answerBytes(a: AnswerCode): number {
  const features = a.entry.features.reduce((n, f) => n + 3 + Buffer.byteLength(f.code), 0);
  return 1 + 8 + 1 + 4 + 1 + Buffer.byteLength(a.entry.product) + 1 + 2 + 2 + 4 + 1 + features + 64;
}

const answerArb: fc.Arbitrary<AnswerCode> = fc
  .record(
    {
      activationId: fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => Buffer.from(b).toString('hex')),
      pin: fc.integer({ min: 1, max: 255 }),
      issuedAt: fc.integer({ min: 0, max: MAX_MINUTES }).map(minuteIso),
      entry: entryArb,
      signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
    },
    { noNullPrototype: true },
  )
  .filter((a) => answerBytes(a) <= MAX_SHORT_CODE_BYTES);

function sample(): AnswerCode {
  return {
    activationId: '5f1d8a2e9b7c4a31',
    pin: 2,
    issuedAt: '2025-03-14T09:26:00.000Z',
    entry: {
      product: 'ACME.CAD',
      type: 'single',
      users: 1,
      sessions: null,
      arch: null,
      expiresAt: '2026-03-14T00:00:00.000Z',
      features: [
        { code: 'render', users: null },
        { code: 'export-dwg', users: 3 },
      ],
    },
    signature: Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff),
  };
}

/** `parseAnswerCode` must throw LICTOR_E_CODE_INVALID; returns the error. */
function invalid(bytes: Uint8Array, context: string): LictorError {
  let result: unknown;
  try {
    result = parseAnswerCode(bytes);
  } catch (e) {
    if (!(e instanceof LictorError)) {
      assert.fail(`${context}: threw a non-LictorError: ${e instanceof Error ? e.stack : String(e)}`);
    }
    assert.equal(e.code, 'LICTOR_E_CODE_INVALID', `${context}: ${e.message}`);
    return e;
  }
  assert.fail(`${context}: parsed (${JSON.stringify(result).slice(0, 80)}...)`);
}

/** `parseAnswerCode` may succeed or throw LICTOR_E_CODE_INVALID, nothing else. */
function parsesOrInvalid(bytes: Uint8Array): AnswerCode | LictorError {
  try {
    return parseAnswerCode(bytes);
  } catch (e) {
    if (!(e instanceof LictorError)) throw e;
    assert.equal(e.code, 'LICTOR_E_CODE_INVALID', e.message);
    return e;
  }
}

describe('answer code round trip', () => {
  test('the sample parses to itself', () => {
    const bytes = encodeAnswerCode(sample());
    assert.equal(bytes[0], KIND_ANSWER_CODE);
    assert.deepEqual(parseAnswerCode(bytes), sample());
  });

  test('property: random entries of every type, arch, count, expiry and feature list round-trip', () => {
    fc.assert(
      fc.property(answerArb, (answer) => {
        const parsed = parseAnswerCode(encodeAnswerCode(answer));
        assert.deepEqual(parsed, answer);
        assert.ok(parsed.signature instanceof Uint8Array);
      }),
      { numRuns: 400 },
    );
  });

  test('extremes: 1 and 65535 users, sessions, feature users; the longest codes; ten features', () => {
    // Ten features of 11 characters with a 21-character product: 255 bytes, all a code holds.
    const features = Array.from({ length: 10 }, (_, i) => ({
      code: `${i}${'x'.repeat(10)}`,
      users: i % 2 === 0 ? 65535 : null,
    }));
    for (const users of [1, 65535]) {
      for (const type of ['single', 'multi', 'server', 'server-sessions'] as const) {
        for (const arch of [null, 'x86', 'x64'] as const) {
          const answer: AnswerCode = {
            ...sample(),
            pin: users === 1 ? 1 : 255,
            issuedAt: minuteIso(users === 1 ? 0 : MAX_MINUTES),
            entry: {
              product: `P${'.'.repeat(20)}`,
              type,
              users,
              sessions: users,
              arch,
              expiresAt: minuteIso(users === 1 ? 1 : MAX_MINUTES),
              features,
            },
          };
          assert.deepEqual(parseAnswerCode(encodeAnswerCode(answer)), answer, `${type} ${arch} ${users}`);
        }
      }
    }
  });

  test('a license too large for a short code is refused when encoded, not when printed', () => {
    const features = Array.from({ length: 12 }, (_, i) => ({ code: `feature-${i}-${'x'.repeat(10)}`, users: null }));
    const answer: AnswerCode = { ...sample(), entry: { ...sample().entry, features } };
    assert.throws(
      () => encodeAnswerCode(answer),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'LICTOR_E_INVALID_INPUT');
        assert.match(err.message, /a code holds 255/);
        return true;
      },
    );
  });

  test('through the typed short code', (t) => {
    const bytes = encodeAnswerCode(sample());
    const code = encodeShortCode(bytes);
    t.diagnostic(`sample answer code: ${bytes.length} bytes, ${code.split('-').length} groups`);
    assert.equal(code.replaceAll('-', '').length, shortCodeLength(bytes.length));
    assert.deepEqual(parseAnswerCode(decodeShortCode(code.toLowerCase(), 'answer code')), sample());
  });

  test('toCodeMinute rounds down to the minute', () => {
    assert.equal(toCodeMinute('2025-03-14T09:26:53.999Z'), '2025-03-14T09:26:00.000Z');
    assert.equal(toCodeMinute('2025-03-14T09:26:00.000Z'), '2025-03-14T09:26:00.000Z');
    assert.equal(toCodeMinute('2025-03-14T09:26:59Z'), '2025-03-14T09:26:00.000Z');
    fc.assert(
      fc.property(fc.integer({ min: CODE_EPOCH_MS, max: CODE_EPOCH_MS + MAX_MINUTES * MINUTE }), (ms) => {
        const minute = toCodeMinute(new Date(ms).toISOString());
        assert.ok(Date.parse(minute) <= ms && ms - Date.parse(minute) < MINUTE);
        const answer = { ...sample(), issuedAt: minute };
        assert.equal(parseAnswerCode(encodeAnswerCode(answer)).issuedAt, minute);
      }),
      { numRuns: 200 },
    );
  });

  test('values a code cannot carry are refused rather than silently changed', () => {
    const base = sample();
    const cases: [string, AnswerCode][] = [
      ['pin 256', { ...base, pin: 256 }],
      ['pin 0', { ...base, pin: 0 }],
      ['users 65536', { ...base, entry: { ...base.entry, users: 65536 } }],
      ['sessions 65536', { ...base, entry: { ...base.entry, sessions: 65536 } }],
      ['feature users 65536', { ...base, entry: { ...base.entry, features: [{ code: 'render', users: 65536 }] } }],
      ['expiry at the code epoch', { ...base, entry: { ...base.entry, expiresAt: '2024-01-01T00:00:00.000Z' } }],
      ['expiry before the code epoch', { ...base, entry: { ...base.entry, expiresAt: '2023-12-31T00:00:00.000Z' } }],
      ['issued before the code epoch', { ...base, issuedAt: '2023-12-31T23:59:00.000Z' }],
      ['type combined', { ...base, entry: { ...base.entry, type: 'combined' as LicenseEntry['type'] } }],
    ];
    const wrong: string[] = [];
    for (const [what, answer] of cases) {
      let bytes: Uint8Array;
      try {
        bytes = encodeAnswerCode(answer);
      } catch {
        continue; // refused: fine
      }
      try {
        assert.deepEqual(parseAnswerCode(bytes), answer);
      } catch {
        wrong.push(what);
      }
    }
    assert.deepEqual(wrong, []);
  });
});

describe('malformed answer codes', () => {
  test('every truncation of random answers → CODE_INVALID', () => {
    fc.assert(
      fc.property(answerArb, (answer) => {
        const bytes = encodeAnswerCode(answer);
        for (let n = 0; n < bytes.length; n++) invalid(bytes.subarray(0, n), `length ${n} of ${bytes.length}`);
      }),
      { numRuns: 100 },
    );
  });

  test('extended by 1 to 16 bytes → CODE_INVALID (extra data)', () => {
    fc.assert(
      fc.property(answerArb, fc.uint8Array({ minLength: 1, maxLength: 16 }), (answer, extra) => {
        const bytes = encodeAnswerCode(answer);
        const err = invalid(Uint8Array.of(...bytes, ...extra), `+${extra.length}`);
        assert.match(err.message, /extra data/);
      }),
      { numRuns: 200 },
    );
  });

  test('a signature one byte short or long → CODE_INVALID', () => {
    const bytes = encodeAnswerCode(sample());
    assert.match(invalid(bytes.subarray(0, -1), 'short').message, /incomplete/);
    assert.match(invalid(Uint8Array.of(...bytes, 0), 'long').message, /extra data/);
  });

  test('another kind byte, an unknown type or arch, invalid UTF-8 → CODE_INVALID', () => {
    const bytes = encodeAnswerCode(sample());
    for (const kind of [0x00, 0x11, 0x20, 0x22, 0xff]) {
      const b = bytes.slice();
      b[0] = kind;
      assert.match(invalid(b, `kind ${kind}`).message, /not a Lictor answer code/);
    }
    // Layout: kind, id (8), pin, issued (4), product (1 + 8), type/arch, ...
    const typeArchAt = 1 + 8 + 1 + 4 + 1 + 'ACME.CAD'.length;
    assert.equal(bytes[typeArchAt], 0); // single, no arch
    for (const typeArch of [3, 4 * 4, 4 * 4 + 1, 0xff]) {
      const b = bytes.slice();
      b[typeArchAt] = typeArch;
      assert.match(invalid(b, `type/arch ${typeArch}`).message, /damaged/);
    }
    const b = bytes.slice();
    b[1 + 8 + 1 + 4 + 1] = 0xff; // first byte of the product code
    assert.match(invalid(b, 'invalid UTF-8').message, /damaged/);
  });

  test('non-answer byte strings → CODE_INVALID', () => {
    for (const bytes of [new Uint8Array(0), Uint8Array.of(KIND_ANSWER_CODE), new Uint8Array(31).fill(0x11)]) {
      invalid(bytes, Buffer.from(bytes).toString('hex'));
    }
  });

  test('property: random byte strings parse or fail with CODE_INVALID, never another error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, asAnswer) => {
        const b = bytes.slice();
        if (asAnswer && b.length > 0) b[0] = KIND_ANSWER_CODE;
        const result = parsesOrInvalid(b);
        if (!(result instanceof LictorError)) {
          // Parsed: the whole string was used and the result has the documented shape.
          assert.deepEqual(encodeAnswerCode(result), b);
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('property: a valid answer with one byte changed parses or fails with CODE_INVALID', () => {
    fc.assert(
      fc.property(answerArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (answer, at, delta) => {
        const bytes = encodeAnswerCode(answer);
        const i = at % bytes.length;
        bytes[i] = ((bytes[i] as number) + delta) & 0xff;
        parsesOrInvalid(bytes);
      }),
      { numRuns: 500 },
    );
  });
});
