/** Canonical JSON: the bytes every signature is computed over. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { canonicalJson } from '../src/index.js';

describe('canonicalJson', () => {
  test('scalars', () => {
    assert.equal(canonicalJson(null), 'null');
    assert.equal(canonicalJson(true), 'true');
    assert.equal(canonicalJson(false), 'false');
    assert.equal(canonicalJson(0), '0');
    assert.equal(canonicalJson(-0), '0');
    assert.equal(canonicalJson(-42), '-42');
    assert.equal(canonicalJson(Number.MAX_SAFE_INTEGER), '9007199254740991');
    assert.equal(canonicalJson(Number.MIN_SAFE_INTEGER), '-9007199254740991');
    assert.equal(canonicalJson(''), '""');
    assert.equal(canonicalJson('a"b\\c\n\u0001'), '"a\\"b\\\\c\\n\\u0001"');
  });

  test('no white space between tokens; white space inside strings is kept', () => {
    const out = canonicalJson({ b: [1, 2, { c: null }], a: { d: 'x y', e: true } });
    assert.equal(out, '{"a":{"d":"x y","e":true},"b":[1,2,{"c":null}]}');
  });

  test('key order does not matter', () => {
    const a = canonicalJson({ serial: 'LX-1', pin: 1, owner: { name: 'A', email: 'a@b' } });
    const b = canonicalJson({ owner: { email: 'a@b', name: 'A' }, pin: 1, serial: 'LX-1' });
    assert.equal(a, b);
    assert.equal(a, '{"owner":{"email":"a@b","name":"A"},"pin":1,"serial":"LX-1"}');
  });

  test('keys are sorted by UTF-16 code unit, not by number or code point', () => {
    // Integer-like keys: JavaScript enumerates them numerically, canonical order is textual.
    assert.equal(
      canonicalJson({ 9: 'a', 10: 'b', a: 'c', A: 'd', _: 'e' }),
      '{"10":"b","9":"a","A":"d","_":"e","a":"c"}',
    );
    // U+1F600 is stored as the surrogates D83D DE00, which sort before U+FB01.
    assert.equal(canonicalJson({ '\uFB01': 1, '\u{1F600}': 2 }), '{"\u{1F600}":2,"\uFB01":1}');
    assert.equal(canonicalJson({ b: 1, a: 2, '': 3, ab: 4 }), '{"":3,"a":2,"ab":4,"b":1}');
  });

  test('arrays keep their order', () => {
    assert.equal(canonicalJson([3, 1, 2]), '[3,1,2]');
    assert.equal(canonicalJson([]), '[]');
    assert.equal(canonicalJson({}), '{}');
  });

  test('properties whose value is undefined are left out (as JSON.stringify does)', () => {
    assert.equal(canonicalJson({ a: 1, b: undefined }), '{"a":1}');
  });

  test('moving text between fields changes the bytes', () => {
    assert.notEqual(canonicalJson({ a: 'xy', b: 'z' }), canonicalJson({ a: 'x', b: 'yz' }));
    assert.notEqual(canonicalJson(['a,b']), canonicalJson(['a', 'b']));
    assert.notEqual(canonicalJson({ 'a":"b': 'c' }), canonicalJson({ a: 'b":"c' }));
  });

  const rejected: [string, unknown][] = [
    ['a float', 1.5],
    ['a float nested in an object', { expiresAt: 0.1 }],
    ['a float in an array', [1, 2.5]],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['an unsafe integer', 2 ** 53],
    ['a large number', 1e21],
    ['undefined', undefined],
    ['undefined in an array', [1, undefined]],
    ['a function', () => 1],
    ['a function as a property value', { sign: () => 1 }],
    ['a function in an array', [() => 1]],
    ['a symbol', Symbol('s')],
    ['a bigint', 1n],
    ['a bigint as a property value', { ram: 16n }],
  ];
  for (const [name, value] of rejected) {
    test(`rejects ${name}`, () => {
      assert.throws(() => canonicalJson(value), TypeError);
    });
  }

  test('rejects holes in sparse arrays (they have no JSON spelling)', () => {
    // biome-ignore lint/suspicious/noSparseArray: the point of the test
    assert.throws(() => canonicalJson([, 1]), TypeError);
    assert.throws(() => canonicalJson(new Array(2)), TypeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const { json: jsonArb } = fc.letrec<{ json: Json }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.array(tie('json'), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), tie('json'), { maxKeys: 5, noNullPrototype: true }),
  ),
}));

/** The same value with every object's keys inserted in reverse order. */
function reverseKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (v !== null && typeof v === 'object') {
    const out: { [key: string]: Json } = {};
    for (const k of Object.keys(v).reverse()) {
      Object.defineProperty(out, k, {
        value: reverseKeys(v[k] as Json),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return v;
}

describe('canonicalJson: properties', () => {
  const RUNS = 300;

  test('JSON.parse(canonicalJson(x)) deep-equals x', () => {
    fc.assert(
      fc.property(jsonArb, (x) => {
        assert.deepEqual(JSON.parse(canonicalJson(x)), x);
      }),
      { numRuns: RUNS },
    );
  });

  test('the output does not depend on key insertion order', () => {
    fc.assert(
      fc.property(jsonArb, (x) => {
        assert.equal(canonicalJson(reverseKeys(x)), canonicalJson(x));
      }),
      { numRuns: RUNS },
    );
  });

  test('canonicalJson is a fixed point: re-encoding the parsed output gives the same bytes', () => {
    fc.assert(
      fc.property(jsonArb, (x) => {
        const once = canonicalJson(x);
        assert.equal(canonicalJson(JSON.parse(once)), once);
      }),
      { numRuns: RUNS },
    );
  });

  test('no white space outside strings', () => {
    fc.assert(
      fc.property(jsonArb, (x) => {
        // Remove string literals, then nothing may be white space.
        const skeleton = canonicalJson(x).replace(/"(?:[^"\\]|\\.)*"/g, '""');
        assert.doesNotMatch(skeleton, /\s/);
      }),
      { numRuns: RUNS },
    );
  });

  test('any non-integer number anywhere is refused', () => {
    fc.assert(
      fc.property(
        jsonArb,
        fc.double().filter((d) => !Number.isSafeInteger(d)),
        (x, bad) => {
          assert.throws(() => canonicalJson([x, { bad }]), TypeError);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
