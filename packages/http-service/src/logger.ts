/**
 * The logging of the Lictor HTTP services: Fastify's logger (pino) with redaction, written
 * asynchronously to the process's stderr or stdout, and a log controller that keeps Fastify's two
 * lines per request ("incoming request", "request completed") at `debug`, so that the default
 * `info` level logs what happened (a lease, an activation, a refusal, a failure) and not every
 * request: a synchronous line per request cost the License Manager a third of its throughput.
 */
import { type FastifyReply, type FastifyRequest, type FastifyServerOptions, LogController } from 'fastify';
import { loggerOptions, type ServiceLoggerOption } from './log-options.js';

export { LOG_FLUSH_MS, loggerOptions, type ServiceLoggerOption } from './log-options.js';

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
