/**
 * Where a container's license and its pending upgrade operation are kept, as the upgrade code
 * (`upgrade.ts`) sees them. Two places implement it:
 *
 * - a license directory ({@link fileStorage}): the license file, replaced by an atomic rename,
 *   and `<store>/upgrades/<container>.json`;
 * - a hardware token's memory (`tokens/token-storage.ts`): the `lictor-license` and
 *   `lictor-upgrade` data objects, replaced new copy first, old copies destroyed after.
 *
 * The protocol rules (which answer applies on top of which state) stay in `upgrade.ts`, the same
 * for both.
 */
import { stat } from 'node:fs/promises';
import type { LoadedContainer } from './containers.js';
import { writeFileAtomic } from './files.js';
import { readUpgradeRecord, removeUpgradeRecord, type UpgradeRecord, writeUpgradeRecord } from './upgrade-record.js';

/** One container's license and pending operation, opened for one upgrade step. */
export interface ContainerStorage {
  /** Reads the pending operation (`undefined`: none, or a damaged record). */
  readPending(): Promise<UpgradeRecord | undefined>;
  /** Replaces the pending operation. */
  writePending(record: UpgradeRecord): Promise<void>;
  /** Removes the pending operation; no error when there is none. */
  clearPending(): Promise<void>;
  /** Replaces the license with `text`; a crash in the middle leaves the old license or the new one. */
  replaceLicense(text: string): Promise<void>;
  /**
   * Removes what a replace interrupted by a crash left behind, without changing the license (a
   * token's older license copy; nothing for a file, whose rename is all or nothing).
   */
  tidy(): Promise<void>;
  /** When the license was last replaced (ISO 8601), where the place records it. */
  replacedAt(): Promise<string | undefined>;
  /** Releases what opening took (a token session); the storage is not used afterwards. */
  release(): Promise<void>;
}

/** Opens the storage of a container for one step. */
export type ContainerStorageOpener = (c: LoadedContainer) => Promise<ContainerStorage>;

/** The storage of a license file in a license directory whose pending operations are under `storeDir`. */
export function fileStorage(c: LoadedContainer, storeDir: string): ContainerStorage {
  const id = c.doc.containerId;
  return {
    readPending: () => readUpgradeRecord(storeDir, id),
    writePending: (record) => writeUpgradeRecord(storeDir, id, record),
    clearPending: () => removeUpgradeRecord(storeDir, id),
    replaceLicense: (text) => writeFileAtomic(c.path, text),
    tidy: async () => {},
    replacedAt: async () => (await stat(c.path)).mtime.toISOString(),
    release: async () => {},
  };
}

/** Runs `fn` with the container's storage opened, and releases it whatever happens. */
export async function withStorage<T>(
  open: ContainerStorageOpener,
  c: LoadedContainer,
  fn: (storage: ContainerStorage) => Promise<T>,
): Promise<T> {
  const storage = await open(c);
  try {
    return await fn(storage);
  } finally {
    await storage.release();
  }
}
