/**
 * License Manager core: the in-process LeasePool (no network yet). Acquire+release pairs per
 * second on a pool that already holds 100,000 leases, heartbeats per second, and the heap used
 * by 100,000 leases.
 */
import { LeasePool } from '@lictor/manager';

export interface PoolResults {
  leases: number;
  heapMiB: number;
  pairsPerSecond: number;
  heartbeatsPerSecond: number;
}

export function benchLeasePool(): PoolResults {
  const LEASES = 100_000;
  let now = 0;
  const pool = new LeasePool({ now: () => now, leaseTtlMs: 60_000 });
  pool.addLicense({
    id: 'bench',
    product: 'ERP',
    type: 'multi',
    seats: LEASES + 1_000,
    features: [],
    expiresAt: null,
    source: 'software',
  });
  const client = (i: number) => ({ host: `host-${i % 5000}`, user: `user-${i}`, process: String(i), session: '1' });
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  const ids: string[] = [];
  for (let i = 0; i < LEASES; i++) {
    const r = pool.acquire({ product: 'ERP', client: client(i) });
    if (r.kind !== 'granted') throw new Error(`bench: lease ${i} ${r.kind}`);
    ids.push(r.lease.id);
  }
  globalThis.gc?.();
  const heapMiB = (process.memoryUsage().heapUsed - before) / 1024 ** 2;

  const PAIRS = 200_000;
  let t = performance.now();
  for (let i = 0; i < PAIRS; i++) {
    const r = pool.acquire({ product: 'ERP', client: client(LEASES + (i % 500)) });
    if (r.kind !== 'granted' && r.kind !== 'renewed') throw new Error(`bench: ${r.kind}`);
    pool.release(r.lease.id);
  }
  const pairsPerSecond = PAIRS / ((performance.now() - t) / 1000);

  t = performance.now();
  for (let round = 0; round < 5; round++) for (const id of ids) pool.heartbeat(id);
  const heartbeatsPerSecond = (5 * LEASES) / ((performance.now() - t) / 1000);
  now += 1;
  return { leases: LEASES, heapMiB, pairsPerSecond, heartbeatsPerSecond };
}
