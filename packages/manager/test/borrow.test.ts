/**
 * Borrowed seats end to end, over a real socket: the SDK's `client.borrow()` takes a seat away
 * for offline use, signed by the manager for this computer and kept in the license store;
 * `openLicensing`'s `check()` accepts it with the manager gone, until its end, on this computer
 * only; `returnBorrow()` gives it back early; the manager counts it, lists it, and keeps it
 * across a restart. The attacks: a copy on another computer, an altered end, a clock set back, a
 * forged seat from a fake manager.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import {
  ANSWER_NONCE_HEADER,
  generateVendorKeys,
  type HardwareParams,
  type LictorError,
  loadSigner,
  sha256,
  signAnswer,
  toHex,
} from '@lictor/protocol';
import { FakeScheduler } from '@lictor/protocol/testing';
import { connectManager, type Licensing, type ManagerClient, openLicensing } from '@lictor/sdk';
import { licenseKey, VENDOR } from '../../sdk/test/signed-answers.js';
import { LicenseManager, type PoolLicense } from '../src/index.js';
import { CAD, openManagerApp } from './manager-fixture.js';

const DAY = 86_400_000;
const TOKEN = 'borrow-admin-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };

const HW: HardwareParams = {
  platform: 'linux',
  osName: 'Ubuntu',
  osVersion: '24.04',
  hostname: 'laptop-7',
  board: 'LENOVO 21A0',
  ramBytes: 16 * 1024 ** 3,
  bios: 'LENOVO N3AET75W',
  cpus: ['Intel Core i7-1185G7 (4 cores)'],
  nics: ['00:11:22:33:44:55'],
  disks: ['S4EWNX0R123456'],
};

/** A computer as the SDK sees it: its hardware and machine secret. */
interface Computer {
  hardware: () => Promise<HardwareParams>;
  machineSecret: () => Promise<Uint8Array>;
}
const computer = (hw: HardwareParams, secret: number): Computer => ({
  hardware: async () => hw,
  machineSecret: async () => new Uint8Array(32).fill(secret),
});
const LAPTOP = computer(HW, 1);

/** 2 seats of `cad` (with feature `reports`) that may be borrowed for up to 14 days. */
const LENDING: PoolLicense = {
  ...CAD,
  serial: 'LX-7K2M-9QXD-4RTA', // the serial of the test license that proves the manager's answers
  seats: 2,
  borrowDays: 14,
  features: [{ code: 'reports', users: null }],
};

/**
 * What a test opened, closed in reverse order by one after-hook (after-hooks themselves run in the
 * order they were added): an application's licensing writes its clock mark into its store as it
 * closes, so it must close before its directory is removed.
 */
const openedBy = new WeakMap<TestContext, (() => Promise<unknown>)[]>();
function onCleanup(t: TestContext, cleanup: () => Promise<unknown>): void {
  let list = openedBy.get(t);
  if (list === undefined) {
    const opened: (() => Promise<unknown>)[] = [];
    list = opened;
    openedBy.set(t, opened);
    t.after(async () => {
      for (const c of opened.reverse()) await c();
    });
  }
  list.push(cleanup);
}

async function tempDir(t: TestContext, name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `lictor-${name}-`));
  onCleanup(t, () => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A manager lending `licenses` on a loopback port, its clock `clock`, and a client of it. */
async function setup(t: TestContext, licenses: PoolLicense[] = [LENDING]) {
  // Real time (to the second): the test license's issue time is real, and the clock mark follows it.
  const clock = new FakeScheduler(Math.floor(Date.now() / 1000) * 1000);
  const opened = await openManagerApp(t, {
    licenses,
    scheduler: new FakeScheduler(),
    now: () => clock.now(),
    adminTokenHash: toHex(sha256(TOKEN)),
  });
  await opened.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(opened.app.server.address() as AddressInfo).port}`;
  const clients: ManagerClient[] = [];
  t.after(async () => {
    for (const c of clients) await c.close();
  });
  const connect = async (host = 'laptop-7', managers = [url]) => {
    const c = await connectManager({
      publicKey: VENDOR.publicKey.text,
      managers,
      configPaths: [],
      env: {},
      discovery: false,
      client: { host },
      scheduler: clock,
    });
    clients.push(c);
    return c;
  };
  return { ...opened, url, clock, connect, client: await connect() };
}

/** The licensing of `cad` as an application on `who` opens it, offline, from `store`. */
async function offline(t: TestContext, store: string, who: Computer, now: () => number): Promise<Licensing> {
  const licensing = await openLicensing({
    product: 'cad',
    publicKey: VENDOR.publicKey.text,
    paths: [store],
    watch: false,
    now,
    ...who,
  });
  onCleanup(t, () => licensing.close());
  return licensing;
}

test('borrow: a signed seat for this computer, counted and listed by the manager, accepted offline until its end', async (t) => {
  const { app, manager, clock, client, connect } = await setup(t);
  const store = await tempDir(t, 'laptop');
  const seat = await client.borrow({ product: 'cad', feature: 'reports', days: 7, store, ...LAPTOP });
  assert.equal(seat.until.getTime(), clock.now() + 7 * DAY);
  assert.equal(seat.feature, 'reports');
  assert.deepEqual(await readdir(store), [`borrowed_${seat.id}.borrow`]);
  assert.equal(seat.file, join(store, `borrowed_${seat.id}.borrow`));

  // The manager counts it and lists it (admin API), apart from leases.
  assert.deepEqual(
    manager.status().products.map((p) => [p.product, p.inUse, p.total]),
    [['cad', 1, 2]],
  );
  const listed = await app.inject({ method: 'GET', url: '/v1/admin/borrows', headers: AUTH });
  assert.equal(listed.statusCode, 200);
  assert.deepEqual(
    listed
      .json()
      .borrows.map((b: { id: string; client: { host: string }; until: string }) => [b.id, b.client.host, b.until]),
    [[seat.id, 'laptop-7', seat.until.toISOString()]],
  );
  assert.deepEqual((await app.inject({ method: 'GET', url: '/v1/admin/leases', headers: AUTH })).json().leases, []);
  const events = manager.events().map((e) => e.kind);
  assert.ok(events.includes('borrowed'), events.join());

  // The same computer cannot borrow the same seat twice.
  await assert.rejects(
    client.borrow({ product: 'cad', feature: 'reports', days: 3, store, ...LAPTOP }),
    (err: LictorError) => {
      assert.equal(err.code, 'LICTOR_E_BORROW_HELD');
      assert.equal(err.details?.until, seat.until.toISOString());
      return true;
    },
  );
  // One seat left for everybody else.
  const desk = await connect('desk-1');
  await desk.acquire('cad');
  await assert.rejects((await connect('desk-2')).acquire('cad'), { code: 'LICTOR_E_SEATS_EXHAUSTED' });

  // The manager goes away; the laptop's application checks offline.
  await app.close();
  const licensing = await offline(t, store, LAPTOP, () => clock.now());
  const ok = licensing.check();
  assert.equal(ok.ok, true, JSON.stringify(ok));
  assert.deepEqual(ok.ok && [ok.file, ok.expiresAt, ok.type], [seat.file, seat.until.toISOString(), 'multi']);
  assert.equal(licensing.check('reports').ok, true);
  const status = licensing.status().find((f) => f.path === seat.file);
  assert.deepEqual(
    status && [status.available, status.borrowed?.product, status.borrowed?.feature, status.borrowed?.until],
    [true, 'cad', 'reports', seat.until.toISOString()],
  );

  clock.setClock(seat.until.getTime() - 1000);
  assert.equal(licensing.check().ok, true, 'still a second before its end');
  clock.setClock(seat.until.getTime() + 1);
  const ended = licensing.check();
  assert.deepEqual(ended.ok ? ended : ended.code, 'LICTOR_E_BORROW_EXPIRED');
});

test('a borrowed seat copied to another computer is refused there', async (t) => {
  const { client, clock } = await setup(t);
  const store = await tempDir(t, 'laptop');
  const seat = await client.borrow({ product: 'cad', days: 3, store, ...LAPTOP });
  const elsewhere = await tempDir(t, 'elsewhere');
  await writeFile(join(elsewhere, 'copied.borrow'), await readFile(seat.file));

  // Another computer: another machine id and other drives.
  const desk = computer({ ...HW, hostname: 'desk', disks: ['WD-OTHER'] }, 2);
  const there = await offline(t, elsewhere, desk, () => clock.now());
  const refused = there.check();
  assert.equal(refused.ok, false);
  assert.equal(!refused.ok && refused.code, 'LICTOR_E_HARDWARE_MISMATCH');
  assert.match(!refused.ok ? refused.reason : '', /borrowed for another computer/);
  // The same machine id on other hardware (a cloned machine id) is another computer too.
  const clone = await offline(t, elsewhere, computer({ ...HW, disks: ['WD-OTHER'] }, 1), () => clock.now());
  assert.equal(clone.check().ok, false);
  // A docking station, a new host name or more RAM do not make the laptop another computer.
  const undocked = computer({ ...HW, hostname: 'renamed', nics: [], ramBytes: 32 * 1024 ** 3, bios: 'updated' }, 1);
  assert.equal((await offline(t, elsewhere, undocked, () => clock.now())).check().ok, true);
});

test('an altered end is refused; a clock set back does not extend a borrowed seat', async (t) => {
  const { client, clock } = await setup(t);
  const store = await tempDir(t, 'laptop');
  const seat = await client.borrow({ product: 'cad', days: 2, store, ...LAPTOP });
  const text = await readFile(seat.file, 'utf8');

  // Altered until (a week more, within the license's 14 days): the signature no longer verifies.
  const altered = await tempDir(t, 'altered');
  const json = JSON.parse(text);
  json.answer.borrow.until = new Date(seat.until.getTime() + 7 * DAY).toISOString();
  await writeFile(join(altered, 'seat.borrow'), JSON.stringify(json));
  const tampered = await offline(t, altered, LAPTOP, () => clock.now());
  assert.equal(tampered.check().ok, false);
  const status = tampered.status().find((f) => f.path.endsWith('seat.borrow'));
  assert.deepEqual(status && [status.available, status.code], [false, 'LICTOR_E_ANSWER_UNPROVEN']);
  assert.match(status?.reason ?? '', /not signed for this request/);

  // The clock: the application saw the seat end; setting the clock back does not revive it.
  const licensing = await offline(t, store, LAPTOP, () => clock.now());
  assert.equal(licensing.check().ok, true);
  clock.setClock(seat.until.getTime() + 3 * DAY);
  assert.equal(!licensing.check().ok && (licensing.check() as { code: string }).code, 'LICTOR_E_BORROW_EXPIRED');
  clock.setClock(seat.until.getTime() - DAY);
  const back = licensing.check();
  assert.equal(back.ok ? 'licensed' : back.code, 'LICTOR_E_CLOCK_ROLLBACK');
  // A clock set before the seat was lent is refused as well (a new store, no mark yet).
  const fresh = await tempDir(t, 'fresh');
  await writeFile(join(fresh, 'seat.borrow'), text);
  const early = await offline(t, fresh, LAPTOP, () => seat.grantedAt.getTime() - 3 * DAY);
  const before = early.check();
  assert.equal(before.ok ? 'licensed' : before.code, 'LICTOR_E_CLOCK_ROLLBACK');
});

test('a forged borrowed seat from a fake manager is refused, and nothing is written', async (t) => {
  const { client: genuine, connect } = await setup(t);
  const otherVendor = loadSigner(generateVendorKeys().privatePem);
  // Three fakes: no license at all, a license of another vendor, a genuine license that lends nothing.
  const keys = [null, licenseKey(['cad'], otherVendor, { borrowDays: 30 }), licenseKey(['cad'], VENDOR)];
  for (const key of keys) {
    const fake = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const asked = JSON.parse(body);
        const now = Date.now();
        const answer = {
          borrow: {
            id: 'forged-1',
            product: 'cad',
            feature: null,
            licenseId: 'x:cad',
            serial: 'LX-7K2M-9QXD-4RTA',
            computer: asked.computer,
            grantedAt: new Date(now).toISOString(),
            until: new Date(now + 30 * DAY).toISOString(),
          },
        };
        const nonce = String(req.headers[ANSWER_NONCE_HEADER]);
        const proof = key === null ? {} : { proof: signAnswer(key, 'borrow', nonce, answer) };
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ...answer, ...proof }));
      });
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => fake.close(() => resolve())));
    const url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    const store = await tempDir(t, 'forged');
    const client = await connect('laptop-7', [url]);
    await assert.rejects(client.borrow({ product: 'cad', days: 30, store, ...LAPTOP }), (err: LictorError) => {
      assert.equal(err.code, 'LICTOR_E_ANSWER_UNPROVEN');
      return true;
    });
    assert.deepEqual(await readdir(store), [], 'no file written');
  }
  assert.ok(genuine);
});

test('a seat given back early frees it; only its computer can give it back', async (t) => {
  const { client, connect, manager } = await setup(t, [{ ...LENDING, seats: 1 }]);
  const store = await tempDir(t, 'laptop');
  const seat = await client.borrow({ product: 'cad', days: 7, store, ...LAPTOP });

  // A copy on another computer cannot give it back: its secret is not the borrower's.
  const elsewhere = await tempDir(t, 'elsewhere');
  await writeFile(join(elsewhere, 'copied.borrow'), await readFile(seat.file));
  const other = await connect('desk');
  const notTheirs = await other.returnBorrow({
    product: 'cad',
    store: elsewhere,
    machineSecret: async () => new Uint8Array(32).fill(2),
  });
  assert.equal(notTheirs.returned, false);
  assert.deepEqual(await readdir(elsewhere), [], 'the copy is removed');
  assert.equal(manager.borrows().length, 1, 'the seat stays borrowed');
  await assert.rejects(other.acquire('cad'), { code: 'LICTOR_E_SEATS_EXHAUSTED' });

  const back = await client.returnBorrow({ product: 'cad', store, machineSecret: LAPTOP.machineSecret });
  assert.deepEqual([back.returned, back.id], [true, seat.id]);
  assert.deepEqual(await readdir(store), []);
  assert.equal(manager.borrows().length, 0);
  assert.ok(manager.events().some((e) => e.kind === 'returned' && e.leaseId === seat.id));
  assert.equal((await other.acquire('cad')).state, 'active');
  await assert.rejects(client.returnBorrow({ product: 'cad', store, machineSecret: LAPTOP.machineSecret }), {
    code: 'LICTOR_E_BORROW_UNKNOWN',
  });
});

test('a borrowed seat survives a crash of the manager (written before the answer); the admin can end it', async (t) => {
  const { client, dir, clock, app } = await setup(t, [{ ...LENDING, seats: 1 }]);
  const store = await tempDir(t, 'laptop');
  const seat = await client.borrow({ product: 'cad', days: 5, store, ...LAPTOP });
  // Another manager opens the same state file, as after a crash (the first one never closed).
  const restarted = await LicenseManager.open({
    stateFile: join(dir, 'state.json'),
    licenses: [{ ...LENDING, seats: 1 }],
    adminTokenHash: toHex(sha256(TOKEN)),
    id: 'mgr-2',
    now: () => clock.now(),
    scheduler: new FakeScheduler(),
  });
  t.after(() => restarted.close());
  assert.deepEqual(
    restarted.borrows().map((b) => [b.id, b.expiresAt]),
    [[seat.id, seat.until.getTime()]],
  );
  assert.equal(
    restarted.acquire({
      product: 'cad',
      client: { host: 'h', user: 'u', process: 'p', session: 's' },
      address: '10.0.0.1',
    }).kind,
    'exhausted',
  );

  // An administrator ends it (a laptop lost): the seat is free again.
  const gone = await app.inject({ method: 'DELETE', url: `/v1/admin/borrows/${seat.id}`, headers: AUTH });
  assert.equal(gone.statusCode, 204);
  const again = await app.inject({ method: 'DELETE', url: `/v1/admin/borrows/${seat.id}`, headers: AUTH });
  assert.equal(again.json().code, 'LICTOR_E_BORROW_UNKNOWN');
});

test('POST /v1/borrows: refusals and what it needs', async (t) => {
  const { app } = await setup(t, [LENDING, { ...CAD, id: 'cam-1', product: 'cam' }]);
  const body = {
    product: 'cad',
    days: 7,
    client: { host: 'laptop', user: 'ann', process: '1', session: '1' },
    computer: { machine: '0123456789abcdef', hardware: 'AAAAAAAAAAAAAA' },
    returnKey: 'A'.repeat(43),
  };
  const nonce = { [ANSWER_NONCE_HEADER]: 'AQEBAQEBAQEBAQEBAQEBAQ' };
  const post = (payload: object, headers: Record<string, string> = nonce) =>
    app.inject({ method: 'POST', url: '/v1/borrows', payload, headers });
  const noNonce = await post(body, {});
  assert.deepEqual([noNonce.statusCode, noNonce.json().code], [400, 'LICTOR_E_INVALID_INPUT']);
  const tooLong = await post({ ...body, days: 15 });
  assert.deepEqual(
    [tooLong.statusCode, tooLong.json().code, tooLong.json().details],
    [403, 'LICTOR_E_BORROW_NOT_ALLOWED', { maxDays: 14 }],
  );
  const notLending = await post({ ...body, product: 'cam' });
  assert.deepEqual([notLending.statusCode, notLending.json().details], [403, { maxDays: 0 }]);
  const ok = await post(body);
  assert.equal(ok.statusCode, 201, ok.body);
  assert.equal(ok.json().proof.key, 'container');
  const badSecret = await app.inject({
    method: 'DELETE',
    url: `/v1/borrows/${ok.json().borrow.id}`,
    headers: { 'lictor-return-secret': 'B'.repeat(43) },
  });
  assert.deepEqual([badSecret.statusCode, badSecret.json().code], [404, 'LICTOR_E_BORROW_UNKNOWN']);
  const heartbeat = await app.inject({ method: 'POST', url: `/v1/leases/${ok.json().borrow.id}/heartbeat` });
  assert.equal(heartbeat.statusCode, 404, 'a borrowed seat is not a lease');
  const release = await app.inject({ method: 'DELETE', url: `/v1/leases/${ok.json().borrow.id}` });
  assert.equal(release.statusCode, 404, 'nor can it be released as one');
});

test('the admin page lists borrowed seats with their computer and end', async (t) => {
  const { app, client } = await setup(t);
  const store = await tempDir(t, 'laptop');
  const seat = await client.borrow({ product: 'cad', feature: 'reports', days: 4, store, ...LAPTOP });
  const login = await app.inject({
    method: 'POST',
    url: '/admin/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ token: TOKEN }).toString(),
  });
  const cookie = String(login.headers['set-cookie']).split(';')[0] ?? '';
  const page = await app.inject({ method: 'GET', url: '/admin', headers: { cookie } });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /<h2>Borrowed for offline use \(1\)<\/h2>/);
  const until = seat.until.toISOString().replace('T', ' ').slice(0, 19);
  const machine = JSON.parse(await readFile(seat.file, 'utf8')).answer.borrow.computer.machine;
  assert.match(page.body, new RegExp(`<td>[^<]*@laptop-7</td><td class="mono">${machine}</td><td>cad / reports</td>`));
  assert.ok(page.body.includes(until), until);
  assert.match(page.body, /<h2>Licenses: 1 of 2 seats in use<\/h2>/);
});

test('the admin page ends a borrow only for a computer lost, broken or wiped, and says the computer keeps it offline', async (t) => {
  const { app, manager, clock, client, connect } = await setup(t, [{ ...LENDING, seats: 1 }]);
  const store = await tempDir(t, 'laptop');
  const seat = await client.borrow({ product: 'cad', days: 5, store, ...LAPTOP });
  const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
  const login = await app.inject({
    method: 'POST',
    url: '/admin/login',
    headers: FORM,
    payload: new URLSearchParams({ token: TOKEN }).toString(),
  });
  const cookie = String(login.headers['set-cookie']).split(';')[0] ?? '';
  const page = (await app.inject({ method: 'GET', url: '/admin', headers: { cookie } })).body;
  // The row's form: the seat, the session's CSRF token, a box to tick, and what ending does.
  assert.match(page, /<form class="inline" method="post" action="admin\/end-borrow">/);
  assert.ok(page.includes(`name="borrow" value="${seat.id}"`));
  assert.match(page, /name="lost" value="yes" required/);
  assert.match(page, /its computer is lost, broken or wiped/);
  assert.match(page, /The manager cannot take a borrowed seat back: its computer checks it offline/);
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
  assert.notEqual(csrf, '');

  const post = (headers: Record<string, string>, fields: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url: '/admin/end-borrow',
      headers: { ...FORM, ...headers },
      payload: new URLSearchParams(fields).toString(),
    });
  const lost = { borrow: seat.id, lost: 'yes' };
  // The same protections as the release form: a session, its CSRF token, and not cross-site.
  assert.equal((await post({}, { ...lost, csrf })).statusCode, 401);
  assert.equal((await post({ cookie }, lost)).statusCode, 401);
  assert.equal((await post({ cookie }, { ...lost, csrf: `${csrf}x` })).statusCode, 401);
  assert.equal((await post({ cookie, 'sec-fetch-site': 'cross-site' }, { ...lost, csrf })).statusCode, 401);
  assert.equal(manager.borrows().length, 1, 'nothing was ended by the refused forms');

  // Without the box ticked the manager refuses, and says what it can and cannot do.
  const unconfirmed = await post({ cookie }, { borrow: seat.id, csrf });
  assert.equal(unconfirmed.statusCode, 400);
  assert.match(unconfirmed.body, /LICTOR_E_INVALID_INPUT/);
  assert.match(unconfirmed.body, /cannot take it back from its computer, which checks it offline until/);
  assert.ok(unconfirmed.body.includes(seat.until.toISOString().replace('T', ' ').slice(0, 19)));
  assert.match(unconfirmed.body, /lictor borrow return/);
  assert.equal(manager.borrows().length, 1);
  assert.equal(manager.status().products[0]?.inUse, 1);

  const ended = await post({ cookie, 'sec-fetch-site': 'same-origin' }, { ...lost, csrf });
  assert.equal(ended.statusCode, 303);
  assert.equal(ended.headers.location, '../admin?notice=borrow-ended');
  assert.deepEqual(manager.borrows(), []);
  assert.ok(
    manager
      .events()
      .some((e) => e.kind === 'returned' && e.leaseId === seat.id && /administrator/.test(e.detail ?? '')),
  );
  const after = await app.inject({ method: 'GET', url: '/admin?notice=borrow-ended', headers: { cookie } });
  assert.match(after.body, /the manager no longer counts it, and its seat is free for others/);
  assert.match(
    after.body,
    /if that computer still runs, it keeps using the seat offline until the end it was lent for/,
  );
  assert.match(after.body, /<h2>Borrowed for offline use \(0\)<\/h2>/);
  // The seat is free for another client…
  assert.equal((await (await connect('desk-1')).acquire('cad')).state, 'active');
  // …and, as the page says, the laptop still uses its borrowed seat offline.
  const licensing = await offline(t, store, LAPTOP, () => clock.now());
  assert.equal(licensing.check().ok, true);
  // It can no longer give it back: the manager holds nothing to return, and the SDK removes its file.
  const back = await client.returnBorrow({ product: 'cad', store, machineSecret: LAPTOP.machineSecret });
  assert.deepEqual([back.returned, back.id], [false, seat.id]);
  assert.deepEqual(await readdir(store), []);
  // A second press finds nothing to end.
  const again = await post({ cookie }, { ...lost, csrf });
  assert.equal(again.headers.location, '../admin?notice=borrow-gone');
});
