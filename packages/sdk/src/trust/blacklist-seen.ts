/**
 * The store's copy of the newest blacklist seen. Deleting `blacklist.lictor` (or putting an older
 * list in its place) does not bring back what it blacklisted: the copy still holds it, and a list
 * with a lower sequence is not used. The copy is the vendor-signed text itself: it cannot be
 * forged, and a seal would add nothing (docs/clock.md says what deleting both does).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../files.js';
import type { FoundBlacklist } from '../snapshot.js';

/** The copy's name in the license store (not read as a blacklist file by the scan). */
export const SEEN_BLACKLIST_FILE_NAME = 'blacklist-seen.lictor';

/** The copy's path in `storeDir`. */
export function seenBlacklistPath(storeDir: string): string {
  return join(storeDir, SEEN_BLACKLIST_FILE_NAME);
}

/** Reads the copy; `undefined` when there is none (or it cannot be read: then it is written again). */
export async function readSeenBlacklist(storeDir: string): Promise<{ path: string; text: string } | undefined> {
  const path = seenBlacklistPath(storeDir);
  const text = await readFile(path, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : { path, text };
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
