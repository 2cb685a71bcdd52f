import { execFile } from 'node:child_process';
import { busOfDevicePath, listDir, readAttr, readBytes, resolveInRoot } from './sysfs.js';

/** Runs `lsblk` and returns its JSON output; rejects on failure. */
export type LsblkRunner = () => Promise<string>;

const LSBLK_TIMEOUT_MS = 3000;

/** Runs the real `lsblk -J -d -o NAME,SERIAL,TRAN,TYPE` with a short timeout. */
export const runLsblk: LsblkRunner = () =>
  new Promise((resolve, reject) => {
    execFile(
      'lsblk',
      ['-J', '-d', '-o', 'NAME,SERIAL,TRAN,TYPE'],
      { timeout: LSBLK_TIMEOUT_MS, maxBuffer: 1024 * 1024, windowsHide: true },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
  });

/** Extracts the serial from a SCSI VPD page 0x80 (Unit Serial Number): 4-byte header, then ASCII. */
export function parseVpdSerial(page: Buffer): string | undefined {
  if (page.length < 4 || page[1] !== 0x80) return undefined;
  const length = ((page[2] ?? 0) << 8) | (page[3] ?? 0);
  const serial = page
    .subarray(4, 4 + length)
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '')
    .trim();
  return serial === '' ? undefined : serial;
}

/**
 * Picks serials out of `lsblk -J -d -o NAME,SERIAL,TRAN,TYPE` output for the given device
 * names, skipping USB and FireWire transports. Malformed output gives an empty map.
 */
export function serialsFromLsblk(json: string, names: ReadonlySet<string>): Map<string, string> {
  const found = new Map<string, string>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return found;
  }
  const devices = (parsed as { blockdevices?: unknown } | null)?.blockdevices;
  if (!Array.isArray(devices)) return found;
  for (const d of devices as Record<string, unknown>[]) {
    const name = typeof d?.name === 'string' ? d.name : '';
    const serial = typeof d?.serial === 'string' ? d.serial.trim() : '';
    const tran = typeof d?.tran === 'string' ? d.tran.toLowerCase() : '';
    if (!names.has(name) || serial === '' || d.type !== 'disk') continue;
    if (tran === 'usb' || tran === 'ieee1394') continue;
    found.set(name, serial);
  }
  return found;
}

/** What {@link readLinuxDisks} decided about one block device. */
interface DiskVerdict {
  name: string;
  serial?: string;
  excluded?: string;
}

async function readDisk(root: string, name: string): Promise<DiskVerdict> {
  const dir = `sys/block/${name}`;
  const path = await resolveInRoot(root, dir);
  const bus = path === undefined ? 'virtual' : busOfDevicePath(path);
  if (bus === 'virtual') return { name, excluded: 'virtual block device' };
  if (bus === 'usb' || bus === 'firewire') return { name, excluded: `${bus} storage` };
  const [removable, size, mmcType] = await Promise.all([
    readAttr(root, `${dir}/removable`),
    readAttr(root, `${dir}/size`),
    readAttr(root, `${dir}/device/type`),
  ]);
  if (removable === '1') return { name, excluded: 'removable media' };
  if (size === '0') return { name, excluded: 'no medium' };
  // SD cards come and go in a built-in reader; eMMC (type MMC) is soldered on and stays.
  if (mmcType === 'SD') return { name, excluded: 'SD card' };
  const serial =
    (await readAttr(root, `${dir}/device/serial`)) ??
    (await readAttr(root, `${dir}/serial`)) ??
    parseVpdSerial((await readBytes(root, `${dir}/device/vpd_pg80`)) ?? Buffer.alloc(0));
  return serial === undefined ? { name } : { name, serial };
}

/**
 * Serial numbers of the computer's fixed hard drives.
 *
 * Drives are enumerated from `/sys/block`, which needs no root and no udev: virtual
 * devices (loop, zram, device-mapper, md), USB and FireWire drives, removable media and SD
 * cards are left out. The serial comes from sysfs (NVMe and MMC `device/serial`, virtio
 * `serial`, SCSI/SATA VPD page 0x80); only for drives where sysfs has none is `lsblk`
 * asked (it reads udev's database). Never throws: what cannot be read is left out.
 */
export async function readLinuxDisks(root: string, lsblk?: LsblkRunner): Promise<string[]> {
  const names = await listDir(root, 'sys/block');
  const verdicts = await Promise.all(names.map((name) => readDisk(root, name)));
  const serials = verdicts.flatMap((v) => (v.serial === undefined ? [] : [v.serial]));
  const missing = new Set(
    verdicts.filter((v) => v.excluded === undefined && v.serial === undefined).map((v) => v.name),
  );
  if (missing.size > 0 && lsblk !== undefined) {
    const output = await lsblk().catch(() => '');
    serials.push(...serialsFromLsblk(output, missing).values());
  }
  return serials;
}
