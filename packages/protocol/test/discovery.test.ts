import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DISCOVERY_HEADER_BYTES,
  DISCOVERY_PACKET_BYTES,
  decodeDiscoveryAnswer,
  decodeDiscoveryProbe,
  encodeDiscoveryAnswer,
  encodeDiscoveryProbe,
  randomBytes,
} from '../src/index.js';

const nonce = randomBytes(16);

test('a probe is 512 bytes with magic, version 1, type 1 and the nonce; it reads back', () => {
  const probe = encodeDiscoveryProbe(nonce);
  assert.equal(probe.length, DISCOVERY_PACKET_BYTES);
  assert.deepEqual([...probe.subarray(0, 6)], [0x4c, 0x43, 0x54, 0x52, 1, 1]);
  assert.ok(probe.subarray(DISCOVERY_HEADER_BYTES).every((b) => b === 0));
  const read = decodeDiscoveryProbe(probe);
  assert.ok(read.ok);
  assert.deepEqual(read.nonce, nonce);
  assert.throws(() => encodeDiscoveryProbe(new Uint8Array(8)), { code: 'LICTOR_E_INVALID_INPUT' });
});

test('probes of another size, magic, version or type are faults', () => {
  const probe = encodeDiscoveryProbe(nonce);
  const changed = (at: number, value: number) => {
    const p = Uint8Array.from(probe);
    p[at] = value;
    return p;
  };
  assert.deepEqual(decodeDiscoveryProbe(new Uint8Array(DISCOVERY_PACKET_BYTES + 1)), { ok: false, fault: 'oversize' });
  for (const bad of [probe.subarray(0, 511), probe.subarray(0, 10), changed(0, 0x4d), changed(4, 2), changed(5, 2)]) {
    assert.deepEqual(decodeDiscoveryProbe(bad), { ok: false, fault: 'malformed' });
  }
});

test('an answer carries the nonce and the announcement, and is never larger than a probe', () => {
  const announcement = { id: 'mgr-1', version: '0.1.0', port: 8790, url: 'http://10.0.0.5:8790' };
  const answer = encodeDiscoveryAnswer(nonce, announcement);
  assert.ok(answer.length <= DISCOVERY_PACKET_BYTES);
  assert.equal(answer[5], 2);
  const read = decodeDiscoveryAnswer(answer);
  assert.ok(read.ok);
  assert.deepEqual(read.nonce, nonce);
  assert.deepEqual(read.announcement, announcement);
  assert.deepEqual(decodeDiscoveryProbe(answer), { ok: false, fault: 'malformed' }, 'an answer is no probe');
  assert.deepEqual(decodeDiscoveryAnswer(encodeDiscoveryProbe(nonce)), { ok: false, fault: 'malformed' });
  // The largest announcement allowed still fits.
  const largest = { id: 'i'.repeat(64), version: 'v'.repeat(32), port: 65535, url: 'u'.repeat(256) };
  assert.ok(encodeDiscoveryAnswer(nonce, largest).length <= DISCOVERY_PACKET_BYTES);
});

test('announcements out of range are refused when encoding and faults when decoding', () => {
  for (const bad of [
    { id: '', version: '1', port: 1 },
    { id: 'x', version: '1', port: 0 },
    { id: 'x', version: '1', port: 70000 },
    { id: 'x\n', version: '1', port: 1 },
    { id: 'x', version: '1', port: 1, url: 'u'.repeat(257) },
  ]) {
    assert.throws(() => encodeDiscoveryAnswer(nonce, bad), { code: 'LICTOR_E_INVALID_INPUT' });
  }
  const withBody = (text: string) => {
    const body = new TextEncoder().encode(text);
    const packet = new Uint8Array(DISCOVERY_HEADER_BYTES + body.length);
    packet.set(encodeDiscoveryAnswer(nonce, { id: 'x', version: '1', port: 1 }).subarray(0, DISCOVERY_HEADER_BYTES));
    packet.set(body, DISCOVERY_HEADER_BYTES);
    return packet;
  };
  assert.ok(
    decodeDiscoveryAnswer(withBody('{"id":"x","version":"1","port":1,"more":true}')).ok,
    'unknown fields ignored',
  );
  for (const text of ['', 'null', '[]', '{"id":"x","version":"1"}', '{"id":"x","version":"1","port":"1"}', '{bad']) {
    assert.deepEqual(decodeDiscoveryAnswer(withBody(text)), { ok: false, fault: 'malformed' }, text);
  }
  const invalidUtf8 = withBody('{"id":"x","version":"1","port":1}');
  invalidUtf8[DISCOVERY_HEADER_BYTES + 7] = 0xff; // the "x" of the id
  assert.deepEqual(decodeDiscoveryAnswer(invalidUtf8), { ok: false, fault: 'malformed' });
  assert.deepEqual(decodeDiscoveryAnswer(new Uint8Array(600)), { ok: false, fault: 'oversize' });
});
