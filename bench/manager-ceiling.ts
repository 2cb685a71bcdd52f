/**
 * The License Manager's hot routes against their ceiling: `lictor manager serve` (in its own
 * process, request logs off: `--log-level warn`) and a bare `node:http` server answering each
 * route with a constant (`bare-server.ts`, in its own process), driven by the same clients over
 * the same kind of keep-alive sockets (`load-clients.ts`), interleaved: acquire+release pairs,
 * then heartbeats, at 50 and 1,000 connections.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Comparison, compare, interleave, measured, type Side } from './ceiling.js';
import { HttpClient } from './load-clients.js';
import { managerWorld, plainScript, type ServerProcess, serveManager, startServer } from './processes.js';

/** Options of {@link benchManagerCeiling}. */
export interface ManagerCeilingOptions {
  /** Seconds per measured phase (default 4). */
  seconds?: number;
  /** Rounds (default 3). */
  rounds?: number;
  /** Connection counts (default 50 and 1,000). */
  connections?: readonly number[];
  /** Prints each sample as it is taken. */
  verbose?: boolean;
}

/** Each client runs `step` back to back for `seconds`; returns the requests made (`perStep` each). */
export async function closedLoop(
  clients: readonly HttpClient[],
  seconds: number,
  perStep: number,
  step: (client: HttpClient, i: number, k: number) => Promise<void>,
): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let steps = 0;
  await Promise.all(
    clients.map(async (client, i) => {
      for (let k = 0; performance.now() < end; k++) {
        await step(client, i, k);
        steps++;
      }
    }),
  );
  return steps * perStep;
}

/**
 * `n` clients of `port`, connected at most 250 at a time, each with one request answered
 * (`first`), so that every connection has been accepted before a phase starts.
 */
export async function connectedClients(
  port: number,
  n: number,
  first: (client: HttpClient, i: number) => Promise<unknown>,
): Promise<HttpClient[]> {
  const clients: HttpClient[] = [];
  for (let from = 0; from < n; from += 250) {
    const batch = Array.from({ length: Math.min(250, n - from) }, () => new HttpClient(port));
    await Promise.all(batch.map(async (c, j) => first(c, from + j)));
    clients.push(...batch);
  }
  return clients;
}

/** The sides of acquire+release pairs and of heartbeats against one server over `clients`. */
function routeSides(
  label: string,
  server: ServerProcess,
  clients: readonly HttpClient[],
  leaseIds: readonly string[],
  seconds: number,
  tag: string,
): { pairs: Side; heartbeats: Side } {
  const duration = (round: number) => (round < 0 ? 1 : seconds);
  return {
    pairs: {
      name: `${label} acquire+release`,
      measure: (round) =>
        measured(
          'rate',
          () =>
            closedLoop(clients, duration(round), 2, async (client, i) => {
              const id = await client.acquire('ERP', `${tag}-${i}`);
              await client.release(id);
            }),
          server.pid,
        ),
    },
    heartbeats: {
      name: `${label} heartbeats`,
      measure: (round) =>
        measured(
          'rate',
          () => closedLoop(clients, duration(round), 1, (client, i) => client.heartbeat(leaseIds[i] as string)),
          server.pid,
        ),
    },
  };
}

/** Runs the comparisons; every rate is in requests per second (a pair is two). */
export async function benchManagerCeiling(options: ManagerCeilingOptions = {}): Promise<Comparison[]> {
  const seconds = options.seconds ?? 4;
  const rounds = options.rounds ?? 3;
  const dir = await mkdtemp(join(tmpdir(), 'lictor-bench-mgr-'));
  const comparisons: Comparison[] = [];
  try {
    const { dataDir, publicKey } = await managerWorld(dir, 200_000);
    const manager = await serveManager(dataDir, publicKey, join(dir, 'manager.log'), 'warn');
    const bare = await startServer([await plainScript('bare-server')]);
    try {
      for (const n of options.connections ?? [50, 1000]) {
        const leaseIds: string[] = [];
        const managed = await connectedClients(manager.port, n, async (c, i) => {
          leaseIds[i] = await c.acquire('ERP', `beat-${n}-${i}`);
        });
        const bareClients = await connectedClients(bare.port, n, (c) => c.heartbeat('bare'));
        const m = routeSides('manager', manager, managed, leaseIds, seconds, `pair-${n}`);
        const bareIds = bareClients.map(() => '00000000-0000-4000-8000-000000000000');
        const b = routeSides('bare node:http', bare, bareClients, bareIds, seconds, 'bare');
        const onSample = options.verbose
          ? (side: string, s: { value: number }) =>
              console.error(`  [${n} connections] ${side}: ${Math.round(s.value)}/s`)
          : undefined;
        const [bp, mp, bh, mh] = await interleave([b.pairs, m.pairs, b.heartbeats, m.heartbeats], 'rate', rounds, {
          warmup: true,
          ...(onSample ? { onSample } : {}),
        });
        comparisons.push(compare(`manager acquire+release, ${n} connections`, mp!, bp!));
        comparisons.push(compare(`manager heartbeats, ${n} connections`, mh!, bh!));
        await Promise.all(managed.map((c, i) => c.release(leaseIds[i] as string)));
        for (const c of [...managed, ...bareClients]) c.close();
      }
    } finally {
      await Promise.all([manager.stop(), bare.stop()]);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return comparisons;
}
