/** `parseAddress` keeps what it parsed lately: the same answers, before, at and after its limit. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cidrContains, parseAddress, parseCidr } from '../src/ip-cidr.js';

test('parseAddress answers a known address as it did the first time, across its cache limit', () => {
  const net = parseCidr('10.0.0.0/8');
  assert.ok(typeof net !== 'string');
  const first = parseAddress('10.1.2.3');
  assert.ok(first !== null && cidrContains(net, first));
  assert.equal(parseAddress('10.1.2.3'), first);
  assert.equal(parseAddress('not an address'), null);
  assert.equal(parseAddress('not an address'), null);
  // More distinct addresses than are kept: the cache is emptied on the way, answers stay right.
  for (let i = 0; i < 5_000; i++) {
    const text = `10.${(i >> 8) & 255}.${i & 255}.1`;
    const a = parseAddress(text);
    assert.ok(a !== null && cidrContains(net, a), text);
    assert.equal(a.toNormalizedString(), parseAddress(text)?.toNormalizedString());
  }
  const again = parseAddress('10.1.2.3');
  assert.ok(again !== null && again.toNormalizedString() === first.toNormalizedString());
  assert.equal(parseAddress('fe80::1%eth0')?.toNormalizedString(), parseAddress('fe80::1')?.toNormalizedString());
  assert.equal(parseAddress('192.168.1.300'), null);
  assert.equal(parseAddress(42 as unknown as string), null);
});
