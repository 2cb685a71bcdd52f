/**
 * LeasePool invariants under random interleavings, checked against the leases themselves
 * (not the pool's own counters), and a race of many clients for a few seats.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { computerKeyOf, countingUnitOf, seatKeyOf } from '../src/counting.js';
import { LeasePool } from '../src/lease-pool.js';
import type { ClientIdentity, PoolLicense } from '../src/types.js';

const CATALOG: PoolLicense[] = [
  {
    id: 'L1',
    product: 'P1',
    type: 'multi',
    seats: 3,
    features: [
      { code: 'F', users: 2 },
      { code: 'G', users: null },
    ],
    expiresAt: null,
    source: 'software',
  },
  {
    id: 'L2',
    product: 'P1',
    type: 'single',
    seats: 1,
    features: [{ code: 'F', users: 1 }],
    expiresAt: null,
    source: 'token',
  },
  { id: 'L3', product: 'P1', type: 'server-sessions', seats: 2, features: [], expiresAt: 400_000, source: 'software' },
  {
    id: 'L4',
    product: 'P2',
    type: 'server',
    seats: 2,
    features: [{ code: 'F', users: 1 }],
    expiresAt: null,
    source: 'token',
  },
  // A server application's sessions: one computer at a time, whatever the free seats.
  { id: 'L6', product: 'P4', type: 'server-sessions', seats: 3, features: [], expiresAt: null, source: 'software' },
  { id: 'L5', product: 'P2', type: 'multi', seats: 1, features: [], expiresAt: null, source: 'software' },
];

const clientArb = fc.record({
  host: fc.constantFrom('h1', 'h2', 'h3'),
  user: fc.constantFrom('u1', 'u2'),
  process: fc.constantFrom('p1', 'p2'),
  session: fc.constantFrom('s1', 's2'),
});

type Op =
  | {
      op: 'acquire';
      client: ClientIdentity;
      address: string;
      product: string;
      feature: string | null;
      withId: number | null;
    }
  | { op: 'heartbeat'; pick: number }
  | { op: 'release'; pick: number }
  | { op: 'expire' }
  | { op: 'advance'; ms: number }
  | { op: 'toggle'; license: number }
  | { op: 'resize'; license: number; seats: number; users: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('acquire' as const),
      client: clientArb,
      address: fc.constantFrom('10.0.0.1', '10.0.0.2'),
      product: fc.constantFrom('P1', 'P2', 'P3', 'P4'),
      feature: fc.constantFrom(null, null, 'F', 'G'),
      withId: fc.option(fc.nat(), { nil: null }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('heartbeat' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('release' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('expire' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 40_000 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('toggle' as const), license: fc.nat({ max: CATALOG.length - 1 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('resize' as const),
      license: fc.nat({ max: CATALOG.length - 1 }),
      seats: fc.integer({ min: 0, max: 4 }),
      users: fc.integer({ min: 0, max: 3 }),
    }),
  },
);

/**
 * The computers holding leases of each session-limited server license (`server-sessions`), from
 * the leases alone: the model says there is never more than one.
 */
function serverComputers(pool: LeasePool, types: Map<string, PoolLicense>): Map<string, Set<string>> {
  const held = new Map<string, Set<string>>();
  for (const lease of pool.leases()) {
    if (types.get(lease.licenseId)?.type !== 'server-sessions') continue;
    const set = held.get(lease.licenseId) ?? new Set<string>();
    set.add(computerKeyOf(lease.client, lease.address));
    held.set(lease.licenseId, set);
  }
  return held;
}

/** Seats in use per license and per license/feature, counted from the leases alone. */
function countFromLeases(pool: LeasePool, types: Map<string, PoolLicense>): Map<string, number> {
  const units = new Map<string, Set<string>>();
  const add = (k: string, unit: string) => {
    const set = units.get(k) ?? new Set<string>();
    set.add(unit);
    units.set(k, set);
  };
  for (const lease of pool.leases()) {
    const type = types.get(lease.licenseId)?.type ?? 'multi';
    const unit = seatKeyOf(countingUnitOf(type), lease.client, lease.address);
    add(lease.licenseId, unit);
    if (lease.feature !== null) add(`${lease.licenseId}/${lease.feature}`, unit);
  }
  return new Map([...units].map(([k, v]) => [k, v.size]));
}

describe('LeasePool properties', () => {
  test('capacity per license and feature, and one lease per identity and pool, always hold', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 120 }), (ops) => {
        let t = 0;
        const pool = new LeasePool({ now: () => t, leaseTtlMs: 30_000 });
        // What is served now (by id), and the last version of each license (for its type).
        const served = new Map<string, PoolLicense>(CATALOG.slice(0, 5).map((l) => [l.id, l]));
        const known = new Map<string, PoolLicense>(CATALOG.map((l) => [l.id, l]));
        pool.replaceLicenses([...served.values()]);
        const seenIds: string[] = [];
        let before = countFromLeases(pool, known);

        for (const op of ops) {
          switch (op.op) {
            case 'acquire': {
              const leaseId = op.withId === null ? undefined : seenIds[op.withId % Math.max(1, seenIds.length)];
              const r = pool.acquire({
                product: op.product,
                client: op.client,
                address: op.address,
                ...(op.feature === null ? {} : { feature: op.feature }),
                ...(leaseId === undefined ? {} : { leaseId }),
              });
              if (r.kind === 'granted' || r.kind === 'renewed') {
                seenIds.push(r.lease.id);
                assert.equal(r.lease.heartbeatAt, t);
                assert.deepEqual(r.lease.client, { ...op.client });
              }
              if (op.product === 'P3') assert.equal(r.kind, 'not-licensed');
              if (r.kind === 'server-elsewhere') {
                // Refused only for a served, unexpired server-sessions license of the product held
                // by one other computer: the one named.
                const asker = computerKeyOf(op.client, op.address);
                const holders = [...serverComputers(pool, known)]
                  .filter(([id]) => {
                    const l = served.get(id);
                    return l?.product === op.product && (l.expiresAt === null || t <= l.expiresAt);
                  })
                  .flatMap(([, set]) => [...set]);
                assert.ok(holders.length > 0, 'refused for a license no other computer holds');
                assert.ok(!holders.includes(asker), 'refused the computer that holds the license');
                assert.ok(holders.includes(computerKeyOf(r.holder, r.holder.address)), 'names the holder');
                assert.equal(op.feature, null, 'the server-sessions licenses have no features');
              }
              break;
            }
            case 'heartbeat':
            case 'release': {
              const id = seenIds[op.pick % Math.max(1, seenIds.length)] ?? 'none';
              if (op.op === 'heartbeat') pool.heartbeat(id);
              else pool.release(id);
              break;
            }
            case 'expire':
              for (const lease of pool.expire()) assert.ok(t > lease.expiresAt);
              break;
            case 'advance':
              t += op.ms;
              break;
            case 'toggle': {
              const l = known.get(CATALOG[op.license]?.id ?? '') as PoolLicense;
              if (served.has(l.id)) {
                served.delete(l.id);
                pool.removeLicense(l.id);
              } else {
                served.set(l.id, l);
                pool.addLicense(l);
              }
              break;
            }
            case 'resize': {
              const base = CATALOG[op.license] as PoolLicense;
              const l: PoolLicense = {
                ...base,
                seats: op.seats,
                features: base.features.map((f) => ({ code: f.code, users: f.users === null ? null : op.users })),
              };
              known.set(l.id, l);
              served.set(l.id, l);
              pool.replaceLicenses([...served.values()]);
              break;
            }
          }

          const after = countFromLeases(pool, known);
          for (const [key, n] of after) {
            const [licenseId, feature] = key.split('/') as [string, string | undefined];
            const license = served.get(licenseId);
            const capacity =
              license === undefined
                ? 0
                : feature === undefined
                  ? license.seats
                  : (license.features.find((f) => f.code === feature)?.users ?? Number.POSITIVE_INFINITY);
            // Over capacity only when the license shrank or left, and then never growing.
            if (n > capacity) assert.ok(n <= (before.get(key) ?? 0), `${key}: ${n} > ${capacity} after ${op.op}`);
          }
          before = after;

          for (const [id, computers] of serverComputers(pool, known)) {
            assert.ok(computers.size <= 1, `${id} serves ${computers.size} computers`);
          }

          const identities = pool
            .leases()
            .map((l) =>
              JSON.stringify([
                l.address,
                l.product,
                l.feature,
                l.client.host,
                l.client.user,
                l.client.process,
                l.client.session,
              ]),
            );
          assert.equal(new Set(identities).size, identities.length, 'an identity holds two leases in one pool');
          // Lapsed leases linger only until the next acquire or reaper run.
          if (op.op === 'acquire' || op.op === 'expire') for (const l of pool.leases()) assert.ok(t <= l.expiresAt);

          for (const u of pool.usage()) {
            assert.equal(u.inUse, after.get(u.licenseId) ?? 0, `usage of ${u.licenseId}`);
            for (const f of u.features) assert.equal(f.inUse, after.get(`${u.licenseId}/${f.code}`) ?? 0);
          }
        }

        // What the pool holds survives a snapshot and restore with nothing over capacity.
        const { pool: restored } = LeasePool.restore(JSON.parse(JSON.stringify(pool.snapshot())), {
          now: () => t,
          leaseTtlMs: 30_000,
          licenses: [...served.values()],
        });
        for (const [key, n] of countFromLeases(restored, known)) {
          const [licenseId, feature] = key.split('/') as [string, string | undefined];
          const license = served.get(licenseId);
          assert.ok(license !== undefined);
          const cap = feature === undefined ? license.seats : license.features.find((f) => f.code === feature)?.users;
          assert.ok(n <= (cap ?? Number.POSITIVE_INFINITY), `restored ${key}: ${n} > ${cap}`);
        }
        for (const [id, computers] of serverComputers(restored, known))
          assert.ok(computers.size <= 1, `restored ${id}`);
      }),
      { numRuns: 1000 },
    );
  });

  test('5,000 clients racing for 37 seats: exactly 37 granted', async () => {
    const pool = new LeasePool({ now: () => 0 });
    pool.addLicense({
      id: 'L',
      product: 'CAD',
      type: 'multi',
      seats: 37,
      features: [],
      expiresAt: null,
      source: 'software',
    });
    const rand = fc.sample(fc.nat({ max: 20 }), { numRuns: 10_000, seed: 42 });
    const race = async (i: number, copy: number) => {
      for (let k = 0; k < (rand[i * 2 + copy] ?? 0); k++) await Promise.resolve();
      return pool.acquire({ product: 'CAD', client: { host: `h${i}`, user: 'u', process: 'p', session: 's' } });
    };
    // Every client asks twice at once, as after a reconnect: the second ask is a renewal.
    const results = await Promise.all(Array.from({ length: 10_000 }, (_, n) => race(n >> 1, n & 1)));
    const kinds = new Map<string, number>();
    for (const r of results) kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
    assert.equal(kinds.get('granted'), 37);
    assert.equal(kinds.get('renewed'), 37);
    assert.equal(kinds.get('exhausted'), 10_000 - 74);
    assert.equal(pool.size, 37);
    assert.equal(pool.usage()[0]?.inUse, 37);
  });
});
