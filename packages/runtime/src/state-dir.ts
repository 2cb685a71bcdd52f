/**
 * The runtime's state directory, one per computer (`--state-dir`, default machine-wide), made
 * 0700 for the runtime's own user:
 *
 * - `runtime.json`: the runtime's id, made at the first start;
 * - `hardware.json` (+ `.lock`): the sealed hardware snapshot, collected at most once a day;
 * - `licenses/`: the license store. Activations through the runtime write their files here;
 *   the SDK keeps here what it persists per store: the last-used record (`lictor-usage.json`),
 *   pending offline requests, container key files, upgrade records.
 *
 * Seam: the trusted-time mark and the blacklist copies are also kept by the SDK in its store
 * (another branch adds them), so they land in `licenses/` too; the periodic blacklist refresh
 * will be one more timer of `openRuntime` on its scheduler.
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readTextIfExists, writeFileAtomic } from '@lictor/node-io';
import { LictorError } from '@lictor/protocol';

/** The files and directories of a state directory. */
export interface StateLayout {
  readonly dir: string;
  readonly identityFile: string;
  readonly hardwareFile: string;
  readonly licensesDir: string;
}

/** The layout of the state directory `dir`. */
export function stateLayout(dir: string): StateLayout {
  return {
    dir,
    identityFile: join(dir, 'runtime.json'),
    hardwareFile: join(dir, 'hardware.json'),
    licensesDir: join(dir, 'licenses'),
  };
}

/** The machine-wide state directory of the runtime on this OS. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (platform === 'win32') return join(env.ProgramData ?? 'C:\\ProgramData', 'Lictor', 'runtime');
  if (platform === 'darwin') return join('/Library', 'Application Support', 'Lictor', 'runtime');
  return '/var/lib/lictor/runtime';
}

/**
 * The default Unix socket: `$XDG_RUNTIME_DIR/lictor/runtime.sock`, else for root
 * `/run/lictor/runtime.sock` (`/var/run/lictor/runtime.sock` on macOS); `undefined` otherwise
 * (name one with `--socket`). Windows has none yet (a named pipe later): loopback HTTP only.
 */
export function defaultSocketPath(
  env: NodeJS.ProcessEnv = process.env,
  platform = process.platform,
  uid: number | undefined = process.getuid?.(),
): string | undefined {
  if (platform === 'win32') return undefined;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'lictor', 'runtime.sock');
  if (uid === 0) return platform === 'darwin' ? '/var/run/lictor/runtime.sock' : '/run/lictor/runtime.sock';
  return undefined;
}

/** Creates the state directory (0700) and its license store; a directory that cannot be made is a typed refusal. */
export async function prepareStateDir(layout: StateLayout): Promise<void> {
  try {
    await mkdir(layout.dir, { recursive: true, mode: 0o700 });
    await mkdir(layout.licensesDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new LictorError(
      'LICTOR_E_FILE_UNREADABLE',
      `cannot create the runtime's state directory ${layout.dir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): run as the service's user, or name another with --state-dir`,
      { dir: layout.dir },
    );
  }
}

/** The runtime's id from `runtime.json`, made and written at the first start. */
export async function runtimeId(layout: StateLayout): Promise<string> {
  const text = await readTextIfExists(layout.identityFile);
  if (text !== undefined) {
    try {
      const parsed = JSON.parse(text) as { id?: unknown };
      if (typeof parsed.id === 'string' && parsed.id !== '') return parsed.id;
    } catch {
      // A damaged file: a new id is made below.
    }
  }
  const id = randomUUID();
  await writeFileAtomic(layout.identityFile, `${JSON.stringify({ id, createdAt: new Date().toISOString() })}\n`, 0o600);
  return id;
}
