/**
 * `openManager()`: the License Manager's composition root. The SDK reads and watches the
 * manager's own license files (on disk and on tokens, with duplicate detection); the
 * `LicenseManager` counts seats; the HTTP service and the discovery responder serve them, the
 * HTTP service proving each lease answer with the container key of the license the seat came
 * from (`SeatProofs`, keys from the same `Licensing`). `lictor manager serve` is a thin command
 * over this function.
 */
import { join } from 'node:path';
import { listenService, type ServiceLoggerOption } from '@lictor/http-service';
import { LictorError, type VendorPublicKey } from '@lictor/protocol';
import {
  type DongleServer,
  type DuplicateDetectionOptions,
  type DuplicateDetectionStatus,
  type Licensing,
  type LicensingOptions,
  openDongleServer,
  openLicensing,
  type TokenOptions,
} from '@lictor/sdk';
import type { FastifyInstance } from 'fastify';
import { ACCESS_RULES_FILE_NAME } from './access-rules-file.js';
import { type DiscoveryResponder, startDiscoveryResponder } from './discovery.js';
import { buildManagerServer } from './http.js';
import { newManagerIdentity, readManagerIdentity, writeManagerIdentity } from './identity.js';
import { LicenseManager, MANAGER_VERSION } from './manager.js';
import { poolAnswerKeys, poolLicenses } from './pool-licenses.js';
import { SeatProofs } from './seat-proofs.js';
import type { PoolLicense } from './types.js';

/** Default TCP port of the manager's HTTP service. */
export const DEFAULT_MANAGER_PORT = 8790;
/** Default UDP port of the discovery responder. */
export const DEFAULT_DISCOVERY_PORT = 8791;

/** Options of {@link openManager}. */
export interface OpenManagerOptions {
  /** The manager's data directory: `manager.json`, `licenses/`, `access.rules`, `leases.json`. */
  dataDir: string;
  /** The vendor public key the manager's license files must be signed with. */
  publicKey: string | VendorPublicKey;
  /** Address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** TCP port (0: any free port). Default {@link DEFAULT_MANAGER_PORT}. */
  port?: number;
  /** UDP port answering discovery probes; 0 turns discovery off. Default {@link DEFAULT_DISCOVERY_PORT}. */
  discoveryPort?: number;
  /**
   * Duplicate detection of the manager's own licenses; omitted: off. `targets` says where the
   * announcements go instead of the broadcast (`lictor manager serve --announce-target`),
   * `center` where duplicates are reported, `instance` overrides this boot's instance id (tests).
   */
  duplicateDetection?: DuplicateDetectionOptions;
  /** Licenses on hardware tokens plugged into this host (a network dongle). */
  tokens?: TokenOptions;
  /**
   * Download the center's blacklist now and then (at once, then every 6 h by default): the
   * blacklisted licenses stop being served. Omitted: off. A failed download is reported through
   * its `onError`, else {@link onWarning}, and tried again.
   */
  blacklistRefresh?: LicensingOptions['blacklistRefresh'];
  /** How often clients send heartbeats, in seconds. Default 20 (at most a third of the lease TTL). */
  heartbeatSeconds?: number;
  /** A lease without heartbeats expires after this many seconds. Default 60. */
  leaseTtlSeconds?: number;
  /**
   * The most seats of one product that the clients of one network address may hold, whatever
   * names they declare (`--max-seats-per-address`). Default: no cap.
   */
  maxSeatsPerAddress?: number;
  /** Fastify logger options (pino). Default: no logs. */
  logger?: ServiceLoggerOption;
  /**
   * The manager's clock, epoch milliseconds: leases, the per-address rate limits (token
   * signatures, discovery) and the least gap between two re-initializations of the token module.
   * Default the system clock; tests give one they move forward, never one that runs behind.
   */
  now?: () => number;
  /** What the SDK's licensing takes from the environment and the computer (tests inject hardware). */
  computer?: Pick<LicensingOptions, 'env' | 'hardware' | 'machineSecret'>;
  /**
   * A problem that does not stop the manager: the discovery port is taken, or a license cannot
   * prove its seats (`LICTOR_E_ANSWER_UNPROVEN`: its container key does not open here; told once per license).
   */
  onWarning?: (error: LictorError) => void;
}

/** A License Manager that serves; {@link RunningManager.close} stops it. */
export interface RunningManager {
  readonly id: string;
  /** The URL the HTTP service listens on. */
  readonly address: string;
  readonly dataDir: string;
  readonly licensesDir: string;
  readonly rulesFile: string;
  /** The admin API token when this start made the manager (shown once: print it now); else `undefined`. */
  readonly newAdminToken: string | undefined;
  readonly manager: LicenseManager;
  readonly server: FastifyInstance;
  readonly licensing: Licensing;
  /** The keys that prove the manager's lease answers, kept in step with its licenses. */
  readonly proofs: SeatProofs;
  /** The discovery responder, unless discovery is off or its port could not be opened. */
  readonly discovery: DiscoveryResponder | undefined;
  /** Duplicate detection of the manager's licenses, when on. */
  duplicateDetection(): DuplicateDetectionStatus | undefined;
  /** Stops serving and closes everything, in reverse order of opening. */
  close(): Promise<void>;
}

/**
 * Opens the manager in `options.dataDir` and starts serving. A first start makes the manager's
 * identity and admin token, and writes them only once the service listens, so a start that fails
 * (no public key, port in use) loses no token.
 */
export async function openManager(options: OpenManagerOptions): Promise<RunningManager> {
  const dataDir = options.dataDir;
  const licensesDir = join(dataDir, 'licenses');
  const rulesFile = join(dataDir, ACCESS_RULES_FILE_NAME);
  const existing = await readManagerIdentity(dataDir);
  const made = existing === undefined ? newManagerIdentity() : undefined;
  const identity = existing ?? (made as NonNullable<typeof made>).identity;
  const host = options.host ?? '127.0.0.1';

  const licensing = await openLicensing({
    product: '',
    publicKey: options.publicKey,
    paths: [licensesDir],
    ...(options.computer ?? {}),
    ...(options.duplicateDetection ? { duplicateDetection: options.duplicateDetection } : {}),
    ...(options.tokens ? { tokens: options.tokens } : {}),
    ...blacklistRefresh(options),
  });
  const opened: { close(): Promise<unknown> }[] = [licensing];
  const closeAll = async () => {
    for (const o of opened.reverse()) await o.close();
  };
  try {
    const ttlMs = (options.leaseTtlSeconds ?? 60) * 1000;
    let server: FastifyInstance | undefined;
    const proofs = new SeatProofs();
    const warned = new Set<string>();
    /** The licenses to serve now, with the keys that prove them set in `proofs`. */
    const served = (): PoolLicense[] => {
      const files = licensing.status();
      const licenses = poolLicenses(files);
      proofs.setKeys(poolAnswerKeys(files, licensing.answerKeys()));
      for (const l of licenses) {
        if (proofs.has(l.id) || warned.has(l.id)) continue;
        warned.add(l.id);
        options.onWarning?.(
          new LictorError(
            'LICTOR_E_ANSWER_UNPROVEN',
            `license ${l.id} cannot prove its seats (its container key does not open on this computer, or it was activated before containers had keys): clients will refuse them; activate it again here, or give the token's PIN`,
            { licenseId: l.id },
          ),
        );
      }
      return licenses;
    };
    const manager = await LicenseManager.open({
      stateFile: join(dataDir, 'leases.json'),
      licenses: served(),
      id: identity.id,
      adminTokenHash: identity.adminTokenHash,
      leaseTtlMs: ttlMs,
      heartbeatIntervalMs: Math.min((options.heartbeatSeconds ?? 20) * 1000, Math.floor(ttlMs / 3)),
      accessRulesFile: rulesFile,
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.maxSeatsPerAddress === undefined ? {} : { maxSeatsPerAddress: options.maxSeatsPerAddress }),
      onEvent: (e) => {
        if (e.kind === 'access-rules-rejected') server?.log.error({ event: e }, 'access rules file rejected');
        if (e.kind === 'access-rules-loaded') server?.log.info({ event: e }, 'access rules reloaded');
      },
      onEventKinds: ['access-rules-rejected', 'access-rules-loaded'],
    });
    opened.push(manager);
    // New activations, upgrades, expiry and blacklists take effect without a restart.
    licensing.on('change', () => {
      const files = licensing.status();
      const ended = manager.replaceLicensesEndingTokenLeases(served(), 'its hardware token left the manager');
      if (ended.length > 0) server?.log.warn({ leases: ended.length }, 'hardware token removed: its leases ended');
      for (const f of files) {
        if (f.code === 'LICTOR_E_DUPLICATE_LICENSE')
          server?.log.error({ file: f.path, reason: f.reason }, 'duplicate license');
      }
    });
    const dongles = await networkDongles(options);
    if (dongles !== undefined) opened.push(dongles);
    server = buildManagerServer(manager, {
      proofs,
      ...(dongles === undefined ? {} : { dongles }),
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    const address = await listenService(server, {
      port: options.port ?? DEFAULT_MANAGER_PORT,
      host,
      what: 'License Manager',
    });
    opened.push(server);
    if (made !== undefined) await writeManagerIdentity(dataDir, made.identity);
    const discovery = await startDiscovery(options, identity.id, address, host);
    if (discovery !== undefined) opened.push(discovery);
    return {
      id: identity.id,
      address,
      dataDir,
      licensesDir,
      rulesFile,
      newAdminToken: made?.adminToken,
      manager,
      server,
      licensing,
      proofs,
      discovery,
      duplicateDetection: () => licensing.duplicateDetection(),
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** The `blacklistRefresh` option of the manager's licensing: failures are warnings unless the caller takes them. */
function blacklistRefresh({ blacklistRefresh: refresh, onWarning }: OpenManagerOptions): Partial<LicensingOptions> {
  if (refresh === undefined) return {};
  const onError = refresh.onError ?? onWarning;
  return { blacklistRefresh: { ...refresh, ...(onError ? { onError } : {}) } };
}

/**
 * The tokens plugged into this host, served to clients as network dongles (presence proofs and
 * activation claims), when the manager has token options. A module that cannot be opened is a
 * warning: the manager's licensing reports it too, and the software licenses are served.
 */
async function networkDongles(options: OpenManagerOptions): Promise<DongleServer | undefined> {
  if (options.tokens === undefined) return undefined;
  try {
    return await openDongleServer(options.tokens, options.computer?.env ?? process.env, options.now);
  } catch (error) {
    if (!(error instanceof LictorError)) throw error;
    options.onWarning?.(error);
    return undefined;
  }
}

/** The discovery responder, unless off; a port that cannot be opened is a warning, not a failure. */
async function startDiscovery(
  options: OpenManagerOptions,
  id: string,
  address: string,
  host: string,
): Promise<DiscoveryResponder | undefined> {
  const port = options.discoveryPort ?? DEFAULT_DISCOVERY_PORT;
  if (port === 0) return undefined;
  try {
    return await startDiscoveryResponder({
      id,
      version: MANAGER_VERSION,
      httpPort: Number(new URL(address).port),
      httpHost: host,
      port,
      ...(options.now === undefined ? {} : { now: options.now }),
    });
  } catch (error) {
    if (!(error instanceof LictorError)) throw error;
    options.onWarning?.(error);
    return undefined;
  }
}
