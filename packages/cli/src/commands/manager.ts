/**
 * `lictor manager serve`: the network License Manager on the customer's host, and `lictor seat`,
 * a client that takes a floating seat (for administrators and scripts). This file is the
 * composition root: the SDK reads and watches the manager's own license files, the server's
 * LicenseManager counts seats and serves them.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LictorError, sha256, toHex } from '@lictor/protocol';
import {
  connectManager,
  type DuplicateDetectionOptions,
  type LicenseFileStatus,
  openLicensing,
  type TokenOptions,
  writeFileAtomic,
} from '@lictor/sdk';
import { ACCESS_RULES_FILE_NAME, buildManagerServer, LicenseManager, type PoolLicense } from '@lictor/server';
import { type Command, Option } from 'commander';
import type { Io } from '../io.js';
import { managerDataDir, port, positiveInt, vendorPublicKey } from '../options.js';
import { startManagerDiscovery } from './manager-discovery.js';
import { addTokenOptions, type TokenCliOptions, tokenOptionsFrom } from './token.js';

/** The licenses a manager serves, from the status of its license files. */
export function poolLicenses(files: readonly LicenseFileStatus[]): PoolLicense[] {
  const out: PoolLicense[] = [];
  for (const f of files) {
    if (!f.available || f.supersededBy || !f.licenses || !f.activationId) continue;
    for (const entry of f.licenses) {
      out.push({
        id: `${f.activationId}:${entry.product}`,
        product: entry.product,
        type: entry.type,
        seats: entry.type === 'multi' ? entry.users : entry.type === 'server-sessions' ? (entry.sessions ?? 1) : 1,
        features: entry.features,
        expiresAt: entry.expiresAt === null ? null : Date.parse(entry.expiresAt),
        // Licenses stored on a token plugged into this host (a network dongle) serve after software ones.
        source: f.onToken ? 'token' : 'software',
      });
    }
  }
  return out;
}

interface Identity {
  id: string;
  adminTokenHash: string;
}

/** Reads the manager's identity, creating it (and printing its admin token once) on first run. */
async function managerIdentity(dir: string, io: Io): Promise<Identity> {
  const file = join(dir, 'manager.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Identity;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new LictorError('LICTOR_E_FILE_UNREADABLE', `cannot read ${file}: ${(err as Error).message}`);
    }
  }
  const token = `lictor-manager-${randomBytes(32).toString('base64url')}`;
  const identity = { id: `mgr-${randomBytes(6).toString('hex')}`, adminTokenHash: toHex(sha256(token)) };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, `${JSON.stringify(identity, null, 2)}\n`, 0o600);
  io.out(`License Manager ${identity.id} initialized in ${dir}`);
  io.out(`  admin API token (shown once, keep it secret): ${token}`);
  return identity;
}

interface ServeOptions extends TokenCliOptions {
  data?: string;
  port: number;
  host: string;
  publicKey?: string;
  heartbeatSeconds?: number;
  leaseTtlSeconds?: number;
  logLevel: string;
  discoveryPort: number;
  announcePort: number;
  center?: string;
  tokenCheckMs?: number;
}

/** Duplicate detection of the manager's own licenses, unless `--announce-port 0`. */
function duplicateDetection(
  opts: ServeOptions,
  env: NodeJS.ProcessEnv,
): { duplicateDetection?: DuplicateDetectionOptions } {
  if (opts.announcePort === 0) return {};
  const center = opts.center ?? env.LICTOR_CENTER;
  return { duplicateDetection: { port: opts.announcePort, ...(center ? { center } : {}) } };
}

/** Licenses on hardware tokens plugged into the manager's host (network dongles), when asked for. */
function tokenLicenses(opts: ServeOptions): { tokens?: TokenOptions } {
  const tokens = tokenOptionsFrom(opts);
  if (tokens === undefined) return {};
  return { tokens: opts.tokenCheckMs === undefined ? tokens : { ...tokens, intervalMs: opts.tokenCheckMs } };
}

/** Registers `lictor manager` and `lictor seat`. */
export function registerManager(program: Command, io: Io): void {
  const manager = program.command('manager').description('the network License Manager (floating seats)');
  addTokenOptions(
    manager
      .command('serve')
      .description("serve the floating licenses in the manager's license directory (and on its tokens) to the network"),
  )
    .option(
      '--token-check-ms <n>',
      'with token options: how often each token proves its presence (default 3000)',
      positiveInt,
    )
    .option('--data <dir>', 'data directory (default: LICTOR_MANAGER_HOME, else per-user)')
    .option('--port <n>', 'TCP port', port, 8790)
    .option('--host <host>', 'address to listen on (0.0.0.0 for the whole network)', '127.0.0.1')
    .option('--discovery-port <n>', 'UDP port answering discovery probes (0: off)', port, 8791)
    .option('--announce-port <n>', 'UDP port of license announcements for duplicate detection (0: off)', port, 8792)
    .option('--center <url>', 'License Center to report duplicates to (default: LICTOR_CENTER)')
    .option('--public-key <key>', 'vendor public key (default: LICTOR_PUBLIC_KEY)')
    .option('--heartbeat-seconds <n>', 'how often clients send heartbeats (default 20)', positiveInt)
    .option('--lease-ttl-seconds <n>', 'a lease without heartbeats expires after this (default 60)', positiveInt)
    .addOption(
      new Option('--log-level <level>', 'log level of the JSON logs on stderr')
        .choices(['fatal', 'error', 'warn', 'info', 'debug'])
        .default('info'),
    )
    .action(async (opts: ServeOptions) => {
      const dir = managerDataDir(opts.data, io.env);
      const licensesDir = join(dir, 'licenses');
      const identity = await managerIdentity(dir, io);
      const licensing = await openLicensing({
        product: '',
        publicKey: vendorPublicKey(opts.publicKey, io.env),
        paths: [licensesDir],
        env: io.env,
        ...(io.hardware ? { hardware: io.hardware } : {}),
        ...(io.machineSecret ? { machineSecret: io.machineSecret } : {}),
        ...duplicateDetection(opts, io.env),
        ...tokenLicenses(opts),
      });
      const ttlMs = (opts.leaseTtlSeconds ?? 60) * 1000;
      const rulesFile = join(dir, ACCESS_RULES_FILE_NAME);
      let server: ReturnType<typeof buildManagerServer> | undefined;
      const m = await LicenseManager.open({
        stateFile: join(dir, 'leases.json'),
        licenses: poolLicenses(licensing.status()),
        id: identity.id,
        adminTokenHash: identity.adminTokenHash,
        leaseTtlMs: ttlMs,
        heartbeatIntervalMs: Math.min((opts.heartbeatSeconds ?? 20) * 1000, Math.floor(ttlMs / 3)),
        accessRulesFile: rulesFile,
        onEvent: (e) => {
          if (e.kind === 'access-rules-rejected') server?.log.error({ event: e }, 'access rules file rejected');
          if (e.kind === 'access-rules-loaded') server?.log.info({ event: e }, 'access rules reloaded');
        },
      });
      // New activations, upgrades, expiry and blacklists take effect without a restart.
      licensing.on('change', () => {
        const ended = m.replaceLicensesEndingTokenLeases(
          poolLicenses(licensing.status()),
          'its hardware token left the manager',
        );
        if (ended.length > 0) server?.log.warn({ leases: ended.length }, 'hardware token removed: its leases ended');
        for (const f of licensing.status()) {
          if (f.code === 'LICTOR_E_DUPLICATE_LICENSE')
            server?.log.error({ file: f.path, reason: f.reason }, 'duplicate license');
        }
      });
      server = buildManagerServer(m, { logger: { level: opts.logLevel, stream: process.stderr } });
      const address = await server.listen({ port: opts.port, host: opts.host });
      const products = m.status().products.map((p) => `${p.product} (${p.total} seats)`);
      io.out(`License Manager ${identity.id} listening on ${address}  data: ${dir}`);
      io.out(
        `  serving: ${products.length > 0 ? products.join(', ') : `nothing yet: activate licenses into ${licensesDir}`}`,
      );
      const ruleCount = m.accessRules().rules.length;
      io.out(
        `  access rules: ${ruleCount > 0 ? `${ruleCount} from ${rulesFile}` : `none (write them in ${rulesFile})`}`,
      );
      const announcing = licensing.duplicateDetection();
      const reportTo = opts.center ?? io.env.LICTOR_CENTER;
      io.out(
        `  duplicate detection: ${
          announcing === undefined
            ? 'off'
            : `announcing on UDP ${announcing.port}${reportTo ? `, reporting to ${reportTo}` : ' (no --center: duplicates are only marked here)'}`
        }`,
      );
      const discovery = await startManagerDiscovery(io, {
        id: identity.id,
        address,
        host: opts.host,
        port: opts.discoveryPort,
      });
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await discovery?.close();
      await server.close();
      await m.close();
      licensing.close();
    });

  program
    .command('seat')
    .description('take a floating seat from a License Manager and hold it (until Ctrl-C or --hold)')
    .requiredOption('--product <code>', 'product code')
    .option('--feature <code>', 'feature code')
    .option('--manager <url>', 'manager address (default: lictor.ini, LICTOR_MANAGER, then discovery)')
    .option('--client-host <name>', 'the host name this client reports (default: this computer)')
    .option('--hold <seconds>', 'release after this many seconds', positiveInt)
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        product: string;
        feature?: string;
        manager?: string;
        clientHost?: string;
        hold?: number;
        json?: boolean;
      }) => {
        const client = await connectManager({
          env: io.env,
          ...(opts.manager ? { managers: [opts.manager] } : {}),
          ...(opts.clientHost ? { client: { host: opts.clientHost } } : {}),
        });
        try {
          const lease = await client.acquire(opts.product, opts.feature);
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
          await new Promise<void>((resolve) => {
            if (opts.hold) setTimeout(resolve, opts.hold * 1000);
            process.once('SIGINT', () => resolve());
            process.once('SIGTERM', () => resolve());
          });
          clearInterval(keepAlive);
        } finally {
          await client.close();
        }
      },
    );
}
