/** UDP discovery of License Managers, against responders speaking the wire format on loopback. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import {
  DISCOVERY_MULTICAST_GROUP,
  type DiscoveryAnnouncement,
  decodeDiscoveryProbe,
  encodeDiscoveryAnswer,
} from '@lictor/protocol';
import { connectManager, defaultDiscoveryTargets, discoverManagers } from '../src/index.js';
import { licenseKey, signed, VENDOR } from './signed-answers.js';

interface Responder {
  port: number;
  probes: number;
  /** Resolves once every datagram answering the first probe was sent. */
  sent: Promise<void>;
}

/**
 * A responder on 127.0.0.1. `answer` returns what to send back to a probe with `nonce`:
 * datagrams in order, each once `after` (if given) has resolved.
 */
async function responder(
  t: TestContext,
  answer: (nonce: Uint8Array) => { packet: Uint8Array; after?: Promise<unknown> }[],
): Promise<Responder> {
  const socket = createSocket('udp4');
  let sentAll: () => void = () => {};
  const state: Responder = { port: 0, probes: 0, sent: new Promise<void>((resolve) => (sentAll = resolve)) };
  socket.on('message', async (m, from) => {
    const probe = decodeDiscoveryProbe(m);
    if (!probe.ok) return;
    state.probes++;
    for (const { packet, after } of answer(probe.nonce)) {
      await after;
      await new Promise<void>((resolve) => socket.send(packet, from.port, from.address, () => resolve()));
    }
    sentAll();
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  state.port = socket.address().port;
  t.after(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return state;
}

const announce = (id: string, port: number, url?: string): DiscoveryAnnouncement =>
  url === undefined ? { id, version: '0.1.0', port } : { id, version: '0.1.0', port, url };

test('answers echoing the nonce are collected in answer order; strays, garbage and duplicates are ignored', async (t) => {
  // The slow responder answers only once the fast one has sent everything: the order is decided
  // by the test, not by timers racing on a busy machine.
  let fastSent: Promise<void> = new Promise(() => {});
  const slow = await responder(t, (nonce) => [
    { packet: encodeDiscoveryAnswer(nonce, announce('slow', 9001)), after: fastSent },
  ]);
  const fast = await responder(t, (nonce) => [
    { packet: encodeDiscoveryAnswer(randomBytes(16), announce('stray', 9999)) }, // another client's answer
    { packet: new TextEncoder().encode('not an answer') },
    { packet: encodeDiscoveryAnswer(nonce, announce('fast', 9002)) },
    { packet: encodeDiscoveryAnswer(nonce, announce('fast', 9002)) }, // reached twice
  ]);
  fastSent = fast.sent;
  const found = await discoverManagers({
    targets: [`127.0.0.1:${slow.port}`, `127.0.0.1:${fast.port}`],
    timeoutMs: 1500, // the window; both answers come within milliseconds of the probes
  });
  assert.deepEqual(
    found.map((m) => [m.id, m.url, m.from]),
    [
      ['fast', 'http://127.0.0.1:9002', '127.0.0.1'],
      ['slow', 'http://127.0.0.1:9001', '127.0.0.1'],
    ],
  );
  assert.ok((found[0]?.answeredAfterMs ?? -1) <= (found[1]?.answeredAfterMs ?? -1));
  assert.equal(slow.probes + fast.probes, 2);
});

test('an announced URL wins over the source address; an unusable one drops the answer', async (t) => {
  const r = await responder(t, (nonce) => [
    { packet: encodeDiscoveryAnswer(nonce, announce('with-url', 9003, 'https://lm.example.lan:8443')) },
    { packet: encodeDiscoveryAnswer(nonce, announce('bad-url', 9004, 'http://x/evil?path')) },
  ]);
  const found = await discoverManagers({ targets: [`127.0.0.1:${r.port}`], timeoutMs: 200 });
  assert.deepEqual(
    found.map((m) => [m.id, m.url]),
    [['with-url', 'https://lm.example.lan:8443']],
  );
});

test('nothing answers: an empty list after the window', async () => {
  const silent = createSocket('udp4');
  await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
  const port = silent.address().port;
  try {
    const started = Date.now();
    assert.deepEqual(await discoverManagers({ targets: [`127.0.0.1:${port}`], timeoutMs: 150 }), []);
    assert.ok(Date.now() - started >= 140);
  } finally {
    silent.close();
  }
});

test('default targets: limited broadcast, the multicast group and loopback; bad targets are refused', async () => {
  const targets = defaultDiscoveryTargets();
  assert.equal(targets[0], '255.255.255.255');
  assert.ok(targets.includes(DISCOVERY_MULTICAST_GROUP));
  assert.ok(targets.includes('127.0.0.1'));
  await assert.rejects(discoverManagers({ targets: ['127.0.0.1:99999'] }), { code: 'LICTOR_E_INVALID_INPUT' });
  await assert.rejects(discoverManagers({ targets: ['[::1]:8791'] }), { code: 'LICTOR_E_INVALID_INPUT' });
  await assert.rejects(discoverManagers({ targets: ['127.0.0.1'], timeoutMs: 0 }), { code: 'LICTOR_E_INVALID_INPUT' });
});

/**
 * A manager that grants every lease asked for (just enough of the wire contract), signing its
 * answers with a genuine license of CAD unless `genuine` is false (a rogue: well-formed answers, no license).
 */
async function grantingManager(
  t: TestContext,
  genuine = true,
): Promise<{ port: number; acquired: string[]; released: string[] }> {
  const key = genuine ? licenseKey(['CAD']) : null;
  const state = { port: 0, acquired: [] as string[], released: [] as string[] };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/leases') {
        const nonce = req.headers['lictor-nonce'];
        const { product, client } = JSON.parse(body) as {
          product: string;
          client: { host: string };
        };
        state.acquired.push(`${product}@${client.host}`);
        const now = Date.now();
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            signed(key, 'lease', nonce, {
              renewed: false,
              lease: {
                id: 'L1',
                product,
                feature: null,
                licenseId: 'lic',
                source: 'software',
                grantedAt: new Date(now).toISOString(),
                expiresAt: new Date(now + 60_000).toISOString(),
                heartbeatIntervalMs: 20_000,
              },
            }),
          ),
        );
        return;
      }
      if (req.method === 'DELETE' && req.url?.startsWith('/v1/leases/')) {
        state.released.push(req.url.slice('/v1/leases/'.length));
        res.writeHead(204).end();
        return;
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return state;
}

test('connectManager finds a manager only through discovery and takes a seat from it', async (t) => {
  const http = await grantingManager(t);
  const udp = await responder(t, (nonce) => [{ packet: encodeDiscoveryAnswer(nonce, announce('lm-1', http.port)) }]);
  const client = await connectManager({
    publicKey: VENDOR.publicKey.text,
    configPaths: [],
    env: {},
    client: { host: 'ws-7' },
    discovery: { targets: [`127.0.0.1:${udp.port}`], timeoutMs: 200 },
  });
  try {
    assert.deepEqual(client.managers, [`http://127.0.0.1:${http.port}`]);
    const lease = await client.acquire('CAD');
    assert.equal(lease.id, 'L1');
    assert.equal(lease.manager, `http://127.0.0.1:${http.port}`);
    assert.deepEqual(http.acquired, ['CAD@ws-7']);
  } finally {
    await client.close();
  }
  assert.deepEqual(http.released, ['L1']);
});

test('a rogue that answers discovery first, even under the genuine manager id, is tried, refused and skipped', async (t) => {
  const genuine = await grantingManager(t);
  const rogue = await grantingManager(t, false);
  const rogueUdp = await responder(t, (nonce) => [
    { packet: encodeDiscoveryAnswer(nonce, announce('lm-1', rogue.port)) },
  ]);
  const genuineUdp = await responder(t, (nonce) => [
    { packet: encodeDiscoveryAnswer(nonce, announce('lm-1', genuine.port)), delayMs: 100 },
  ]);
  const client = await connectManager({
    publicKey: VENDOR.publicKey.text,
    configPaths: [],
    env: {},
    client: { host: 'ws-7' },
    discovery: { targets: [`127.0.0.1:${rogueUdp.port}`, `127.0.0.1:${genuineUdp.port}`], timeoutMs: 1000 },
  });
  try {
    // Both answers are kept (the rogue's claim of the id does not hide the genuine manager), rogue first.
    assert.deepEqual(client.managers, [`http://127.0.0.1:${rogue.port}`, `http://127.0.0.1:${genuine.port}`]);
    const lease = await client.acquire('CAD');
    assert.equal(lease.manager, `http://127.0.0.1:${genuine.port}`);
    assert.deepEqual(rogue.acquired, ['CAD@ws-7'], 'the rogue was asked first and its unproven seat refused');
    // Known to be unproven, the rogue is tried last from then on.
    assert.equal((await client.acquire('CAD')).manager, `http://127.0.0.1:${genuine.port}`);
    assert.equal(rogue.acquired.length, 1);
  } finally {
    await client.close();
  }
});

test('a rogue alone: discovery finds it, the seat is refused with LICTOR_E_ANSWER_UNPROVEN', async (t) => {
  const rogue = await grantingManager(t, false);
  const udp = await responder(t, (nonce) => [{ packet: encodeDiscoveryAnswer(nonce, announce('lm-1', rogue.port)) }]);
  const client = await connectManager({
    publicKey: VENDOR.publicKey.text,
    configPaths: [],
    env: {},
    discovery: { targets: [`127.0.0.1:${udp.port}`], timeoutMs: 200 },
  });
  try {
    await assert.rejects(client.acquire('CAD'), (err: Error & { code?: string; details?: Record<string, unknown> }) => {
      assert.equal(err.code, 'LICTOR_E_ANSWER_UNPROVEN');
      assert.equal(err.details?.reason, 'missing');
      return true;
    });
  } finally {
    await client.close();
  }
});

test('discovery comes last: LICTOR_MANAGER wins and no probe is sent', async (t) => {
  const udp = await responder(t, (nonce) => [{ packet: encodeDiscoveryAnswer(nonce, announce('lm-1', 9005)) }]);
  const client = await connectManager({
    publicKey: VENDOR.publicKey.text,
    configPaths: [],
    env: { LICTOR_MANAGER: 'lm.example.lan:9000' },
    discovery: { targets: [`127.0.0.1:${udp.port}`], timeoutMs: 200 },
  });
  await client.close();
  assert.deepEqual(client.managers, ['http://lm.example.lan:9000']);
  assert.equal(udp.probes, 0);
});

test('nothing configured and no answer to discovery: LICTOR_E_MANAGER_UNREACHABLE says so', async () => {
  const silent = createSocket('udp4');
  await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
  try {
    await assert.rejects(
      connectManager({
        publicKey: VENDOR.publicKey.text,
        configPaths: [],
        env: {},
        discovery: { targets: [`127.0.0.1:${silent.address().port}`], timeoutMs: 100 },
      }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'LICTOR_E_MANAGER_UNREACHABLE');
        assert.match(err.message, /none answered discovery on the local network/);
        assert.match(err.message, /discovery/);
        return true;
      },
    );
  } finally {
    silent.close();
  }
});
