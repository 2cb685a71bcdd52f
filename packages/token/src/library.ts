/**
 * The shared, per-process state of a loaded PKCS#11 library. A module's state is per process
 * (two `C_Initialize` calls on one library share it), so every handle on the same library shares
 * one {@link LoadedLibrary}, counted by reference; every call into it goes through one queue, so a
 * re-initialization never runs while another call is in flight.
 */
import { realpathSync } from 'node:fs';
import { LictorError } from '@lictor/protocol';
import type { PKCS11 } from 'pkcs11js';
import { type Pkcs11Binding, pkcs11Binding } from './binding.js';
import { ckrName } from './token-errors.js';

/** The shared state of one loaded library (internal). */
export interface LoadedLibrary {
  readonly path: string;
  readonly binding: Pkcs11Binding;
  readonly pkcs11: PKCS11;
  /** Moves on every re-initialization: sessions opened before it are gone. */
  generation: number;
  refs: number;
  /** Whether this process called C_Initialize (and so may call C_Finalize). */
  owned: boolean;
  queue: Promise<unknown>;
}

const libraries = new Map<string, LoadedLibrary>();

/** Runs `fn` after every call queued before it on the library (internal). */
export function enqueue<T>(lib: LoadedLibrary, fn: () => T | Promise<T>): Promise<T> {
  const run = lib.queue.then(fn, fn);
  lib.queue = run.catch(() => undefined);
  return run;
}

/**
 * Calls `C_Initialize` (OS locking, since signatures run on libuv's thread pool). Returns whether
 * this process initialized it (`false` when another part of the process did already). Throws
 * `LICTOR_E_TOKEN_MODULE_MISSING` when the module refuses.
 */
export function initialize(lib: Pick<LoadedLibrary, 'binding' | 'pkcs11' | 'path'>): boolean {
  try {
    lib.pkcs11.C_Initialize({ flags: lib.binding.CKF_OS_LOCKING_OK });
    return true;
  } catch (err) {
    if (ckrName(err) === 'CKR_CRYPTOKI_ALREADY_INITIALIZED') return false;
    throw new LictorError(
      'LICTOR_E_TOKEN_MODULE_MISSING',
      `the PKCS#11 module ${lib.path} loads but does not initialize (${ckrName(err) ?? (err as Error).message}); check its configuration (for SoftHSM2: the file named by SOFTHSM2_CONF and its token directory)`,
      { path: lib.path, ckr: ckrName(err) ?? null },
    );
  }
}

/**
 * Loads and initializes the library at `path`, or takes another reference on it when this process
 * has it loaded already (under any path to the same file). Throws `LICTOR_E_TOKEN_MODULE_MISSING`.
 */
export function loadLibrary(path: string): LoadedLibrary {
  const key = realpathSync(path);
  const existing = libraries.get(key);
  if (existing !== undefined) {
    existing.refs += 1;
    return existing;
  }
  const binding = pkcs11Binding();
  const pkcs11 = new binding.PKCS11();
  try {
    pkcs11.load(path);
  } catch (err) {
    throw new LictorError(
      'LICTOR_E_TOKEN_MODULE_MISSING',
      `the PKCS#11 module ${path} cannot be loaded: ${(err as Error).message}; it must be the token's PKCS#11 library for this operating system and architecture`,
      { path },
    );
  }
  let owned: boolean;
  try {
    owned = initialize({ binding, pkcs11, path });
  } catch (err) {
    pkcs11.close();
    throw err;
  }
  const lib: LoadedLibrary = {
    path,
    binding,
    pkcs11,
    generation: 0,
    refs: 1,
    owned,
    queue: Promise.resolve(),
  };
  libraries.set(key, lib);
  return lib;
}

/** Drops one reference (call it through {@link enqueue}); the last one finalizes and unloads the library. */
export function releaseLibrary(lib: LoadedLibrary): void {
  lib.refs -= 1;
  if (lib.refs > 0) return;
  for (const [key, value] of libraries) if (value === lib) libraries.delete(key);
  lib.generation += 1;
  try {
    if (lib.owned) lib.pkcs11.C_Finalize();
  } catch {
    // A module whose token vanished may fail to finalize; it is unloaded all the same.
  }
  lib.pkcs11.close();
}
