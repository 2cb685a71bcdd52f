/**
 * The blacklist's sequence (migration 0005) on every engine, and the center's signed time in the
 * answers the SDK already asks for (activation, blacklist download).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeBlacklist, newTimeNonce, TIME_HEADER, verifyServerTime } from '@lictor/protocol';
import { activationRequest, addApp, computer, ENGINES, issue, withCenter, withCenterServer } from './helpers.js';

for (const engine of ENGINES) {
  describe(`blacklist sequence (${engine.name})`, { concurrency: true }, () => {
    test('moves up by one with every change of the list, and not when nothing changes', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const sequence = async () => decodeBlacklist(await center.blacklistFile(), center.publicKey).sequence;
        assert.equal(await sequence(), 0);
        const pkg = await issue(center, { maxActive: 2 });
        const a = await center.activate(activationRequest(pkg, 1, computer(1)));
        await center.addToBlacklist({ activationId: a.activationId, reason: 'leaked' });
        assert.equal(await sequence(), 1);
        await center.addToBlacklist({ activationId: a.activationId, reason: 'leaked again' });
        assert.equal(await sequence(), 1, 'a repeat changes nothing');
        await center.addToBlacklist({ serial: pkg.serial, reason: 'chargeback' });
        assert.equal(await sequence(), 2);
        await center.addToBlacklist({ serial: pkg.serial, reason: 'again' });
        assert.equal(await sequence(), 2);
      });
    });

    test('concurrent changes each move it by one', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        await addApp(center);
        const pkgs = await Promise.all([1, 2, 3, 4, 5].map(() => issue(center)));
        await Promise.all(pkgs.map((p) => center.addToBlacklist({ serial: p.serial, reason: 'race' })));
        const list = decodeBlacklist(await center.blacklistFile(), center.publicKey);
        assert.equal(list.sequence, 5);
        assert.equal(list.serials.size, 5);
      });
    });
  });
}

describe("the center's signed time", { concurrency: true }, () => {
  test('GET /v1/blacklist?nonce= carries the time signed over the nonce; a malformed nonce is a 400', async (t) => {
    await withCenterServer(t, {}, async ({ app, center, clock }) => {
      const nonce = newTimeNonce();
      const res = await app.inject({ method: 'GET', url: `/v1/blacklist?nonce=${nonce}` });
      assert.equal(res.statusCode, 200);
      const signed = JSON.parse(String(res.headers[TIME_HEADER]));
      assert.equal(verifyServerTime(signed, center.publicKey, nonce), clock.now().getTime());
      assert.throws(() => verifyServerTime(signed, center.publicKey, newTimeNonce()), {
        code: 'LICTOR_E_SIGNATURE_INVALID',
      });
      const plain = await app.inject({ method: 'GET', url: '/v1/blacklist' });
      assert.equal(plain.headers[TIME_HEADER], undefined, 'no nonce, no time');
      const bad = await app.inject({ method: 'GET', url: '/v1/blacklist?nonce=short' });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().code, 'LICTOR_E_INVALID_INPUT');
    });
  });

  test('POST /v1/activations with a timeNonce answers the signed time too', async (t) => {
    await withCenterServer(t, {}, async ({ app, center, clock, pkg }) => {
      const timeNonce = newTimeNonce();
      const res = await app.inject({
        method: 'POST',
        url: '/v1/activations',
        payload: { ...activationRequest(pkg, 1, computer(1)), timeNonce },
      });
      assert.equal(res.statusCode, 201, res.body);
      const { time } = res.json() as { time: unknown };
      assert.equal(verifyServerTime(time, center.publicKey, timeNonce), clock.now().getTime());
      const without = await app.inject({
        method: 'POST',
        url: '/v1/activations',
        payload: activationRequest(pkg, 1, computer(1)),
      });
      assert.equal(without.statusCode, 200);
      assert.equal('time' in without.json(), false);
    });
  });
});
