/** What the protocol tests assert about refusals, and armor with any line width. */
import assert from 'node:assert/strict';
import { type ErrorCode, LictorError, toBase64 } from '../src/index.js';

/** Runs `fn`; returns the LictorError it threw, fails on success or on any other throwable. */
export function refusal(fn: () => unknown, context = 'the call'): LictorError {
  let result: unknown;
  try {
    result = fn();
  } catch (e) {
    if (e instanceof LictorError) return e;
    assert.fail(`${context}: threw a non-LictorError: ${e instanceof Error ? e.stack : String(e)}`);
  }
  assert.fail(`${context}: succeeded (${String(JSON.stringify(result)).slice(0, 80)}...)`);
}

/** Runs `fn`, which must throw a LictorError with one of `codes` and a message. */
export function assertCode(
  fn: () => unknown,
  codes: ErrorCode | readonly ErrorCode[],
  context = 'the call',
): LictorError {
  const err = refusal(fn, context);
  const allowed = typeof codes === 'string' ? [codes] : codes;
  assert.ok(allowed.includes(err.code), `${context}: got ${err.code} (${err.message}), expected ${allowed.join('|')}`);
  assert.ok(err.message.length > 0);
  return err;
}

/** Armors bytes as a `LICTOR <KIND>` block in lines of `width` characters (`armor` writes 64). */
export function armorLines(kind: string, bytes: Uint8Array, width = 64): string {
  const label = `LICTOR ${kind.toUpperCase()}`;
  const lines = toBase64(bytes).match(new RegExp(`.{1,${width}}`, 'g')) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
