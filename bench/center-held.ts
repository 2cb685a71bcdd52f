/**
 * `--only center-held`: License Center activations in process (SQLite, `center.activate()`, no
 * HTTP), by the CPU time of this process's main thread per activation (`process.threadCpuUsage`:
 * what a loaded machine changes least; the sealing worker's CPU is not in it), each side
 * interleaved round by round with what it is compared against:
 *
 * - held: activations into one package of 1,000 PIN codes that already holds 0, 200 or 800
 *   activations (a fresh package per round and level, `concurrency` activations in flight, all
 *   into that package). The PIN rules must not cost more as the package fills (issue 11: 800
 *   held within 20 % of empty).
 * - ceiling: activations into many small packages (5 PIN codes each, interleaved, as vendors
 *   sell them) against the same-shaped better-sqlite3 transaction (`center-transaction.ts`) on a
 *   copy of the same database, and against the same transaction with its reads made without a
 *   join (as the center reads).
 *
 * With `LICTOR_BENCH_PROFILE=<prefix>` in the environment, the V8 CPU profile of each measured
 * phase of the center (not the preparation) is written to `<prefix>-<phase>.cpuprofile`.
 */

import { writeFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Center, initCenter, openCenter } from '@lictor/center';
import type { ActivationRequest } from '@lictor/protocol';
import { median } from './ceiling.js';
import { activationTransaction } from './center-transaction.js';
import { addProduct, centerWorld, issueRequests } from './center-world.js';

/** Options of {@link benchCenterHeld}. */
export interface CenterHeldOptions {
  rounds?: number;
  /** Activations in flight (default 16). */
  concurrency?: number;
  /** Activations per held sample (default 100; ten times as many per ceiling sample). */
  count?: number;
  /** Prints each line as well as returning it (default true). */
  print?: boolean;
}

/** One measurement: operations per second of wall time, and main-thread CPU per operation. */
interface Sample {
  rate: number;
  cpuUs: number;
}

async function timed(n: number, work: () => Promise<void> | void): Promise<Sample> {
  const cpu = process.threadCpuUsage();
  const start = performance.now();
  await work();
  const wall = performance.now() - start;
  const used = process.threadCpuUsage(cpu);
  return { rate: n / (wall / 1000), cpuUs: (used.user + used.system) / n };
}

/** Runs `requests` through `center.activate` with `concurrency` in flight. */
function drive(center: Center, requests: ActivationRequest[], concurrency: number): Promise<Sample> {
  let next = 0;
  return timed(requests.length, async () => {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests.length) await center.activate(requests[next++] as ActivationRequest);
      }),
    );
  });
}

function summary(name: string, xs: Sample[]): string {
  const rates = xs.map((x) => x.rate);
  const cpus = xs.map((x) => x.cpuUs);
  return (
    `${name}: main-thread CPU ${Math.round(median(cpus))} µs each (${cpus.map(Math.round).join(', ')}); ` +
    `median ${Math.round(median(rates))}/s, min ${Math.round(Math.min(...rates))}/s (${rates.map(Math.round).join(', ')})`
  );
}

/** Ratios of two sides' medians: by main-thread CPU per operation first, then by wall-clock rate. */
function ratios(a: Sample[], b: Sample[]): string {
  const cpu = median(b.map((x) => x.cpuUs)) / median(a.map((x) => x.cpuUs));
  const rate = median(a.map((x) => x.rate)) / median(b.map((x) => x.rate));
  return `${cpu.toFixed(2)} by CPU per operation, ${rate.toFixed(2)} by rate`;
}

const PROFILE = process.env.LICTOR_BENCH_PROFILE;

/** `work`, profiled into `<prefix>-<name>.cpuprofile` with `LICTOR_BENCH_PROFILE=<prefix>`. */
async function profiled<T>(name: string, work: () => Promise<T>): Promise<T> {
  if (PROFILE === undefined || PROFILE === '') return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(`${PROFILE}-${name}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  }
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

const LEVELS = [0, 200, 800];

async function held(rounds: number, concurrency: number, count: number, out: (line: string) => void) {
  const dir = await mkdtemp(join(tmpdir(), 'lictor-bench-held-'));
  try {
    const data = join(dir, 'center');
    await initCenter(data);
    const center = await openCenter(data);
    try {
      await addProduct(center);
      // A package per round and level, filled to its level before anything is measured.
      const prepared = new Map<string, ActivationRequest[]>();
      for (let r = 0; r < rounds; r++) {
        for (const level of LEVELS) {
          const all = await issueRequests(center, 1000);
          await drive(center, all.slice(0, level), concurrency);
          prepared.set(`${r}:${level}`, all.slice(level, level + count));
        }
      }
      // Warm-up on a package of its own.
      await drive(center, await issueRequests(center, 200), concurrency);
      const results = new Map<number, Sample[]>(LEVELS.map((l) => [l, []]));
      for (let r = 0; r < rounds; r++) {
        for (const level of r % 2 === 0 ? LEVELS : [...LEVELS].reverse()) {
          gc();
          const batch = prepared.get(`${r}:${level}`) as ActivationRequest[];
          results.get(level)?.push(await profiled(`held-${level}-${r}`, () => drive(center, batch, concurrency)));
        }
      }
      const empty = results.get(0) as Sample[];
      for (const level of LEVELS) {
        const xs = results.get(level) as Sample[];
        out(
          `${summary(`held: into a package of 1,000 PINs holding ${level} (${count} activations, ${concurrency} in flight)`, xs)}; against empty: ${ratios(xs, empty)}`,
        );
      }
    } finally {
      await center.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function ceilings(rounds: number, concurrency: number, count: number, out: (line: string) => void) {
  const dir = await mkdtemp(join(tmpdir(), 'lictor-bench-ceiling-'));
  try {
    const data = join(dir, 'center');
    const n = count * 10;
    const order = await centerWorld(data, Math.ceil(((rounds + 1) * n) / 5) + 10, 5);
    const transactions = async (name: string, joins: boolean) => {
      await copyFile(join(data, 'center.db'), join(dir, name));
      const t = activationTransaction(join(dir, name), { joins });
      return async () => {
        const sample = await timed(n, () => {
          for (let k = 0; k < n; k++) t.activate();
        });
        t.between();
        return sample;
      };
    };
    const ceiling = await transactions('ceiling.db', true);
    const noJoins = await transactions('ceiling-no-joins.db', false);
    const center = await openCenter(data);
    try {
      let used = 0;
      const take = () => {
        used += n;
        return order.slice(used - n, used);
      };
      await drive(center, take(), concurrency);
      await ceiling();
      await noJoins();
      const a: Sample[] = [];
      const b: Sample[] = [];
      const c: Sample[] = [];
      for (let r = 0; r < rounds; r++) {
        gc();
        const sides = [
          async () => a.push(await profiled(`center-${r}`, () => drive(center, take(), concurrency))),
          async () => b.push(await ceiling()),
          async () => c.push(await noJoins()),
        ];
        // A different side first in each round.
        for (let k = 0; k < sides.length; k++) await (sides[(k + r) % sides.length] as () => Promise<number>)();
      }
      out(
        summary(`ceiling: center.activate in process, small packages (${n} per sample, ${concurrency} in flight)`, a),
      );
      out(summary('ceiling: better-sqlite3 transaction of the same shape', b));
      out(`ceiling: center against the transaction: ${ratios(a, b)}`);
      out(summary('ceiling: the same transaction, its reads without a join', c));
      out(`ceiling: center against the transaction without a join: ${ratios(a, c)}`);
    } finally {
      await center.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs both measurements; returns their lines. */
export async function benchCenterHeld(options: CenterHeldOptions = {}): Promise<string[]> {
  const rounds = Math.max(3, options.rounds ?? 3);
  const concurrency = options.concurrency ?? 16;
  const count = options.count ?? 100;
  const lines: string[] = [];
  const out = (line: string) => {
    lines.push(line);
    if (options.print ?? true) console.log(line);
  };
  await held(rounds, concurrency, count, out);
  await ceilings(rounds, concurrency, count, out);
  return lines;
}
