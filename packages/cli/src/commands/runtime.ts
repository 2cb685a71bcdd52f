/**
 * `lictor runtime serve`: the Lictor Runtime on this computer (a thin command over `openRuntime()`
 * of `@lictor/runtime`, loaded on use), and `lictor runtime status`: what a running runtime says
 * about itself, for a person or as JSON.
 */

import { LictorError } from '@lictor/protocol';
import type { RuntimeStatus } from '@lictor/protocol/wire';
import type { RuntimeTarget } from '@lictor/runtime';
import { type Command, InvalidArgumentError } from 'commander';
import { loadRuntime } from '../deployables.js';
import { computerOptions, type Io, untilStopped } from '../io.js';
import { centerUrl, collect, logLevelOption, port, positiveInt, vendorPublicKey } from '../options.js';
import { memorySaverOn } from '../v8-flags.js';
import { addServeTokenOptions, type ServeTokenCliOptions, serveTokenOptions } from './token.js';

interface ServeOptions extends ServeTokenCliOptions {
  stateDir?: string;
  /** A path, or `false` for `--no-socket`. */
  socket: string | boolean;
  socketMode?: number;
  http: boolean;
  port: number;
  host: string;
  licensePath?: string[];
  maxOsSessions?: number;
  maxProcesses?: number;
  pipe?: string;
  center?: string;
  publicKey?: string;
  blacklistRefreshHours?: number;
  /** `false` for `--no-memory-saver` (read by `bin/lictor.js`, before the options are parsed). */
  memorySaver: boolean;
  logLevel: string;
}

/** The options of `lictor runtime status`. */
export interface StatusOptions {
  socket?: string;
  /** Windows: the runtime's named pipe, its name or `\\.\pipe\<name>`. */
  pipe?: string;
  url?: string;
  json?: boolean;
}

/** `--socket-mode`: 600 (the runtime's user only) or 660 (its group too). */
function socketMode(value: string): number {
  const mode = Number.parseInt(value, 8);
  if (mode !== 0o600 && mode !== 0o660) throw new InvalidArgumentError('must be 600 or 660');
  return mode;
}

/**
 * `--center` (else `LICTOR_CENTER`) with `--public-key` (else `LICTOR_PUBLIC_KEY`): the vendor
 * whose blacklist the runtime downloads from that License Center, every `--blacklist-refresh-hours`
 * (default 6). Checked before anything is made; `--public-key` or the period without a center is refused.
 */
export function blacklistRefreshOf(opts: ServeOptions, env: NodeJS.ProcessEnv) {
  const center = opts.center ?? env.LICTOR_CENTER;
  if (center === undefined) {
    if (opts.publicKey !== undefined || opts.blacklistRefreshHours !== undefined) {
      throw new LictorError(
        'LICTOR_E_INVALID_INPUT',
        '--public-key and --blacklist-refresh-hours name the blacklist --center serves: pass --center URL (or set LICTOR_CENTER)',
        { field: 'center' },
      );
    }
    return [];
  }
  const url = centerUrl(center, opts.center === undefined ? 'LICTOR_CENTER' : '--center');
  const publicKey = vendorPublicKey(opts.publicKey, env).text;
  const hours = opts.blacklistRefreshHours;
  return [{ publicKey, center: url, ...(hours === undefined ? {} : { intervalMs: hours * 3_600_000 }) }];
}

/**
 * Where `lictor runtime status` looks: the named pipe, socket or URL given; else the default
 * socket (on Windows the service's pipe, `\\.\pipe\lictor-runtime`) and then the default port.
 * `--pipe` elsewhere than on Windows is `LICTOR_E_PLATFORM_UNSUPPORTED`, as for `runtime serve`.
 */
export async function statusTargets(
  opts: StatusOptions,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): Promise<RuntimeTarget[]> {
  const { defaultSocketPath, DEFAULT_PIPE_NAME, DEFAULT_RUNTIME_PORT, namedPipePath } = await loadRuntime();
  if (opts.pipe !== undefined) {
    if (opts.socket !== undefined) {
      throw new LictorError(
        'LICTOR_E_INVALID_INPUT',
        'ask the runtime on its named pipe or on its Unix socket, not both',
        {
          field: 'pipe',
        },
      );
    }
    return [{ socket: namedPipePath(opts.pipe, platform) }];
  }
  if (opts.socket !== undefined) return [{ socket: opts.socket }];
  if (opts.url !== undefined) return [{ url: opts.url }];
  const local = platform === 'win32' ? namedPipePath(DEFAULT_PIPE_NAME, platform) : defaultSocketPath(env, platform);
  return [...(local === undefined ? [] : [{ socket: local }]), { url: `http://127.0.0.1:${DEFAULT_RUNTIME_PORT}` }];
}

/** `GET /v1/status` of the first target that answers (the last refusal when none does). */
async function fetchStatus(targets: RuntimeTarget[]): Promise<RuntimeStatus> {
  const { runtimeStatus } = await loadRuntime();
  let failure: unknown;
  for (const target of targets) {
    try {
      return await runtimeStatus(target);
    } catch (error) {
      failure = error;
    }
  }
  throw failure;
}

/** The status as a person reads it; `listenerText` is the runtime's (`unix:` or `pipe:` before the path). */
export function formatRuntimeStatus(status: RuntimeStatus, listenerText: (path: string) => string): string {
  const r = status.runtime;
  const where = [r.socket === null ? undefined : listenerText(r.socket), r.url ?? undefined].filter(
    (w) => w !== undefined,
  );
  const lines = [
    `Lictor Runtime ${r.id}, version ${r.version}, running since ${r.startedAt}`,
    `  listening on: ${where.join(', ')}`,
    `  state: ${r.stateDir}`,
    `  sessions: ${status.sessions.count} (${status.sessions.processes} processes); seats held: ${status.seats.count}`,
  ];
  if (status.products.length === 0) lines.push('  licenses: no application has asked for one yet');
  for (const p of status.products) {
    lines.push(`  ${p.product} (vendor key ${p.vendorKeyId}, ${p.role} ${p.bitness}-bit):`);
    if (p.files.length === 0) lines.push('    no license file');
    for (const f of p.files) {
      const why = f.code === undefined ? '' : `: ${f.code} ${f.reason ?? ''}`.trimEnd();
      lines.push(
        `    ${f.state.padEnd(11)} ${(f.serial ?? '').padEnd(17)} ${f.file}${f.state === 'available' ? '' : why}`,
      );
    }
  }
  return lines.join('\n');
}

/** Registers `lictor runtime`. */
export function registerRuntime(program: Command, io: Io): void {
  const runtime = program
    .command('runtime')
    .description('the Lictor Runtime: the local licensing service applications in any language ask');

  addServeTokenOptions(
    runtime
      .command('serve')
      .description('serve licensing to the programs of this computer (Unix socket and loopback HTTP, and its tokens)'),
  )
    .option('--state-dir <dir>', 'state directory (default: LICTOR_RUNTIME_HOME, else a machine-wide directory)')
    .option('--socket <path>', 'Unix socket (default: $XDG_RUNTIME_DIR/lictor/runtime.sock, else /run/lictor for root)')
    .option('--no-socket', 'no Unix socket')
    .option('--pipe <name>', 'Windows: listen on the named pipe \\\\.\\pipe\\<name> instead of a Unix socket')
    .option(
      '--socket-mode <mode>',
      "socket file mode: 600 (the runtime's user) or 660 (its group too); default 660 for root, else 600",
      socketMode,
    )
    .option('--port <n>', 'loopback TCP port (0: any free port)', port, 8791)
    .option('--host <host>', 'loopback address to listen on (127.0.0.1 or ::1)', '127.0.0.1')
    .option('--no-http', 'no loopback TCP')
    .option(
      '--license-path <dir>',
      'directory searched for license files (repeatable; default: the store, LICTOR_LICENSE_PATH, per-machine)',
      collect,
    )
    .option('--max-os-sessions <n>', 'OS sessions one license file serves (default 256)', positiveInt)
    .option('--max-processes <n>', 'processes of one OS session one license file serves (default 256)', positiveInt)
    .option(
      '--center <url>',
      "License Center to download --public-key's blacklist from every 6 h (default: LICTOR_CENTER)",
    )
    .option('--public-key <key>', 'vendor public key whose blacklist --center serves (default: LICTOR_PUBLIC_KEY)')
    .option('--blacklist-refresh-hours <n>', 'hours between blacklist downloads (default 6)', positiveInt)
    .option('--no-memory-saver', "leave V8's memory saver mode off (lictor turns it on where V8 has it: Node 24)")
    .addOption(logLevelOption())
    .action(async (opts: ServeOptions) => {
      const blacklistRefresh = blacklistRefreshOf(opts, io.env);
      const { openRuntime, defaultStateDir, listenerText } = await loadRuntime();
      const limits = {
        ...(opts.maxOsSessions === undefined ? {} : { maxOsSessionsPerFile: opts.maxOsSessions }),
        ...(opts.maxProcesses === undefined ? {} : { maxProcessesPerOsSession: opts.maxProcesses }),
      };
      const running = await openRuntime({
        stateDir: opts.stateDir || io.env.LICTOR_RUNTIME_HOME || defaultStateDir(io.env),
        ...(typeof opts.socket === 'string' ? { socket: opts.socket } : opts.socket === false ? { socket: null } : {}),
        ...(opts.pipe === undefined ? {} : { pipe: opts.pipe }),
        ...(blacklistRefresh.length === 0 ? {} : { blacklistRefresh }),
        ...(opts.socketMode === undefined ? {} : { socketMode: opts.socketMode }),
        port: opts.http ? opts.port : null,
        host: opts.host,
        ...(opts.licensePath ? { licensePaths: opts.licensePath } : {}),
        limits,
        logger: { level: opts.logLevel, stream: process.stderr },
        computer: { env: io.env, ...computerOptions(io) },
        ...serveTokenOptions(opts),
      });
      const listener = running.socket === null ? undefined : listenerText(running.socket);
      const where = [running.url, listener].filter(Boolean);
      io.out(`Lictor Runtime ${running.id} listening on ${where.join(' and ')}`);
      io.out(`  state: ${running.stateDir} (license store: ${running.licensesDir})`);
      const { maxOsSessionsPerFile, maxProcessesPerOsSession } = running.runtime.sessions.limits;
      io.out(
        `  sessions: at most ${maxOsSessionsPerFile} OS sessions per license file, ${maxProcessesPerOsSession} processes per OS session`,
      );
      // Set by bin/lictor.js before anything was loaded (v8-flags.ts); `--no-memory-saver` is read there.
      if (memorySaverOn()) io.out("  memory: V8's memory saver mode");
      for (const b of blacklistRefresh) {
        io.out(`  blacklist: from ${b.center} every ${(b.intervalMs ?? 6 * 3_600_000) / 3_600_000} h`);
      }
      if (running.socket === null && opts.socket !== false) {
        io.out('  no Unix socket: set XDG_RUNTIME_DIR or pass --socket PATH');
      }
      await untilStopped(io);
      await running.close();
    });

  runtime
    .command('status')
    .description('what the Lictor Runtime of this computer serves')
    .option(
      '--socket <path>',
      "the runtime's Unix socket (default: the default socket, on Windows the pipe lictor-runtime, then http://127.0.0.1:8791)",
    )
    .option('--pipe <name>', "Windows: the runtime's named pipe \\\\.\\pipe\\<name>")
    .option('--url <url>', "the runtime's loopback address, e.g. http://127.0.0.1:8791")
    .option('--json', 'print JSON')
    .action(async (opts: StatusOptions) => {
      const status = await fetchStatus(await statusTargets(opts, io.env));
      const { listenerText } = await loadRuntime();
      io.out(opts.json ? JSON.stringify(status, null, 2) : formatRuntimeStatus(status, listenerText));
    });
}
