/**
 * The logging of the Lictor HTTP services: Fastify's logger (pino) with redaction, written
 * asynchronously to the process's stderr or stdout, and a log controller that keeps Fastify's two
 * lines per request ("incoming request", "request completed") at `debug`, so that the default
 * `info` level logs what happened (a lease, an activation, a refusal, a failure) and not every
 * request: a synchronous line per request cost the License Manager a third of its throughput.
 */
import { type FastifyReply, type FastifyRequest, type FastifyServerOptions, LogController } from 'fastify';
import pino from 'pino';

/** The `logger` option of a Lictor service: `true` for info-level JSON logs, or pino options. */
export type ServiceLoggerOption = boolean | Exclude<FastifyServerOptions['logger'], boolean | undefined>;

/** One asynchronous destination per standard stream and process (flushed at exit by pino). */
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

/**
 * `process.stderr` or `process.stdout` as pino's asynchronous destination on the same file
 * descriptor: lines are gathered and written together (4 KiB at a time, at least every
 * {@link LOG_FLUSH_MS} ms), instead of one blocking `write` per line (Node writes to files, pipes
 * and terminals synchronously, so a slow reader stopped the event loop). Pino writes what is
 * gathered when the process exits. Any other stream is left as it is.
 */
function asynchronous(stream: unknown): unknown {
  const fd = stream === process.stderr ? 2 : stream === process.stdout ? 1 : undefined;
  if (fd === undefined) return stream;
  let destination = standardDestinations.get(fd);
  if (destination === undefined) {
    destination = pino.destination({
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
 * process's stderr or stdout is written asynchronously (see above).
 */
export function loggerOptions(
  logger: ServiceLoggerOption | undefined,
  redact: readonly string[],
): FastifyServerOptions['logger'] {
  if (logger === undefined || logger === false) return false;
  const base = logger === true ? {} : logger;
  const extra = Array.isArray(base.redact) ? base.redact : (base.redact?.paths ?? []);
  const stream = base.stream === undefined ? {} : { stream: asynchronous(base.stream) as typeof base.stream };
  return { level: 'info', ...base, ...stream, redact: { paths: [...redact, ...extra], censor: '[Redacted]' } };
}

/**
 * Fastify's request lines at `debug`: "incoming request" and "request completed" (a request that
 * errored is still logged at `error`). What a service does is logged by its routes, once per
 * lease or activation; refusals and failures by the error handler.
 */
export class ServiceLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, _request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

/**
 * The logging options of a Lictor service's `Fastify()`: the logger ({@link loggerOptions}) and,
 * when it logs, the {@link ServiceLogController}.
 */
export function serviceLogging(
  logger: ServiceLoggerOption | undefined,
  redact: readonly string[],
): Pick<FastifyServerOptions, 'logger' | 'logController'> {
  const options = loggerOptions(logger, redact);
  return options === false ? { logger: false } : { logger: options, logController: new ServiceLogController() };
}
