/**
 * PKCS#11 return values as typed errors. SoftHSM2 has no memory limit and no PIN lockout, so the
 * full-token and locked-PIN answers of real tokens are checked here on the errors pkcs11js throws.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LictorError } from '@lictor/protocol';
import pkcs11js from 'pkcs11js';
import { ckrName, toTokenError } from '../src/index.js';

function ckr(name: string): Error {
  const code = (pkcs11js as unknown as Record<string, number>)[name];
  assert.equal(typeof code, 'number', name);
  return new pkcs11js.Pkcs11Error(`${name}:${code}`, code, 'C_Test');
}

const on = { doing: 'writing the data object', token: '"alpha" (serial 42)' };

describe('toTokenError', () => {
  test('CKR_DEVICE_MEMORY: TOKEN_FULL, saying nothing was changed', () => {
    const err = toTokenError(ckr('CKR_DEVICE_MEMORY'), on);
    assert.equal(err.code, 'LICTOR_E_TOKEN_FULL');
    assert.match(
      err.message,
      /"alpha" \(serial 42\) is full \(CKR_DEVICE_MEMORY while writing the data object\); nothing was changed/,
    );
    assert.deepEqual(err.details, { ckr: 'CKR_DEVICE_MEMORY' });
  });

  test('PIN answers', () => {
    assert.equal(toTokenError(ckr('CKR_PIN_INCORRECT'), on).code, 'LICTOR_E_TOKEN_PIN_INVALID');
    assert.equal(toTokenError(ckr('CKR_PIN_LEN_RANGE'), on).code, 'LICTOR_E_TOKEN_PIN_INVALID');
    assert.equal(toTokenError(ckr('CKR_PIN_LOCKED'), on).code, 'LICTOR_E_TOKEN_PIN_LOCKED');
    assert.equal(toTokenError(ckr('CKR_PIN_EXPIRED'), on).code, 'LICTOR_E_TOKEN_PIN_LOCKED');
  });

  test('removal answers of hardware tokens: TOKEN_ABSENT', () => {
    for (const name of ['CKR_DEVICE_REMOVED', 'CKR_TOKEN_NOT_PRESENT', 'CKR_SESSION_HANDLE_INVALID']) {
      assert.equal(toTokenError(ckr(name), on).code, 'LICTOR_E_TOKEN_ABSENT', name);
    }
  });

  test('generic device errors mean absence only for a token that was there', () => {
    assert.equal(toTokenError(ckr('CKR_GENERAL_ERROR'), on).code, 'LICTOR_E_TOKEN_FAILED');
    assert.equal(toTokenError(ckr('CKR_GENERAL_ERROR'), { ...on, wasPresent: true }).code, 'LICTOR_E_TOKEN_ABSENT');
    assert.equal(toTokenError(ckr('CKR_MECHANISM_INVALID'), { ...on, wasPresent: true }).code, 'LICTOR_E_TOKEN_FAILED');
  });

  test('a LictorError passes through; other errors become TOKEN_FAILED with their message', () => {
    const own = new LictorError('LICTOR_E_TOKEN_NOT_GENUINE', 'x');
    assert.equal(toTokenError(own, on), own);
    const other = toTokenError(new TypeError('Argument 0 has wrong type'), on);
    assert.equal(other.code, 'LICTOR_E_TOKEN_FAILED');
    assert.match(other.message, /Argument 0 has wrong type/);
    assert.equal(ckrName(new Error('no code here')), undefined);
  });
});
