/** Duplicate reports to the License Center (`POST /v1/duplicates`) on every engine. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type Announcement,
  announcementCredential,
  type ContainerKeyPair,
  createAnnouncement,
  decodeBlacklist,
  decodeLicenseFile,
  encodeLicenseFile,
  generateContainerKeys,
  generateVendorKeys,
  loadSigner,
  type VendorPublicKey,
} from '@lictor/protocol';
import { buildCenterServer, type Center } from '../src/index.js';
import { activateContainer, addApp, computer, ENGINES, issue, withCenter } from './helpers.js';

/** A monotonic counter value (ms) of the announcing computer. */
const M = 3_600_000;

/** An announcement of `license` (verified with `vendorKey`) by `instance`, `offsetMs` into its counter. */
function announce(
  license: string,
  keys: ContainerKeyPair,
  instance: string,
  offsetMs: number,
  vendorKey: VendorPublicKey,
): Announcement {
  const credential = announcementCredential(license, vendorKey);
  assert.ok(credential, 'the license can announce');
  return createAnnouncement({ ...credential, instance, seq: M + offsetMs }, keys.private.sign);
}

/** A package of the test product with PIN 1 activated on computer 1, with its container keys. */
async function activatedContainer(center: Center) {
  await addApp(center);
  const pkg = await issue(center);
  return { pkg, ...(await activateContainer(center, pkg, 1, computer(1))) };
}

for (const engine of ENGINES) {
  describe(`duplicate reports (${engine.name})`, { concurrency: true }, () => {
    test('a cloned computer is proven by three announcements and its activation blacklisted once', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        const { pkg, keys, license, activationId } = await activatedContainer(center);
        const key = center.publicKey;
        const evidence = {
          format: 2,
          serial: pkg.serial,
          pin: 1,
          announcements: [
            announce(license, keys, 'original-boot', 0, key),
            announce(license, keys, 'the-clone-boot', -M + 1000, key),
            announce(license, keys, 'original-boot', 30_000, key),
          ],
        };
        const app = buildCenterServer(center);
        t.after(() => app.close());
        for (let round = 0; round < 2; round++) {
          const reply = await app.inject({ method: 'POST', url: '/v1/duplicates', payload: { evidence } });
          assert.equal(reply.statusCode, 200, reply.body);
          assert.deepEqual(reply.json(), { serial: pkg.serial, pin: 1, blacklisted: [activationId] });
        }
        const list = decodeBlacklist(await center.blacklistFile(), center.publicKey);
        assert.ok(list.activations.has(activationId));
        const events = await center.audit();
        const reported = events.filter((e) => e.action === 'duplicate.reported');
        assert.equal(reported.length, 2);
        assert.equal(reported[0]?.actor, 'network');
        const blacklisted = events.filter((e) => e.action === 'blacklist.activation');
        assert.equal(blacklisted.length, 1, 'blacklisted once');
        assert.equal(blacklisted[0]?.actor, 'network');
        assert.match(String(blacklisted[0]?.details?.reason), /in use on two computers at once/);
      });
    });

    test('forged, foreign or unknown evidence is refused and blacklists nothing', async (t) => {
      await withCenter(t, engine, async ({ center }) => {
        const { pkg, keys, license } = await activatedContainer(center);
        // A neighbour who saw the license file on the network, but has another key.
        const intruder = generateContainerKeys();
        const key = center.publicKey;
        const forged = [
          announce(license, keys, 'original-boot', 0, key),
          announce(license, intruder, 'forger-boot-1', 1000, key),
          announce(license, keys, 'original-boot', 30_000, key),
        ];
        // A license signed by another vendor key, for an activation the center never made.
        const otherVendor = loadSigner(generateVendorKeys().privatePem);
        const doc = decodeLicenseFile(license, center.publicKey);
        const foreign = encodeLicenseFile({ ...doc, activationId: 'made-up' }, otherVendor);
        const cases = [
          { evidence: { format: 2, serial: pkg.serial, pin: 1, announcements: forged } },
          {
            evidence: {
              format: 2,
              serial: pkg.serial,
              pin: 1,
              announcements: [
                announce(foreign, keys, 'original-boot', 0, otherVendor.publicKey),
                announce(foreign, keys, 'the-clone-boot', 1000, otherVendor.publicKey),
                announce(foreign, keys, 'original-boot', 2000, otherVendor.publicKey),
              ],
            },
          },
          { evidence: { format: 2, announcements: forged.slice(0, 2) } },
          { evidence: 'x' },
          {},
        ];
        const app = buildCenterServer(center);
        t.after(() => app.close());
        for (const payload of cases) {
          const reply = await app.inject({ method: 'POST', url: '/v1/duplicates', payload });
          assert.equal(reply.statusCode, 400, reply.body);
          assert.match(reply.json().code, /LICTOR_E_(EVIDENCE_INVALID|INVALID_INPUT)/);
        }
        const list = decodeBlacklist(await center.blacklistFile(), center.publicKey);
        assert.equal(list.activations.size, 0);
      });
    });

    test("the product's review policy holds the report: listed, then accepted (blacklisted) or dismissed", async (t) => {
      await withCenter(t, engine, async ({ center, adminToken }) => {
        const { pkg, keys, license, activationId } = await activatedContainer(center);
        const other = await activateContainer(center, await issue(center), 1, computer(2));
        const app = buildCenterServer(center);
        t.after(() => app.close());
        const auth = { authorization: `Bearer ${adminToken}` };
        const policy = await app.inject({
          method: 'PUT',
          url: '/v1/admin/products/app/duplicate-policy',
          headers: auth,
          payload: { duplicatePolicy: 'review' },
        });
        assert.equal(policy.statusCode, 200, policy.body);
        assert.equal(policy.json().duplicatePolicy, 'review');
        const key = center.publicKey;
        const cloned = (k: typeof keys, lic: string) => ({
          evidence: {
            format: 2,
            serial: decodeLicenseFile(lic, key).serial,
            pin: 1,
            announcements: [
              announce(lic, k, 'original-boot', 0, key),
              announce(lic, k, 'the-clone-boot', -M + 1000, key),
              announce(lic, k, 'original-boot', 30_000, key),
            ],
          },
        });
        for (let round = 0; round < 2; round++) {
          const reply = await app.inject({ method: 'POST', url: '/v1/duplicates', payload: cloned(keys, license) });
          assert.equal(reply.statusCode, 200, reply.body);
          assert.deepEqual(reply.json().blacklisted, []);
          assert.ok(reply.json().heldForReview);
        }
        await app.inject({ method: 'POST', url: '/v1/duplicates', payload: cloned(other.keys, other.license) });
        // Nothing is blacklisted while held.
        assert.equal(decodeBlacklist(await center.blacklistFile(), key).activations.size, 0);
        const listed = await app.inject({ method: 'GET', url: '/v1/admin/duplicates', headers: auth });
        assert.equal(listed.statusCode, 200, listed.body);
        const held = listed.json().duplicates as { id: string; activations: string[]; reports: number }[];
        assert.equal(held.length, 2);
        const mine = held.find((h) => h.activations.includes(activationId));
        const theirs = held.find((h) => h.activations.includes(other.activationId));
        assert.ok(mine && theirs);
        assert.equal(mine.reports, 2, 'the same report again is counted, not added');
        const decide = (id: string, decision: string) =>
          app.inject({
            method: 'POST',
            url: `/v1/admin/duplicates/${id}/decision`,
            headers: auth,
            payload: { decision },
          });
        assert.equal((await decide(mine.id, 'accept')).json().status, 'accepted');
        assert.equal((await decide(theirs.id, 'dismiss')).json().status, 'dismissed');
        assert.equal((await decide(theirs.id, 'accept')).statusCode, 400, 'decided once');
        assert.equal((await decide('no-such-report', 'accept')).statusCode, 404);
        const list = decodeBlacklist(await center.blacklistFile(), key);
        assert.ok(list.activations.has(activationId));
        assert.ok(!list.activations.has(other.activationId));
        const actions = (await center.audit(100)).map((e) => `${e.action}:${e.actor}`);
        for (const a of ['duplicate.held:network', 'duplicate.accepted:admin', 'duplicate.dismissed:admin'])
          assert.ok(actions.includes(a), a);
        assert.ok(actions.includes('product.duplicate-policy:admin'));
        assert.equal(pkg.serial.length > 0, true);
        // Without the token, nothing.
        assert.equal((await app.inject({ method: 'GET', url: '/v1/admin/duplicates' })).statusCode, 401);
      });
    });

    test('a held report shows reviewers what its signed announcements prove, never what the reporter claims (real socket)', async (t) => {
      await withCenter(t, engine, async ({ center, adminToken }) => {
        const { pkg, keys, license, activationId } = await activatedContainer(center);
        // Another package of this center, whose serial and PIN the reporter claims instead.
        const decoy = await issue(center);
        const decoyPin = decoy.pins[0]?.pin ?? '';
        assert.ok(decoyPin.length > 0);
        const app = buildCenterServer(center);
        t.after(() => app.close());
        const base = await app.listen({ port: 0, host: '127.0.0.1' });
        const auth = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
        const policy = await fetch(`${base}/v1/admin/products/app/duplicate-policy`, {
          method: 'PUT',
          headers: auth,
          body: JSON.stringify({ duplicatePolicy: 'review' }),
        });
        assert.equal(policy.status, 200, await policy.text());
        const key = center.publicKey;
        const announcements = [
          announce(license, keys, 'original-boot', 0, key),
          announce(license, keys, 'the-clone-boot', -M + 1000, key),
          announce(license, keys, 'original-boot', 30_000, key),
        ];
        // The reporter's own, unsigned words: another serial, another PIN index, a PIN in clear,
        // and extra members inside the signed announcements.
        const evidence = {
          format: 2,
          serial: decoy.serial,
          pin: 7,
          pinCode: decoyPin,
          note: 'serial LX-MADE-UP0-0000 is stolen',
          announcements: announcements.map((a) => ({ ...a, pin: decoyPin, serial: decoy.serial })),
        };
        const reported = await fetch(`${base}/v1/duplicates`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ evidence }),
        });
        assert.equal(reported.status, 200);
        const answer = (await reported.json()) as { serial: string; pin: number; heldForReview?: string };
        assert.equal(answer.serial, pkg.serial);
        assert.equal(answer.pin, 1);
        assert.ok(answer.heldForReview);

        const listed = await fetch(`${base}/v1/admin/duplicates`, { headers: auth });
        assert.equal(listed.status, 200);
        const text = await listed.text();
        for (const unverified of [decoy.serial, decoyPin, 'pinCode', 'LX-MADE-UP0', 'stolen']) {
          assert.ok(!text.includes(unverified), `the review shows the reporter's '${unverified}': ${text}`);
        }
        for (const p of pkg.pins) assert.ok(!text.includes(p.pin), 'no PIN of the package either');
        const [held, ...more] = (JSON.parse(text) as { duplicates: Record<string, unknown>[] }).duplicates;
        assert.equal(more.length, 0);
        assert.ok(held);
        assert.equal(held.evidence, undefined, 'the evidence as received is not shown');
        assert.deepEqual(
          {
            serial: held.serial,
            pin: held.pin,
            product: held.product,
            activations: held.activations,
            announcements: held.announcements,
          },
          {
            serial: pkg.serial,
            pin: 1,
            product: 'app',
            activations: [activationId],
            announcements: [
              { instance: 'original-boot', seq: M, activationId },
              { instance: 'the-clone-boot', seq: 1000, activationId },
              { instance: 'original-boot', seq: M + 30_000, activationId },
            ],
          },
        );
        const decided = await fetch(`${base}/v1/admin/duplicates/${String(held.id)}/decision`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ decision: 'accept' }),
        });
        assert.equal(decided.status, 200);
        const decidedText = await decided.text();
        assert.ok(!decidedText.includes(decoy.serial) && !decidedText.includes(decoyPin), decidedText);
        assert.equal((JSON.parse(decidedText) as { serial: string }).serial, pkg.serial);
        // The proven activation is blacklisted, nothing of the serial the reporter named.
        const list = decodeBlacklist(await center.blacklistFile(), key);
        assert.deepEqual([...list.activations], [activationId]);
      });
    });

    test('reports are rate-limited per serial: a flood of valid evidence gets 429 with Retry-After', async (t) => {
      await withCenter(
        t,
        engine,
        async ({ center, clock }) => {
          const { pkg, keys, license } = await activatedContainer(center);
          const key = center.publicKey;
          const app = buildCenterServer(center);
          t.after(() => app.close());
          const report = (n: number) =>
            app.inject({
              method: 'POST',
              url: '/v1/duplicates',
              remoteAddress: `10.4.0.${n}`,
              payload: {
                evidence: {
                  format: 2,
                  serial: pkg.serial,
                  pin: 1,
                  announcements: [
                    announce(license, keys, 'original-boot', n * 100, key),
                    announce(license, keys, 'the-clone-boot', n, key),
                    announce(license, keys, 'original-boot', n * 100 + 30_000, key),
                  ],
                },
              },
            });
          assert.equal((await report(1)).statusCode, 200);
          assert.equal((await report(2)).statusCode, 200);
          const limited = await report(3);
          assert.equal(limited.statusCode, 429, limited.body);
          assert.equal(limited.json().code, 'LICTOR_E_RATE_LIMITED');
          assert.ok(Number(limited.headers['retry-after']) > 0);
          clock.set('2030-01-15T11:00:00.000Z');
          assert.equal((await report(4)).statusCode, 200);
        },
        { rateLimits: { perClient: null, refusalsPerSerial: null, reportsPerSerial: { burst: 2, perMinute: 1 / 30 } } },
      );
    });
  });
}
