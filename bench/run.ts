/**
 * `npm run bench`: runs every benchmark group and prints the results with the machine description
 * and its load average before and after each group. Numbers for docs/benchmarks.md come from this
 * output.
 *
 *   --only sdk|center|pool|manager|seat-proof|logging|releases|manager-net   one group (repeatable, or comma-separated)
 *   --rounds <n>     rounds of each interleaved comparison (default 3, at least 3)
 *   --seconds <s>    seconds per measured phase of the server comparisons (default 4)
 *   --pin            servers on core 0, this process (the load generator) on core 1 (`taskset`)
 *   --verbose        each sample as it is taken, on stderr
 */
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { type Comparison, comparisonText, loadText } from './ceiling.js';
import { pinCores } from './processes.js';

// Each group's modules are loaded when it runs: a group measured in this process (the SDK's
// open, the ceilings) must not pay for the heap of another's (the center, the TypeScript
// compiler), whose garbage collection would count in its CPU time.

const GROUPS = ['sdk', 'center', 'pool', 'manager', 'seat-proof', 'logging', 'releases', 'manager-net'] as const;
type Group = (typeof GROUPS)[number];

const { values } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '4' },
    pin: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
});
const only = new Set((values.only ?? []).flatMap((o) => o.split(',')));
for (const g of only)
  if (!GROUPS.includes(g as Group)) throw new Error(`bench: unknown group ${g}; one of ${GROUPS.join(', ')}`);
const rounds = Math.max(3, Number(values.rounds));
const seconds = Number(values.seconds);
const verbose = values.verbose;
if (values.pin) pinCores();

const cpu = cpus();
console.log(
  `machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB, Node ${process.version}, ${new Date().toISOString()}${values.pin ? ', servers pinned to core 0 and the load generator to core 1' : ''}`,
);

async function group(name: Group, run: () => Promise<void>): Promise<void> {
  if (only.size > 0 && !only.has(name)) return;
  console.log(`\n== ${name} == load average before: ${loadText()}`);
  await run();
  console.log(`== ${name} == load average after: ${loadText()}`);
}

const printAll = (comparisons: readonly Comparison[]) => {
  for (const c of comparisons) console.log(comparisonText(c));
};

await group('sdk', async () => {
  const { benchSdk } = await import('./sdk.js');
  const sdk = await benchSdk(rounds);
  console.log(`sdk: collectHardware (uncached, once): ${sdk.collectHardwareMs.toFixed(1)} ms`);
  console.log(
    `sdk: openLicensing over ${sdk.openMs.files} files (hardware cached): mean ${sdk.openMs.mean.toFixed(2)} ms, p50 ${sdk.openMs.p50.toFixed(2)} ms, p99 ${sdk.openMs.p99.toFixed(2)} ms  (target < 5 ms)`,
  );
  console.log(`${comparisonText(sdk.open)}  (target ≤ 2)`);
  console.log(`sdk: hot check(): ${sdk.checkNs.toFixed(1)} ns  (target < 5000 ns)`);
});
await group('center', async () => {
  const { benchCenter } = await import('./center.js');
  const c = await benchCenter({ seconds, rounds, verbose });
  console.log(
    `center: \`lictor center serve --log-level warn\` (SQLite) over HTTP, ${c.connections} connections, autocannon in this process; ${c.refused} refused, ${c.errors} errors; latency p50 ${c.latencyMs.p50} ms, p99 ${c.latencyMs.p99} ms (the worst round)`,
  );
  printAll(c.comparisons);
});
await group('pool', async () => {
  const { benchLeasePool } = await import('./lease-pool.js');
  const p = benchLeasePool();
  console.log(
    `manager core (LeasePool, in process): ${p.leases} leases in ${p.heapMiB.toFixed(0)} MiB of heap; ${Math.round(p.pairsPerSecond)} acquire+release pairs/s and ${Math.round(p.heartbeatsPerSecond)} heartbeats/s with them held`,
  );
});
await group('manager', async () => {
  console.log(
    'manager: `lictor manager serve --log-level warn` and bare node:http (constant answers), each in its own process, same keep-alive clients; requests/s (a pair is two)',
  );
  const { benchManagerCeiling } = await import('./manager-ceiling.js');
  printAll(await benchManagerCeiling({ seconds, rounds, verbose }));
});
await group('seat-proof', async () => {
  const { benchSeatProof } = await import('./seat-proof.js');
  console.log(
    "seat-proof: heartbeats MAC'd in a session (nonce and session headers) and plain, one manager with the hot routes and one through Fastify, bare node:http with and without the MAC; each in its own process, 50 keep-alive connections; heartbeats/s",
  );
  printAll(await benchSeatProof({ seconds, rounds, verbose }));
});
await group('logging', async () => {
  const { benchLogging } = await import('./logging.js');
  const l = await benchLogging({ seconds, rounds, verbose });
  printAll(l.comparisons);
  for (const v of l.volumes) {
    console.log(
      `${v.name}: wrote ${v.lines.toLocaleString('en-US')} log lines, ${(v.bytes / 1024).toFixed(0)} KiB, for ${v.operations.toLocaleString('en-US')} requests (${(v.lines / Math.max(1, v.operations)).toFixed(2)} lines per request)`,
    );
  }
});
await group('releases', async () => {
  console.log(
    'releases: `lictor manager serve` with its defaults (but --port 0), raw keep-alive sockets, closed loops; operations/s (a pair is two)',
  );
  const { benchReleases } = await import('./releases.js');
  const r = await benchReleases({ seconds: Math.max(seconds, 5), rounds });
  for (const p of r.phases) {
    console.log(
      `  ${p.name}: ${Math.round(p.sample.value).toLocaleString('en-US')} ops/s (seconds from ${p.slowestSecond.toLocaleString('en-US')} to ${p.fastestSecond.toLocaleString('en-US')}); manager ${Math.round(p.sample.serverMicrosPerOp ?? Number.NaN)} µs/op`,
    );
  }
  printAll(r.comparisons);
});
await group('manager-net', async () => {
  const { benchManagerNet } = await import('./manager-net.js');
  const { printManagerNet } = await import('./manager-net-report.js');
  printManagerNet(await benchManagerNet());
});
