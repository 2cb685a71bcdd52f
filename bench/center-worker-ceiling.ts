/**
 * The `center` group with one more side: the composed ceiling (bare `node:http` + the
 * same-shaped transaction) with its transaction in a worker thread of its own, the lever
 * `docs/benchmarks.md` names for the center (the SQLite connection off the main thread).
 * Prints each comparison's ratio of the medians, the rounds' ratios, both medians and the CPU
 * ratio.
 *
 *   node --expose-gc --import tsx bench/center-worker-ceiling.ts [--rounds 3]
 */
import { parseArgs } from 'node:util';
import { benchCenter } from './center.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const results = await benchCenter({ rounds: Number(values.rounds), workerCeiling: true });
for (const c of results.comparisons) {
  const rounds = c.roundRatios.map((r) => r.toFixed(2)).join(', ');
  console.log(
    `${c.what}: ${c.ratio.toFixed(2)} (rounds ${rounds}), ${Math.round(c.side.median)} against ${Math.round(c.ceiling.median)}/s; by CPU ${c.cpuRatio.toFixed(2)}`,
  );
}
