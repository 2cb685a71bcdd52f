import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** Reads a text file under `root`; `undefined` when it is missing or unreadable. */
export async function readText(root: string, path: string): Promise<string | undefined> {
  try {
    return await readFile(join(root, path), 'utf8');
  } catch {
    return undefined;
  }
}

/** Reads a one-line sysfs attribute, trimmed; `undefined` when missing, unreadable or empty. */
export async function readAttr(root: string, path: string): Promise<string | undefined> {
  const text = (await readText(root, path))?.replace(/\0/g, '').trim();
  return text === '' ? undefined : text;
}

/** Reads a binary file under `root`; `undefined` when it is missing or unreadable. */
export async function readBytes(root: string, path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(join(root, path));
  } catch {
    return undefined;
  }
}

/** Lists a directory under `root`; `[]` when it is missing or unreadable. */
export async function listDir(root: string, path: string): Promise<string[]> {
  try {
    return (await readdir(join(root, path))).sort();
  } catch {
    return [];
  }
}

/** Tells whether a path under `root` exists (following symlinks). */
export async function exists(root: string, path: string): Promise<boolean> {
  try {
    await stat(join(root, path));
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves symlinks of a path under `root` and returns the result as an absolute path
 * inside `root` (`/sys/devices/pci0000:00/...`), so that a fake tree in a temporary
 * directory reads like the real one. `undefined` when the path does not exist.
 */
export async function resolveInRoot(root: string, path: string): Promise<string | undefined> {
  try {
    const real = await realpath(join(root, path));
    const realRoot = await realpath(root);
    const rel = relative(realRoot, real);
    if (rel.startsWith('..')) return real.split(sep).join('/');
    return `/${rel.split(sep).join('/')}`;
  } catch {
    return undefined;
  }
}

/** Classifies a resolved sysfs device path by the bus it hangs off. */
export function busOfDevicePath(devicePath: string): 'usb' | 'firewire' | 'bluetooth' | 'virtual' | 'pci' | 'other' {
  if (devicePath.includes('/devices/virtual/')) return 'virtual';
  if (devicePath.includes('/bluetooth/')) return 'bluetooth';
  if (devicePath.includes('/usb')) return 'usb';
  if (/\/(?:firewire|fw\d+)(?:\/|$)/.test(devicePath)) return 'firewire';
  if (devicePath.includes('/pci')) return 'pci';
  return 'other';
}
