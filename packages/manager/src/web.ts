/**
 * The License Manager's admin page, `GET /admin`: seats per license, every lease with a
 * button to release it, every borrowed seat with a button to end it (for a computer lost, broken
 * or wiped only), and recent events. Server-rendered HTML, no JavaScript, no external
 * assets, a strict Content-Security-Policy; every value shown is HTML-escaped (host and user
 * names come from clients and are not trusted).
 *
 * Signing in: the administrator types the admin token once into a form (`POST /admin/login`).
 * The manager checks it with {@link LicenseManager.verifyAdminToken} and sets a cookie holding
 * a random session id (`HttpOnly`, `SameSite=Strict`, `Path=/admin`, 8 hours; `Secure` over
 * HTTPS). The token itself never appears in a cookie or URL. The manager keeps only the
 * SHA-256 of each session id, in memory: a restart signs everybody out. The forms that change
 * something also carry a per-session CSRF token, and cross-site requests (`Sec-Fetch-Site`) are
 * refused, on top of what `SameSite=Strict` already stops.
 */
// `hide` in a route schema comes from @fastify/swagger's types (the manager serves OpenAPI).

import formbody from '@fastify/formbody';
import type {} from '@fastify/swagger';
import {
  escapeHtml,
  failureAnswer,
  HIDDEN_ROUTE,
  HTML_SECURITY_HEADERS,
  htmlPage,
  sendHtml,
} from '@lictor/http-service';
import { constantTimeEqual, LictorError, randomBytes, sha256, toBase64Url, toHex, utf8 } from '@lictor/protocol';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import {
  type AdminBorrowedSeat,
  type AdminLeaseBody,
  type LicenseManager,
  MANAGER_VERSION,
  type ManagerEvent,
} from './manager.js';
import type { LicenseUsage } from './types.js';

/** Name of the session cookie. */
const ADMIN_SESSION_COOKIE = 'lictor_manager_admin';
/** How long a sign-in lasts. */
const ADMIN_SESSION_TTL_MS = 8 * 60 * 60 * 1000;
/** Sessions kept at most; signing in beyond this ends the oldest. */
const MAX_SESSIONS = 32;
const FORM_BODY_LIMIT = 4096;
/** Seconds between automatic reloads of the page. */
const REFRESH_SECONDS = 10;
const EVENTS_SHOWN = 50;

const STYLE = `
body{font:1rem/1.5 system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fff}
main{max-width:80rem;margin:0 auto;padding:1rem 1.25rem 3rem}
h1{font-size:1.6rem;margin-bottom:.25rem}h2{font-size:1.25rem;margin-top:2rem}
label{display:block;font-weight:600;margin-top:.75rem}
label.inline{display:inline;font-weight:400;margin:0}
input[type=password]{width:100%;max-width:32rem;box-sizing:border-box;font:inherit;padding:.4rem;border:1px solid #555;border-radius:4px}
.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
button{font:inherit;padding:.3rem .8rem;border:1px solid #0b4f9c;border-radius:4px;background:#0b4f9c;color:#fff;cursor:pointer}
button.quiet{background:#fff;color:#0b4f9c}
form.inline{display:inline;margin:0}
:focus-visible{outline:3px solid #e07b00;outline-offset:2px}
.hint{color:#444;font-size:.9rem;margin:.2rem 0 0}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #ccc}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.full{color:#b00020;font-weight:600}
.notice{border-left:6px solid #0b7a3e;padding:.25rem 1rem;background:#eef8f1}
.error{border-left:6px solid #b00020;padding:.25rem 1rem;background:#fdf0f2}
header{display:flex;justify-content:space-between;align-items:baseline;gap:1rem;flex-wrap:wrap}
`;

/** Where links and forms point: relative, so the page also works behind a path prefix. */
interface Links {
  home: string;
  login: string;
  release: string;
  endBorrow: string;
  logout: string;
}
/** From `/admin`. */
const FROM_PAGE: Links = {
  home: 'admin',
  login: 'admin/login',
  release: 'admin/release',
  endBorrow: 'admin/end-borrow',
  logout: 'admin/logout',
};
/** From `/admin/…`. */
const FROM_ACTION: Links = {
  home: '../admin',
  login: 'login',
  release: 'release',
  endBorrow: 'end-borrow',
  logout: 'logout',
};

interface Session {
  csrf: string;
  expiresAt: number;
}

/** The block times the release form offers, in seconds (the first is preselected). */
const BLOCK_CHOICES: readonly { seconds: number; label: string }[] = [
  { seconds: 3600, label: 'keep its client out for 1 hour' },
  { seconds: 300, label: 'keep its client out for 5 minutes' },
  { seconds: 8 * 3600, label: 'keep its client out for 8 hours' },
  { seconds: 0, label: 'its client may take a seat again at once' },
];

const NOTICES: Record<string, string> = {
  released:
    'The lease was released; its seat is free. Its client, if it still runs, takes a seat again at its next heartbeat when one is free.',
  'released-blocked':
    'The lease was released; its seat is free. Its client is refused a seat (LICTOR_E_LEASE_REVOKED) for the time chosen; the event below says until when.',
  gone: 'That lease was already gone (released or expired).',
  'borrow-ended':
    'The borrowed seat was ended: the manager no longer counts it, and its seat is free for others. The manager cannot take a borrowed seat back from its computer: if that computer still runs, it keeps using the seat offline until the end it was lent for, and it can no longer give it back.',
  'borrow-gone': 'That borrowed seat was already gone (given back, ended, or past its end).',
  'signed-out': 'You are signed out.',
};

function html(title: string, body: string, refresh?: string): string {
  const extra =
    refresh === undefined ? '' : `<meta http-equiv="refresh" content="${REFRESH_SECONDS}; url=${refresh}">\n`;
  return htmlPage({ title, site: 'License Manager', style: STYLE, extra }, body);
}

/** `2026-01-01T10:00:05.123Z` → `2026-01-01 10:00:05`. */
function shownTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return m === null ? iso : `${m[1]} ${m[2]}`;
}

function loginPage(links: Links, message?: { kind: 'notice' | 'error'; text: string }): string {
  const shown =
    message === undefined ? '' : `<p class="${message.kind}" role="status">${escapeHtml(message.text)}</p>\n`;
  return html(
    'Sign in',
    `<h1>License Manager administration</h1>
${shown}<form method="post" action="${links.login}">
<label for="token">Admin token</label>
<input type="password" id="token" name="token" required autocomplete="current-password" aria-describedby="token-hint">
<p class="hint" id="token-hint">Printed once by <span class="mono">lictor manager serve</span> when the manager was set up.</p>
<p><button type="submit">Sign in</button></p>
</form>`,
  );
}

function licensesTable(usage: readonly LicenseUsage[]): string {
  if (usage.length === 0) return "<p>No license is served. Activate licenses into the manager's license directory.</p>";
  const rows = usage.map((u) => {
    const free = Math.max(0, u.total - u.inUse);
    const features = u.features
      .map((f) => `${escapeHtml(f.code)}${f.total === null ? '' : ` ${f.inUse}/${f.total}`}`)
      .join(', ');
    return `<tr><td>${escapeHtml(u.product)}</td><td class="mono" title="license ${escapeHtml(u.licenseId)}">${escapeHtml(u.serial ?? u.licenseId)}</td><td>${escapeHtml(u.source)}</td><td class="num">${u.inUse}</td><td class="num${free === 0 ? ' full' : ''}">${free}</td><td class="num">${u.total}</td><td>${features || '–'}</td></tr>`;
  });
  return `<table>
<thead><tr><th scope="col">Product</th><th scope="col">Serial</th><th scope="col">Source</th><th scope="col" class="num">In use</th><th scope="col" class="num">Free</th><th scope="col" class="num">Seats</th><th scope="col">Features (in use/seats)</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

/** The release form's choice of how long the client is kept out. */
function blockSelect(leaseId: string): string {
  const id = `block-${escapeHtml(leaseId)}`;
  const options = BLOCK_CHOICES.map(
    (c, i) => `<option value="${c.seconds}"${i === 0 ? ' selected' : ''}>${escapeHtml(c.label)}</option>`,
  ).join('');
  return `<label class="inline" for="${id}">Then</label> <select id="${id}" name="block">${options}</select>`;
}

function leasesTable(leases: readonly AdminLeaseBody[], csrf: string, links: Links): string {
  if (leases.length === 0) return '<p>No seat is in use.</p>';
  const rows = leases.map((l) => {
    const who = `${l.client.user}@${l.client.host}`;
    const what = l.feature === null ? l.product : `${l.product} / ${l.feature}`;
    return `<tr><td>${escapeHtml(who)}</td><td class="mono">${escapeHtml(l.client.process)}</td><td class="mono">${escapeHtml(l.client.session)}</td><td>${escapeHtml(what)}</td><td>${escapeHtml(shownTime(l.grantedAt))}</td><td>${escapeHtml(shownTime(l.heartbeatAt))}</td><td>${escapeHtml(shownTime(l.expiresAt))}</td><td><form class="inline" method="post" action="${links.release}"><input type="hidden" name="lease" value="${escapeHtml(l.id)}"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}">${blockSelect(l.id)} <button type="submit" aria-label="Release the seat of ${escapeHtml(who)} (${escapeHtml(what)})">Release</button></form></td></tr>`;
  });
  return `<table>
<thead><tr><th scope="col">Who</th><th scope="col">Process</th><th scope="col">Session</th><th scope="col">Product / feature</th><th scope="col">Since</th><th scope="col">Last heartbeat</th><th scope="col">Expires</th><th scope="col"><span class="hint">Action</span></th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

/**
 * Seats lent for offline use: they count as in use until their end. The manager cannot take one
 * back from its computer (the signed seat is checked offline there until its end), so ending one
 * only stops counting it: the form asks the administrator to confirm the computer is lost, broken
 * or wiped, and the manager refuses without it (see `POST /admin/end-borrow`).
 */
function borrowsTable(borrows: readonly AdminBorrowedSeat[], csrf: string, links: Links): string {
  if (borrows.length === 0) return '<p>No seat is borrowed.</p>';
  const rows = borrows.map((b) => {
    const who = `${b.client.user}@${b.client.host}`;
    const what = b.feature === null ? b.product : `${b.product} / ${b.feature}`;
    const box = `lost-${escapeHtml(b.id)}`;
    const end = `<form class="inline" method="post" action="${links.endBorrow}"><input type="hidden" name="borrow" value="${escapeHtml(b.id)}"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}"><input type="checkbox" id="${box}" name="lost" value="yes" required aria-describedby="borrow-end-hint"> <label class="inline" for="${box}">its computer is lost, broken or wiped</label> <button type="submit" aria-label="End the borrowed seat of ${escapeHtml(who)} (${escapeHtml(what)})">End borrow</button></form>`;
    return `<tr><td>${escapeHtml(who)}</td><td class="mono">${escapeHtml(b.computer.machine)}</td><td>${escapeHtml(what)}</td><td class="mono">${escapeHtml(b.serial)}</td><td>${escapeHtml(shownTime(b.grantedAt))}</td><td>${escapeHtml(shownTime(b.until))}</td><td>${end}</td></tr>`;
  });
  return `<table>
<thead><tr><th scope="col">Who</th><th scope="col">Computer</th><th scope="col">Product / feature</th><th scope="col">Serial</th><th scope="col">Since</th><th scope="col">Until</th><th scope="col"><span class="hint">Action</span></th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

function eventsTable(events: readonly ManagerEvent[]): string {
  if (events.length === 0) return '<p>Nothing happened yet.</p>';
  const rows = events.map((e) => {
    const who = e.client === undefined ? '' : `${e.client.user}@${e.client.host}`;
    return `<tr><td>${escapeHtml(shownTime(e.at))}</td><td>${escapeHtml(e.kind)}</td><td>${escapeHtml(e.product ?? '')}</td><td>${escapeHtml(who)}</td><td class="mono">${escapeHtml(e.leaseId ?? '')}</td><td>${escapeHtml(e.detail ?? '')}</td></tr>`;
  });
  return `<table>
<thead><tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">Product</th><th scope="col">Who</th><th scope="col">Lease</th><th scope="col">Detail</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

/** The admin page of `manager`, for a signed-in session. */
function renderAdminPage(
  manager: LicenseManager,
  session: { csrf: string },
  view: { notice?: string; refresh?: boolean } = {},
): string {
  const usage = manager.usage();
  const renewals = manager.renewals();
  const leases = manager
    .leases()
    .map((l) => manager.adminLeaseBody(l))
    .sort((a, b) => a.product.localeCompare(b.product) || a.grantedAt.localeCompare(b.grantedAt));
  const borrows = manager
    .borrows()
    .map((l) => manager.adminBorrowedSeat(l))
    .sort((a, b) => a.until.localeCompare(b.until));
  const inUse = usage.reduce((n, u) => n + u.inUse, 0);
  const total = usage.reduce((n, u) => n + u.total, 0);
  const notice = view.notice === undefined ? undefined : NOTICES[view.notice];
  const refresh = view.refresh !== false;
  const links = FROM_PAGE;
  return html(
    `Manager ${manager.id}`,
    `<header>
<div>
<h1>License Manager <span class="mono">${escapeHtml(manager.id)}</span></h1>
<p class="hint">Version ${escapeHtml(MANAGER_VERSION)} · heartbeat every ${Math.round(manager.heartbeatIntervalMs / 1000)} s · a lease lapses ${Math.round(manager.leaseTtlMs / 1000)} s after its last heartbeat · times in UTC · ${refresh ? `reloads every ${REFRESH_SECONDS} s (<a href="${links.home}?refresh=off">stop</a>)` : `<a href="${links.home}">reload automatically</a>`}</p>
</div>
<form method="post" action="${links.logout}"><input type="hidden" name="csrf" value="${escapeHtml(session.csrf)}"><button type="submit" class="quiet">Sign out</button></form>
</header>
${notice === undefined ? '' : `<p class="notice" role="status">${escapeHtml(notice)}</p>\n`}<h2>Licenses: ${inUse} of ${total} seats in use</h2>
${licensesTable(usage)}
<h2>Leases (${leases.length})</h2>
${leasesTable(leases, session.csrf, links)}
<h2>Borrowed for offline use (${borrows.length})</h2>
<p class="hint">A borrowed seat is in use on its computer, without heartbeats, until the time shown or until its borrower gives it back (<span class="mono">lictor borrow return</span> on that computer).</p>
<p class="hint" id="borrow-end-hint">The manager cannot take a borrowed seat back: its computer checks it offline until the time shown. <strong>End borrow</strong> only stops counting it, so that another client may take its seat; use it only for a computer that is lost, broken or wiped, since a computer that still runs keeps using the seat.</p>
${borrowsTable(borrows, session.csrf, links)}
<h2>Recent events</h2>
<p class="hint">Renewals are counted, not listed: ${renewals.renewals} renewal(s) and ${renewals.heartbeats} heartbeat(s) since the manager started.</p>
${eventsTable(manager.events(EVENTS_SHOWN))}`,
    refresh ? links.home : undefined,
  );
}

/** A form body's text field; repeated fields (arrays) count as absent. */
function field(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/** The value of cookie `name` in a `Cookie` header. */
function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function sessionCookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${ADMIN_SESSION_COOKIE}=${value}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

function unauthorized(message: string): LictorError {
  return new LictorError('LICTOR_E_UNAUTHORIZED', message);
}

/** The admin page plugin; its form parser and its HTML error pages stay inside it. */
export const managerWebRoutes: FastifyPluginAsync<{ manager: LicenseManager }> = async (app, { manager }) => {
  await app.register(formbody, { bodyLimit: FORM_BODY_LIMIT });
  const sessions = new Map<string, Session>();

  const sessionKey = (id: string) => toHex(sha256(id));

  function currentSession(request: FastifyRequest): { key: string; session: Session } | undefined {
    const id = cookie(request.headers.cookie, ADMIN_SESSION_COOKIE);
    if (id === undefined || id.length > 64) return undefined;
    const key = sessionKey(id);
    const session = sessions.get(key);
    if (session === undefined) return undefined;
    if (session.expiresAt <= Date.now()) {
      sessions.delete(key);
      return undefined;
    }
    return { key, session };
  }

  /** The session of a form that changes something: signed in, same site, CSRF token matching. */
  function formSession(request: FastifyRequest): { key: string; session: Session } {
    if (request.headers['sec-fetch-site'] === 'cross-site') {
      throw unauthorized('the form was sent from another site; use the admin page itself');
    }
    const current = currentSession(request);
    if (current === undefined) throw unauthorized('you are not signed in (or your session ended): sign in again');
    const csrf = field(request.body, 'csrf') ?? '';
    if (!constantTimeEqual(utf8(csrf), utf8(current.session.csrf))) {
      throw unauthorized('the form belongs to an earlier session: reload the admin page and try again');
    }
    return current;
  }

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(HTML_SECURITY_HEADERS);
    return payload;
  });
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = failureAnswer(request, error, FORM_BODY_LIMIT);
    if (status === 401) return sendHtml(reply, 401, loginPage(FROM_ACTION, { kind: 'error', text: body.message }));
    return sendHtml(
      reply,
      status,
      html(
        'Refused',
        `<div class="error"><h1>Refused</h1><p>${escapeHtml(body.message)}</p><p>Error code: <span class="mono">${escapeHtml(body.code)}</span></p></div>
<p><a href="${FROM_ACTION.home}">Back to the admin page</a></p>`,
      ),
    );
  });

  app.get('/admin', { schema: HIDDEN_ROUTE }, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const notice = typeof query.notice === 'string' ? query.notice : undefined;
    const current = currentSession(request);
    if (current === undefined) {
      const text = notice === undefined ? undefined : NOTICES[notice];
      return sendHtml(reply, 401, loginPage(FROM_PAGE, text === undefined ? undefined : { kind: 'notice', text }));
    }
    return sendHtml(
      reply,
      200,
      renderAdminPage(manager, current.session, {
        ...(notice === undefined ? {} : { notice }),
        refresh: query.refresh !== 'off',
      }),
    );
  });

  app.post('/admin/login', { schema: HIDDEN_ROUTE }, async (request, reply) => {
    const token = field(request.body, 'token') ?? '';
    if (token === '' || !manager.verifyAdminToken(token)) {
      request.log.info('admin sign-in refused');
      return sendHtml(
        reply,
        401,
        loginPage(FROM_ACTION, { kind: 'error', text: 'That is not the admin token of this License Manager.' }),
      );
    }
    const id = toBase64Url(randomBytes(32));
    if (sessions.size >= MAX_SESSIONS) {
      const oldest = sessions.keys().next().value;
      if (oldest !== undefined) sessions.delete(oldest);
    }
    sessions.set(sessionKey(id), { csrf: toBase64Url(randomBytes(24)), expiresAt: Date.now() + ADMIN_SESSION_TTL_MS });
    request.log.info('admin signed in');
    return reply
      .code(303)
      .header('set-cookie', sessionCookie(request, id, ADMIN_SESSION_TTL_MS / 1000))
      .header('location', FROM_ACTION.home)
      .send();
  });

  app.post('/admin/release', { schema: HIDDEN_ROUTE }, async (request, reply) => {
    formSession(request);
    const lease = field(request.body, 'lease') ?? '';
    if (lease === '' || lease.length > 128) {
      throw new LictorError('LICTOR_E_INVALID_INPUT', 'the form names no lease', { field: 'lease' });
    }
    const block = field(request.body, 'block') ?? '0';
    const blockSeconds = /^\d{1,7}$/.test(block) ? Number(block) : Number.NaN;
    if (!BLOCK_CHOICES.some((c) => c.seconds === blockSeconds)) {
      throw new LictorError('LICTOR_E_INVALID_INPUT', 'choose one of the block times the form offers', {
        field: 'block',
      });
    }
    const released = manager.adminRelease(lease, { blockMs: blockSeconds * 1000 });
    if (released) request.log.info({ leaseId: lease, blockSeconds }, 'lease released by an administrator');
    const notice = released ? (blockSeconds > 0 ? 'released-blocked' : 'released') : 'gone';
    return reply.code(303).header('location', `${FROM_ACTION.home}?notice=${notice}`).send();
  });

  // Ends a borrowed seat for a computer lost, broken or wiped: the manager stops counting it. The
  // form must say so (`lost=yes`): the seat goes on working offline on a computer that still runs.
  app.post('/admin/end-borrow', { schema: HIDDEN_ROUTE }, async (request, reply) => {
    formSession(request);
    const id = field(request.body, 'borrow') ?? '';
    if (id === '' || id.length > 128) {
      throw new LictorError('LICTOR_E_INVALID_INPUT', 'the form names no borrowed seat', { field: 'borrow' });
    }
    const seat = manager.borrows().find((b) => b.id === id);
    if (seat === undefined) return reply.code(303).header('location', `${FROM_ACTION.home}?notice=borrow-gone`).send();
    if (field(request.body, 'lost') !== 'yes') {
      const until = shownTime(new Date(seat.expiresAt).toISOString());
      throw new LictorError(
        'LICTOR_E_INVALID_INPUT',
        `the borrowed seat was not ended: the manager cannot take it back from its computer, which checks it offline until ${until} UTC. Ask its user to give it back from that computer (lictor borrow return), or let it end at ${until}. End it here only when the computer is lost, broken or wiped: tick that box, and the manager stops counting the seat.`,
        { field: 'lost' },
      );
    }
    const ended = manager.adminReturnBorrow(id);
    if (ended) request.log.info({ leaseId: id }, 'borrowed seat ended by an administrator');
    return reply
      .code(303)
      .header('location', `${FROM_ACTION.home}?notice=${ended ? 'borrow-ended' : 'borrow-gone'}`)
      .send();
  });

  app.post('/admin/logout', { schema: HIDDEN_ROUTE }, async (request, reply) => {
    const { key } = formSession(request);
    sessions.delete(key);
    return reply
      .code(303)
      .header('set-cookie', sessionCookie(request, '', 0))
      .header('location', `${FROM_ACTION.home}?notice=signed-out`)
      .send();
  });
};
