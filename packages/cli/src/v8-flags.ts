/**
 * V8 flags `lictor` sets for itself, before it loads anything else (`bin/lictor.js`): V8 flags
 * set once code is compiled make later code slower (set at the top of `runtime serve`'s action,
 * the memory saver mode below doubled the CPU of each check on Node 24; set first, it costs
 * nothing measurable: `docs/benchmarks.md`, "Node 24"). Imports nothing but `node:v8`.
 *
 * **Memory saver mode, for `lictor runtime serve`.** On V8 13 (Node 24) the old generation of a
 * serving runtime keeps what bursts of concurrent requests promoted and left (about 25 MiB more
 * resident memory than on Node 22 after the bench's checks and 1,000 session opens), and V8's
 * memory reducer gives it back only in memory saver mode. Node 22's V8 has no such flag (and
 * `node --memory-saver-mode` refuses to start there), so the service files cannot name it on the
 * command line. `--no-memory-saver` leaves it off.
 */
import { setFlagsFromString } from 'node:v8';

/** The memory saver flag, for a V8 that has it (version 13 and later), else `undefined`. */
export function memorySaverFlag(v8Version: string = process.versions.v8): string | undefined {
  const major = Number.parseInt(v8Version, 10);
  return Number.isInteger(major) && major >= 13 ? '--memory-saver-mode' : undefined;
}

/** The V8 flags for the command `argv` (the arguments after `lictor`) on V8 `v8Version`. */
export function v8FlagsFor(argv: readonly string[], v8Version: string = process.versions.v8): string[] {
  const serve = argv[0] === 'runtime' && argv[1] === 'serve' && !argv.includes('--no-memory-saver');
  const flag = serve ? memorySaverFlag(v8Version) : undefined;
  return flag === undefined ? [] : [flag];
}

let memorySaver = false;

/** Sets {@link v8FlagsFor} `argv`; call before anything else is loaded. */
export function setEarlyV8Flags(argv: readonly string[]): void {
  for (const flag of v8FlagsFor(argv)) {
    setFlagsFromString(flag);
    if (flag === '--memory-saver-mode') memorySaver = true;
  }
}

/** Whether {@link setEarlyV8Flags} turned V8's memory saver mode on in this process. */
export function memorySaverOn(): boolean {
  return memorySaver;
}
