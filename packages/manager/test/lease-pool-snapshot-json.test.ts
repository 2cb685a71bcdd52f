/** LeasePool.snapshotJson: the snapshot as JSON text in pieces, equal to JSON.stringify(snapshot()). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LeasePool } from '../src/lease-pool.js';

const T0 = 1_700_000_000_000;

function poolWith(leases: number, now: () => number): LeasePool {
  const pool = new LeasePool({ now, leaseTtlMs: 60_000 });
  pool.addLicense({
    id: 'L',
    product: 'CAD',
    type: 'multi',
    seats: leases,
    features: [{ code: 'F', users: null }],
    expiresAt: null,
    source: 'software',
  });
  for (let i = 0; i < leases; i++) {
    const r = pool.acquire({
      product: 'CAD',
      ...(i % 2 === 0 ? { feature: 'F' } : {}),
      client: { host: `h${i}`, user: 'u', process: String(i), session: '1' },
    });
    assert.equal(r.kind, 'granted');
  }
  return pool;
}

test('the pieces join to exactly JSON.stringify(snapshot()), for empty, exact and ragged piece counts', () => {
  const now = () => T0;
  for (const [leases, perPiece] of [
    [0, 3],
    [1, 3],
    [6, 3],
    [7, 3],
    [25, 1],
  ] as const) {
    const pool = poolWith(leases, now);
    const pieces = [...pool.snapshotJson(perPiece)];
    assert.equal(pieces.join(''), JSON.stringify(pool.snapshot()), `${leases} leases, ${perPiece} per piece`);
    // The opening, one piece per started group of leases, and the closing.
    assert.equal(pieces.length, 2 + Math.ceil(leases / perPiece));
  }
});

test('the leases are those held at the first piece; one released meanwhile is still written', () => {
  const pool = poolWith(4, () => T0);
  const first = pool.leases()[0];
  assert.ok(first);
  const pieces = pool.snapshotJson(2);
  const opening = pieces.next();
  assert.equal(opening.done, false);
  pool.release(first.id);
  pool.acquire({ product: 'CAD', client: { host: 'late', user: 'u', process: 'x', session: '1' } });
  const text = opening.value + [...pieces].join('');
  const ids = (JSON.parse(text) as { leases: { id: string }[] }).leases.map((l) => l.id);
  assert.equal(ids.length, 4);
  assert.equal(ids[0], first.id);
});
