/** Prints the results of `manager-net.ts` as `npm run bench` lines. */
import type { LatencyStats } from './load-clients.js';
import type { CpuShare, LoopResult, ManagerNetResults, PacedResult } from './manager-net.js';

const MiB = 1024 ** 2;
const TRANSPORT = {
  http: 'HTTP keep-alive          ',
  ws: 'WebSocket frames         ',
  'http-close': 'HTTP, connection per beat',
} as const;
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (l: LatencyStats) => `p50 ${l.p50.toFixed(2)} / p99 ${l.p99.toFixed(2)} / max ${l.max.toFixed(1)} ms`;
const cpu = (c: CpuShare) =>
  `CPU manager ${c.manager.toFixed(0)} % (${c.managerMicrosPerRequest.toFixed(0)} µs/request), clients ${c.generator.toFixed(0)} %`;

/** A memory reading as text. */
function mem(u: ManagerNetResults['memory']['baseline']): string {
  const m = (n: number) => (n / MiB).toFixed(0);
  return `RSS ${m(u.rssBytes)} MiB, heap ${m(u.heapUsedBytes)} of ${m(u.heapTotalBytes)} MiB, external ${m(u.externalBytes)} MiB`;
}

/** One phase as a line. */
export function loopLine(r: LoopResult | PacedResult): string {
  const what =
    r.workload === 'pairs'
      ? `${int(r.perSecond)} acquire+release pairs/s (${int(2 * r.perSecond)} ops/s)`
      : r.workload === 'bare'
        ? `bare node:http floor ${int(r.perSecond)} requests/s`
        : `${int(r.perSecond)} heartbeats/s`;
  const target =
    'targetPerSecond' in r && Number.isFinite(r.targetPerSecond) ? ` paced at ${int(r.targetPerSecond)}/s:` : '';
  const latency = Object.entries(r.latency)
    .map(([op, l]) => `${op} ${ms(l)}`)
    .join('; ');
  return `manager net: ${int(r.clients)} client${r.clients === 1 ? '' : 's'}, ${int(r.held)} leases held,${target} ${what}; ${latency}; ${cpu(r.cpu)}`;
}

/** Prints every result, one line each. */
export function printManagerNet(r: ManagerNetResults): void {
  console.log(
    `manager net: the manager in its own process, clients in this one, loopback HTTP/1.1 keep-alive, ${r.seconds} s per phase; load average ${r.load.start.toFixed(1)} at start, ${r.load.end.toFixed(1)} at end`,
  );
  for (const loop of r.loops) console.log(loopLine(loop));
  for (const p of r.paced) console.log(loopLine(p));
  const { baseline, withLeases } = r.memory;
  console.log(
    `manager net: ${int(r.fill.leases)} leases acquired over 1,000 sockets in ${r.fill.seconds.toFixed(1)} s (${int(r.fill.perSecond)}/s, acquire ${ms(r.fill.acquire)})`,
  );
  console.log(
    `manager net: memory with ${int(withLeases.leases)} leases: ${mem(withLeases)} (empty: ${mem(baseline)})  (target < 300 MB)`,
  );
  for (const t of r.transports) {
    console.log(
      `manager net: ${TRANSPORT[t.transport]} ${int(t.clients)} clients (${int(t.connections)} connections): ${int(t.heartbeatsPerSecond)} heartbeats/s, ${ms(t.latency)}; per idle client RSS ${int(t.rssBytesPerClient)} B, heap+external ${int(t.heapBytesPerClient)} B; ${cpu(t.cpu)}`,
    );
  }
}
