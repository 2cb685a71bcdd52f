import assert from 'node:assert/strict';
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
import { licenseSearchPaths, licenseWriteDir, openLicensing } from '../src/index.js';

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
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-sdk-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(root, 'store-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

function open(dir: string | string[], opts: { hardware?: HardwareParams; now?: () => number; arch?: string } = {}) {
  return openLicensing({
    product: 'ERP',
    publicKey: vendor.publicKey.text,
    paths: Array.isArray(dir) ? dir : [dir],
    hardware: async () => opts.hardware ?? HW,
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.arch ? { arch: opts.arch } : {}),
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

  test('a multi-user license is not used locally: it is served by a License Manager', async () => {
    const dir = await dirWith({
      'm.lic': encodeLicenseFile(doc({ licenses: [entry({ type: 'multi', users: 10 })] }), vendor),
    });
    const r = (await open(dir)).check();
    assert.equal(!r.ok && r.code, 'LICTOR_E_NETWORK_LICENSE');
  });

  test('a 32-bit server license does not serve a 64-bit process; a 64-bit one serves both', async () => {
    const x86 = await dirWith({
      's.lic': encodeLicenseFile(doc({ licenses: [entry({ type: 'server', arch: 'x86' })] }), vendor),
    });
    assert.equal((await open(x86, { arch: 'x64' })).check().ok, false);
    assert.equal((await open(x86, { arch: 'ia32' })).check().ok, true);
    const x64 = await dirWith({
      's.lic': encodeLicenseFile(doc({ licenses: [entry({ type: 'server', arch: 'x64' })] }), vendor),
    });
    assert.equal((await open(x64, { arch: 'ia32' })).check().ok, true);
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
