/**
 * Two License Centers side by side: this checkout's `lictor center serve --log-level warn` and
 * another checkout's (`--other DIR`, built with `npm ci`), each on its own copy of one data
 * directory (packages of 5 PIN codes), driven in turn by the same autocannon clients
 * (32 connections), interleaved over `--rounds` rounds. Prints activations per second and CPU per
 * activation of each, whole process and main thread: what a change to the center gives, measured
 * at the same moment.
 *
 *   node --import tsx bench/center-ab.ts --other DIR [--rounds 5] [--seconds 4] [--packages 10000] [--flags "NODE FLAGS"]
 *
 * `--flags` starts this checkout's center with those Node options (the other without): what a
 * V8 or Node option gives, with `--other` a checkout of the same commit.
 *
 * Not part of `npm run bench`; `docs/benchmarks.md` cites it.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compare, comparisonText, interleave, median } from './ceiling.js';
import { activationSide, centerWorld, httpStats } from './center-world.js';
import { serveCenter } from './processes.js';

const { values } = parseArgs({
  options: {
    other: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '4' },
    packages: { type: 'string', default: '10000' },
    flags: { type: 'string', default: '' },
  },
});
if (values.other === undefined) throw new Error('center-ab: --other DIR (a checkout built with npm ci) is required');
const otherBin = join(values.other, 'packages/cli/bin/lictor.js');
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const dir = await mkdtemp(join(tmpdir(), 'lictor-bench-center-ab-'));
try {
  const bodies = (await centerWorld(join(dir, 'this'), Number(values.packages), 5)).map((r) => JSON.stringify(r));
  await cp(join(dir, 'this'), join(dir, 'other'), { recursive: true });
  const flags = values.flags.split(' ').filter((f) => f !== '');
  const mine = await serveCenter(join(dir, 'this'), join(dir, 'this.log'), 'warn', flags);
  const other = await serveCenter(join(dir, 'other'), join(dir, 'other.log'), 'warn', [], otherBin);
  try {
    console.log(`load average before: ${load()}`);
    const stats = { mine: httpStats(), other: httpStats() };
    const side = (name: string, server: typeof mine, s: ReturnType<typeof httpStats>) =>
      activationSide(name, server.url, server.pid, bodies, { seconds, connections: 32, stats: s });
    const [a, b] = await interleave(
      [
        side(`this checkout${flags.length > 0 ? ` (${flags.join(' ')})` : ''}`, mine, stats.mine),
        side(`the other (${values.other})`, other, stats.other),
      ],
      'rate',
      rounds,
      { warmup: true },
    );
    console.log(comparisonText(compare('this checkout against the other', a!, b!)));
    console.log(
      `main thread, µs per activation (median): this ${median(stats.mine.mainMicrosPerOp).toFixed(0)}, the other ${median(stats.other.mainMicrosPerOp).toFixed(0)}`,
    );
    console.log(`load average after: ${load()}`);
  } finally {
    await Promise.all([mine.stop(), other.stop()]);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
