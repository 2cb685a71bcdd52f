/** `lictor manager serve --discovery-port N`: the UDP responder that lets clients find the manager. */

import { type DiscoveryResponder, MANAGER_VERSION, startDiscoveryResponder } from '@lictor/manager';
import { LictorError } from '@lictor/protocol';
import type { Io } from '../io.js';

/**
 * Starts answering discovery probes for the manager `id` whose HTTP service listens on `host`
 * and answered `listen()` with `address` (its URL); `port` 0 turns discovery off. A port that cannot be opened is a warning, not a
 * failure: the manager still serves the clients that know its address.
 */
export async function startManagerDiscovery(
  io: Io,
  options: { id: string; address: string; host: string; port: number },
): Promise<DiscoveryResponder | undefined> {
  if (options.port === 0) {
    io.out('  discovery: off');
    return undefined;
  }
  try {
    const responder = await startDiscoveryResponder({
      id: options.id,
      version: MANAGER_VERSION,
      httpPort: Number(new URL(options.address).port),
      httpHost: options.host,
      port: options.port,
    });
    io.out(`  discovery: answering on UDP ${responder.address}:${responder.port}`);
    return responder;
  } catch (error) {
    if (!(error instanceof LictorError)) throw error;
    io.err(`warning [${error.code}]: ${error.message}`);
    return undefined;
  }
}
