/**
 * Short codes (`encodeShortCode` / `decodeShortCode`): what a person types or reads over the phone.
 * Round trips, the documented length, and the typing mistakes the per-group Luhn mod 32 check and
 * the whole-code digest must catch, each at the group it happened in; the confusions the reader
 * forgives (case, separators, line breaks, O/0 and I/L/1).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  CROCKFORD,
  crockfordValue,
  decodeShortCode,
  encodeShortCode,
  LictorError,
  sha256,
  shortCodeLength,
} from '../src/index.js';

/** Deterministic pseudo-random bytes (SHA-256 in counter mode), so that every run checks the same codes. */
function bytesOf(label: string, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i * 32 < n; i++) out.set(sha256(`${label}/${i}`).subarray(0, Math.min(32, n - i * 32)), i * 32);
  return out;
}

/** The size of a request code, the most typed code there is. */
const REQUEST_CODE_BYTES = 31;

/** Runs `fn`, which must throw LICTOR_E_CODE_INVALID; returns the error. */
function codeError(fn: () => unknown, context: string): LictorError {
  let result: unknown;
  try {
    result = fn();
  } catch (e) {
    if (!(e instanceof LictorError)) {
      assert.fail(`${context}: threw a non-LictorError: ${e instanceof Error ? e.stack : String(e)}`);
    }
    assert.equal(e.code, 'LICTOR_E_CODE_INVALID', `${context}: ${e.message}`);
    assert.ok(e.message.length > 0);
    return e;
  }
  assert.fail(`${context}: decoded (${Buffer.from(result as Uint8Array).toString('hex')})`);
}

function groupsOf(code: string): string[] {
  return code.split('-');
}

/** The characters of a code without its dashes. */
function charsOf(code: string): string[] {
  return [...code.replaceAll('-', '')];
}

/** Rebuilds a code from characters (groups of six joined by dashes, as the encoder shows them). */
function fromChars(chars: string[]): string {
  const groups: string[] = [];
  for (let i = 0; i < chars.length; i += 6) groups.push(chars.slice(i, i + 6).join(''));
  return groups.join('-');
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

describe('short code round trip', () => {
  test('decodes to the encoded bytes for random payloads of 1 to 200 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), (payload) => {
        const code = encodeShortCode(payload);
        assert.match(code, /^[0-9A-HJKMNP-TV-Z]{6}(-[0-9A-HJKMNP-TV-Z]{6})*$/);
        assert.equal(hex(decodeShortCode(code)), hex(payload));
      }),
      { numRuns: 300 },
    );
  });

  test('decodes to the encoded bytes for deterministic payloads of every length 1 to 200', () => {
    for (let n = 1; n <= 200; n++) {
      const payload = bytesOf(`round-trip-${n}`, n);
      assert.equal(hex(decodeShortCode(encodeShortCode(payload))), hex(payload), `length ${n}`);
    }
  });

  test('all-zero and all-0xff payloads round-trip', () => {
    for (const n of [1, 2, 3, 5, 8, 27, 64, 100]) {
      for (const fill of [0, 0xff]) {
        const payload = new Uint8Array(n).fill(fill);
        assert.equal(hex(decodeShortCode(encodeShortCode(payload))), hex(payload), `${n} × ${fill}`);
      }
    }
  });

  test('a payload whose digest happens to look like padding decodes to itself, not to a longer payload', () => {
    for (const payload of [
      Uint8Array.of(0x07, 0x5a),
      Uint8Array.of(0x62, 0x77, 0xe1),
      Uint8Array.of(0x26, 0x9c, 0xe3),
      Uint8Array.of(0xa8, 0x6f, 0xf3, 0x39, 0x52),
    ]) {
      assert.equal(hex(decodeShortCode(encodeShortCode(payload))), hex(payload), encodeShortCode(payload));
    }
  });
});

describe('short code length', () => {
  test('shortCodeLength(n) is the character count (without dashes) of an n-byte code, n = 1..200', () => {
    for (let n = 1; n <= 200; n++) {
      const code = encodeShortCode(bytesOf(`length-${n}`, n));
      assert.equal(charsOf(code).length, shortCodeLength(n), `n = ${n}`);
      assert.equal(shortCodeLength(n) % 6, 0);
      assert.equal(groupsOf(code).length, shortCodeLength(n) / 6);
    }
  });

  test('the documented sizes: 5 data characters and 1 check character per group, a length byte and 2 digest bytes', () => {
    assert.equal(shortCodeLength(1), 12); // 4 bytes = 32 bits = 7 characters → 2 groups
    assert.equal(shortCodeLength(2), 12);
    assert.equal(shortCodeLength(REQUEST_CODE_BYTES), 66); // 33 bytes = 264 bits = 53 characters → 11 groups
    // Each group carries 25 bits; the length grows by about 6/25 characters per bit.
    for (let n = 1; n <= 200; n++) {
      const groups = Math.ceil(((n + 3) * 8) / 25);
      assert.equal(shortCodeLength(n), groups * 6, `n = ${n}`);
    }
  });
});

describe('single wrong character', () => {
  const payload = bytesOf('substitution', REQUEST_CODE_BYTES);
  const code = encodeShortCode(payload);

  test('every substitution at every position by each of the 31 other symbols names its group (exhaustive)', () => {
    const chars = charsOf(code);
    let checked = 0;
    for (let pos = 0; pos < chars.length; pos++) {
      const original = crockfordValue(chars[pos] as string);
      for (let delta = 1; delta < 32; delta++) {
        const changed = [...chars];
        changed[pos] = CROCKFORD[(original + delta) % 32] as string;
        const err = codeError(() => decodeShortCode(fromChars(changed)), `position ${pos} → ${changed[pos]}`);
        assert.deepEqual(err.details, { group: Math.floor(pos / 6) + 1 }, `position ${pos} → ${changed[pos]}`);
        assert.match(err.message, new RegExp(`^group ${Math.floor(pos / 6) + 1} \\(`));
        checked++;
      }
    }
    assert.equal(checked, 66 * 31);
  });

  test('property: a substitution in a random code names its group', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 120 }),
        fc.nat(),
        fc.integer({ min: 1, max: 31 }),
        (bytes, at, delta) => {
          const chars = charsOf(encodeShortCode(bytes));
          const pos = at % chars.length;
          chars[pos] = CROCKFORD[(crockfordValue(chars[pos] as string) + delta) % 32] as string;
          const err = codeError(() => decodeShortCode(fromChars(chars)), `position ${pos}`);
          assert.equal(err.details?.group, Math.floor(pos / 6) + 1);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('the message shows the group as typed (upper case) and what to do', () => {
    const groups = groupsOf(code);
    const typo = `${(groups[2] as string).slice(0, 5)}${(groups[2] as string)[5] === 'A' ? 'B' : 'A'}`;
    groups[2] = typo.toLowerCase();
    const err = codeError(() => decodeShortCode(groups.join('-'), 'request code'), 'typo');
    assert.equal(err.message, `group 3 (${typo}) of the request code has a typing mistake: check it`);
  });
});

describe('characters outside the alphabet', () => {
  const code = encodeShortCode(bytesOf('outside', 20));
  const chars = charsOf(code);
  // U is not used (it reads as V); Cyrillic О and Greek Ο look like O but must not pass for 0.
  const outside = ['U', 'u', '!', '*', '_', '.', '+', 'é', 'Ü', '€', 'ß', '😀', 'О', 'Ο', '\u200b', '\u0000'];

  test('U, punctuation and unicode characters are refused at every position, naming their group', () => {
    for (const bad of outside) {
      for (let pos = 0; pos < chars.length; pos++) {
        const changed = [...chars];
        changed[pos] = bad;
        const err = codeError(() => decodeShortCode(fromChars(changed)), `${JSON.stringify(bad)} at ${pos}`);
        assert.deepEqual(err.details, { group: Math.floor(pos / 6) + 1 });
        assert.match(err.message, /not used in codes/);
      }
    }
  });

  test('the only non-ASCII characters read as symbols are the case-mapping look-alikes ı (→ 1) and ſ (→ S)', () => {
    const accepted: string[] = [];
    for (let cp = 0x80; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      if (crockfordValue(String.fromCodePoint(cp)) >= 0) accepted.push(String.fromCodePoint(cp));
    }
    assert.deepEqual(accepted, ['ı', 'ſ']);
    assert.equal(crockfordValue(''), -1);
    assert.equal(crockfordValue('ST'), -1);
  });
});

describe('transposed and misplaced groups', () => {
  test('swapping any two whole groups is caught at the first of them (exhaustive for one code)', () => {
    const groups = groupsOf(encodeShortCode(bytesOf('swap-groups', REQUEST_CODE_BYTES)));
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        const swapped = [...groups];
        [swapped[i], swapped[j]] = [groups[j] as string, groups[i] as string];
        const err = codeError(() => decodeShortCode(swapped.join('-')), `swap ${i + 1} and ${j + 1}`);
        assert.deepEqual(err.details, { group: i + 1 });
      }
    }
  });

  test('property: swapping two groups of a random code (up to 32 groups) is caught at the first of them', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 96 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const groups = groupsOf(encodeShortCode(bytes));
        assert.ok(groups.length >= 2 && groups.length <= 32);
        const i = a % groups.length;
        const j = (i + 1 + (b % (groups.length - 1))) % groups.length;
        const swapped = [...groups];
        [swapped[i], swapped[j]] = [groups[j] as string, groups[i] as string];
        const err = codeError(() => decodeShortCode(swapped.join('-')), `swap ${i + 1} and ${j + 1}`);
        assert.equal(err.details?.group, Math.min(i, j) + 1);
      }),
      { numRuns: 300 },
    );
  });

  test('in a code of more than 32 groups, groups 32 apart share a check position; the digest catches their swap', () => {
    const groups = groupsOf(encodeShortCode(bytesOf('long-code', 150)));
    assert.ok(groups.length > 33);
    const swapped = [...groups];
    [swapped[0], swapped[32]] = [groups[32] as string, groups[0] as string];
    const err = codeError(() => decodeShortCode(swapped.join('-')), 'swap 1 and 33');
    // The first group (with the length byte) is another one, so the count looks wrong too.
    assert.match(err.message, /incomplete|out of order/);
  });

  test('adjacent transpositions within a group are caught in at least 90% of cases (measured)', (t) => {
    let swaps = 0;
    let atGroup = 0;
    let anywhere = 0;
    const missed = new Map<string, number>();
    for (let k = 0; k < 300; k++) {
      const groups = groupsOf(encodeShortCode(bytesOf(`transpose-${k}`, REQUEST_CODE_BYTES)));
      for (let g = 0; g < groups.length; g++) {
        for (let p = 0; p < 5; p++) {
          const s = [...(groups[g] as string)];
          if (s[p] === s[p + 1]) continue; // swapping equal neighbours changes nothing
          [s[p], s[p + 1]] = [s[p + 1] as string, s[p] as string];
          swaps++;
          const text = groups.map((x, i) => (i === g ? s.join('') : x)).join('-');
          try {
            decodeShortCode(text);
            const pair = [groups[g]?.[p], groups[g]?.[p + 1]].sort().join('');
            missed.set(pair, (missed.get(pair) ?? 0) + 1);
          } catch (e) {
            assert.ok(e instanceof LictorError && e.code === 'LICTOR_E_CODE_INVALID');
            anywhere++;
            if (e.details?.group === g + 1) atGroup++;
          }
        }
      }
    }
    const rate = atGroup / swaps;
    t.diagnostic(
      `adjacent swaps: ${swaps}; caught at their group: ${(100 * rate).toFixed(2)}%; ` +
        `caught at all (with the digest): ${((100 * anywhere) / swaps).toFixed(2)}%; ` +
        `undetected pairs: ${JSON.stringify(Object.fromEntries(missed))}`,
    );
    assert.ok(rate >= 0.9, `only ${(100 * rate).toFixed(2)}% caught at their group`);
    // Luhn mod 32 misses exactly the swap of 0 and Z among the data characters.
    for (const pair of missed.keys()) assert.equal(pair, '0Z');
  });
});

describe('missing and extra groups', () => {
  const codes = [2, 5, 13, REQUEST_CODE_BYTES, 40, 90].map((n) => encodeShortCode(bytesOf(`groups-${n}`, n)));

  test('a missing group anywhere is refused', () => {
    for (const code of codes) {
      const groups = groupsOf(code);
      for (let k = 0; k < groups.length; k++) {
        codeError(() => decodeShortCode(groups.filter((_, i) => i !== k).join('-')), `${code} without group ${k + 1}`);
      }
    }
  });

  test('an extra group anywhere (typed twice, or a stray valid-looking group) is refused', () => {
    for (const code of codes) {
      const groups = groupsOf(code);
      for (let k = 0; k <= groups.length; k++) {
        const twice = [...groups];
        twice.splice(k, 0, groups[Math.min(k, groups.length - 1)] as string);
        codeError(() => decodeShortCode(twice.join('-')), `${code} with group ${k + 1} twice`);
        const stray = [...groups];
        stray.splice(k, 0, '000000');
        codeError(() => decodeShortCode(stray.join('-')), `${code} with 000000 at ${k + 1}`);
      }
      // With every possible check character, so that one of them is right for the new last position
      // and only the whole-code digest can catch it.
      for (const check of CROCKFORD) {
        const appended = [...groups, `7K2M9${check}`].join('-');
        codeError(() => decodeShortCode(appended), appended);
      }
    }
  });

  test('a missing last group is reported as an incomplete code', () => {
    for (const code of codes) {
      const groups = groupsOf(code);
      const err = codeError(() => decodeShortCode(groups.slice(0, -1).join('-')), `${code} without its last group`);
      assert.match(err.message, /incomplete/);
    }
  });

  test('a missing or extra character is reported as such', () => {
    for (const code of codes) {
      const chars = charsOf(code);
      for (let pos = 0; pos < chars.length; pos += 5) {
        const less = chars.filter((_, i) => i !== pos).join('');
        const more = [...chars.slice(0, pos), 'A', ...chars.slice(pos)].join('');
        for (const text of [less, more]) {
          const err = codeError(() => decodeShortCode(text), text);
          assert.match(err.message, /missing or extra/);
          assert.equal(err.details, undefined);
        }
      }
    }
  });

  test('an empty or blank code is refused', () => {
    for (const text of ['', ' ', '-----', '\n\t']) {
      assert.match(codeError(() => decodeShortCode(text), JSON.stringify(text)).message, /0 characters/);
    }
  });

  test('a missing or extra group in the middle is reported as missing or extra, not as a typing mistake', () => {
    for (const code of codes) {
      const groups = groupsOf(code);
      for (let k = 0; k < groups.length - 1; k++) {
        const missing = groups.filter((_, i) => i !== k).join('-');
        assert.match(codeError(() => decodeShortCode(missing), missing).message, /missing/, missing);
        const twice = [...groups];
        twice.splice(k, 0, groups[k] as string);
        assert.match(codeError(() => decodeShortCode(twice.join('-')), twice.join('-')).message, /extra|twice/);
      }
    }
  });
});

describe('forgiving input', () => {
  const payload = bytesOf('forgiving', REQUEST_CODE_BYTES);
  const code = encodeShortCode(payload);

  test('lower case, spaces, no separators, line breaks and tabs are tolerated', () => {
    const groups = groupsOf(code);
    const variants = [
      code.toLowerCase(),
      groups.join(' '),
      groups.join(''),
      groups.join('\n'),
      groups.join('\r\n'),
      groups.join(' - '),
      `  ${groups.join('\t')}  \n`,
      `${groups.slice(0, 5).join('-')}\n${groups.slice(5).join('-')}`,
      charsOf(code).join(' '),
      charsOf(code).join('-'),
      code.replace(/(.{4})/g, '$1\u00a0'),
      [...code].map((c, i) => (i % 2 === 0 ? c.toLowerCase() : c)).join(''),
    ];
    for (const text of variants) assert.equal(hex(decodeShortCode(text)), hex(payload), JSON.stringify(text));
  });

  test('O and o read as 0; I, i, L and l read as 1', () => {
    const sample = encodeShortCode(bytesOf('confusion', 40));
    assert.ok(sample.includes('0') && sample.includes('1'), sample);
    const expected = hex(decodeShortCode(sample));
    for (const zero of ['O', 'o']) {
      for (const one of ['I', 'i', 'L', 'l']) {
        const typed = sample.replaceAll('0', zero).replaceAll('1', one);
        assert.equal(hex(decodeShortCode(typed)), expected, typed);
      }
    }
  });

  test('property: any mix of case, O/I/L confusion and separators decodes to the payload', () => {
    const spellings: Record<string, string[]> = { '0': ['0', 'O', 'o'], '1': ['1', 'I', 'i', 'L', 'l'] };
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 80 }),
        fc.infiniteStream(fc.nat()),
        fc.infiniteStream(fc.constantFrom('', '', '', '-', ' ', '\n', '\r\n', '\t', ' - ')),
        (bytes, picks, separators) => {
          const code = encodeShortCode(bytes);
          const pick = picks[Symbol.iterator]();
          const sep = separators[Symbol.iterator]();
          let typed = '';
          for (const c of charsOf(code)) {
            const options = spellings[c] ?? [c, c.toLowerCase()];
            typed += options[(pick.next().value as number) % options.length] + (sep.next().value as string);
          }
          // Compared with the decoding of the code as shown (the round trip itself is tested above).
          assert.equal(hex(decodeShortCode(typed)), hex(decodeShortCode(code)));
        },
      ),
      { numRuns: 200 },
    );
  });

  test('the name of what is decoded appears in the messages', () => {
    const err = codeError(() => decodeShortCode(code.slice(0, -1), 'answer code'), 'short');
    assert.match(err.message, /the answer code has 65 characters/);
  });
});

describe('a single typo is called a typo', () => {
  test('no substitution in a request-sized code is reported as a missing or doubled group', () => {
    let checked = 0;
    for (let k = 0; k < 20; k++) {
      const code = encodeShortCode(bytesOf(`typo-${k}`, REQUEST_CODE_BYTES));
      const chars = [...code];
      for (let i = 0; i < chars.length; i++) {
        if (chars[i] === '-') continue;
        for (const c of CROCKFORD) {
          if (c === chars[i]) continue;
          const typed = [...chars];
          typed[i] = c;
          const err = codeError(() => decodeShortCode(typed.join('')), typed.join(''));
          assert.match(err.message, /typing mistake/, typed.join(''));
          checked++;
        }
      }
    }
    assert.ok(checked > 40_000);
  });
});
