/** `isoTime` writes exactly what `Date.prototype.toISOString` writes, for any time. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isoTime } from '../src/iso-time.js';

const YEAR_10000_MS = 253_402_300_800_000;
const DAY_MS = 86_400_000;

function same(ms: number): void {
  let expected: string | Error;
  try {
    expected = new Date(ms).toISOString();
  } catch (error) {
    expected = error as Error;
  }
  if (expected instanceof Error) assert.throws(() => isoTime(ms), RangeError, `isoTime(${ms})`);
  else assert.equal(isoTime(ms), expected, `isoTime(${ms})`);
}

test('isoTime agrees with toISOString from 1970 to 9999 (whole milliseconds)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: YEAR_10000_MS - 1 }), (ms) => same(ms)),
    { numRuns: 20_000 },
  );
});

test('isoTime agrees with toISOString around day, month, year and leap-day boundaries', () => {
  for (const day of [0, 59, 60, 365, 789, 10_957, 11_016, 11_017, 20_454, 2_932_896]) {
    for (const delta of [-1, 0, 1, DAY_MS - 1, DAY_MS]) same(day * DAY_MS + delta);
  }
  for (const text of ['2000-02-29T23:59:59.999Z', '2100-03-01T00:00:00.000Z', '1999-12-31T23:59:59.999Z']) {
    same(Date.parse(text));
  }
  same(YEAR_10000_MS - 1);
  same(YEAR_10000_MS);
});

test('isoTime agrees with toISOString on times it hands to Date (before 1970, fractions, out of range)', () => {
  for (const ms of [
    -1,
    -DAY_MS,
    -62_198_755_200_000,
    0.5,
    1.999,
    8.64e15,
    8.64e15 + 1,
    -8.64e15,
    Number.NaN,
    Infinity,
  ]) {
    same(ms);
  }
  fc.assert(
    fc.property(fc.double({ min: -8.7e15, max: 8.7e15 }), (ms) => same(ms)),
    { numRuns: 5_000 },
  );
});

test('isoTime agrees with toISOString when days alternate (its cached day is replaced each time)', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: YEAR_10000_MS - 1 }), { minLength: 2, maxLength: 20 }), (times) => {
      for (const ms of times) same(ms);
    }),
  );
});
