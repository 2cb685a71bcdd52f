/** Fastify logger options shared by the Lictor HTTP services. */
import type { FastifyServerOptions } from 'fastify';

/** The `logger` option of a Lictor service: `true` for info-level JSON logs, or pino options. */
export type ServiceLoggerOption = boolean | Exclude<FastifyServerOptions['logger'], boolean | undefined>;

/**
 * Fastify's logger for a `logger` option: off by default, info level for `true`, and `redact`
 * (paths that may hold a secret) added to the caller's own redactions.
 */
export function loggerOptions(
  logger: ServiceLoggerOption | undefined,
  redact: readonly string[],
): FastifyServerOptions['logger'] {
  if (logger === undefined || logger === false) return false;
  const base = logger === true ? {} : logger;
  const extra = Array.isArray(base.redact) ? base.redact : (base.redact?.paths ?? []);
  return { level: 'info', ...base, redact: { paths: [...redact, ...extra], censor: '[Redacted]' } };
}
