/**
 * Windows key parameters through the system's own tools: one PowerShell run of
 * `Get-CimInstance` (Win32_OperatingSystem, Win32_NetworkAdapter) with JSON output. Dates are
 * written by the script as ISO 8601 UTC, so Windows PowerShell 5.1 and PowerShell 7 give the same
 * text. The collection is cached with the rest of the hardware (see `cache.ts`): PowerShell takes
 * a second or more to start.
 */
import { execFile } from 'node:child_process';
import { majorMinor } from '@lictor/protocol';
import { type AdapterInfo, isLocallyAdministered } from './adapters.js';

/** The PowerShell script; its output is what {@link parseWindowsInventory} reads. */
export const WINDOWS_INVENTORY_SCRIPT = [
  "$ErrorActionPreference = 'Stop'",
  '$os = Get-CimInstance -ClassName Win32_OperatingSystem',
  '$nics = @(Get-CimInstance -ClassName Win32_NetworkAdapter | Where-Object { $_.MACAddress } |',
  '  ForEach-Object { [ordered]@{ Name = $_.Name; NetConnectionID = $_.NetConnectionID; MACAddress = $_.MACAddress;',
  '    PNPDeviceID = $_.PNPDeviceID; AdapterType = $_.AdapterType; PhysicalAdapter = $_.PhysicalAdapter } })',
  '[ordered]@{',
  '  Caption = $os.Caption; Version = $os.Version; SerialNumber = $os.SerialNumber;',
  "  InstallDate = $os.InstallDate.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ');",
  '  Adapters = $nics',
  '} | ConvertTo-Json -Depth 4 -Compress',
].join('\n');

/** One network adapter as the script reports it. */
export interface WindowsAdapter {
  Name: string;
  NetConnectionID: string | null;
  MACAddress: string | null;
  PNPDeviceID: string | null;
  AdapterType: string | null;
  PhysicalAdapter: boolean | null;
}

/** What the script reports. */
export interface WindowsInventory {
  Caption: string;
  Version: string;
  SerialNumber: string | null;
  InstallDate: string | null;
  Adapters: WindowsAdapter[];
}

function text(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** Reads the script's JSON; `undefined` when it is not what the script writes. */
export function parseWindowsInventory(json: string): WindowsInventory | undefined {
  let d: unknown;
  try {
    d = JSON.parse(json.replace(/^\uFEFF/, ''));
  } catch {
    return undefined;
  }
  if (typeof d !== 'object' || d === null) return undefined;
  const o = d as Record<string, unknown>;
  if (typeof o.Caption !== 'string' || typeof o.Version !== 'string') return undefined;
  // ConvertTo-Json writes a one-element array as the element itself.
  const list = Array.isArray(o.Adapters) ? o.Adapters : o.Adapters ? [o.Adapters] : [];
  return {
    Caption: o.Caption,
    Version: o.Version,
    SerialNumber: text(o.SerialNumber),
    InstallDate: text(o.InstallDate),
    Adapters: list
      .filter((a): a is Record<string, unknown> => typeof a === 'object' && a !== null)
      .map((a) => ({
        Name: text(a.Name) ?? '',
        NetConnectionID: text(a.NetConnectionID),
        MACAddress: text(a.MACAddress),
        PNPDeviceID: text(a.PNPDeviceID),
        AdapterType: text(a.AdapterType),
        PhysicalAdapter: typeof a.PhysicalAdapter === 'boolean' ? a.PhysicalAdapter : null,
      })),
  };
}

/** The bus a PnP id names by its enumerator (`PCI\…`, `USB\…`, `BTH\…`, `1394\…`). */
function busOf(pnpId: string): AdapterInfo['bus'] {
  const enumerator = pnpId.split('\\')[0]?.toUpperCase() ?? '';
  if (enumerator === 'PCI') return 'pci';
  if (enumerator === 'USB') return 'usb';
  if (enumerator === 'BTH' || enumerator === 'BTHENUM') return 'bluetooth';
  if (enumerator === '1394') return 'firewire';
  return 'other';
}

/** An adapter for the exclusion rules: the PnP id decides (see `excludedAdapterReason`). */
export function windowsAdapter(a: WindowsAdapter): AdapterInfo {
  const description = a.Name;
  const name = a.NetConnectionID ?? a.Name;
  const wireless = /wi-?fi|wireless|802\.11|wlan/i.test(`${a.Name} ${a.AdapterType ?? ''}`);
  const info: AdapterInfo = { name, description, mac: a.MACAddress ?? '', wireless, pnpId: a.PNPDeviceID ?? '' };
  const bus = busOf(info.pnpId ?? '');
  if (bus !== 'other') info.bus = bus;
  // Windows "random hardware addresses" are per network and locally administered.
  if (wireless && isLocallyAdministered(info.mac)) info.randomMac = true;
  return info;
}

/** The OS parameters the documents name for Windows, from the script's report. */
export interface WindowsOs {
  osName: string;
  /** The first two numbers of the version (`10.0`, `6.3`). */
  osVersion: string;
  /** Only before Windows 10 (version major below 10): the documents exclude Windows 10 and later. */
  osSerial?: string;
  osInstallDate?: string;
}

/** OS name, version, and (before Windows 10) serial number and installation date. */
export function windowsOs(inv: WindowsInventory): WindowsOs {
  const osVersion = majorMinor(inv.Version.trim());
  const major = Number.parseInt(osVersion, 10);
  const before10 = Number.isFinite(major) && major < 10;
  const install = inv.InstallDate && !Number.isNaN(Date.parse(inv.InstallDate)) ? inv.InstallDate : undefined;
  return {
    osName: inv.Caption.replace(/^Microsoft\s+/i, '').trim(),
    osVersion,
    ...(before10 && inv.SerialNumber ? { osSerial: inv.SerialNumber.trim() } : {}),
    ...(before10 && install ? { osInstallDate: new Date(install).toISOString() } : {}),
  };
}

/** Runs the script; `undefined` when PowerShell fails, times out or prints something else. */
export function runWindowsInventory(timeoutMs = 30_000): Promise<WindowsInventory | undefined> {
  return new Promise((resolve) => {
    execFile(
      'powershell.exe',
      ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', WINDOWS_INVENTORY_SCRIPT],
      { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, windowsHide: true },
      (error, stdout) => resolve(error ? undefined : parseWindowsInventory(stdout)),
    );
  });
}
