/**
 * `lictor borrow`: takes a floating seat away from a License Manager for offline use on this
 * computer, for up to the days the license allows; the seat is kept in the license store, where
 * applications (and `lictor check`) find it offline until it ends. `lictor borrow return` gives it
 * back early. A thin command over the SDK's `client.borrow()` and `returnBorrowedSeat()`.
 */
import { LictorError } from '@lictor/protocol';
import { returnBorrowedSeat } from '@lictor/sdk';
import type { Command } from 'commander';
import { computerOptions, type Io, withProgress } from '../io.js';
import { collect, positiveInt, timeoutOption, withTimeoutHint } from '../options.js';
import { reachManager } from './manager-client.js';

interface BorrowCliOptions {
  product?: string;
  feature?: string;
  days?: number;
  manager?: string;
  file?: string;
  store?: string;
  clientHost?: string;
  publicKey?: string;
  discoveryTarget?: string[];
  timeout: number;
  json?: boolean;
}

/** Registers `lictor borrow` and `lictor borrow return`. */
export function registerBorrow(program: Command, io: Io): void {
  program
    .command('borrow')
    .description(
      'borrow a floating seat from a License Manager for offline use on this computer (`borrow return` gives it back early)',
    )
    .argument('[action]', '`return`: give a borrowed seat back to the manager that lent it')
    .option('--product <code>', 'product code')
    .option('--feature <code>', 'feature code')
    .option('--days <n>', 'days to borrow the seat for (at most what the license allows)', positiveInt)
    .option('--manager <url>', 'manager address (default: lictor.ini, LICTOR_MANAGER, then discovery)')
    .option('--file <path>', 'with return: the borrowed seat file (default: the one of --product in the store)')
    .option(
      '--store <dir>',
      'license directory the borrowed seat is kept in (default: LICTOR_LICENSE_PATH, else per-user)',
    )
    .option('--client-host <name>', 'the host name this client reports (default: this computer)')
    .option('--public-key <key>', 'vendor public key the seat must be proven with (default: LICTOR_PUBLIC_KEY)')
    .option(
      '--discovery-target <host[:port]>',
      'where discovery probes go, instead of broadcast, multicast and loopback (repeatable)',
      collect,
    )
    .addOption(timeoutOption('a License Manager', 5))
    .option('--json', 'print JSON')
    .action(async (action: string | undefined, opts: BorrowCliOptions) => {
      if (action !== undefined && action !== 'return') {
        throw new LictorError('LICTOR_E_INVALID_INPUT', `unknown action '${action}': lictor borrow [return]`);
      }
      if (action === 'return') return giveBack(io, opts);
      if (opts.product === undefined || opts.days === undefined) {
        throw new LictorError('LICTOR_E_INVALID_INPUT', 'lictor borrow needs --product CODE and --days N');
      }
      const { product, days } = opts;
      const { client, wait } = await reachManager(io, opts);
      try {
        const seat = await withProgress(
          io,
          wait,
          () =>
            withTimeoutHint(() =>
              client.borrow({
                product,
                days,
                ...(opts.feature ? { feature: opts.feature } : {}),
                ...(opts.store ? { store: opts.store } : {}),
                ...computerOptions(io),
              }),
            ),
          opts.json,
        );
        if (opts.json) {
          io.out(JSON.stringify({ ...seat, grantedAt: seat.grantedAt.toISOString(), until: seat.until.toISOString() }));
          return;
        }
        io.out(
          `borrowed: ${seat.product}${seat.feature ? `/${seat.feature}` : ''} until ${seat.until.toISOString()} (seat ${seat.id} from ${seat.manager}, serial ${seat.serial})`,
        );
        io.out(`  kept in ${seat.file}: applications on this computer use it offline until then`);
        io.out('  give it back early with: lictor borrow return');
      } finally {
        await client.close();
      }
    });
}

/** `lictor borrow return`. */
async function giveBack(io: Io, opts: BorrowCliOptions): Promise<void> {
  if (opts.file === undefined && opts.product === undefined) {
    throw new LictorError('LICTOR_E_INVALID_INPUT', 'lictor borrow return needs --product CODE or --file PATH');
  }
  const back = await withProgress(
    io,
    'giving the seat back to the License Manager that lent it',
    () =>
      withTimeoutHint(() =>
        returnBorrowedSeat(
          {
            ...(opts.file ? { file: opts.file } : {}),
            ...(opts.product ? { product: opts.product } : {}),
            ...(opts.feature ? { feature: opts.feature } : {}),
            ...(opts.store ? { store: opts.store } : {}),
            ...(io.machineSecret ? { machineSecret: io.machineSecret } : {}),
          },
          { env: io.env, timeoutMs: opts.timeout * 1000 },
        ),
      ),
    opts.json,
  );
  if (opts.json) return io.out(JSON.stringify(back));
  const what = `${back.product}${back.feature ? `/${back.feature}` : ''}`;
  io.out(
    back.returned
      ? `given back: ${what} (seat ${back.id}) to ${back.manager}; ${back.file} removed`
      : `${back.manager} no longer held the seat ${back.id} of ${what} for this computer (it ended, or an administrator ended it); ${back.file} removed`,
  );
}
