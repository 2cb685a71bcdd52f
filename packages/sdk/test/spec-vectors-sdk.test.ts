/**
 * The key file of a software container against the specification's vectors
 * (`spec/vectors/container-key-file.json`, `docs/spec/containers.md`): the SDK derives the same
 * machine secret and tag, opens every vector key file, refuses every negative case with its code,
 * and the files it seals itself open by the specification's rules.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { aesGcmOpen, type ErrorCode, fromBase64Url, hkdf, toHex, utf8 } from '@lictor/protocol';
import { openKeys, sealKeys } from '../src/container-keys.js';
import { machineSecretFromId, machineTag } from '../src/machine-secret.js';

interface KeyFileVectors {
  cases: {
    name: string;
    input: { machineId: string; bindTo: string; privateKeys: { sign: string; box: string }; ivHex: string };
    output: {
      machineSecretHex: string;
      machineTag: string;
      sealingKeyHex: string;
      plaintext: string;
      fileText: string;
    };
  }[];
  negative: { name: string; machineId: string; bindTo: string; fileText: string; error: ErrorCode }[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../../spec/vectors/container-key-file.json', import.meta.url), 'utf8'),
) as KeyFileVectors;

describe('container key files: the specification vectors', () => {
  test('the machine secret and its tag from the machine id', () => {
    for (const c of vectors.cases) {
      const secret = machineSecretFromId(c.input.machineId);
      assert.equal(toHex(secret), c.output.machineSecretHex, c.name);
      assert.equal(machineTag(secret), c.output.machineTag, c.name);
    }
  });

  test('every vector key file opens with its machine id and binding', () => {
    assert.ok(vectors.cases.length > 0);
    for (const c of vectors.cases) {
      const opened = openKeys(c.output.fileText, machineSecretFromId(c.input.machineId), c.input.bindTo);
      assert.deepEqual(opened, { ok: true, keys: c.input.privateKeys }, c.name);
    }
  });

  test('every negative case is refused with its code', () => {
    assert.ok(vectors.negative.length > 0);
    for (const n of vectors.negative) {
      const opened = openKeys(n.fileText, machineSecretFromId(n.machineId), n.bindTo);
      assert.equal(opened.ok, false, n.name);
      assert.equal(opened.ok ? undefined : opened.code, n.error, n.name);
    }
  });

  test('a key file the SDK seals opens by the rules of the specification', () => {
    for (const c of vectors.cases) {
      const secret = machineSecretFromId(c.input.machineId);
      const sealed = sealKeys(c.input.privateKeys, secret, c.input.bindTo);
      assert.deepEqual(Object.keys(sealed), ['format', 'machine', 'iv', 'sealed'], 'members in the written order');
      assert.equal(sealed.machine, c.output.machineTag);
      const key = hkdf(secret, utf8(c.input.bindTo), 'lictor/v1/container-key', 32);
      assert.equal(toHex(key), c.output.sealingKeyHex);
      const plain = aesGcmOpen(
        key,
        fromBase64Url(sealed.iv) as Uint8Array,
        fromBase64Url(sealed.sealed) as Uint8Array,
        utf8(c.input.bindTo),
      );
      assert.equal(Buffer.from(plain ?? new Uint8Array()).toString('utf8'), c.output.plaintext, c.name);
    }
  });
});
