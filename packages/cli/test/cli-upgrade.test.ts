import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Cli, cliOn, workstation } from './run-cli.js';

const VM = workstation('analytics-vm', '52:54:00:aa:00:01');
const THIS_MACHINE = new Uint8Array(32).fill(7);
const OTHER_MACHINE = new Uint8Array(32).fill(9);

let root: string;
let data: string;
let store: string;
let env: NodeJS.ProcessEnv;
/** `lictor` on the VM, and on another computer with the same hardware but another machine secret. */
let vm: Cli;
let copy: Cli;
const ok = (args: string[]) => vm.ok(args);
const refused = (args: string[], code: string) => vm.refused(args, code);

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-cli-upgrade-'));
  data = join(root, 'center');
  store = join(root, 'vm-licenses');
  env = { HOME: join(root, 'home'), XDG_DATA_HOME: join(root, 'home', 'data') };
  vm = cliOn({ env, hardware: VM, machineSecret: THIS_MACHINE });
  copy = cliOn({ env, hardware: VM, machineSecret: OTHER_MACHINE });
  await ok(['center', 'init', '--data', data]);
  env.LICTOR_PUBLIC_KEY = (await ok(['center', 'public-key', '--data', data])).trim();
  await ok([
    'center',
    'product',
    'add',
    'MINER',
    '--name',
    'Data Miner',
    '--feature',
    'etl',
    '--feature',
    'reports',
    '--feature',
    'ml',
    '--data',
    data,
  ]);
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('a software dongle: activated once, upgraded by question, answer and confirmation code', async () => {
  const issued = JSON.parse(
    await ok([
      'center',
      'issue',
      '--product',
      'MINER',
      '--type',
      'single',
      '--feature',
      'etl',
      '--feature',
      'reports',
      '--policy',
      'software-dongle',
      '--pins',
      '1',
      '--days',
      '30',
      '--json',
      '--data',
      data,
    ]),
  ) as { serial: string; pins: { pin: string }[] };
  const pin = issued.pins[0]?.pin ?? '';
  const owner = ['--company', 'Initech', '--email', 'it@initech.example'];

  // Activation by request file (the VM has no network).
  await ok([
    'activate',
    '--offline',
    '--serial',
    issued.serial,
    '--pin',
    pin,
    ...owner,
    '--out',
    join(root, 'req'),
    '--store',
    store,
  ]);
  await ok(['center', 'answer', join(root, 'req'), '--out', join(root, 'lic'), '--data', data]);
  await ok(['install', join(root, 'lic'), '--store', store]);
  await refused(['check', '--product', 'MINER', '--feature', 'ml', '--store', store], 'LICTOR_E_FEATURE_NOT_LICENSED');

  // Activated once: the same PIN is never activated again, not even for the same owner and computer.
  await ok([
    'activate',
    '--offline',
    '--serial',
    issued.serial,
    '--pin',
    pin,
    ...owner,
    '--out',
    join(root, 'req2'),
    '--store',
    join(root, 'x'),
  ]);
  await refused(
    ['center', 'answer', join(root, 'req2'), '--out', join(root, 'lic2'), '--data', data],
    'LICTOR_E_PIN_USED',
  );

  // 1. The question; a second start abandons the first question.
  await ok(['upgrade', 'start', '--out', join(root, 'q1'), '--store', store]);
  await ok(['upgrade', 'start', '--out', join(root, 'q2'), '--store', store]);
  // 2. The vendor answers both; only the newest applies.
  await ok(['center', 'upgrade', join(root, 'q1'), '--add-feature', 'ml=5', '--out', join(root, 'a1'), '--data', data]);
  await ok([
    'center',
    'upgrade',
    join(root, 'q2'),
    '--add-feature',
    'ml=5',
    '--extend-days',
    '365',
    '--out',
    join(root, 'a2'),
    '--data',
    data,
  ]);
  await refused(['upgrade', 'continue', join(root, 'a1'), '--store', store], 'LICTOR_E_UPGRADE_ABANDONED');

  // 3. Apply: the new contents are there at once, and a confirmation code comes out.
  const applied = JSON.parse(await ok(['upgrade', 'continue', join(root, 'a2'), '--store', store, '--json'])) as {
    confirmationCode: string;
    counter: number;
  };
  assert.equal(applied.counter, 1);
  assert.match(await ok(['check', '--product', 'MINER', '--feature', 'ml', '--store', store]), /licensed: MINER\/ml/);
  await refused(['upgrade', 'continue', join(root, 'a2'), '--store', store], 'LICTOR_E_UPGRADE_STALE');
  assert.equal((await ok(['upgrade', 'confirmation', '--store', store])).trim(), applied.confirmationCode);

  // 4. The vendor records the confirmation; a mistyped code names its group.
  const code = applied.confirmationCode;
  const typo = `${code.slice(0, 7)}${code[7] === 'X' ? 'Y' : 'X'}${code.slice(8)}`;
  await refused(['center', 'confirm', typo, '--data', data], 'LICTOR_E_CODE_INVALID.*group 2');
  await ok(['center', 'confirm', code, '--data', data]);
  const upgrades = JSON.parse(
    await ok(['center', 'upgrades', '--serial', issued.serial, '--json', '--data', data]),
  ) as {
    status: string;
    question: string;
    answer: string;
    confirmation: string | null;
  }[];
  assert.deepEqual(upgrades.map((u) => u.status).sort(), ['confirmed', 'superseded']);
  const confirmed = upgrades.find((u) => u.status === 'confirmed');
  assert.match(confirmed?.question ?? '', /BEGIN LICTOR QUESTION/);
  assert.match(confirmed?.answer ?? '', /BEGIN LICTOR LICENSE/);
  assert.ok(confirmed?.confirmation);

  // The container copied to another computer does not open there, and says why.
  const elsewhere = JSON.parse(await copy.ok(['status', '--store', store, '--json'])) as {
    files: { code?: string; reason?: string }[];
  };
  assert.equal(elsewhere.files[0]?.code, 'LICTOR_E_CONTAINER_MOVED');
  assert.match(elsewhere.files[0]?.reason ?? '', /another computer/);
});

test('an upgrade that takes away: the preview shows before and after, and the feature is gone at the check', async () => {
  const issued = JSON.parse(
    await ok([
      'center',
      'issue',
      '--product',
      'MINER',
      '--type',
      'single',
      '--feature',
      'etl',
      '--feature',
      'reports',
      '--pins',
      '1',
      '--json',
      '--data',
      data,
    ]),
  ) as { serial: string; pins: { pin: string }[] };
  const shop = join(root, 'shop-licenses');
  const at = (name: string) => join(root, `takeaway-${name}`);
  const owner = ['--company', 'Initrode', '--email', 'it@initrode.example'];
  const pin = issued.pins[0]?.pin ?? '';
  await ok([
    'activate',
    '--offline',
    '--serial',
    issued.serial,
    '--pin',
    pin,
    ...owner,
    '--out',
    at('req'),
    '--store',
    shop,
  ]);
  await ok(['center', 'answer', at('req'), '--out', at('lic'), '--data', data]);
  await ok(['install', at('lic'), '--store', shop]);
  assert.match(await ok(['check', '--product', 'MINER', '--feature', 'reports', '--store', shop]), /licensed/);

  await ok(['upgrade', 'start', '--out', at('q1'), '--store', shop]);
  await refused(
    ['center', 'upgrade', at('q1'), '--type', 'server', '--out', at('bad'), '--data', data],
    'LICTOR_E_INVALID_INPUT.*client and server',
  );
  const dry = await ok(['center', 'upgrade', at('q1'), '--remove-feature', 'reports', '--dry-run', '--data', data]);
  assert.match(dry, /Preview \(nothing written\)/);
  assert.match(dry, /MINER feature removed: reports/);
  await refused(['center', 'upgrade', at('q1'), '--expire-now', '--data', data], 'give --out FILE');
  const preview = await ok([
    'center',
    'upgrade',
    at('q1'),
    '--remove-feature',
    'reports',
    '--type',
    'multi',
    '--users',
    '*=5',
    '--expires',
    '2099-12-31',
    '--out',
    at('a1'),
    '--data',
    data,
  ]);
  assert.match(preview, /MINER type: single → multi/);
  assert.match(preview, /MINER users: 1 → 5/);
  assert.match(preview, /MINER expires: perpetual → 2100-01-01T00:00:00.000Z/);
  assert.match(preview, /MINER feature removed: reports/);
  assert.match(preview, /before: MINER: single, expires perpetual, features etl, reports/);
  assert.match(preview, /after: {2}MINER: multi, 5 users, expires 2100-01-01T00:00:00.000Z, features etl/);
  await ok(['upgrade', 'continue', at('a1'), '--store', shop]);
  // Now multi-user: a client computer's check is refused, a server's is served.
  await refused(['check', '--product', 'MINER', '--feature', 'etl', '--store', shop], 'LICTOR_E_NETWORK_LICENSE');
  assert.match(
    await ok(['check', '--product', 'MINER', '--feature', 'etl', '--role', 'server', '--store', shop]),
    /licensed: MINER\/etl/,
  );
  await refused(
    ['check', '--product', 'MINER', '--feature', 'reports', '--role', 'server', '--store', shop],
    'LICTOR_E_FEATURE_NOT_LICENSED',
  );

  // Ended now: the check names the end, not a missing feature.
  await ok(['upgrade', 'start', '--out', at('q2'), '--store', shop]);
  const ended = await ok(['center', 'upgrade', at('q2'), '--expire-now', '--out', at('a2'), '--data', data]);
  assert.match(ended, /MINER expires: 2100-01-01T00:00:00.000Z → /);
  await ok(['upgrade', 'continue', at('a2'), '--store', shop]);
  await refused(
    ['check', '--product', 'MINER', '--feature', 'etl', '--role', 'server', '--store', shop],
    'LICTOR_E_LICENSE_EXPIRED',
  );
});

test('lictor check --role and --bitness: a 32-bit server license serves a 32-bit server process only', async () => {
  const issued = JSON.parse(
    await ok([
      'center',
      'issue',
      '--product',
      'MINER',
      '--type',
      'server',
      '--arch',
      'x86',
      '--pins',
      '1',
      '--json',
      '--data',
      data,
    ]),
  ) as { serial: string; pins: { pin: string }[] };
  const srv = join(root, 'server-licenses');
  const at = (name: string) => join(root, `server-${name}`);
  const pin = issued.pins[0]?.pin ?? '';
  await ok([
    'activate',
    '--offline',
    '--serial',
    issued.serial,
    '--pin',
    pin,
    '--company',
    'Initech',
    '--email',
    'it@initech.example',
    '--out',
    at('req'),
    '--store',
    srv,
  ]);
  await ok(['center', 'answer', at('req'), '--out', at('lic'), '--data', data]);
  await ok(['install', at('lic'), '--store', srv]);
  const check = ['check', '--product', 'MINER', '--store', srv];
  await refused(check, 'LICTOR_E_SERVER_LICENSE');
  await refused([...check, '--role', 'server', '--bitness', '64'], 'LICTOR_E_ARCH_MISMATCH');
  assert.match(await ok([...check, '--role', 'server', '--bitness', '32']), /licensed: MINER/);
  const wrong = await vm.run([...check, '--role', 'desktop']);
  assert.equal(wrong.code, 2, 'a usage error');
  assert.match(wrong.err, /Allowed choices are client, server/);
});
