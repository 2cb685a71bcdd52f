/** Option values shared by several commands: data directories, the vendor key, owner data. */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LictorError, type Owner, parsePublicKey, type VendorPublicKey } from '@lictor/protocol';
import { type Command, InvalidArgumentError, Option } from 'commander';

/** A per-user data directory of Lictor's own (`center`, `manager`), following the OS's convention. */
function userDataDir(name: string, env: NodeJS.ProcessEnv): string {
  if (process.platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Lictor', name);
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'lictor', name);
}

/** The License Center's data directory: `--data`, else `LICTOR_HOME`, else a per-user directory. */
export function centerDataDir(data: string | undefined, env: NodeJS.ProcessEnv): string {
  return data || env.LICTOR_HOME || userDataDir('center', env);
}

/** The License Manager's data directory: `--data`, else `LICTOR_MANAGER_HOME`, else a per-user directory. */
export function managerDataDir(data: string | undefined, env: NodeJS.ProcessEnv): string {
  return data || env.LICTOR_MANAGER_HOME || userDataDir('manager', env);
}

/** Reads a file the user named on the command line; a failure is a typed refusal that names it. */
export async function readInputFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new LictorError('LICTOR_E_FILE_UNREADABLE', `cannot read ${path}: ${(err as Error).message}`);
  }
}

/** The vendor public key: `--public-key`, else `LICTOR_PUBLIC_KEY`. */
export function vendorPublicKey(option: string | undefined, env: NodeJS.ProcessEnv): VendorPublicKey {
  const text = option ?? env.LICTOR_PUBLIC_KEY;
  if (!text) {
    throw new LictorError(
      'LICTOR_E_PUBLIC_KEY_INVALID',
      "the vendor public key is needed: pass --public-key KEY or set LICTOR_PUBLIC_KEY (the vendor prints it with 'lictor center public-key')",
    );
  }
  return parsePublicKey(text);
}

/**
 * The License Center's address from `--center` (or `LICTOR_CENTER`): an `http:` or `https:` URL.
 * Anything else (`127.0.0.1:8787` without its scheme, a typo) is `LICTOR_E_INVALID_INPUT` with
 * the fix, never a URL parser's stack.
 */
export function centerUrl(text: string, option = '--center'): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    const example = /^[\w.-]+:\d+$|^[\w.-]+$/.test(text) ? `http://${text}` : 'http://127.0.0.1:8787';
    throw new LictorError(
      'LICTOR_E_INVALID_INPUT',
      `${option} ${text} is not a URL: write the scheme too, e.g. ${option}${option.startsWith('--') ? ' ' : '='}${example}`,
      { field: option, value: text },
    );
  }
  return text;
}

/** Default of `--timeout`: how long a command waits for a License Center or Manager, in seconds. */
export const DEFAULT_TIMEOUT_SECONDS = 30;

/** `--timeout SECONDS` of the commands that wait for a server. */
export function timeoutOption(what: string, defaultSeconds = DEFAULT_TIMEOUT_SECONDS): Option {
  return new Option('--timeout <seconds>', `give up when ${what} has not answered after this many seconds`)
    .argParser(positiveInt)
    .default(defaultSeconds);
}

/**
 * Runs `run` (a call that gives up after `--timeout`); when it timed out, the refusal says how
 * to wait longer.
 */
export async function withTimeoutHint<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (
      err instanceof LictorError &&
      (typeof err.details?.timeoutMs === 'number' || /no answer within \d+ ms/.test(err.message))
    ) {
      throw new LictorError(err.code, `${err.message}; to wait longer, give --timeout SECONDS`, err.details);
    }
    throw err;
  }
}

/** Parses a positive integer option. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number ≥ 1');
  return n;
}

/** Parses a whole number ≥ 0 option. */
export function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number ≥ 0');
  return n;
}

/** Parses a TCP port (0 picks a free one). */
export function port(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number 0–65535');
  return n;
}

/** Collects repeated options into a list. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `CODE` or `CODE=USERS` → a feature grant. */
export function parseFeature(text: string): { code: string; users: number | null } {
  const [code = '', users] = text.split('=', 2);
  if (users === undefined) return { code, users: null };
  const n = Number(users);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new LictorError('LICTOR_E_INVALID_INPUT', `--feature ${text}: the user count must be a whole number ≥ 1`);
  }
  return { code, users: n };
}

/** `--log-level` of the long-running servers' JSON logs on stderr. */
export function logLevelOption(): Option {
  return new Option('--log-level <level>', 'log level of the JSON logs on stderr')
    .choices(['fatal', 'error', 'warn', 'info', 'debug'])
    .default('info');
}

/** Adds `--company`, `--email` and `--owner`, read by {@link ownerFrom}; `when` prefixes their help (`with --code: `). */
export function addOwnerOptions(cmd: Command, when = ''): Command {
  return cmd
    .option('--company <name>', `${when}owner company`)
    .option('--email <address>', `${when}owner contact e-mail`)
    .option('--owner <field=value>', `${when}other owner data the product asks for (repeatable)`, collect);
}

/** Owner registration data from `--company`, `--email` and repeated `--owner key=value`. */
export function ownerFrom(opts: { company?: string; email?: string; owner?: string[] }): Owner {
  const owner: Owner = {};
  for (const pair of opts.owner ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new LictorError('LICTOR_E_INVALID_INPUT', `--owner ${pair}: use --owner field=value`);
    owner[pair.slice(0, at)] = pair.slice(at + 1);
  }
  if (opts.company !== undefined) owner.company = opts.company;
  if (opts.email !== undefined) owner.email = opts.email;
  return owner;
}

/** `YYYY-MM-DD` (valid through that day, UTC) or a full ISO instant → ISO instant. */
export function expiryFrom(text: string): string {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const ms = Date.parse(day ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(ms))
    throw new LictorError('LICTOR_E_INVALID_INPUT', `--expires ${text}: use a date like 2027-12-31`);
  return new Date(day ? ms + 86_400_000 : ms).toISOString();
}
