/**
 * What an acquire+release pair costs the License Manager's `LeasePool` with many leases held at
 * once (issue 11: pairs over 1,000 connections cost the manager more per request than over 50).
 * `--held` leases are taken by as many clients; then each client in turn gives its lease back and
 * takes a new one, `--pairs` times in all, so that each lease lives `--held` pairs (as with that
 * many keep-alive connections). Prints the CPU time per pair and the garbage collector's pauses
 * (`perf_hooks` 'gc' entries: scavenges and mark-compacts) per pair, for each `--held`.
 *
 *   node --import tsx bench/lease-pool-held.ts [--held 50,1000] [--pairs 1000000]
 *
 * The compiled `packages/manager/dist` is measured (build first). Not part of `npm run bench`;
 * `docs/benchmarks.md` cites it.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { LeasePool } from '../packages/manager/dist/lease-pool.js';

const { values } = parseArgs({
  options: {
    held: { type: 'string', default: '50,1000' },
    pairs: { type: 'string', default: '1000000' },
  },
});
const pairs = Number(values.pairs);

/** GC pauses seen since the last {@link takeGc}, by kind. */
const gc = { scavenges: 0, scavengeMs: 0, majors: 0, majorMs: 0 };
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
      gc.scavenges++;
      gc.scavengeMs += entry.duration;
    } else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
      gc.majors++;
      gc.majorMs += entry.duration;
    }
  }
});
observer.observe({ entryTypes: ['gc'] });

function takeGc(): typeof gc {
  const taken = { ...gc };
  Object.assign(gc, { scavenges: 0, scavengeMs: 0, majors: 0, majorMs: 0 });
  return taken;
}

/** Waits until the 'gc' entries of the work just done have reached the observer (they come in a later task). */
function settled(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 100));
}

async function run(held: number): Promise<void> {
  const pool = new LeasePool({ now: Date.now, leaseTtlMs: 600_000 });
  pool.replaceLicenses([
    { id: 'bench', product: 'ERP', type: 'multi', seats: 1_000_000, features: [], expiresAt: null, source: 'software' },
  ]);
  const requests = Array.from({ length: held }, (_, i) => ({
    product: 'ERP',
    client: { host: `host-${i}`, user: `user-${i}`, process: 'bench', session: `session-${i}` },
    address: '127.0.0.1',
  }));
  const take = (i: number): string => {
    const result = pool.acquire(requests[i] as (typeof requests)[number]);
    if (result.kind !== 'granted') throw new Error(`lease-pool-held: acquire ${result.kind}`);
    return result.lease.id;
  };
  const ids = requests.map((_, i) => take(i));
  await settled(); // the GC entries of the set-up are delivered
  takeGc();
  const before = process.cpuUsage();
  for (let k = 0; k < pairs; k++) {
    const i = k % held;
    if (!pool.release(ids[i] as string)) throw new Error('lease-pool-held: release refused');
    ids[i] = take(i);
  }
  const used = process.cpuUsage(before);
  await settled();
  const g = takeGc();
  const perPair = (ms: number) => ((ms * 1000) / pairs).toFixed(2);
  console.log(
    `${String(held).padStart(6)} leases held: ${((used.user + used.system) / pairs).toFixed(2)} µs CPU per pair; ` +
      `GC ${perPair(g.scavengeMs + g.majorMs)} µs per pair (${g.scavenges} scavenges, ${(g.scavengeMs / Math.max(1, g.scavenges)).toFixed(2)} ms each; ` +
      `${g.majors} mark-compacts, ${g.majorMs.toFixed(0)} ms in all)`,
  );
}

console.log(`${pairs} acquire+release pairs on one LeasePool, each client in turn`);
for (const held of values.held.split(',').map(Number)) await run(held);
observer.disconnect();
