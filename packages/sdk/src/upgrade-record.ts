/**
 * The pending upgrade operation of a container: `<store>/upgrades/<containerId>.json` for a
 * license file (a container on a hardware token keeps the same JSON in its `lictor-upgrade` data
 * object, see `tokens/token-storage.ts`). Starting a new operation replaces the record (abandoning
 * the previous question, remembered so that its answer is refused with a clear reason); applying
 * an answer removes it.
 */
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { readTextIfExists, writeFileAtomic } from '@lictor/node-io';
import { containerTag } from '@lictor/protocol';

/** A question that was replaced by a newer one. */
export interface AbandonedQuestion {
  nonce: string;
  createdAt: string;
  abandonedAt: string;
}

/** The upgrade operation in progress for one container. */
export interface UpgradeRecord {
  nonce: string;
  /** The container's counter when the question was asked. */
  counter: number;
  createdAt: string;
  /** Earlier questions of this container, newest first (at most {@link MAX_ABANDONED}). */
  abandoned: AbandonedQuestion[];
}

/** How many abandoned questions are remembered per container. */
export const MAX_ABANDONED = 20;

/** The directory of the store that holds the pending operations. */
export const UPGRADES_DIR = 'upgrades';
const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/;

/** Where the pending operation of a container is kept. */
export function upgradeRecordPath(storeDir: string, containerId: string): string {
  const name = SAFE_NAME.test(containerId) ? containerId : `c-${containerTag(containerId)}`;
  return join(storeDir, UPGRADES_DIR, `${name}.json`);
}

/** Parses a record's JSON text (a file's, or a token data object's); a damaged record counts as none. */
export function parseUpgradeRecord(text: string): UpgradeRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<UpgradeRecord>;
    if (typeof r.nonce !== 'string' || typeof r.counter !== 'number' || typeof r.createdAt !== 'string') {
      return undefined;
    }
    return {
      nonce: r.nonce,
      counter: r.counter,
      createdAt: r.createdAt,
      abandoned: Array.isArray(r.abandoned) ? r.abandoned : [],
    };
  } catch {
    return undefined;
  }
}

/**
 * The paths of the pending operations kept in `storeDir` (none when it has no `upgrades`
 * directory), or `null` when they cannot be listed (then each one is read to know).
 */
export async function listUpgradeRecords(storeDir: string): Promise<ReadonlySet<string> | null> {
  const dir = join(storeDir, UPGRADES_DIR);
  try {
    return new Set((await readdir(dir)).map((name) => join(dir, name)));
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? new Set() : null;
  }
}

/** The pending operation of a container, or `undefined`. A damaged record counts as none. */
export async function readUpgradeRecord(storeDir: string, containerId: string): Promise<UpgradeRecord | undefined> {
  const text = await readTextIfExists(upgradeRecordPath(storeDir, containerId));
  return text === undefined ? undefined : parseUpgradeRecord(text);
}

/** Writes (replaces) the pending operation atomically. */
export async function writeUpgradeRecord(storeDir: string, containerId: string, record: UpgradeRecord): Promise<void> {
  await writeFileAtomic(upgradeRecordPath(storeDir, containerId), `${JSON.stringify(record, null, 2)}\n`, 0o600);
}

/** Removes the pending operation; no error when there is none. */
export async function removeUpgradeRecord(storeDir: string, containerId: string): Promise<void> {
  await unlink(upgradeRecordPath(storeDir, containerId)).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}
