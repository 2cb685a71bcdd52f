/**
 * The formats the SDK implements against the specification's vectors (`docs/spec/`):
 *
 * - the key file of a software container (`container-key-file.json`): the SDK derives the same
 *   machine secret and tag, opens every vector key file, refuses every negative case with its
 *   code, and the files it seals itself open by the specification's rules;
 * - the clock mark file (`clock-mark.json`): the SDK writes the vector files byte for byte and
 *   reads every vector file as the specification says;
 * - the instance id of an announcement (`announcement.json`): the SDK derives the same id from the
 *   machine secret and the boot.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  aesGcmOpen,
  type ErrorCode,
  fromBase64Url,
  hkdf,
  parsePublicKey,
  type SignedTime,
  toHex,
  utf8,
} from '@lictor/protocol';
import { openKeys, sealKeys } from '../src/container-keys.js';
import { instanceId } from '../src/duplicates/instance.js';
import { machineSecretFromId, machineTag } from '../src/machine-secret.js';
import { CLOCK_FILE_NAME, readMark, type StoredMark, writeMark } from '../src/trust/clock-file.js';

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

interface MarkRead {
  state: string;
  markMs?: number;
  serverMs: number | null;
}

interface ClockMarkVectors {
  vendorKey: { publicKey: string };
  fileName: string;
  cases: {
    name: string;
    input: { machineId: string; body: { markMs: number; server?: SignedTime } };
    output: { fileText: string };
    read: MarkRead;
  }[];
  reads: { name: string; machineId: string; fileText: string; read: MarkRead }[];
}

const clockVectors = JSON.parse(
  readFileSync(new URL('../../../spec/vectors/clock-mark.json', import.meta.url), 'utf8'),
) as ClockMarkVectors;

/** What the SDK read, as the vectors write it. */
function asRead(stored: StoredMark): MarkRead {
  if (stored.state === 'valid') {
    return {
      state: 'valid',
      ...(stored.markMs === undefined ? {} : { markMs: stored.markMs }),
      serverMs: stored.server?.ms ?? null,
    };
  }
  if (stored.state === 'tampered') return { state: 'tampered', serverMs: stored.server?.ms ?? null };
  return { state: stored.state, serverMs: null };
}

describe('the clock mark file: the specification vectors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lictor-clock-vectors-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const key = parsePublicKey(clockVectors.vendorKey.publicKey);

  test('the SDK names the file as the specification does', () => {
    assert.equal(CLOCK_FILE_NAME, clockVectors.fileName);
  });

  test('writeMark writes every vector file byte for byte', async () => {
    for (const c of clockVectors.cases) {
      const file = join(dir, `write-${clockVectors.cases.indexOf(c)}.json`);
      const { markMs, server } = c.input.body;
      const secret = machineSecretFromId(c.input.machineId);
      await writeMark(
        file,
        secret,
        markMs,
        server === undefined ? undefined : { ms: Date.parse(server.time), signed: server },
      );
      assert.equal(readFileSync(file, 'utf8'), c.output.fileText, c.name);
    }
  });

  test('readMark reads every vector file as the specification says', async () => {
    const all = [
      ...clockVectors.cases.map((c) => ({
        name: c.name,
        machineId: c.input.machineId,
        fileText: c.output.fileText,
        read: c.read,
      })),
      ...clockVectors.reads,
    ];
    assert.ok(clockVectors.reads.length > 0);
    for (const [i, r] of all.entries()) {
      const file = join(dir, `read-${i}.json`);
      writeFileSync(file, r.fileText);
      const stored = await readMark(file, machineSecretFromId(r.machineId), key);
      assert.deepEqual(asRead(stored), r.read, r.name);
    }
  });
});

interface InstanceVectors {
  instances: { machineId: string; cases: { name: string; boot: string; instance: string }[] };
}

const announcementVectors = JSON.parse(
  readFileSync(new URL('../../../spec/vectors/announcement.json', import.meta.url), 'utf8'),
) as InstanceVectors;

describe('instance ids: the specification vectors', () => {
  test('the SDK derives the instance id of each boot identity', () => {
    const { machineId, cases } = announcementVectors.instances;
    assert.ok(cases.length > 0);
    for (const c of cases) assert.equal(instanceId(machineSecretFromId(machineId), c.boot), c.instance, c.name);
  });
});
