/**
 * The discovery responder over real UDP sockets on loopback. Tests send only to loopback: a probe
 * to the broadcast address or the multicast group would leave this machine (`docs/security.md`).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { type TestContext, test } from 'node:test';
import {
  DISCOVERY_PACKET_BYTES,
  decodeDiscoveryAnswer,
  encodeDiscoveryAnswer,
  encodeDiscoveryProbe,
} from '@lictor/protocol';
import { type DiscoveryResponder, type DiscoveryResponderOptions, startDiscoveryResponder } from '../src/index.js';

const BASE = { id: 'mgr-test', version: '0.1.0', httpPort: 8790 };

async function responder(
  t: TestContext,
  options: Partial<DiscoveryResponderOptions> = {},
): Promise<DiscoveryResponder> {
  const r = await startDiscoveryResponder({ ...BASE, httpHost: '127.0.0.1', port: 0, ...options });
  t.after(() => r.close());
  return r;
}

/** A client socket that records every datagram it receives. */
async function prober(
  t: TestContext,
): Promise<{ socket: Socket; received: Buffer[]; waitFor(n: number): Promise<void> }> {
  const socket = createSocket('udp4');
  const received: Buffer[] = [];
  const waiters: (() => void)[] = [];
  socket.on('message', (m) => {
    received.push(m);
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((resolve) => socket.bind(0, '0.0.0.0', resolve));
  t.after(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  const waitFor = async (n: number) => {
    const deadline = Date.now() + 2000;
    while (received.length < n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} datagram(s), got ${received.length}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  };
  return { socket, received, waitFor };
}

function send(socket: Socket, packet: Uint8Array, port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => socket.send(packet, port, host, (e) => (e ? reject(e) : resolve())));
}

/**
 * Waits until the responder has taken in `n` datagrams (a generous bound), so that what it did
 * with them (answered, refused) shows in its stats: no fixed pause.
 */
async function handled(r: DiscoveryResponder, n: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (r.stats().received < n) {
    if (Date.now() > deadline) throw new Error(`the responder took in ${r.stats().received} of ${n} datagram(s)`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('a probe is answered with the manager id, version and HTTP port, echoing its nonce', async (t) => {
  const r = await responder(t);
  assert.equal(r.address, '127.0.0.1', 'an HTTP service on loopback gets a responder on loopback');
  assert.equal(r.announcement.url, undefined, 'clients use the source address');
  const p = await prober(t);
  const nonceA = randomBytes(16);
  const nonceB = randomBytes(16);
  await send(p.socket, encodeDiscoveryProbe(nonceA), r.port);
  await send(p.socket, encodeDiscoveryProbe(nonceB), r.port);
  await p.waitFor(2);
  const answers = p.received.map((m) => decodeDiscoveryAnswer(m));
  const nonces = answers.map((a) => (a.ok ? Buffer.from(a.nonce).toString('hex') : 'bad')).sort();
  assert.deepEqual(nonces, [nonceA.toString('hex'), nonceB.toString('hex')].sort());
  for (const a of answers) {
    assert.ok(a.ok);
    assert.deepEqual(a.announcement, { id: 'mgr-test', version: '0.1.0', port: 8790 });
  }
  for (const m of p.received) assert.ok(m.length <= DISCOVERY_PACKET_BYTES, 'never larger than the probe');
  assert.deepEqual(r.stats(), { received: 2, answered: 2, oversize: 0, malformed: 0, rateLimited: 0, sendFailed: 0 });
});

test('garbage, oversize datagrams, answers and other versions get no answer and are counted', async (t) => {
  const r = await responder(t);
  const p = await prober(t);
  const probe = encodeDiscoveryProbe(randomBytes(16));
  const otherVersion = Uint8Array.from(probe);
  otherVersion[4] = 2;
  const badMagic = Uint8Array.from(probe);
  badMagic[0] = 0x58;
  const oversize = new Uint8Array(DISCOVERY_PACKET_BYTES + 1);
  oversize.set(probe);
  const huge = new Uint8Array(8000);
  huge.set(probe);
  const garbage = [
    new TextEncoder().encode('hello?'),
    probe.subarray(0, 100), // a truncated probe: too short to be answered with ≤ its size
    badMagic,
    otherVersion,
    encodeDiscoveryAnswer(randomBytes(16), { id: 'evil', version: '1', port: 1 }), // an answer is never answered
    new Uint8Array(0),
  ];
  for (const g of garbage) await send(p.socket, g, r.port);
  await send(p.socket, oversize, r.port);
  await send(p.socket, huge, r.port);
  await handled(r, 8);
  assert.equal(p.received.length, 0);
  assert.deepEqual(r.stats(), { received: 8, answered: 0, oversize: 2, malformed: 6, rateLimited: 0, sendFailed: 0 });

  // Still alive: a good probe after all that is answered.
  await send(p.socket, probe, r.port);
  await p.waitFor(1);
  const answer = decodeDiscoveryAnswer(p.received[0] ?? new Uint8Array(0));
  assert.ok(answer.ok && Buffer.from(answer.nonce).equals(Buffer.from(probe.subarray(6, 22))));
});

test('each source address gets a few answers per second, then nothing until its budget refills', async (t) => {
  const clock = { t: 1_000_000 };
  const r = await responder(t, { perSource: { burst: 3, perSecond: 1 }, now: () => clock.t });
  const p = await prober(t);
  for (let i = 0; i < 5; i++) await send(p.socket, encodeDiscoveryProbe(randomBytes(16)), r.port);
  await p.waitFor(3);
  await handled(r, 5);
  assert.equal(p.received.length, 3);
  assert.equal(r.stats().rateLimited, 2);
  clock.t += 1000;
  await send(p.socket, encodeDiscoveryProbe(randomBytes(16)), r.port);
  await p.waitFor(4);
  await send(p.socket, encodeDiscoveryProbe(randomBytes(16)), r.port);
  await handled(r, 7);
  assert.equal(p.received.length, 4, 'one token came back in one second');
  assert.deepEqual(r.stats(), { received: 7, answered: 4, oversize: 0, malformed: 0, rateLimited: 3, sendFailed: 0 });
});

test('the global cap bounds answers across sources', async (t) => {
  const clock = { t: 1_000_000 };
  const r = await responder(t, { globalPerSecond: 2, now: () => clock.t });
  const a = await prober(t);
  const b = await prober(t);
  await send(a.socket, encodeDiscoveryProbe(randomBytes(16)), r.port);
  await send(b.socket, encodeDiscoveryProbe(randomBytes(16)), r.port);
  await send(b.socket, encodeDiscoveryProbe(randomBytes(16)), r.port);
  await a.waitFor(1);
  await b.waitFor(1);
  await handled(r, 3);
  assert.equal(a.received.length + b.received.length, 2);
  assert.equal(r.stats().rateLimited, 1);
});

test('the announced URL follows the HTTP address: wildcard none, a specific address its URL', async (t) => {
  const wildcard = await responder(t, { httpHost: '0.0.0.0', multicastGroup: null });
  assert.equal(wildcard.address, '0.0.0.0');
  assert.deepEqual(wildcard.multicastInterfaces, [], 'multicastGroup null: no group joined');
  assert.equal(wildcard.announcement.url, undefined);
  const specific = await responder(t, { httpHost: '192.0.2.7', multicastGroup: null });
  assert.equal(
    specific.address,
    '0.0.0.0',
    'bound to all interfaces: broadcasts do not reach a socket bound to one address',
  );
  assert.equal(specific.announcement.url, 'http://192.0.2.7:8790');
  // Answers leave from 127.0.0.1, so another loopback address must be named.
  const otherLoopback = await responder(t, { httpHost: '127.0.0.2', multicastGroup: null });
  assert.equal(otherLoopback.address, '127.0.0.1');
  assert.equal(otherLoopback.announcement.url, 'http://127.0.0.2:8790');
  const explicit = await responder(t, { url: 'https://lm.example.lan:8443' });
  assert.equal(explicit.announcement.url, 'https://lm.example.lan:8443');
  await assert.rejects(startDiscoveryResponder({ ...BASE, port: 0, url: `https://${'x'.repeat(300)}` }), {
    code: 'LICTOR_E_INVALID_INPUT',
  });
});

test('a port already in use is LICTOR_E_DISCOVERY_UNAVAILABLE', async (t) => {
  const first = await responder(t);
  await assert.rejects(startDiscoveryResponder({ ...BASE, httpHost: '127.0.0.1', port: first.port }), (err: Error) => {
    assert.equal((err as Error & { code: string }).code, 'LICTOR_E_DISCOVERY_UNAVAILABLE');
    assert.match(err.message, /in use/);
    return true;
  });
});
