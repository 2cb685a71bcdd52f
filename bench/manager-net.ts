/**
 * License Manager over real loopback sockets. The manager (`manager-server.ts`) runs in a child
 * process with its own event loop; this process simulates the clients, each with one persistent
 * connection and one request in flight. On a 2-core machine the two processes compete for the
 * same cores, so every phase reports the CPU each one used (100 % = one core).
 *
 * Measured: the floor (bare `node:http` answering a constant), acquire+release pairs and
 * heartbeats per second with 1, 100 and 1,000 clients (closed loop: each client sends its next
 * request when the answer comes), latency at 1,000 clients sending at fixed rates (open loop),
 * the manager's memory with 100,000 leases acquired over the sockets, the same operations with
 * those leases held, and heartbeats over HTTP keep-alive, WebSocket frames and a new connection
 * each at 1,000 and 10,000 clients (a fresh manager process each, so that memory per idle
 * connection is not blurred by earlier phases). docs/benchmarks.md explains the results.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { HttpClient, type LatencyStats, Samples, WsClient } from './load-clients.js';
import { loopLine } from './manager-net-report.js';
import type { ParentMessage, ServerMessage } from './manager-server.js';

type Usage = Extract<ServerMessage, { kind: 'usage' }>;

/** CPU each process used during a phase, in % of one core. */
export interface CpuShare {
  manager: number;
  generator: number;
  /** The manager's CPU time per request (an acquire+release pair is two), in µs. */
  managerMicrosPerRequest: number;
}

/** A closed-loop phase: `clients` clients as fast as answers come. */
export interface LoopResult {
  /** `bare`: heartbeat-shaped requests to bare `node:http` answering a constant (the floor). */
  workload: 'pairs' | 'heartbeats' | 'bare';
  clients: number;
  /** Leases held by other clients meanwhile. */
  held: number;
  /** Pairs (acquire + release) or heartbeats per second. */
  perSecond: number;
  latency: Record<string, LatencyStats>;
  cpu: CpuShare;
}

/** An open-loop phase: `clients` clients sending at `targetPerSecond` in total. */
export interface PacedResult extends LoopResult {
  targetPerSecond: number;
}

/**
 * Heartbeats over one transport with `clients` clients: `http` keep-alive, `ws` frames, or
 * `http-close`, a new connection for each heartbeat (nothing held between heartbeats).
 */
export interface TransportResult {
  transport: Transport;
  clients: number;
  /** Open connections the manager counted. */
  connections: number;
  /** Growth of the manager's RSS and of its heap + external memory, per connected client. */
  rssBytesPerClient: number;
  heapBytesPerClient: number;
  heartbeatsPerSecond: number;
  latency: LatencyStats;
  cpu: CpuShare;
}

export interface ManagerNetResults {
  seconds: number;
  /** 1-minute load average of the machine when the benchmark started and ended (other work counts). */
  load: { start: number; end: number };
  loops: LoopResult[];
  paced: PacedResult[];
  fill: { leases: number; seconds: number; perSecond: number; acquire: LatencyStats };
  memory: { baseline: Usage; withLeases: Usage };
  transports: TransportResult[];
}

/**
 * The manager's script as plain JavaScript (types stripped) in node_modules/.cache, so that the
 * child runs under plain `node` like `lictor manager serve`: the tsx loader would add a thread
 * and about 45 MB to the memory measured.
 */
async function serverScript(): Promise<string> {
  const dir = fileURLToPath(new URL('../node_modules/.cache/lictor-bench/', import.meta.url));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
  for (const name of ['manager-server', 'ws-heartbeats']) {
    const source = await readFile(new URL(`./${name}.ts`, import.meta.url), 'utf8');
    const compilerOptions = {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
    };
    await writeFile(join(dir, `${name}.js`), ts.transpileModule(source, { compilerOptions }).outputText);
  }
  return join(dir, 'manager-server.js');
}

/** Phase names on stderr with `LICTOR_BENCH_VERBOSE=1`. */
function progress(what: string): void {
  if (process.env.LICTOR_BENCH_VERBOSE)
    console.error(`[manager net ${new Date().toISOString().slice(11, 19)}] ${what}`);
}

/** The manager's child process. */
class ManagerProcess {
  private waiting: ((usage: Usage) => void) | null = null;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly barePort: number,
    readonly product: string,
  ) {
    child.on('message', (message: ServerMessage) => {
      if (message.kind !== 'usage') return;
      const waiting = this.waiting;
      this.waiting = null;
      waiting?.(message);
    });
  }

  /** Forks the manager; `LICTOR_BENCH_CPU_PROF=<dir>` profiles it (`--cpu-prof`). */
  static async start(): Promise<ManagerProcess> {
    const profile = process.env.LICTOR_BENCH_CPU_PROF;
    const child = fork(await serverScript(), [], {
      execArgv: ['--expose-gc', ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      child.once('message', (message: ServerMessage) => {
        if (message.kind === 'ready') {
          resolve(new ManagerProcess(child, message.port, message.barePort, message.product));
        }
      });
      child.once('exit', (code) => reject(new Error(`manager bench: the manager exited with ${code}`)));
    });
  }

  /** Memory (after a full GC when `gc`), CPU time, leases and open connections of the manager. */
  usage(gc = true): Promise<Usage> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.child.send({ kind: 'usage', gc } satisfies ParentMessage);
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.send({ kind: 'stop' } satisfies ParentMessage);
    });
  }
}

/** Runs `phase`, which returns the requests it made: its wall time and the CPU both processes used. */
async function timed(
  manager: ManagerProcess,
  phase: () => Promise<number>,
): Promise<{ seconds: number; cpu: CpuShare }> {
  const before = await manager.usage(false);
  const ownBefore = process.cpuUsage();
  const t = performance.now();
  const requests = await phase();
  const seconds = (performance.now() - t) / 1000;
  const own = process.cpuUsage(ownBefore);
  const after = await manager.usage(false);
  const managerMicros = after.cpuMicros - before.cpuMicros;
  const share = (micros: number) => micros / 1e4 / seconds;
  return {
    seconds,
    cpu: {
      manager: share(managerMicros),
      generator: share(own.user + own.system),
      managerMicrosPerRequest: managerMicros / requests,
    },
  };
}

/** Each client runs `step` back to back until `seconds` have passed; returns the steps done. */
async function closedLoop(
  clients: readonly HttpClient[],
  seconds: number,
  step: (client: HttpClient, i: number, k: number) => Promise<void>,
): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    clients.map(async (client, i) => {
      for (let k = 0; performance.now() < end; k++) {
        await step(client, i, k);
        done++;
      }
    }),
  );
  return done;
}

/**
 * Open loop: client i starts its steps at fixed times, `clients / perSecond` seconds apart,
 * staggered across clients; a client late on its schedule sends at once. Returns the steps done.
 */
async function pacedLoop(
  clients: readonly HttpClient[],
  perSecond: number,
  seconds: number,
  step: (client: HttpClient, i: number, k: number) => Promise<void>,
): Promise<number> {
  const periodMs = (clients.length / perSecond) * 1000;
  const start = performance.now();
  const end = start + seconds * 1000;
  let done = 0;
  await Promise.all(
    clients.map(async (client, i) => {
      for (let k = 0; ; k++) {
        const at = start + (i / clients.length) * periodMs + k * periodMs;
        if (at >= end) return;
        const wait = at - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        await step(client, i, k);
        done++;
      }
    }),
  );
  return done;
}

/** Prints a phase's line with `LICTOR_BENCH_VERBOSE=1` and returns it. */
function reported(result: PacedResult): PacedResult {
  progress(loopLine(result));
  return result;
}

/** A pacing rate: `perSecond` rounded to hundreds, at least 100. */
function roundRate(perSecond: number): number {
  return Math.max(100, Math.round(perSecond / 100) * 100);
}

/**
 * `n` clients of `port` (the manager's or the bare server's), connected before the phase starts
 * (at most 250 connecting at once) and accepted by the server: a request sent on a connection
 * still in the listen queue waited, in bare `node:http` too, until the other clients stopped.
 * Every earlier client must be closed.
 */
async function makeClients(manager: ManagerProcess, port: number, n: number): Promise<HttpClient[]> {
  await drained(manager);
  const clients = await openInBatches(n, 250, async () => {
    const client = new HttpClient(port);
    await client.connect();
    return client;
  });
  await accepted(manager, n);
  return clients;
}

/** `count` leases for identities `${prefix}${i}`, acquired by `clients` in parallel. */
async function acquireMany(
  clients: readonly HttpClient[],
  product: string,
  prefix: string,
  count: number,
  samples?: Samples,
): Promise<string[]> {
  const ids: string[] = new Array(count);
  await Promise.all(
    clients.map(async (client, c) => {
      for (let i = c; i < count; i += clients.length) ids[i] = await client.acquire(product, `${prefix}${i}`, samples);
    }),
  );
  return ids;
}

async function runPairs(
  manager: ManagerProcess,
  clients: readonly HttpClient[],
  seconds: number,
  held: number,
  tag: string,
  pacedAt?: number,
): Promise<PacedResult> {
  const acquire = new Samples();
  const release = new Samples();
  const step = async (client: HttpClient, i: number) => {
    const id = await client.acquire(manager.product, `${tag}-${i}`, acquire);
    await client.release(id, release);
  };
  let pairs = 0;
  const { seconds: wall, cpu } = await timed(manager, async () => {
    pairs = await (pacedAt === undefined
      ? closedLoop(clients, seconds, step)
      : pacedLoop(clients, pacedAt, seconds, step));
    return 2 * pairs;
  });
  return reported({
    workload: 'pairs',
    clients: clients.length,
    held,
    perSecond: pairs / wall,
    targetPerSecond: pacedAt ?? Number.NaN,
    latency: { acquire: acquire.stats(), release: release.stats() },
    cpu,
  });
}

/**
 * Heartbeats: client i renews `leaseIds[i + k * clients]`, k = 0, 1, … (wrapping). Without
 * lease ids, the clients talk to the bare `node:http` server.
 */
async function runHeartbeats(
  manager: ManagerProcess,
  clients: readonly HttpClient[],
  leaseIds: readonly string[],
  seconds: number,
  held: number,
  pacedAt?: number,
): Promise<PacedResult> {
  const samples = new Samples();
  const perClient = Math.max(1, Math.floor(leaseIds.length / clients.length));
  const step = (client: HttpClient, i: number, k: number) =>
    client.heartbeat(leaseIds[i + (k % perClient) * clients.length] ?? 'bare', samples);
  let beats = 0;
  const { seconds: wall, cpu } = await timed(manager, async () => {
    beats = await (pacedAt === undefined
      ? closedLoop(clients, seconds, step)
      : pacedLoop(clients, pacedAt, seconds, step));
    return beats;
  });
  return reported({
    workload: leaseIds.length === 0 ? 'bare' : 'heartbeats',
    clients: clients.length,
    held,
    perSecond: beats / wall,
    targetPerSecond: pacedAt ?? Number.NaN,
    latency: { heartbeat: samples.stats() },
    cpu,
  });
}

/** Waits until the manager has closed every connection (clients were closed on this side). */
async function drained(manager: ManagerProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await manager.usage(false)).connections === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('manager bench: connections still open on the manager');
}

/** Waits until the manager process has accepted `count` connections. */
async function accepted(manager: ManagerProcess, count: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await manager.usage(false)).connections >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`manager bench: the manager did not accept ${count} connections`);
}

/** Opens `count` connections, at most `batch` connecting at once (the listen backlog is finite). */
async function openInBatches<T>(count: number, batch: number, open: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let from = 0; from < count; from += batch) {
    const size = Math.min(batch, count - from);
    out.push(...(await Promise.all(Array.from({ length: size }, (_, j) => open(from + j)))));
  }
  return out;
}

type Transport = 'http' | 'ws' | 'http-close';

/** Heartbeats over `transport` with `count` clients connected, on a fresh manager. */
async function compareTransport(transport: Transport, count: number, seconds: number): Promise<TransportResult> {
  progress(`${transport} with ${count} clients`);
  const manager = await ManagerProcess.start();
  try {
    const loaders = await makeClients(manager, manager.port, 50);
    const ids = await acquireMany(loaders, manager.product, `${transport}-`, count);
    for (const c of loaders) c.close();
    await drained(manager);
    const before = await manager.usage();
    const clients = await openInBatches(count, 250, async (i) => {
      const client =
        transport === 'ws'
          ? await WsClient.open(manager.port)
          : new HttpClient(manager.port, transport === 'http-close');
      await client.heartbeat(ids[i] as string);
      return client;
    });
    const idle = await manager.usage();
    const samples = new Samples();
    let beats = 0;
    const { seconds: wall, cpu } = await timed(manager, async () => {
      const end = performance.now() + seconds * 1000;
      await Promise.all(
        clients.map(async (client, i) => {
          while (performance.now() < end) {
            await client.heartbeat(ids[i] as string, samples);
            beats++;
          }
        }),
      );
      return beats;
    });
    for (const c of clients) c.close();
    return {
      transport,
      clients: count,
      connections: idle.connections,
      rssBytesPerClient: (idle.rssBytes - before.rssBytes) / count,
      heapBytesPerClient:
        (idle.heapUsedBytes + idle.externalBytes - before.heapUsedBytes - before.externalBytes) / count,
      heartbeatsPerSecond: beats / wall,
      latency: samples.stats(),
      cpu,
    };
  } finally {
    await manager.stop();
  }
}

/** Open-loop rates with 1,000 clients: heartbeats/s (each client every second), and pairs/s. */
const PACED_HEARTBEATS = 1000;
const PACED_PAIRS = 500;

/** Runs every phase; `seconds` per measured phase. */
export async function benchManagerNet(seconds = 5): Promise<ManagerNetResults> {
  const load = { start: loadavg()[0] ?? Number.NaN, end: Number.NaN };
  const LEASES = 100_000;
  const loops: LoopResult[] = [];
  const paced: PacedResult[] = [];
  const manager = await ManagerProcess.start();
  let fill: ManagerNetResults['fill'];
  let memory: ManagerNetResults['memory'];
  try {
    const baseline = await manager.usage();
    const warm = await makeClients(manager, manager.port, 100);
    await runPairs(manager, warm, 2, 0, 'warm');
    for (const c of warm) c.close();

    progress('bare node:http');
    for (const n of [1, 100, 1000]) {
      const clients = await makeClients(manager, manager.barePort, n);
      loops.push(await runHeartbeats(manager, clients, [], seconds, 0));
      for (const c of clients) c.close();
    }
    for (const n of [1, 100, 1000]) {
      progress(`${n} client(s)`);
      const clients = await makeClients(manager, manager.port, n);
      loops.push(await runPairs(manager, clients, seconds, 0, `pair${n}`));
      const own = await acquireMany(clients, manager.product, `beat${n}-`, n);
      loops.push(await runHeartbeats(manager, clients, own, seconds, n));
      if (n === 1000) {
        // Open loop: heartbeats at 20 times the default cadence (each client every second), then
        // acquire+release pairs at 500/s and at half the closed-loop rate just measured.
        paced.push(await runHeartbeats(manager, clients, own, seconds, n, PACED_HEARTBEATS));
        await Promise.all(clients.map((c, i) => c.release(own[i] as string)));
        const closed = loops[loops.length - 2] as LoopResult;
        for (const rate of [PACED_PAIRS, roundRate(closed.perSecond / 2)]) {
          paced.push(await runPairs(manager, clients, seconds, 0, `paced${rate}`, rate));
        }
      } else {
        await Promise.all(clients.map((c, i) => c.release(own[i] as string)));
      }
      for (const c of clients) c.close();
    }

    progress(`filling ${LEASES} leases`);
    const clients = await makeClients(manager, manager.port, 1000);
    const acquire = new Samples();
    const t = performance.now();
    const ids = await acquireMany(clients, manager.product, 'held-', LEASES, acquire);
    const fillSeconds = (performance.now() - t) / 1000;
    fill = { leases: LEASES, seconds: fillSeconds, perSecond: LEASES / fillSeconds, acquire: acquire.stats() };
    memory = { baseline, withLeases: await manager.usage() };

    progress(`with ${LEASES} leases held`);
    loops.push(await runPairs(manager, clients, seconds, LEASES, 'pairHeld'));
    loops.push(await runHeartbeats(manager, clients, ids, seconds, LEASES));
    paced.push(await runHeartbeats(manager, clients, ids, seconds, LEASES, PACED_HEARTBEATS));
    paced.push(await runPairs(manager, clients, seconds, LEASES, 'pacedHeld', PACED_PAIRS));
    for (const c of clients) c.close();
  } finally {
    await manager.stop();
  }

  const transports: TransportResult[] = [];
  for (const transport of ['http', 'ws', 'http-close'] as const) {
    transports.push(await compareTransport(transport, 1000, seconds));
  }
  for (const transport of ['http', 'ws'] as const) transports.push(await compareTransport(transport, 10_000, seconds));
  load.end = loadavg()[0] ?? Number.NaN;
  return { seconds, load, loops, paced, fill, memory, transports };
}
