/**
 * A token's PIN is given to the token it belongs to (`--token-label` / `--token-serial` with
 * `--token-pin-file`; a PIN file without a name goes to the only token plugged in, and to none of
 * several) and never tried on another: two SoftHSM2 tokens with different PINs, both
 * holding a license; the other token's wrong-PIN state (CKF_USER_PIN_COUNT_LOW, which SoftHSM2
 * sets after a refused login and keeps in the token's files) is read by a separate process.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Cli, cliOn, workstation } from './run-cli.js';
import { modulePath, skipWithoutSoftHsm, type TestToken, type TokenWorld, tokenWorld } from './token-world.js';

const DESKTOP = workstation('design-07', '02:00:00:00:77:01');
const OFFICE_PIN = '654321';
/** `CK_TOKEN_INFO.flags`: a wrong user PIN was entered since the last successful login. */
const CKF_USER_PIN_COUNT_LOW = 0x10000;
const TOKEN_PACKAGE = fileURLToPath(new URL('../../token/', import.meta.url));

/** Token label → its `CK_TOKEN_INFO.flags`, read in a process of its own (pkcs11js from @lictor/token's dependencies). */
function tokenFlags(env: NodeJS.ProcessEnv): Record<string, number> {
  const script = `
    const p = new (require('pkcs11js').PKCS11)();
    p.load(${JSON.stringify(modulePath)});
    p.C_Initialize();
    const out = {};
    for (const slot of p.C_GetSlotList(true)) {
      const info = p.C_GetTokenInfo(slot);
      if (info.label.trim() !== '') out[info.label.trim()] = info.flags;
    }
    p.C_Finalize();
    console.log(JSON.stringify(out));`;
  return JSON.parse(
    execFileSync(process.execPath, ['-e', script], { cwd: TOKEN_PACKAGE, env, encoding: 'utf8' }),
  ) as Record<string, number>;
}

describe('token PINs are bound to their token (SoftHSM2)', { skip: skipWithoutSoftHsm }, () => {
  let world: TokenWorld<[TestToken]>;
  let plant: TestToken;
  let office: TestToken;
  let cli: Cli;

  before(async () => {
    world = await tokenWorld({
      name: 'token-pin',
      labels: ['plant'],
      lictor: (env) => cliOn({ env, hardware: DESKTOP }).ok,
    });
    [plant] = world.tokens;
    cli = cliOn({ env: world.env, hardware: DESKTOP });
    // A second token with a PIN of its own.
    const before = new Set(await readdir(world.softhsm.tokenDir));
    execFileSync(
      'softhsm2-util',
      ['--init-token', '--free', '--label', 'office', '--pin', OFFICE_PIN, '--so-pin', '12345678'],
      { env: world.env, stdio: 'pipe' },
    );
    const dir = (await readdir(world.softhsm.tokenDir)).find((d) => !before.has(d)) ?? '';
    const shown = execFileSync('softhsm2-util', ['--show-slots'], { env: world.env, encoding: 'utf8' });
    const block = shown.split(/\nSlot /).find((b) => /Label:\s+office\s*$/m.test(b)) ?? '';
    office = {
      label: 'office',
      serial: /Serial number:\s+(\S+)/.exec(block)?.[1] ?? '',
      dir: join(world.softhsm.tokenDir, dir),
    };
    const officePin = join(world.root, 'office-pin');
    await writeFile(officePin, `${OFFICE_PIN}\n`, { mode: 0o600 });
    // Both tokens hold a license of the vendor.
    const a = await world.issue('--type', 'single', '--pins', '1');
    const b = await world.issue('--type', 'single', '--pins', '1');
    await world.program(plant, a.serial);
    await cli.ok(world.programArgs(office, b.serial, '--pin-file', officePin));
    assert.equal((tokenFlags(world.env).office ?? 0) & CKF_USER_PIN_COUNT_LOW, 0, 'no wrong PIN yet');
  });

  after(async () => {
    await world?.cleanup();
  });

  const withPlantPin = () => [
    '--token-module',
    modulePath,
    '--token-pin-file',
    world.pinFile,
    '--store',
    join(world.root, 's'),
  ];

  test('--token-label: the PIN file is given to that token only; the other token keeps a clean wrong-PIN state', async () => {
    const status = JSON.parse(await cli.ok(['status', ...withPlantPin(), '--token-label', 'plant', '--json'])) as {
      files: { path: string; available: boolean; code?: string }[];
    };
    const byPath = new Map(status.files.map((f) => [f.path, f]));
    assert.equal(byPath.get(`token:SoftHSM project/${plant.serial}`)?.available, true, JSON.stringify(status.files));
    // The office token was not given the PIN: it says it needs its own, it was never tried.
    assert.equal(byPath.get(`token:SoftHSM project/${office.serial}`)?.code, 'LICTOR_E_TOKEN_PIN_REQUIRED');
    const flags = tokenFlags(world.env);
    assert.equal((flags.office ?? 0) & CKF_USER_PIN_COUNT_LOW, 0, 'the office token was never given a wrong PIN');
    assert.equal((flags.plant ?? 0) & CKF_USER_PIN_COUNT_LOW, 0);
  });

  test('--token-serial does the same', async () => {
    const r = await cli.run(['check', '--product', 'CAD', ...withPlantPin(), '--token-serial', plant.serial]);
    assert.equal(r.code, 0, r.err);
    assert.equal((tokenFlags(world.env).office ?? 0) & CKF_USER_PIN_COUNT_LOW, 0);
  });

  test('without naming the token, with two tokens plugged in, the PIN goes to neither and each says to name its token', async () => {
    const status = JSON.parse(await cli.ok(['status', ...withPlantPin(), '--json'])) as {
      files: { path: string; available: boolean; code?: string; reason?: string }[];
    };
    const byPath = new Map(status.files.map((f) => [f.path, f]));
    for (const token of [plant, office]) {
      const entry = byPath.get(`token:SoftHSM project/${token.serial}`);
      assert.equal(entry?.code, 'LICTOR_E_TOKEN_PIN_REQUIRED', JSON.stringify(status.files));
    }
    const flags = tokenFlags(world.env);
    assert.equal((flags.office ?? 0) & CKF_USER_PIN_COUNT_LOW, 0, 'the office token was never given a wrong PIN');
    assert.equal((flags.plant ?? 0) & CKF_USER_PIN_COUNT_LOW, 0);
    const check = await cli.run(['check', '--product', 'CAD', ...withPlantPin()]);
    assert.notEqual(check.code, 0);
    assert.match(check.err + check.out, /--token-label or --token-serial/);
  });
});
