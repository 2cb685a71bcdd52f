/** The SDK's licensing for one end-user command (`status`, `check`, `activate`, `upgrade`, ...). */
import type { ApplicationRole } from '@lictor/protocol';
import { type Licensing, openLicensing, type TokenOptions } from '@lictor/sdk';
import type { Command } from 'commander';
import { computerOptions, type Io, withProgress } from '../io.js';
import { vendorPublicKey } from '../options.js';

/** Options of every command that works on this computer's license directories. */
export interface ClientOptions {
  store?: string;
  publicKey?: string;
  json?: boolean;
}

/** Adds `--store`, `--public-key` and `--json`. */
export function addClientOptions(cmd: Command): Command {
  return cmd
    .option(
      '--store <dir>',
      'license directory to use first and write to (default: LICTOR_LICENSE_PATH, else per-user)',
    )
    .option('--public-key <key>', 'vendor public key (default: LICTOR_PUBLIC_KEY)')
    .option('--json', 'print JSON');
}

/**
 * Opens the licensing of `product` (every product when empty), with token licenses when `tokens`
 * is given, runs `run`, and closes it whatever happens. A command runs once: no watching.
 */
export async function withLicensing<T>(
  io: Io,
  opts: ClientOptions,
  run: (licensing: Licensing) => Promise<T>,
  scope: {
    product?: string;
    tokens?: TokenOptions | undefined;
    role?: ApplicationRole | undefined;
    bitness?: 32 | 64 | undefined;
  } = {},
): Promise<T> {
  const publicKey = vendorPublicKey(opts.publicKey, io.env);
  const licensing = await withProgress(
    io,
    `reading this computer's hardware and the license files${scope.tokens ? ', and looking for hardware tokens' : ''}`,
    () =>
      openLicensing({
        product: scope.product ?? '',
        publicKey,
        env: io.env,
        watch: false,
        ...(opts.store ? { store: opts.store } : {}),
        ...computerOptions(io),
        ...(scope.tokens ? { tokens: scope.tokens } : {}),
        ...(scope.role ? { role: scope.role } : {}),
        ...(scope.bitness ? { bitness: scope.bitness } : {}),
      }),
    opts.json,
  );
  try {
    return await run(licensing);
  } finally {
    await licensing.close();
  }
}
