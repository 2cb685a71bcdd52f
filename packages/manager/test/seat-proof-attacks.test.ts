/**
 * Signed seats, attacked through the public interfaces: a real License Manager over real HTTP,
 * fake managers written with `node:http`, real UDP discovery on loopback, and the SDK's
 * `connectManager().acquire()`. A seat is accepted only from a manager that proves, over the
 * client's fresh nonce, that it holds a genuine license of the application's vendor for the product.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import {
  type AnswerKey,
  encodeDiscoveryAnswer,
  generateVendorKeys,
  type LictorError,
  loadSigner,
  verifyAnswer,
} from '@lictor/protocol';
import { FakeScheduler } from '@lictor/protocol/testing';
import { connectManager } from '@lictor/sdk';
import { licenseKey, VENDOR } from '../../sdk/test/signed-answers.js';
import { buildManagerServer, type LicenseManagerOptions, SeatProofs, startDiscoveryResponder } from '../src/index.js';
import { CAD, openManager } from './manager-fixture.js';
import { client, unproven } from './proof-attacks.js';

/** A real manager serving `[CAD]` (3 seats of `cad`), its answers signed with `key`, listening on loopback. */
async function realManager(
  t: TestContext,
  key: AnswerKey | null = licenseKey(['cad']),
  options: Partial<LicenseManagerOptions> = {},
) {
  const { manager } = await openManager(t, options);
  const proofs = new SeatProofs();
  if (key !== null) proofs.setKeys(new Map([[CAD.id, key]]));
  const app = buildManagerServer(manager, { proofs });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => app.close());
  return { manager, url: address, port: Number(new URL(address).port) };
}

/** A fake manager: `handle` answers each request (body parsed). */
async function fakeHttp(
  t: TestContext,
  handle: (req: IncomingMessage, body: Record<string, unknown>, res: ServerResponse) => void | Promise<void>,
) {
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => {
      text += c.toString();
    });
    req.on('end', () => {
      void handle(req, text === '' ? {} : (JSON.parse(text) as Record<string, unknown>), res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port };
}

/** The headers a relay passes on: the body's type and what asks for a proof (nonce, session). */
function relayed(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = { 'content-type': 'application/json' };
  for (const name of ['lictor-nonce', 'lictor-session']) {
    const value = req.headers[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

function json(res: ServerResponse, status: number, body?: unknown): void {
  res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

/** The 20-line server of the issue: a well-formed 201 for any product, no license anywhere. */
function wellFormedGrant(body: Record<string, unknown>) {
  const now = Date.now();
  return {
    renewed: false,
    lease: {
      id: 'L1',
      product: body.product,
      feature: body.feature ?? null,
      licenseId: 'x',
      source: 'software',
      grantedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 60_000).toISOString(),
      heartbeatIntervalMs: 20_000,
    },
  };
}

/**
 * The client's time and the manager's are two {@link FakeScheduler}s: the client's moves its
 * heartbeats; the manager's stands still, so no lease lapses on the manager while a test runs.
 */
function clocks() {
  return { client: new FakeScheduler(), manager: new FakeScheduler() };
}

test("a genuine manager: the grant is signed, heartbeats are MAC'd in a session and accepted", async (t) => {
  const time = clocks();
  const m = await realManager(t, licenseKey(['cad']), {
    heartbeatIntervalMs: 50,
    leaseTtlMs: 2000,
    scheduler: time.manager,
  });
  // A transparent relay, to see the proofs on the wire.
  const proofs: string[] = [];
  const relay = await fakeHttp(t, async (req, body, res) => {
    const answer = await fetch(`${m.url}${req.url}`, {
      method: req.method ?? 'GET',
      headers: relayed(req),
      body: req.method === 'DELETE' ? null : JSON.stringify(body),
    });
    const text = await answer.text();
    const proof = text === '' ? undefined : (JSON.parse(text) as { proof?: { key: string } }).proof;
    proofs.push(
      `${req.url?.endsWith('/heartbeat') ? 'heartbeat' : 'lease'}:${proof?.key ?? 'none'}${String(req.headers['lictor-session'] ?? '').includes('.') ? '+sealed' : ''}`,
    );
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(text);
  });
  const c = await client(t, [relay.url], { scheduler: time.client });
  const lease = await c.acquire('cad');
  for (let beat = 1; beat <= 4; beat++) {
    time.client.advance(lease.heartbeatIntervalMs);
    await time.client.whenPending(); // answered, checked, and the next heartbeat set
  }
  assert.deepEqual(proofs, [
    'lease:container',
    // The client seals a session secret to the license's key; the manager opens it and signs
    // this answer (the license it then holds the session under), so the client sends it again.
    'heartbeat:container+sealed',
    'heartbeat:session+sealed', // held: MAC'd
    'heartbeat:session',
    'heartbeat:session',
  ]);
  assert.equal(lease.state, 'active');
  // The session is the client's with this manager: its next lease answer is MAC'd too.
  assert.equal(await c.acquire('cad'), lease);
  assert.ok(proofs.slice(5).includes('lease:session'), proofs.join(', '));
});

test("a signed acquire (a runtime's, for an application) sends that nonce without the session and accepts only a signature", async (t) => {
  const m = await realManager(t);
  const seen: { nonce: unknown; session: unknown; proof: string }[] = [];
  /** `macInstead`: answer the signed acquire with the MAC of the previous (session) answer. */
  let macInstead = false;
  let lastMac: unknown;
  const relay = await fakeHttp(t, async (req, body, res) => {
    const answer = await fetch(`${m.url}${req.url}`, {
      method: req.method ?? 'GET',
      headers: relayed(req),
      body: req.method === 'DELETE' ? null : JSON.stringify(body),
    });
    const parsed = (await answer.json()) as { proof?: { key: string } };
    seen.push({
      nonce: req.headers['lictor-nonce'],
      session: req.headers['lictor-session'],
      proof: parsed.proof?.key ?? 'none',
    });
    if (parsed.proof?.key === 'session') lastMac = parsed.proof;
    json(res, answer.status, macInstead ? { ...parsed, proof: lastMac } : parsed);
  });
  const c = await client(t, [relay.url]);
  await c.acquire('cad');
  await c.acquire('cad'); // opens the session: signed
  await c.acquire('cad'); // within the session: MAC'd
  assert.deepEqual(
    seen.map((s) => s.proof),
    ['container', 'container', 'session'],
  );
  const nonce = Buffer.alloc(24, 7).toString('base64url');
  const signedSeat = await c.acquire('cad', undefined, { nonce, signature: 'full' });
  assert.deepEqual(seen[3], { nonce, session: undefined, proof: 'container' });
  assert.equal(signedSeat.proof.key, 'container');
  assert.equal(signedSeat.answer.lease.id, signedSeat.lease.id);
  assert.equal(signedSeat.answer.renewed, true, 'the seat this client holds');
  const doc = verifyAnswer({
    purpose: 'lease',
    nonce,
    answer: signedSeat.answer,
    proof: signedSeat.proof,
    publicKey: VENDOR.publicKey,
    scope: { product: 'cad', feature: null, now: Date.now() },
  });
  assert.equal(doc.containerId, signedSeat.license.containerId);

  // A relay that answers the signed acquire with a session MAC: refused, though the MAC is the client's.
  macInstead = true;
  await assert.rejects(
    c.acquire('cad', undefined, { nonce: Buffer.alloc(24, 8).toString('base64url'), signature: 'full' }),
    unproven('signature'),
  );
  await assert.rejects(c.acquire('cad', undefined, { nonce: 'short', signature: 'full' }), (err: LictorError) => {
    assert.equal(err.code, 'LICTOR_E_INVALID_INPUT');
    return true;
  });
});

test('a node:http server with a well-formed 201 and no license → LICTOR_E_ANSWER_UNPROVEN (missing)', async (t) => {
  const fake = await fakeHttp(t, (_req, body, res) => json(res, 201, wellFormedGrant(body)));
  const c = await client(t, [fake.url]);
  await assert.rejects(c.acquire('cad'), unproven('missing'));
});

test('a server claiming a session the client never opened (a made-up MAC) → refused (signature)', async (t) => {
  const fake = await fakeHttp(t, (_req, body, res) =>
    json(res, 201, {
      ...wellFormedGrant(body),
      proof: { key: 'session', mac: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
    }),
  );
  const c = await client(t, [fake.url]);
  await assert.rejects(c.acquire('cad'), unproven('signature'));
});

test('a real manager whose license is of another vendor → refused (license, WRONG_VENDOR)', async (t) => {
  const otherVendor = loadSigner(generateVendorKeys().privatePem);
  const m = await realManager(t, licenseKey(['cad'], otherVendor));
  const c = await client(t, [m.url]);
  await assert.rejects(c.acquire('cad'), (err: unknown) => {
    unproven('license')(err);
    assert.equal((err as LictorError).details?.cause, 'LICTOR_E_WRONG_VENDOR');
    return true;
  });
});

test('a real manager proving its seats with a genuine license for another product → refused (not-covered)', async (t) => {
  const m = await realManager(t, licenseKey(['erp']));
  const c = await client(t, [m.url]);
  await assert.rejects(c.acquire('cad'), unproven('not-covered'));
});

test('a real manager with no key for its license (old license, token without PIN) → refused (missing)', async (t) => {
  const m = await realManager(t, null);
  const c = await client(t, [m.url]);
  await assert.rejects(c.acquire('cad'), unproven('missing'));
});

test('a genuine answer replayed for another nonce → refused (signature)', async (t) => {
  const m = await realManager(t);
  let recorded: unknown;
  // A proxy that relays the first request to the genuine manager and replays its answer ever after.
  const proxy = await fakeHttp(t, async (req, body, res) => {
    if (recorded === undefined) {
      const answer = await fetch(`${m.url}/v1/leases`, {
        method: 'POST',
        headers: relayed(req),
        body: JSON.stringify(body),
      });
      recorded = await answer.json();
    }
    json(res, 201, recorded);
  });
  const a = await client(t, [proxy.url], { client: { host: 'ws-a' } });
  assert.equal((await a.acquire('cad')).id, (recorded as { lease: { id: string } }).lease.id, 'relayed: genuine');
  const b = await client(t, [proxy.url], { client: { host: 'ws-b' } });
  await assert.rejects(b.acquire('cad'), unproven('signature'));
});

test('heartbeats answered by a replay, after a genuine grant → the seat is lost (LICTOR_E_ANSWER_UNPROVEN)', async (t) => {
  const time = clocks();
  const m = await realManager(t, licenseKey(['cad']), {
    heartbeatIntervalMs: 50,
    leaseTtlMs: 400,
    scheduler: time.manager,
  });
  let heartbeat: unknown;
  const proxy = await fakeHttp(t, async (req, body, res) => {
    if (req.url?.endsWith('/heartbeat') && heartbeat !== undefined) return json(res, 200, heartbeat);
    const answer = await fetch(`${m.url}${req.url}`, {
      method: req.method ?? 'GET',
      headers: relayed(req),
      body: req.method === 'DELETE' ? null : JSON.stringify(body),
    });
    const text = await answer.text();
    if (req.url?.endsWith('/heartbeat')) heartbeat = JSON.parse(text);
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(text);
  });
  const c = await client(t, [proxy.url], { scheduler: time.client });
  const lease = await c.acquire('cad');
  const grantedAt = time.client.now();
  let lostAt: number | undefined;
  const lost = new Promise<LictorError>((resolve) =>
    lease.on('lost', (reason) => {
      lostAt = time.client.now();
      resolve(reason);
    }),
  );
  // The first heartbeat is relayed (genuine, and recorded); every later one gets that recording.
  while (lostAt === undefined) {
    assert.ok(time.client.now() - grantedAt <= 500, 'lost no later than the first heartbeat past the lease');
    time.client.runNext();
    await Promise.race([time.client.whenPending(), lost]);
  }
  const reason = await lost;
  // The proven heartbeat at 50 ms held the seat until 450 ms; the heartbeat after that finds it gone.
  assert.equal(lostAt - grantedAt, 500, 'not lost while the last proven heartbeat still held the seat');
  assert.equal(reason.code, 'LICTOR_E_ANSWER_UNPROVEN');
  assert.equal(reason.details?.reason, 'signature');
  assert.equal(lease.state, 'lost');
});

test('a rogue fake manager listed first is skipped and the genuine manager used', async (t) => {
  const m = await realManager(t);
  let asked = 0;
  const rogue = await fakeHttp(t, (_req, body, res) => {
    asked++;
    json(res, 201, wellFormedGrant(body));
  });
  const c = await client(t, [rogue.url, m.url]);
  const lease = await c.acquire('cad');
  assert.equal(lease.manager, m.url);
  assert.equal(asked, 1);
});

test('a rogue discovery responder that answers first (with the genuine id) is skipped; the genuine manager serves', async (t) => {
  const m = await realManager(t);
  const genuine = await startDiscoveryResponder({
    id: 'mgr',
    version: '0.1.0',
    httpPort: m.port,
    httpHost: '127.0.0.1',
    port: 0,
  });
  t.after(() => genuine.close());
  let asked = 0;
  const rogueHttp = await fakeHttp(t, (_req, body, res) => {
    asked++;
    json(res, 201, wellFormedGrant(body));
  });
  // The rogue sits where the client probes: it answers at once, then relays the probe to the
  // genuine responder and the genuine answer back, so its own answer always arrives first.
  const rogue = createSocket('udp4');
  await new Promise<void>((resolve) => rogue.bind(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => rogue.close(() => resolve())));
  let prober: { port: number } | undefined;
  rogue.on('message', (packet, from) => {
    if (from.port === genuine.port) {
      if (prober) rogue.send(packet, prober.port, '127.0.0.1');
      return;
    }
    prober = { port: from.port };
    const nonce = packet.subarray(6, 22);
    rogue.send(
      encodeDiscoveryAnswer(nonce, { id: 'mgr', version: '0.1.0', port: rogueHttp.port }),
      from.port,
      from.address,
    );
    rogue.send(packet, genuine.port, '127.0.0.1');
  });
  const c = await connectManager({
    publicKey: VENDOR.publicKey.text,
    configPaths: [],
    env: {},
    discovery: { targets: [`127.0.0.1:${rogue.address().port}`], timeoutMs: 1500 },
  });
  t.after(() => c.close());
  assert.deepEqual(c.managers, [rogueHttp.url, m.url], 'the rogue answered first and did not hide the genuine manager');
  const lease = await c.acquire('cad');
  assert.equal(lease.manager, m.url);
  assert.equal(asked, 1, 'the rogue was tried, its unproven seat refused');
  assert.equal(m.manager.leases().length, 1);
});

test('a malformed nonce or session header is a 400, not an unproven answer', async (t) => {
  const m = await realManager(t);
  const body = JSON.stringify({ product: 'cad', client: { host: 'h', user: 'u', process: 'p', session: 's' } });
  const malformed: Record<string, string>[] = [
    { 'lictor-nonce': 'short' },
    { 'lictor-nonce': 'AAAAAAAAAAAAAAAAAAAAAB' }, // 16 bytes, not the canonical spelling
    { 'lictor-nonce': 'AAAAAAAAAAAAAAAAAAAAAA', 'lictor-session': 'a.b.c' },
  ];
  for (const headers of malformed) {
    const res = await fetch(`${m.url}/v1/leases`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    assert.equal(res.status, 400, JSON.stringify(headers));
    assert.equal(((await res.json()) as { code: string }).code, 'LICTOR_E_INVALID_INPUT');
  }
});
