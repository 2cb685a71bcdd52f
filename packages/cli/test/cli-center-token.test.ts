/**
 * `lictor center token program` and `lictor center tokens` against SoftHSM2 tokens: the token
 * afterwards holds a license the vendor signed, bound to the key generated on it, and the
 * container keys as a private object.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  decodeLicenseFile,
  decodeTokenContainerKeys,
  fromUtf8,
  parsePublicKey,
  parseTokenPublicKey,
  TOKEN_KEYS_LABEL,
  TOKEN_LICENSE_LABEL,
} from '@lictor/protocol';
import { openTokenModule, proveTokenPresence, type TokenModule } from '@lictor/token';
import { type Cli, cliOn, workstation } from './run-cli.js';
import {
  modulePath,
  skipWithoutSoftHsm,
  type TestToken,
  type TokenWorld,
  tokenWorld,
  USER_PIN,
} from './token-world.js';

const PROGRAMMING_STATION = workstation('programming-station', '02:00:00:00:77:01');

interface ProgrammedJson {
  token: { label: string; manufacturer: string; model: string; serial: string };
  publicKey: string;
  fingerprint: string;
  keyGenerated: boolean;
  serial: string;
  pinIndex: number;
  activationId: string;
  reactivated: boolean;
  containerId: string;
}

describe('lictor center token program (SoftHSM2)', { skip: skipWithoutSoftHsm }, () => {
  let world: TokenWorld<[TestToken, TestToken]>;
  let first: TestToken;
  let second: TestToken;
  let data: string;
  let cli: Cli;
  let serial: string;
  let pins: string[];
  const ok = (args: string[]) => cli.ok(args);
  const programArgs = (token: TestToken, extra: string[] = []) => world.programArgs(token, serial, ...extra);

  before(async () => {
    world = await tokenWorld({
      name: 'center-token',
      labels: ['customer-1', 'customer-2'],
      features: ['render'],
      lictor: (env) => cliOn({ env, hardware: PROGRAMMING_STATION }).ok,
    });
    [first, second] = world.tokens;
    data = world.data;
    world.env.LICTOR_TOKEN_PIN = USER_PIN;
    cli = cliOn({ env: world.env, hardware: PROGRAMMING_STATION });
    ({ serial, pins } = await world.issue('--type', 'single', '--pins', '3', '--max-active', '3'));
  });

  after(async () => {
    await world?.cleanup();
  });

  test('the token holds a license signed by the vendor, bound to the key generated on it', async () => {
    const programmed = JSON.parse(await ok([...programArgs(first), '--json'])) as ProgrammedJson;
    assert.equal(programmed.keyGenerated, true);
    assert.equal(programmed.reactivated, false);
    assert.equal(programmed.pinIndex, 1, 'the first unused PIN');
    assert.equal(programmed.token.serial, first.serial);
    const vendorKey = parsePublicKey((await ok(['center', 'public-key', '--data', data])).trim());

    const module: TokenModule = openTokenModule(modulePath);
    const session = await module.openToken({ serial: first.serial });
    try {
      // The license is public (readable without the PIN); the container keys are not.
      const license = await session.readData(TOKEN_LICENSE_LABEL);
      assert.ok(license, 'the token holds the license data object');
      assert.equal(await session.readData(TOKEN_KEYS_LABEL), null, 'the keys are hidden before login');

      const doc = decodeLicenseFile(fromUtf8(license) ?? '', vendorKey);
      assert.equal(doc.serial, serial);
      assert.equal(doc.activationId, programmed.activationId);
      assert.deepEqual(doc.owner, { company: 'ACME Corp', email: 'it@acme.example' });
      assert.equal(doc.binding.kind, 'token');
      assert.ok(doc.binding.kind === 'token');
      assert.deepEqual(doc.binding.token, {
        manufacturer: 'SoftHSM project',
        model: 'SoftHSM v2',
        serial: first.serial,
      });

      await session.login(USER_PIN);
      const [key, ...others] = await session.listKeys();
      assert.equal(others.length, 0);
      assert.equal(key?.label, 'lictor');
      assert.equal(key?.generatedOnToken, true);
      assert.equal(doc.binding.publicKey, key?.publicKey.text, "the license names the token's own key");
      assert.equal(programmed.fingerprint, key?.publicKey.fingerprint);
      // Only the token can prove that key: the license is bound to this very token.
      await proveTokenPresence(session, parseTokenPublicKey(doc.binding.publicKey));

      const keysBytes = await session.readData(TOKEN_KEYS_LABEL);
      assert.ok(keysBytes, 'the container keys are on the token');
      const keys = decodeTokenContainerKeys(keysBytes);
      assert.equal(keys.containerId, doc.containerId);
      assert.deepEqual(keys.public, doc.containerKeys);
      const listed = await session.listData();
      assert.deepEqual(
        listed.map((d) => [d.name, d.private]),
        [
          [TOKEN_KEYS_LABEL, true],
          [TOKEN_LICENSE_LABEL, false],
        ],
      );
    } finally {
      await session.close();
      await module.close();
    }
  });

  test('programming the same token again is a reactivation with the same key', async () => {
    const listedBefore = JSON.parse(await ok(['center', 'tokens', '--data', data, '--json'])) as {
      activationId: string;
    }[];
    const again = JSON.parse(await ok([...programArgs(first), '--json'])) as ProgrammedJson;
    assert.equal(again.keyGenerated, false);
    assert.equal(again.reactivated, true);
    assert.equal(again.pinIndex, 1);
    assert.equal(again.activationId, listedBefore[0]?.activationId);
    const tokens = JSON.parse(await ok(['center', 'tokens', '--data', data, '--json'])) as {
      fingerprint: string;
      label: string;
      activeActivations: string[];
      packageSerial: string;
    }[];
    assert.equal(tokens.length, 1);
    assert.equal(tokens[0]?.fingerprint, again.fingerprint);
    assert.equal(tokens[0]?.label, 'customer-1');
    assert.equal(tokens[0]?.packageSerial, serial);
    assert.deepEqual(tokens[0]?.activeActivations, [again.activationId]);
    const text = await ok(['center', 'tokens', '--data', data]);
    assert.match(text, new RegExp(`${again.fingerprint}  SoftHSM project SoftHSM v2 #${first.serial} "customer-1"`));
  });

  test("another token cannot take the first token's PIN; it gets the next unused one", async () => {
    const pin1 = pins[0] ?? '';
    const refused = await cli.run(programArgs(second, ['--pin', pin1]));
    assert.equal(refused.code, 1);
    assert.match(refused.err, /LICTOR_E_PIN_USED/);
    assert.match(refused.err, new RegExp(`#${first.serial}`));
    const out = await ok(programArgs(second));
    assert.match(
      out,
      new RegExp(`Programmed token "customer-2" \\(SoftHSM project SoftHSM v2, serial ${second.serial}\\)`),
    );
    assert.match(out, /serial: +LX-[-\w]+, PIN 2\n/);
    assert.match(out, /data object: lictor-container-keys \(\d+ bytes, private: needs the token PIN\)/);
  });

  test('a wrong token PIN is refused before anything is activated', async () => {
    const wrongPin = cliOn({ env: { ...world.env, LICTOR_TOKEN_PIN: '987654' }, hardware: PROGRAMMING_STATION });
    const r = await wrongPin.run(programArgs(second));
    assert.equal(r.code, 1);
    assert.match(r.err, /LICTOR_E_TOKEN_PIN_INVALID/);
    assert.doesNotMatch(r.err, /987654/, 'the PIN is never printed');
    const activations = (await ok(['center', 'tokens', '--data', data, '--json'])).trim();
    assert.equal((JSON.parse(activations) as unknown[]).length, 2);
  });
});
