/**
 * The common ground of the CLI's hardware token tests: SoftHSM2 tokens, a file with their user
 * PIN, and a vendor's License Center (a data directory) with the product CAD, all in temporary
 * directories of one test file.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSoftHsm, type SoftHsm, softhsmModule, type TestToken, USER_PIN } from '../../token/test/softhsm.js';

export { type TestToken, USER_PIN };

const hsm = softhsmModule();
/** The SoftHSM2 module the tests load. */
export const modulePath = 'path' in hsm ? hsm.path : '';
/** Why the token tests are skipped (SoftHSM2 missing), else `false`. */
export const skipWithoutSoftHsm = 'skip' in hsm ? hsm.skip : false;

/** Runs a `lictor` command that must succeed and returns its standard output. */
export type Lictor = (args: string[]) => Promise<string>;

/** A package `lictor center issue` made: its serial number and PIN codes. */
export interface Issued {
  serial: string;
  pins: string[];
}

export interface TokenWorld<Tokens> {
  softhsm: SoftHsm;
  /** The tokens, in the order of their labels. */
  tokens: Tokens;
  /** A temporary directory of the test file's own. */
  root: string;
  /** The License Center's data directory. */
  data: string;
  /** A file whose first line is the tokens' user PIN. */
  pinFile: string;
  /** What commands run with: a private HOME, PATH, SOFTHSM2_CONF, and LICTOR_PUBLIC_KEY (the center's). */
  env: NodeJS.ProcessEnv;
  /** The vendor public key. */
  publicKey: string;
  /** `lictor center issue --product CAD ARGS`. */
  issue(...args: string[]): Promise<Issued>;
  /** `lictor center token program` of `token` with the package `serial`, for ACME Corp; the PIN from `env` or `extra`. */
  programArgs(token: TestToken, serial: string, ...extra: string[]): string[];
  /** Programs `token` with the package `serial`, the PIN read from {@link TokenWorld.pinFile}. */
  program(token: TestToken, serial: string): Promise<string>;
  /** Removes the tokens and the temporary directory. */
  cleanup(): Promise<void>;
}

/**
 * SoftHSM2 tokens labelled `labels`, then a License Center initialized with `lictor` (which runs
 * commands with the world's environment) and the product CAD with `features`.
 */
export async function tokenWorld<const Labels extends readonly string[]>(options: {
  /** Part of the temporary directory's name. */
  name: string;
  labels: Labels;
  features?: readonly string[];
  lictor: (env: NodeJS.ProcessEnv) => Lictor;
}): Promise<TokenWorld<{ -readonly [K in keyof Labels]: TestToken }>> {
  const softhsm = await createSoftHsm();
  const root = await mkdtemp(join(tmpdir(), `lictor-cli-${options.name}-`));
  const cleanup = async () => {
    await softhsm.cleanup();
    await rm(root, { recursive: true, force: true });
  };
  try {
    const tokens: TestToken[] = [];
    for (const label of options.labels) tokens.push(await softhsm.initToken(label));
    const data = join(root, 'center');
    const pinFile = join(root, 'token-pin');
    await writeFile(pinFile, `${USER_PIN}\n`, { mode: 0o600 });
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: join(root, 'home'),
      XDG_DATA_HOME: join(root, 'home', 'data'),
      SOFTHSM2_CONF: softhsm.conf,
    };
    const lictor = options.lictor(env);
    await lictor(['center', 'init', '--data', data]);
    const publicKey = (await lictor(['center', 'public-key', '--data', data])).trim();
    env.LICTOR_PUBLIC_KEY = publicKey;
    const features = (options.features ?? []).flatMap((f) => ['--feature', f]);
    await lictor(['center', 'product', 'add', 'CAD', '--name', 'CAD Studio', ...features, '--data', data]);
    const programArgs = (token: TestToken, serial: string, ...extra: string[]) => [
      'center',
      'token',
      'program',
      '--module',
      modulePath,
      '--token-serial',
      token.serial,
      '--serial',
      serial,
      '--company',
      'ACME Corp',
      '--email',
      'it@acme.example',
      '--data',
      data,
      ...extra,
    ];
    return {
      softhsm,
      tokens: tokens as { -readonly [K in keyof Labels]: TestToken },
      root,
      data,
      pinFile,
      env,
      publicKey,
      async issue(...args) {
        const out = await lictor(['center', 'issue', '--product', 'CAD', ...args, '--data', data, '--json']);
        const issued = JSON.parse(out) as { serial: string; pins: { pin: string }[] };
        return { serial: issued.serial, pins: issued.pins.map((p) => p.pin) };
      },
      programArgs,
      program: (token, serial) => lictor(programArgs(token, serial, '--pin-file', pinFile)),
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
