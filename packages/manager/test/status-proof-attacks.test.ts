/**
 * The License Manager's status (`GET /v1/status`), attacked through the public interfaces: a real
 * manager over real HTTP, fake managers and relays written with `node:http` on loopback, and the
 * SDK's `connectManager().status(product)`. A status is accepted only when it is proven over the
 * client's fresh nonce as lease answers are (signed seats): by the container key of a genuine
 * license of the vendor that holds the product whose seats it lists, or MAC'd in the client's session.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import type { AnswerKey } from '@lictor/protocol';
import { FakeScheduler } from '@lictor/protocol/testing';
import { licenseKey } from '../../sdk/test/signed-answers.js';
import { buildManagerServer, type LicenseManagerOptions, SeatProofs } from '../src/index.js';
import { CAD, openManager } from './manager-fixture.js';
import { client, unproven } from './proof-attacks.js';

/** A real manager serving `[CAD]` (3 seats of `cad`), its answers proven with `key`, on loopback. */
async function realManager(
  t: TestContext,
  key: AnswerKey | null = licenseKey(['cad']),
  options: Partial<LicenseManagerOptions> = {},
) {
  const { manager } = await openManager(t, options);
  const proofs = new SeatProofs();
  if (key !== null) proofs.setKeys(new Map([[CAD.id, key]]));
  const app = buildManagerServer(manager, { proofs });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => app.close());
  return { manager, url };
}

/** An HTTP server on loopback: `handle` answers each request (its body as text). */
async function fakeHttp(
  t: TestContext,
  handle: (req: IncomingMessage, text: string, res: ServerResponse) => void | Promise<void>,
): Promise<string> {
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => {
      text += c.toString();
    });
    req.on('end', () => void handle(req, text, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Forwards a request to `target` with the headers that ask for a proof; the answer's status and JSON. */
async function forward(target: string, req: IncomingMessage, text: string) {
  const headers: Record<string, string> = {};
  if (text !== '') headers['content-type'] = 'application/json';
  for (const name of ['lictor-nonce', 'lictor-session']) {
    const value = req.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const answer = await fetch(`${target}${req.url}`, {
    method: req.method ?? 'GET',
    headers,
    ...(text === '' ? {} : { body: text }),
  });
  const body = await answer.text();
  return { status: answer.status, json: body === '' ? undefined : (JSON.parse(body) as Record<string, unknown>) };
}

/** The made-up status of the attack: 500 seats of `cad`, well-formed, with no license anywhere. */
const MADE_UP = {
  manager: { id: 'mgr', version: '1.0.0' },
  heartbeatIntervalMs: 20_000,
  leaseTtlMs: 60_000,
  products: [{ product: 'cad', inUse: 0, total: 500 }],
};

test('a genuine manager: its status is proven and accepted, with the true seats; a product it lacks lists nothing', async (t) => {
  const m = await realManager(t);
  const c = await client(t, [m.url]);
  await c.acquire('cad');
  const status = await c.status('cad');
  assert.deepEqual(status.products, [{ product: 'cad', inUse: 1, total: 3 }]);
  assert.equal(status.url, m.url);
  assert.equal(status.manager.id, 'mgr');
  assert.equal((status as { proof?: unknown }).proof, undefined, 'the proof is checked, not handed on');
  // Proven by its license of cad: a genuine manager that serves no seats of erp.
  assert.deepEqual((await c.status('erp')).products, []);
});

test('a node:http server answering GET /v1/status with made-up numbers → refused (missing); the genuine manager next is used', async (t) => {
  const asked: string[] = [];
  const fake = await fakeHttp(t, (req, _text, res) => {
    asked.push(`${req.url} nonce:${typeof req.headers['lictor-nonce'] === 'string'}`);
    json(res, 200, MADE_UP);
  });
  const alone = await client(t, [fake]);
  await assert.rejects(alone.status('cad'), unproven('missing'));
  assert.deepEqual(asked, ['/v1/status?product=cad nonce:true']);

  const m = await realManager(t);
  const both = await client(t, [fake, m.url]);
  const status = await both.status('cad');
  assert.equal(status.url, m.url, 'the rogue is skipped');
  assert.deepEqual(status.products, [{ product: 'cad', inUse: 0, total: 3 }]);
});

test('a made-up status with a made-up signature, or a made-up session MAC → refused', async (t) => {
  const genuine = licenseKey(['cad']);
  const signatureOf = await fakeHttp(t, (_req, _text, res) =>
    json(res, 200, {
      ...MADE_UP,
      proof: { key: 'container', license: genuine.license, signature: 'A'.repeat(86) },
    }),
  );
  await assert.rejects((await client(t, [signatureOf])).status('cad'), unproven('signature'));
  const macOf = await fakeHttp(t, (_req, _text, res) =>
    json(res, 200, { ...MADE_UP, proof: { key: 'session', mac: 'A'.repeat(43) } }),
  );
  await assert.rejects((await client(t, [macOf])).status('cad'), unproven('signature'));
});

test('a relay that raises the numbers of a genuine proven status → refused (signature)', async (t) => {
  const m = await realManager(t);
  const relay = await fakeHttp(t, async (req, text, res) => {
    const answer = await forward(m.url, req, text);
    const body = answer.json as { products?: { total: number }[] };
    if (req.url?.startsWith('/v1/status')) for (const p of body.products ?? []) p.total = 500;
    json(res, answer.status, body);
  });
  await assert.rejects((await client(t, [relay])).status('cad'), unproven('signature'));
});

test('a genuine status replayed for another nonce → refused (signature)', async (t) => {
  const m = await realManager(t);
  let recorded: unknown;
  const proxy = await fakeHttp(t, async (req, text, res) => {
    recorded ??= (await forward(m.url, req, text)).json;
    json(res, 200, recorded);
  });
  assert.deepEqual((await (await client(t, [proxy])).status('cad')).products, [{ product: 'cad', inUse: 0, total: 3 }]);
  await assert.rejects((await client(t, [proxy])).status('cad'), unproven('signature'));
});

test('a genuine status of other products than asked (the full list, over the nonce sent) → refused (not-covered)', async (t) => {
  const m = await realManager(t);
  const swapped = await fakeHttp(t, async (req, text, res) => {
    // The genuine manager's proven status of another product, with the client's own nonce.
    const answer = await forward(m.url, Object.assign(req, { url: '/v1/status' }), text);
    json(res, answer.status, answer.json);
  });
  // The full list, proven over this nonce, is not the status of cad alone.
  await assert.rejects((await client(t, [swapped])).status('erp'), unproven('not-covered'));
});

test('a real manager proving the seats of cad with a genuine license of another product → refused (not-covered)', async (t) => {
  const m = await realManager(t, licenseKey(['erp']));
  await assert.rejects((await client(t, [m.url])).status('cad'), unproven('not-covered'));
});

test('a manager whose licenses cannot sign (old license, token without PIN) → refused (missing)', async (t) => {
  const m = await realManager(t, null);
  await assert.rejects((await client(t, [m.url])).status('cad'), unproven('missing'));
});

test("within a session: the status is MAC'd and accepted; a MAC replayed for another nonce is refused", async (t) => {
  const time = { client: new FakeScheduler(), manager: new FakeScheduler() };
  const m = await realManager(t, licenseKey(['cad']), {
    heartbeatIntervalMs: 50,
    leaseTtlMs: 2000,
    scheduler: time.manager,
  });
  let replayStatus = false;
  let lastStatus: unknown;
  const seen: string[] = [];
  const relay = await fakeHttp(t, async (req, text, res) => {
    if (replayStatus && req.url?.startsWith('/v1/status')) return json(res, 200, lastStatus);
    const answer = await forward(m.url, req, text);
    const proof = (answer.json as { proof?: { key: string } } | undefined)?.proof;
    if (req.url?.startsWith('/v1/status')) {
      lastStatus = answer.json;
      seen.push(`status:${proof?.key ?? 'none'}`);
    }
    json(res, answer.status, answer.json);
  });
  const c = await client(t, [relay], { scheduler: time.client });
  const lease = await c.acquire('cad');
  await c.status('cad'); // before the session is held: signed
  for (let beat = 1; beat <= 2; beat++) {
    // The first heartbeat opens the session (signed), the second is MAC'd: the client then names it.
    time.client.advance(lease.heartbeatIntervalMs);
    await time.client.whenPending();
  }
  assert.deepEqual((await c.status('cad')).products, [{ product: 'cad', inUse: 1, total: 3 }]);
  assert.deepEqual(seen, ['status:container', 'status:session']);
  replayStatus = true;
  await assert.rejects(c.status('cad'), unproven('signature'));
  assert.equal(lease.state, 'active', 'the seat is not disturbed');
});
