/**
 * The logger options of the Lictor HTTP services: pino with redaction, written in batches to the
 * process's stderr or stdout. Apart from `logger.ts` (Fastify's log controller) so that a
 * service may make its logger before it loads Fastify (the Lictor Runtime composes its Fastify app
 * on the first request its hot routes do not answer).
 */
import { fstatSync } from 'node:fs';
import type { FastifyServerOptions } from 'fastify';
import pino from 'pino';
import { FileLines } from './file-lines.js';

/** The `logger` option of a Lictor service: `true` for info-level JSON logs, or pino options. */
export type ServiceLoggerOption = boolean | Exclude<FastifyServerOptions['logger'], boolean | undefined>;

/** One destination per standard stream and process (each flushed at exit). */
const standardDestinations = new Map<number, pino.DestinationStream>();

/** Lines are written once this many bytes wait, and at least every {@link LOG_FLUSH_MS}. */
const LOG_BATCH_BYTES = 4096;
/** The longest a line waits before it is written, in ms. */
export const LOG_FLUSH_MS = 250;
/**
 * Bytes kept at most while the destination does not take them (a reader that stopped reading):
 * lines beyond are dropped rather than stopping the service or growing its memory without end.
 */
const LOG_MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/** Whether `fd` is a regular file (not a pipe, socket or terminal, whose reader can make a write wait). */
function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

/**
 * `process.stderr` or `process.stdout` as a batching destination on the same file descriptor:
 * lines are gathered and written together (4 KiB at a time, at least every {@link LOG_FLUSH_MS}
 * ms, and at exit), instead of one blocking `write` per line (Node writes to files, pipes and
 * terminals synchronously, so a slow reader stopped the event loop). A regular file gets
 * {@link FileLines} (synchronous batches: a file has no reader to wait for); a pipe, socket or
 * terminal gets pino's asynchronous destination (sonic-boom), which pino flushes at exit. Any
 * other stream is left as it is.
 */
function batched(stream: unknown): unknown {
  const fd = stream === process.stderr ? 2 : stream === process.stdout ? 1 : undefined;
  if (fd === undefined) return stream;
  let destination = standardDestinations.get(fd);
  if (destination === undefined) {
    destination = isRegularFile(fd)
      ? new FileLines(fd, { batchChars: LOG_BATCH_BYTES, flushMs: LOG_FLUSH_MS })
      : pino.destination({
          dest: fd,
          sync: false,
          minLength: LOG_BATCH_BYTES,
          periodicFlush: LOG_FLUSH_MS,
          maxLength: LOG_MAX_BUFFERED_BYTES,
        });
    standardDestinations.set(fd, destination);
  }
  return destination;
}

/**
 * Fastify's logger for a `logger` option: off by default, info level for `true`, and `redact`
 * (paths that may hold a secret) added to the caller's own redactions. A `stream` that is the
 * process's stderr or stdout is written in batches (see above).
 */
export function loggerOptions(
  logger: ServiceLoggerOption | undefined,
  redact: readonly string[],
): FastifyServerOptions['logger'] {
  if (logger === undefined || logger === false) return false;
  const base = logger === true ? {} : logger;
  const extra = Array.isArray(base.redact) ? base.redact : (base.redact?.paths ?? []);
  const stream = base.stream === undefined ? {} : { stream: batched(base.stream) as typeof base.stream };
  return { level: 'info', ...base, ...stream, redact: { paths: [...redact, ...extra], censor: '[Redacted]' } };
}
