/** Reading license directories and writing license files atomically. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BORROWED_SEAT_FILE_SUFFIX } from '@lictor/protocol';

/** File name endings the SDK reads. */
export const LICENSE_FILE_SUFFIX = '.lic';
export const BLACKLIST_FILE_NAME = 'blacklist.lictor';
/** Seats borrowed from a License Manager for offline use (`borrow.ts` in protocol). */
export { BORROWED_SEAT_FILE_SUFFIX };

/** What a file found in a search path holds. */
export type FoundKind = 'license' | 'blacklist' | 'borrow';

/** One file found in a search path, with its text or why it could not be read. */
export type FoundFile =
  | { path: string; kind: FoundKind; text: string; mtimeMs: number }
  | { path: string; kind: FoundKind | 'directory'; error: string };

const MAX_FILE_BYTES = 1024 * 1024;

function describe(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR') return 'not a directory';
  return (err as Error).message;
}

/**
 * Lists license, blacklist and borrowed seat files in the given directories. A missing directory is
 * silently empty; an unreadable directory or file is reported, never thrown.
 */
export async function scanLicenseDirs(dirs: readonly string[]): Promise<FoundFile[]> {
  const found: FoundFile[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        found.push({ path: dir, kind: 'directory', error: describe(err) });
      }
      continue;
    }
    // Files are read in parallel: opening a store is dominated by file system round trips.
    const entries = await Promise.all(
      names.sort().map(async (name): Promise<FoundFile | null> => {
        const kind: FoundKind | null = name.endsWith(LICENSE_FILE_SUFFIX)
          ? 'license'
          : name === BLACKLIST_FILE_NAME
            ? 'blacklist'
            : name.endsWith(BORROWED_SEAT_FILE_SUFFIX)
              ? 'borrow'
              : null;
        if (kind === null) return null;
        const path = join(dir, name);
        try {
          const info = await stat(path);
          if (!info.isFile()) return null;
          if (info.size > MAX_FILE_BYTES) return { path, kind, error: `larger than ${MAX_FILE_BYTES} bytes` };
          return { path, kind, text: await readFile(path, 'utf8'), mtimeMs: info.mtimeMs };
        } catch (err) {
          return { path, kind, error: describe(err) };
        }
      }),
    );
    for (const e of entries) if (e !== null) found.push(e);
  }
  return found;
}

/** Atomic writes live in `@lictor/node-io`; re-exported because the SDK's API has always offered it. */
export { writeFileAtomic } from '@lictor/node-io';
