/**
 * SoftHSM2 for tests: a private configuration and token directory per test file, tokens made
 * with `softhsm2-util`, and "unplugging" a token by moving its directory out of the token
 * directory. SOFTHSM2_CONF is read at C_Initialize and the module's state is per process, so one
 * configuration serves a whole test file (files run in separate processes).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { knownModulePaths } from '../src/index.js';

/** Test user PIN and security officer PIN of every token made here. */
export const USER_PIN = '1234';
export const SO_PIN = '5678';

const REQUIRED = process.env.CI !== undefined && process.env.LICTOR_REQUIRE_SOFTHSM === '1';

/** The SoftHSM2 module path, or why the SoftHSM tests are skipped (throws when CI requires SoftHSM2). */
export function softhsmModule(): { path: string } | { skip: string } {
  const path = knownModulePaths().softhsm.find((p) => existsSync(p));
  const util = spawnSync('softhsm2-util', ['--version'], { encoding: 'utf8' });
  const problem =
    path === undefined
      ? 'the SoftHSM2 module is not installed (apt-get install softhsm2)'
      : util.status !== 0
        ? 'softhsm2-util is not on PATH (apt-get install softhsm2)'
        : undefined;
  if (problem === undefined && path !== undefined) return { path };
  if (REQUIRED) throw new Error(`SoftHSM2 is required (CI, LICTOR_REQUIRE_SOFTHSM=1) but ${problem}`);
  return { skip: problem ?? 'SoftHSM2 unavailable' };
}

/** A token made by {@link SoftHsm.initToken}. */
export interface TestToken {
  label: string;
  serial: string;
  /** Its directory inside the token directory. */
  dir: string;
}

/** A private SoftHSM2 configuration for one test file. */
export interface SoftHsm {
  root: string;
  conf: string;
  tokenDir: string;
  initToken(label: string): Promise<TestToken>;
  /** Moves the token's directory out of the token directory (the token is "pulled out"). */
  unplug(token: TestToken): Promise<void>;
  /** Moves it back. */
  replug(token: TestToken): Promise<void>;
  /** Removes everything this configuration created. */
  cleanup(): Promise<void>;
}

/** Creates a configuration in a fresh temporary directory and points SOFTHSM2_CONF of this process at it. */
export async function createSoftHsm(): Promise<SoftHsm> {
  const root = await mkdtemp(join(tmpdir(), 'lictor-softhsm-'));
  const tokenDir = join(root, 'tokens');
  const conf = join(root, 'softhsm2.conf');
  await mkdir(tokenDir);
  await writeFile(
    conf,
    `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = true\n`,
  );
  process.env.SOFTHSM2_CONF = conf;
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  return {
    root,
    conf,
    tokenDir,
    async initToken(label) {
      const before = new Set(await readdir(tokenDir));
      execFileSync(
        'softhsm2-util',
        ['--init-token', '--free', '--label', label, '--pin', USER_PIN, '--so-pin', SO_PIN],
        { env, stdio: 'pipe' },
      );
      const dirName = (await readdir(tokenDir)).find((d) => !before.has(d));
      if (dirName === undefined) throw new Error(`softhsm2-util made no token directory for ${label}`);
      const shown = execFileSync('softhsm2-util', ['--show-slots'], { env, encoding: 'utf8' });
      const block = shown.split(/\nSlot /).find((b) => new RegExp(`Label:\\s+${label}\\s*$`, 'm').test(b));
      const serial = block === undefined ? undefined : /Serial number:\s+(\S+)/.exec(block)?.[1];
      if (serial === undefined) throw new Error(`softhsm2-util does not show the token ${label}`);
      return { label, serial, dir: join(tokenDir, dirName) };
    },
    async unplug(token) {
      await rename(token.dir, join(root, `unplugged-${token.serial}`));
    },
    async replug(token) {
      await rename(join(root, `unplugged-${token.serial}`), token.dir);
    },
    async cleanup() {
      await rm(root, { recursive: true, force: true });
    },
  };
}
