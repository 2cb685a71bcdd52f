/** Starting a server on the address the user chose, with an answer a person can act on when it cannot. */
import { LictorError } from '@lictor/protocol';

/** A server that listens (Fastify's `listen`), resolving with the URL it listens on. */
export interface Listener {
  listen(options: { port: number; host: string }): Promise<string>;
}

/**
 * Starts `server` on `host:port`. A port in use is `LICTOR_E_PORT_IN_USE` and an address that
 * cannot be used (not this computer's, or a privileged port) `LICTOR_E_INVALID_INPUT`, each
 * naming the option to change; `what` names the server in the message ("the License Center").
 */
export async function listenOn(
  server: Listener,
  options: { port: number; host: string },
  what: string,
): Promise<string> {
  try {
    return await server.listen(options);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const where = `${options.host}:${options.port}`;
    const details = { host: options.host, port: options.port, errno: code };
    if (code === 'EADDRINUSE') {
      throw new LictorError(
        'LICTOR_E_PORT_IN_USE',
        `${what} cannot listen on ${where}: another program already uses port ${options.port}. Stop that program (is ${what} already running?), or choose another port with --port N (0 picks a free one)`,
        details,
      );
    }
    if (code === 'EACCES') {
      throw new LictorError(
        'LICTOR_E_INVALID_INPUT',
        `${what} cannot listen on ${where}: permission denied (ports below 1024 need privileges); choose another port with --port N`,
        details,
      );
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      throw new LictorError(
        'LICTOR_E_INVALID_INPUT',
        `${what} cannot listen on ${where}: ${options.host} is not an address of this computer; give one with --host (127.0.0.1, or 0.0.0.0 for every network)`,
        details,
      );
    }
    throw err;
  }
}
