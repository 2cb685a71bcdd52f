/** Reading license directories and writing license files atomically. */
import { constants, type Stats } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
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

/** What a directory holds: its names, or why it could not be listed. A missing directory holds nothing. */
export type Listing = { names: readonly string[] } | { error: string };

/** A file's version as the change watcher compares it: inode, modification time and size. */
export function fileVersion(info: Stats): string {
  return `${info.ino}:${info.mtimeMs}:${info.size}`;
}

const MAX_FILE_BYTES = 1024 * 1024;

function describe(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR') return 'not a directory';
  return (err as Error).message;
}

/** Lists `dir` (see {@link Listing}). */
export async function listDir(dir: string): Promise<Listing> {
  try {
    return { names: await readdir(dir) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { names: [] };
    return { error: describe(err) };
  }
}

/** What {@link scanListed} found. */
export interface Scan {
  files: FoundFile[];
  /** Path → {@link fileVersion} of every license and blacklist file, and of every name `alsoStat` chose. */
  versions: Map<string, string>;
}

/**
 * A file's status and, for a regular file of at most `MAX_FILE_BYTES`, its text: one open, one
 * `fstat` and one read (the status of the open file, not of the path a second time). Opened
 * without blocking, so that a FIFO given a license file's name cannot hang the scan.
 */
async function readSmall(path: string): Promise<{ info: Stats; text: string | null }> {
  const handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size > MAX_FILE_BYTES) return { info, text: null };
    const buffer = Buffer.allocUnsafe(info.size);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return { info, text: buffer.toString('utf8', 0, length) };
  } finally {
    await handle.close();
  }
}

/**
 * Reads the license and blacklist files of the listed directories (each directory's files in
 * parallel) and records the version of each, and of the other files `alsoStat` names (for the
 * change watcher). An unreadable directory or file is reported, never thrown.
 */
export async function scanListed(
  dirs: readonly string[],
  listings: ReadonlyMap<string, Listing>,
  alsoStat: (name: string) => boolean = () => false,
): Promise<Scan> {
  const files: FoundFile[] = [];
  const versions = new Map<string, string>();
  const perDir = await Promise.all(
    dirs.map(async (dir) => {
      const listing = listings.get(dir) ?? (await listDir(dir));
      if ('error' in listing) return [{ path: dir, kind: 'directory', error: listing.error } satisfies FoundFile];
      // Files are read in parallel: opening a store is dominated by file system round trips.
      return Promise.all(
        [...listing.names].sort().map(async (name): Promise<FoundFile | null> => {
          const kind: FoundKind | null = name.endsWith(LICENSE_FILE_SUFFIX)
            ? 'license'
            : name === BLACKLIST_FILE_NAME
              ? 'blacklist'
              : name.endsWith(BORROWED_SEAT_FILE_SUFFIX)
                ? 'borrow'
                : null;
          const path = join(dir, name);
          if (kind === null) {
            if (!alsoStat(name)) return null;
            const info = await stat(path).catch(() => null);
            if (info?.isFile()) versions.set(path, fileVersion(info));
            return null;
          }
          let read: { info: Stats; text: string | null };
          try {
            read = await readSmall(path);
          } catch (err) {
            // Not a file after all (a directory that cannot be opened for reading): skipped.
            if ((await stat(path).catch(() => null))?.isFile() === false) return null;
            return { path, kind, error: describe(err) };
          }
          const { info, text } = read;
          if (!info.isFile()) return null;
          versions.set(path, fileVersion(info));
          if (text === null) return { path, kind, error: `larger than ${MAX_FILE_BYTES} bytes` };
          return { path, kind, text, mtimeMs: info.mtimeMs };
        }),
      );
    }),
  );
  for (const entries of perDir) for (const e of entries) if (e !== null) files.push(e);
  return { files, versions };
}

/**
 * Lists license, blacklist and borrowed seat files in the given directories. A missing directory is
 * silently empty; an unreadable directory or file is reported, never thrown.
 */
export async function scanLicenseDirs(dirs: readonly string[]): Promise<FoundFile[]> {
  return (await scanListed(dirs, new Map())).files;
}

/** Atomic writes live in `@lictor/node-io`; re-exported because the SDK's API has always offered it. */
export { writeFileAtomic } from '@lictor/node-io';
