/**
 * The end user's side of hardware tokens through the `lictor` command, against SoftHSM2 tokens
 * and a real `lictor center serve`: `lictor token list`, `status`/`check` with token licenses
 * (a token the vendor programmed), and `activate --bind-token`, then pulling the token out.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { HardwareParams } from '@lictor/protocol';
import { createSoftHsm, type SoftHsm, softhsmModule, type TestToken, USER_PIN } from '../../token/test/softhsm.js';
import { type CliRun, runCli } from './run-cli.js';

const BIN = fileURLToPath(new URL('../bin/lictor.js', import.meta.url));
const hsm = softhsmModule();

const DESKTOP: HardwareParams = {
  platform: 'linux',
  osName: 'Debian',
  osVersion: '12',
  hostname: 'design-03',
  board: 'Lenovo ThinkStation P3',
  ramBytes: 32 * 1024 ** 3,
  bios: 'Lenovo S0AKT1A',
  cpus: ['Intel Core i9-13900 (24 cores)'],
  nics: ['02:00:00:00:33:01'],
  disks: ['SAMSUNG-MZVL21T0'],
};

function startCenter(data: string, env: NodeJS.ProcessEnv): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'center', 'serve', '--data', data, '--port', '0'], { env });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve({ url: m[1], child });
    });
    child.on('exit', (code) => reject(new Error(`the center exited with ${code}: ${out}`)));
  });
}

describe('lictor token, status, check and activate --bind-token (SoftHSM2)', {
  skip: 'skip' in hsm ? hsm.skip : false,
}, () => {
  const modulePath = 'path' in hsm ? hsm.path : '';
  let softhsm: SoftHsm;
  let programmed: TestToken;
  let bound: TestToken;
  let root: string;
  let data: string;
  let pinFile: string;
  let env: NodeJS.ProcessEnv;
  let serial: string;
  let pins: string[];
  let publicKey: string;
  let center: ChildProcess | undefined;

  function lictor(args: string[]): Promise<CliRun> {
    return runCli(args, { env, hardware: DESKTOP });
  }

  async function ok(args: string[]): Promise<string> {
    const r = await lictor(args);
    assert.equal(r.code, 0, `lictor ${args.join(' ')} failed: ${r.err}`);
    return r.out;
  }

  before(async () => {
    softhsm = await createSoftHsm();
    programmed = await softhsm.initToken('programmed');
    bound = await softhsm.initToken('bound');
    root = await mkdtemp(join(tmpdir(), 'lictor-cli-user-token-'));
    data = join(root, 'center');
    pinFile = join(root, 'token-pin');
    await writeFile(pinFile, `${USER_PIN}\n`, { mode: 0o600 });
    env = { HOME: join(root, 'home'), XDG_DATA_HOME: join(root, 'home', 'data') };
    await ok(['center', 'init', '--data', data]);
    await ok(['center', 'product', 'add', 'CAD', '--name', 'CAD Studio', '--feature', 'render', '--data', data]);
    const issued = JSON.parse(
      await ok(
        ['center', 'issue', '--product', 'CAD', '--type', 'single', '--feature', 'render'].concat([
          '--pins',
          '3',
          '--max-active',
          '3',
          '--data',
          data,
          '--json',
        ]),
      ),
    ) as { serial: string; pins: { pin: string }[] };
    serial = issued.serial;
    pins = issued.pins.map((p) => p.pin);
    publicKey = (await ok(['center', 'public-key', '--data', data])).trim();
  });

  after(async () => {
    center?.kill('SIGTERM');
    await softhsm?.cleanup();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  test('token list shows the tokens the module sees', async () => {
    const listed = JSON.parse(await ok(['token', 'list', '--module', modulePath, '--json'])) as {
      module: string;
      tokens: {
        label: string;
        serial: string;
        manufacturer: string;
        model: string;
        present: boolean;
        initialized: boolean;
      }[];
    };
    assert.equal(listed.module, modulePath);
    const mine = listed.tokens
      .filter((t) => t.present && t.initialized)
      .map((t) => [t.label, t.serial, t.manufacturer, t.model]);
    assert.deepEqual(
      mine.sort(),
      [
        ['bound', bound.serial, 'SoftHSM project', 'SoftHSM v2'],
        ['programmed', programmed.serial, 'SoftHSM project', 'SoftHSM v2'],
      ].sort(),
    );
    const text = await ok(['token', 'list', '--module', modulePath]);
    assert.match(text, new RegExp(`"programmed" SoftHSM project SoftHSM v2, serial ${programmed.serial}`));
  });

  test('a token the vendor programmed licenses the product on the customer computer', async () => {
    const pinEnv = { ...env, LICTOR_TOKEN_PIN: USER_PIN };
    const program = await runCli(
      [
        'center',
        'token',
        'program',
        '--module',
        modulePath,
        '--token-serial',
        programmed.serial,
        '--serial',
        serial,
        '--company',
        'ACME Corp',
        '--email',
        'it@acme.example',
        '--data',
        data,
      ],
      { env: pinEnv, hardware: DESKTOP },
    );
    assert.equal(program.code, 0, program.err);

    const store = join(root, 'programmed-store');
    const common = ['--store', store, '--public-key', publicKey];
    const refused = await lictor(['check', '--product', 'CAD', ...common]);
    assert.equal(refused.code, 1, 'without token options the token is not looked at');

    const check = await lictor([
      'check',
      '--product',
      'CAD',
      '--feature',
      'render',
      ...common,
      '--token-module',
      modulePath,
      '--token-pin-file',
      pinFile,
    ]);
    assert.equal(check.code, 0, check.err);
    assert.match(check.out, new RegExp(`licensed: CAD/render \\(serial ${serial}`));

    const status = JSON.parse(
      await ok(['status', ...common, '--token-module', modulePath, '--token-pin-file', pinFile, '--json']),
    ) as { files: { path: string; available: boolean; onToken?: { serial: string } }[] };
    const onToken = status.files.find((f) => f.path === `token:SoftHSM project/${programmed.serial}`);
    assert.equal(onToken?.available, true, JSON.stringify(status.files));
    assert.equal(onToken?.onToken?.serial, programmed.serial);
    const text = await ok(['status', ...common, '--token-module', modulePath, '--token-pin-file', pinFile]);
    assert.match(text, /stored on the hardware token "programmed"/);
  });

  test('activate --bind-token binds a license to the token; check follows the token in and out', async () => {
    // The programmed token of the previous test licenses CAD too: out with it, so that only `bound` counts.
    await softhsm.unplug(programmed);
    const started = await startCenter(data, env);
    center = started.child;
    const store = join(root, 'bound-store');
    const common = ['--store', store, '--public-key', publicKey];
    const withToken = ['--token-module', modulePath, '--token-pin-file', pinFile];
    const pin = pins[2];
    assert.ok(pin);
    const activated = await lictor([
      'activate',
      '--center',
      started.url,
      '--serial',
      serial,
      '--pin',
      pin,
      '--company',
      'ACME Corp',
      '--email',
      'it@acme.example',
      '--bind-token',
      '--module',
      modulePath,
      '--token-label',
      'bound',
      '--token-pin-file',
      pinFile,
      ...common,
    ]);
    assert.equal(activated.code, 0, activated.err);
    assert.match(
      activated.out,
      new RegExp(
        `bound to hardware token SoftHSM project SoftHSM v2, serial ${bound.serial} \\(key 'lictor' generated on the token now\\)`,
      ),
    );

    const licensed = await lictor(['check', '--product', 'CAD', ...common, ...withToken]);
    assert.equal(licensed.code, 0, licensed.err);
    const notEnabled = await lictor(['check', '--product', 'CAD', ...common]);
    assert.equal(notEnabled.code, 1);
    assert.match(notEnabled.err, /LICTOR_E_TOKEN_ABSENT.*token licenses are not enabled here/);

    await softhsm.unplug(bound);
    try {
      const absent = await lictor(['check', '--product', 'CAD', ...common, ...withToken]);
      assert.equal(absent.code, 1);
      assert.match(absent.err, new RegExp(`LICTOR_E_TOKEN_ABSENT.*#${bound.serial} is not present; plug it in`));
    } finally {
      await softhsm.replug(bound);
    }
    assert.equal((await lictor(['check', '--product', 'CAD', ...common, ...withToken])).code, 0);
    await softhsm.replug(programmed);
  });
});
