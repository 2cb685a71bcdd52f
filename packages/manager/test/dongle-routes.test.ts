/** The network-dongle routes of a manager that serves no hardware token: an empty list, typed refusals. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DONGLE_RATE } from '../src/dongle-routes.js';
import { openManagerApp } from './manager-fixture.js';

const KEY =
  'lictor-p256:MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEhFN_AKMqzm2sHdEcafSfPXrsqSIAwHyJ_NWaYB_HohaMtpr68jsgbWBiYJRqj1PzvLaj3pt96b-FyNkPEw0YMg';

test('without token options: no dongles listed, presence and claims refused as absent', async (t) => {
  const { app } = await openManagerApp(t);
  const list = await app.inject({ method: 'GET', url: '/v1/tokens' });
  assert.equal(list.statusCode, 200);
  assert.deepEqual(list.json(), { tokens: [] });
  const presence = await app.inject({
    method: 'POST',
    url: '/v1/tokens/presence',
    payload: { publicKey: KEY, challenge: 'A'.repeat(43) },
  });
  assert.equal(presence.statusCode, 503);
  assert.equal(presence.json().code, 'LICTOR_E_TOKEN_ABSENT');
  const claim = await app.inject({ method: 'POST', url: '/v1/tokens/activation-claim', payload: { serial: 'LX-1' } });
  assert.equal(claim.json().code, 'LICTOR_E_TOKEN_ABSENT');
});

test('a challenge that is not 32 bytes of base64url is refused before any token is asked', async (t) => {
  const { app } = await openManagerApp(t);
  for (const challenge of ['short', 'A'.repeat(44), `${'A'.repeat(42)}=`]) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/tokens/presence',
      payload: { publicKey: KEY, challenge },
    });
    assert.equal(res.statusCode, 400, challenge);
    assert.equal(res.json().code, 'LICTOR_E_INVALID_INPUT', challenge);
  }
});

test('signature requests are limited per client address (429), the list is not', async (t) => {
  const { app } = await openManagerApp(t);
  const codes: string[] = [];
  for (let i = 0; i < DONGLE_RATE.burst + 3; i++) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/tokens/presence',
      payload: { publicKey: KEY, challenge: 'A'.repeat(43) },
      remoteAddress: '10.0.0.7',
    });
    codes.push(res.json().code);
  }
  // Within the burst: refused as absent (no dongles); beyond it, the flood is cut off first.
  assert.deepEqual(codes.slice(0, DONGLE_RATE.burst - 2), Array(DONGLE_RATE.burst - 2).fill('LICTOR_E_TOKEN_ABSENT'));
  assert.equal(codes.at(-1), 'LICTOR_E_RATE_LIMITED');
  const other = await app.inject({
    method: 'POST',
    url: '/v1/tokens/presence',
    payload: { publicKey: KEY, challenge: 'A'.repeat(43) },
    remoteAddress: '10.0.0.8',
  });
  assert.equal(other.json().code, 'LICTOR_E_TOKEN_ABSENT', 'another address has its own allowance');
  const list = await app.inject({ method: 'GET', url: '/v1/tokens', remoteAddress: '10.0.0.7' });
  assert.equal(list.statusCode, 200);
});
