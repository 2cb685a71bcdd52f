/**
 * Remote upgrade of a container stored on a hardware token (SoftHSM2), through the real center:
 * `lictor center token program`, `lictor upgrade start` with the token options, `lictor center
 * upgrade`, `lictor upgrade continue` on another computer, `lictor center confirm`; a replayed
 * answer, and the token's data objects copied onto another token.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  decodeLicenseFile,
  decodeQuestionFile,
  fromUtf8,
  type HardwareParams,
  type LicenseDocument,
  parsePublicKey,
  TOKEN_KEYS_LABEL,
  TOKEN_LICENSE_LABEL,
  TOKEN_UPGRADE_LABEL,
  type VendorPublicKey,
} from '@lictor/protocol';
import { openTokenModule, type TokenSession } from '@lictor/token';
import { type Cli, cliOn, workstation } from './run-cli.js';
import {
  modulePath,
  skipWithoutSoftHsm,
  type TestToken,
  type TokenWorld,
  tokenWorld,
  USER_PIN,
} from './token-world.js';

const VENDOR_DESK = workstation('vendor-desk', '02:00:00:00:70:01');
const OFFICE = workstation('office-pc', '02:00:00:00:70:02');
const PLANT = workstation('plant-pc', '02:00:00:00:70:03');

describe('remote upgrade of a token container (SoftHSM2)', { skip: skipWithoutSoftHsm }, () => {
  let world: TokenWorld<[TestToken, TestToken]>;
  let dongle: TestToken;
  let clone: TestToken;
  let root: string;
  let data: string;
  let env: NodeJS.ProcessEnv;
  let vendorKey: VendorPublicKey;
  let serial: string;
  /** `lictor` on the vendor's desk, and on two customer computers (each with a machine secret of its own). */
  let atVendor: Cli;
  let atOffice: Cli;
  let atPlant: Cli;

  /** The customer's token options (the dongle and its clone share one PIN here), and a license directory of that computer's own. */
  function customer(store: string): string[] {
    return ['--token-module', modulePath, '--token-pin-file', world.pinFile, '--token-pin-shared', '--store', store];
  }

  /** Runs `fn` with a logged-in session on a token, in a module handle of its own. */
  async function onToken<T>(token: TestToken, fn: (session: TokenSession) => Promise<T>): Promise<T> {
    const module = openTokenModule(modulePath);
    try {
      const session = await module.openToken({ serial: token.serial });
      try {
        await session.login(USER_PIN);
        return await fn(session);
      } finally {
        await session.close();
      }
    } finally {
      await module.close();
    }
  }

  async function licenseOn(token: TestToken): Promise<LicenseDocument> {
    const bytes = await onToken(token, (s) => s.readData(TOKEN_LICENSE_LABEL));
    assert.ok(bytes, `the token ${token.label} holds a license`);
    return decodeLicenseFile(fromUtf8(bytes) ?? '', vendorKey);
  }

  /** `lictor` on `hardware`, with a machine secret of its own. */
  const on = (hardware: HardwareParams, machine: number, environment: NodeJS.ProcessEnv) =>
    cliOn({ env: environment, hardware, machineSecret: new Uint8Array(32).fill(machine) });

  before(async () => {
    world = await tokenWorld({
      name: 'upgrade-token',
      labels: ['dongle', 'clone'],
      features: ['render', 'simulate', 'export'],
      lictor: (e) => on(VENDOR_DESK, 1, e).ok,
    });
    [dongle, clone] = world.tokens;
    ({ root, data, env } = world);
    atVendor = on(VENDOR_DESK, 1, env);
    atOffice = on(OFFICE, 2, env);
    atPlant = on(PLANT, 3, env);
    vendorKey = parsePublicKey(world.publicKey);
    ({ serial } = await world.issue('--type', 'single', '--feature', 'render', '--pins', '1'));
    await world.program(dongle, serial);
  });

  after(async () => {
    await world?.cleanup();
  });

  test('question from the token, answer by the center, applied to the token on another computer, confirmed', async () => {
    const office = join(root, 'office');
    const plant = join(root, 'plant');
    await mkdir(office);
    await mkdir(plant);
    const question = join(root, 'q1.lictor');
    const answer = join(root, 'a1.lic');

    // The office computer asks; the operation is remembered on the token, not in the office's store.
    const started = await atOffice.ok(['upgrade', 'start', '--out', question, ...customer(office)]);
    assert.match(started, /kept on the hardware token "dongle"/);
    const asked = decodeQuestionFile(await readFile(question, 'utf8'));
    const pending = await onToken(dongle, (s) => s.readData(TOKEN_UPGRADE_LABEL));
    assert.ok(pending, 'the pending operation is in the token memory');
    assert.equal((JSON.parse(fromUtf8(pending) ?? '') as { nonce: string }).nonce, asked.nonce);

    await atVendor.ok(['center', 'upgrade', question, '--add-feature', 'simulate', '--out', answer, '--data', data]);

    // The token goes to the plant: another computer, another license directory, applies the answer.
    const applied = JSON.parse(await atPlant.ok(['upgrade', 'continue', answer, ...customer(plant), '--json'])) as {
      counter: number;
      confirmationCode: string;
      file: string;
      onToken: { serial: string };
    };
    assert.equal(applied.counter, 1);
    assert.match(applied.confirmationCode, /^([0-9A-Z]{6}-){7}[0-9A-Z]{6}$/);
    assert.equal(applied.confirmationCode.replaceAll('-', '').length, 48);
    assert.equal(applied.onToken.serial, dongle.serial);

    // The token's memory holds the upgraded license, one copy, and no pending operation.
    const doc = await licenseOn(dongle);
    assert.equal(doc.counter, 1);
    assert.equal(doc.upgrade?.nonce, asked.nonce);
    assert.deepEqual(
      doc.licenses[0]?.features.map((f) => f.code),
      ['render', 'simulate'],
    );
    const objects = await onToken(dongle, (s) => s.listData());
    assert.deepEqual(
      objects.map((o) => [o.name, o.generation, o.copies]),
      [
        [TOKEN_KEYS_LABEL, 1, 1],
        [TOKEN_LICENSE_LABEL, 2, 1],
      ],
    );

    // Every computer where the token is plugged in sees the new feature; LICTOR_TOKEN_PIN works as well.
    assert.match(
      await atOffice.ok(['check', '--product', 'CAD', '--feature', 'simulate', ...customer(office)]),
      /licensed: CAD\/simulate/,
    );
    env.LICTOR_TOKEN_PIN = USER_PIN;
    try {
      const code = await atOffice.ok([
        'upgrade',
        'confirmation',
        '--token-module',
        modulePath,
        '--token-pin-shared',
        '--store',
        office,
      ]);
      assert.equal(code.trim(), applied.confirmationCode);
    } finally {
      delete env.LICTOR_TOKEN_PIN;
    }

    // The vendor records the confirmation.
    assert.match(
      await atVendor.ok(['center', 'confirm', applied.confirmationCode, '--data', data]),
      new RegExp(`confirmed: container ${doc.containerId} is in state 1`),
    );
    const upgrades = JSON.parse(
      await atVendor.ok(['center', 'upgrades', '--serial', serial, '--json', '--data', data]),
    ) as {
      status: string;
    }[];
    assert.deepEqual(
      upgrades.map((u) => u.status),
      ['confirmed'],
    );

    // The same answer again changes nothing.
    const err = await atPlant.refused(['upgrade', 'continue', answer, ...customer(plant)], 'LICTOR_E_UPGRADE_STALE');
    assert.match(err, /already applied/);
    const afterReplay = await onToken(dongle, (s) => s.listData());
    assert.equal(afterReplay.find((o) => o.name === TOKEN_LICENSE_LABEL)?.generation, 2);
  });

  test("a copy of the token's data objects on another token is not upgraded; the genuine token is", async () => {
    const office = join(root, 'office-2');
    await mkdir(office);
    const question = join(root, 'q2.lictor');
    const answer = join(root, 'a2.lic');
    await atOffice.ok(['upgrade', 'start', '--out', question, ...customer(office)]);
    await atVendor.ok(['center', 'upgrade', question, '--add-feature', 'export', '--out', answer, '--data', data]);

    // Every Lictor data object of the dongle, byte for byte, onto the other token (its PIN known).
    const copied = await onToken(dongle, async (s) => {
      const out = new Map<string, { bytes: Uint8Array; private: boolean }>();
      for (const info of await s.listData()) {
        const bytes = await s.readData(info.name);
        if (bytes) out.set(info.name, { bytes, private: info.private });
      }
      return out;
    });
    assert.deepEqual([...copied.keys()].sort(), [TOKEN_KEYS_LABEL, TOKEN_LICENSE_LABEL, TOKEN_UPGRADE_LABEL]);
    await onToken(clone, async (s) => {
      for (const [name, o] of copied) await s.writeData(name, o.bytes, { private: o.private });
    });

    // With only the copy plugged in, the answer is refused: the copy cannot prove the key the license names.
    await world.softhsm.unplug(dongle);
    try {
      const err = await atOffice.refused(
        ['upgrade', 'continue', answer, ...customer(office)],
        'LICTOR_E_TOKEN_NOT_GENUINE',
      );
      assert.match(err, /copy/);
      await atOffice.refused(['upgrade', 'start', ...customer(office)], 'LICTOR_E_TOKEN_NOT_GENUINE');
      assert.equal((await licenseOn(clone)).counter, 1, 'the copy is unchanged');
    } finally {
      await world.softhsm.replug(dongle);
    }

    // Both plugged in: the genuine token is chosen and upgraded; the copy stays as it was.
    const applied = JSON.parse(await atOffice.ok(['upgrade', 'continue', answer, ...customer(office), '--json'])) as {
      counter: number;
      onToken: { serial: string };
    };
    assert.equal(applied.counter, 2);
    assert.equal(applied.onToken.serial, dongle.serial);
    assert.equal((await licenseOn(dongle)).counter, 2);
    assert.equal((await licenseOn(clone)).counter, 1);
    const status = JSON.parse(await atOffice.ok(['status', '--json', ...customer(office)])) as {
      files: { path: string; available: boolean; code?: string }[];
    };
    const copy = status.files.find((f) => f.path.endsWith(`/${clone.serial}`));
    assert.equal(copy?.code, 'LICTOR_E_TOKEN_NOT_GENUINE');
  });
});
