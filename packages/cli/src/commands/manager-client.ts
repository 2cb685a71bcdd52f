/** How `lictor seat` and `lictor borrow` reach a License Manager: one connection, with progress and the timeout said. */
import { connectManager, type ManagerClient } from '@lictor/sdk';
import { type Io, withProgress } from '../io.js';
import { vendorPublicKey } from '../options.js';

/** The options both commands take to find and reach a License Manager. */
export interface ManagerReachOptions {
  publicKey?: string;
  manager?: string;
  clientHost?: string;
  discoveryTarget?: string[];
  timeout: number;
  json?: boolean;
}

/** Connects to a License Manager; `wait` is the progress line to show again while waiting on it. */
export async function reachManager(
  io: Io,
  opts: ManagerReachOptions,
): Promise<{ client: ManagerClient; wait: string }> {
  const publicKey = vendorPublicKey(opts.publicKey, io.env);
  const wait = `waiting for a License Manager${opts.manager ? ` at ${opts.manager}` : ''} (up to ${opts.timeout} s for each; --timeout to change)`;
  const client = await withProgress(
    io,
    wait,
    () =>
      connectManager({
        publicKey,
        env: io.env,
        timeoutMs: opts.timeout * 1000,
        ...(opts.manager ? { managers: [opts.manager] } : {}),
        ...(opts.clientHost ? { client: { host: opts.clientHost } } : {}),
        ...(opts.discoveryTarget ? { discovery: { targets: opts.discoveryTarget } } : {}),
      }),
    opts.json,
  );
  return { client, wait };
}
