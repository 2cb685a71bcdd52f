/**
 * LeasePool: a license's grace period (its leases live that long without a heartbeat, in a reaper
 * queue of their own) and borrowed seats (lent to one computer until their end, no heartbeats,
 * given back early, kept across a restart).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LeasePool } from '../src/lease-pool.js';
import type { BorrowSeatRequest, ClientIdentity, PoolLicense } from '../src/types.js';

const T0 = 1_700_000_000_000;
const TTL = 60_000;
const MINUTE = 60_000;
const DAY = 86_400_000;

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

const RETURN_KEY = 'A'.repeat(43);

function borrowReq(over: Partial<BorrowSeatRequest> = {}): BorrowSeatRequest {
  return {
    product: 'CAD',
    days: 7,
    client: client({ host: 'laptop' }),
    computer: { machine: '0123456789abcdef', hardware: 'AAAAAAAAAAAAAA' },
    returnKey: RETURN_KEY,
    address: '10.0.0.9',
    ...over,
  };
}

function pool(licenses: PoolLicense[], c = clock()) {
  const p = new LeasePool({ now: c.now, leaseTtlMs: TTL });
  p.replaceLicenses(licenses);
  return { pool: p, clock: c };
}

describe('grace period', () => {
  test('a lease of a license with a grace period lives that long without a heartbeat, and says so', () => {
    const { pool: p, clock: c } = pool([license({ id: 'g', graceMs: 10 * MINUTE })]);
    const granted = p.acquire({ product: 'CAD', client: client() });
    assert.equal(granted.kind, 'granted');
    if (granted.kind !== 'granted') return;
    assert.equal(granted.lease.expiresAt, T0 + 10 * MINUTE);
    assert.equal(granted.lease.graceMs, 10 * MINUTE);
    c.advance(TTL + 1);
    assert.deepEqual(p.expire(), []);
    assert.equal(p.heartbeat(granted.lease.id).kind, 'renewed', 'a heartbeat after the TTL, within the grace');
    c.advance(10 * MINUTE + 1);
    assert.deepEqual(
      p.expire().map((l) => l.id),
      [granted.lease.id],
    );
  });

  test('the seat is not given to another client within the grace; after it, it is', () => {
    const { pool: p, clock: c } = pool([license({ id: 'g', graceMs: 10 * MINUTE })]);
    assert.equal(p.acquire({ product: 'CAD', client: client() }).kind, 'granted');
    c.advance(TTL + 1);
    const other = { product: 'CAD', client: client({ host: 'h2' }) };
    assert.equal(p.acquire(other).kind, 'exhausted', 'within the grace the seat stays with the silent client');
    c.advance(10 * MINUTE - TTL);
    assert.equal(p.acquire(other).kind, 'granted', 'after the grace the seat is free');
  });

  test('a grace shorter than the TTL changes nothing; licenses with and without a grace lapse on their own times', () => {
    const { pool: p, clock: c } = pool([
      license({ id: 'g', product: 'CAD', graceMs: 5 * MINUTE }),
      license({ id: 'short', product: 'CAM', graceMs: 30_000 }),
      license({ id: 'plain', product: 'BIM' }),
    ]);
    const g = p.acquire({ product: 'CAD', client: client() });
    c.advance(1000);
    const s = p.acquire({ product: 'CAM', client: client() });
    const b = p.acquire({ product: 'BIM', client: client() });
    assert.ok(g.kind === 'granted' && s.kind === 'granted' && b.kind === 'granted');
    assert.equal(s.lease.expiresAt - s.lease.heartbeatAt, TTL);
    assert.equal(s.lease.graceMs, undefined);
    // The grace lease is the oldest: the plain ones behind it still lapse at their TTL.
    c.advance(TTL + 1);
    assert.deepEqual(
      p
        .expire()
        .map((l) => l.licenseId)
        .sort(),
      ['plain', 'short'],
    );
    assert.deepEqual(
      p.leases().map((l) => l.licenseId),
      ['g'],
    );
    c.advance(5 * MINUTE);
    assert.deepEqual(
      p.expire().map((l) => l.licenseId),
      ['g'],
    );
  });

  test('a license whose grace changes moves its leases to the new time at their next renewal', () => {
    const { pool: p, clock: c } = pool([license({ id: 'g', graceMs: 10 * MINUTE })]);
    const g = p.acquire({ product: 'CAD', client: client() });
    assert.ok(g.kind === 'granted');
    p.replaceLicenses([license({ id: 'g' })]);
    c.advance(1000);
    const renewed = p.heartbeat(g.lease.id);
    assert.ok(renewed.kind === 'renewed');
    assert.equal(renewed.lease.expiresAt, c.now() + TTL);
    assert.equal(renewed.lease.graceMs, undefined);
    c.advance(TTL + 1);
    assert.equal(p.expire().length, 1);
  });

  test('a restart restores a lease silent for longer than the TTL but within the grace', () => {
    const c = clock();
    const { pool: p } = pool([license({ id: 'g', graceMs: 10 * MINUTE })], c);
    assert.equal(p.acquire({ product: 'CAD', client: client() }).kind, 'granted');
    const snap = p.snapshot();
    c.advance(5 * MINUTE);
    const { pool: restored, dropped } = LeasePool.restore(snap, {
      now: c.now,
      leaseTtlMs: TTL,
      licenses: [license({ id: 'g', graceMs: 10 * MINUTE })],
    });
    assert.deepEqual(dropped, []);
    assert.equal(restored.leases()[0]?.expiresAt, T0 + 10 * MINUTE);
    c.advance(5 * MINUTE + 1);
    assert.equal(restored.expire().length, 1);
  });
});

describe('borrowed seats', () => {
  test('a borrowed seat takes a seat until its end, needs no heartbeat, and ends by itself', () => {
    const { pool: p, clock: c } = pool([license({ id: 'cad', serial: 'LX-1', borrowDays: 14 })]);
    const lent = p.borrow(borrowReq());
    assert.equal(lent.kind, 'borrowed');
    if (lent.kind !== 'borrowed') return;
    assert.equal(lent.lease.expiresAt, T0 + 7 * DAY);
    assert.deepEqual(lent.lease.borrow, {
      until: T0 + 7 * DAY,
      computer: { machine: '0123456789abcdef', hardware: 'AAAAAAAAAAAAAA' },
      returnKey: RETURN_KEY,
      serial: 'LX-1',
    });
    assert.deepEqual(p.leases(), [], 'not a lease');
    assert.deepEqual(
      p.borrows().map((l) => l.id),
      [lent.lease.id],
    );
    assert.equal(p.usage()[0]?.inUse, 1);
    assert.equal(p.acquire({ product: 'CAD', client: client() }).kind, 'exhausted');
    assert.equal(p.heartbeat(lent.lease.id).kind, 'unknown', 'a heartbeat does not touch a borrowed seat');
    assert.equal(p.release(lent.lease.id), false, 'releasing it as a lease does nothing');
    c.advance(7 * DAY);
    assert.deepEqual(p.expire(), [], 'still held at its very end');
    c.advance(1);
    assert.deepEqual(
      p.expire().map((l) => l.id),
      [lent.lease.id],
    );
    assert.equal(p.acquire({ product: 'CAD', client: client() }).kind, 'granted');
  });

  test('one borrowed seat per computer, product and feature; given back early it frees the seat', () => {
    const { pool: p } = pool([license({ id: 'cad', seats: 2, borrowDays: 14 })]);
    const lent = p.borrow(borrowReq());
    assert.ok(lent.kind === 'borrowed');
    const again = p.borrow(borrowReq({ days: 3, client: client({ host: 'laptop', process: 'p9' }) }));
    assert.equal(again.kind, 'held');
    assert.equal(again.kind === 'held' && again.lease.id, lent.lease.id);
    const other = p.borrow(borrowReq({ computer: { machine: 'fedcba9876543210', hardware: 'BBBBBBBBBBBBBB' } }));
    assert.equal(other.kind, 'borrowed');
    assert.equal(
      p.borrow(borrowReq({ computer: { machine: '1111111111111111', hardware: 'C'.repeat(14) } })).kind,
      'exhausted',
    );
    assert.equal(p.endBorrow(lent.lease.id), true);
    assert.equal(p.endBorrow(lent.lease.id), false);
    assert.equal(p.acquire({ product: 'CAD', client: client() }).kind, 'granted');
  });

  test('only licenses that allow it lend, for no more days than they allow; never a token license', () => {
    const { pool: p } = pool([license({ id: 'plain' })]);
    const none = p.borrow(borrowReq());
    assert.deepEqual(none.kind === 'not-allowed' && [none.maxDays, /allows borrowing/.test(none.reason)], [0, true]);

    const { pool: q } = pool([
      license({ id: 'cad', borrowDays: 5 }),
      license({ id: 'tok', source: 'token', borrowDays: 30 }),
    ]);
    const long = q.borrow(borrowReq({ days: 6 }));
    assert.equal(long.kind, 'not-allowed');
    assert.equal(long.kind === 'not-allowed' && long.maxDays, 5);
    assert.match(long.kind === 'not-allowed' ? long.reason : '', /at most 5 day\(s\), not 6/);
    const lent = q.borrow(borrowReq({ days: 5 }));
    assert.equal(lent.kind === 'borrowed' && lent.lease.licenseId, 'cad');
    const second = borrowReq({ days: 5, computer: { machine: 'fedcba9876543210', hardware: 'B'.repeat(14) } });
    assert.equal(q.borrow(second).kind, 'exhausted', 'the token license does not lend its seat');
    assert.equal(p.borrow(borrowReq({ product: 'NONE' })).kind, 'not-licensed');
  });

  test("a borrowed seat ends no later than its license; a feature's seat is counted", () => {
    const { pool: p } = pool([
      license({
        id: 'cad',
        seats: 5,
        borrowDays: 30,
        expiresAt: T0 + 2 * DAY,
        features: [{ code: 'render', users: 1 }],
      }),
    ]);
    const lent = p.borrow(borrowReq({ feature: 'render', days: 30 }));
    assert.equal(lent.kind === 'borrowed' && lent.lease.expiresAt, T0 + 2 * DAY);
    assert.equal(p.acquire({ product: 'CAD', feature: 'render', client: client() }).kind, 'exhausted');
    assert.equal(p.acquire({ product: 'CAD', client: client() }).kind, 'granted');
  });

  test('a restart keeps borrowed seats first, drops the ended ones', () => {
    const c = clock();
    const lic = license({ id: 'cad', seats: 2, borrowDays: 14 });
    const { pool: p } = pool([lic], c);
    assert.equal(p.acquire({ product: 'CAD', client: client() }).kind, 'granted');
    c.advance(1000);
    const long = p.borrow(borrowReq({ days: 7 }));
    const short = p.borrow(borrowReq({ days: 1, computer: { machine: 'fedcba9876543210', hardware: 'B'.repeat(14) } }));
    assert.ok(long.kind === 'borrowed' && short.kind === 'exhausted');
    const snap = JSON.parse(JSON.stringify(p.snapshot()));
    c.advance(2000);
    // One seat fewer after the restart: the borrowed seat, out on its laptop, is kept.
    const { pool: restored, dropped } = LeasePool.restore(snap, {
      now: c.now,
      leaseTtlMs: TTL,
      licenses: [{ ...lic, seats: 1 }],
    });
    assert.deepEqual(
      dropped.map((d) => [d.lease.borrow === undefined ? 'lease' : 'borrow', d.reason]),
      [['lease', 'over-capacity']],
    );
    assert.deepEqual(restored.borrows()[0]?.borrow, long.lease.borrow);
    assert.equal(restored.borrow(borrowReq()).kind, 'held', 'the same computer still holds it');
    c.advance(7 * DAY);
    const later = LeasePool.restore(JSON.parse(JSON.stringify(restored.snapshot())), {
      now: c.now,
      leaseTtlMs: TTL,
      licenses: [lic],
    });
    assert.deepEqual(
      later.dropped.map((d) => d.reason),
      ['lease-expired'],
    );
  });
});
