/**
 * Measuring a hot path beside its ceiling on the same machine in the same run: the two (or more)
 * sides are interleaved (A B A B …, at least three rounds) so that other work on the machine,
 * which comes and goes, weighs on each about equally, and each is reported by its median and its
 * minimum over the rounds, with the ratio of the medians and the ratio within each round.
 *
 * Every sample carries the CPU the load generator (this process, with its threads) used, and
 * where a server process is measured its CPU too (from `/proc/<pid>/stat`), so that a rate can
 * be told from what the generator itself cost on the same cores.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/** One measurement of one side in one round. */
export interface Sample {
  /** Operations per second (`rate`) or milliseconds per operation (`cost`). */
  value: number;
  /** Operations done. */
  ops: number;
  /** Wall time of the sample, in seconds. */
  seconds: number;
  /** CPU the load generator (this process) used, in % of one core. */
  generatorCpu: number;
  /** The generator's CPU time per operation, in µs. */
  generatorMicrosPerOp: number;
  /** CPU the server process used, in % of one core (absent without a server). */
  serverCpu?: number;
  /** The server's CPU time per operation, in µs. */
  serverMicrosPerOp?: number;
  /** Answers that were not the expected ones (refusals, errors), when counted. */
  errors?: number;
}

/** One side of a comparison: what is measured, once per round. */
export interface Side {
  name: string;
  measure(round: number): Promise<Sample>;
}

/** The samples of one side over the rounds. */
export interface SideResult {
  name: string;
  unit: Unit;
  samples: Sample[];
  median: number;
  min: number;
}

/** `rate`: operations per second, higher is better; `cost`: ms per operation, lower is better. */
export type Unit = 'rate' | 'cost';

/** A side against its ceiling. */
export interface Comparison {
  what: string;
  side: SideResult;
  ceiling: SideResult;
  /**
   * rate: side / ceiling (1 = at the ceiling); cost: side / ceiling (1 = at the ceiling, 2 = twice
   * its cost). Of the medians.
   */
  ratio: number;
  /** The same ratio within each round (the two measured minutes apart at most). */
  roundRatios: number[];
  /**
   * The same ratio from CPU time per operation (of the server where a side has one, else of this
   * process): what the ratio would be if each had a core to itself. Medians over the rounds.
   */
  cpuRatio: number;
}

/** Median of `values` (NaN when empty). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Runs every side once per round, in the same order each round (A B C A B C …), after one
 * unrecorded warm-up round when `warmup` is given; returns each side's samples.
 */
export async function interleave(
  sides: readonly Side[],
  unit: Unit,
  rounds = 3,
  options: { warmup?: boolean; onSample?: (side: string, sample: Sample) => void } = {},
): Promise<SideResult[]> {
  if (options.warmup) for (const side of sides) await side.measure(-1);
  const samples = sides.map(() => [] as Sample[]);
  for (let round = 0; round < rounds; round++) {
    for (const [i, side] of sides.entries()) {
      const sample = await side.measure(round);
      samples[i]?.push(sample);
      options.onSample?.(side.name, sample);
    }
  }
  return sides.map((side, i) => {
    const own = samples[i] as Sample[];
    const values = own.map((s) => s.value);
    return { name: side.name, unit, samples: own, median: median(values), min: Math.min(...values) };
  });
}

/** `side` against `ceiling` (same rounds). */
export function compare(what: string, side: SideResult, ceiling: SideResult): Comparison {
  const roundRatios = side.samples.map((s, i) => s.value / (ceiling.samples[i]?.value ?? Number.NaN));
  // The server's CPU where a side has a server, else this process's (a ceiling run in process).
  const micros = (r: SideResult) => median(r.samples.map((s) => s.serverMicrosPerOp ?? s.generatorMicrosPerOp));
  const cpuRatio = side.unit === 'rate' ? micros(ceiling) / micros(side) : micros(side) / micros(ceiling);
  return { what, side, ceiling, ratio: side.median / ceiling.median, roundRatios, cpuRatio };
}

/** CPU time of process `pid` (user + system, every thread), in µs; NaN if it cannot be read. */
export function processCpuMicros(pid: number): number {
  return statCpu(`/proc/${pid}/stat`)?.micros ?? Number.NaN;
}

/**
 * The name and CPU time (user + system, µs) of a `/proc/…/stat` file: a process's, or one
 * thread's (`/proc/<pid>/task/<tid>/stat`); undefined if it cannot be read (the thread ended).
 */
export function statCpu(file: string): { name: string; micros: number } | undefined {
  try {
    const stat = readFileSync(file, 'latin1');
    // Fields after the command name (which may hold spaces): utime is the 14th field, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), micros: (ticks * 1e6) / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}

/** `sysconf(_SC_CLK_TCK)`: 100 on every Linux Node runs on. */
const CLOCK_TICKS = 100;

/**
 * Runs `work` (which returns the operations it did) and measures it: the rate (or the cost per
 * operation), the CPU of this process and, with `serverPid`, of the server.
 */
export async function measured(unit: Unit, work: () => Promise<number>, serverPid?: number): Promise<Sample> {
  const serverBefore = serverPid === undefined ? Number.NaN : processCpuMicros(serverPid);
  const own = process.cpuUsage();
  const start = performance.now();
  const ops = await work();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(own);
  const ownMicros = used.user + used.system;
  const sample: Sample = {
    value: unit === 'rate' ? ops / seconds : (seconds * 1000) / ops,
    ops,
    seconds,
    generatorCpu: ownMicros / 1e4 / seconds,
    generatorMicrosPerOp: ownMicros / ops,
  };
  if (serverPid !== undefined) {
    const serverMicros = processCpuMicros(serverPid) - serverBefore;
    sample.serverCpu = serverMicros / 1e4 / seconds;
    sample.serverMicrosPerOp = serverMicros / ops;
  }
  return sample;
}

/** The 1-, 5- and 15-minute load averages as text. */
export function loadText(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/** A side's median and minimum, with CPU figures (medians over the rounds). */
export function sideText(r: SideResult): string {
  const v = (n: number) => (r.unit === 'rate' ? `${int(n)}/s` : `${fixed(n, 3)} ms`);
  const cpu = (pick: (s: Sample) => number | undefined) =>
    median(r.samples.map(pick).filter((x): x is number => x !== undefined && Number.isFinite(x)));
  const server = cpu((s) => s.serverCpu);
  const parts = [`median ${v(r.median)}, min ${v(r.min)}`];
  if (Number.isFinite(server))
    parts.push(
      `server ${fixed(server, 0)} % CPU, ${fixed(
        cpu((s) => s.serverMicrosPerOp),
        0,
      )} µs/op`,
    );
  parts.push(
    `generator ${fixed(
      cpu((s) => s.generatorCpu),
      0,
    )} % CPU, ${fixed(
      cpu((s) => s.generatorMicrosPerOp),
      1,
    )} µs/op`,
  );
  const errors = r.samples.reduce((sum, s) => sum + (s.errors ?? 0), 0);
  if (errors > 0) parts.push(`${int(errors)} unexpected answers`);
  return `${r.name}: ${parts.join('; ')}`;
}

/** A comparison as lines: both sides, the ratio of medians and the ratios per round. */
export function comparisonText(c: Comparison): string {
  const rounds = c.roundRatios.map((r) => fixed(r, 2)).join(', ');
  return [
    `${c.what}: ratio ${fixed(c.ratio, 2)} of the medians, ${fixed(median(c.roundRatios), 2)} the median of the rounds' (${rounds}); from CPU per operation: ${fixed(c.cpuRatio, 2)}`,
    `    ${sideText(c.side)}`,
    `    ${sideText(c.ceiling)}`,
  ].join('\n');
}
