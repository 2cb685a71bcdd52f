/** The License Manager's admin page: sign-in, the lease list, releasing a lease; inject() and one real socket. */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { sha256, toHex } from '@lictor/protocol';
import type { FastifyInstance } from 'fastify';
import type { ClientIdentity } from '../src/index.js';
import { CAD, openManagerApp } from './manager-fixture.js';

const TOKEN = 'manager-admin-token-for-the-web-page';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

const client = (host: string, user = 'ann'): ClientIdentity => ({ host, user, process: '4242-cad', session: '1' });

/** A manager of 2 seats of `cad` with one seat of `render`. */
function setup(t: TestContext) {
  const licenses = [{ ...CAD, seats: 2, features: [{ code: 'render', users: 1 }] }];
  return openManagerApp(t, { licenses, adminTokenHash: toHex(sha256(TOKEN)), id: 'mgr-web' });
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/** Signs in through the form; returns the `Cookie` header value to send back. */
async function signIn(app: FastifyInstance): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/admin/login', headers: FORM, payload: form({ token: TOKEN }) });
  assert.equal(res.statusCode, 303);
  assert.equal(res.headers.location, '../admin');
  const setCookie = String(res.headers['set-cookie']);
  return setCookie.split(';')[0] ?? '';
}

/** The CSRF token and lease ids in a page's release forms. */
function forms(page: string): { csrf: string; leases: string[] } {
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
  const leases = [...page.matchAll(/name="lease" value="([^"]+)"/g)].map((m) => m[1] ?? '');
  return { csrf, leases };
}

test('without a session the page is a sign-in form with 401; a wrong token is refused', async (t) => {
  const { app } = await setup(t);
  const page = await app.inject({ method: 'GET', url: '/admin' });
  assert.equal(page.statusCode, 401);
  assert.match(String(page.headers['content-type']), /text\/html/);
  assert.match(page.body, /<form method="post" action="admin\/login">/);
  assert.match(page.body, /type="password" id="token" name="token"/);
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
  assert.equal(page.headers['x-frame-options'], 'DENY');

  const wrong = await app.inject({
    method: 'POST',
    url: '/admin/login',
    headers: FORM,
    payload: form({ token: `${TOKEN}x` }),
  });
  assert.equal(wrong.statusCode, 401);
  assert.equal(wrong.headers['set-cookie'], undefined);
  assert.match(wrong.body, /not the admin token/);
  assert.match(wrong.body, /action="login"/, 'the form on /admin/login posts to itself');

  const empty = await app.inject({ method: 'POST', url: '/admin/login', headers: FORM, payload: '' });
  assert.equal(empty.statusCode, 401);

  const forged = await app.inject({
    method: 'GET',
    url: '/admin',
    headers: { cookie: 'lictor_manager_admin=made-up' },
  });
  assert.equal(forged.statusCode, 401);
});

test('signing in sets an HttpOnly SameSite=Strict session cookie that does not hold the token', async (t) => {
  const { app } = await setup(t);
  const res = await app.inject({ method: 'POST', url: '/admin/login', headers: FORM, payload: form({ token: TOKEN }) });
  assert.equal(res.statusCode, 303);
  const setCookie = String(res.headers['set-cookie']);
  assert.match(
    setCookie,
    /^lictor_manager_admin=[A-Za-z0-9_-]{43}; Path=\/admin; HttpOnly; SameSite=Strict; Max-Age=28800$/,
  );
  assert.ok(!setCookie.includes(TOKEN));
  assert.ok(!setCookie.includes(toHex(sha256(TOKEN))));
  assert.ok(!String(res.headers.location).includes(TOKEN));
});

test('the page lists licenses, every lease and recent events, with client names escaped', async (t) => {
  const { manager, app } = await setup(t);
  manager.acquire({ product: 'cad', client: client('ws-1', 'bob') });
  manager.acquire({ product: 'cad', feature: 'render', client: client('<script>alert(1)</script>', '"eve"&') });
  const cookie = await signIn(app);
  const res = await app.inject({ method: 'GET', url: '/admin', headers: { cookie } });
  assert.equal(res.statusCode, 200);
  const page = res.body;
  assert.match(page, /License Manager <span class="mono">mgr-web<\/span>/);
  assert.match(page, /Licenses: 2 of 2 seats in use/);
  assert.match(page, /<td class="num">2<\/td><td class="num full">0<\/td><td class="num">2<\/td><td>render 1\/1<\/td>/);
  // Licenses are named by the serial the customer holds, the internal id only in a tooltip.
  assert.match(page, /<td class="mono" title="license cad-1">LX-CAD1-TEST-0001<\/td>/);
  assert.match(page, /Leases \(2\)/);
  assert.match(page, /bob@ws-1/);
  assert.match(page, /cad \/ render/);
  assert.match(page, /4242-cad/);
  // The client-supplied names are shown, escaped, and never as markup.
  assert.ok(page.includes('&quot;eve&quot;&amp;@&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(!page.includes('<script>'));
  assert.ok(!page.includes('"eve"'));
  assert.equal(forms(page).leases.length, 2);
  assert.match(page, /<td>granted<\/td>/, 'recent events');
  assert.match(page, /<meta http-equiv="refresh" content="10; url=admin">/);
  const still = await app.inject({ method: 'GET', url: '/admin?refresh=off', headers: { cookie } });
  assert.ok(!still.body.includes('http-equiv="refresh"'));
});

test('release through the form frees the seat; forms need the session and its CSRF token', async (t) => {
  const { manager, app } = await setup(t);
  const granted = manager.acquire({ product: 'cad', client: client('ws-1') });
  assert.equal(granted.kind, 'granted');
  manager.acquire({ product: 'cad', client: client('ws-2') });
  assert.equal(manager.acquire({ product: 'cad', client: client('ws-3') }).kind, 'exhausted');
  const cookie = await signIn(app);
  const page = (await app.inject({ method: 'GET', url: '/admin', headers: { cookie } })).body;
  const { csrf } = forms(page);
  const leaseId = granted.kind === 'granted' ? granted.lease.id : '';

  const post = (headers: Record<string, string>, fields: Record<string, string>) =>
    app.inject({ method: 'POST', url: '/admin/release', headers: { ...FORM, ...headers }, payload: form(fields) });

  const noSession = await post({}, { lease: leaseId, csrf });
  assert.equal(noSession.statusCode, 401);
  assert.match(noSession.body, /not signed in/);
  const noCsrf = await post({ cookie }, { lease: leaseId });
  assert.equal(noCsrf.statusCode, 401);
  const badCsrf = await post({ cookie }, { lease: leaseId, csrf: `${csrf}x` });
  assert.equal(badCsrf.statusCode, 401);
  const crossSite = await post({ cookie, 'sec-fetch-site': 'cross-site' }, { lease: leaseId, csrf });
  assert.equal(crossSite.statusCode, 401);
  assert.equal(manager.leases().length, 2, 'nothing was released by the refused forms');

  const ok = await post({ cookie, 'sec-fetch-site': 'same-origin' }, { lease: leaseId, csrf });
  assert.equal(ok.statusCode, 303);
  assert.equal(ok.headers.location, '../admin?notice=released');
  assert.deepEqual(
    manager.leases().map((l) => l.client.host),
    ['ws-2'],
  );
  assert.equal(manager.acquire({ product: 'cad', client: client('ws-3') }).kind, 'granted', 'the seat is free again');
  const after = await app.inject({ method: 'GET', url: '/admin?notice=released', headers: { cookie } });
  assert.match(after.body, /The lease was released; its seat is free\./);
  assert.match(after.body, /by an administrator/);

  const again = await post({ cookie }, { lease: leaseId, csrf });
  assert.equal(again.headers.location, '../admin?notice=gone');
});

test('signing out ends the session', async (t) => {
  const { app } = await setup(t);
  const cookie = await signIn(app);
  const { csrf } = forms((await app.inject({ method: 'GET', url: '/admin', headers: { cookie } })).body);
  const out = await app.inject({
    method: 'POST',
    url: '/admin/logout',
    headers: { ...FORM, cookie },
    payload: form({ csrf }),
  });
  assert.equal(out.statusCode, 303);
  assert.match(String(out.headers['set-cookie']), /^lictor_manager_admin=; .*Max-Age=0/);
  assert.equal((await app.inject({ method: 'GET', url: '/admin', headers: { cookie } })).statusCode, 401);
});

test('over a real socket: sign in, see the lease, release it from the page', async (t) => {
  const { manager, app } = await setup(t);
  manager.acquire({ product: 'cad', client: client('ws-real') });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  const login = await fetch(`${base}/admin/login`, {
    method: 'POST',
    headers: FORM,
    body: form({ token: TOKEN }),
    redirect: 'manual',
  });
  assert.equal(login.status, 303);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  assert.equal(new URL(login.headers.get('location') ?? '', login.url).href, `${base}/admin`);

  const page = await fetch(`${base}/admin`, { headers: { cookie } });
  assert.equal(page.status, 200);
  const text = await page.text();
  assert.match(text, /ann@ws-real/);
  const { csrf, leases } = forms(text);
  assert.equal(leases.length, 1);

  const release = await fetch(new URL('admin/release', `${base}/admin`), {
    method: 'POST',
    headers: { ...FORM, cookie },
    body: form({ lease: leases[0] ?? '', csrf }),
    redirect: 'manual',
  });
  assert.equal(release.status, 303);
  assert.equal(manager.leases().length, 0);
  const status = (await (await fetch(`${base}/v1/status`)).json()) as { products: unknown[] };
  assert.deepEqual(status.products, [{ product: 'cad', inUse: 0, total: 2 }]);
});

test('the release form offers a block time, preselects one hour, and says what the client will meet', async (t) => {
  const { manager, app } = await setup(t);
  const granted = manager.acquire({ product: 'cad', client: client('ws-1') });
  assert.equal(granted.kind, 'granted');
  const cookie = await signIn(app);
  const page = (await app.inject({ method: 'GET', url: '/admin', headers: { cookie } })).body;
  assert.match(
    page,
    /<select id="block-[^"]+" name="block"><option value="3600" selected>keep its client out for 1 hour/,
  );
  assert.match(page, /<option value="0">its client may take a seat again at once<\/option>/);
  const { csrf, leases } = forms(page);
  const post = (fields: Record<string, string>) =>
    app.inject({ method: 'POST', url: '/admin/release', headers: { ...FORM, cookie }, payload: form(fields) });

  const odd = await post({ lease: leases[0] ?? '', csrf, block: '7' });
  assert.equal(odd.statusCode, 400, 'only the offered times');
  assert.equal(manager.leases().length, 1);

  const ok = await post({ lease: leases[0] ?? '', csrf, block: '3600' });
  assert.equal(ok.headers.location, '../admin?notice=released-blocked');
  assert.equal(manager.leases().length, 0);
  const again = manager.acquire({ product: 'cad', client: client('ws-1') });
  assert.equal(again.kind, 'revoked');
  assert.equal(manager.acquire({ product: 'cad', client: client('ws-2') }).kind, 'granted');
  const after = await app.inject({ method: 'GET', url: '/admin?notice=released-blocked', headers: { cookie } });
  assert.match(after.body, /Its client is refused a seat \(LICTOR_E_LEASE_REVOKED\) for the time chosen/);
  assert.match(after.body, /kept from taking a seat again until/);
});
