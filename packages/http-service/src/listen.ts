/** Starting a Lictor HTTP service on the address its operator chose. */
import { LictorError } from '@lictor/protocol';
import type { FastifyInstance } from 'fastify';

/**
 * `server.listen()`, with a port in use or an address not of this host as typed refusals
 * (`LICTOR_E_PORT_IN_USE`) that say what to change; `what` names the service in the message
 * ("License Center", "License Manager"). Resolves with the URL the service listens on.
 */
export async function listenService(
  server: FastifyInstance,
  options: { port: number; host: string; what: string },
): Promise<string> {
  const { port, host, what } = options;
  try {
    return await server.listen({ port, host });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new LictorError(
        'LICTOR_E_PORT_IN_USE',
        `port ${port} on ${host} is in use (another ${what}?): stop it, or choose another with --port`,
        { host, port },
      );
    }
    if (code === 'EADDRNOTAVAIL' || code === 'EACCES') {
      throw new LictorError(
        'LICTOR_E_PORT_IN_USE',
        `cannot listen on ${host}:${port} (${code}): choose another --host or --port`,
        { host, port },
      );
    }
    throw error;
  }
}
