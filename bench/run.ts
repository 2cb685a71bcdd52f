/**
 * `npm run bench`: runs every benchmark group and prints the results with the machine description
 * and its load average before and after each group. Numbers for docs/benchmarks.md come from this
 * output.
 *
 *   --only sdk|center|center-held|pool|manager|seat-proof|then-and-now|logging|releases|manager-net|runtime   one group (repeatable, or comma-separated)
 *   --earlier <dir>  the then-and-now group's earlier checkout (built with npm ci); without it that group is skipped
 *   --rounds <n>     rounds of each interleaved comparison (default 3, at least 3; the logging group at least 7)
 *   --seconds <s>    seconds per measured phase of the server comparisons (default 4)
 *   --runtime-prof <dir>   the runtime group's `lictor runtime serve` writes its CPU profile there (`--cpu-prof`)
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

const GROUPS = [
  'sdk',
  'center',
  'center-held',
  'pool',
  'manager',
  'seat-proof',
  'then-and-now',
  'logging',
  'releases',
  'manager-net',
  'runtime',
] as const;
type Group = (typeof GROUPS)[number];

const { values } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '4' },
    pin: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    'runtime-prof': { type: 'string' },
    earlier: { type: 'string' },
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
  console.log(
    `center: the center's answer to an activation is ${c.answerBytes} bytes; main thread alone: center ${Math.round(c.mainThreadMicrosPerOp.center)} µs/op, composed ceiling ${Math.round(c.mainThreadMicrosPerOp.composed)} µs/op`,
  );
  printAll(c.comparisons);
});
await group('center-held', async () => {
  const { benchCenterHeld } = await import('./center-held.js');
  await benchCenterHeld({ rounds });
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
await group('then-and-now', async () => {
  const earlier = values.earlier;
  if (earlier === undefined) {
    console.log('then-and-now: skipped (needs --earlier <an earlier checkout, built>)');
    return;
  }
  const { benchThenAndNow } = await import('./then-and-now.js');
  console.log(
    `then-and-now: this checkout's lictor manager serve proving every answer (a session's MAC) against ${earlier}'s answering plain, and against itself answering plain; each with its own center, license and activation, UDP off, at the default log level and at warn; 50 keep-alive connections; requests/s`,
  );
  printAll(await benchThenAndNow({ earlier, seconds, rounds, verbose }));
});
/**
 * The logging group's rounds at least: the difference it measures (one line per lease granted,
 * ~5 % of a pair's CPU by profile) is below what three rounds resolve on a shared 2-core VM,
 * where single rounds of the same pair ranged from 0.66 to 1.39 (`docs/benchmarks.md`).
 */
const LOGGING_ROUNDS = 7;
await group('logging', async () => {
  const { benchLogging } = await import('./logging.js');
  const l = await benchLogging({ seconds, rounds: Math.max(rounds, LOGGING_ROUNDS), verbose });
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
await group('runtime', async () => {
  console.log(
    '`lictor runtime serve --log-level warn` (10 license files of ERP, each able to sign) and bare node:http, each in its own process on a Unix socket, same keep-alive clients in this process; requests/s',
  );
  const { benchRuntime } = await import('./runtime.js');
  const r = await benchRuntime({
    seconds,
    rounds,
    verbose,
    // The service files' options first (packages/runtime/service/), then each alone and larger semi-spaces.
    memoryFlags: [
      ['--max-semi-space-size=1', '--single-threaded', '--no-node-snapshot'],
      ['--max-semi-space-size=1', '--single-threaded'],
      ['--max-semi-space-size=1'],
      ['--single-threaded'],
      ['--max-semi-space-size=2'],
      ['--max-semi-space-size=4'],
    ],
    ...(values['runtime-prof'] === undefined ? {} : { cpuProfDir: values['runtime-prof'] }),
  });
  printAll(r.comparisons);
  const ms = (n: number) => n.toFixed(3);
  for (const [name, l] of r.latency) {
    console.log(
      `  latency ${name}: p50 ${ms(l.p50)} ms, p99 ${ms(l.p99)} ms, max ${ms(l.max)} ms (${l.count.toLocaleString('en-US')} requests)`,
    );
  }
  console.log(
    `  answers: a signed check ${r.checkBytes} bytes, a check MAC'd within an answer session ${r.macCheckBytes} bytes, a session ${r.sessionBytes} bytes (the bare servers send as many)`,
  );
  console.log(
    `  in this process on the same files: SDK check() ${Math.round(r.sdkChecksPerSecond).toLocaleString('en-US')}/s (${r.sdkCheckMicros.toFixed(2)} µs CPU); check + signing its answer ${Math.round(r.sdkSignedChecksPerSecond).toLocaleString('en-US')}/s (${r.sdkSignedCheckMicros.toFixed(1)} µs CPU)`,
  );
  for (const p of r.paced) {
    const l = p.latency;
    console.log(
      `  ${p.name}: ${Math.round(p.sample.value).toLocaleString('en-US')}/s achieved, runtime ${Math.round(p.sample.serverCpu ?? Number.NaN)} % CPU (${Math.round(p.sample.serverMicrosPerOp ?? Number.NaN)} µs/op), ${p.errors} errors; latency p50 ${l.p50.toFixed(3)} ms, p99 ${l.p99.toFixed(3)} ms, max ${l.max.toFixed(3)} ms (${l.count.toLocaleString('en-US')} requests)  (target ≥ 10,000/s with p99 < 1 ms)`,
    );
  }
  for (const m of r.memory) {
    console.log(
      `  runtime memory${m.flags.length === 0 ? '' : ` (node ${m.flags.join(' ')})`} with ${r.files} license files and ${m.sessions.toLocaleString('en-US')} sessions open: RSS ${m.rss.toFixed(1)} MiB (peak ${m.peak.toFixed(1)}), private ${m.private.toFixed(1)} MiB  (target < 80 MB); ${Math.round(m.checksPerSecond).toLocaleString('en-US')} checks/s just before (${Math.round(m.checkMicros)} µs CPU each)`,
    );
  }
});
