/** The raw listener's `leasePathId` takes exactly the paths the lease routes' pattern matched. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { leasePathId } from '../src/hot-routes.js';

const LEASE_PATH = /^\/v1\/leases\/([A-Za-z0-9._~-]{1,100})(\/heartbeat)?$/;

function same(url: string): void {
  const m = LEASE_PATH.exec(url);
  assert.equal(leasePathId(url, true), m?.[2] === undefined ? undefined : m[1], `heartbeat ${url}`);
  assert.equal(leasePathId(url, false), m === null || m[2] !== undefined ? undefined : m[1], `release ${url}`);
}

test('leasePathId agrees with the lease routes pattern', () => {
  const piece = fc.constantFrom('/v1/leases/', '/heartbeat', '/', 'a', '~', '.', '%20', 'é', 'heartbeat', '?x=1', '');
  const id = fc.stringMatching(/^[A-Za-z0-9._~\-/]{0,102}$/);
  fc.assert(
    fc.property(fc.array(fc.oneof(piece, id), { maxLength: 6 }), (parts) => same(parts.join(''))),
    { numRuns: 20_000 },
  );
  for (const n of [0, 1, 99, 100, 101]) {
    same(`/v1/leases/${'x'.repeat(n)}`);
    same(`/v1/leases/${'x'.repeat(n)}/heartbeat`);
  }
});
