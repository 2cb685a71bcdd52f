import os from 'node:os';
import { type HardwareParams, majorMinor } from '@lictor/protocol';
import type { Systeminformation } from 'systeminformation';
import { type AdapterInfo, excludedAdapterReason, isLocallyAdministered } from './adapters.js';
import { darwinHardwarePorts, type HardwarePort } from './darwin.js';
import { cpuLabel, joinParts } from './format.js';
import { runWindowsInventory, type WindowsInventory, windowsAdapter, windowsOs } from './windows.js';

type SiNic = Pick<Systeminformation.NetworkInterfacesData, 'iface' | 'ifaceName' | 'mac' | 'internal' | 'type'>;
type SiDisk = Pick<Systeminformation.DiskLayoutData, 'serialNum' | 'interfaceType'>;
type SiCpu = Pick<Systeminformation.CpuData, 'manufacturer' | 'brand' | 'physicalCores' | 'cores' | 'processors'>;

/**
 * Describes a systeminformation network interface for the exclusion rules.
 *
 * systeminformation's own `virtual` flag is not used: besides names it matches MAC vendor
 * prefixes of VMware, VirtualBox, Hyper-V and Xen, which would drop a virtual machine's only
 * NIC (on Linux a VM's NIC counts too). Software adapters are caught by name instead.
 * On macOS `port` (from `networksetup`) supplies a description and the burnt-in MAC.
 */
export function adapterFromSi(nic: SiNic, port?: HardwarePort): AdapterInfo {
  const mac = port?.mac ?? nic.mac ?? '';
  const description = port?.port ?? (nic.ifaceName && nic.ifaceName !== nic.iface ? nic.ifaceName : undefined);
  const wireless = nic.type === 'wireless' || /wi-?fi|airport|wireless|wlan|802\.11/i.test(description ?? '');
  const info: AdapterInfo = { name: nic.iface, mac, loopback: nic.internal, wireless };
  if (description !== undefined) info.description = description;
  // Windows "random hardware addresses" and macOS private Wi-Fi addresses are per-network
  // and locally administered; a locally administered wired MAC (cloud VMs, KVM) is stable.
  if (wireless && port?.mac === undefined && isLocallyAdministered(mac)) info.randomMac = true;
  return info;
}

/** Serials of the disks systeminformation reports, without USB and FireWire drives. */
export function disksFromSi(disks: readonly SiDisk[]): string[] {
  return disks
    .filter((d) => !/usb|1394|firewire/i.test(d.interfaceType ?? ''))
    .map((d) => (d.serialNum ?? '').trim())
    .filter((s) => s !== '');
}

/** One entry per socket; systeminformation reports one brand and the total core count. */
export function cpusFromSi(cpu: SiCpu): string[] {
  const sockets = Math.max(1, cpu.processors || 1);
  const cores = Math.round((cpu.physicalCores || cpu.cores || 0) / sockets);
  const brand = joinParts(cpu.brand.startsWith(cpu.manufacturer) ? '' : cpu.manufacturer, cpu.brand);
  return Array.from({ length: sockets }, () => cpuLabel(brand, cores));
}

const CALL_TIMEOUT_MS = 30_000;

/** Runs a collection step; its fallback on failure or after a timeout, so one slow probe cannot hang the rest. */
function attempt<T>(step: () => Promise<T>, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), CALL_TIMEOUT_MS);
    timer.unref();
    step().then(
      (value) => {
        clearTimeout(timer);
        resolve(value ?? fallback);
      },
      () => {
        clearTimeout(timer);
        resolve(fallback);
      },
    );
  });
}

/** OS name and version; on Windows from the inventory (with serial and date before Windows 10). */
function osParams(
  windows: WindowsInventory | undefined,
  osInfo: Systeminformation.OsData | undefined,
): Pick<HardwareParams, 'osName' | 'osVersion' | 'osSerial' | 'osInstallDate'> {
  if (windows) return windowsOs(windows);
  return {
    osName: (osInfo?.distro ?? os.type()).replace(/^Microsoft\s+/i, ''),
    osVersion: majorMinor(osInfo?.release ?? os.release()),
  };
}

/** Collects hardware parameters through systeminformation (Windows, macOS and other non-Linux platforms). */
export async function collectGeneric(): Promise<HardwareParams> {
  const si = await import('systeminformation');
  const [osInfo, board, bios, cpu, mem, nics, disks, ports, windows] = await Promise.all([
    attempt(() => si.osInfo(), undefined),
    attempt(() => si.baseboard(), undefined),
    attempt(() => si.bios(), undefined),
    attempt(() => si.cpu(), undefined),
    attempt(() => si.mem(), undefined),
    attempt(() => si.networkInterfaces(), []),
    attempt(() => si.diskLayout(), []),
    process.platform === 'darwin' ? darwinHardwarePorts() : Promise.resolve(new Map<string, HardwarePort>()),
    process.platform === 'win32' ? runWindowsInventory() : Promise.resolve(undefined),
  ]);
  const adapters = windows
    ? windows.Adapters.map(windowsAdapter)
    : (Array.isArray(nics) ? nics : [nics]).map((nic) => adapterFromSi(nic, ports.get(nic.iface)));
  return {
    platform: process.platform,
    ...osParams(windows, osInfo),
    hostname: os.hostname(),
    board: joinParts(board?.manufacturer, board?.model),
    ramBytes: mem?.total ?? os.totalmem(),
    bios: joinParts(bios?.vendor, bios?.version),
    cpus: cpu ? cpusFromSi(cpu) : [],
    nics: adapters.filter((a) => excludedAdapterReason(a) === undefined).map((a) => a.mac),
    disks: disksFromSi(disks),
  };
}
