/**
 * The clock mark (docs/clock.md), attacked through the SDK API with an injected clock: a clock
 * before the license's issue time, a clock set back past the mark, a deleted or altered mark file,
 * and forged center times. Perpetual licenses must not care; a corrected clock must recover.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  encodeBlacklist,
  encodeLicenseFile,
  generateVendorKeys,
  type LicenseDocument,
  loadSigner,
  signServerTime,
  type VendorSigner,
} from '@lictor/protocol';
import { type CheckResult, CLOCK_FILE_NAME, type Licensing, type LicensingOptions } from '../src/index.js';
import { entry, HW, OWNER, open, SECRET_B, SERIAL, vendor } from './container-fixtures.js';

const DAY = 86_400_000;
const ISSUED = Date.parse('2027-03-01T00:00:00.000Z');
const EXPIRES = ISSUED + 30 * DAY;

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-clock-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

let n = 0;
function license(overrides: Partial<LicenseDocument> & { expiresAt?: string | null } = {}): string {
  n++;
  const { expiresAt = new Date(EXPIRES).toISOString(), ...rest } = overrides;
  return encodeLicenseFile(
    {
      format: 1,
      containerId: `c${n}`,
      activationId: `a${n}`,
      serial: SERIAL,
      pin: 1,
      issuedAt: new Date(ISSUED).toISOString(),
      counter: 0,
      owner: OWNER,
      binding: { kind: 'hardware', hardware: HW },
      licenses: [{ ...entry(), expiresAt }],
      ...rest,
    },
    vendor,
  );
}

/** A store with the given files, and a settable clock. */
async function store(files: Record<string, string>) {
  const dir = await mkdtemp(join(root, 'store-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  const clock = { ms: ISSUED + DAY };
  const openAt = (options: Partial<LicensingOptions> = {}) => open(dir, { now: () => clock.ms, ...options });
  return { dir, clock, openAt };
}

function code(r: CheckResult): string {
  return r.ok ? 'ok' : r.code;
}

async function closed<T>(licensing: Licensing, run: (l: Licensing) => T | Promise<T>): Promise<T> {
  try {
    return await run(licensing);
  } finally {
    await licensing.close();
  }
}

describe('a clock earlier than the license', () => {
  test('a clock before issuedAt refuses a time-limited license, says what to fix, and recovers by itself', async () => {
    const s = await store({ 'a.lic': license() });
    s.clock.ms = ISSUED - 400 * DAY;
    const lic = await s.openAt();
    const r = lic.check();
    assert.equal(code(r), 'LICTOR_E_CLOCK_ROLLBACK');
    assert.match(
      !r.ok ? r.reason : '',
      /clock is earlier than 2027-03-01 00:00 UTC, when this license .* was issued: set the date, time and time zone right/,
    );
    assert.equal(code(lic.check('historian')), 'LICTOR_E_CLOCK_ROLLBACK');
    // The same frozen answer each time: the refusing path allocates nothing either.
    assert.equal(lic.check(), r);
    s.clock.ms = ISSUED + 2 * DAY;
    assert.equal(code(lic.check()), 'ok', 'the corrected clock works without a reload');
    await lic.close();
  });

  test('a perpetual license does not depend on the clock', async () => {
    const s = await store({ 'a.lic': license({ expiresAt: null }) });
    s.clock.ms = ISSUED - 400 * DAY;
    await closed(await s.openAt(), (lic) => assert.equal(code(lic.check()), 'ok'));
  });

  test("a clock hours behind the center's (a wrong time zone at activation) is within the tolerance", async () => {
    const s = await store({ 'a.lic': license() });
    s.clock.ms = ISSUED - 5 * 60 * 60_000;
    await closed(await s.openAt(), (lic) => assert.equal(code(lic.check()), 'ok'));
    await closed(await s.openAt({ clock: { toleranceMs: 60 * 60_000 } }), (lic) =>
      assert.equal(code(lic.check()), 'LICTOR_E_CLOCK_ROLLBACK', 'more than a 1 h tolerance'),
    );
  });

  test('a tolerance that is not a duration is refused when opening', async () => {
    const s = await store({ 'a.lic': license() });
    await assert.rejects(s.openAt({ clock: { toleranceMs: -1 } }), { code: 'LICTOR_E_INVALID_INPUT' });
  });
});

describe('a clock set back past the mark', () => {
  test('within one application: every check moves the mark, and a clock set back more than 24 h is refused', async () => {
    const s = await store({ 'a.lic': license() });
    const lic = await s.openAt();
    s.clock.ms = EXPIRES + DAY;
    assert.equal(code(lic.check()), 'LICTOR_E_LICENSE_EXPIRED');
    s.clock.ms = EXPIRES - 5 * DAY; // set back to before the expiry
    const r = lic.check();
    assert.equal(code(r), 'LICTOR_E_CLOCK_ROLLBACK');
    assert.match(
      !r.ok ? r.reason : '',
      /more than 24 h behind .*, a time already seen here.*Set the date, time and time zone right/s,
    );
    assert.equal(lic.clock().rolledBack, true);
    s.clock.ms = EXPIRES + DAY;
    assert.equal(code(lic.check()), 'LICTOR_E_LICENSE_EXPIRED', 'the right clock: the truth again');
    await lic.close();
  });

  test('across restarts: the mark is kept in the store, sealed', async () => {
    const s = await store({ 'a.lic': license() });
    s.clock.ms = EXPIRES + 3 * DAY;
    await closed(await s.openAt(), (lic) => assert.equal(code(lic.check()), 'LICTOR_E_LICENSE_EXPIRED'));
    const stored = JSON.parse(await readFile(join(s.dir, CLOCK_FILE_NAME), 'utf8'));
    assert.equal(stored.body.markMs, EXPIRES + 3 * DAY);
    s.clock.ms = EXPIRES - 10 * DAY;
    const lic = await s.openAt();
    assert.equal(code(lic.check()), 'LICTOR_E_CLOCK_ROLLBACK');
    s.clock.ms = EXPIRES + 3 * DAY;
    assert.equal(code(lic.check()), 'LICTOR_E_LICENSE_EXPIRED', 'the right clock again: the truth, expired');
    await lic.close();
  });

  test("the tolerance is the application's choice", async () => {
    const s = await store({ 'a.lic': license() });
    s.clock.ms = ISSUED + 10 * DAY;
    await closed(await s.openAt(), (lic) => lic.check());
    s.clock.ms = ISSUED + 10 * DAY - 3 * 60 * 60_000;
    await closed(await s.openAt(), (lic) => assert.equal(code(lic.check()), 'ok', '3 h behind: within 24 h'));
    await closed(await s.openAt({ clock: { toleranceMs: 60 * 60_000 } }), (lic) => {
      assert.equal(code(lic.check()), 'LICTOR_E_CLOCK_ROLLBACK', '3 h behind: more than 1 h');
      assert.match(lic.check().ok ? '' : (lic.check() as { reason: string }).reason, /more than 1 h behind/);
    });
  });

  test('setting the clock back a little again and again cannot hold the mark still while the application runs', async () => {
    const s = await store({ 'a.lic': license() });
    let mono = 0;
    const lic = await s.openAt({ clock: { monotonic: () => mono, saveIntervalMs: 0 } });
    s.clock.ms = EXPIRES - DAY;
    assert.equal(code(lic.check()), 'ok');
    // Each day the clock is put back 23 h: the wall clock barely moves, real time does.
    for (let day = 0; day < 3; day++) {
      mono += DAY;
      s.clock.ms += DAY - 23 * 60 * 60_000;
      await lic.reload();
    }
    assert.equal(code(lic.check()), 'LICTOR_E_CLOCK_ROLLBACK');
    await lic.close();
  });

  test('perpetual licenses still work while the clock is set back', async () => {
    const s = await store({ 'a.lic': license(), 'b.lic': license({ serial: 'LX-PERP-ETUA-L000', expiresAt: null }) });
    s.clock.ms = EXPIRES + DAY;
    await closed(await s.openAt(), (lic) => lic.check());
    s.clock.ms = EXPIRES - 10 * DAY;
    await closed(await s.openAt(), (lic) => {
      const r = lic.check();
      assert.equal(r.ok && r.serial, 'LX-PERP-ETUA-L000');
    });
  });
});

describe('the mark file attacked', () => {
  test("a deleted mark is made again from the newest signed time of the store's files", async () => {
    // A perpetual license issued later proves the time was at least its issue time.
    const later = ISSUED + 40 * DAY;
    const s = await store({
      'a.lic': license(),
      'b.lic': license({ serial: 'LX-PERP-ETUA-L000', expiresAt: null, issuedAt: new Date(later).toISOString() }),
    });
    s.clock.ms = later + DAY;
    await closed(await s.openAt(), (lic) => lic.check());
    await rm(join(s.dir, CLOCK_FILE_NAME));
    s.clock.ms = EXPIRES - DAY;
    await closed(await s.openAt(), (lic) => {
      assert.equal(lic.clock().rolledBack, true);
      assert.equal(lic.clock().mark, new Date(later).toISOString());
      // The perpetual license serves; the time-limited one alone would be refused.
      const r = lic.check();
      assert.equal(r.ok && r.serial, 'LX-PERP-ETUA-L000');
    });
    await rm(join(s.dir, 'b.lic'));
    await closed(await s.openAt(), (lic) => assert.equal(code(lic.check()), 'LICTOR_E_CLOCK_ROLLBACK'));
    assert.ok((await readFile(join(s.dir, CLOCK_FILE_NAME), 'utf8')).includes('markMs'), 'made again');
  });

  test("a new store made by copying the license files elsewhere still sees the old store's mark", async () => {
    const s = await store({ 'a.lic': license() });
    s.clock.ms = EXPIRES + 3 * DAY;
    await closed(await s.openAt(), (lic) => lic.check());
    const fresh = await mkdtemp(join(root, 'new-store-'));
    await writeFile(join(fresh, 'a.lic'), await readFile(join(s.dir, 'a.lic'), 'utf8'));
    s.clock.ms = EXPIRES - 5 * DAY;
    // LICTOR_LICENSE_PATH=<fresh>: the old per-user store is still searched after it.
    await closed(await open(fresh, { paths: [fresh, s.dir], now: () => s.clock.ms }), (lic) =>
      assert.equal(code(lic.check()), 'LICTOR_E_CLOCK_ROLLBACK'),
    );
  });

  test("a blacklist's issue time is a signed time too", async () => {
    const s = await store({
      'a.lic': license(),
      'blacklist.lictor': encodeBlacklist(
        { format: 1, issuedAt: new Date(EXPIRES + 5 * DAY).toISOString(), sequence: 1, serials: [], activations: [] },
        vendor,
      ),
    });
    s.clock.ms = EXPIRES - 2 * DAY;
    await closed(await s.openAt(), (lic) => assert.equal(code(lic.check()), 'LICTOR_E_CLOCK_ROLLBACK'));
  });

  test('an altered mark is reported and not believed: the mark starts again from the files, not from the lower value', async () => {
    const s = await store({ 'a.lic': license() });
    s.clock.ms = EXPIRES + 3 * DAY;
    await closed(await s.openAt(), (lic) => lic.check());
    const path = join(s.dir, CLOCK_FILE_NAME);
    const stored = JSON.parse(await readFile(path, 'utf8'));
    stored.body.markMs = ISSUED - 100 * DAY; // the attacker's wish
    await writeFile(path, JSON.stringify(stored));
    s.clock.ms = ISSUED - 10 * DAY;
    await closed(await s.openAt(), (lic) => {
      assert.equal(code(lic.check()), 'LICTOR_E_CLOCK_ROLLBACK', 'still before the issue time');
      const status = lic.clock();
      assert.equal(status.problem?.code, 'LICTOR_E_FILE_TAMPERED');
      assert.match(status.problem?.reason ?? '', /altered, or copied from another computer/);
      // No better for the attacker than a deleted mark: the floor of the signed files, not the value written.
      assert.equal(status.mark, new Date(ISSUED).toISOString());
    });
  });

  test('a mark from another computer (another machine secret) is not believed', async () => {
    const s = await store({ 'a.lic': license() });
    s.clock.ms = ISSUED + 2 * DAY;
    await closed(await s.openAt({ machineSecret: async () => SECRET_B }), (lic) => lic.check());
    await closed(await s.openAt(), (lic) => assert.equal(lic.clock().problem?.code, 'LICTOR_E_FILE_TAMPERED'));
  });

  test('garbage in the mark file is reported, and the store keeps working', async () => {
    const s = await store({ 'a.lic': license(), [CLOCK_FILE_NAME]: 'not json' });
    await closed(await s.openAt(), (lic) => {
      assert.equal(code(lic.check()), 'ok');
      assert.equal(lic.clock().problem?.code, 'LICTOR_E_FILE_TAMPERED');
    });
  });
});

/** A fake center answering `GET /v1/blacklist` with a list and a signed time of its choosing. */
async function fakeCenter(answer: (nonce: string) => { list: string; time?: string }) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/v1/blacklist') return res.writeHead(404).end();
    const { list, time } = answer(url.searchParams.get('nonce') ?? '');
    res.writeHead(200, { 'content-type': 'text/plain', ...(time ? { 'lictor-time': time } : {}) }).end(list);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function emptyList(signer: VendorSigner = vendor, issuedAt = ISSUED): string {
  return encodeBlacklist(
    { format: 1, issuedAt: new Date(issuedAt).toISOString(), sequence: 0, serials: [], activations: [] },
    signer,
  );
}

describe("the center's signed time", () => {
  test("a clock set ahead by mistake locks out until the center's signed time resets the mark", async () => {
    const s = await store({ 'a.lic': license() });
    s.clock.ms = ISSUED + 200 * DAY; // the user's mistake: months ahead
    await closed(await s.openAt(), (lic) => assert.equal(code(lic.check()), 'LICTOR_E_LICENSE_EXPIRED'));
    s.clock.ms = ISSUED + 2 * DAY; // corrected
    const lic = await s.openAt();
    assert.equal(code(lic.check()), 'LICTOR_E_CLOCK_ROLLBACK');
    const center = await fakeCenter((nonce) => ({
      list: emptyList(),
      time: JSON.stringify(signServerTime(vendor, ISSUED + 2 * DAY, nonce)),
    }));
    try {
      await lic.refreshBlacklist(center.url);
    } finally {
      await center.close();
    }
    assert.equal(code(lic.check()), 'ok');
    assert.equal(lic.clock().serverTime, new Date(ISSUED + 2 * DAY).toISOString());
    await lic.close();
    await closed(await s.openAt(), (again) => assert.equal(code(again.check()), 'ok', 'the reset was stored'));
  });

  test('a center time set back is refused when it is not signed by the vendor or not for this request', async () => {
    const other = loadSigner(generateVendorKeys().privatePem);
    const s = await store({ 'a.lic': license() });
    s.clock.ms = EXPIRES + DAY;
    await closed(await s.openAt(), (lic) => lic.check());
    s.clock.ms = EXPIRES - 5 * DAY;
    const attacks: [string, (nonce: string) => string][] = [
      ['another key', (nonce) => JSON.stringify(signServerTime(other, EXPIRES - 5 * DAY, nonce))],
      ['a replayed answer', () => JSON.stringify(signServerTime(vendor, EXPIRES - 5 * DAY, 'A'.repeat(22)))],
      [
        'an altered time',
        (nonce) =>
          JSON.stringify({ ...signServerTime(vendor, EXPIRES + DAY, nonce), time: '2027-03-20T00:00:00.000Z' }),
      ],
    ];
    for (const [name, time] of attacks) {
      const center = await fakeCenter((nonce) => ({ list: emptyList(), time: time(nonce) }));
      const lic = await s.openAt();
      try {
        await assert.rejects(lic.refreshBlacklist(center.url), { code: 'LICTOR_E_SIGNATURE_INVALID' }, name);
        assert.equal(code(lic.check()), 'LICTOR_E_CLOCK_ROLLBACK', name);
      } finally {
        await lic.close();
        await center.close();
      }
    }
  });
});
