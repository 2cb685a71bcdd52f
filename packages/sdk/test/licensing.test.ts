import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  encodeBlacklist,
  encodeLicenseFile,
  generateVendorKeys,
  type HardwareParams,
  type LicenseDocument,
  type LicenseEntry,
  loadSigner,
} from '@lictor/protocol';
import { type Licensing, licenseSearchPaths, licenseWriteDir, openLicensing } from '../src/index.js';

const vendor = loadSigner(generateVendorKeys().privatePem);
const otherVendor = loadSigner(generateVendorKeys().privatePem);

const HW: HardwareParams = {
  platform: 'linux',
  osName: 'Debian GNU/Linux',
  osVersion: '12',
  hostname: 'ws-017',
  board: 'ASUSTeK PRIME B650',
  ramBytes: 16 * 1024 ** 3,
  bios: 'AMI 1.2.3',
  cpus: ['AMD Ryzen 7 7700 (8 cores)'],
  nics: ['52:54:00:12:34:56'],
  disks: ['S6PNNS0W123456'],
};

function entry(overrides: Partial<LicenseEntry> = {}): LicenseEntry {
  return {
    product: 'ERP',
    type: 'single',
    users: 1,
    sessions: null,
    arch: null,
    expiresAt: null,
    features: [
      { code: 'reports', users: null },
      { code: 'api', users: 5 },
    ],
    ...overrides,
  };
}

let counter = 0;
function doc(overrides: Partial<LicenseDocument> = {}): LicenseDocument {
  counter++;
  return {
    format: 1,
    containerId: `c${counter}`,
    activationId: `a${counter}`,
    serial: 'LX-AAAA-BBBB-CCCC',
    pin: 1,
    issuedAt: '2026-01-01T00:00:00.000Z',
    counter: 0,
    owner: { company: 'Initech', email: 'it@initech.example' },
    binding: { kind: 'hardware', hardware: HW },
    licenses: [entry()],
    ...overrides,
  };
}

let root: string;
/** Every licensing opened by {@link open}: closed before the directories go (their watchers reload, and loads write the clock mark). */
const opened: Licensing[] = [];
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-sdk-'));
});
after(async () => {
  for (const l of opened.splice(0)) await l.close();
  await rm(root, { recursive: true, force: true });
});

async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(root, 'store-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

function open(
  dir: string | string[],
  opts: {
    hardware?: HardwareParams;
    now?: () => number;
    arch?: string;
    role?: 'client' | 'server';
    bitness?: 32 | 64;
    store?: string;
  } = {},
) {
  const opening = openLicensing({
    ...(opts.role ? { role: opts.role } : {}),
    ...(opts.bitness ? { bitness: opts.bitness } : {}),
    ...(opts.store ? { store: opts.store } : {}),
    product: 'ERP',
    publicKey: vendor.publicKey.text,
    paths: Array.isArray(dir) ? dir : [dir],
    hardware: async () => opts.hardware ?? HW,
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.arch ? { arch: opts.arch } : {}),
  });
  return opening.then((l) => {
    opened.push(l);
    return l;
  });
}

describe('availability', () => {
  test('a valid file bound to this computer licenses the product and its features', async () => {
    const dir = await dirWith({ 'a.lic': encodeLicenseFile(doc(), vendor) });
    const lic = await open(dir);
    const r = lic.check();
    assert.equal(r.ok, true);
    assert.equal(r.ok && r.serial, 'LX-AAAA-BBBB-CCCC');
    const api = lic.check('api');
    assert.equal(api.ok && api.users, 5);
    const missing = lic.check('payroll');
    assert.equal(missing.ok, false);
    assert.equal(!missing.ok && missing.code, 'LICTOR_E_FEATURE_NOT_LICENSED');
    // Answers are built at load: checking again hands out the very same objects, allocating nothing.
    assert.equal(lic.check('api'), api);
    assert.equal(lic.check('payroll'), missing);
  });

  test('no file for the product: NOT_LICENSED naming the searched paths', async () => {
    const dir = await dirWith({});
    const r = (await open(dir)).check();
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.code, 'LICTOR_E_NOT_LICENSED');
    assert.match(!r.ok ? r.reason : '', new RegExp(dir.replaceAll('/', '\\/')));
  });

  const hardwareCases: { name: string; hw: HardwareParams; ok: boolean; reason?: RegExp }[] = [
    { name: 'a network adapter added', hw: { ...HW, nics: [...HW.nics, '52:54:00:99:99:99'] }, ok: true },
    { name: 'more RAM', hw: { ...HW, ramBytes: 32 * 1024 ** 3 }, ok: true },
    {
      name: 'the network adapter replaced',
      hw: { ...HW, nics: ['52:54:00:99:99:99'] },
      ok: false,
      reason: /network adapter 52:54:00:12:34:56 removed/,
    },
    {
      name: 'less RAM',
      hw: { ...HW, ramBytes: 8 * 1024 ** 3 },
      ok: false,
      reason: /RAM 8 GiB is below the activated 16 GiB/,
    },
    { name: 'the disk removed', hw: { ...HW, disks: [] }, ok: false, reason: /hard drive S6PNNS0W123456 removed/ },
  ];
  for (const c of hardwareCases) {
    test(`hardware: ${c.name} → ${c.ok ? 'available' : 'HARDWARE_MISMATCH'}`, async () => {
      const dir = await dirWith({ 'a.lic': encodeLicenseFile(doc(), vendor) });
      const r = (await open(dir, { hardware: c.hw })).check();
      assert.equal(r.ok, c.ok);
      if (!r.ok) {
        assert.equal(r.code, 'LICTOR_E_HARDWARE_MISMATCH');
        assert.match(r.reason, c.reason ?? /./);
      }
    });
  }

  test('expiry is decided at every check, with no reload', async () => {
    let now = Date.parse('2026-06-01T00:00:00Z');
    const dir = await dirWith({
      'a.lic': encodeLicenseFile(doc({ licenses: [entry({ expiresAt: '2026-07-01T00:00:00.000Z' })] }), vendor),
    });
    const lic = await open(dir, { now: () => now });
    assert.equal(lic.check('reports').ok, true);
    now = Date.parse('2026-07-01T00:00:00Z');
    const r = lic.check('reports');
    assert.equal(!r.ok && r.code, 'LICTOR_E_LICENSE_EXPIRED');
  });

  test('of two licenses, the one that lasts longer serves the check', async () => {
    const dir = await dirWith({
      'short.lic': encodeLicenseFile(
        doc({ serial: 'LX-1111-1111-1111', licenses: [entry({ expiresAt: '2026-02-01T00:00:00.000Z' })] }),
        vendor,
      ),
      'long.lic': encodeLicenseFile(
        doc({ serial: 'LX-2222-2222-2222', licenses: [entry({ expiresAt: '2027-02-01T00:00:00.000Z' })] }),
        vendor,
      ),
    });
    const r = (await open(dir, { now: () => Date.parse('2026-03-01T00:00:00Z') })).check();
    assert.equal(r.ok && r.serial, 'LX-2222-2222-2222');
  });

  test('type rules: single serves a client, multi a server, server licenses a server process of the allowed bitness', async () => {
    const single = await dirWith({ 's.lic': encodeLicenseFile(doc(), vendor) });
    assert.equal((await open(single)).check().ok, true, 'client is the default role');
    const asServer = (await open(single, { role: 'server' })).check();
    assert.equal(!asServer.ok && asServer.code, 'LICTOR_E_CLIENT_LICENSE');

    const multi = await dirWith({
      'm.lic': encodeLicenseFile(doc({ licenses: [entry({ type: 'multi', users: 10 })] }), vendor),
    });
    const onClient = (await open(multi)).check();
    assert.equal(!onClient.ok && onClient.code, 'LICTOR_E_NETWORK_LICENSE');
    const onServer = (await open(multi, { role: 'server' })).check('api');
    assert.equal(onServer.ok && onServer.type, 'multi');

    const x86 = await dirWith({
      's.lic': encodeLicenseFile(doc({ licenses: [entry({ type: 'server', arch: 'x86' })] }), vendor),
    });
    const client = (await open(x86, { bitness: 32 })).check();
    assert.equal(!client.ok && client.code, 'LICTOR_E_SERVER_LICENSE');
    const wide = (await open(x86, { role: 'server', bitness: 64 })).check();
    assert.equal(!wide.ok && wide.code, 'LICTOR_E_ARCH_MISMATCH');
    assert.equal((await open(x86, { role: 'server', bitness: 32 })).check().ok, true);
    // Without bitness, the process's architecture decides.
    assert.equal((await open(x86, { role: 'server', arch: 'ia32' })).check().ok, true);
    assert.equal((await open(x86, { role: 'server', arch: 'x64' })).check().ok, false);
    const x64 = await dirWith({
      's.lic': encodeLicenseFile(doc({ licenses: [entry({ type: 'server', arch: 'x64' })] }), vendor),
    });
    assert.equal((await open(x64, { role: 'server', bitness: 32 })).check().ok, true);
    assert.equal((await open(x64, { role: 'server', bitness: 64 })).check().ok, true);
    const sessions = await dirWith({
      's.lic': encodeLicenseFile(
        doc({ licenses: [entry({ type: 'server-sessions', sessions: 20, arch: 'x86' })] }),
        vendor,
      ),
    });
    assert.equal((await open(sessions, { role: 'server', bitness: 64 })).check().ok, true, 'any bitness');
    const sessionsClient = (await open(sessions)).check();
    assert.equal(!sessionsClient.ok && sessionsClient.code, 'LICTOR_E_SERVER_LICENSE');
    await assert.rejects(open(single, { role: 'desktop' as 'client' }), /role must be client or server/);
  });

  test('check(feature) names why the license that would grant the feature cannot, not "does not include"', async () => {
    const elsewhere = { ...HW, nics: ['52:54:00:99:99:99'], disks: ['OTHER'] };
    const dir = await dirWith({
      'base.lic': encodeLicenseFile(doc({ serial: 'LX-BASE-0000-0001', licenses: [entry({ features: [] })] }), vendor),
      'moved.lic': encodeLicenseFile(
        doc({
          serial: 'LX-MOVE-0000-0002',
          binding: { kind: 'hardware', hardware: elsewhere },
          licenses: [entry({ features: [{ code: 'payroll', users: null }] })],
        }),
        vendor,
      ),
      'dongle.lic': encodeLicenseFile(
        doc({
          serial: 'LX-DONG-0000-0003',
          binding: {
            kind: 'token',
            token: { manufacturer: 'SoftHSM project', model: 'SoftHSM v2', serial: 'abc' },
            publicKey: 'lictor-p256:AAAA',
          },
          licenses: [entry({ features: [{ code: 'ledger', users: null }] })],
        }),
        vendor,
      ),
      'server.lic': encodeLicenseFile(
        doc({
          serial: 'LX-SERV-0000-0004',
          licenses: [entry({ type: 'server', arch: 'x64', features: [{ code: 'olap', users: null }] })],
        }),
        vendor,
      ),
      'old.lic': encodeLicenseFile(
        doc({
          serial: 'LX-OLDX-0000-0005',
          licenses: [entry({ expiresAt: '2020-01-01T00:00:00.000Z', features: [{ code: 'archive', users: null }] })],
        }),
        vendor,
      ),
    });
    const lic = await open(dir);
    assert.equal(lic.check().ok, true);
    const moved = lic.check('payroll');
    assert.equal(!moved.ok && moved.code, 'LICTOR_E_HARDWARE_MISMATCH');
    assert.match(!moved.ok ? moved.reason : '', /moved\.lic/);
    const pulled = lic.check('ledger');
    assert.equal(!pulled.ok && pulled.code, 'LICTOR_E_TOKEN_ABSENT');
    const server = lic.check('olap');
    assert.equal(!server.ok && server.code, 'LICTOR_E_SERVER_LICENSE');
    const expired = lic.check('archive');
    assert.equal(!expired.ok && expired.code, 'LICTOR_E_LICENSE_EXPIRED');
    const missing = lic.check('nowhere');
    assert.equal(!missing.ok && missing.code, 'LICTOR_E_FEATURE_NOT_LICENSED');
  });

  test('of several files of one serial, the one used most recently wins over one created earlier than that use', async () => {
    const store = await mkdtemp(join(root, 'usage-'));
    let clock = Date.parse('2026-03-01T00:00:00Z');
    await writeFile(join(store, 'a.lic'), encodeLicenseFile(doc({ issuedAt: '2026-01-01T00:00:00.000Z' }), vendor));
    const first = await open(store, { store, now: () => clock });
    const used = first.check();
    assert.equal(used.ok && used.file, join(store, 'a.lic'));
    await first.close(); // writes the record of use
    const record = JSON.parse(await readFile(join(store, 'lictor-usage.json'), 'utf8')) as Record<string, number>;
    assert.equal(record[join(store, 'a.lic')], clock);

    // b.lic was created (issued) before a.lic's last use: a.lic stays in use.
    await writeFile(join(store, 'b.lic'), encodeLicenseFile(doc({ issuedAt: '2026-02-01T00:00:00.000Z' }), vendor));
    clock += 86_400_000;
    const second = await open(store, { store, now: () => clock });
    const r = second.check();
    assert.equal(r.ok && r.file, join(store, 'a.lic'));
    assert.equal(second.status().find((f) => f.path === join(store, 'b.lic'))?.supersededBy, join(store, 'a.lic'));
    await second.close();
    // A file issued after that use wins.
    await writeFile(join(store, 'c.lic'), encodeLicenseFile(doc({ issuedAt: '2026-03-05T00:00:00.000Z' }), vendor));
    const third = await open(store, { store, now: () => clock });
    const c = third.check();
    assert.equal(c.ok && c.file, join(store, 'c.lic'));
    await third.close();
  });

  test('two products sharing a store keep both their records of use (each write merges the file)', async () => {
    const store = await mkdtemp(join(root, 'usage-shared-'));
    const clock = Date.parse('2026-03-01T00:00:00Z');
    await writeFile(join(store, 'erp.lic'), encodeLicenseFile(doc(), vendor));
    await writeFile(
      join(store, 'cad.lic'),
      encodeLicenseFile(doc({ serial: 'LX-CADX-0000-0001', licenses: [entry({ product: 'CAD' })] }), vendor),
    );
    const erp = await open(store, { store, now: () => clock });
    const cad = await openLicensing({
      product: 'CAD',
      publicKey: vendor.publicKey.text,
      paths: [store],
      store,
      hardware: async () => HW,
      now: () => clock + 1000,
      watch: false,
    });
    assert.equal(erp.check().ok, true);
    assert.equal(cad.check().ok, true);
    // Closed together: both write the record, neither loses the other's time.
    await Promise.all([erp.close(), cad.close()]);
    const record = JSON.parse(await readFile(join(store, 'lictor-usage.json'), 'utf8')) as Record<string, number>;
    assert.deepEqual(record, { [join(store, 'erp.lic')]: clock, [join(store, 'cad.lic')]: clock + 1000 });
  });

  test('several files for one serial: the most recent one is used, the others are superseded', async () => {
    const dir = await dirWith({
      'old.lic': encodeLicenseFile(doc({ issuedAt: '2026-01-01T00:00:00.000Z' }), vendor),
      'new.lic': encodeLicenseFile(doc({ issuedAt: '2026-02-01T00:00:00.000Z' }), vendor),
    });
    const lic = await open(dir);
    const r = lic.check();
    assert.equal(r.ok && r.file, join(dir, 'new.lic'));
    const old = lic.status().find((f) => f.path.endsWith('old.lic'));
    assert.equal(old?.supersededBy, join(dir, 'new.lic'));
  });

  test('blacklisted serials and activations are refused', async () => {
    const d = doc();
    const dir = await dirWith({
      'a.lic': encodeLicenseFile(d, vendor),
      'blacklist.lictor': encodeBlacklist(
        { format: 1, issuedAt: '2026-01-02T00:00:00.000Z', serials: [], activations: [d.activationId] },
        vendor,
      ),
    });
    const r = (await open(dir)).check();
    assert.equal(!r.ok && r.code, 'LICTOR_E_BLACKLISTED');
  });

  test('a forged blacklist (another key) is ignored and reported', async () => {
    const d = doc();
    const dir = await dirWith({
      'a.lic': encodeLicenseFile(d, vendor),
      'blacklist.lictor': encodeBlacklist(
        { format: 1, issuedAt: '2026-01-02T00:00:00.000Z', serials: [d.serial], activations: [] },
        otherVendor,
      ),
    });
    const lic = await open(dir);
    assert.equal(lic.check().ok, true);
    assert.equal(lic.status().find((f) => f.path.endsWith('blacklist.lictor'))?.code, 'LICTOR_E_WRONG_VENDOR');
  });
});

describe('bad files never stop the others', () => {
  test('tampered, foreign and garbage files are reported; the good file still serves', async () => {
    const good = encodeLicenseFile(doc(), vendor);
    const lines = good.split('\n');
    lines[2] = `${lines[2]?.slice(0, 10)}${lines[2]?.[10] === 'A' ? 'B' : 'A'}${lines[2]?.slice(11)}`;
    const dir = await dirWith({
      'good.lic': good,
      'tampered.lic': lines.join('\n'),
      'foreign.lic': encodeLicenseFile(doc({ serial: 'LX-9999-9999-9999' }), otherVendor),
      'garbage.lic': 'hello',
      'truncated.lic': good.slice(0, good.length / 2),
    });
    const lic = await open(dir);
    assert.equal(lic.check().ok, true);
    const codes = Object.fromEntries(lic.status().map((f) => [f.path.slice(dir.length + 1), f.code ?? 'ok']));
    assert.equal(codes['good.lic'], 'ok');
    assert.equal(codes['tampered.lic'], 'LICTOR_E_FILE_TAMPERED');
    assert.equal(codes['foreign.lic'], 'LICTOR_E_WRONG_VENDOR');
    assert.equal(codes['garbage.lic'], 'LICTOR_E_FILE_FORMAT');
    assert.equal(codes['truncated.lic'], 'LICTOR_E_FILE_TRUNCATED');
  });

  test('a search path that is not a directory and a dangling file link are skipped with a reason', async () => {
    const dir = await dirWith({ 'a.lic': encodeLicenseFile(doc(), vendor) });
    const notDir = join(dir, 'a.lic');
    await symlink(join(dir, 'missing-target'), join(dir, 'dangling.lic'));
    const lic = await open([notDir, dir, join(root, 'does-not-exist')]);
    assert.equal(lic.check().ok, true);
    const unreadable = lic.status().filter((f) => f.code === 'LICTOR_E_FILE_UNREADABLE');
    assert.deepEqual(unreadable.map((f) => f.path).sort(), [notDir, join(dir, 'dangling.lic')].sort());
    assert.match(unreadable.find((f) => f.path === notDir)?.reason ?? '', /not a directory/);
  });

  test('a directory and a named pipe with license file names are skipped, and do not hold the open up', async () => {
    const dir = await dirWith({ 'a.lic': encodeLicenseFile(doc(), vendor) });
    await mkdir(join(dir, 'folder.lic'));
    // Opening a FIFO for reading waits for a writer; none will come.
    if (process.platform !== 'win32') execFileSync('mkfifo', [join(dir, 'pipe.lic')]);
    const lic = await open(dir);
    assert.equal(lic.check().ok, true);
    assert.deepEqual(
      lic.status().map((f) => f.path),
      [join(dir, 'a.lic')],
    );
  });

  test('an invalid public key is refused with a typed error', async () => {
    await assert.rejects(openLicensing({ product: 'ERP', publicKey: 'nope', paths: [] }), {
      code: 'LICTOR_E_PUBLIC_KEY_INVALID',
    });
  });
});

describe('search paths', () => {
  test('LICTOR_LICENSE_PATH comes first and its first entry is written to', () => {
    const env = { LICTOR_LICENSE_PATH: '/a:/b', XDG_DATA_HOME: '/home/u/.data' };
    const paths = licenseSearchPaths({ env, platform: 'linux', appDir: '/opt/app' });
    assert.deepEqual(paths, ['/a', '/b', '/home/u/.data/lictor/licenses', '/var/lib/lictor/licenses', '/opt/app']);
    assert.equal(licenseWriteDir(env, 'linux'), '/a');
    assert.equal(licenseWriteDir({ XDG_DATA_HOME: '/x' }, 'linux'), '/x/lictor/licenses');
  });

  test('reload() picks up a file written after opening', async () => {
    const dir = await dirWith({});
    const lic = await open(dir);
    assert.equal(lic.check().ok, false);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'late.lic'), encodeLicenseFile(doc(), vendor));
    await lic.reload();
    assert.equal(lic.check().ok, true);
    assert.match(await readFile(join(dir, 'late.lic'), 'utf8'), /BEGIN LICTOR LICENSE/);
  });
});

describe('blacklist refresh from the License Center', () => {
  async function serve(body: string): Promise<{ url: string; close: () => Promise<void> }> {
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      if (new URL(req.url ?? '/', 'http://x').pathname !== '/v1/blacklist') return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
  }

  test('a signed blacklist is stored and takes effect at once', async () => {
    const d = doc();
    const dir = await dirWith({ 'a.lic': encodeLicenseFile(d, vendor) });
    const center = await serve(
      encodeBlacklist(
        { format: 1, issuedAt: '2026-03-01T00:00:00.000Z', serials: [d.serial], activations: [] },
        vendor,
      ),
    );
    try {
      const lic = await open(dir);
      assert.equal(lic.check().ok, true);
      const result = await lic.refreshBlacklist(center.url);
      assert.equal(result.serials, 1);
      const r = lic.check();
      assert.equal(!r.ok && r.code, 'LICTOR_E_BLACKLISTED');
    } finally {
      await center.close();
    }
  });

  test('a blacklist signed by another key is refused and nothing is written', async () => {
    const d = doc();
    const dir = await dirWith({ 'a.lic': encodeLicenseFile(d, vendor) });
    const center = await serve(
      encodeBlacklist(
        { format: 1, issuedAt: '2026-03-01T00:00:00.000Z', serials: [d.serial], activations: [] },
        otherVendor,
      ),
    );
    try {
      const lic = await open(dir);
      await assert.rejects(lic.refreshBlacklist(center.url), { code: 'LICTOR_E_WRONG_VENDOR' });
      assert.equal(lic.check().ok, true);
      assert.equal(
        lic.status().some((f) => f.path.endsWith('blacklist.lictor')),
        false,
      );
    } finally {
      await center.close();
    }
  });

  test('an unreachable center is a typed error', async () => {
    const lic = await open(await dirWith({}));
    await assert.rejects(lic.refreshBlacklist('http://127.0.0.1:1'), { code: 'LICTOR_E_CENTER_UNREACHABLE' });
  });
});
