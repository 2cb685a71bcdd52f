/** LeasePool: counting units, adding up, priorities, renewals, expiry, license changes, restore. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LeasePool } from '../src/lease-pool.js';
import type { ClientIdentity, PoolLicense, PoolLicenseType, PoolSnapshot } from '../src/types.js';

const T0 = 1_700_000_000_000;

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = T0;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

function license(over: Partial<PoolLicense> & { id: string }): PoolLicense {
  return { product: 'CAD', type: 'multi', seats: 1, features: [], expiresAt: null, source: 'software', ...over };
}

function client(over: Partial<ClientIdentity> = {}): ClientIdentity {
  return { host: 'h1', user: 'u1', process: 'p1', session: 's1', ...over };
}

describe('counting units', () => {
  const table: {
    type: PoolLicenseType;
    seats: number;
    steps: [Partial<ClientIdentity>, 'granted' | 'exhausted' | 'server-elsewhere'][];
    inUse: number;
  }[] = [
    {
      type: 'single',
      seats: 1,
      steps: [
        [{}, 'granted'],
        [{ process: 'p2', user: 'u2' }, 'granted'],
        [{ session: 's2', process: 'p3' }, 'granted'],
        [{ host: 'h2' }, 'exhausted'],
      ],
      inUse: 1,
    },
    {
      type: 'server',
      seats: 1,
      steps: [
        [{ process: 'worker-1' }, 'granted'],
        [{ process: 'worker-2' }, 'granted'],
        [{ process: 'worker-3', user: 'svc' }, 'granted'],
        [{ host: 'h2', process: 'worker-1' }, 'exhausted'],
      ],
      inUse: 1,
    },
    {
      type: 'multi',
      seats: 2,
      steps: [
        [{}, 'granted'],
        [{ process: 'p2' }, 'granted'],
        [{ session: 's2' }, 'exhausted'],
        [{ user: 'u2' }, 'exhausted'],
      ],
      inUse: 2,
    },
    {
      type: 'server-sessions',
      seats: 3,
      steps: [
        [{}, 'granted'],
        [{ process: 'p2', user: 'u2' }, 'granted'],
        [{ session: 's2' }, 'granted'],
        // A seat is free, but the license serves the server on h1.
        [{ host: 'h2' }, 'server-elsewhere'],
        [{ session: 's3' }, 'granted'],
        [{ session: 's4' }, 'exhausted'],
      ],
      inUse: 3,
    },
  ];
  for (const row of table) {
    test(`${row.type} with ${row.seats} seat(s)`, () => {
      const pool = new LeasePool({ now: clock().now });
      pool.addLicense(license({ id: 'L', type: row.type, seats: row.seats }));
      for (const [who, kind] of row.steps) {
        assert.equal(pool.acquire({ product: 'CAD', client: client(who) }).kind, kind, JSON.stringify(who));
      }
      assert.equal(pool.usage()[0]?.inUse, row.inUse);
      assert.equal(pool.usage()[0]?.total, row.seats);
    });
  }

  test('a seat shared by two applications stays until both are gone', () => {
    const pool = new LeasePool({ now: clock().now });
    pool.addLicense(license({ id: 'L', type: 'single' }));
    const a = pool.acquire({ product: 'CAD', client: client({ process: 'a' }) });
    const b = pool.acquire({ product: 'CAD', client: client({ process: 'b' }) });
    assert.ok(a.kind === 'granted' && b.kind === 'granted');
    assert.notEqual(a.lease.id, b.lease.id);
    assert.ok(pool.release(a.lease.id));
    assert.equal(pool.acquire({ product: 'CAD', client: client({ host: 'h2' }) }).kind, 'exhausted');
    assert.ok(pool.release(b.lease.id));
    assert.equal(pool.acquire({ product: 'CAD', client: client({ host: 'h2' }) }).kind, 'granted');
  });
});

describe('licenses', () => {
  test('licenses for the same product add up', () => {
    const pool = new LeasePool({ now: clock().now });
    pool.addLicense(license({ id: 'A', seats: 2 }));
    pool.addLicense(license({ id: 'B', seats: 3 }));
    pool.addLicense(license({ id: 'O', product: 'OTHER', seats: 10 }));
    for (let i = 0; i < 5; i++)
      assert.equal(pool.acquire({ product: 'CAD', client: client({ process: `${i}` }) }).kind, 'granted');
    assert.deepEqual(pool.acquire({ product: 'CAD', client: client({ process: 'x' }) }), {
      kind: 'exhausted',
      inUse: 5,
      total: 5,
    });
  });

  test('software licenses are used before token licenses', () => {
    const pool = new LeasePool({ now: clock().now });
    pool.addLicense(license({ id: 'T', seats: 1, source: 'token' }));
    pool.addLicense(license({ id: 'S', seats: 1, source: 'software' }));
    const first = pool.acquire({ product: 'CAD', client: client({ process: '1' }) });
    const second = pool.acquire({ product: 'CAD', client: client({ process: '2' }) });
    assert.ok(first.kind === 'granted' && second.kind === 'granted');
    assert.deepEqual([first.lease.licenseId, first.lease.source], ['S', 'software']);
    assert.deepEqual([second.lease.licenseId, second.lease.source], ['T', 'token']);
  });

  test('a token license that leaves ends its leases at once; a software one leaves them running', () => {
    const pool = new LeasePool({ now: clock().now });
    const dropped: string[] = [];
    pool.observe({ granted: () => {}, dropped: (l) => dropped.push(l.id) });
    const licenses = [license({ id: 'S', seats: 1 }), license({ id: 'T', seats: 2, source: 'token' })];
    pool.replaceLicenses(licenses);
    const ids = ['1', '2', '3'].map((p) => {
      const r = pool.acquire({ product: 'CAD', client: client({ process: p }) });
      assert.ok(r.kind === 'granted');
      return r.lease;
    });
    assert.deepEqual(
      ids.map((l) => l.licenseId),
      ['S', 'T', 'T'],
    );
    assert.deepEqual(pool.replaceLicenses([license({ id: 'S', seats: 1 })]), [ids[1], ids[2]]);
    assert.deepEqual(dropped, [ids[1]?.id, ids[2]?.id]);
    assert.deepEqual(
      pool.leases().map((l) => l.id),
      [ids[0]?.id],
    );
    assert.deepEqual(pool.replaceLicenses([]), [], 'a software license leaving ends nothing');
    assert.equal(pool.heartbeat(ids[0]?.id ?? '').kind, 'renewed');

    pool.replaceLicenses(licenses);
    const t = pool.acquire({ product: 'CAD', client: client({ process: '4' }) });
    assert.ok(t.kind === 'granted' && t.lease.licenseId === 'T');
    assert.ok(pool.removeLicense('T'));
    assert.equal(pool.get(t.lease.id), undefined);
    assert.deepEqual(
      pool.usage().map((u) => u.licenseId),
      ['S'],
    );
  });

  test('feature seats are their own pool; users null counts only the product seat', () => {
    const pool = new LeasePool({ now: clock().now });
    pool.addLicense(
      license({
        id: 'L',
        seats: 3,
        features: [
          { code: 'RENDER', users: 1 },
          { code: 'VIEW', users: null },
        ],
      }),
    );
    assert.equal(pool.acquire({ product: 'CAD', feature: 'RENDER', client: client({ process: '1' }) }).kind, 'granted');
    assert.deepEqual(pool.acquire({ product: 'CAD', feature: 'RENDER', client: client({ process: '2' }) }), {
      kind: 'exhausted',
      inUse: 1,
      total: 1,
    });
    assert.equal(pool.acquire({ product: 'CAD', feature: 'VIEW', client: client({ process: '2' }) }).kind, 'granted');
    // The same application's product lease shares its product seat with its feature lease.
    assert.equal(pool.acquire({ product: 'CAD', client: client({ process: '1' }) }).kind, 'granted');
    assert.equal(pool.acquire({ product: 'CAD', client: client({ process: '3' }) }).kind, 'granted');
    assert.deepEqual(pool.acquire({ product: 'CAD', feature: 'VIEW', client: client({ process: '4' }) }), {
      kind: 'exhausted',
      inUse: 3,
      total: 3,
    });
    const usage = pool.usage()[0];
    assert.equal(usage?.inUse, 3);
    assert.deepEqual(usage?.features, [
      { code: 'RENDER', inUse: 1, total: 1 },
      { code: 'VIEW', inUse: 1, total: null },
    ]);
    const missing = pool.acquire({ product: 'CAD', feature: 'NOPE', client: client() });
    assert.equal(missing.kind, 'not-licensed');
  });

  test('unknown products are not licensed; expired licenses say so', () => {
    const c = clock();
    const pool = new LeasePool({ now: c.now });
    pool.addLicense(license({ id: 'L', expiresAt: T0 + 1000 }));
    assert.equal(pool.acquire({ product: 'NONE', client: client() }).kind, 'not-licensed');
    c.advance(1001);
    assert.equal(pool.acquire({ product: 'CAD', client: client() }).kind, 'expired');
  });

  test('a lease whose license expires is refused at its next heartbeat', () => {
    const c = clock();
    const pool = new LeasePool({ now: c.now });
    pool.addLicense(license({ id: 'L', expiresAt: T0 + 1000 }));
    const r = pool.acquire({ product: 'CAD', client: client() });
    assert.ok(r.kind === 'granted');
    c.advance(1001);
    assert.deepEqual(pool.heartbeat(r.lease.id), { kind: 'expired' });
    assert.equal(pool.size, 0);
  });

  test('a removed or shrunk license never lets more out', () => {
    const c = clock();
    const pool = new LeasePool({ now: c.now, leaseTtlMs: 1000 });
    pool.addLicense(license({ id: 'L', seats: 3 }));
    const ids = [1, 2, 3].map((i) => {
      const r = pool.acquire({ product: 'CAD', client: client({ process: `${i}` }) });
      assert.ok(r.kind === 'granted');
      return r.lease.id;
    });
    assert.ok(pool.removeLicense('L'));
    assert.equal(pool.acquire({ product: 'CAD', client: client({ process: 'new' }) }).kind, 'not-licensed');
    // Existing leases live on: heartbeat and renewal keep working.
    assert.equal(pool.heartbeat(ids[0] ?? '').kind, 'renewed');
    assert.equal(pool.acquire({ product: 'CAD', client: client({ process: '2' }) }).kind, 'renewed');
    assert.deepEqual(pool.usage(), [
      { product: 'CAD', licenseId: 'L', serial: null, inUse: 3, total: 0, source: 'software', features: [] },
    ]);

    pool.replaceLicenses([license({ id: 'L', seats: 2 })]);
    assert.equal(pool.acquire({ product: 'CAD', client: client({ process: 'new' }) }).kind, 'exhausted');
    assert.ok(pool.release(ids[0] ?? ''));
    assert.equal(pool.acquire({ product: 'CAD', client: client({ process: 'new' }) }).kind, 'exhausted');
    assert.ok(pool.release(ids[1] ?? ''));
    assert.equal(pool.acquire({ product: 'CAD', client: client({ process: 'new' }) }).kind, 'granted');
    assert.equal(pool.acquire({ product: 'CAD', client: client({ process: 'newer' }) }).kind, 'exhausted');

    // A removed license's bookkeeping goes away with its last lease.
    pool.removeLicense('L');
    c.advance(1001);
    assert.equal(pool.expire().length, 2);
    assert.deepEqual(pool.usage(), []);
  });
});

describe('leases', () => {
  test('the same identity gets its lease back, never a second seat', () => {
    const c = clock();
    const pool = new LeasePool({ now: c.now });
    pool.addLicense(license({ id: 'L', seats: 2 }));
    const first = pool.acquire({ product: 'CAD', client: client() });
    assert.ok(first.kind === 'granted');
    c.advance(500);
    const again = pool.acquire({ product: 'CAD', client: client() });
    assert.ok(again.kind === 'renewed');
    assert.equal(again.lease.id, first.lease.id);
    assert.equal(again.lease.heartbeatAt, T0 + 500);
    const withId = pool.acquire({ product: 'CAD', client: client(), leaseId: first.lease.id });
    assert.ok(withId.kind === 'renewed' && withId.lease.id === first.lease.id);
    // Someone else's lease id does not hand that lease over.
    const other = pool.acquire({ product: 'CAD', client: client({ host: 'h2' }), leaseId: first.lease.id });
    assert.ok(other.kind === 'granted' && other.lease.id !== first.lease.id);
    assert.equal(pool.size, 2);
    // A stale lease id from before a restart is ignored; the identity still matches.
    const stale = pool.acquire({ product: 'CAD', client: client(), leaseId: 'gone' });
    assert.ok(stale.kind === 'renewed' && stale.lease.id === first.lease.id);
  });

  test('heartbeat, expiry and the reaper follow the clock', () => {
    const c = clock();
    const pool = new LeasePool({ now: c.now, leaseTtlMs: 1000 });
    pool.addLicense(license({ id: 'L', seats: 1 }));
    const r = pool.acquire({ product: 'CAD', client: client() });
    assert.ok(r.kind === 'granted');
    assert.equal(r.lease.expiresAt, T0 + 1000);
    c.advance(1000);
    assert.equal(pool.heartbeat(r.lease.id).kind, 'renewed');
    assert.deepEqual(pool.expire(), []);
    c.advance(1001);
    assert.deepEqual(pool.heartbeat(r.lease.id), { kind: 'expired' });
    assert.deepEqual(pool.heartbeat(r.lease.id), { kind: 'unknown' });
    assert.equal(pool.release(r.lease.id), false);

    const a = pool.acquire({ product: 'CAD', client: client({ process: 'a' }) });
    assert.ok(a.kind === 'granted');
    c.advance(1001);
    const reaped = pool.expire();
    assert.deepEqual(
      reaped.map((l) => l.id),
      [a.lease.id],
    );
    assert.equal(pool.size, 0);
  });

  test('a lapsed seat is reusable at once, without waiting for the reaper', () => {
    const c = clock();
    const pool = new LeasePool({ now: c.now, leaseTtlMs: 1000 });
    pool.addLicense(license({ id: 'L', seats: 1 }));
    const a = pool.acquire({ product: 'CAD', client: client({ process: 'a' }) });
    assert.ok(a.kind === 'granted');
    assert.equal(pool.acquire({ product: 'CAD', client: client({ process: 'b' }) }).kind, 'exhausted');
    c.advance(1001);
    assert.equal(pool.acquire({ product: 'CAD', client: client({ process: 'b' }) }).kind, 'granted');
    assert.deepEqual(pool.heartbeat(a.lease.id), { kind: 'unknown' });
  });

  test('the reaper takes lapsed leases in heartbeat order and stops at the first live one', () => {
    const c = clock();
    const pool = new LeasePool({ now: c.now, leaseTtlMs: 1000 });
    pool.addLicense(license({ id: 'L', seats: 3 }));
    const ids = ['a', 'b', 'c'].map((p) => {
      const r = pool.acquire({ product: 'CAD', client: client({ process: p }) });
      assert.ok(r.kind === 'granted');
      c.advance(100);
      return r.lease.id;
    });
    pool.heartbeat(ids[0] ?? '');
    c.advance(950);
    assert.deepEqual(
      pool.expire().map((l) => l.id),
      [ids[1], ids[2]],
    );
    assert.deepEqual(
      pool.leases().map((l) => l.id),
      [ids[0]],
    );
  });
});

describe('snapshot and restore', () => {
  test('restoring drops the youngest leases beyond capacity and reports them', () => {
    const c = clock();
    const pool = new LeasePool({ now: c.now, leaseTtlMs: 10_000 });
    pool.addLicense(license({ id: 'L', seats: 5, features: [{ code: 'F', users: 2 }] }));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = pool.acquire({ product: 'CAD', client: client({ process: `${i}` }) });
      assert.ok(r.kind === 'granted');
      ids.push(r.lease.id);
      c.advance(10);
    }
    const f = pool.acquire({ product: 'CAD', feature: 'F', client: client({ process: '0' }) });
    assert.ok(f.kind === 'granted');
    const stored = JSON.parse(JSON.stringify(pool.snapshot())) as PoolSnapshot;

    const restored = LeasePool.restore(stored, {
      now: c.now,
      leaseTtlMs: 10_000,
      licenses: [license({ id: 'L', seats: 3, features: [{ code: 'F', users: 2 }] })],
    });
    assert.deepEqual(
      restored.dropped.map((d) => [d.lease.id, d.reason]),
      [
        [ids[3], 'over-capacity'],
        [ids[4], 'over-capacity'],
      ],
    );
    const kept = restored.pool;
    assert.deepEqual(new Set(kept.leases().map((l) => l.id)), new Set([ids[0], ids[1], ids[2], f.lease.id]));
    assert.equal(kept.usage()[0]?.inUse, 3);
    assert.equal(kept.acquire({ product: 'CAD', client: client({ process: '9' }) }).kind, 'exhausted');
    assert.equal(kept.heartbeat(ids[0] ?? '').kind, 'renewed');
    const renewed = kept.acquire({ product: 'CAD', client: client({ process: '1' }) });
    assert.ok(renewed.kind === 'renewed' && renewed.lease.id === ids[1]);
  });

  test('restoring drops lapsed leases, leases of missing licenses and repeats', () => {
    const c = clock();
    const pool = new LeasePool({ now: c.now, leaseTtlMs: 1000 });
    pool.addLicense(license({ id: 'L', seats: 5 }));
    pool.addLicense(license({ id: 'M', product: 'GONE', seats: 5 }));
    const a = pool.acquire({ product: 'CAD', client: client({ process: 'a' }) });
    const g = pool.acquire({ product: 'GONE', client: client() });
    assert.ok(a.kind === 'granted' && g.kind === 'granted');
    c.advance(900);
    const b = pool.acquire({ product: 'CAD', client: client({ process: 'b' }) });
    assert.ok(b.kind === 'granted');
    const snap = pool.snapshot();
    snap.leases.push({ ...b.lease, id: 'copy' });
    c.advance(200);
    const { pool: kept, dropped } = LeasePool.restore(snap, {
      now: c.now,
      leaseTtlMs: 1000,
      licenses: [license({ id: 'L', seats: 5 })],
    });
    assert.deepEqual(
      dropped.map((d) => [d.lease.id, d.reason]).sort(),
      [
        [a.lease.id, 'lease-expired'],
        [g.lease.id, 'lease-expired'],
        ['copy', 'duplicate'],
      ].sort(),
    );
    assert.deepEqual(
      kept.leases().map((l) => l.id),
      [b.lease.id],
    );
    const noLicense = LeasePool.restore(snap, { now: () => T0 + 950, leaseTtlMs: 1000, licenses: [] });
    assert.ok(noLicense.dropped.every((d) => d.reason === 'no-license' || d.reason === 'lease-expired'));
    assert.equal(noLicense.pool.size, 0);
  });
});
