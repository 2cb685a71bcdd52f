/**
 * `lictor manager serve`: the network License Manager on the customer's host, and `lictor seat`,
 * a client that takes a floating seat (for administrators and scripts). This file is the
 * composition root: the SDK reads and watches the manager's own license files, the server's
 * LicenseManager counts seats and serves them.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ACCESS_RULES_FILE_NAME,
  buildManagerServer,
  LicenseManager,
  type PoolLicense,
  SeatProofs,
} from '@lictor/manager';
import { type AnswerKey, LictorError, sha256, toHex } from '@lictor/protocol';
import {
  connectManager,
  type DuplicateDetectionOptions,
  type DuplicateDetectionStatus,
  type LicenseAnswerKey,
  type LicenseFileStatus,
  type Licensing,
  openLicensing,
  type TokenOptions,
  writeFileAtomic,
} from '@lictor/sdk';
import type { Command } from 'commander';
import { computerOptions, type Io, untilStopped } from '../io.js';
import { logLevelOption, managerDataDir, port, positiveInt, vendorPublicKey } from '../options.js';
import { startManagerDiscovery } from './manager-discovery.js';
import { addTokenOptions, type TokenCliOptions, tokenOptionsFrom } from './token.js';

/** The licenses a manager serves, from the status of its license files. */
function poolLicenses(files: readonly LicenseFileStatus[]): PoolLicense[] {
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

/**
 * Which key signs the answers for each pool license: the container key of the license file it
 * comes from (pool license ids start with the activation id, see {@link poolLicenses}).
 */
function proofKeys(licenses: readonly PoolLicense[], keys: readonly LicenseAnswerKey[]): Map<string, AnswerKey> {
  const byActivation = new Map(keys.map((k) => [k.activationId, k]));
  const out = new Map<string, AnswerKey>();
  for (const license of licenses) {
    const key = byActivation.get(license.id.slice(0, license.id.lastIndexOf(':')));
    if (key !== undefined) out.set(license.id, key);
  }
  return out;
}

/**
 * The licenses to serve from `licensing`, with the keys that prove them set in `proofs`;
 * `unproven`: those without a key here, whose seats clients will refuse.
 */
function provenLicenses(proofs: SeatProofs, licensing: Licensing) {
  const licenses = poolLicenses(licensing.status());
  proofs.setKeys(proofKeys(licenses, licensing.answerKeys()));
  return { licenses, unproven: licenses.filter((l) => !proofs.has(l.id)) };
}

/** Says which licenses cannot prove their seats (clients refuse them) and what to do, once each. */
function warnUnproven(io: Io, unproven: readonly PoolLicense[], warned: Set<string>): void {
  for (const l of unproven) {
    if (warned.has(l.id)) continue;
    warned.add(l.id);
    io.err(
      `warning [LICTOR_E_ANSWER_UNPROVEN]: license ${l.id} cannot prove its seats (its container key does not open on this computer, or it was activated before containers had keys): clients will refuse them; activate it again here, or give the token's PIN`,
    );
  }
}

interface Identity {
  id: string;
  adminTokenHash: string;
}

/** Reads the manager's identity, creating it (and printing its admin token once) on first run. */
async function managerIdentity(dir: string, io: Io): Promise<Identity> {
  const file = join(dir, 'manager.json');
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new LictorError('LICTOR_E_FILE_UNREADABLE', `cannot read ${file}: ${(err as Error).message}`);
    }
  }
  if (text !== undefined) return parseIdentity(text, file);
  const token = `lictor-manager-${randomBytes(32).toString('base64url')}`;
  const identity = { id: `mgr-${randomBytes(6).toString('hex')}`, adminTokenHash: toHex(sha256(token)) };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, `${JSON.stringify(identity, null, 2)}\n`, 0o600);
  io.out(`License Manager ${identity.id} initialized in ${dir}`);
  io.out(`  admin API token (shown once, keep it secret): ${token}`);
  return identity;
}

/** The identity file's contents; anything else is a typed refusal that says how to recover. */
function parseIdentity(text: string, file: string): Identity {
  let parsed: Partial<Identity> | undefined;
  try {
    parsed = JSON.parse(text) as Partial<Identity>;
  } catch {
    parsed = undefined;
  }
  if (typeof parsed?.id !== 'string' || typeof parsed.adminTokenHash !== 'string') {
    throw new LictorError(
      'LICTOR_E_FILE_FORMAT',
      `${file} is not a License Manager identity file: restore it from a backup, or move it away to start with a new manager id and admin token`,
    );
  }
  return { id: parsed.id, adminTokenHash: parsed.adminTokenHash };
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
  maxSeatsPerAddress?: number;
}

/** Duplicate detection of the manager's own licenses, unless `--announce-port 0`; reported to `center` when given. */
function duplicateDetection(
  announcePort: number,
  center: string | undefined,
): { duplicateDetection?: DuplicateDetectionOptions } {
  if (announcePort === 0) return {};
  return { duplicateDetection: { port: announcePort, ...(center ? { center } : {}) } };
}

/** Licenses on hardware tokens plugged into the manager's host (network dongles), when asked for. */
function tokenLicenses(opts: ServeOptions): { tokens?: TokenOptions } {
  const tokens = tokenOptionsFrom(opts);
  if (tokens === undefined) return {};
  return { tokens: opts.tokenCheckMs === undefined ? tokens : { ...tokens, intervalMs: opts.tokenCheckMs } };
}

/** What `lictor manager serve` says once it listens: what it serves, its access rules, duplicate detection. */
function printServing(
  io: Io,
  m: LicenseManager,
  where: { address: string; dir: string; licensesDir: string; rulesFile: string },
  duplicates: { announcing: DuplicateDetectionStatus | undefined; reportTo: string | undefined },
): void {
  const products = m.status().products.map((p) => `${p.product} (${p.total} seats)`);
  io.out(`License Manager ${m.id} listening on ${where.address}  data: ${where.dir}`);
  io.out(
    `  serving: ${products.length > 0 ? products.join(', ') : `nothing yet: activate licenses into ${where.licensesDir}`}`,
  );
  const ruleCount = m.accessRules().rules.length;
  io.out(
    `  access rules: ${ruleCount > 0 ? `${ruleCount} from ${where.rulesFile}` : `none (write them in ${where.rulesFile})`}`,
  );
  const { announcing, reportTo } = duplicates;
  io.out(
    `  duplicate detection: ${
      announcing === undefined
        ? 'off'
        : `announcing on UDP ${announcing.port}${reportTo ? `, reporting to ${reportTo}` : ' (no --center: duplicates are only marked here)'}`
    }`,
  );
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
    .option(
      '--max-seats-per-address <n>',
      'the most seats of a product the clients of one network address may hold, whatever names they declare (default: no cap)',
      positiveInt,
    )
    .addOption(logLevelOption())
    .action(async (opts: ServeOptions) => {
      const dir = managerDataDir(opts.data, io.env);
      const licensesDir = join(dir, 'licenses');
      const reportTo = opts.center ?? io.env.LICTOR_CENTER;
      const identity = await managerIdentity(dir, io);
      const licensing = await openLicensing({
        product: '',
        publicKey: vendorPublicKey(opts.publicKey, io.env),
        paths: [licensesDir],
        env: io.env,
        ...computerOptions(io),
        ...duplicateDetection(opts.announcePort, reportTo),
        ...tokenLicenses(opts),
      });
      const ttlMs = (opts.leaseTtlSeconds ?? 60) * 1000;
      const proofs = new SeatProofs();
      const served = provenLicenses(proofs, licensing);
      const warned = new Set<string>();
      warnUnproven(io, served.unproven, warned);
      const rulesFile = join(dir, ACCESS_RULES_FILE_NAME);
      let server: ReturnType<typeof buildManagerServer> | undefined;
      const m = await LicenseManager.open({
        stateFile: join(dir, 'leases.json'),
        licenses: served.licenses,
        id: identity.id,
        adminTokenHash: identity.adminTokenHash,
        leaseTtlMs: ttlMs,
        heartbeatIntervalMs: Math.min((opts.heartbeatSeconds ?? 20) * 1000, Math.floor(ttlMs / 3)),
        accessRulesFile: rulesFile,
        ...(opts.maxSeatsPerAddress === undefined ? {} : { maxSeatsPerAddress: opts.maxSeatsPerAddress }),
        onEvent: (e) => {
          if (e.kind === 'access-rules-rejected') server?.log.error({ event: e }, 'access rules file rejected');
          if (e.kind === 'access-rules-loaded') server?.log.info({ event: e }, 'access rules reloaded');
        },
      });
      // New activations, upgrades, expiry and blacklists take effect without a restart.
      licensing.on('change', () => {
        const files = licensing.status();
        const next = provenLicenses(proofs, licensing);
        warnUnproven(io, next.unproven, warned);
        const ended = m.replaceLicensesEndingTokenLeases(next.licenses, 'its hardware token left the manager');
        if (ended.length > 0) server?.log.warn({ leases: ended.length }, 'hardware token removed: its leases ended');
        for (const f of files) {
          if (f.code === 'LICTOR_E_DUPLICATE_LICENSE')
            server?.log.error({ file: f.path, reason: f.reason }, 'duplicate license');
        }
      });
      server = buildManagerServer(m, { logger: { level: opts.logLevel, stream: process.stderr }, proofs });
      const address = await server.listen({ port: opts.port, host: opts.host });
      printServing(
        io,
        m,
        { address, dir, licensesDir, rulesFile },
        { announcing: licensing.duplicateDetection(), reportTo },
      );
      const discovery = await startManagerDiscovery(io, {
        id: identity.id,
        address,
        host: opts.host,
        port: opts.discoveryPort,
      });
      await untilStopped();
      await discovery?.close();
      await server.close();
      await m.close();
      await licensing.close();
    });

  program
    .command('seat')
    .description('take a floating seat from a License Manager and hold it (until Ctrl-C or --hold)')
    .requiredOption('--product <code>', 'product code')
    .option('--feature <code>', 'feature code')
    .option('--manager <url>', 'manager address (default: lictor.ini, LICTOR_MANAGER, then discovery)')
    .option('--client-host <name>', 'the host name this client reports (default: this computer)')
    .option('--public-key <key>', 'vendor public key the seat must be proven with (default: LICTOR_PUBLIC_KEY)')
    .option('--hold <seconds>', 'release after this many seconds', positiveInt)
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        product: string;
        feature?: string;
        manager?: string;
        clientHost?: string;
        publicKey?: string;
        hold?: number;
        json?: boolean;
      }) => {
        const client = await connectManager({
          publicKey: vendorPublicKey(opts.publicKey, io.env),
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
          await untilStopped(opts.hold === undefined ? undefined : opts.hold * 1000);
          clearInterval(keepAlive);
        } finally {
          await client.close();
        }
      },
    );
}
