/**
 * The experiment of "releases under concurrency" (issue 11): `lictor manager serve` with its
 * defaults (default logging included; only `--port 0` so that it cannot collide with another
 * manager on this host), driven over raw HTTP/1.1 keep-alive sockets (`load-clients.ts`), each
 * connection with one request in flight, in closed loops of a few seconds, interleaved:
 *
 * - acquire+release pairs, each connection acquiring a lease for its own client identity and
 *   releasing it, from 1 and from 50 connections;
 * - acquires alone from 50 connections (each renews the lease its identity holds);
 * - releases of unknown leases from 50 connections (404).
 *
 * Each phase prints its operations per second and the slowest and fastest second, so that a
 * collapse (the issue reported ~250 operations/s for pairs from 50 connections) would show.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Comparison, compare, interleave, measured, type Sample, type Side } from './ceiling.js';
import type { HttpClient } from './load-clients.js';
import { connectedClients } from './manager-ceiling.js';
import { LICTOR_BIN, managerWorld, type ServerProcess, startServer } from './processes.js';

/** A phase's rate with its slowest and fastest whole second. */
export interface ReleasePhase {
  name: string;
  sample: Sample;
  slowestSecond: number;
  fastestSecond: number;
}

export interface ReleasesResults {
  phases: ReleasePhase[];
  comparisons: Comparison[];
}

/** Each client runs `step` back to back for `seconds`, counting operations per whole second. */
async function timeline(
  clients: readonly HttpClient[],
  seconds: number,
  step: (client: HttpClient, i: number) => Promise<number>,
): Promise<{ ops: number; perSecond: number[] }> {
  const start = performance.now();
  const end = start + seconds * 1000;
  const perSecond = new Array<number>(Math.ceil(seconds)).fill(0);
  let ops = 0;
  await Promise.all(
    clients.map(async (client, i) => {
      while (performance.now() < end) {
        const n = await step(client, i);
        ops += n;
        const s = Math.floor((performance.now() - start) / 1000);
        if (s < perSecond.length) perSecond[s] = (perSecond[s] ?? 0) + n;
      }
    }),
  );
  return { ops, perSecond };
}

export async function benchReleases(options: { seconds?: number; rounds?: number } = {}): Promise<ReleasesResults> {
  const seconds = options.seconds ?? 5;
  const dir = await mkdtemp(join(tmpdir(), 'lictor-bench-releases-'));
  const phases: ReleasePhase[] = [];
  let server: ServerProcess | undefined;
  try {
    const { dataDir, publicKey } = await managerWorld(dir, 10_000);
    server = await startServer(
      [LICTOR_BIN, 'manager', 'serve', '--data', dataDir, '--public-key', publicKey, '--port', '0'],
      join(dir, 'manager.log'),
    );
    const pid = server.pid;
    const one = await connectedClients(server.port, 1, () => Promise.resolve());
    const fifty = await connectedClients(server.port, 50, () => Promise.resolve());
    const side = (name: string, clients: HttpClient[], step: (c: HttpClient, i: number) => Promise<number>): Side => ({
      name,
      measure: async (round) => {
        let seen: number[] = [];
        const sample = await measured(
          'rate',
          async () => {
            const run = await timeline(clients, round < 0 ? 1 : seconds, step);
            seen = run.perSecond;
            return run.ops;
          },
          pid,
        );
        if (round >= 0) {
          phases.push({ name, sample, slowestSecond: Math.min(...seen), fastestSecond: Math.max(...seen) });
        }
        return sample;
      },
    });
    const identity = (tag: string, i: number) =>
      JSON.stringify({
        product: 'ERP',
        client: { host: `${tag}-${i}`, user: 'bench', process: String(i), session: '1' },
      });
    const pair = (tag: string) => async (c: HttpClient, i: number) => {
      await c.release(await c.acquire('ERP', `${tag}-${i}`));
      return 2;
    };
    const acquireOnly = async (c: HttpClient, i: number) => {
      const answer = await c.request('POST', '/v1/leases', identity('renew', i));
      if (answer.status !== 200 && answer.status !== 201) throw new Error(`bench: acquire answered ${answer.status}`);
      return 1;
    };
    const unknown = async (c: HttpClient, i: number) => {
      const answer = await c.request('DELETE', `/v1/leases/00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
      if (answer.status !== 404) throw new Error(`bench: release of an unknown lease answered ${answer.status}`);
      return 1;
    };
    const sides = [
      side('pairs, 1 connection', one, pair('one')),
      side('pairs, 50 connections', fifty, pair('fifty')),
      side('acquires alone (renewals), 50 connections', fifty, acquireOnly),
      side('releases of unknown leases, 50 connections', fifty, unknown),
    ];
    const [p1, p50, acquires, unknowns] = await interleave(sides, 'rate', options.rounds ?? 3, { warmup: true });
    for (const c of [...one, ...fifty]) c.close();
    return {
      phases,
      comparisons: [
        compare('pairs from 50 connections against pairs from 1', p50!, p1!),
        compare('pairs from 50 connections against acquires alone', p50!, acquires!),
        compare('pairs from 50 connections against releases of unknown leases', p50!, unknowns!),
      ],
    };
  } finally {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
