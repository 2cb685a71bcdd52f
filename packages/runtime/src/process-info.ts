/**
 * What the OS says about a process the runtime is told of: whether it runs, its OS session and
 * when it started (so that a pid the OS gave to another process counts as another process).
 *
 * Linux: `/proc/<pid>/stat` (the session id field, and the start time in clock ticks since
 * boot); a zombie counts as exited. Elsewhere: `kill(pid, 0)` says whether the process runs, and
 * the OS session is the one the application declared (documented in docs/runtime.md).
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** A running process as the OS describes it. */
export interface ProcessInfo {
  readonly pid: number;
  /** Its OS session (Linux: the session id), or `undefined` where the OS is not asked. */
  readonly osSession: string | undefined;
  /** When it started, in the OS's own unit (Linux: clock ticks since boot); `undefined` where unknown. */
  readonly startTime: string | undefined;
}

/** Describes a process, or resolves `undefined` when no such process runs. */
export type ProcessProbe = (pid: number) => Promise<ProcessInfo | undefined>;

/**
 * The fields of a `/proc/<pid>/stat` line, or `undefined` for a process that has exited (zombie
 * or dead) or a line that cannot be read. The command name (field 2) may hold spaces and
 * parentheses: the fields after it start after its last `)`.
 */
export function parseProcStat(pid: number, text: string): ProcessInfo | undefined {
  const end = text.lastIndexOf(')');
  if (end < 0) return undefined;
  const fields = text
    .slice(end + 1)
    .trim()
    .split(/\s+/);
  // fields[0] is field 3 (state), so field n is fields[n - 3].
  const state = fields[0];
  const session = fields[3];
  const startTime = fields[19];
  if (state === undefined || session === undefined || startTime === undefined) return undefined;
  if (state === 'Z' || state === 'X' || state === 'x') return undefined;
  return { pid, osSession: session, startTime };
}

/**
 * Linux: reads `/proc/<pid>/stat`, synchronously: the kernel writes the line when it is read (no
 * disk), in a few microseconds, where `fs/promises`' `readFile` took five trips through the thread
 * pool (open, fstat, two reads, close): about a tenth of the runtime's CPU under a load of
 * session opens (bench `runtime` group, docs/benchmarks.md).
 */
async function linuxProbe(pid: number): Promise<ProcessInfo | undefined> {
  let text: string;
  try {
    text = readProcStat(pid);
  } catch {
    return undefined;
  }
  return parseProcStat(pid, text);
}

/** One buffer for every read of a `/proc/<pid>/stat` line (at most ~400 bytes; 52 fields of at most 20 digits and a 64-byte name). */
const statBuffer = Buffer.alloc(4096);

/**
 * `/proc/<pid>/stat` as text, read into {@link statBuffer}: `readFileSync` allocates a buffer of
 * its own for each read of a file whose size the kernel reports as 0, which under concurrent
 * session opens outlives the young generation and stays until a full collection.
 */
function readProcStat(pid: number): string {
  const fd = openSync(`/proc/${pid}/stat`, 'r');
  try {
    return statBuffer.toString('latin1', 0, readSync(fd, statBuffer, 0, statBuffer.length, 0));
  } finally {
    closeSync(fd);
  }
}

/** Elsewhere: signal 0 tells whether the process exists (EPERM: it does, and belongs to another user). */
async function signalProbe(pid: number): Promise<ProcessInfo | undefined> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  return { pid, osSession: undefined, startTime: undefined };
}

/** The probe for this OS. */
export function systemProcessProbe(platform: NodeJS.Platform = process.platform): ProcessProbe {
  return platform === 'linux' ? linuxProbe : signalProbe;
}
