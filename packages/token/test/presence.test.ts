/**
 * Presence by challenge–response on SoftHSM2, and clones: a token whose data objects (and public
 * key object) were copied byte for byte from the programmed token cannot prove its key.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createTokenChallenge,
  parseTokenPublicKey,
  type TokenPublicKey,
  utf8,
  verifyTokenPresence,
} from '@lictor/protocol';
import pkcs11js from 'pkcs11js';
import {
  answerTokenChallenge,
  openTokenModule,
  proveTokenPresence,
  type TokenModule,
  type TokenSession,
} from '../src/index.js';
import { rejection } from './refusal.js';
import { createSoftHsm, type SoftHsm, softhsmModule, type TestToken, USER_PIN } from './softhsm.js';

const hsm = softhsmModule();

/** A raw PKCS#11 view of the same module, as a customer with the PIN and their own tools has it. */
function rawSession(path: string, serial: string): { raw: pkcs11js.PKCS11; session: Buffer } {
  const raw = new pkcs11js.PKCS11();
  raw.load(path);
  const slot = raw.C_GetSlotList(true).find((s) => raw.C_GetTokenInfo(s).serialNumber.trim() === serial);
  assert.ok(slot, `token ${serial} is present`);
  const session = raw.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
  try {
    raw.C_Login(session, pkcs11js.CKU_USER, USER_PIN);
  } catch (err) {
    if (!/CKR_USER_ALREADY_LOGGED_IN/.test((err as Error).message)) throw err;
  }
  return { raw, session };
}

function findAll(raw: pkcs11js.PKCS11, session: Buffer, template: pkcs11js.Template): Buffer[] {
  raw.C_FindObjectsInit(session, template);
  const found = raw.C_FindObjects(session, 100);
  raw.C_FindObjectsFinal(session);
  return found;
}

const DATA_ATTRIBUTES = [
  pkcs11js.CKA_CLASS,
  pkcs11js.CKA_TOKEN,
  pkcs11js.CKA_PRIVATE,
  pkcs11js.CKA_APPLICATION,
  pkcs11js.CKA_LABEL,
  pkcs11js.CKA_VALUE,
];
const PUBLIC_KEY_ATTRIBUTES = [
  pkcs11js.CKA_CLASS,
  pkcs11js.CKA_TOKEN,
  pkcs11js.CKA_KEY_TYPE,
  pkcs11js.CKA_LABEL,
  pkcs11js.CKA_ID,
  pkcs11js.CKA_EC_PARAMS,
  pkcs11js.CKA_EC_POINT,
  pkcs11js.CKA_VERIFY,
];

/** Copies every Lictor data object and every public key object byte for byte from one token to another. */
function cloneMemory(path: string, from: string, to: string): number {
  const source = rawSession(path, from);
  const target = rawSession(path, to);
  let copied = 0;
  const copy = (handle: Buffer, types: number[]) => {
    const template = source.raw.C_GetAttributeValue(
      source.session,
      handle,
      types.map((type) => ({ type })),
    );
    target.raw.C_CreateObject(target.session, template);
    copied += 1;
  };
  for (const h of findAll(source.raw, source.session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_DATA }])) {
    copy(h, DATA_ATTRIBUTES);
  }
  for (const h of findAll(source.raw, source.session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY }])) {
    copy(h, PUBLIC_KEY_ATTRIBUTES);
  }
  source.raw.C_CloseSession(source.session);
  target.raw.C_CloseSession(target.session);
  return copied;
}

describe('presence by challenge–response on SoftHSM2', { skip: 'skip' in hsm ? hsm.skip : false }, () => {
  const path = 'path' in hsm ? hsm.path : '';
  let softhsm: SoftHsm;
  let genuine: TestToken;
  let clone: TestToken;
  let forger: TestToken;
  let module: TokenModule;
  let session: TokenSession;
  let registered: TokenPublicKey;

  before(async () => {
    softhsm = await createSoftHsm();
    genuine = await softhsm.initToken('genuine');
    clone = await softhsm.initToken('clone');
    forger = await softhsm.initToken('forger');
    module = openTokenModule(path);
    // The vendor programs the genuine token: a key generated on it, and the container in its memory.
    session = await module.openToken({ serial: genuine.serial });
    await session.login(USER_PIN);
    const key = await session.generateKey('lictor');
    registered = parseTokenPublicKey(key.publicKey.text); // as the License Center stores it
    await session.writeData('container', utf8('the license container'));
  });

  after(async () => {
    await session?.close();
    await module?.close();
    await softhsm?.cleanup();
  });

  test('the programmed token proves its registered key with a fresh challenge', async () => {
    const first = await proveTokenPresence(session, registered);
    const second = await proveTokenPresence(session, registered);
    assert.equal(first.token.serial, genuine.serial);
    assert.equal(first.challenge.length, 32);
    assert.notDeepEqual(first.challenge, second.challenge, 'every proof uses a new challenge');
    assert.equal(verifyTokenPresence(registered, first.challenge, first.signature), true);
    assert.equal(verifyTokenPresence(registered, second.challenge, first.signature), false);
  });

  test('a challenge from elsewhere (a client of a License Manager) is answered and verified there', async () => {
    const challenge = createTokenChallenge();
    const signature = await answerTokenChallenge(session, registered, challenge);
    assert.equal(verifyTokenPresence(registered, challenge, signature), true);
    // A signature of the same key over anything else does not answer the challenge.
    const other = await session.sign(registered, challenge);
    assert.equal(verifyTokenPresence(registered, challenge, other), false);
  });

  test('a clone (data objects and public key copied byte for byte, no private key) is refused', async () => {
    assert.ok(cloneMemory(path, genuine.serial, clone.serial) >= 2);
    const copy = await module.openToken({ serial: clone.serial });
    await copy.login(USER_PIN);
    assert.deepEqual(await copy.readData('container'), utf8('the license container'), 'the memory was copied');
    assert.equal((await copy.listKeys())[0]?.publicKey.text, registered.text, 'the public key object too');
    const err = await rejection(proveTokenPresence(copy, registered));
    assert.equal(err.code, 'LICTOR_E_TOKEN_NOT_GENUINE');
    assert.match(err.message, /not the token the license was programmed on/);
    assert.equal((err.details as { serial: string }).serial, clone.serial);
    await copy.close();
  });

  test('a forger that adds its own private key under the copied key id is refused too', async () => {
    cloneMemory(path, genuine.serial, forger.serial);
    const fake = await module.openToken({ serial: forger.serial });
    await fake.login(USER_PIN);
    const own = await fake.generateKey('own');
    const [copiedPublic] = (await fake.listKeys()).filter((k) => k.publicKey.text === registered.text);
    assert.ok(copiedPublic);
    const { raw, session: s } = rawSession(path, forger.serial);
    const [ownPrivate] = findAll(raw, s, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_ID, value: Buffer.from(own.id, 'hex') },
    ]);
    assert.ok(ownPrivate);
    raw.C_SetAttributeValue(s, ownPrivate, [{ type: pkcs11js.CKA_ID, value: Buffer.from(copiedPublic.id, 'hex') }]);
    raw.C_CloseSession(s);

    const err = await rejection(proveTokenPresence(fake, registered));
    assert.equal(err.code, 'LICTOR_E_TOKEN_NOT_GENUINE');
    // Its own key works for its own registration, which is not the license's.
    assert.equal((await proveTokenPresence(fake, own.publicKey)).token.serial, forger.serial);
    await fake.close();
  });

  test('before login the key is hidden: the proof asks for the PIN instead of calling the token a clone', async () => {
    await module.reinitialize(); // logs every session of the module out
    const fresh = await module.openToken({ serial: genuine.serial });
    const err = await rejection(proveTokenPresence(fresh, registered));
    assert.equal(err.code, 'LICTOR_E_TOKEN_PIN_REQUIRED');
    await fresh.login(USER_PIN);
    assert.equal((await proveTokenPresence(fresh, registered)).token.serial, genuine.serial);
    session = fresh;
  });
});
