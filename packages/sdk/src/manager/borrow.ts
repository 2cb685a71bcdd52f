/**
 * The borrower's side of borrowed seats (`borrow.ts` in protocol): where a borrowed seat is kept
 * (a `.borrow` file in the license store, which `openLicensing`'s `check()` reads offline), what
 * this computer is (machine secret and hardware, collected only when borrowing), and finding the
 * file of a seat to give back. The requests themselves are `ManagerClient.borrow` and
 * `returnBorrow` (`client.ts`).
 */
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BORROW_RETURN_HEADER,
  BORROWED_SEAT_FILE_SUFFIX,
  type BorrowedSeatFile,
  borrowedSeatFileText,
  borrowReturnSecret,
  type HardwareParams,
  isErrorCode,
  LictorError,
  MAX_BORROW_DAYS,
  parseBorrowedSeatFile,
} from '@lictor/protocol';
import { writeFileAtomic } from '../files.js';
import type { HardwareSource } from '../hardware/cache.js';
import { defaultHttpTransport, fetchTransport, type HttpAnswer } from '../http-transport.js';
import { defaultMachineSecret, type MachineSecretSource } from '../machine-secret.js';
import { licenseWriteDir } from '../paths.js';

/** Options of `ManagerClient.borrow`. */
export interface BorrowOptions {
  product: string;
  feature?: string;
  /** Days to borrow the seat for: at most what the license allows (its `borrowDays`). */
  days: number;
  /**
   * The license store the borrowed seat is written to; default as `openLicensing`'s: the first
   * `LICTOR_LICENSE_PATH` entry, else the per-user directory. Applications find it there offline.
   */
  store?: string;
  /** This computer's hardware; default: collected now. */
  hardware?: HardwareSource;
  /** This computer's machine secret; default from the OS machine id. */
  machineSecret?: MachineSecretSource;
}

/** A seat borrowed for offline use, as kept in the license store. */
export interface BorrowedSeatInfo {
  id: string;
  product: string;
  feature: string | null;
  /** The serial of the manager's license the seat comes from. */
  serial: string;
  grantedAt: Date;
  /** The seat returns to the manager by itself then (or at its license's end, if sooner). */
  until: Date;
  /** The License Manager that lent it, where it is given back. */
  manager: string;
  /** The `.borrow` file in the license store. */
  file: string;
}

/** Options of `ManagerClient.returnBorrow`: the file, or the product (and feature) borrowed. */
export interface ReturnBorrowOptions {
  /** The borrowed seat's file. */
  file?: string;
  /** Else: the product of the seat to give back (the one borrowed seat of it in the store). */
  product?: string;
  feature?: string;
  /** The license store; default as {@link BorrowOptions.store}. */
  store?: string;
  /** This computer's machine secret; default from the OS machine id. */
  machineSecret?: MachineSecretSource;
}

/** How {@link returnBorrowedSeat} reaches the manager. */
export interface ReturnTransport {
  /** Where the default store is (`LICTOR_LICENSE_PATH`). Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** The `fetch` to use (tests, proxies). Default: `node:http` (`node:https` for `https:`), not the global `fetch` (undici). */
  fetch?: typeof fetch;
  /** Give up after this many ms (default 5,000). */
  timeoutMs?: number;
}

/** What `ManagerClient.returnBorrow` did. */
export interface ReturnedBorrow {
  id: string;
  product: string;
  feature: string | null;
  manager: string;
  file: string;
  /**
   * `true`: the manager took the seat back. `false`: it did not hold it any more (it ended, an
   * administrator ended it, or the manager lost it); the file is removed either way.
   */
  returned: boolean;
}

/** The store a borrowed seat goes to, as `openLicensing` chooses its store. */
export function borrowStore(store: string | undefined, env: NodeJS.ProcessEnv): string {
  return store ?? licenseWriteDir(env);
}

/** `days`, checked: a whole number from 1 to {@link MAX_BORROW_DAYS}. */
export function borrowDays(days: unknown): number {
  if (typeof days !== 'number' || !Number.isSafeInteger(days) || days < 1 || days > MAX_BORROW_DAYS) {
    throw new LictorError('LICTOR_E_INVALID_INPUT', `days must be a whole number from 1 to ${MAX_BORROW_DAYS}`, {
      field: 'days',
    });
  }
  return days;
}

/** This computer's machine secret, from the options or the OS machine id. */
export function borrowerSecret(options: Pick<BorrowOptions, 'machineSecret'>): Promise<Uint8Array> {
  return (options.machineSecret ?? defaultMachineSecret())();
}

/** This computer's machine secret and hardware, from the options or collected now. */
export async function borrowerComputer(
  options: Pick<BorrowOptions, 'hardware' | 'machineSecret'>,
): Promise<{ secret: Uint8Array; hardware: HardwareParams }> {
  const secret = await borrowerSecret(options);
  // Loaded on first use: an application that only leases seats does not load hardware collection.
  const hardware = options.hardware
    ? await options.hardware()
    : await (await import('../hardware/collect.js')).collectHardware();
  return { secret, hardware };
}

/** Writes a borrowed seat into `store` as `borrowed_<id>.borrow`; returns its path. */
export async function writeBorrowedSeat(
  store: string,
  file: Omit<BorrowedSeatFile, 'format' | 'version' | 'seat'> & { seat: { id: string } },
): Promise<string> {
  const path = join(store, `borrowed_${file.seat.id.replace(/[^A-Za-z0-9_-]/g, '_')}${BORROWED_SEAT_FILE_SUFFIX}`);
  await writeFileAtomic(path, borrowedSeatFileText(file));
  return path;
}

/** The borrowed seat file `options` names: read and parsed (not verified: the manager judges). */
export async function findBorrowedSeat(
  options: ReturnBorrowOptions,
  env: NodeJS.ProcessEnv,
): Promise<{ path: string; file: BorrowedSeatFile }> {
  if (options.file !== undefined) {
    return { path: options.file, file: parseBorrowedSeatFile(await readFile(options.file, 'utf8')) };
  }
  if (options.product === undefined) {
    throw new LictorError('LICTOR_E_INVALID_INPUT', 'name the borrowed seat to give back: its file, or its product');
  }
  const store = borrowStore(options.store, env);
  const names = await readdir(store).catch(() => [] as string[]);
  const found: { path: string; file: BorrowedSeatFile }[] = [];
  for (const name of names.sort()) {
    if (!name.endsWith(BORROWED_SEAT_FILE_SUFFIX)) continue;
    const path = join(store, name);
    let file: BorrowedSeatFile;
    try {
      file = parseBorrowedSeatFile(await readFile(path, 'utf8'));
    } catch {
      continue;
    }
    if (file.seat.product === options.product && (options.feature ?? null) === file.seat.feature) {
      found.push({ path, file });
    }
  }
  const what = `${options.product}${options.feature === undefined ? '' : `/${options.feature}`}`;
  const first = found[0];
  if (first === undefined) {
    throw new LictorError('LICTOR_E_BORROW_UNKNOWN', `no borrowed seat of ${what} is kept in ${store}`, { store });
  }
  if (found.length > 1) {
    throw new LictorError(
      'LICTOR_E_INVALID_INPUT',
      `${found.length} borrowed seats of ${what} are kept in ${store}: name the file (${found.map((f) => f.path).join(', ')})`,
    );
  }
  return first;
}

/** Removes a borrowed seat file (gone already is fine). */
export async function removeBorrowedSeat(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

/** What a caller sees of a borrowed seat kept at `path`. */
export function borrowedSeatInfo(path: string, file: Pick<BorrowedSeatFile, 'manager' | 'seat'>): BorrowedSeatInfo {
  const { seat } = file;
  return {
    id: seat.id,
    product: seat.product,
    feature: seat.feature,
    serial: seat.serial,
    grantedAt: new Date(seat.grantedAt),
    until: new Date(seat.until),
    manager: file.manager,
    file: path,
  };
}

/**
 * Gives a borrowed seat back early to the manager that lent it (the one its file names, whatever
 * the site's list of managers says): `DELETE /v1/borrows/{id}` with the return secret only this
 * computer can make from its machine secret and the seat's nonce. The file is removed once the
 * manager took the seat back, or said it no longer held it for this computer (`returned: false`:
 * it ended, an administrator ended it, or the file was copied from another computer). Throws
 * `LICTOR_E_MANAGER_UNREACHABLE` (the file is kept: the seat stays borrowed) when the manager
 * cannot be reached. Needs no vendor key: the manager judges.
 */
export async function returnBorrowedSeat(
  options: ReturnBorrowOptions,
  transport: ReturnTransport = {},
): Promise<ReturnedBorrow> {
  const env = transport.env ?? process.env;
  const { path, file } = await findBorrowedSeat(options, env);
  const secret = borrowReturnSecret(await borrowerSecret(options), file.nonce);
  const { seat } = file;
  const done = { id: seat.id, product: seat.product, feature: seat.feature, manager: file.manager, file: path };
  const unreachable = (why: string) =>
    new LictorError(
      'LICTOR_E_MANAGER_UNREACHABLE',
      `the License Manager that lent the seat (${file.manager}) ${why}; the seat stays borrowed until ${seat.until}`,
      { manager: file.manager },
    );
  const http = transport.fetch === undefined ? defaultHttpTransport : fetchTransport(transport.fetch);
  let response: HttpAnswer;
  let json: unknown = null;
  try {
    response = await http.request(new URL(`/v1/borrows/${encodeURIComponent(seat.id)}`, file.manager), {
      method: 'DELETE',
      headers: { accept: 'application/json', [BORROW_RETURN_HEADER]: secret },
      timeoutMs: transport.timeoutMs ?? 5000,
    });
    json = response.text === '' ? null : JSON.parse(response.text);
  } catch (err) {
    // `fetch` (undici) puts the system error in `cause`, `node:http` gives its `code` directly.
    const e = err as Error & { code?: string; cause?: { code?: string } };
    throw unreachable(`cannot be reached (${e.cause?.code ?? e.code ?? e.message})`);
  }
  if (response.status === 204) {
    await removeBorrowedSeat(path);
    return { ...done, returned: true };
  }
  const body = json as { code?: unknown; message?: unknown; details?: Record<string, unknown> } | null;
  if (response.status < 500 && typeof body?.code === 'string' && isErrorCode(body.code)) {
    if (body.code === 'LICTOR_E_BORROW_UNKNOWN') {
      await removeBorrowedSeat(path);
      return { ...done, returned: false };
    }
    throw new LictorError(body.code, String(body.message ?? body.code), body.details);
  }
  throw unreachable(`did not take it back (HTTP ${response.status})`);
}
