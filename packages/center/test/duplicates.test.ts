/** Duplicate reports to the License Center (`POST /v1/duplicates`) on every engine. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type Announcement,
  type ContainerKeyPair,
  createAnnouncement,
  decodeBlacklist,
  decodeLicenseFile,
  encodeLicenseFile,
  generateContainerKeys,
  generateVendorKeys,
  loadSigner,
} from '@lictor/protocol';
import { buildCenterServer, type Center } from '../src/index.js';
import { activateContainer, addApp, computer, ENGINES, issue, withCenter } from './helpers.js';

const T0 = Date.parse('2030-01-15T09:58:00.000Z');

function announce(
  license: string,
  keys: ContainerKeyPair,
  instance: string,
  seq: number,
  offsetMs: number,
): Announcement {
  return createAnnouncement(
    { license, instance, seq, sentAt: new Date(T0 + offsetMs).toISOString() },
    keys.private.sign,
  );
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
        const evidence = {
          format: 1,
          serial: pkg.serial,
          pin: 1,
          announcements: [
            announce(license, keys, 'original-boot', 1, 0),
            announce(license, keys, 'the-clone-boot', 1, 1000),
            announce(license, keys, 'original-boot', 2, 30_000),
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
        const forged = [
          announce(license, keys, 'original-boot', 1, 0),
          announce(license, intruder, 'forger-boot-1', 1, 1000),
          announce(license, keys, 'original-boot', 2, 30_000),
        ];
        // A license signed by another vendor key, for an activation the center never made.
        const otherVendor = loadSigner(generateVendorKeys().privatePem);
        const doc = decodeLicenseFile(license, center.publicKey);
        const foreign = encodeLicenseFile({ ...doc, activationId: 'made-up' }, otherVendor);
        const cases = [
          { evidence: { format: 1, serial: pkg.serial, pin: 1, announcements: forged } },
          {
            evidence: {
              format: 1,
              serial: pkg.serial,
              pin: 1,
              announcements: [
                announce(foreign, keys, 'original-boot', 1, 0),
                announce(foreign, keys, 'the-clone-boot', 1, 1000),
                announce(foreign, keys, 'original-boot', 2, 2000),
              ],
            },
          },
          { evidence: { format: 1, announcements: forged.slice(0, 2) } },
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
  });
}
