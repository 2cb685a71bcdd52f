/** Token public keys and the presence challenge–response, as verified by those who hold no token. */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  createTokenChallenge,
  parseTokenPublicKey,
  TOKEN_CHALLENGE_BYTES,
  tokenPresenceMessage,
  tokenPublicKeyFromPoint,
  utf8,
  verifyTokenPresence,
} from '../src/index.js';
import { refusal } from './refusal.js';

function p256() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const answer = (challenge: Uint8Array) =>
    new Uint8Array(sign('sha256', tokenPresenceMessage(challenge), { key: privateKey, dsaEncoding: 'ieee-p1363' }));
  return { privateKey, publicKey, answer };
}

describe('parseTokenPublicKey', () => {
  test('reads SPKI PEM, SPKI DER and the text form, all to the same key', () => {
    const { publicKey } = p256();
    const fromPem = parseTokenPublicKey(publicKey.export({ format: 'pem', type: 'spki' }).toString());
    const fromDer = parseTokenPublicKey(new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })));
    const fromText = parseTokenPublicKey(`  ${fromPem.text}\n`);
    assert.match(fromPem.text, /^lictor-p256:[A-Za-z0-9_-]+$/);
    assert.equal(fromDer.text, fromPem.text);
    assert.equal(fromText.text, fromPem.text);
    assert.match(fromPem.fingerprint, /^[0-9a-f]{32}$/);
    assert.equal(fromPem.point.length, 65);
    assert.equal(fromPem.point[0], 0x04);
    assert.equal(tokenPublicKeyFromPoint(fromPem.point).text, fromPem.text);
  });

  test('refuses other key types and garbage with PUBLIC_KEY_INVALID', () => {
    const ed = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' })
      .publicKey.export({ format: 'pem', type: 'spki' })
      .toString();
    for (const input of [ed, p384, 'lictor-p256:not*base64', 'lictor-p256:AAAA', '', new Uint8Array(91)]) {
      assert.equal(refusal(() => parseTokenPublicKey(input)).code, 'LICTOR_E_PUBLIC_KEY_INVALID');
    }
    assert.equal(refusal(() => tokenPublicKeyFromPoint(new Uint8Array(64))).code, 'LICTOR_E_PUBLIC_KEY_INVALID');
  });
});

describe('verifyTokenPresence', () => {
  test('accepts the answer to this challenge by this key, nothing else', () => {
    const token = p256();
    const other = p256();
    const key = parseTokenPublicKey(token.publicKey.export({ format: 'pem', type: 'spki' }).toString());
    const challenge = createTokenChallenge();
    assert.equal(challenge.length, TOKEN_CHALLENGE_BYTES);
    const answer = token.answer(challenge);
    assert.equal(answer.length, 64);
    assert.equal(verifyTokenPresence(key, challenge, answer), true);
    assert.equal(verifyTokenPresence(key, createTokenChallenge(), answer), false, 'another challenge');
    assert.equal(verifyTokenPresence(key, challenge, other.answer(challenge)), false, 'another key');
    const flipped = answer.slice();
    flipped[10] = (flipped[10] ?? 0) ^ 1;
    assert.equal(verifyTokenPresence(key, challenge, flipped), false, 'a changed signature');
    assert.equal(verifyTokenPresence(key, challenge, answer.subarray(0, 63)), false, 'a short signature');
    // The same key signing the bare challenge (without the presence prefix) does not answer it.
    const bare = new Uint8Array(sign('sha256', challenge, { key: token.privateKey, dsaEncoding: 'ieee-p1363' }));
    assert.equal(verifyTokenPresence(key, challenge, bare), false);
  });

  test('a challenge must be 32 bytes', () => {
    assert.equal(refusal(() => tokenPresenceMessage(utf8('short'))).code, 'LICTOR_E_INVALID_INPUT');
  });
});
