/**
 * A same-moment A/B of two builds of `lictor manager serve --log-level warn` (or `--log-level`) beside bare
 * `node:http` (`bare-server.ts`): this checkout's and an earlier one's (`--earlier`, a checkout
 * built with `npm ci` and `npx tsc -b`, e.g. a `git worktree` of the commit before a change),
 * each in its own process with its own world, driven alternately by the same kind of keep-alive
 * clients (acquire+release pairs, then heartbeats), `--rounds` rounds of `--seconds` each after a
 * warm-up. Prints, per round and as medians, each server's CPU time per request (from
 * `/proc/<pid>/stat`: what a change is judged by on a shared machine), the change's ratio and
 * each manager's CPU ratio against bare, and the load average. The servers are started afresh
 * every round and the order alternates, so that neither a process's own layout nor its place in
 * the round weighs on one side.
 *
 *   node --import tsx bench/manager-ab.ts --earlier <dir> [--connections 50] [--rounds 4] [--seconds 4] [--now-flags='<node flags>'] [--log-level warn]
 *
 * `--log-level info`: both managers as they run by default (a line per lease granted, each to its
 * own file), to judge a change to the logging.
 *
 * Not part of `npm run bench`; `docs/benchmarks.md` cites it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadText, measured, median, type Side } from './ceiling.js';
import type { HttpClient } from './load-clients.js';
import { closedLoop, connectedClients } from './manager-ceiling.js';
import { managerWorld, plainScript, type ServerProcess, serveManager, startServer } from './processes.js';

const { values } = parseArgs({
  options: {
    earlier: { type: 'string' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '4' },
    'now-flags': { type: 'string', default: '' },
    'log-level': { type: 'string', default: 'warn' },
  },
});
if (values.earlier === undefined) throw new Error('manager-ab: --earlier <checkout> is required');
const earlierBin = join(resolve(values.earlier), 'packages/cli/bin/lictor.js');
const n = Number(values.connections);
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
/** Node flags of this checkout's manager only (e.g. `--max-semi-space-size=32`: a flag's A/B with `--earlier .`). */
const nowFlags = (values['now-flags'] ?? '').split(' ').filter((f) => f !== '');

/** Pairs and heartbeats against `server` over `n` clients of its own. */
async function sidesOf(label: string, server: ServerProcess): Promise<{ sides: Side[]; clients: HttpClient[] }> {
  const leaseIds: string[] = [];
  const clients = await connectedClients(server.port, n, async (c, i) => {
    leaseIds[i] = await c.acquire('ERP', `${label}-${i}`);
  });
  const duration = (round: number) => (round < 0 ? 1.5 : seconds);
  const sides: Side[] = [
    {
      name: `${label} pairs`,
      measure: (round) =>
        measured(
          'rate',
          () =>
            closedLoop(clients, duration(round), 2, async (c, i) =>
              c.release(await c.acquire('ERP', `${label}-pair-${i}`)),
            ),
          server.pid,
        ),
    },
    {
      name: `${label} heartbeats`,
      measure: (round) =>
        measured(
          'rate',
          () => closedLoop(clients, duration(round), 1, (c, i) => c.heartbeat(leaseIds[i] as string)),
          server.pid,
        ),
    },
  ];
  return { sides, clients };
}

const f1 = (x: number) => x.toFixed(1);

/** One round: the three servers started afresh (a process's own layout weighs on its CPU by up to ~10 %), warmed up, then measured in turn. */
async function round(
  index: number,
  dir: string,
  thenWorld: { dataDir: string; publicKey: string },
  nowWorld: { dataDir: string; publicKey: string },
): Promise<number[][]> {
  const then = await serveManager(
    thenWorld.dataDir,
    thenWorld.publicKey,
    join(dir, 'then.log'),
    values['log-level'],
    [],
    earlierBin,
  );
  const now = await serveManager(
    nowWorld.dataDir,
    nowWorld.publicKey,
    join(dir, 'now.log'),
    values['log-level'],
    nowFlags,
  );
  const bare = await startServer([await plainScript('bare-server')]);
  try {
    const all = [await sidesOf('earlier', then), await sidesOf('now', now), await sidesOf('bare', bare)];
    // Alternate the order between rounds (A B C, then C B A).
    const order = index % 2 === 0 ? [0, 1, 2] : [2, 1, 0];
    const out = [
      [0, 0, 0],
      [0, 0, 0],
    ];
    for (const k of [0, 1]) {
      for (const s of order) await all[s]!.sides[k]!.measure(-1);
      for (const s of order) {
        const sample = await all[s]!.sides[k]!.measure(index);
        out[k]![s] = sample.serverMicrosPerOp ?? Number.NaN;
      }
    }
    for (const side of all) for (const c of side.clients) c.close();
    return out;
  } finally {
    await Promise.all([then.stop(), now.stop(), bare.stop()]);
  }
}

const dir = await mkdtemp(join(tmpdir(), 'lictor-bench-ab-'));
try {
  const thenWorld = await managerWorld(join(dir, 'then'), 200_000, earlierBin);
  const nowWorld = await managerWorld(join(dir, 'now'), 200_000);
  console.log(
    `${n} connections, ${rounds} rounds of ${seconds} s, servers started afresh each round; load before ${loadText()}`,
  );
  const results: number[][][] = [];
  for (let i = 0; i < rounds; i++) {
    results.push(await round(i, dir, thenWorld, nowWorld));
    const [p, h] = results[i] as [number[], number[]];
    console.log(
      `  round ${i + 1} (load ${loadText()}): pairs earlier ${f1(p[0]!)} now ${f1(p[1]!)} bare ${f1(p[2]!)} (now/earlier ${(p[1]! / p[0]!).toFixed(3)}); heartbeats earlier ${f1(h[0]!)} now ${f1(h[1]!)} bare ${f1(h[2]!)} (now/earlier ${(h[1]! / h[0]!).toFixed(3)})`,
    );
  }
  for (const [k, what] of [
    [0, 'pairs'],
    [1, 'heartbeats'],
  ] as const) {
    const col = (s: number) => results.map((r) => r[k]![s]!);
    const [mt, mw, mb] = [median(col(0)), median(col(1)), median(col(2))];
    const byRound = median(col(1).map((x, i) => x / col(0)[i]!));
    console.log(
      `${what}: median µs of server CPU per request: earlier ${f1(mt)}, now ${f1(mw)}, bare ${f1(mb)}; now/earlier ${(mw / mt).toFixed(3)} (median of the rounds' ${byRound.toFixed(3)}); CPU ratio to bare: earlier ${(mb / mt).toFixed(2)}, now ${(mb / mw).toFixed(2)}`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
