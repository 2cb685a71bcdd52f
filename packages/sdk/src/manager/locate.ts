/**
 * Where the network License Managers are: the role `nethasp.ini` plays for HASP.
 *
 * Sources, in order; the first one that names at least one manager wins (the managers it
 * names are then tried in their written order, see {@link connectManager}):
 *
 * 1. the explicit `managers` option (URLs or `host[:port]`);
 * 2. the first `lictor.ini` file that exists, searched in the application directory
 *    (`appDir` option), then the per-user configuration directory
 *    (`$XDG_CONFIG_HOME/lictor/lictor.ini`, else `~/.config/lictor/lictor.ini`;
 *    `%APPDATA%\Lictor\lictor.ini` on Windows), then the per-machine one
 *    (`/etc/lictor/lictor.ini`; `%ProgramData%\Lictor\lictor.ini` on Windows);
 *    an existing file that names no manager is skipped;
 * 3. the `LICTOR_MANAGER` environment variable (comma-separated addresses);
 * 4. the `discover` option: automatic discovery on the LAN. `locateManagers` calls it only
 *    when given; `connectManager` passes UDP discovery (`discover.ts`) unless told not to.
 *
 * ### `lictor.ini`
 *
 * ```ini
 * ; the License Managers of this site, tried in this order
 * [managers]
 * address = licenses.example.lan        ; default port 8790
 * address = 10.0.0.12:9000
 * address = https://lm2.example.lan:8790
 * # IPv6: address = [fd00::12]:8790
 * ```
 *
 * A `[managers]` section holds `address = …` lines (repeatable). Comments start with `;` or
 * `#` (at the start of a line, or after a space); blank lines, surrounding spaces and CRLF
 * line ends are accepted; keys and section names are case-insensitive. Other sections are
 * ignored (reserved for later use). A line that cannot be understood is refused with
 * `LICTOR_E_INVALID_INPUT` naming the file and the line number.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LictorError } from '@lictor/protocol';

/** The port a License Manager listens on when an address names none. */
export const DEFAULT_MANAGER_PORT = 8790;

/** Options that decide where the License Managers are looked for. */
export interface LocateOptions {
  /** Explicit manager addresses (`http(s)://host:port`, `host:port` or `host`); replaces every other source. */
  managers?: string[];
  /** The application's own directory, searched first for `lictor.ini`. */
  appDir?: string;
  /** Environment to read (`LICTOR_MANAGER`, `XDG_CONFIG_HOME`, `APPDATA`, `ProgramData`); default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Replaces the list of `lictor.ini` files searched (application, per-user, per-machine). */
  configPaths?: string[];
  /** Platform to compute default paths for; default `process.platform`. */
  platform?: NodeJS.Platform;
  /** Last-resort discovery on the LAN; returns manager addresses, fastest first. Not called when absent. */
  discover?: () => Promise<string[]>;
}

/** The managers found and where they came from. */
export interface LocatedManagers {
  /** Normalised base URLs (`http://host:port`), in the order to try them, duplicates dropped. */
  managers: string[];
  source: 'option' | 'ini' | 'env' | 'discover' | 'none';
  /** The `lictor.ini` file used when `source` is `'ini'`. */
  file?: string;
  /** Every place that was looked at, for error messages. */
  searched: string[];
}

/** The `lictor.ini` files searched by default, in order. */
export function managerConfigPaths(options: Pick<LocateOptions, 'appDir' | 'env' | 'platform'> = {}): string[] {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const paths: string[] = [];
  if (options.appDir) paths.push(join(options.appDir, 'lictor.ini'));
  if (platform === 'win32') {
    paths.push(join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Lictor', 'lictor.ini'));
    paths.push(join(env.ProgramData ?? 'C:\\ProgramData', 'Lictor', 'lictor.ini'));
  } else {
    paths.push(join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'lictor', 'lictor.ini'));
    paths.push('/etc/lictor/lictor.ini');
  }
  return [...new Set(paths)];
}

/**
 * Turns `host`, `host:port`, `[v6]:port` or `http(s)://host[:port]` into a base URL
 * (`http://host:port`, no trailing slash). Throws `LICTOR_E_INVALID_INPUT` otherwise.
 */
export function normalizeManagerAddress(address: string): string {
  const text = address.trim();
  const fail = (why: string): never => {
    throw new LictorError('LICTOR_E_INVALID_INPUT', `"${address}" is not a License Manager address: ${why}`, {
      field: 'address',
    });
  };
  if (text === '') return fail('it is empty');
  const m = /^(?:(https?):\/\/)?(\[[0-9a-f:.]+\]|[^\s:/?#@[\]]+)(?::(\d*))?(\/)?$/i.exec(text);
  if (!m) return fail('expected host[:port] or http(s)://host[:port] (write IPv6 addresses as [addr]:port)');
  const [, scheme = 'http', host = '', portText, slash] = m;
  if (slash && !m[1]) return fail('expected host[:port]');
  const port = portText === undefined ? DEFAULT_MANAGER_PORT : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535 || portText === '') {
    return fail('the port must be a number from 1 to 65535');
  }
  let url: URL;
  try {
    url = new URL(`${scheme.toLowerCase()}://${host}`);
  } catch {
    return fail('the host is not valid');
  }
  return `${url.protocol}//${url.hostname}:${port}`;
}

/**
 * Parses the text of a `lictor.ini` file into normalised manager URLs. `file` only serves
 * error messages. Throws `LICTOR_E_INVALID_INPUT` with `details: { file, line }`.
 */
export function parseManagerIni(text: string, file = 'lictor.ini'): string[] {
  const managers: string[] = [];
  let section = '';
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const lineNo = i + 1;
    const fail = (why: string): never => {
      throw new LictorError('LICTOR_E_INVALID_INPUT', `${file}, line ${lineNo}: ${why}: ${raw.trim()}`, {
        file,
        line: lineNo,
      });
    };
    const line = stripComment(raw).trim();
    if (line === '') continue;
    if (line.startsWith('[')) {
      const m = /^\[\s*([^\]\s][^\]]*?)\s*\]$/.exec(line);
      if (!m?.[1]) return fail('expected a section header like [managers]');
      section = m[1].toLowerCase();
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) return fail('expected "key = value"');
    if (section !== 'managers') continue;
    const key = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    if (key !== 'address') return fail(`unknown key "${key}" in [managers] (expected "address")`);
    try {
      managers.push(normalizeManagerAddress(value));
    } catch (err) {
      return fail(err instanceof LictorError ? err.message : String(err));
    }
  }
  return [...new Set(managers)];
}

/** Drops a `;`/`#` comment: at the start of the line or preceded by white space. */
function stripComment(line: string): string {
  const m = /(^|\s)[;#]/.exec(line);
  return m ? line.slice(0, m.index) : line;
}

/** The addresses named by `LICTOR_MANAGER` (comma-separated), normalised. */
export function envManagers(env: NodeJS.ProcessEnv = process.env): string[] {
  const value = env.LICTOR_MANAGER;
  if (!value) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return normalizeManagerAddress(s);
      } catch (err) {
        throw new LictorError(
          'LICTOR_E_INVALID_INPUT',
          `LICTOR_MANAGER: ${err instanceof LictorError ? err.message : String(err)}`,
          { field: 'LICTOR_MANAGER' },
        );
      }
    });
}

/** Finds the License Managers (see the module documentation for the order). */
export async function locateManagers(options: LocateOptions = {}): Promise<LocatedManagers> {
  const searched: string[] = [];
  if (options.managers && options.managers.length > 0) {
    return {
      managers: [...new Set(options.managers.map(normalizeManagerAddress))],
      source: 'option',
      searched: ['managers option'],
    };
  }
  for (const file of options.configPaths ?? managerConfigPaths(options)) {
    searched.push(file);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new LictorError('LICTOR_E_FILE_UNREADABLE', `cannot read ${file}: ${(err as Error).message}`, { file });
    }
    const managers = parseManagerIni(text, file);
    if (managers.length > 0) return { managers, source: 'ini', file, searched };
  }
  searched.push('LICTOR_MANAGER');
  const fromEnv = [...new Set(envManagers(options.env ?? process.env))];
  if (fromEnv.length > 0) return { managers: fromEnv, source: 'env', searched };
  if (options.discover) {
    searched.push('discovery');
    const found = [...new Set((await options.discover()).map(normalizeManagerAddress))];
    if (found.length > 0) return { managers: found, source: 'discover', searched };
  }
  return { managers: [], source: 'none', searched };
}
