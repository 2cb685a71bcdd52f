/**
 * Remote upgrade of a container stored on a hardware token (SoftHSM2), through the real center:
 * `lictor center token program`, `lictor upgrade start` with the token options, `lictor center
 * upgrade`, `lictor upgrade continue` on another computer, `lictor center confirm`; a replayed
 * answer, and the token's data objects copied onto another token.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
import { createSoftHsm, type SoftHsm, softhsmModule, type TestToken, USER_PIN } from '../../token/test/softhsm.js';
import { type CliRun, runCli } from './run-cli.js';

const hsm = softhsmModule();

function computer(hostname: string, mac: string): HardwareParams {
  return {
    platform: 'linux',
    osName: 'Debian',
    osVersion: '12',
    hostname,
    board: 'Dell OptiPlex 7090',
    ramBytes: 16 * 1024 ** 3,
    bios: 'Dell 1.2.3',
    cpus: ['Intel Core i7-10700 (8 cores)'],
    nics: [mac],
    disks: [`SSD-${hostname}`],
  };
}
const VENDOR_DESK = computer('vendor-desk', '02:00:00:00:70:01');
const OFFICE = computer('office-pc', '02:00:00:00:70:02');
const PLANT = computer('plant-pc', '02:00:00:00:70:03');

describe('remote upgrade of a token container (SoftHSM2)', { skip: 'skip' in hsm ? hsm.skip : false }, () => {
  const modulePath = 'path' in hsm ? hsm.path : '';
  let softhsm: SoftHsm;
  let dongle: TestToken;
  let clone: TestToken;
  let root: string;
  let data: string;
  let pinFile: string;
  let env: NodeJS.ProcessEnv;
  let vendorKey: VendorPublicKey;
  let serial: string;

  function lictor(args: string[], hardware: HardwareParams, machine: number): Promise<CliRun> {
    return runCli(args, { env, hardware, machineSecret: new Uint8Array(32).fill(machine) });
  }

  async function ok(args: string[], hardware = VENDOR_DESK, machine = 1): Promise<string> {
    const r = await lictor(args, hardware, machine);
    assert.equal(r.code, 0, `lictor ${args.join(' ')} failed: ${r.err}`);
    return r.out;
  }

  async function refused(args: string[], code: string, hardware: HardwareParams, machine: number): Promise<string> {
    const r = await lictor(args, hardware, machine);
    assert.equal(r.code, 1, `lictor ${args.join(' ')} should fail: ${r.out}`);
    assert.match(r.err, new RegExp(code));
    return r.err;
  }

  /** The customer's token options, and a license directory of that computer's own. */
  function customer(store: string): string[] {
    return ['--token-module', modulePath, '--token-pin-file', pinFile, '--store', store];
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

  before(async () => {
    softhsm = await createSoftHsm();
    dongle = await softhsm.initToken('dongle');
    clone = await softhsm.initToken('clone');
    root = await mkdtemp(join(tmpdir(), 'lictor-cli-upgrade-token-'));
    data = join(root, 'center');
    pinFile = join(root, 'token.pin');
    await writeFile(pinFile, `${USER_PIN}\n`, { mode: 0o600 });
    env = { HOME: join(root, 'home'), XDG_DATA_HOME: join(root, 'home', 'data') };
    await ok(['center', 'init', '--data', data]);
    const publicKey = (await ok(['center', 'public-key', '--data', data])).trim();
    env.LICTOR_PUBLIC_KEY = publicKey;
    vendorKey = parsePublicKey(publicKey);
    const features = ['--feature', 'render', '--feature', 'simulate', '--feature', 'export'];
    await ok(['center', 'product', 'add', 'CAD', '--name', 'CAD Studio', ...features, '--data', data]);
    const issued = JSON.parse(
      await ok(
        ['center', 'issue', '--product', 'CAD', '--type', 'single', '--feature', 'render', '--pins', '1'].concat([
          '--data',
          data,
          '--json',
        ]),
      ),
    ) as { serial: string };
    serial = issued.serial;
    await ok([
      'center',
      'token',
      'program',
      '--module',
      modulePath,
      '--token-serial',
      dongle.serial,
      '--pin-file',
      pinFile,
      '--serial',
      serial,
      '--company',
      'ACME Corp',
      '--email',
      'it@acme.example',
      '--data',
      data,
    ]);
  });

  after(async () => {
    await softhsm?.cleanup();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  test('question from the token, answer by the center, applied to the token on another computer, confirmed', async () => {
    const office = join(root, 'office');
    const plant = join(root, 'plant');
    await mkdir(office);
    await mkdir(plant);
    const question = join(root, 'q1.lictor');
    const answer = join(root, 'a1.lic');

    // The office computer asks; the operation is remembered on the token, not in the office's store.
    const started = await ok(['upgrade', 'start', '--out', question, ...customer(office)], OFFICE, 2);
    assert.match(started, /kept on the hardware token "dongle"/);
    const asked = decodeQuestionFile(await readFile(question, 'utf8'));
    const pending = await onToken(dongle, (s) => s.readData(TOKEN_UPGRADE_LABEL));
    assert.ok(pending, 'the pending operation is in the token memory');
    assert.equal((JSON.parse(fromUtf8(pending) ?? '') as { nonce: string }).nonce, asked.nonce);

    await ok(['center', 'upgrade', question, '--add-feature', 'simulate', '--out', answer, '--data', data]);

    // The token goes to the plant: another computer, another license directory, applies the answer.
    const applied = JSON.parse(await ok(['upgrade', 'continue', answer, ...customer(plant), '--json'], PLANT, 3)) as {
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
      await ok(['check', '--product', 'CAD', '--feature', 'simulate', ...customer(office)], OFFICE, 2),
      /licensed: CAD\/simulate/,
    );
    env.LICTOR_TOKEN_PIN = USER_PIN;
    try {
      const code = await ok(['upgrade', 'confirmation', '--token-module', modulePath, '--store', office], OFFICE, 2);
      assert.equal(code.trim(), applied.confirmationCode);
    } finally {
      delete env.LICTOR_TOKEN_PIN;
    }

    // The vendor records the confirmation.
    assert.match(
      await ok(['center', 'confirm', applied.confirmationCode, '--data', data]),
      new RegExp(`confirmed: container ${doc.containerId} is in state 1`),
    );
    const upgrades = JSON.parse(await ok(['center', 'upgrades', '--serial', serial, '--json', '--data', data])) as {
      status: string;
    }[];
    assert.deepEqual(
      upgrades.map((u) => u.status),
      ['confirmed'],
    );

    // The same answer again changes nothing.
    const err = await refused(['upgrade', 'continue', answer, ...customer(plant)], 'LICTOR_E_UPGRADE_STALE', PLANT, 3);
    assert.match(err, /already applied/);
    const afterReplay = await onToken(dongle, (s) => s.listData());
    assert.equal(afterReplay.find((o) => o.name === TOKEN_LICENSE_LABEL)?.generation, 2);
  });

  test("a copy of the token's data objects on another token is not upgraded; the genuine token is", async () => {
    const office = join(root, 'office-2');
    await mkdir(office);
    const question = join(root, 'q2.lictor');
    const answer = join(root, 'a2.lic');
    await ok(['upgrade', 'start', '--out', question, ...customer(office)], OFFICE, 2);
    await ok(['center', 'upgrade', question, '--add-feature', 'export', '--out', answer, '--data', data]);

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
    await softhsm.unplug(dongle);
    try {
      const err = await refused(
        ['upgrade', 'continue', answer, ...customer(office)],
        'LICTOR_E_TOKEN_NOT_GENUINE',
        OFFICE,
        2,
      );
      assert.match(err, /copy/);
      await refused(['upgrade', 'start', ...customer(office)], 'LICTOR_E_TOKEN_NOT_GENUINE', OFFICE, 2);
      assert.equal((await licenseOn(clone)).counter, 1, 'the copy is unchanged');
    } finally {
      await softhsm.replug(dongle);
    }

    // Both plugged in: the genuine token is chosen and upgraded; the copy stays as it was.
    const applied = JSON.parse(await ok(['upgrade', 'continue', answer, ...customer(office), '--json'], OFFICE, 2)) as {
      counter: number;
      onToken: { serial: string };
    };
    assert.equal(applied.counter, 2);
    assert.equal(applied.onToken.serial, dongle.serial);
    assert.equal((await licenseOn(dongle)).counter, 2);
    assert.equal((await licenseOn(clone)).counter, 1);
    const status = JSON.parse(await ok(['status', '--json', ...customer(office)], OFFICE, 2)) as {
      files: { path: string; available: boolean; code?: string }[];
    };
    const copy = status.files.find((f) => f.path.endsWith(`/${clone.serial}`));
    assert.equal(copy?.code, 'LICTOR_E_TOKEN_NOT_GENUINE');
  });
});
