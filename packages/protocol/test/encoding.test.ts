import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromBase64Url, toBase64, toBase64Url, toHex, transientUtf8, utf8 } from '../src/index.js';

test('transientUtf8 gives the UTF-8 bytes of any text, valid until the next call', () => {
  const texts = [
    '',
    'lictor',
    'é€𝄞 \0',
    '\ud800 lone surrogate',
    'x'.repeat(5000),
    '€'.repeat(30_000),
    'y'.repeat(70_000),
    'z',
  ];
  for (const text of texts) {
    const bytes = transientUtf8(text);
    assert.deepEqual(Buffer.from(bytes), Buffer.from(utf8(text)), `${text.length} characters`);
  }
  // The same memory serves the next call: a consumer must read the bytes at once.
  const first = transientUtf8('first');
  const copy = Uint8Array.from(first);
  transientUtf8('other');
  assert.notDeepEqual(Uint8Array.from(first), copy);
});

test('toBase64Url, toBase64 and toHex encode exactly the bytes of a view', () => {
  const whole = Uint8Array.from({ length: 40 }, (_, i) => i * 7);
  const view = whole.subarray(3, 20);
  assert.equal(toBase64Url(view), Buffer.from(Uint8Array.from(view)).toString('base64url'));
  assert.equal(toBase64(view), Buffer.from(Uint8Array.from(view)).toString('base64'));
  assert.equal(toHex(view), Buffer.from(Uint8Array.from(view)).toString('hex'));
  assert.deepEqual(fromBase64Url(toBase64Url(view)), Uint8Array.from(view));
  assert.equal(toBase64Url(new Uint8Array(0)), '');
});
