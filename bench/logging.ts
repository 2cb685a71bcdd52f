/**
 * What the default logging costs: `lictor manager serve` and `lictor center serve` with their
 * default log level (`info`) against the same command with `--log-level warn` (no line per
 * request), each pair of servers running side by side from copies of one data directory, their
 * stderr going to a file as under a service manager, driven alternately (interleaved rounds).
 * Also counts what each wrote: lines and bytes per operation.
 */
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Comparison, compare, interleave, measured, type Side } from './ceiling.js';
import { activationSide, centerWorld, httpStats, packagesFor } from './center-world.js';
import { closedLoop, connectedClients } from './manager-ceiling.js';
import { managerWorld, type ServerProcess, serveCenter, serveManager } from './processes.js';

/** Options of {@link benchLogging}. */
export interface LoggingBenchOptions {
  seconds?: number;
  rounds?: number;
  /** Connections to each manager (default 50). */
  connections?: number;
  /** The services measured (default both). */
  services?: readonly ('manager' | 'center')[];
  verbose?: boolean;
}

/** What a server wrote to its log file during the measured phases. */
export interface LogVolume {
  name: string;
  lines: number;
  bytes: number;
  operations: number;
}

export interface LoggingResults {
  comparisons: Comparison[];
  volumes: LogVolume[];
}

async function volume(name: string, file: string, operations: number): Promise<LogVolume> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return { name, lines: text.split('\n').filter((l) => l !== '').length, bytes: Buffer.byteLength(text), operations };
}

function sampleLog(verbose: boolean | undefined) {
  return verbose
    ? (side: string, s: { value: number }) => console.error(`  ${side}: ${Math.round(s.value)}/s`)
    : undefined;
}

/** The two managers (default log level and `warn`), acquire+release pairs and heartbeats. */
async function managers(dir: string, options: LoggingBenchOptions): Promise<LoggingResults> {
  const seconds = options.seconds ?? 4;
  const n = options.connections ?? 50;
  const { dataDir, publicKey } = await managerWorld(dir, 10_000);
  const quietDir = join(dir, 'manager-warn');
  await cp(dataDir, quietDir, { recursive: true });
  const logs = { info: join(dir, 'manager-info.log'), warn: join(dir, 'manager-warn.log') };
  const servers: ServerProcess[] = [];
  try {
    const info = await serveManager(dataDir, publicKey, logs.info);
    servers.push(info);
    const warn = await serveManager(quietDir, publicKey, logs.warn, 'warn');
    servers.push(warn);
    const sides = (label: string, server: ServerProcess, ops: { count: number }) =>
      connectedClients(server.port, n, () => Promise.resolve()).then(async (clients) => {
        const ids = await Promise.all(clients.map((c, i) => c.acquire('ERP', `beat-${i}`)));
        const pairs: Side = {
          name: `${label}: acquire+release`,
          measure: (round) =>
            measured(
              'rate',
              async () => {
                const done = await closedLoop(clients, round < 0 ? 1 : seconds, 2, async (c, i) => {
                  await c.release(await c.acquire('ERP', `pair-${i}`));
                });
                ops.count += done;
                return done;
              },
              server.pid,
            ),
        };
        const beats: Side = {
          name: `${label}: heartbeats`,
          measure: (round) =>
            measured(
              'rate',
              async () => {
                const done = await closedLoop(clients, round < 0 ? 1 : seconds, 1, (c, i) =>
                  c.heartbeat(ids[i] as string),
                );
                ops.count += done;
                return done;
              },
              server.pid,
            ),
        };
        return { pairs, beats, clients };
      });
    const infoOps = { count: 0 };
    const warnOps = { count: 0 };
    const i = await sides('manager, default logging (info)', info, infoOps);
    const w = await sides('manager, --log-level warn', warn, warnOps);
    const onSample = sampleLog(options.verbose);
    const [wp, ip, wb, ib] = await interleave([w.pairs, i.pairs, w.beats, i.beats], 'rate', options.rounds ?? 3, {
      warmup: true,
      ...(onSample ? { onSample } : {}),
    });
    for (const c of [...i.clients, ...w.clients]) c.close();
    return {
      comparisons: [
        compare(`manager acquire+release, ${n} connections, default logging against warn`, ip!, wp!),
        compare(`manager heartbeats, ${n} connections, default logging against warn`, ib!, wb!),
      ],
      volumes: [
        await volume('manager, default logging (info)', logs.info, infoOps.count),
        await volume('manager, --log-level warn', logs.warn, warnOps.count),
      ],
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/** The two centers (default log level and `warn`): online activations. */
async function centers(dir: string, options: LoggingBenchOptions): Promise<LoggingResults> {
  const data = join(dir, 'center-info');
  const order = (await centerWorld(data, packagesFor(options.rounds ?? 3, options.seconds ?? 4, 5), 5)).map((r) =>
    JSON.stringify(r),
  );
  const quietData = join(dir, 'center-warn');
  await cp(data, quietData, { recursive: true });
  const logs = { info: join(dir, 'center-info.log'), warn: join(dir, 'center-warn.log') };
  const servers: ServerProcess[] = [];
  try {
    const info = await serveCenter(data, logs.info);
    servers.push(info);
    const warn = await serveCenter(quietData, logs.warn, 'warn');
    servers.push(warn);
    const stats = httpStats;
    const infoStats = stats();
    const warnStats = stats();
    const seconds = options.seconds ?? 4;
    const i = activationSide('center, default logging (info)', info.url, info.pid, order, {
      seconds,
      connections: 32,
      stats: infoStats,
    });
    const w = activationSide('center, --log-level warn', warn.url, warn.pid, order, {
      seconds,
      connections: 32,
      stats: warnStats,
    });
    const onSample = sampleLog(options.verbose);
    const [ws, is] = await interleave([w, i], 'rate', options.rounds ?? 3, {
      warmup: true,
      ...(onSample ? { onSample } : {}),
    });
    return {
      comparisons: [compare('center activations, 32 connections, default logging against warn', is!, ws!)],
      volumes: [
        await volume('center, default logging (info)', logs.info, infoStats.accepted),
        await volume('center, --log-level warn', logs.warn, warnStats.accepted),
      ],
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

export async function benchLogging(options: LoggingBenchOptions = {}): Promise<LoggingResults> {
  const dir = await mkdtemp(join(tmpdir(), 'lictor-bench-logging-'));
  try {
    const services = options.services ?? ['manager', 'center'];
    const none: LoggingResults = { comparisons: [], volumes: [] };
    const m = services.includes('manager') ? await managers(dir, options) : none;
    const c = services.includes('center') ? await centers(dir, options) : none;
    return { comparisons: [...m.comparisons, ...c.comparisons], volumes: [...m.volumes, ...c.volumes] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
