/** Files that survive crashes and files that may be absent. */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Whether `error` is a Node system error with `code` (e.g. `ENOENT`). */
export function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === code;
}

/**
 * Writes a file atomically: a temporary file in the same directory (created with `mode`),
 * written and flushed to disk, renamed over `path`, then the directory flushed (best effort) so
 * that the rename itself is durable. A crash leaves the old file or the new one, never a mix.
 * `content` may come in pieces (a large snapshot written without one big string).
 */
export async function writeFileAtomic(
  path: string,
  content: string | Uint8Array | Iterable<string | Uint8Array>,
  mode = 0o644,
): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', mode);
  try {
    try {
      await writeFile(handle, content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await syncDir(dir);
}

/** Flushes a directory's entries (a rename) to disk; some file systems refuse, which is not an error. */
async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort: not every platform or file system can sync a directory.
  }
}

/** The text of `path`, or `undefined` when there is no such file; any other failure is thrown. */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
}
