/** Where license files are searched for and written, per operating system. */
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Options that decide the search paths. */
export interface SearchPathOptions {
  /** Replaces every default path when given. */
  paths?: string[];
  /** The application's own directory, searched last. */
  appDir?: string;
  /** Environment to read (`LICTOR_LICENSE_PATH`, `XDG_DATA_HOME`, `APPDATA`, ...); default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Platform to compute paths for; default `process.platform`. */
  platform?: NodeJS.Platform;
}

/** The per-user license directory. */
export function userLicenseDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Lictor', 'licenses');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Lictor', 'licenses');
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'lictor', 'licenses');
}

/** The per-machine license directory (written by an administrator, read by everyone). */
export function machineLicenseDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (platform === 'win32') return join(env.ProgramData ?? 'C:\\ProgramData', 'Lictor', 'licenses');
  if (platform === 'darwin') return join('/Library', 'Application Support', 'Lictor', 'licenses');
  return '/var/lib/lictor/licenses';
}

/** The `LICTOR_LICENSE_PATH` entries (`:`-separated, `;` on Windows), empty ones dropped. */
function envLicensePaths(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string[] {
  const value = env.LICTOR_LICENSE_PATH;
  if (!value) return [];
  return value.split(platform === 'win32' ? ';' : delimiter).filter((p) => p !== '');
}

/**
 * The directories searched, in order: `LICTOR_LICENSE_PATH`, per-user, per-machine, the
 * application directory. Duplicates are dropped.
 */
export function licenseSearchPaths(options: SearchPathOptions = {}): string[] {
  if (options.paths) return [...new Set(options.paths)];
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const dirs = [...envLicensePaths(env, platform), userLicenseDir(env, platform), machineLicenseDir(env, platform)];
  if (options.appDir) dirs.push(options.appDir);
  return [...new Set(dirs)];
}

/** The directory a new license file is written to: the first `LICTOR_LICENSE_PATH` entry, else per-user. */
export function licenseWriteDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  return envLicensePaths(env, platform)[0] ?? userLicenseDir(env, platform);
}
