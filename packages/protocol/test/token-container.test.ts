/** The container keys object written to a token: round trip and refusals. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  containerSign,
  containerVerify,
  decodeTokenContainerKeys,
  encodeTokenContainerKeys,
  fromUtf8,
  generateContainerKeys,
  LictorError,
  utf8,
} from '../src/index.js';

test('container keys survive the trip through the token data object and still sign', () => {
  const keys = generateContainerKeys();
  const bytes = encodeTokenContainerKeys('c-123', keys);
  const json = JSON.parse(fromUtf8(bytes) ?? '') as Record<string, unknown>;
  assert.deepEqual(Object.keys(json).sort(), ['containerId', 'format', 'private', 'public']);
  const back = decodeTokenContainerKeys(bytes);
  assert.equal(back.format, 1);
  assert.equal(back.containerId, 'c-123');
  assert.deepEqual(back.public, keys.public);
  assert.deepEqual(back.private, keys.private);
  const message = utf8('question');
  assert.ok(containerVerify(back.public.sign, message, containerSign(back.private.sign, message)));
});

test('anything else is LICTOR_E_FILE_FORMAT', () => {
  const keys = generateContainerKeys();
  const good = JSON.parse(fromUtf8(encodeTokenContainerKeys('c', keys)) ?? '') as Record<string, unknown>;
  for (const bad of [
    utf8('not json'),
    utf8('null'),
    utf8(JSON.stringify({ ...good, format: 2 })),
    utf8(JSON.stringify({ ...good, containerId: 7 })),
    utf8(JSON.stringify({ ...good, private: { sign: 'x' } })),
  ]) {
    assert.throws(
      () => decodeTokenContainerKeys(bad),
      (err) => err instanceof LictorError && err.code === 'LICTOR_E_FILE_FORMAT',
    );
  }
});
