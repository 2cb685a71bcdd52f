/**
 * LeasePool: a session-limited server license (`server-sessions`) serves one server on one
 * computer. A computer is what the manager counts as one (its address with its declared host
 * name); while one holds sessions or a borrowed seat of the license, another is refused
 * (`server-elsewhere`) until every one of them has ended.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LeasePool } from '../src/lease-pool.js';
import type { AcquireRequest, BorrowSeatRequest, ClientIdentity, PoolLicense, PoolSnapshot } from '../src/types.js';

const T0 = 1_700_000_000_000;
const TTL = 60_000;

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = T0;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

function sessions(over: Partial<PoolLicense> = {}): PoolLicense {
  return {
    id: 'S',
    product: 'ERP',
    type: 'server-sessions',
    seats: 10,
    features: [],
    expiresAt: null,
    source: 'software',
    ...over,
  };
}

function client(over: Partial<ClientIdentity> = {}): ClientIdentity {
  return { host: 'app-1', user: 'svc', process: 'worker', session: 's1', ...over };
}

/** A session request of `client` from `address`. */
function ask(address: string, over: Partial<ClientIdentity> = {}): AcquireRequest {
  return { product: 'ERP', client: client(over), address };
}

function pool(licenses: PoolLicense[], c = clock()) {
  const p = new LeasePool({ now: c.now, leaseTtlMs: TTL });
  p.replaceLicenses(licenses);
  return { pool: p, clock: c };
}

function granted(result: ReturnType<LeasePool['acquire']>): string {
  assert.ok(result.kind === 'granted' || result.kind === 'renewed', JSON.stringify(result));
  return result.lease.id;
}

describe('a session-limited server license serves one server computer', () => {
  test('another computer is refused while free sessions remain, naming the computer that holds it', () => {
    const { pool: p } = pool([sessions()]);
    granted(p.acquire(ask('10.0.0.1', { session: 's1' })));
    granted(p.acquire(ask('10.0.0.1', { session: 's2' })));
    const refused = p.acquire(ask('10.0.0.2', { host: 'app-2' }));
    assert.equal(refused.kind, 'server-elsewhere');
    assert.ok(refused.kind === 'server-elsewhere');
    assert.deepEqual(refused.holder, { host: 'app-1', address: '10.0.0.1' });
    assert.match(refused.reason, /in use by the server on app-1 \(10\.0\.0\.1\)/);
    assert.match(refused.reason, /serves one server computer/);
    assert.equal(p.usage()[0]?.inUse, 2, 'the refusal took no seat');
    // The holder's own sessions keep coming.
    granted(p.acquire(ask('10.0.0.1', { session: 's3' })));
  });

  test('a computer is its address with its host name: either one changed is another computer', () => {
    const { pool: p } = pool([sessions()]);
    granted(p.acquire(ask('10.0.0.1')));
    assert.equal(p.acquire(ask('10.0.0.2')).kind, 'server-elsewhere', 'same name, another address');
    assert.equal(p.acquire(ask('10.0.0.1', { host: 'app-2' })).kind, 'server-elsewhere', 'same address, another name');
    granted(p.acquire(ask('10.0.0.1', { session: 's9', user: 'other', process: 'p9' })));
  });

  test('when every session is released, another computer may take the license', () => {
    const { pool: p } = pool([sessions()]);
    const a = granted(p.acquire(ask('10.0.0.1', { session: 's1' })));
    const b = granted(p.acquire(ask('10.0.0.1', { session: 's2' })));
    assert.ok(p.release(a));
    assert.equal(p.acquire(ask('10.0.0.2', { host: 'app-2' })).kind, 'server-elsewhere', 'one session is left');
    assert.ok(p.release(b));
    granted(p.acquire(ask('10.0.0.2', { host: 'app-2' })));
    assert.equal(p.acquire(ask('10.0.0.1')).kind, 'server-elsewhere', 'and now app-1 is the other computer');
  });

  test('when its sessions lapse, another computer may take the license', () => {
    const { pool: p, clock: c } = pool([sessions()]);
    granted(p.acquire(ask('10.0.0.1')));
    c.advance(TTL);
    assert.equal(p.acquire(ask('10.0.0.2', { host: 'app-2' })).kind, 'server-elsewhere', 'not lapsed yet');
    c.advance(1);
    granted(p.acquire(ask('10.0.0.2', { host: 'app-2' })));
  });

  test('two session-limited server licenses of a product serve two server computers, one each', () => {
    const { pool: p } = pool([sessions({ id: 'S1', seats: 2 }), sessions({ id: 'S2', seats: 2 })]);
    const a = p.acquire(ask('10.0.0.1'));
    const b = p.acquire(ask('10.0.0.2', { host: 'app-2' }));
    assert.ok(a.kind === 'granted' && b.kind === 'granted');
    assert.notEqual(a.lease.licenseId, b.lease.licenseId);
    assert.equal(p.acquire(ask('10.0.0.3', { host: 'app-3' })).kind, 'server-elsewhere');
  });

  test('other license types of the product still serve another computer', () => {
    const { pool: p } = pool([
      sessions({ seats: 2 }),
      { id: 'M', product: 'ERP', type: 'multi', seats: 1, features: [], expiresAt: null, source: 'software' },
    ]);
    const a = p.acquire(ask('10.0.0.1'));
    assert.ok(a.kind === 'granted' && a.lease.licenseId === 'S');
    const b = p.acquire(ask('10.0.0.2', { host: 'app-2' }));
    assert.ok(b.kind === 'granted' && b.lease.licenseId === 'M');
  });

  test('full on its own computer is exhausted there, not elsewhere', () => {
    const { pool: p } = pool([sessions({ seats: 1 })]);
    granted(p.acquire(ask('10.0.0.1')));
    assert.equal(p.acquire(ask('10.0.0.1', { session: 's2' })).kind, 'exhausted');
  });

  test('a borrowed seat holds the license for the computer that borrowed it, until it is given back', () => {
    const { pool: p } = pool([sessions({ borrowDays: 7 })]);
    const req: BorrowSeatRequest = {
      product: 'ERP',
      days: 3,
      client: client({ host: 'laptop' }),
      computer: { machine: '0123456789abcdef', hardware: 'AAAAAAAAAAAAAA' },
      returnKey: 'A'.repeat(43),
      address: '10.0.0.9',
    };
    const lent = p.borrow(req);
    assert.equal(lent.kind, 'borrowed');
    assert.ok(lent.kind === 'borrowed');
    const refused = p.acquire(ask('10.0.0.1'));
    assert.ok(refused.kind === 'server-elsewhere');
    assert.deepEqual(refused.holder, { host: 'laptop', address: '10.0.0.9' });
    assert.ok(p.endBorrow(lent.lease.id));
    granted(p.acquire(ask('10.0.0.1')));
    // And sessions of a server hold the license against a borrower elsewhere.
    const again = p.borrow(req);
    assert.equal(again.kind, 'server-elsewhere');
  });

  test('restoring keeps the computer restored first and drops the leases of another', () => {
    const c = clock();
    const p = new LeasePool({ now: c.now, leaseTtlMs: TTL });
    p.replaceLicenses([sessions()]);
    const first = granted(p.acquire(ask('10.0.0.1')));
    c.advance(10);
    const second = granted(p.acquire(ask('10.0.0.1', { session: 's2' })));
    const snap = JSON.parse(JSON.stringify(p.snapshot())) as PoolSnapshot;
    // A state file from before the rule (or edited by hand): a session of another computer.
    const stray = snap.leases.find((l) => l.id === second);
    assert.ok(stray !== undefined);
    snap.leases = snap.leases.map((l) =>
      l.id === second ? { ...l, address: '10.0.0.2', client: { ...l.client, host: 'app-2' } } : l,
    );
    const { pool: kept, dropped } = LeasePool.restore(snap, { now: c.now, leaseTtlMs: TTL, licenses: [sessions()] });
    assert.deepEqual(
      dropped.map((d) => [d.lease.id, d.reason]),
      [[second, 'other-computer']],
    );
    assert.deepEqual(
      kept.leases().map((l) => l.id),
      [first],
    );
    assert.equal(kept.acquire(ask('10.0.0.2', { host: 'app-2' })).kind, 'server-elsewhere');
  });
});
