import os from 'node:os';
import { type HardwareParams, majorMinor } from '@lictor/protocol';
import { cpuLabel, joinParts } from './format.js';
import { type LsblkRunner, readLinuxDisks } from './linux-disks.js';
import { readLinuxAdapters } from './linux-net.js';
import { readAttr, readText } from './sysfs.js';

/** Parses `os-release` (shell-style `KEY="value"` lines). */
export function parseOsRelease(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let value = (m[2] ?? '').trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\(["\\$`])/g, '$1');
    }
    fields.set(m[1] ?? '', value);
  }
  return fields;
}

/** `MemTotal` of `/proc/meminfo` in bytes, `undefined` when absent. */
export function parseMemTotal(text: string): number | undefined {
  const m = /^MemTotal:\s+(\d+)\s*kB/im.exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

/**
 * Turns `/proc/cpuinfo` into one entry per physical processor (`physical id`), e.g.
 * `Intel Xeon E5-2680 v4 (14 cores)`. Architectures without `physical id` (most ARM) count
 * as one socket whose cores are its logical processors.
 */
export function parseCpuinfo(text: string): string[] {
  interface Socket {
    brand: string;
    coresField?: number;
    coreIds: Set<string>;
    processors: number;
  }
  const sockets = new Map<string, Socket>();
  const global = new Map<string, string>();
  for (const block of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      const i = line.indexOf(':');
      if (i > 0) fields.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
    }
    if (!/^\d+$/.test(fields.get('processor') ?? '')) {
      for (const [k, v] of fields) if (!global.has(k)) global.set(k, v);
      continue;
    }
    const id = fields.get('physical id') ?? '0';
    let socket = sockets.get(id);
    if (!socket) {
      const implementer = fields.get('CPU implementer');
      const part = fields.get('CPU part');
      const brand =
        fields.get('model name') ??
        fields.get('cpu model') ??
        fields.get('cpu') ??
        (implementer && part ? `Implementer ${implementer} part ${part}` : '');
      const coresField = Number.parseInt(fields.get('cpu cores') ?? '', 10);
      socket = { brand, coreIds: new Set(), processors: 0 };
      if (Number.isFinite(coresField)) socket.coresField = coresField;
      sockets.set(id, socket);
    }
    socket.processors++;
    const coreId = fields.get('core id');
    if (coreId !== undefined) socket.coreIds.add(coreId);
  }
  const fallbackBrand = global.get('model name') ?? global.get('Processor') ?? global.get('Hardware') ?? '';
  return [...sockets.values()].map((s) =>
    cpuLabel(s.brand || fallbackBrand, s.coresField ?? (s.coreIds.size || s.processors)),
  );
}

/** Injectable parts of {@link collectLinux}. */
export interface LinuxDeps {
  /** Runs `lsblk` for drives whose serial is not in sysfs; leave out to skip it (fake roots). */
  lsblk?: LsblkRunner;
}

/**
 * Collects hardware parameters of a Linux computer from `root` (`/`, or a fake tree in tests).
 * Everything is read from world-readable files, with `lsblk` as the only subprocess.
 */
export async function collectLinux(root: string, deps: LinuxDeps = {}): Promise<HardwareParams> {
  const dmi = (name: string) => readAttr(root, `sys/class/dmi/id/${name}`);
  const [osRelease, boardVendor, boardName, biosVendor, biosVersion, meminfo, cpuinfo, adapters, disks] =
    await Promise.all([
      readText(root, 'etc/os-release').then((t) => t ?? readText(root, 'usr/lib/os-release')),
      dmi('board_vendor'),
      dmi('board_name'),
      dmi('bios_vendor'),
      dmi('bios_version'),
      readText(root, 'proc/meminfo'),
      readText(root, 'proc/cpuinfo'),
      readLinuxAdapters(root),
      readLinuxDisks(root, deps.lsblk),
    ]);
  const release = parseOsRelease(osRelease ?? '');
  const isRealRoot = root === '/';
  let cpus = parseCpuinfo(cpuinfo ?? '');
  if (cpus.length === 0 && isRealRoot) {
    const logical = os.cpus();
    if (logical.length > 0) cpus = [cpuLabel(logical[0]?.model ?? '', logical.length)];
  }
  // MemTotal (what systeminformation also reports) is a little below the installed RAM,
  // which only root can read from DMI; it is compared with itself, so that is fine.
  const ramBytes = parseMemTotal(meminfo ?? '') ?? (isRealRoot ? os.totalmem() : 0);
  return {
    platform: 'linux',
    osName: release.get('NAME') ?? 'Linux',
    osVersion: majorMinor(release.get('VERSION_ID') ?? ''),
    hostname: os.hostname(),
    board: joinParts(boardVendor, boardName),
    ramBytes,
    bios: joinParts(biosVendor, biosVersion),
    cpus,
    nics: adapters.filter((a) => a.excluded === undefined).map((a) => a.mac),
    disks,
  };
}
