/**
 * A computer's key hardware parameters, as collected at activation and at every check.
 *
 * Only parameters that the licensing documents name are kept. Collection (in the SDK)
 * already leaves out what must never be compared: loopback, virtual, USB/FireWire,
 * Bluetooth and WAN adapters, adapters without a MAC, and USB storage.
 */
export interface HardwareParams {
  /** `process.platform` of the collecting computer (`linux`, `win32`, `darwin`, ...). */
  platform: string;
  /** Operating system name, e.g. `Windows 11 Pro`, `Ubuntu`, `macOS`. */
  osName: string;
  /** Operating system version, major.minor only, e.g. `10.0`, `24.04`. */
  osVersion: string;
  /** Network (host) name of the computer. */
  hostname: string;
  /** Motherboard manufacturer and model, `""` when the platform does not reveal it. */
  board: string;
  /** Installed RAM in bytes. */
  ramBytes: number;
  /** BIOS vendor and version, `""` when unknown. */
  bios: string;
  /** One entry per physical processor (socket), e.g. `Intel Xeon E5-2680 v4 (14 cores)`. */
  cpus: string[];
  /** MAC addresses of the compared network adapters, lower-case `aa:bb:cc:dd:ee:ff`. */
  nics: string[];
  /** Serial numbers of the compared (non-USB) hard drives. */
  disks: string[];
  /**
   * The Windows OS serial number (product id), before Windows 10 only; absent elsewhere. The
   * documents compare it on Windows, "excluding Windows 10" (and later).
   */
  osSerial?: string;
  /** The Windows installation date (ISO 8601 UTC), before Windows 10 only; absent elsewhere. */
  osInstallDate?: string;
}

/** One difference between the activated and the current hardware. */
export interface HardwareChange {
  /** Which parameter changed. */
  param: 'os' | 'hostname' | 'board' | 'ram' | 'bios' | 'cpu' | 'nic' | 'disk';
  /** What changed, in words a person can act on. */
  message: string;
}

/** Result of {@link matchHardware}: a match, or every change that breaks it. */
export type HardwareMatch = { ok: true } | { ok: false; changes: HardwareChange[] };

const GIB = 1024 ** 3;

/** Formats a byte count as GiB with at most one decimal (`8 GiB`, `15.5 GiB`). */
export function formatGiB(bytes: number): string {
  const gib = Math.round((bytes / GIB) * 10) / 10;
  return `${gib} GiB`;
}

/** Lower-cases and trims a MAC and uses `:` separators. */
export function normalizeMac(mac: string): string {
  return mac.trim().toLowerCase().replaceAll('-', ':');
}

/** Brings collected parameters to the canonical form used for storage and comparison. */
export function normalizeHardware(hw: HardwareParams): HardwareParams {
  const clean = (s: string) => s.replace(/\s+/g, ' ').trim();
  const list = (xs: string[]) => [...xs.map(clean).filter((x) => x !== '')].sort();
  return {
    platform: clean(hw.platform),
    osName: clean(hw.osName),
    osVersion: majorMinor(clean(hw.osVersion)),
    hostname: clean(hw.hostname).toLowerCase(),
    board: clean(hw.board),
    ramBytes: Math.max(0, Math.trunc(hw.ramBytes)),
    bios: clean(hw.bios),
    cpus: list(hw.cpus),
    nics: [...new Set(hw.nics.map(normalizeMac).filter((m) => m !== ''))].sort(),
    disks: [...new Set(list(hw.disks))],
    // Only when known: a license activated without them keeps its subject digest.
    ...(hw.osSerial && clean(hw.osSerial) !== '' ? { osSerial: clean(hw.osSerial) } : {}),
    ...(hw.osInstallDate && clean(hw.osInstallDate) !== '' ? { osInstallDate: clean(hw.osInstallDate) } : {}),
  };
}

/** Keeps the first two numeric components of a version string (`10.0.22631` → `10.0`). */
export function majorMinor(version: string): string {
  const m = /^(\d+)(?:\.(\d+))?/.exec(version);
  if (!m) return version;
  return m[2] === undefined ? (m[1] ?? version) : `${m[1]}.${m[2]}`;
}

/**
 * Removes from `current` each item of `activated`; returns the activated items that are missing.
 * Lists are multisets: two identical processors must both still be there.
 */
function removedItems(activated: readonly string[], current: readonly string[]): string[] {
  const left = new Map<string, number>();
  for (const c of current) left.set(c, (left.get(c) ?? 0) + 1);
  const missing: string[] = [];
  for (const a of activated) {
    const n = left.get(a) ?? 0;
    if (n > 0) left.set(a, n - 1);
    else missing.push(a);
  }
  return missing;
}

/**
 * Decides whether the current computer is still the one a license was activated on.
 *
 * Rules (from the documents Lictor follows): only removals count, additions never do;
 * RAM may grow and shrink back but not below the activated size; the comparison is
 * always against the state at activation; when the computer being checked runs Linux the OS
 * name and version are not compared; macOS compares only its major version. A parameter that was unknown (empty) at activation is not compared.
 */
export function matchHardware(activated: HardwareParams, current: HardwareParams): HardwareMatch {
  const a = normalizeHardware(activated);
  const c = normalizeHardware(current);
  const changes: HardwareChange[] = [];

  // The computer being checked decides: on Linux the OS is not compared, wherever the license
  // was activated. macOS compares its major version only (13.4 → 13.5 is a point update, as a
  // Windows build number is); Windows and the rest compare the first two numbers.
  if (c.platform !== 'linux') {
    const version = c.platform === 'darwin' ? (v: string) => v.split('.')[0] ?? v : (v: string) => v;
    const nameChanged = a.osName !== '' && a.osName !== c.osName;
    const versionChanged = a.osVersion !== '' && version(a.osVersion) !== version(c.osVersion);
    if (nameChanged || versionChanged) {
      const os = (h: HardwareParams) => [h.osName, h.osVersion].filter((x) => x !== '').join(' ') || '(unknown)';
      changes.push({ param: 'os', message: `operating system changed from ${os(a)} to ${os(c)}` });
    }
    if (a.osSerial !== undefined && a.osSerial !== c.osSerial) {
      changes.push({
        param: 'os',
        message: `operating system serial number changed from ${a.osSerial} to ${c.osSerial ?? '(none)'}`,
      });
    }
    if (a.osInstallDate !== undefined && a.osInstallDate !== c.osInstallDate) {
      changes.push({
        param: 'os',
        message: `operating system installed again: ${a.osInstallDate} → ${c.osInstallDate ?? '(unknown)'}`,
      });
    }
  }
  if (a.hostname !== '' && a.hostname !== c.hostname) {
    changes.push({ param: 'hostname', message: `host name changed from ${a.hostname} to ${c.hostname || '(none)'}` });
  }
  if (a.board !== '' && a.board !== c.board) {
    changes.push({ param: 'board', message: `motherboard changed from ${a.board} to ${c.board || '(unknown)'}` });
  }
  if (c.ramBytes < a.ramBytes) {
    changes.push({
      param: 'ram',
      message: `RAM ${formatGiB(c.ramBytes)} is below the activated ${formatGiB(a.ramBytes)}`,
    });
  }
  if (a.bios !== '' && a.bios !== c.bios) {
    changes.push({ param: 'bios', message: `BIOS changed from ${a.bios} to ${c.bios || '(unknown)'}` });
  }
  for (const cpu of removedItems(a.cpus, c.cpus)) {
    changes.push({ param: 'cpu', message: `processor ${cpu} removed` });
  }
  for (const mac of removedItems(a.nics, c.nics)) {
    changes.push({ param: 'nic', message: `network adapter ${mac} removed` });
  }
  for (const disk of removedItems(a.disks, c.disks)) {
    changes.push({ param: 'disk', message: `hard drive ${disk} removed` });
  }
  return changes.length === 0 ? { ok: true } : { ok: false, changes };
}

/**
 * Tells whether two parameter sets describe the same physical computer, even if
 * {@link matchHardware} fails between them: they share a network adapter or a hard
 * drive, or the same host name on the same (known) motherboard. The License Center uses it to
 * retire the old activation of a computer whose hardware changed.
 */
export function sameComputer(a: HardwareParams, b: HardwareParams): boolean {
  const x = normalizeHardware(a);
  const y = normalizeHardware(b);
  if (x.nics.some((m) => y.nics.includes(m))) return true;
  if (x.disks.some((d) => y.disks.includes(d))) return true;
  return x.hostname !== '' && x.board !== '' && x.hostname === y.hostname && x.board === y.board;
}

/** Checks the shape of untrusted hardware parameters (e.g. from an activation request). */
export function isHardwareParams(value: unknown): value is HardwareParams {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const str = (k: string) => typeof v[k] === 'string' && (v[k] as string).length <= 256;
  const strList = (k: string) =>
    Array.isArray(v[k]) &&
    (v[k] as unknown[]).length <= 64 &&
    (v[k] as unknown[]).every((x) => typeof x === 'string' && x.length <= 256);
  return (
    str('platform') &&
    str('osName') &&
    str('osVersion') &&
    str('hostname') &&
    str('board') &&
    str('bios') &&
    typeof v.ramBytes === 'number' &&
    Number.isSafeInteger(v.ramBytes) &&
    v.ramBytes >= 0 &&
    strList('cpus') &&
    strList('nics') &&
    strList('disks') &&
    (v.osSerial === undefined || str('osSerial')) &&
    (v.osInstallDate === undefined || str('osInstallDate'))
  );
}
