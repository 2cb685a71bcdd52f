/**
 * A network dongle: a SoftHSM2 token programmed with a multi-user license is plugged into the
 * License Manager's host. The manager serves its seats after the software license's, proves the
 * token's presence without taking a seat, and on unplug ends the token's leases and stops
 * serving them until the token is back.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connectManager, type ManagerClient } from '@lictor/sdk';
import { type BinSession, binSession } from './bin.js';
import { modulePath, skipWithoutSoftHsm, type TestToken, type TokenWorld, tokenWorld } from './token-world.js';

describe('a token on the License Manager serves the network (SoftHSM2)', { skip: skipWithoutSoftHsm }, () => {
  let world: TokenWorld<[TestToken]>;
  let dongle: TestToken;
  let root: string;
  let session: BinSession;
  const lictor = (...args: string[]) => session.run(...args);

  before(async () => {
    world = await tokenWorld({
      name: 'manager-token',
      labels: ['network-dongle'],
      lictor: (env) => {
        session = binSession(env);
        return (args) => session.run(...args);
      },
    });
    [dongle] = world.tokens;
    root = world.root;
  });

  after(async () => {
    session?.killAll();
    await world?.cleanup();
  });

  test('software seats first, token seats next, presence checks take no seat, unplug ends the token leases', async () => {
    const center = world.data;
    const managerDir = join(root, 'manager');
    const licenses = join(managerDir, 'licenses');
    const pinFile = world.pinFile;
    const onToken = await world.issue('--type', 'multi', '--users', '2');
    const software = await world.issue('--type', 'multi', '--users', '1');

    // The vendor programs the dongle with the 2-seat license.
    await world.program(dongle, onToken.serial);
    // The 1-seat software license is activated offline into the manager's directory, on this host.
    const request = join(root, 'request.lictor');
    const answer = join(root, 'answer.lic');
    await lictor(
      'activate',
      '--offline',
      '--serial',
      software.serial,
      '--pin',
      software.pins[0] ?? '',
      '--company',
      'Initech',
      '--email',
      'it@initech.example',
      '--store',
      licenses,
      '--out',
      request,
    );
    await lictor('center', 'answer', request, '--out', answer, '--data', center);
    await lictor('install', answer, '--store', licenses);

    const manager = await session.serve(
      'manager',
      'serve',
      '--data',
      managerDir,
      '--port',
      '0',
      '--discovery-port',
      '0',
      '--announce-port',
      '0',
      '--token-module',
      modulePath,
      '--token-pin-file',
      pinFile,
      '--token-check-ms',
      '200',
      '--log-level',
      'warn',
    );
    const adminToken = /admin API token[^:]*: (\S+)/.exec(manager.out())?.[1];
    assert.ok(adminToken, 'the first start prints the admin token');
    const usage = async () => {
      const res = await fetch(`${manager.url}/v1/admin/usage`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { usage: { source: string; inUse: number; total: number }[] };
      const of = (source: string) => body.usage.find((l) => l.source === source && l.total > 0);
      return { software: of('software')?.inUse ?? null, token: of('token')?.inUse ?? null, body };
    };
    const computers: ManagerClient[] = [];
    const connect = async (host: string) => {
      const c = await connectManager({
        publicKey: world.env.LICTOR_PUBLIC_KEY as string,
        managers: [manager.url],
        client: { host },
        discovery: false,
      });
      computers.push(c);
      return c;
    };
    try {
      const [a, b, c, d] = await Promise.all(['ws-a', 'ws-b', 'ws-c', 'ws-d'].map(connect));
      assert.ok(a && b && c && d);
      assert.deepEqual((await a.status()).products, [{ product: 'CAD', inUse: 0, total: 3 }]);
      await a.acquire('CAD');
      assert.deepEqual({ software: (await usage()).software, token: (await usage()).token }, { software: 1, token: 0 });
      const leaseB = await b.acquire('CAD');
      await c.acquire('CAD');
      assert.deepEqual({ software: (await usage()).software, token: (await usage()).token }, { software: 1, token: 2 });
      await assert.rejects(d.acquire('CAD'), { code: 'LICTOR_E_SEATS_EXHAUSTED' });

      // Every seat is out, and the token keeps proving its presence (5 checks): nothing changes.
      await new Promise((r) => setTimeout(r, 1000));
      assert.deepEqual((await a.status()).products, [{ product: 'CAD', inUse: 3, total: 3 }]);

      await world.softhsm.unplug(dongle);
      const deadline = Date.now() + 60_000; // the next presence check, however busy the machine
      while (Date.now() < deadline && (await a.status()).products[0]?.total !== 1) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual((await a.status()).products, [{ product: 'CAD', inUse: 1, total: 1 }]);
      const events = (await (
        await fetch(`${manager.url}/v1/admin/events`, { headers: { authorization: `Bearer ${adminToken}` } })
      ).json()) as { events: { kind: string; detail?: string }[] };
      assert.ok(
        events.events.some((e) => e.kind === 'released' && /hardware token left/.test(e.detail ?? '')),
        JSON.stringify(events.events.slice(0, 5)),
      );
      await assert.rejects(d.acquire('CAD'), { code: 'LICTOR_E_SEATS_EXHAUSTED' });

      await world.softhsm.replug(dongle);
      const back = Date.now() + 60_000;
      while (Date.now() < back && (await a.status()).products[0]?.total !== 3) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal((await a.status()).products[0]?.total, 3);
      assert.equal((await d.acquire('CAD')).product, 'CAD');
      assert.notEqual(leaseB.state, 'released');
    } finally {
      await Promise.all(computers.map((c) => c.close()));
    }
  });
});
