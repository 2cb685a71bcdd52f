/**
 * `openRuntime()`: the Lictor Runtime's composition root. The state directory (identity, sealed
 * hardware snapshot, license store), a licensing state per vendor key and product (the SDK's
 * `openLicensing`, fed the persisted hardware), sessions and seats with the OS asked about
 * processes, the event hub, and the HTTP service on a Unix socket and loopback TCP.
 * `lictor runtime serve` is a thin command over this function.
 */
import { unlink } from 'node:fs/promises';
import { delimiter, resolve } from 'node:path';
import type { ServiceLoggerOption } from '@lictor/http-service';
import {
  LictorError,
  parsePublicKey,
  type Scheduler,
  systemScheduler,
  type TimerHandle,
  toHex,
  type VendorPublicKey,
} from '@lictor/protocol';
import {
  type ClockOptions,
  collectHardware,
  connectManager,
  type DiscoverOptions,
  defaultMachineSecret,
  type LicensingOptions,
  machineLicenseDir,
  openLicensing,
  type TokenOptions,
} from '@lictor/sdk';
import { AnswerProofs } from './answer-proofs.js';
import { EventHub } from './event-hub.js';
import { type PersistedHardware, persistedHardware } from './hardware-store.js';
import { buildRuntimeServer, type RuntimeServer } from './http/server.js';
import { LicensingPool } from './licensing-pool.js';
import { closeServer, listenLoopback, listenPipe, listenSocket, namedPipePath } from './listen.js';
import { type ProcessProbe, systemProcessProbe } from './process-info.js';
import { LictorRuntime, type RuntimeIdentity } from './runtime.js';
import { type ManagerConnector, SeatService } from './seats.js';
import type { SessionLimits } from './session-table.js';
import { SessionService } from './sessions.js';
import { defaultSocketPath, prepareStateDir, runtimeId, stateLayout } from './state-dir.js';
import { runtimeTokens } from './tokens.js';
import { RUNTIME_VERSION } from './version.js';

/** The runtime's default loopback TCP port. */
export const DEFAULT_RUNTIME_PORT = 8791;
/** Default period of the sweep that frees what exited processes held. */
export const DEFAULT_SWEEP_INTERVAL_MS = 10_000;

/** Where the blacklist of one vendor is downloaded from (`OpenRuntimeOptions.blacklistRefresh`). */
export interface RuntimeBlacklistRefresh {
  /** The vendor public key (`lictor-ed25519:…`) whose licensing states download. */
  publicKey: string;
  /** Its License Center's URL. */
  center: string;
  /** Period of the download (default 6 h); after a failure every `retryMs` (default 5 min). */
  intervalMs?: number;
  retryMs?: number;
}

/** Options of {@link openRuntime}. */
export interface OpenRuntimeOptions {
  /** The state directory (see `state-dir.ts`); `lictor runtime serve` defaults to a machine-wide one. */
  stateDir: string;
  /** The Unix socket; `null`: none. Default `$XDG_RUNTIME_DIR/lictor/runtime.sock`, else `/run/lictor/runtime.sock` for root. */
  socket?: string | null;
  /**
   * A Windows named pipe to listen on instead of the Unix socket: its name (`lictor-runtime`) or
   * path (`\\.\pipe\lictor-runtime`). Windows only: elsewhere `LICTOR_E_PLATFORM_UNSUPPORTED`.
   */
  pipe?: string;
  /** The operating system (default `process.platform`; tests pass another). */
  platform?: NodeJS.Platform;
  /** Mode of the socket file (default 0660 for root, a system service whose group may connect; else 0600). */
  socketMode?: number;
  /** Loopback address to listen on (default `127.0.0.1`; anything not loopback is refused). */
  host?: string;
  /** TCP port (0: any free port); `null`: no TCP. Default {@link DEFAULT_RUNTIME_PORT}. */
  port?: number | null;
  /**
   * Directories searched for license files. Default: the state directory's `licenses/`, the
   * `LICTOR_LICENSE_PATH` entries, and the per-machine license directory.
   */
  licensePaths?: string[];
  /** Sessions per license file (default 256 OS sessions, 256 processes per OS session). */
  limits?: Partial<SessionLimits>;
  /** Period of the sweep that frees what exited processes held (default 10 s). */
  sweepIntervalMs?: number;
  /** Most licensing states kept open (default 64). */
  maxLicensings?: number;
  /** Period of the SDK's change poll of license directories (default 2000 ms). */
  watchIntervalMs?: number;
  /** How long a hardware collection serves (default a day). */
  hardwareMaxAgeMs?: number;
  /** Clock and timers (default `systemScheduler`): checks' time, the sweep, seats' heartbeats, keep-alives. */
  scheduler?: Scheduler;
  /** How processes are looked at (default the OS's: `/proc` on Linux). */
  processProbe?: ProcessProbe;
  /** UDP discovery of License Managers for seats whose application names none (default on), or `false`. */
  managerDiscovery?: DiscoverOptions | false;
  /** Fastify logger options (pino). Default: no logs. */
  logger?: ServiceLoggerOption;
  /** What the SDK takes from the environment and the computer (tests inject the hardware source and the machine secret). */
  computer?: Pick<LicensingOptions, 'env' | 'hardware' | 'machineSecret'>;
  /** Period of the event stream's keep-alive comment (default 15 s). */
  keepAliveMs?: number;
  /**
   * The clock mark of every licensing state (tolerance, background write period; `docs/clock.md`).
   * Always on: the mark is kept in the store, `<state>/licenses/lictor-clock.json`, shared by all.
   */
  clock?: ClockOptions;
  /**
   * Download vendors' blacklists from their License Centers now and then, on the runtime's
   * scheduler: each licensing state of a listed vendor key downloads at once, then every 6 h
   * (the SDK's `blacklistRefresh`), into the store, which every state of that vendor reads.
   */
  blacklistRefresh?: RuntimeBlacklistRefresh[];
  /** Told of failed blacklist downloads (default: logged as warnings). */
  onWarning?: (error: LictorError) => void;
  /**
   * Serve licenses on hardware tokens (dongles) and license files bound to tokens: the SDK's
   * `tokens` option, given to every licensing state (on the runtime's scheduler unless
   * `tokens.scheduler` is given). A token pulled out makes its licenses unavailable until it is
   * plugged back in (a `license-change` event either way); see docs/runtime.md "Dongles".
   */
  tokens?: TokenOptions;
}

/** A runtime that serves; {@link RunningRuntime.close} stops it. */
export interface RunningRuntime {
  readonly id: string;
  /** The Unix socket it listens on, or `null`. */
  readonly socket: string | null;
  /** The loopback URL it listens on, or `null`. */
  readonly url: string | null;
  readonly stateDir: string;
  /** The license store (activations write here). */
  readonly licensesDir: string;
  readonly runtime: LictorRuntime;
  readonly server: RuntimeServer;
  /** The persisted hardware source every licensing state reads. */
  readonly hardware: PersistedHardware;
  /** Stops serving and closes everything, in reverse order of opening. */
  close(): Promise<void>;
}

/** The default search paths: the store, `LICTOR_LICENSE_PATH`, the per-machine directory. */
function defaultLicensePaths(store: string, env: NodeJS.ProcessEnv): string[] {
  const fromEnv = (env.LICTOR_LICENSE_PATH ?? '').split(process.platform === 'win32' ? ';' : delimiter);
  return [...new Set([store, ...fromEnv.filter((p) => p !== ''), machineLicenseDir(env)])];
}

/** Opens the runtime in `options.stateDir` and starts serving. */
export async function openRuntime(options: OpenRuntimeOptions): Promise<RunningRuntime> {
  // Refused before anything is made: a pipe where there are none, a pipe and a socket at once.
  const pipe = options.pipe === undefined ? null : namedPipePath(options.pipe, options.platform ?? process.platform);
  if (pipe !== null && typeof options.socket === 'string') {
    throw new LictorError('LICTOR_E_INVALID_INPUT', 'listen on a named pipe or on a Unix socket, not both', {
      field: 'pipe',
    });
  }
  // Absolute paths: status, messages and the SDK's search paths name files wherever they are read.
  const layout = stateLayout(resolve(options.stateDir));
  const env = options.computer?.env ?? process.env;
  const scheduler = options.scheduler ?? systemScheduler;
  const probe = options.processProbe ?? systemProcessProbe();
  await prepareStateDir(layout);
  const identity: RuntimeIdentity = {
    id: await runtimeId(layout),
    version: RUNTIME_VERSION,
    startedAt: new Date(scheduler.now()).toISOString(),
    stateDir: layout.dir,
    socket: null,
    url: null,
  };
  const machineSecret = options.computer?.machineSecret ?? defaultMachineSecret();
  const hardware = persistedHardware({
    file: layout.hardwareFile,
    source: options.computer?.hardware ?? (() => collectHardware()),
    machineSecret,
    now: () => scheduler.now(),
    ...(options.hardwareMaxAgeMs === undefined ? {} : { maxAgeMs: options.hardwareMaxAgeMs }),
  });
  const paths = options.licensePaths?.map((p) => resolve(p)) ?? defaultLicensePaths(layout.licensesDir, env);
  // Checked at once: a key that does not parse is refused before anything listens.
  const blacklists = (options.blacklistRefresh ?? []).map((b) => ({
    ...b,
    keyId: toHex(parsePublicKey(b.publicKey).keyId),
  }));
  /** The server's log, once it is built. */
  let log: RuntimeServer['log'] | undefined;
  const warn = options.onWarning ?? ((error: LictorError) => log?.warn({ err: error }, 'blacklist download failed'));
  /** The `blacklistRefresh` option of the licensing states of `publicKey`: its center's, on the runtime's scheduler. */
  const blacklistOf = (publicKey: VendorPublicKey): Partial<LicensingOptions> => {
    const b = blacklists.find((x) => x.keyId === toHex(publicKey.keyId));
    if (b === undefined) return {};
    return {
      blacklistRefresh: {
        center: b.center,
        scheduler,
        onError: warn,
        ...(b.intervalMs === undefined ? {} : { intervalMs: b.intervalMs }),
        ...(b.retryMs === undefined ? {} : { retryMs: b.retryMs }),
      },
    };
  };
  const tokens = runtimeTokens(options.tokens, scheduler);
  const events = new EventHub({ now: () => scheduler.now() });
  const pool = new LicensingPool({
    ...(options.maxLicensings === undefined ? {} : { max: options.maxLicensings }),
    open: (key) =>
      openLicensing({
        ...key,
        paths,
        store: layout.licensesDir,
        hardware,
        machineSecret,
        env,
        now: () => scheduler.now(),
        ...(options.watchIntervalMs === undefined ? {} : { watchIntervalMs: options.watchIntervalMs }),
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        ...blacklistOf(key.publicKey),
        ...(tokens === undefined ? {} : { tokens }),
      }),
    onChange: (pooled, change) =>
      events.publish({
        kind: 'license-change',
        product: pooled.key.product,
        vendorKeyId: pooled.vendorKeyId,
        added: change.added,
        removed: change.removed,
        changed: change.changed,
      }),
  });
  const sessions = new SessionService({
    probe,
    now: () => scheduler.now(),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    onFreed: (s, reason) =>
      events.publish({ kind: 'session-freed', sessionId: s.id, pid: s.pid, product: s.product, reason }),
  });
  const connect: ManagerConnector = ({ publicKey, managers, client }) =>
    // The runtime accepts only seats a manager proves with a genuine license of this vendor key.
    connectManager({
      publicKey,
      env,
      scheduler,
      client,
      ...(managers === undefined ? {} : { managers }),
      ...(options.managerDiscovery === undefined ? {} : { discovery: options.managerDiscovery }),
    });
  const seats = new SeatService({ connect, probe, onEvent: (e) => events.publish(e) });
  const runtime = new LictorRuntime({ identity, pool, sessions, seats, events, proofs: new AnswerProofs() });
  const server = buildRuntimeServer(runtime, {
    scheduler,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.keepAliveMs === undefined ? {} : { keepAliveMs: options.keepAliveMs }),
  });
  log = server.log;

  let sweep: TimerHandle | undefined;
  const named = pipe !== null ? null : options.socket === undefined ? (defaultSocketPath(env) ?? null) : options.socket;
  const socket = named === null ? null : resolve(named);
  const close = async () => {
    scheduler.clearInterval(sweep);
    await Promise.all([closeServer(server.server), closeServer(server.extra)]);
    await server.close();
    if (identity.socket !== null && identity.socket !== pipe) await unlink(identity.socket).catch(() => undefined);
    await seats.close();
    await pool.close();
  };
  try {
    // The Fastify app is composed on the first request the hot routes do not answer (`http/server.ts`).
    if (socket !== null) {
      server.acceptSocketOn(server.server);
      await listenSocket(server.server, socket, options.socketMode ?? (process.getuid?.() === 0 ? 0o660 : 0o600));
      identity.socket = socket;
    } else if (pipe !== null) {
      server.acceptSocketOn(server.server);
      await listenPipe(server.server, pipe);
      identity.socket = pipe;
    }
    const port = options.port === undefined ? DEFAULT_RUNTIME_PORT : options.port;
    if (port !== null) {
      identity.url = await listenLoopback(server.extra, options.host ?? '127.0.0.1', port);
    }
  } catch (error) {
    await close();
    throw error;
  }
  sweep = scheduler.setInterval(() => {
    void Promise.all([sessions.sweep(), seats.sweep()]).catch((error: unknown) =>
      server.log.error({ err: error }, 'sweep failed'),
    );
  }, options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS);
  return {
    id: identity.id,
    get socket() {
      return identity.socket;
    },
    get url() {
      return identity.url;
    },
    stateDir: layout.dir,
    licensesDir: layout.licensesDir,
    runtime,
    server,
    hardware,
    close,
  };
}
