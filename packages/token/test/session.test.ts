/** Tokens on SoftHSM2: listing, opening, login, the non-extractable key, signatures, data objects. */
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { utf8 } from '@lictor/protocol';
import pkcs11js from 'pkcs11js';
import { openTokenModule, type TokenModule, TokenPin, type TokenSession } from '../src/index.js';
import { rejection } from './refusal.js';
import { createSoftHsm, type SoftHsm, softhsmModule, type TestToken, USER_PIN } from './softhsm.js';

const hsm = softhsmModule();

describe('token sessions on SoftHSM2', { skip: 'skip' in hsm ? hsm.skip : false }, () => {
  let softhsm: SoftHsm;
  let alpha: TestToken;
  let beta: TestToken;
  let module: TokenModule;
  let session: TokenSession;

  before(async () => {
    softhsm = await createSoftHsm();
    alpha = await softhsm.initToken('alpha');
    beta = await softhsm.initToken('beta');
    await softhsm.initToken('twin');
    await softhsm.initToken('twin');
    module = openTokenModule('path' in hsm ? hsm.path : undefined);
    session = await module.openToken({ serial: alpha.serial });
  });

  after(async () => {
    await session?.close();
    await module?.close();
    await softhsm?.cleanup();
  });

  test('lists tokens with slot, label, manufacturer, model, serial and presence', async () => {
    const tokens = await module.listTokens();
    const a = tokens.find((t) => t.serial === alpha.serial);
    assert.ok(a, 'alpha is listed');
    assert.equal(a.label, 'alpha');
    assert.equal(a.manufacturer, 'SoftHSM project');
    assert.equal(a.model, 'SoftHSM v2');
    assert.equal(a.present, true);
    assert.equal(a.initialized, true);
    assert.equal(a.loginRequired, true);
    assert.match(a.slot, /^\d+$/);
    assert.ok(tokens.some((t) => t.serial === beta.serial && t.label === 'beta'));
    assert.ok(
      tokens.some((t) => t.present && !t.initialized),
      'the free slot SoftHSM2 keeps is listed too',
    );
  });

  test('opens by label and by slot; refuses an unknown token and an ambiguous label', async () => {
    const [listed] = (await module.listTokens()).filter((t) => t.serial === beta.serial);
    assert.ok(listed);
    const byLabel = await module.openToken({ label: 'beta' });
    const bySlot = await module.openToken({ slot: listed.slot });
    assert.equal(byLabel.token.serial, beta.serial);
    assert.equal(bySlot.token.serial, beta.serial);
    await byLabel.close();
    await bySlot.close();

    const absent = await rejection(module.openToken({ serial: 'no-such-serial' }));
    assert.equal(absent.code, 'LICTOR_E_TOKEN_ABSENT');
    assert.match(absent.message, /no token with serial no-such-serial is present/);
    assert.match(absent.message, /"alpha"/, 'the message lists the tokens that are present');

    const twins = await rejection(module.openToken({ label: 'twin' }));
    assert.equal(twins.code, 'LICTOR_E_TOKEN_AMBIGUOUS');
    assert.equal((await rejection(module.openToken())).code, 'LICTOR_E_TOKEN_AMBIGUOUS');
  });

  test('a wrong PIN is refused with TOKEN_PIN_INVALID, and the PIN is not in the message', async () => {
    const other = await module.openToken({ serial: beta.serial });
    const err = await rejection(other.login('999999'));
    assert.equal(err.code, 'LICTOR_E_TOKEN_PIN_INVALID');
    assert.equal((err.details as { ckr: string }).ckr, 'CKR_PIN_INCORRECT');
    assert.doesNotMatch(err.message, /999999/);
    assert.equal(await other.loggedIn(), false);
    await other.close();
  });

  test('signing or generating before login asks for the PIN', async () => {
    const other = await module.openToken({ serial: beta.serial });
    assert.equal((await rejection(other.generateKey('k'))).code, 'LICTOR_E_TOKEN_PIN_REQUIRED');
    await other.close();
  });

  test('generates a P-256 key on the token whose private half cannot be read', async () => {
    await session.login(new TokenPin(USER_PIN));
    assert.equal(await session.loggedIn(), true);
    await session.login(USER_PIN); // logging in again is fine
    const key = await session.generateKey('lictor-presence');
    assert.equal(key.label, 'lictor-presence');
    assert.equal(key.hasPrivateKey, true);
    assert.equal(key.generatedOnToken, true);
    assert.match(key.publicKey.text, /^lictor-p256:/);
    assert.match(key.publicKey.fingerprint, /^[0-9a-f]{32}$/);
    const node = createPublicKey(key.publicKey.pem);
    assert.equal(node.asymmetricKeyDetails?.namedCurve, 'prime256v1');

    // An attacker with the PIN, talking PKCS#11 directly, still cannot read the private value.
    const raw = new pkcs11js.PKCS11();
    raw.load('path' in hsm ? hsm.path : '');
    const slot = raw.C_GetSlotList(true).find((s) => raw.C_GetTokenInfo(s).serialNumber.trim() === alpha.serial);
    assert.ok(slot);
    const s = raw.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    raw.C_FindObjectsInit(s, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_ID, value: Buffer.from(key.id, 'hex') },
    ]);
    const [privateKey] = raw.C_FindObjects(s, 2);
    raw.C_FindObjectsFinal(s);
    assert.ok(privateKey, 'the private key is on the token');
    assert.throws(
      () => raw.C_GetAttributeValue(s, privateKey, [{ type: pkcs11js.CKA_VALUE }]),
      /CKR_ATTRIBUTE_SENSITIVE/,
    );
    const [extractable, sensitive] = raw.C_GetAttributeValue(s, privateKey, [
      { type: pkcs11js.CKA_EXTRACTABLE },
      { type: pkcs11js.CKA_SENSITIVE },
    ]);
    assert.equal(extractable?.value[0], 0);
    assert.equal(sensitive?.value[0], 1);
    raw.C_CloseSession(s);

    const listed = await session.listKeys();
    assert.deepEqual(
      listed.map((k) => k.publicKey.text),
      [key.publicKey.text],
    );
  });

  test('signs on the token; node:crypto verifies the raw r‖s signature', async () => {
    const [key] = await session.listKeys();
    assert.ok(key);
    const message = utf8('a message signed by the token');
    const signature = await session.sign(key.publicKey, message);
    assert.equal(signature.length, 64);
    const node = createPublicKey(key.publicKey.pem);
    assert.equal(verify('sha256', message, { key: node, dsaEncoding: 'ieee-p1363' }, signature), true);
    assert.equal(verify('sha256', utf8('another message'), { key: node, dsaEncoding: 'ieee-p1363' }, signature), false);
  });

  test('signing for a key the token does not hold: TOKEN_NOT_GENUINE', async () => {
    const other = await module.openToken({ serial: beta.serial });
    await other.login(USER_PIN);
    const foreign = await other.generateKey('foreign');
    const err = await rejection(session.sign(foreign.publicKey, utf8('x')));
    assert.equal(err.code, 'LICTOR_E_TOKEN_NOT_GENUINE');
    assert.match(err.message, new RegExp(foreign.publicKey.fingerprint));
    await other.close();
  });

  test('data objects: write, read, replace, list, delete', async () => {
    assert.equal(await session.readData('license'), null);
    assert.equal(await session.writeData('license', utf8('state 0')), 1);
    assert.deepEqual(await session.readData('license'), utf8('state 0'));
    assert.equal(await session.writeData('license', utf8('state 1, longer than before')), 2);
    assert.deepEqual(await session.readData('license'), utf8('state 1, longer than before'));
    await session.writeData('public-note', utf8('hello'), { private: false });

    const listed = await session.listData();
    assert.deepEqual(
      listed.map(({ name, generation, size, private: p, copies, damaged }) => ({
        name,
        generation,
        size,
        p,
        copies,
        damaged,
      })),
      [
        { name: 'license', generation: 2, size: 27, p: true, copies: 1, damaged: false },
        { name: 'public-note', generation: 1, size: 5, p: false, copies: 1, damaged: false },
      ],
    );
    assert.equal(await session.deleteData('public-note'), 1);
    assert.equal(await session.readData('public-note'), null);
    assert.equal((await rejection(session.writeData('bad name!', utf8('x')))).code, 'LICTOR_E_INVALID_INPUT');
  });

  test('an interrupted replace leaves two copies: the newest whole one is read, a torn one is skipped', async () => {
    await session.writeData('state', utf8('old'));
    const raw = new pkcs11js.PKCS11();
    raw.load('path' in hsm ? hsm.path : '');
    const slot = raw.C_GetSlotList(true).find((s) => raw.C_GetTokenInfo(s).serialNumber.trim() === alpha.serial);
    assert.ok(slot);
    const s = raw.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    raw.C_FindObjectsInit(s, [{ type: pkcs11js.CKA_LABEL, value: 'state' }]);
    const [old] = raw.C_FindObjects(s, 2);
    raw.C_FindObjectsFinal(s);
    assert.ok(old);
    const [value] = raw.C_GetAttributeValue(s, old, [{ type: pkcs11js.CKA_VALUE }]);
    assert.ok(value);
    // A copy of generation 2 whose payload was cut off while written: its digest fails.
    const torn = Buffer.from(value.value);
    torn.writeBigUInt64BE(2n, 4);
    const template = (v: Buffer) => [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_DATA },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_APPLICATION, value: 'lictor' },
      { type: pkcs11js.CKA_LABEL, value: 'state' },
      { type: pkcs11js.CKA_VALUE, value: v },
    ];
    raw.C_CreateObject(s, template(torn.subarray(0, torn.length - 1)));
    assert.deepEqual(await session.readData('state'), utf8('old'), 'the torn copy is skipped');
    assert.equal((await session.listData()).find((d) => d.name === 'state')?.copies, 2);

    // The next write cleans up every older copy.
    assert.equal(await session.writeData('state', utf8('new')), 2);
    assert.deepEqual(await session.readData('state'), utf8('new'));
    assert.equal((await session.listData()).find((d) => d.name === 'state')?.copies, 1);

    // Only damaged copies: the object is reported as tampered, not silently empty.
    await session.deleteData('state');
    raw.C_CreateObject(s, template(Buffer.from('not a lictor data object')));
    assert.equal((await rejection(session.readData('state'))).code, 'LICTOR_E_CONTAINER_TAMPERED');
    assert.equal(await session.deleteData('state'), 1);
    raw.C_CloseSession(s);
  });

  test('a session ends with a re-initialization of its module', async () => {
    const other = await module.openToken({ serial: beta.serial });
    assert.equal(other.open, true);
    assert.equal(await module.reinitialize(), true);
    assert.equal(other.open, false);
    const err = await rejection(other.listData());
    assert.equal(err.code, 'LICTOR_E_TOKEN_ABSENT');
    assert.match(err.message, /re-initialized/);
    session = await module.openToken({ serial: alpha.serial });
    await session.login(USER_PIN);
    assert.deepEqual(await session.readData('license'), utf8('state 1, longer than before'));
  });
});
