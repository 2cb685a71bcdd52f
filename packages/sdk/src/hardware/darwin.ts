import { execFile } from 'node:child_process';
import { normalizeMac } from '@lictor/protocol';

/** One macOS "hardware port" from `networksetup -listallhardwareports`. */
export interface HardwarePort {
  /** Port name: `Wi-Fi`, `Ethernet`, `USB 10/100/1000 LAN`, `Thunderbolt Bridge`, `Bluetooth PAN`. */
  port: string;
  /** Burnt-in MAC, `undefined` when the tool says `N/A`. Unlike `ifconfig`, never a private Wi-Fi address. */
  mac?: string;
}

/** Parses `networksetup -listallhardwareports` into ports keyed by device (`en0`). */
export function parseHardwarePorts(text: string): Map<string, HardwarePort> {
  const ports = new Map<string, HardwarePort>();
  for (const block of text.split(/\n\s*\n/)) {
    const port = /^Hardware Port:\s*(.+)$/m.exec(block)?.[1]?.trim();
    const device = /^Device:\s*(.+)$/m.exec(block)?.[1]?.trim();
    const address = /^Ethernet Address:\s*(.+)$/m.exec(block)?.[1]?.trim();
    if (!port || !device) continue;
    const mac = address && /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i.test(address) ? normalizeMac(address) : undefined;
    ports.set(device, mac === undefined ? { port } : { port, mac });
  }
  return ports;
}

/** macOS hardware ports; an empty map when `networksetup` fails or times out. */
export function darwinHardwarePorts(timeoutMs = 5000): Promise<Map<string, HardwarePort>> {
  return new Promise((resolve) => {
    execFile(
      '/usr/sbin/networksetup',
      ['-listallhardwareports'],
      { timeout: timeoutMs, maxBuffer: 1024 * 1024 },
      (error, stdout) => resolve(error ? new Map() : parseHardwarePorts(stdout)),
    );
  });
}
