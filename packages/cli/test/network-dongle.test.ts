/**
 * A software license bound to a hardware dongle on the network (SoftHSM2): the dongle is
 * plugged into the License Manager's host, the license file lives on the client computer. The
 * SDK activates through the manager's dongle and proves its presence through the manager at open
 * and on every interval (a fake scheduler), with the key in the vendor-signed license: the license
 * keeps working on another computer (a virtual machine that migrated: other hardware, other
 * machine secret) while the dongle answers, and stops when it is pulled out or the manager is
 * gone. A fake manager that answers with another key, or replays an old answer, is refused.
 * Then the same through the `lictor` command: `activate --network-token` and `check`.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openManager, type RunningManager } from '@lictor/manager';
import { type HardwareParams, sha256, toBase64Url, tokenPresenceMessage } from '@lictor/protocol';
import { FakeScheduler } from '@lictor/protocol/testing';
import { type Licensing, listManagerDongles, openLicensing } from '@lictor/sdk';
import { type BinSession, binSession } from './bin.js';
import { type Cli, cliOn, workstation } from './run-cli.js';
import { modulePath, skipWithoutSoftHsm, type TestToken, type TokenWorld, tokenWorld } from './token-world.js';

const INTERVAL_MS = 200;
/** A generous bound on real work at a high load average (waits end as soon as the event comes). */
const BOUND_MS = 120_000;
const VM_ON_HOST_A = workstation('vm-cad-1', '02:00:00:00:44:01');
/** The same virtual machine after migrating to another host: its hardware changed. */
const VM_ON_HOST_B: HardwareParams = {
  ...workstation('vm-cad-1', '02:00:00:00:44:99'),
  board: 'QEMU Standard PC (Q35 + ICH9, 2009)',
  cpus: ['AMD EPYC 7543 (4 cores)'],
  disks: ['QEMU HARDDISK QM00002'],
};
const OWNER = { company: 'Initech', email: 'it@initech.example' };

/**
 * The manager's clock: real time plus what the tests moved it on. Each proof the tests make moves
 * it one interval, as a client proving every interval would: the manager's limit on token
 * signatures per address and its least gap between two re-initializations of the token module
 * then see proofs at the pace real clients keep, however fast this machine runs the loop.
 */
let managerAhead = 0;
const managerNow = () => Date.now() + managerAhead;

/** `promise`, or a failure naming `what` after {@link BOUND_MS} of real time. */
function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${BOUND_MS} ms`)), BOUND_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Moves the fake clock on one interval at a time (each once the proof's timer is armed again)
 * until `check()` is what `wanted` accepts; returns how many `change` events came meanwhile. The
 * proof that sees a change is made at the next interval, and the snapshot is rebuilt after it.
 */
async function untilCheck(
  scheduler: FakeScheduler,
  licensing: Licensing,
  wanted: (check: ReturnType<Licensing['check']>) => boolean,
  what: string,
): Promise<number> {
  const deadline = Date.now() + BOUND_MS;
  let changes = 0;
  const off = licensing.on('change', () => {
    changes++;
  });
  try {
    while (!wanted(licensing.check())) {
      if (Date.now() > deadline)
        throw new Error(`${what}: not within ${BOUND_MS} ms (${JSON.stringify(licensing.check())})`);
      await bounded(scheduler.whenPending(1), `the presence timer armed (${what})`);
      managerAhead += INTERVAL_MS;
      scheduler.advance(INTERVAL_MS);
      await bounded(scheduler.whenPending(1), `the proof done (${what})`);
    }
  } finally {
    off();
  }
  return changes;
}

/** What {@link fakeManager} answers with another status than 200. */
class Answer {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string>,
    readonly body: unknown,
  ) {}
}

/** A manager's answer to a client that asks too often: come back in a second. */
const RATE_LIMITED = new Answer(
  429,
  { 'retry-after': '1' },
  {
    code: 'LICTOR_E_RATE_LIMITED',
    message: 'too many token signatures asked from 127.0.0.1: at most 5 a second; try again in a second',
    details: { retryAfterSeconds: 1 },
  },
);

/** A loopback HTTP server answering `POST /v1/tokens/presence` with `answer(body)` (200, unless an {@link Answer}). */
async function fakeManager(answer: (body: { publicKey: string; challenge: string }) => Promise<unknown>): Promise<{
  url: string;
  server: Server;
}> {
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      void (async () => {
        const body = await answer(JSON.parse(text || '{}'));
        const { status, headers, body: sent } = body instanceof Answer ? body : new Answer(200, {}, body);
        res.writeHead(status, { ...headers, 'content-type': 'application/json' });
        res.end(JSON.stringify(sent));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('a software license bound to a dongle on the License Manager (SoftHSM2)', { skip: skipWithoutSoftHsm }, () => {
  let world: TokenWorld<[TestToken, TestToken]>;
  let dongle: TestToken;
  let other: TestToken;
  let center: BinSession;
  let centerUrl: string;
  let manager: RunningManager | undefined;
  let managerUrl: string;
  let serial: string;
  let pins: string[];
  const opened: Licensing[] = [];
  const servers: Server[] = [];

  const startManager = async (port = 0) => {
    manager = await openManager({
      dataDir: join(world.root, 'manager'),
      publicKey: world.publicKey,
      port,
      discoveryPort: 0,
      now: managerNow,
      // Both dongles share the PIN: the manager serves both.
      tokens: { module: modulePath, pinFile: world.pinFile },
      computer: { env: world.env },
    });
    return manager.address;
  };

  const open = async (
    store: string,
    hardware: HardwareParams,
    secret: string,
    scheduler: FakeScheduler,
    managers?: string[],
  ) => {
    const licensing = await openLicensing({
      product: 'CAD',
      publicKey: world.publicKey,
      store,
      env: world.env,
      hardware: async () => hardware,
      machineSecret: async () => sha256(new TextEncoder().encode(secret)),
      watch: false,
      // Not a test of timeouts: a loaded machine gets 30 s per answer.
      networkTokens: { scheduler, intervalMs: INTERVAL_MS, timeoutMs: 30_000, ...(managers ? { managers } : {}) },
    });
    opened.push(licensing);
    return licensing;
  };

  before(async () => {
    world = await tokenWorld({
      name: 'network-dongle',
      labels: ['network-dongle', 'other-dongle'],
      lictor: (env) => cliOn({ env, hardware: VM_ON_HOST_A }).ok,
    });
    [dongle, other] = world.tokens;
    ({ serial, pins } = await world.issue('--type', 'single', '--pins', '3', '--max-active', '3'));
    center = binSession(world.env);
    centerUrl = (await center.serve('center', 'serve', '--data', world.data, '--port', '0')).url;
    managerUrl = await startManager();
  });

  after(async () => {
    for (const l of opened) await l.close();
    for (const s of servers) s.close();
    await manager?.close();
    center?.killAll();
    await world?.cleanup();
  });

  test('activate through the manager, check on a migrated VM, dongle pulled and back, manager gone and back', async () => {
    // The manager serves the dongle its PIN belongs to; a blank dongle has no Lictor key yet.
    const before = await listManagerDongles(managerUrl);
    assert.deepEqual(
      before.map((t) => [t.serial, t.label, t.publicKey]).sort(),
      [
        [dongle.serial, 'network-dongle', undefined],
        [other.serial, 'other-dongle', undefined],
      ].sort(),
    );
    // Two dongles served: an activation names its dongle.
    await assert.rejects(
      (await open(join(world.root, 'unnamed'), VM_ON_HOST_A, 'host-a', new FakeScheduler())).activate({
        center: centerUrl,
        serial,
        pin: pins[2] ?? '',
        owner: OWNER,
        networkToken: { manager: managerUrl },
      }),
      { code: 'LICTOR_E_TOKEN_AMBIGUOUS' },
    );

    const store = join(world.root, 'vm-store');
    const onA = new FakeScheduler();
    const vmA = await open(store, VM_ON_HOST_A, 'host-a', onA);
    const activated = await vmA.activate({
      center: centerUrl,
      serial,
      pin: pins[0] ?? '',
      owner: OWNER,
      networkToken: { manager: managerUrl, token: dongle.serial },
    });
    assert.equal(activated.reactivated, false);
    assert.equal(activated.token?.serial, dongle.serial);
    assert.equal(activated.token?.manager, managerUrl);
    assert.equal(activated.token?.keyGenerated, true);
    const check = vmA.check();
    assert.ok(check.ok, JSON.stringify(check));
    assert.equal(check.file, activated.file);
    const after = await listManagerDongles(managerUrl);
    assert.equal(
      after.find((t) => t.serial === dongle.serial)?.publicKey,
      activated.token?.publicKey,
      'the key generated on the dongle is the one the license names',
    );

    // Reactivation by the same owner with the same dongle: the same activation, as often as needed.
    const again = await vmA.activate({
      center: centerUrl,
      serial,
      pin: pins[0] ?? '',
      owner: OWNER,
      networkToken: { manager: managerUrl, token: dongle.serial },
    });
    assert.equal(again.reactivated, true);
    assert.equal(again.activationId, activated.activationId);
    assert.equal(again.token?.keyGenerated, false);

    // The VM migrates: another host, other hardware, another machine secret; the same license directory.
    await vmA.close();
    const onB = new FakeScheduler();
    const vmB = await open(store, VM_ON_HOST_B, 'host-b', onB);
    assert.ok(vmB.check().ok, JSON.stringify(vmB.check()));

    // The dongle is pulled out of the manager's host: the license stops at the next proof.
    const absent = (c: ReturnType<Licensing['check']>) => !c.ok && c.code === 'LICTOR_E_TOKEN_ABSENT';
    await world.softhsm.unplug(dongle);
    try {
      const changes = await untilCheck(onB, vmB, absent, 'refused after the unplug');
      assert.ok(changes > 0, 'the change event told the application');
      const refused = vmB.check();
      assert.match(
        !refused.ok ? refused.reason : '',
        new RegExp(`#${dongle.serial} is not plugged into the License Manager`),
      );
    } finally {
      await world.softhsm.replug(dongle);
    }
    // Plugged back: it comes back by itself at a next proof.
    assert.ok((await untilCheck(onB, vmB, (c) => c.ok, 'licensed after the replug')) > 0);

    // The manager stops: unreachable; started again on the same port: licensed again.
    const port = Number(new URL(managerUrl).port);
    await manager?.close();
    manager = undefined;
    await untilCheck(
      onB,
      vmB,
      (c) => !c.ok && c.code === 'LICTOR_E_MANAGER_UNREACHABLE',
      'refused after the manager stopped',
    );
    await startManager(port);
    await untilCheck(onB, vmB, (c) => c.ok, 'licensed after the manager came back');

    // Presence proofs are no leases: the manager holds none.
    assert.deepEqual((manager as RunningManager | undefined)?.manager.leases(), []);
  });

  test('a fake manager that signs with another key, or replays a genuine answer, is refused', async () => {
    const store = join(world.root, 'vm-store');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forger = await fakeManager(async (body) => ({
      signature: toBase64Url(
        sign('sha256', tokenPresenceMessage(Buffer.from(body.challenge, 'base64url')), {
          key: privateKey,
          dsaEncoding: 'ieee-p1363',
        }),
      ),
      token: { manufacturer: 'SoftHSM project', model: 'SoftHSM v2', serial: dongle.serial },
    }));
    servers.push(forger.server);
    const forged = await open(store, VM_ON_HOST_B, 'host-b', new FakeScheduler(), [forger.url]);
    const refused = forged.check();
    assert.equal(!refused.ok && refused.code, 'LICTOR_E_TOKEN_NOT_GENUINE');
    assert.match(!refused.ok ? refused.reason : '', /does not verify/);

    // A relay that passed one genuine answer on, then replays it to every later challenge.
    let recorded: unknown;
    const relay = await fakeManager(async (body) => {
      if (recorded === undefined) {
        const res = await fetch(`${managerUrl}/v1/tokens/presence`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        recorded = await res.json();
      }
      return recorded;
    });
    servers.push(relay.server);
    const scheduler = new FakeScheduler();
    const relayed = await open(store, VM_ON_HOST_B, 'host-b', scheduler, [relay.url]);
    assert.ok(relayed.check().ok, 'the first, relayed answer is genuine');
    await untilCheck(scheduler, relayed, (c) => !c.ok, 'refused after the replay');
    const replayed = relayed.check();
    assert.equal(!replayed.ok && replayed.code, 'LICTOR_E_TOKEN_NOT_GENUINE');
    assert.match(!replayed.ok ? replayed.reason : '', /does not verify/);
  });

  test('a manager that tells the client to come back later is asked again after its Retry-After, within a bound', async () => {
    const store = join(world.root, 'vm-store');
    /** Opens licensing through `url`, running each wait of 1 s or more the proof sets; returns the waits. */
    const openWaiting = async (url: string) => {
      const scheduler = new FakeScheduler();
      let opened: Licensing | undefined;
      const opening = open(store, VM_ON_HOST_B, 'host-b', scheduler, [url]).then((l) => {
        opened = l;
      });
      const waits: number[] = [];
      for (;;) {
        await bounded(Promise.race([opening, scheduler.whenPending(1)]), 'a wait or the first proof');
        if (opened !== undefined) return { licensing: opened, waits };
        const due = (scheduler.nextDueAt() ?? 0) - scheduler.now();
        // The presence timer (200 ms) is armed only once the first proof is done.
        if (due < 1000) {
          await bounded(opening, 'the first proof');
          continue;
        }
        waits.push(due);
        scheduler.runNext();
      }
    };

    // Told twice to come back (a logon storm behind one address): the third answer is genuine.
    let refusals = 2;
    const relayed: string[] = [];
    const crowded = await fakeManager(async (body) => {
      if (refusals-- > 0) return RATE_LIMITED;
      relayed.push(body.challenge);
      const res = await fetch(`${managerUrl}/v1/tokens/presence`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return res.json();
    });
    servers.push(crowded.server);
    const patient = await openWaiting(crowded.url);
    assert.ok(patient.licensing.check().ok, JSON.stringify(patient.licensing.check()));
    assert.equal(patient.waits.length, 2, 'one wait per refusal');
    for (const ms of patient.waits)
      assert.ok(ms >= 1000 && ms <= 2000, `Retry-After plus at most as much again: ${ms}`);
    assert.equal(relayed.length, 1, 'the genuine proof was asked once');

    // A manager that never lets it in: a refusal after RATE_LIMIT_PATIENCE_MS (30 s) of waits.
    const full = await fakeManager(async () => RATE_LIMITED);
    servers.push(full.server);
    const refused = await openWaiting(full.url);
    const total = refused.waits.reduce((a, b) => a + b, 0);
    assert.ok(total <= 30_000 && total > 28_000, `waited ${total} ms in ${refused.waits.length} waits`);
    const check = refused.licensing.check();
    assert.equal(!check.ok && check.code, 'LICTOR_E_RATE_LIMITED');
    assert.match(
      !check.ok ? check.reason : '',
      /cannot be proven through the License Manager: too many token signatures/,
    );
  });

  test('lictor activate --network-token, then lictor check on another computer', async () => {
    const store = join(world.root, 'cli-store');
    const common = ['--store', store, '--public-key', world.publicKey];
    const cliA: Cli = cliOn({ env: world.env, hardware: VM_ON_HOST_A });
    const activated = await cliA.run([
      'activate',
      '--center',
      centerUrl,
      '--serial',
      serial,
      '--pin',
      pins[1] ?? '',
      '--company',
      OWNER.company,
      '--email',
      OWNER.email,
      '--network-token',
      '--manager',
      managerUrl,
      '--token-serial',
      dongle.serial,
      ...common,
    ]);
    assert.equal(activated.code, 0, activated.err);
    assert.match(
      activated.out,
      new RegExp(
        `bound to the hardware token SoftHSM project SoftHSM v2, serial ${dongle.serial} on the License Manager ${managerUrl} \\(key 'lictor' already on the token\\)`,
      ),
    );
    const cliB: Cli = cliOn({ env: world.env, hardware: VM_ON_HOST_B });
    const licensed = await cliB.run(['check', '--product', 'CAD', ...common]);
    assert.equal(licensed.code, 0, licensed.err);
    await world.softhsm.unplug(dongle);
    try {
      const absent = await cliB.run(['check', '--product', 'CAD', ...common]);
      assert.equal(absent.code, 1);
      assert.match(absent.err, /LICTOR_E_TOKEN_ABSENT.*not plugged into the License Manager/);
    } finally {
      await world.softhsm.replug(dongle);
    }
    // Put back, the dongle answers the very next check, however soon after the refused one: the
    // manager looks at its token module re-initialized after the proof was asked for.
    const back = await cliB.run(['check', '--product', 'CAD', ...common]);
    assert.equal(back.code, 0, back.err);
    // The PIN is bound to this dongle: the other dongle cannot take it.
    const refused = await cliA.run([
      'activate',
      '--center',
      centerUrl,
      '--serial',
      serial,
      '--pin',
      pins[1] ?? '',
      '--company',
      OWNER.company,
      '--email',
      OWNER.email,
      '--network-token',
      '--manager',
      managerUrl,
      '--token-serial',
      other.serial,
      ...common,
    ]);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /LICTOR_E_PIN_USED/);
  });
});
