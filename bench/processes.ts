/**
 * The processes the benchmarks drive: `lictor center serve` and `lictor manager serve` as a
 * customer runs them, and bench-only servers (bare `node:http`) under plain `node`. With
 * {@link pinCores} the servers run on core 0 and this process (the load generator) on core 1.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The `lictor` command of this checkout (built by `npm run build`). */
export const LICTOR_BIN = fileURLToPath(new URL('../packages/cli/bin/lictor.js', import.meta.url));

let pinned = false;

/**
 * Runs every server started from now on on core 0 (`taskset -c 0`) and this process, the load
 * generator, on core 1, so that the two do not take turns on one core.
 */
export function pinCores(): void {
  execFileSync('taskset', ['-pc', '1', String(process.pid)], { stdio: 'ignore' });
  pinned = true;
}

/** Whether {@link pinCores} was called. */
export function coresPinned(): boolean {
  return pinned;
}

/** A server in its own process. */
export interface ServerProcess {
  readonly pid: number;
  readonly url: string;
  readonly port: number;
  /** Stops it (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts `node <args>` (pinned to core 0 with {@link pinCores}) and resolves once its stdout
 * names the URL it listens on. Its stderr (the JSON logs of a Lictor service) goes to `logFile`,
 * or is dropped.
 */
export async function startServer(args: readonly string[], logFile?: string): Promise<ServerProcess> {
  const err = logFile === undefined ? 'ignore' : openSync(logFile, 'a');
  const command = pinned ? 'taskset' : process.execPath;
  const argv = pinned ? ['-c', '0', process.execPath, ...args] : [...args];
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', err] });
  if (typeof err === 'number') closeSync(err);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m?.[1]) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`bench: ${args.join(' ')} exited with ${code}: ${out}`)));
  });
  return serverProcess(child, url);
}

function serverProcess(child: ChildProcess, url: string): ServerProcess {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    pid: child.pid as number,
    url,
    port: Number(new URL(url).port),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * A bench script (`bench/<name>.ts`) as plain JavaScript in node_modules/.cache, so that it runs
 * under plain `node` like the `lictor` command (the tsx loader adds a thread and ~45 MB).
 * Only files without imports of other bench files, or those named in `alongside`, work.
 */
export async function plainScript(name: string, alongside: readonly string[] = []): Promise<string> {
  const dir = fileURLToPath(new URL('../node_modules/.cache/lictor-bench/', import.meta.url));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
  const { default: ts } = await import('typescript');
  for (const file of [name, ...alongside]) {
    const source = await readFile(new URL(`./${file}.ts`, import.meta.url), 'utf8');
    const compilerOptions = {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
    };
    await writeFile(join(dir, `${file}.js`), ts.transpileModule(source, { compilerOptions }).outputText);
  }
  return join(dir, `${name}.js`);
}

/** Runs `lictor <args>` (the `bin` script: this checkout's by default) to the end and returns its stdout. */
export async function lictor(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  bin = LICTOR_BIN,
): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [bin, ...args], {
    env,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/**
 * A License Manager data directory in `dir` serving one multi-user license of `seats` seats for
 * product `ERP`, activated online from a License Center made for it (as a customer does). Returns
 * the directory and the vendor public key `lictor manager serve` needs.
 */
export async function managerWorld(
  dir: string,
  seats: number,
  bin = LICTOR_BIN,
): Promise<{ dataDir: string; publicKey: string }> {
  const center = join(dir, 'vendor-center');
  const dataDir = join(dir, 'manager');
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: join(dir, 'home') };
  await lictor(['center', 'init', '--data', center], env, bin);
  const publicKey = (await lictor(['center', 'public-key', '--data', center], env, bin)).trim();
  env.LICTOR_PUBLIC_KEY = publicKey;
  await lictor(['center', 'product', 'add', 'ERP', '--name', 'Bench ERP', '--data', center], env, bin);
  const issued = JSON.parse(
    await lictor(
      ['center', 'issue', '--product', 'ERP', '--type', 'multi', '--users', String(seats), '--json', '--data', center],
      env,
      bin,
    ),
  ) as { serial: string; pins: { pin: string }[] };
  const server = await startServer([bin, 'center', 'serve', '--data', center, '--port', '0', '--log-level', 'warn']);
  try {
    await lictor(
      [
        'activate',
        '--center',
        server.url,
        '--serial',
        issued.serial,
        '--pin',
        issued.pins[0]?.pin ?? '',
        '--company',
        'Bench Ltd',
        '--email',
        'it@bench.example',
        '--store',
        join(dataDir, 'licenses'),
      ],
      env,
      bin,
    );
  } finally {
    await server.stop();
  }
  return { dataDir, publicKey };
}

/**
 * `lictor manager serve` of `dataDir` on a free port, with its defaults except the UDP ports
 * (discovery and duplicate detection off, so that it cannot collide with another manager on
 * this host) and `logLevel`; its stderr (the JSON logs) goes to `logFile`. `nodeFlags` go to
 * `node` before the script (e.g. `--cpu-prof`); `bin`: the `lictor` script (another checkout's
 * to compare with).
 */
export function serveManager(
  dataDir: string,
  publicKey: string,
  logFile: string,
  logLevel?: string,
  nodeFlags: readonly string[] = [],
  bin = LICTOR_BIN,
): Promise<ServerProcess> {
  return startServer(
    [
      ...nodeFlags,
      bin,
      'manager',
      'serve',
      '--data',
      dataDir,
      '--public-key',
      publicKey,
      '--port',
      '0',
      '--discovery-port',
      '0',
      '--announce-port',
      '0',
      ...(logLevel === undefined ? [] : ['--log-level', logLevel]),
    ],
    logFile,
  );
}

/**
 * `lictor center serve` of `dataDir` on a free port; its stderr (the JSON logs) goes to `logFile`.
 * Without its rate limits (30 activations a minute per client address by default): the whole
 * load comes from this one address.
 */
export function serveCenter(
  dataDir: string,
  logFile: string,
  logLevel?: string,
  nodeFlags: readonly string[] = [],
  bin = LICTOR_BIN,
): Promise<ServerProcess> {
  return startServer(
    [
      ...nodeFlags,
      bin,
      'center',
      'serve',
      '--data',
      dataDir,
      '--port',
      '0',
      '--client-rate-limit',
      '0',
      '--serial-rate-limit',
      '0',
      ...(logLevel === undefined ? [] : ['--log-level', logLevel]),
    ],
    logFile,
  );
}
