/**
 * Prints a `.cpuprofile`'s self times by origin and by function, per operation: for a server
 * profiled by another bench script, e.g. the runtime under `bench/runtime-memory.ts`'s checks:
 *
 *   node --import tsx bench/runtime-memory.ts --runs 1 --check-seconds 6 -- --cpu-prof --cpu-prof-dir /tmp/rtprof
 *   node --import tsx bench/print-profile.ts /tmp/rtprof/CPU.….cpuprofile <operations> [--top 30]
 *
 * `operations`: how many the profile's whole span served (checks/s × seconds, from the first
 * command's line); start-up is in the span too, so the figures per operation are a little high.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type Profile, printSelfTimes, selfTimes } from './cpu-profile.js';

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '30' } },
  allowPositionals: true,
});
const [file, operations] = positionals;
if (file === undefined || operations === undefined)
  throw new Error('usage: print-profile.ts <file.cpuprofile> <operations>');
const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
printSelfTimes(file, selfTimes(profile), Number(operations), profile.endTime - profile.startTime, Number(values.top));
