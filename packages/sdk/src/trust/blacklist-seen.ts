/**
 * The store's copy of the newest blacklist seen. Deleting `blacklist.lictor` (or putting an older
 * list in its place) does not bring back what it blacklisted: the copy still holds it, and a list
 * with a lower sequence is not used. The copy is the vendor-signed text itself: it cannot be
 * forged, and a seal would add nothing (docs/clock.md says what deleting both does).
 */
import { join } from 'node:path';
import { readTextIfExists, writeFileAtomic } from '@lictor/node-io';
import type { FoundBlacklist } from '../snapshot.js';

/** The copy's name in the license store (not read as a blacklist file by the scan). */
export const SEEN_BLACKLIST_FILE_NAME = 'blacklist-seen.lictor';

/** The copy's path in `storeDir`. */
export function seenBlacklistPath(storeDir: string): string {
  return join(storeDir, SEEN_BLACKLIST_FILE_NAME);
}

/**
 * Reads the copies in `dirs` (the store and every search path: a new store made by copying the
 * license files elsewhere does not leave the old store's copy behind while it is still searched).
 * A copy that cannot be read is skipped (the store's is then written again).
 */
export async function readSeenBlacklists(dirs: readonly string[]): Promise<{ path: string; text: string }[]> {
  const copies = await Promise.all(
    [...new Set(dirs)].map(async (dir) => {
      const path = seenBlacklistPath(dir);
      const text = await readTextIfExists(path).catch(() => undefined);
      return text === undefined ? undefined : { path, text };
    }),
  );
  return copies.filter((c) => c !== undefined);
}

/**
 * Keeps `newest` as the copy unless it is the copy already. A store that cannot be written (a
 * read-only per-machine directory) keeps no copy: loading goes on without it.
 */
export async function keepNewestBlacklist(storeDir: string, newest: FoundBlacklist | undefined): Promise<void> {
  const path = seenBlacklistPath(storeDir);
  if (newest === undefined || newest.path === path) return;
  await writeFileAtomic(path, newest.text).catch(() => undefined);
}
