/**
 * The manager's durable file write: pieces streamed to a temporary file in the same directory,
 * fsync'd, renamed over the target, then the directory fsync'd (best effort) so that the
 * rename survives a power loss. Stronger than the SDK's `writeFileAtomic` (a string, no
 * directory fsync), which the lease snapshots cannot use: they are written in pieces.
 */

import { open as openFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Writes `text`, given in pieces, to `file` atomically and durably (mode 0600). */
export async function writeFileDurably(file: string, text: Iterable<string | Uint8Array>): Promise<void> {
  const temp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const handle = await openFile(temp, 'w', 0o600);
  try {
    await writeFile(handle, text, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  try {
    const dir = await openFile(dirname(file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // Not every platform can fsync a directory; the rename itself is still atomic.
  }
}
