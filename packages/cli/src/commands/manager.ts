/**
 * `lictor manager serve`: the network License Manager on the customer's host (a thin command over
 * `openManager()`, the manager's composition root in `@lictor/manager`), and `lictor seat`, a
 * client that takes a floating seat (for administrators and scripts).
 */

import type { RunningManager } from '@lictor/manager';
import type { DuplicateDetectionOptions } from '@lictor/sdk';
import type { Command } from 'commander';
import { loadManager } from '../deployables.js';
import { computerOptions, type Io, untilStopped, withProgress } from '../io.js';
import {
  centerUrl,
  collect,
  logLevelOption,
  managerDataDir,
  port,
  positiveInt,
  timeoutOption,
  vendorPublicKey,
  withTimeoutHint,
} from '../options.js';
import { reachManager } from './manager-client.js';
import { addServeTokenOptions, type ServeTokenCliOptions, serveTokenOptions } from './token.js';

interface ServeOptions extends ServeTokenCliOptions {
  data?: string;
  port: number;
  host: string;
  publicKey?: string;
  heartbeatSeconds?: number;
  leaseTtlSeconds?: number;
  logLevel: string;
  discoveryPort: number;
  announcePort: number;
  announceTarget?: string[];
  center?: string;
  maxSeatsPerAddress?: number;
}

/**
 * Duplicate detection of the manager's own licenses, unless `--announce-port 0`; reported to
 * `center` when given; `--announce-target` (repeatable) replaces the broadcast default.
 */
function duplicateDetection(
  announcePort: number,
  center: string | undefined,
  targets: string[] | undefined,
): { duplicateDetection?: DuplicateDetectionOptions } {
  if (announcePort === 0) return {};
  return {
    duplicateDetection: {
      port: announcePort,
      ...(center ? { center } : {}),
      ...(targets && targets.length > 0 ? { targets } : {}),
    },
  };
}

/** What `lictor manager serve` says once it listens: what it serves, its access rules, duplicate detection, discovery. */
function printServing(io: Io, running: RunningManager, reportTo: string | undefined): void {
  const m = running.manager;
  if (running.newAdminToken !== undefined) {
    io.out(`License Manager ${m.id} initialized in ${running.dataDir}`);
    io.out(`  admin API token (shown once, keep it secret): ${running.newAdminToken}`);
  }
  const products = m.status().products.map((p) => `${p.product} (${p.total} seats)`);
  io.out(`License Manager ${m.id} listening on ${running.address}  data: ${running.dataDir}`);
  io.out(
    `  serving: ${products.length > 0 ? products.join(', ') : `nothing yet: activate licenses into ${running.licensesDir}`}`,
  );
  const ruleCount = m.accessRules().rules.length;
  io.out(
    `  access rules: ${ruleCount > 0 ? `${ruleCount} from ${running.rulesFile}` : `none (write them in ${running.rulesFile})`}`,
  );
  const announcing = running.duplicateDetection();
  io.out(
    `  duplicate detection: ${
      announcing === undefined
        ? 'off'
        : `announcing on UDP ${announcing.port} to ${announcing.targets.join(', ')}${reportTo ? `, reporting to ${reportTo}` : ' (no --center: duplicates are only marked here)'}`
    }`,
  );
  const d = running.discovery;
  io.out(d === undefined ? '  discovery: off' : `  discovery: answering on UDP ${d.address}:${d.port}`);
}

/** Registers `lictor manager` and `lictor seat`. */
export function registerManager(program: Command, io: Io): void {
  const manager = program.command('manager').description('the network License Manager (floating seats)');
  addServeTokenOptions(
    manager
      .command('serve')
      .description("serve the floating licenses in the manager's license directory (and on its tokens) to the network"),
  )
    .option('--data <dir>', 'data directory (default: LICTOR_MANAGER_HOME, else per-user)')
    .option('--port <n>', 'TCP port', port, 8790)
    .option('--host <host>', 'address to listen on (0.0.0.0 for the whole network)', '127.0.0.1')
    .option('--discovery-port <n>', 'UDP port answering discovery probes (0: off)', port, 8791)
    .option('--announce-port <n>', 'UDP port of license announcements for duplicate detection (0: off)', port, 8792)
    .option(
      '--announce-target <host[:port]>',
      'where announcements go, instead of the broadcast 255.255.255.255 (repeatable)',
      collect,
    )
    .option(
      '--center <url>',
      'License Center to report duplicates to and download the blacklist from every 6 h (default: LICTOR_CENTER)',
    )
    .option('--public-key <key>', 'vendor public key (default: LICTOR_PUBLIC_KEY)')
    .option('--heartbeat-seconds <n>', 'how often clients send heartbeats (default 20)', positiveInt)
    .option('--lease-ttl-seconds <n>', 'a lease without heartbeats expires after this (default 60)', positiveInt)
    .option(
      '--max-seats-per-address <n>',
      'the most seats of a product the clients of one network address may hold, whatever names they declare (default: no cap)',
      positiveInt,
    )
    .addOption(logLevelOption())
    .action(async (opts: ServeOptions) => {
      const reportTo = opts.center ?? io.env.LICTOR_CENTER;
      // A mistyped center is refused before anything is created (no identity, no admin token).
      if (reportTo !== undefined) centerUrl(reportTo, opts.center === undefined ? 'LICTOR_CENTER' : '--center');
      const { openManager } = await loadManager();
      const running = await openManager({
        dataDir: managerDataDir(opts.data, io.env),
        publicKey: vendorPublicKey(opts.publicKey, io.env),
        host: opts.host,
        port: opts.port,
        discoveryPort: opts.discoveryPort,
        ...duplicateDetection(opts.announcePort, reportTo, opts.announceTarget),
        // The center's blacklist, downloaded now and then: blacklisted licenses stop being served.
        ...(reportTo ? { blacklistRefresh: { center: reportTo } } : {}),
        ...serveTokenOptions(opts),
        ...(opts.heartbeatSeconds === undefined ? {} : { heartbeatSeconds: opts.heartbeatSeconds }),
        ...(opts.leaseTtlSeconds === undefined ? {} : { leaseTtlSeconds: opts.leaseTtlSeconds }),
        ...(opts.maxSeatsPerAddress === undefined ? {} : { maxSeatsPerAddress: opts.maxSeatsPerAddress }),
        logger: { level: opts.logLevel, stream: process.stderr },
        computer: { env: io.env, ...computerOptions(io) },
        onWarning: (e) => io.err(`warning [${e.code}]: ${e.message}`),
      });
      printServing(io, running, reportTo);
      await untilStopped(io);
      await running.close();
    });

  manager
    .command('admin-token')
    // The name it had first; kept so that scripts written for it go on working.
    .alias('reissue-admin-token')
    .description(
      "issue a new admin API token for the manager on this host (the old one stops working at the manager's next start)",
    )
    .option('--data <dir>', 'data directory (default: LICTOR_MANAGER_HOME, else per-user)')
    .option('--json', 'print JSON')
    .action(async (opts: { data?: string; json?: boolean }) => {
      const { reissueManagerAdminToken } = await loadManager();
      const dataDir = managerDataDir(opts.data, io.env);
      const { identity, adminToken } = await reissueManagerAdminToken(dataDir);
      if (opts.json) return io.out(JSON.stringify({ dataDir, managerId: identity.id, adminToken }));
      io.out(`License Manager ${identity.id}: new admin API token (shown once, keep it secret): ${adminToken}`);
      io.out('  restart the manager for it to take effect');
    });

  program
    .command('seat')
    .description('take a floating seat from a License Manager and hold it (until Ctrl-C or --hold)')
    .requiredOption('--product <code>', 'product code')
    .option('--feature <code>', 'feature code')
    .option('--manager <url>', 'manager address (default: lictor.ini, LICTOR_MANAGER, then discovery)')
    .option('--client-host <name>', 'the host name this client reports (default: this computer)')
    .option('--public-key <key>', 'vendor public key the seat must be proven with (default: LICTOR_PUBLIC_KEY)')
    .option(
      '--discovery-target <host[:port]>',
      'where discovery probes go, instead of broadcast, multicast and loopback (repeatable)',
      collect,
    )
    .option('--hold <seconds>', 'release after this many seconds', positiveInt)
    .addOption(timeoutOption('a License Manager', 5))
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        product: string;
        feature?: string;
        manager?: string;
        clientHost?: string;
        publicKey?: string;
        discoveryTarget?: string[];
        hold?: number;
        timeout: number;
        json?: boolean;
      }) => {
        const { client, wait } = await reachManager(io, opts);
        try {
          const lease = await withProgress(
            io,
            wait,
            () => withTimeoutHint(() => client.acquire(opts.product, opts.feature)),
            opts.json,
          );
          const shown = { id: lease.id, product: lease.product, feature: lease.feature, manager: lease.manager };
          io.out(
            opts.json
              ? JSON.stringify(shown)
              : `seat taken: ${lease.product}${lease.feature ? `/${lease.feature}` : ''} (lease ${lease.id} on ${lease.manager})`,
          );
          lease.on('lost', (reason) => io.err(`seat lost [${reason.code}]: ${reason.message}`));
          // The SDK's heartbeat timers do not keep a process alive (they live inside applications):
          // the command holds the seat until Ctrl-C with a timer of its own.
          const keepAlive = setInterval(() => {}, 60_000);
          await untilStopped(io, opts.hold === undefined ? undefined : opts.hold * 1000);
          clearInterval(keepAlive);
        } finally {
          await client.close();
        }
      },
    );
}
