import { type HardwareParams, normalizeHardware } from '@lictor/protocol';
import { collectGeneric } from './generic.js';
import { collectLinux } from './linux.js';
import { runLsblk } from './linux-disks.js';

/** Options of {@link collectHardware}. */
export interface CollectOptions {
  /**
   * Root of the Linux file system to read `/sys`, `/proc` and `/etc` from; default `/`.
   * Tests pass a fake tree. Giving it selects the Linux collector on any platform.
   */
  sysRoot?: string;
}

/** `isHardwareParams` in the protocol accepts at most this many list entries and characters per string. */
const MAX_LIST = 64;
const MAX_STRING = 256;

function fitProtocolLimits(hw: HardwareParams): HardwareParams {
  const cut = (s: string) => s.slice(0, MAX_STRING);
  const list = (xs: string[]) => xs.map(cut).slice(0, MAX_LIST);
  return {
    ...hw,
    platform: cut(hw.platform),
    osName: cut(hw.osName),
    osVersion: cut(hw.osVersion),
    hostname: cut(hw.hostname),
    board: cut(hw.board),
    bios: cut(hw.bios),
    cpus: list(hw.cpus),
    nics: list(hw.nics),
    disks: list(hw.disks),
    ...(hw.osSerial === undefined ? {} : { osSerial: cut(hw.osSerial) }),
    ...(hw.osInstallDate === undefined ? {} : { osInstallDate: cut(hw.osInstallDate) }),
  };
}

/**
 * Collects this computer's hardware parameters, uncached (see {@link cachedHardware}).
 *
 * On Linux everything is read from world-readable files under `/sys`, `/proc` and `/etc`,
 * plus `lsblk` for drive serials sysfs does not have; elsewhere through systeminformation.
 * Excluded adapters and drives are already left out, and the result is in the canonical
 * form of `normalizeHardware`, within the limits of `isHardwareParams`. Needs no root and
 * a parameter that cannot be read is left empty rather than failing the collection.
 */
export async function collectHardware(options: CollectOptions = {}): Promise<HardwareParams> {
  const { sysRoot } = options;
  const raw =
    sysRoot !== undefined || process.platform === 'linux'
      ? await collectLinux(sysRoot ?? '/', sysRoot === undefined || sysRoot === '/' ? { lsblk: runLsblk } : {})
      : await collectGeneric();
  return fitProtocolLimits(normalizeHardware(raw));
}
