/**
 * The log destination for a standard stream that is a regular file (a service started with
 * `2>>service.log`, or by a supervisor that appends to a file): lines gathered in an array and
 * written with one synchronous `write` once {@link FileLinesOptions.batchChars} characters wait,
 * at least every {@link FileLinesOptions.flushMs} ms, and when the process exits.
 *
 * Why not sonic-boom here (the destination for pipes, sockets and terminals): a write to a
 * regular file never waits for a reader, so it needs neither libuv's thread pool nor its wake-up,
 * and counting what waits as a number costs nothing, where sonic-boom measures the waiting text
 * again at every line. Measured in `bench/log-line.ts`: 0.3 µs a line over pino's formatting,
 * against 1.9 µs for sonic-boom's asynchronous batches (`docs/benchmarks.md`).
 */
import { writeSync } from 'node:fs';

/** Writes `bytes` from `offset` to descriptor `fd`; the number of bytes written (`fs.writeSync`'s form). */
type WriteSync = (fd: number, bytes: Uint8Array, offset: number) => number;

/** How a {@link FileLines} batches its lines. */
export interface FileLinesOptions {
  /** Lines are written once this many characters wait. */
  readonly batchChars: number;
  /** The longest a line waits before it is written, in ms. */
  readonly flushMs: number;
  /** Writes to the descriptor (default `fs.writeSync`; tests give a file that refuses, then takes). */
  readonly writeSync?: WriteSync;
  /** The clock of the notice's `time` (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * The line that tells, in the file, that `count` earlier lines were lost: pino's form (level 40
 * is `warn`), so that log tools read it like the service's own lines.
 */
function droppedLinesNotice(count: number, time: number): string {
  return `{"level":40,"time":${time},"msg":"${count} log line(s) were lost: the log file refused them (a full disk, or a file size limit)","droppedLines":${count}}\n`;
}

/** Lines for a regular file's descriptor, written in batches (see the module's comment). */
export class FileLines {
  readonly #fd: number;
  readonly #batchChars: number;
  readonly #writeSync: WriteSync;
  readonly #now: () => number;
  #lines: string[] = [];
  #chars = 0;
  #dropped = 0;
  /** Of {@link dropped}, how many a notice in the file has told of. */
  #told = 0;

  constructor(fd: number, options: FileLinesOptions) {
    this.#fd = fd;
    this.#batchChars = options.batchChars;
    this.#writeSync = options.writeSync ?? writeSync;
    this.#now = options.now ?? Date.now;
    setInterval(() => this.flushSync(), options.flushMs).unref();
    process.on('exit', () => this.flushSync());
  }

  /** Takes one line (pino's `write`); never throws and never waits. */
  write(line: string): boolean {
    this.#lines.push(line);
    this.#chars += line.length;
    if (this.#chars >= this.#batchChars) this.flushSync();
    return true;
  }

  /**
   * Writes what waits now. A write the file refuses (a full disk) drops its lines, counted in
   * {@link dropped}; the next batch the file takes starts with a notice of how many were lost
   * ({@link droppedLinesNotice}), so that whoever reads the log knows it has a gap.
   */
  flushSync(): void {
    if (this.#lines.length === 0) return;
    const lost = this.#dropped - this.#told;
    const text = this.#lines.length === 1 ? (this.#lines[0] as string) : this.#lines.join('');
    const bytes = Buffer.from(lost > 0 ? droppedLinesNotice(lost, this.#now()) + text : text);
    const lines = this.#lines.length;
    this.#lines = [];
    this.#chars = 0;
    try {
      // A regular file takes the whole buffer but when it cannot grow (ENOSPC, a size limit).
      for (let offset = 0; offset < bytes.length; ) {
        const written = this.#writeSync(this.#fd, bytes, offset);
        if (written <= 0) throw new Error('the file took no bytes');
        offset += written;
      }
      this.#told += lost;
    } catch {
      // A logging failure must not stop a license service; the lines are lost, and counted.
      this.#dropped += lines;
    }
  }

  /** pino's `logger.flush(callback)`. */
  flush(callback?: (error?: Error) => void): void {
    this.flushSync();
    callback?.();
  }

  /** Lines dropped because the file refused them. */
  get dropped(): number {
    return this.#dropped;
  }
}
