/**
 * Borrowing and the grace period through the command line, from the vendor to the laptop: `lictor
 * center issue --borrow-days --grace-minutes`, the license activated (offline) into a License
 * Manager's directory and shown by `lictor status`, the manager (`openManager()`) serving it with
 * both terms, `lictor borrow` on a laptop, `lictor check` there with the manager gone, the file
 * refused on another computer, and `lictor borrow return` after a restart of the manager.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openManager } from '@lictor/manager';
import { connectManager } from '@lictor/sdk';
import { cliOn, workstation } from './run-cli.js';

const MANAGER_HW = workstation('lm-1', '00:1b:1b:aa:bb:10');
const MANAGER_SECRET = new Uint8Array(32).fill(0x4d);
const LAPTOP_HW = workstation('laptop-3', '00:1b:1b:aa:bb:11');
const LAPTOP_SECRET = new Uint8Array(32).fill(0x4c);

test('lictor center issue --borrow-days --grace-minutes, lictor borrow, check offline, borrow return', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'lictor-cli-borrow-'));
  const data = join(root, 'center');
  const env: NodeJS.ProcessEnv = { HOME: join(root, 'home') };
  const vendor = cliOn({ env, hardware: MANAGER_HW, machineSecret: MANAGER_SECRET });
  await vendor.ok(['center', 'init', '--data', data]);
  env.LICTOR_PUBLIC_KEY = (await vendor.ok(['center', 'public-key', '--data', data])).trim();
  await vendor.ok(['center', 'product', 'add', 'CAD', '--name', 'CAD', '--feature', 'reports', '--data', data]);
  const terms = ['--borrow-days', '10', '--grace-minutes', '15'];
  const shown = await vendor.ok([
    'center',
    'issue',
    '--product',
    'CAD',
    '--type',
    'multi',
    '--users',
    '2',
    ...terms,
    '--data',
    data,
  ]);
  assert.match(shown, /^borrowing: up to 10 day\(s\)$/m);
  assert.match(shown, /^grace period: 15 minute\(s\)$/m);
  await vendor.refused(
    ['center', 'issue', '--product', 'CAD', '--type', 'multi', '--users', '2', '--borrow-days', '400', '--data', data],
    'LICTOR_E_INVALID_INPUT',
  );
  const issued = JSON.parse(
    await vendor.ok([
      'center',
      'issue',
      '--product',
      'CAD',
      '--type',
      'multi',
      '--users',
      '2',
      ...terms,
      '--json',
      '--data',
      data,
    ]),
  ) as { serial: string; pins: { pin: string }[]; borrowDays: number; graceMinutes: number };
  assert.deepEqual([issued.borrowDays, issued.graceMinutes], [10, 15]);

  // The license is activated on the manager's computer (offline, by request file) into its directory.
  const mgrData = join(root, 'manager');
  const mgrLicenses = join(mgrData, 'licenses');
  const mgrComputer = cliOn({ env, hardware: MANAGER_HW, machineSecret: MANAGER_SECRET });
  const request = join(root, 'request.lictor');
  const license = join(root, 'license.lic');
  await mgrComputer.ok([
    'activate',
    '--offline',
    ...['--serial', issued.serial, '--pin', issued.pins[0]?.pin ?? ''],
    ...['--company', 'Initech', '--email', 'it@initech.example', '--out', request, '--store', mgrLicenses],
  ]);
  await vendor.ok(['center', 'answer', request, '--out', license, '--data', data]);
  await mgrComputer.ok(['install', license, '--store', mgrLicenses]);
  const status = await mgrComputer.ok(['status', '--store', mgrLicenses]);
  assert.match(
    status,
    /seats may be borrowed for up to 10 day\(s\); a client keeps its seat 15 minute\(s\) after losing its License Manager/,
  );

  const serve = (port = 0) =>
    openManager({
      dataDir: mgrData,
      publicKey: env.LICTOR_PUBLIC_KEY as string,
      port,
      discoveryPort: 0,
      computer: { env: {}, hardware: async () => MANAGER_HW, machineSecret: async () => MANAGER_SECRET },
    });
  let running = await serve();
  // Closed before its directory is removed (after-hooks run in the order they were added), so
  // that nothing it writes as it closes lands in a directory being removed.
  t.after(async () => {
    await running.close();
    await rm(root, { recursive: true, force: true });
  });

  // The grace period reaches the lease answer: a seat is kept 15 minutes, not the 60 s lease TTL.
  const app = await connectManager({
    publicKey: env.LICTOR_PUBLIC_KEY as string,
    managers: [running.address],
    configPaths: [],
    env: {},
    discovery: false,
  });
  const lease = await app.acquire('CAD');
  const kept = lease.expiresAt.getTime() - Date.now();
  assert.ok(kept > 14 * 60_000 && kept <= 15 * 60_000, `kept ${kept} ms`);
  await app.close();

  // The laptop borrows a seat of CAD/reports for 3 days.
  const laptopStore = join(root, 'laptop');
  const laptop = cliOn({ env, hardware: LAPTOP_HW, machineSecret: LAPTOP_SECRET });
  const borrowArgs = ['borrow', '--manager', running.address, '--product', 'CAD', '--feature', 'reports'];
  const tooLong = await laptop.refused(
    [...borrowArgs, '--days', '11', '--store', laptopStore],
    'LICTOR_E_BORROW_NOT_ALLOWED',
  );
  assert.match(tooLong, /at most 10 day\(s\), not 11/);
  const borrowed = await laptop.ok([...borrowArgs, '--days', '3', '--store', laptopStore]);
  assert.match(borrowed, /^borrowed: CAD\/reports until \S+ \(seat \S+ from http:\/\/127\.0\.0\.1:\d+, serial LX-/m);
  assert.match(borrowed, /give it back early with: lictor borrow return/);
  await laptop.refused([...borrowArgs, '--days', '3', '--store', laptopStore], 'LICTOR_E_BORROW_HELD');
  assert.equal(running.manager.borrows().length, 1);

  // The manager is gone: the laptop works offline.
  await running.close();
  assert.match(
    await laptop.ok(['check', '--product', 'CAD', '--feature', 'reports', '--store', laptopStore]),
    /^licensed: CAD\/reports/,
  );
  const laptopStatus = await laptop.ok(['status', '--store', laptopStore]);
  assert.match(laptopStatus, /borrowed_\S+\.borrow: available/);
  assert.match(
    laptopStatus,
    /seat of CAD\/reports borrowed from http:\/\/127\.0\.0\.1:\d+ \(serial LX-\S+, multi\) from \S+ until \S+/,
  );

  // Copied to another computer, it is refused there.
  const deskStore = join(root, 'desk');
  await mkdir(deskStore);
  const [file] = (await readdir(laptopStore)).filter((f) => f.endsWith('.borrow'));
  await copyFile(join(laptopStore, file ?? ''), join(deskStore, file ?? ''));
  const desk = cliOn({
    env,
    hardware: workstation('desk-9', '00:1b:1b:aa:bb:12'),
    machineSecret: new Uint8Array(32).fill(9),
  });
  const refused = await desk.refused(['check', '--product', 'CAD', '--store', deskStore], 'LICTOR_E_HARDWARE_MISMATCH');
  assert.match(refused, /borrowed for another computer/);

  // The manager comes back (its state file kept the borrowed seat); the laptop gives it back.
  running = await serve(Number(new URL(running.address).port));
  assert.equal(running.manager.borrows().length, 1);
  const given = await laptop.ok([
    'borrow',
    'return',
    '--product',
    'CAD',
    '--feature',
    'reports',
    '--store',
    laptopStore,
  ]);
  assert.match(given, /^given back: CAD\/reports \(seat \S+\) to http:\/\/127\.0\.0\.1:\d+; .* removed$/m);
  assert.equal(running.manager.borrows().length, 0);
  assert.deepEqual(
    (await readdir(laptopStore)).filter((f) => f.endsWith('.borrow')),
    [],
  );
  await laptop.refused(['borrow', 'return', '--product', 'CAD', '--store', laptopStore], 'LICTOR_E_BORROW_UNKNOWN');
  await laptop.refused(['borrow', '--product', 'CAD'], 'LICTOR_E_INVALID_INPUT');
});
