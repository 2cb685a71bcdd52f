/**
 * The License Center's data directory: the vendor key pair, the PIN pepper, the admin token
 * hash and (by default) the SQLite database.
 *
 *   vendor.key      Ed25519 private key, PKCS#8 PEM, 0600
 *   vendor.pub      public key text, what applications embed
 *   pin-pepper.key  32 random bytes keying the PIN HMACs, 0600
 *   center.json     schema version, SHA-256 of the admin token, public key
 *   center.db       SQLite database unless LICTOR_DATABASE_URL selects PostgreSQL
 */
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { generateVendorKeys, LictorError, loadSigner, randomBytes, sha256, toBase64Url, toHex } from '@lictor/protocol';
import type { DatabaseConfig } from '../store/dialect.js';
import { databaseConfigFromEnv, openStore } from '../store/open.js';
import { createCenter } from './center.js';
import { integerIn } from './input.js';
import type { RateLimitOptions } from './rate-limits.js';
import { inlineSealer, workerSealer } from './sealer.js';
import type { Center } from './types.js';

const FILES = {
  privateKey: 'vendor.key',
  publicKey: 'vendor.pub',
  pinPepper: 'pin-pepper.key',
  config: 'center.json',
} as const;
const CONFIG_SCHEMA_VERSION = 1;
const PEPPER_LENGTH = 32;
const DEFAULT_REQUEST_MAX_AGE_DAYS = 30;
const MAX_REQUEST_MAX_AGE_DAYS = 3650;

/** Options of {@link initCenter} and {@link openCenter}. */
export interface CenterOptions {
  /** Default: from `env` (`LICTOR_DATABASE_URL`), else `<dataDir>/center.db`. */
  database?: DatabaseConfig;
  /** Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** The clock; tests pass a fixed one. */
  now?: () => Date;
  /** Where license files are signed: a worker thread (default, faster) or the calling thread. */
  signing?: 'worker' | 'inline';
  /** Offline requests (files and codes) older than this many days are refused; default 30. */
  requestMaxAgeDays?: number;
  /** Rate limits of the public endpoints (per client address, per serial); see `DEFAULT_RATE_LIMITS`. */
  rateLimits?: RateLimitOptions;
}

/** What {@link initCenter} created. The admin token is shown this once and stored only hashed. */
export interface InitCenterResult {
  adminToken: string;
  /** The vendor public key text (`lictor-ed25519:…`). */
  publicKey: string;
  dataDir: string;
  files: {
    privateKey: string;
    publicKey: string;
    pinPepper: string;
    config: string;
    /** The SQLite file, or `null` when the database is PostgreSQL. */
    database: string | null;
  };
}

interface CenterConfigFile {
  schemaVersion: number;
  adminTokenHash: string;
  publicKey: string;
  createdAt: string;
}

function alreadyInitialized(dir: string): LictorError {
  return new LictorError(
    'LICTOR_E_CENTER_EXISTS',
    `${dir} already holds a License Center; its keys are never overwritten (choose another directory)`,
    { dataDir: dir },
  );
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}

/**
 * Writes a new file atomically and never over an existing one: the data goes to a temporary
 * file (`wx`), is flushed, then hard-linked to its name. Unlike rename, link fails with EEXIST
 * instead of replacing the target, so a concurrent init can never swap a key.
 */
async function writeNewFile(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  const tmp = `${path}.${toHex(randomBytes(6))}.tmp`;
  const handle = await open(tmp, 'wx', mode);
  try {
    await handle.chmod(mode);
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(tmp, path);
  } finally {
    await unlink(tmp);
  }
}

/** A new admin API token (256 random bits); only its SHA-256 is stored. */
function newAdminToken(): string {
  return `lictor-admin-${toBase64Url(randomBytes(32))}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await (await open(path, 'r')).close();
    return true;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false;
    throw error;
  }
}

/**
 * Creates a License Center in `dataDir` (made with mode 0700 when missing): new vendor keys, a
 * PIN pepper, an admin token, and the migrated database. Refuses with `LICTOR_E_CENTER_EXISTS`
 * when the directory already has keys.
 */
export async function initCenter(dataDir: string, options: CenterOptions = {}): Promise<InitCenterResult> {
  const dir = resolve(dataDir);
  const path = (name: string) => join(dir, name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if ((await exists(path(FILES.privateKey))) || (await exists(path(FILES.config)))) throw alreadyInitialized(dir);

  const keys = generateVendorKeys();
  const adminToken = newAdminToken();
  const now = (options.now ?? (() => new Date()))();
  const config: CenterConfigFile = {
    schemaVersion: CONFIG_SCHEMA_VERSION,
    adminTokenHash: toHex(sha256(adminToken)),
    publicKey: keys.publicKey,
    createdAt: now.toISOString(),
  };
  try {
    // The private key is written first: it claims the directory.
    await writeNewFile(path(FILES.privateKey), keys.privatePem, 0o600);
  } catch (error) {
    if (isErrno(error, 'EEXIST')) throw alreadyInitialized(dir);
    throw error;
  }
  await writeNewFile(path(FILES.pinPepper), randomBytes(PEPPER_LENGTH), 0o600);
  await writeNewFile(path(FILES.publicKey), `${keys.publicKey}\n`, 0o644);
  await writeNewFile(path(FILES.config), `${JSON.stringify(config, null, 2)}\n`, 0o600);

  const database = options.database ?? databaseConfigFromEnv(dir, options.env);
  const store = await openStore(database);
  await store.close();

  return {
    adminToken,
    publicKey: keys.publicKey,
    dataDir: dir,
    files: {
      privateKey: path(FILES.privateKey),
      publicKey: path(FILES.publicKey),
      pinPepper: path(FILES.pinPepper),
      config: path(FILES.config),
      database: database.kind === 'sqlite' ? database.file : null,
    },
  };
}

async function readDataFile(dir: string, name: string): Promise<Buffer> {
  try {
    return await readFile(join(dir, name));
  } catch (error) {
    if (isErrno(error, 'ENOENT')) {
      throw new LictorError(
        'LICTOR_E_CENTER_NOT_INITIALIZED',
        `${dir} is not an initialized License Center (${name} is missing): run 'lictor center init --data ${dir}'`,
        { dataDir: dir, missing: name },
      );
    }
    throw new LictorError('LICTOR_E_FILE_UNREADABLE', `cannot read ${join(dir, name)}: ${(error as Error).message}`);
  }
}

function parseConfig(dir: string, bytes: Buffer): CenterConfigFile {
  const bad = (why: string) => new LictorError('LICTOR_E_FILE_FORMAT', `${join(dir, FILES.config)} ${why}`);
  let value: Partial<CenterConfigFile>;
  try {
    value = JSON.parse(bytes.toString('utf8')) as Partial<CenterConfigFile>;
  } catch {
    throw bad('is not valid JSON');
  }
  if (typeof value.schemaVersion !== 'number' || value.schemaVersion > CONFIG_SCHEMA_VERSION) {
    throw bad(
      `has schema version ${String(value.schemaVersion)}; this Lictor reads ${CONFIG_SCHEMA_VERSION}: upgrade Lictor`,
    );
  }
  if (typeof value.adminTokenHash !== 'string' || !/^[0-9a-f]{64}$/.test(value.adminTokenHash)) {
    throw bad('has no valid adminTokenHash');
  }
  if (typeof value.publicKey !== 'string') throw bad('has no publicKey');
  return value as CenterConfigFile;
}

/**
 * Replaces the admin token of the center in `dataDir` (on the host, by whoever can write the
 * data directory) and returns the new one, shown this once; the old token stops working when the
 * center is next opened (`lictor center serve` restarted). Keys and database are untouched.
 */
export async function reissueAdminToken(dataDir: string): Promise<{ adminToken: string; dataDir: string }> {
  const dir = resolve(dataDir);
  const config = parseConfig(dir, await readDataFile(dir, FILES.config));
  const adminToken = newAdminToken();
  const updated: CenterConfigFile = { ...config, adminTokenHash: toHex(sha256(adminToken)) };
  // Replaced atomically (a new file, flushed, renamed over the old): a crash keeps one valid token.
  const target = join(dir, FILES.config);
  const tmp = `${target}.${toHex(randomBytes(6))}.tmp`;
  await writeNewFile(tmp, `${JSON.stringify(updated, null, 2)}\n`, 0o600);
  await rename(tmp, target);
  return { adminToken, dataDir: dir };
}

/**
 * Opens an initialized License Center: loads the keys once and opens (and migrates) the
 * database. `LICTOR_E_CENTER_NOT_INITIALIZED` when the directory has no center.
 */
export async function openCenter(dataDir: string, options: CenterOptions = {}): Promise<Center> {
  const dir = resolve(dataDir);
  const requestMaxAgeDays =
    options.requestMaxAgeDays === undefined
      ? DEFAULT_REQUEST_MAX_AGE_DAYS
      : integerIn(options.requestMaxAgeDays, 'requestMaxAgeDays', 1, MAX_REQUEST_MAX_AGE_DAYS);
  const config = parseConfig(dir, await readDataFile(dir, FILES.config));
  const privatePem = (await readDataFile(dir, FILES.privateKey)).toString('utf8');
  const signer = loadSigner(privatePem);
  if (signer.publicKey.text !== config.publicKey) {
    throw new LictorError(
      'LICTOR_E_FILE_FORMAT',
      `${join(dir, FILES.privateKey)} does not match the public key in ${FILES.config}`,
    );
  }
  const pinPepper = new Uint8Array(await readDataFile(dir, FILES.pinPepper));
  if (pinPepper.length !== PEPPER_LENGTH) {
    throw new LictorError('LICTOR_E_FILE_FORMAT', `${join(dir, FILES.pinPepper)} must hold ${PEPPER_LENGTH} bytes`);
  }
  const store = await openStore(options.database ?? databaseConfigFromEnv(dir, options.env));
  return createCenter({
    dataDir: dir,
    store,
    signer,
    sealer: options.signing === 'inline' ? inlineSealer(signer) : workerSealer(privatePem, signer),
    pinPepper,
    adminTokenHash: new Uint8Array(Buffer.from(config.adminTokenHash, 'hex')),
    now: options.now ?? (() => new Date()),
    requestMaxAgeDays,
    ...(options.rateLimits === undefined ? {} : { rateLimits: options.rateLimits }),
  });
}
