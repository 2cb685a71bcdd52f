/**
 * A container on a token against the specification's vectors (`spec/vectors/token-container.json`,
 * `docs/spec/containers.md`): what `writeData` stores is byte for byte the vector's framed value,
 * vector values written by another implementation read back, and damaged ones are not whole.
 * Runs on SoftHSM2 (skipped with the reason when it is not installed, required in CI).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { toHex, utf8 } from '@lictor/protocol';
import pkcs11js from 'pkcs11js';
import { openTokenModule, type TokenModule, TokenPin, type TokenSession } from '../src/index.js';
import { rejection } from './refusal.js';
import { createSoftHsm, type SoftHsm, softhsmModule, type TestToken, USER_PIN } from './softhsm.js';

interface TokenContainerVectors {
  dataObjects: {
    label: string;
    private: boolean;
    generation: number;
    payloadText: string;
    valueHex: string;
  }[];
  damagedValues: { name: string; valueHex: string; whole: false }[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../../spec/vectors/token-container.json', import.meta.url), 'utf8'),
) as TokenContainerVectors;

const hsm = softhsmModule();

describe('token data objects: the specification vectors', { skip: 'skip' in hsm ? hsm.skip : false }, () => {
  let softhsm: SoftHsm;
  let token: TestToken;
  let module: TokenModule;
  let session: TokenSession;
  let raw: pkcs11js.PKCS11;
  let rawSession: Buffer;

  before(async () => {
    softhsm = await createSoftHsm();
    token = await softhsm.initToken('vectors');
    module = openTokenModule('path' in hsm ? hsm.path : undefined);
    session = await module.openToken({ serial: token.serial });
    await session.login(new TokenPin(USER_PIN));
    // A second handle on the same library (one state per process): reads and writes raw objects.
    raw = new pkcs11js.PKCS11();
    raw.load('path' in hsm ? hsm.path : '');
    const slot = raw.C_GetSlotList(true).find((s) => raw.C_GetTokenInfo(s).serialNumber.trim() === token.serial);
    assert.ok(slot);
    rawSession = raw.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
  });

  after(async () => {
    if (rawSession) raw.C_CloseSession(rawSession);
    await session?.close();
    await module?.close();
    await softhsm?.cleanup();
  });

  function rawObjects(label: string): Buffer[] {
    raw.C_FindObjectsInit(rawSession, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_DATA },
      { type: pkcs11js.CKA_LABEL, value: label },
    ]);
    const found = raw.C_FindObjects(rawSession, 10);
    raw.C_FindObjectsFinal(rawSession);
    return found;
  }

  function createRaw(label: string, value: Buffer): void {
    raw.C_CreateObject(rawSession, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_DATA },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_APPLICATION, value: 'lictor' },
      { type: pkcs11js.CKA_LABEL, value: label },
      { type: pkcs11js.CKA_VALUE, value },
    ]);
  }

  test('writeData stores exactly the framed value of each vector object, with its attributes', async () => {
    for (const o of vectors.dataObjects) {
      // Earlier generations first: the vector's generation is the number of writes.
      for (let g = 1; g < o.generation; g++) await session.writeData(o.label, utf8(`generation ${g}`));
      assert.equal(await session.writeData(o.label, utf8(o.payloadText), { private: o.private }), o.generation);
      const [handle, ...others] = rawObjects(o.label);
      assert.ok(handle, o.label);
      assert.equal(others.length, 0, `${o.label}: older copies are destroyed`);
      const [value, priv, app] = raw.C_GetAttributeValue(rawSession, handle, [
        { type: pkcs11js.CKA_VALUE },
        { type: pkcs11js.CKA_PRIVATE },
        { type: pkcs11js.CKA_APPLICATION },
      ]);
      assert.equal(toHex(value?.value ?? Buffer.alloc(0)), o.valueHex, o.label);
      assert.equal((priv?.value[0] ?? 0) !== 0, o.private, `${o.label}: CKA_PRIVATE`);
      assert.equal(app?.value.toString(), 'lictor', `${o.label}: CKA_APPLICATION`);
      await session.deleteData(o.label);
    }
  });

  test('a vector value written by another implementation reads back; a damaged one is not whole', async () => {
    for (const o of vectors.dataObjects) {
      createRaw(`copy-${o.label}`, Buffer.from(o.valueHex, 'hex'));
      assert.deepEqual(await session.readData(`copy-${o.label}`), utf8(o.payloadText), o.label);
      assert.equal(await session.deleteData(`copy-${o.label}`), 1);
    }
    for (const d of vectors.damagedValues) {
      createRaw('damaged', Buffer.from(d.valueHex, 'hex'));
      // Alone it is no whole copy at all: the object is reported as tampered, not read.
      assert.equal((await rejection(session.readData('damaged'))).code, 'LICTOR_E_CONTAINER_TAMPERED', d.name);
      assert.equal(await session.deleteData('damaged'), 1);
    }
  });
});
