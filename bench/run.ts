/**
 * `npm run bench`: runs every benchmark and prints the results with the machine description.
 * Numbers for docs/benchmarks.md come from this output. `--only sdk|center|pool|manager` runs one group.
 */
import { cpus, totalmem } from 'node:os';
import { benchCenter } from './center.js';
import { benchLeasePool } from './lease-pool.js';
import { benchManagerNet } from './manager-net.js';
import { printManagerNet } from './manager-net-report.js';
import { benchSdk } from './sdk.js';

// `--only sdk|center|pool|manager` runs one group.
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const cpu = cpus();
console.log(
  `machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
);

if (!only || only === 'sdk') {
  const sdk = await benchSdk();
  console.log(`sdk: collectHardware (uncached, once): ${sdk.collectHardwareMs.toFixed(1)} ms`);
  console.log(
    `sdk: openLicensing over ${sdk.openMs.files} files (hardware cached): mean ${sdk.openMs.mean.toFixed(2)} ms, p50 ${sdk.openMs.p50.toFixed(2)} ms, p99 ${sdk.openMs.p99.toFixed(2)} ms  (target < 5 ms)`,
  );
  console.log(`sdk: hot check(): ${sdk.checkNs.toFixed(1)} ns  (target < 5000 ns)`);
}
if (!only || only === 'center') {
  const c = await benchCenter();
  console.log(
    `center: ${c.activationsPerSecond.toFixed(0)} activations/s over HTTP (SQLite, ${c.connections} connections, ${c.durationS} s): ${c.accepted} accepted, ${c.refused} refused, ${c.errors} errors; latency p50 ${c.latencyMs.p50} ms, p99 ${c.latencyMs.p99} ms  (target ≥ 2000/s)`,
  );
}
if (!only || only === 'pool') {
  const p = benchLeasePool();
  console.log(
    `manager core (LeasePool, in process): ${p.leases} leases in ${p.heapMiB.toFixed(0)} MiB of heap; ${Math.round(p.pairsPerSecond)} acquire+release pairs/s and ${Math.round(p.heartbeatsPerSecond)} heartbeats/s with them held`,
  );
}
if (!only || only === 'manager') printManagerNet(await benchManagerNet());
