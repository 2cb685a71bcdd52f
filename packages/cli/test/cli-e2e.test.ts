import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type BinSession, binSession } from './bin.js';

let root: string;
let session: BinSession;
const lictor = (...args: string[]) => session.attempt(...args);
const ok = (...args: string[]) => session.run(...args);

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-cli-'));
  // A private HOME and no inherited license paths, so the user's real files never interfere.
  session = binSession({
    PATH: process.env.PATH,
    HOME: join(root, 'home'),
    XDG_DATA_HOME: join(root, 'home', 'data'),
    LICTOR_LICENSE_PATH: join(root, 'licenses'),
  });
});

after(async () => {
  session.killAll();
  await rm(root, { recursive: true, force: true });
});

test('the whole first slice through the lictor command, against a real server', async () => {
  const data = join(root, 'center');
  const init = await ok('center', 'init', '--data', data);
  assert.match(init, /admin API token/);
  const publicKey = (await ok('center', 'public-key', '--data', data)).trim();
  assert.match(publicKey, /^lictor-ed25519:[A-Za-z0-9_-]{43}$/);
  assert.equal((await stat(join(data, 'vendor.key'))).mode & 0o777, 0o600);
  const again = await lictor('center', 'init', '--data', data);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /LICTOR_E_CENTER_EXISTS/);

  await ok(
    'center',
    'product',
    'add',
    'ERP',
    '--name',
    'ACME ERP',
    '--feature',
    'reports',
    '--feature',
    'api',
    '--data',
    data,
  );
  const issued = JSON.parse(
    await ok(
      'center',
      'issue',
      '--product',
      'ERP',
      '--type',
      'single',
      '--feature',
      'reports',
      '--feature',
      'api=5',
      '--pins',
      '2',
      '--max-active',
      '1',
      '--json',
      '--data',
      data,
    ),
  ) as { serial: string; pins: { pin: string }[] };
  assert.equal(issued.pins.length, 2);
  const [pin1, pin2] = issued.pins.map((p) => p.pin);

  const { url } = await session.serve('center', 'serve', '--data', data, '--port', '0');
  session.env.LICTOR_PUBLIC_KEY = publicKey;

  const activation = (serial: string, pin: string, company: string, email: string) => [
    'activate',
    '--center',
    url,
    '--serial',
    serial,
    '--pin',
    pin,
    '--company',
    company,
    '--email',
    email,
  ];
  const wrong = await lictor(...activation(issued.serial, 'AAAAA-AAAAA-AAAAA', 'Initech', 'it@initech.example'));
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /LICTOR_E_SERIAL_OR_PIN_INVALID/);

  const missingCheck = await lictor('check', '--product', 'ERP');
  assert.equal(missingCheck.code, 1);
  assert.match(missingCheck.stderr, /LICTOR_E_NOT_LICENSED/);

  const activated = await ok(...activation(issued.serial, pin1 ?? '', 'Initech', 'it@initech.example'));
  assert.match(activated, /^Activated serial LX-/m);
  const files = await readdir(join(root, 'licenses'));
  assert.equal(files.filter((f) => f.endsWith('.lic')).length, 1);

  assert.match(await ok('check', '--product', 'ERP', '--feature', 'api'), /licensed: ERP\/api/);
  const noFeature = await lictor('check', '--product', 'ERP', '--feature', 'payroll');
  assert.equal(noFeature.code, 1);
  assert.match(noFeature.stderr, /LICTOR_E_FEATURE_NOT_LICENSED/);

  const status = JSON.parse(await ok('status', '--json')) as { files: { available: boolean; serial: string }[] };
  assert.deepEqual(
    status.files.map((f) => [f.available, f.serial]),
    [[true, issued.serial]],
  );

  const limit = await lictor(...activation(issued.serial, pin2 ?? '', 'Initech', 'it@initech.example'));
  assert.equal(limit.code, 1);
  assert.match(limit.stderr, /LICTOR_E_ACTIVE_PIN_LIMIT/);

  const other = await lictor(...activation(issued.serial, pin1 ?? '', 'Globex', 'it@globex.example'));
  assert.equal(other.code, 1);
  assert.match(other.stderr, /LICTOR_E_PIN_USED/);

  const re = await ok(
    ...activation(issued.serial.toLowerCase(), pin1 ?? '', 'Initech', 'it@initech.example'),
    '--json',
  );
  assert.equal((JSON.parse(re) as { reactivated: boolean }).reactivated, true);

  const fingerprint = JSON.parse(await ok('fingerprint', '--json')) as { hostname: string; ramBytes: number };
  assert.ok(fingerprint.ramBytes > 0);

  const usage = await lictor('check');
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--product/);
});

/** Hardware parameters of a made-up computer, as the SDK sends them. */
const HARDWARE = {
  platform: 'linux',
  osName: 'Debian',
  osVersion: '12',
  hostname: 'ws-1',
  board: '',
  ramBytes: 8 * 1024 ** 3,
  bios: '',
  cpus: [],
  nics: ['52:54:00:12:34:56'],
  disks: [],
};

test('center serve --client-rate-limit and --serial-rate-limit: the fourth request waits, with Retry-After', async () => {
  const data = join(root, 'limited-center');
  await ok('center', 'init', '--data', data);
  const { url } = await session.serve(
    'center',
    'serve',
    '--data',
    data,
    '--port',
    '0',
    '--client-rate-limit',
    '3',
    '--serial-rate-limit',
    '0',
  );
  const statuses: number[] = [];
  let last: Response | undefined;
  for (let i = 0; i < 4; i++) {
    last = await fetch(`${url}/v1/activations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ serial: 'LX-AAAA-BBBB-CCCC', pin: 'AAAAA-AAAAA-AAAAA', owner: {}, hardware: HARDWARE }),
    });
    statuses.push(last.status);
  }
  assert.deepEqual(statuses.slice(3), [429]);
  assert.ok(
    statuses.slice(0, 3).every((s) => s === 400 || s === 403),
    String(statuses),
  );
  assert.ok(last);
  // 3 a minute: the next is allowed 20 s after the first, less the time the four requests took.
  const retryAfter = Number(last.headers.get('retry-after'));
  assert.ok(retryAfter >= 1 && retryAfter <= 20, `Retry-After ${retryAfter}`);
  assert.equal(((await last.json()) as { code: string }).code, 'LICTOR_E_RATE_LIMITED');
  const bad = await lictor('center', 'serve', '--data', data, '--client-rate-limit', '-1');
  assert.equal(bad.code, 2);
});
