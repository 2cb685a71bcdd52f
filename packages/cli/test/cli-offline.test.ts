import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Cli, cliOn, workstation } from './run-cli.js';

let root: string;
let data: string;
let env: NodeJS.ProcessEnv;
/** `lictor` on the plant's computer. */
let plant: Cli;

const PLANT = workstation('plant-07', '00:1b:1b:aa:bb:01');
const lictor = (args: string[]) => plant.run(args);
const ok = (args: string[]) => plant.ok(args);

let serial: string;
let pins: string[];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-cli-offline-'));
  data = join(root, 'center');
  env = { HOME: join(root, 'home'), XDG_DATA_HOME: join(root, 'home', 'data') };
  plant = cliOn({ env, hardware: PLANT });
  await ok(['center', 'init', '--data', data]);
  env.LICTOR_PUBLIC_KEY = (await ok(['center', 'public-key', '--data', data])).trim();
  await ok(['center', 'product', 'add', 'SCADA', '--name', 'Plant SCADA', '--feature', 'historian', '--data', data]);
  const issued = JSON.parse(
    await ok([
      'center',
      'issue',
      '--product',
      'SCADA',
      '--type',
      'single',
      '--pins',
      '4',
      '--max-active',
      '4',
      '--json',
      '--data',
      data,
    ]),
  ) as { serial: string; pins: { pin: string }[] };
  serial = issued.serial;
  pins = issued.pins.map((p) => p.pin);
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('offline round trip by request file between two data directories', async () => {
  const store = join(root, 'plant-a');
  const requestFile = join(root, 'request.lictor');
  const made = await ok([
    'activate',
    '--offline',
    '--serial',
    serial,
    '--pin',
    pins[0] ?? '',
    '--company',
    'Initech',
    '--email',
    'it@initech.example',
    '--product',
    'SCADA',
    '--out',
    requestFile,
    '--store',
    store,
  ]);
  assert.match(made, /Request written to/);
  const requestText = await readFile(requestFile, 'utf8');
  assert.equal(requestText.includes(pins[0] ?? '?'), false, 'the PIN is not in the request');

  const pending = JSON.parse(await ok(['requests', '--store', store, '--json'])) as { status: string }[];
  assert.deepEqual(
    pending.map((r) => r.status),
    ['pending'],
  );

  const preview = await ok(['center', 'answer', requestFile, '--preview', '--data', data]);
  assert.match(preview, /product SCADA/);
  assert.match(preview, /plant-07/);

  const licenseFile = join(root, 'answer.lic');
  // The request crossed an e-mail client: CRLF and quoting must not matter.
  const mailed = join(root, 'mailed.lictor');
  const quoted = requestText
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\r\n');
  await writeFile(mailed, `Hello,\r\n\r\n${quoted}\r\nThanks`);
  await ok(['center', 'answer', mailed, '--out', licenseFile, '--data', data]);

  const installed = await ok(['install', licenseFile, '--store', store]);
  assert.match(installed, /^Installed serial/m);
  assert.match(await ok(['check', '--product', 'SCADA', '--feature', 'historian', '--store', store]), /licensed/);

  const twice = await lictor(['install', licenseFile, '--store', store]);
  assert.equal(twice.code, 1);
  assert.match(twice.err, /LICTOR_E_ALREADY_INSTALLED/);

  const elsewhere = await lictor(['install', licenseFile, '--store', join(root, 'plant-z')]);
  assert.equal(elsewhere.code, 1);
  assert.match(elsewhere.err, /LICTOR_E_REQUEST_UNKNOWN/);
});

test('offline round trip by short codes, read aloud', async () => {
  const store = join(root, 'plant-b');
  const other = cliOn({ env, hardware: workstation('plant-08', '00:1b:1b:aa:bb:02') });
  const request = JSON.parse(
    await other.ok([
      'activate',
      '--offline',
      '--code',
      '--serial',
      serial,
      '--pin',
      pins[1] ?? '',
      '--company',
      'Initech',
      '--email',
      'it@initech.example',
      '--store',
      store,
      '--json',
    ]),
  ) as { text: string };
  assert.match(request.text, /^([0-9A-Z]{6}-){10}[0-9A-Z]{6}$/);

  const typo = `${request.text.slice(0, 7)}${request.text[7] === 'X' ? 'Y' : 'X'}${request.text.slice(8)}`;
  const refused = await lictor([
    'center',
    'answer',
    '--code',
    typo,
    '--company',
    'Initech',
    '--email',
    'it@initech.example',
    '--data',
    data,
  ]);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /LICTOR_E_CODE_INVALID.*group 2/);

  const answered = JSON.parse(
    await ok([
      'center',
      'answer',
      '--code',
      request.text.toLowerCase(),
      '--company',
      'Initech',
      '--email',
      'it@initech.example',
      '--json',
      '--data',
      data,
    ]),
  ) as { answer: string };
  await other.ok(['install', '--code', answered.answer, '--store', store]);
  assert.match(await other.ok(['check', '--product', 'SCADA', '--store', store]), /licensed/);
  const status = JSON.parse(await other.ok(['status', '--store', store, '--json'])) as {
    files: { available: boolean; licenses: { product: string }[] }[];
  };
  assert.deepEqual(
    status.files.filter((f) => f.available).map((f) => f.licenses[0]?.product),
    ['SCADA'],
  );
});

test('a pending request can be cancelled; its answer then no longer installs', async () => {
  const store = join(root, 'plant-c');
  const made = JSON.parse(
    await ok([
      'activate',
      '--offline',
      '--serial',
      serial,
      '--pin',
      pins[2] ?? '',
      '--company',
      'Initech',
      '--email',
      'it@initech.example',
      '--store',
      store,
      '--json',
      '--out',
      join(root, 'c.lictor'),
    ]),
  ) as { id: string };
  await ok(['center', 'answer', join(root, 'c.lictor'), '--out', join(root, 'c.lic'), '--data', data]);
  await ok(['requests', 'cancel', made.id, '--store', store]);
  const r = await lictor(['install', join(root, 'c.lic'), '--store', store]);
  assert.equal(r.code, 1);
  assert.match(r.err, /cancelled/);
});
