/** Serial numbers and PIN codes: formats and the forgiving normalization of typed input. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CROCKFORD, formatPin, formatSerial, normalizeCrockford, normalizePin, normalizeSerial } from '../src/index.js';

const SERIAL_RE = /^LX-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;
const PIN_RE = /^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/;

describe('the Crockford alphabet', () => {
  test('32 distinct symbols without I, L, O, U', () => {
    assert.equal(CROCKFORD.length, 32);
    assert.equal(new Set(CROCKFORD).size, 32);
    for (const ch of 'ILOU') assert.ok(!CROCKFORD.includes(ch), ch);
    assert.match(CROCKFORD, /^[0-9A-Z]+$/);
  });
});

describe('formatSerial', () => {
  test('LX- and three groups of four Crockford symbols', () => {
    assert.equal(formatSerial(new Uint8Array(12)), 'LX-0000-0000-0000');
    assert.equal(formatSerial(Uint8Array.from({ length: 12 }, (_, i) => i)), 'LX-0123-4567-89AB');
    assert.equal(formatSerial(Uint8Array.from({ length: 12 }, (_, i) => 20 + i)), 'LX-MNPQ-RSTV-WXYZ');
  });

  test('uses the low 5 bits of each byte (60 random bits)', () => {
    assert.equal(formatSerial(new Uint8Array(12).fill(0xff)), 'LX-ZZZZ-ZZZZ-ZZZZ');
    assert.equal(formatSerial(new Uint8Array(12).fill(32)), 'LX-0000-0000-0000');
    // Bytes after the 12th are not used.
    assert.equal(formatSerial(new Uint8Array(20).fill(1)), 'LX-1111-1111-1111');
  });

  test('every symbol of the alphabet can appear', () => {
    const seen = new Set<string>();
    for (let start = 0; start < 32; start += 12) {
      const s = formatSerial(Uint8Array.from({ length: 12 }, (_, i) => start + i));
      for (const ch of s.slice(3).replaceAll('-', '')) seen.add(ch);
    }
    assert.equal(seen.size, 32);
  });
});

describe('formatPin', () => {
  test('three groups of five Crockford symbols', () => {
    assert.equal(formatPin(new Uint8Array(15)), '00000-00000-00000');
    assert.equal(formatPin(Uint8Array.from({ length: 15 }, (_, i) => i)), '01234-56789-ABCDE');
    assert.equal(formatPin(Uint8Array.from({ length: 15 }, (_, i) => 17 + i)), 'HJKMN-PQRST-VWXYZ');
    assert.equal(formatPin(new Uint8Array(15).fill(0xe0 | 31)), 'ZZZZZ-ZZZZZ-ZZZZZ');
  });
});

describe('normalizeCrockford', () => {
  test('upper-cases, maps O→0 and I/L→1, drops dashes, spaces and tabs', () => {
    assert.equal(normalizeCrockford('abc-def\tghj k'), 'ABCDEFGHJK');
    assert.equal(normalizeCrockford('OoIiLl'), '001111');
    assert.equal(normalizeCrockford(''), '');
  });

  test('keeps characters outside the alphabet (upper-cased) so they fail later lookups', () => {
    assert.equal(normalizeCrockford('u*'), 'U*');
  });
});

describe('normalizePin', () => {
  const cases: [string, string][] = [
    ['ABCDE-FGHJK-MNPQR', 'ABCDE-FGHJK-MNPQR'],
    ['abcde-fghjk-mnpqr', 'ABCDE-FGHJK-MNPQR'],
    ['ABCDEFGHJKMNPQR', 'ABCDE-FGHJK-MNPQR'],
    ['abcde fghjk mnpqr', 'ABCDE-FGHJK-MNPQR'],
    ['  ab cde--fg hjk\tmnpqr  ', 'ABCDE-FGHJK-MNPQR'],
    ['ABC-DEFGH-JKMNP-QR', 'ABCDE-FGHJK-MNPQR'],
    ['OOOOO-IIIII-LLLLL', '00000-11111-11111'],
    ['ooooo-iiiii-lllll', '00000-11111-11111'],
    ['0O0o0-1IiLl-2Z2z2', '00000-11111-2Z2Z2'],
    ['', ''],
    ['---', ''],
  ];
  for (const [typed, expected] of cases) {
    test(`${JSON.stringify(typed)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(normalizePin(typed), expected);
    });
  }

  test('other white space of pasted text (line breaks, non-breaking spaces) is ignored like a space', () => {
    assert.equal(normalizePin('ABCDE\u00a0FGHJK\u00a0MNPQR'), 'ABCDE-FGHJK-MNPQR');
    assert.equal(normalizePin('ABC\r\nDEFGH-JKMNPQR'), 'ABCDE-FGHJK-MNPQR');
  });
});

describe('normalizeSerial', () => {
  test('a serial typed without the LX prefix gets it', () => {
    assert.equal(normalizeSerial('7k2m 9qht d4wz'), 'LX-7K2M-9QHT-D4WZ');
    assert.equal(normalizeSerial('7K2M-9QHT-D4WZ'), 'LX-7K2M-9QHT-D4WZ');
    assert.equal(normalizeSerial('oiL0-0000-0000'), 'LX-0110-0000-0000');
  });

  test('a serial typed with the LX prefix keeps it', () => {
    const cases: [string, string][] = [
      ['LX-7K2M-9QHT-D4WZ', 'LX-7K2M-9QHT-D4WZ'],
      ['lx 7k2m-9qht-d4wz', 'LX-7K2M-9QHT-D4WZ'],
      ['LX7K2M9QHTD4WZ', 'LX-7K2M-9QHT-D4WZ'],
      ['Lx-7K2M 9QHT d4wz', 'LX-7K2M-9QHT-D4WZ'],
      ['LX-OOOO-IIII-LLLL', 'LX-0000-1111-1111'],
    ];
    for (const [typed, expected] of cases) assert.equal(normalizeSerial(typed), expected, typed);
  });

  test('a serial starting with 1X typed without its prefix, the 1 as l or L, is not read as prefixed', () => {
    // Found by the property below (seed -444598970): its leading `lX` was taken for the prefix.
    const cases: [string, string][] = [
      ['lXWK-3CNZ-PQJ5', 'LX-1XWK-3CNZ-PQJ5'],
      ['LXWK 3CNZ PQJ5', 'LX-1XWK-3CNZ-PQJ5'],
      ['lx-1xwk-3cnz-pqj5', 'LX-1XWK-3CNZ-PQJ5'],
      ['LX-1XWK-3CNZ-PQJ5', 'LX-1XWK-3CNZ-PQJ5'],
      // Ten characters after a typed prefix are no serial; the whole twelve may be one.
      ['lx 0123 4567 89', 'LX-1X01-2345-6789'],
      // Neither reading twelve: the prefix's. Text as normalizeSerial writes it keeps its prefix.
      ['lx 0123 4567', 'LX-0123-4567'],
      ['LX-0123-4567-89', 'LX-0123-4567-89'],
    ];
    for (const [typed, expected] of cases) assert.equal(normalizeSerial(typed), expected, typed);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const RUNS = 300;
const serialBytes = fc.uint8Array({ minLength: 12, maxLength: 12 });
const pinBytes = fc.uint8Array({ minLength: 15, maxLength: 15 });

/** Typing variations of a formatted code: case, confusable letters, separators. */
function typedVariantArb(code: string): fc.Arbitrary<string> {
  return fc
    .array(fc.constantFrom('keep', 'lower', 'confuse', 'space', 'drop-dash', 'extra-dash'), {
      minLength: code.length,
      maxLength: code.length,
    })
    .map((ops) =>
      [...code]
        .map((ch, i) => {
          switch (ops[i]) {
            case 'lower':
              return ch.toLowerCase();
            case 'confuse':
              return ch === '0' ? 'O' : ch === '1' ? 'l' : ch;
            case 'space':
              return ch === '-' ? ' ' : ch;
            case 'drop-dash':
              return ch === '-' ? '' : ch;
            case 'extra-dash':
              return ch === '-' ? ' - ' : `${ch}-`;
            default:
              return ch;
          }
        })
        .join(''),
    );
}

/** Anything a person might type into the field. */
const typedTextArb = fc.string({
  unit: fc.constantFrom(...`${CROCKFORD}abcdefghjkmnpqrstvwxyzOoIiLlUu-- \t*#`),
  maxLength: 30,
});

describe('codes: properties', () => {
  test('PIN: format has the documented shape', () => {
    fc.assert(
      fc.property(pinBytes, (b) => assert.match(formatPin(b), PIN_RE)),
      { numRuns: RUNS },
    );
  });

  test('serial: format has the documented shape', () => {
    fc.assert(
      fc.property(serialBytes, (b) => assert.match(formatSerial(b), SERIAL_RE)),
      { numRuns: RUNS },
    );
  });

  test('PIN: normalize(format(r)) === format(r), also for typed variations', () => {
    fc.assert(
      fc.property(
        pinBytes.chain((b) => fc.tuple(fc.constant(formatPin(b)), typedVariantArb(formatPin(b)))),
        ([pin, typed]) => {
          assert.equal(normalizePin(pin), pin);
          assert.equal(normalizePin(typed), pin, `typed as ${JSON.stringify(typed)}`);
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('PIN: normalize is idempotent', () => {
    fc.assert(
      fc.property(typedTextArb, (s) => {
        const once = normalizePin(s);
        assert.equal(normalizePin(once), once);
      }),
      { numRuns: RUNS },
    );
  });

  test('serial: normalize(format(r)) === format(r), also for typed variations', () => {
    fc.assert(
      fc.property(
        serialBytes.chain((b) =>
          fc.tuple(
            fc.constant(formatSerial(b)),
            fc.constantFrom('LX-', 'lx-', 'LX', 'lx ', 'Lx - ', ''),
            typedVariantArb(formatSerial(b).slice(3)),
          ),
        ),
        ([serial, prefix, body]) => {
          const typed = prefix + body;
          assert.equal(normalizeSerial(serial), serial);
          assert.equal(normalizeSerial(typed), serial, `typed as ${JSON.stringify(typed)}`);
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('serial: normalize is idempotent', () => {
    fc.assert(
      fc.property(typedTextArb, (s) => {
        const once = normalizeSerial(s);
        assert.equal(normalizeSerial(once), once);
      }),
      { numRuns: RUNS },
    );
  });

  test('serial without its prefix: normalize(body) === format(r)', () => {
    fc.assert(
      fc.property(serialBytes, (b) => {
        const serial = formatSerial(b);
        assert.equal(normalizeSerial(serial.slice(3)), serial);
        assert.equal(normalizeSerial(serial.slice(3).toLowerCase().replaceAll('-', ' ')), serial);
      }),
      { numRuns: RUNS },
    );
  });

  test('different random bytes (low 5 bits) give different codes', () => {
    fc.assert(
      fc.property(pinBytes, pinBytes, (a, b) => {
        const same = a.every((x, i) => (x & 31) === ((b[i] as number) & 31));
        assert.equal(formatPin(a) === formatPin(b), same);
      }),
      { numRuns: RUNS },
    );
  });
});
