/**
 * The Lictor Runtime's hardware snapshot, reused by the SDK: the runtime collects this computer's
 * hardware at most once a day and keeps it sealed in its state directory (`hardware.json`,
 * `packages/runtime/src/hardware-store.ts`). An application that opens its licensing in-process
 * takes that snapshot instead of collecting again (a few hundred milliseconds: processes, files
 * of /sys and /proc) when it is
 *
 * - **present and readable** by this process (the runtime's state directory is 0700: by default
 *   only processes of the runtime's user, and root, read it);
 * - **sealed to this computer**: its HMAC under the machine secret verifies (an edit, or a copy
 *   from another computer, does not);
 * - **fresh**: collected less than `maxAgeMs` ago (a day), and not in the future;
 * - **not writable by this process**, unless it runs as root: the seal keeps out edits, not
 *   forgeries (whoever reads the machine id can seal), so a user who could write the file could
 *   make it describe another computer's hardware; one who can only read it cannot, just as they
 *   cannot change what /sys says.
 *
 * Otherwise the SDK collects as it always did. The snapshot is a hint for matching the
 * customer's own hardware, never a grant: license files are still verified with the vendor key
 * and matched against it exactly as against collected hardware. Kept in memory until it is a
 * day old by its own collection time (not a day from reading it).
 */
import { access, constants } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type HardwareParams, isHardwareParams } from '@lictor/protocol';
import type { LicensingOptions } from '../licensing.js';
import { defaultMachineSecret, type MachineSecretSource } from '../machine-secret.js';
import { readSealedState } from '../trust/sealed-state.js';
import { cachedHardware, type HardwareSource } from './cache.js';
import { collectHardware } from './collect.js';

/** The sealed state's kind the runtime writes. */
const KIND = 'runtime-hardware';
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The machine-wide runtime's snapshot: `/var/lib/lictor/runtime/hardware.json` (macOS
 * `/Library/Application Support/Lictor/runtime/hardware.json`); none on Windows, where a file's
 * writability cannot be told from its read-only attribute (name one explicitly there).
 */
export function defaultRuntimeHardwareFile(platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform === 'win32') return undefined;
  if (platform === 'darwin') return join('/Library', 'Application Support', 'Lictor', 'runtime', 'hardware.json');
  return '/var/lib/lictor/runtime/hardware.json';
}

/** Options of {@link runtimeHardware}. */
export interface RuntimeHardwareOptions {
  /** The runtime's snapshot (`<runtime state>/hardware.json`). */
  file: string;
  /** What the snapshot's seal is checked with (the SDK's machine secret). */
  machineSecret: MachineSecretSource;
  /** What collects when the snapshot cannot be used (the SDK's `collectHardware`). */
  collect: HardwareSource;
  /** How old a snapshot, or a collection, may be (default a day). */
  maxAgeMs?: number;
  /** Clock in epoch ms (default `Date.now`). */
  now?: () => number;
  /** This process's user id (default `process.getuid()`; 0 may use a snapshot it could write). */
  uid?: number;
}

/** Where the hardware came from: the runtime's snapshot, or a collection of this process. */
export type HardwareOrigin = 'runtime' | 'collected';

/** A hardware source that prefers the runtime's snapshot; `origin` tells what the last answer came from. */
export interface RuntimeHardwareSource extends HardwareSource {
  readonly origin: HardwareOrigin | undefined;
}

interface Held {
  hardware: HardwareParams;
  /** When it was collected (the runtime's time for a snapshot). */
  at: number;
  origin: HardwareOrigin;
}

function copy(hw: HardwareParams): HardwareParams {
  return { ...hw, cpus: [...hw.cpus], nics: [...hw.nics], disks: [...hw.disks] };
}

/** Whether this process may write `path` (a missing file: its directory). */
async function writable(path: string): Promise<boolean> {
  return access(path, constants.W_OK).then(
    () => true,
    (error: NodeJS.ErrnoException) => error.code === 'ENOENT' && writable(dirname(path)),
  );
}

/** The hardware source that reads the runtime's snapshot first (see the module comment). */
export function runtimeHardware(options: RuntimeHardwareOptions): RuntimeHardwareSource {
  const { file, machineSecret, collect } = options;
  const maxAgeMs = options.maxAgeMs ?? DAY_MS;
  const now = options.now ?? Date.now;
  const uid = options.uid ?? process.getuid?.();
  let held: Held | undefined;
  let inFlight: Promise<Held> | undefined;

  const fresh = (at: number) => {
    const age = now() - at;
    return age >= 0 && age < maxAgeMs;
  };

  const snapshot = async (): Promise<Held | undefined> => {
    if (uid !== 0 && ((await writable(file)) || (await writable(dirname(file))))) return undefined;
    const read = await readSealedState(file, KIND, await machineSecret());
    if (read.state !== 'valid') return undefined;
    const { collectedAt, hardware } = read.body;
    if (typeof collectedAt !== 'number' || !isHardwareParams(hardware) || !fresh(collectedAt)) return undefined;
    return { hardware: copy(hardware), at: collectedAt, origin: 'runtime' };
  };

  const refresh = async (): Promise<Held> => {
    const found = await snapshot().catch(() => undefined);
    if (found !== undefined) return found;
    return { hardware: copy(await collect()), at: now(), origin: 'collected' };
  };

  const get = async (): Promise<HardwareParams> => {
    if (held === undefined || !fresh(held.at)) {
      inFlight ??= refresh().finally(() => {
        inFlight = undefined;
      });
      held = await inFlight;
    }
    return copy(held.hardware);
  };
  return Object.defineProperty(get, 'origin', { get: () => held?.origin }) as RuntimeHardwareSource;
}

/**
 * `openLicensing`'s hardware without a `hardware` option: the runtime's snapshot
 * (`runtimeHardware`, default {@link defaultRuntimeHardwareFile}) when there is one to look at,
 * else collected and cached in memory.
 */
export function defaultHardwareSource(
  options: Pick<LicensingOptions, 'runtimeHardware' | 'hardwareMaxAgeMs' | 'machineSecret' | 'now'>,
): HardwareSource {
  const maxAge = options.hardwareMaxAgeMs === undefined ? {} : { maxAgeMs: options.hardwareMaxAgeMs };
  const file = options.runtimeHardware === undefined ? defaultRuntimeHardwareFile() : options.runtimeHardware;
  if (file === false || file === undefined) {
    return cachedHardware(() => collectHardware(), {
      ...maxAge,
      ...(options.now === undefined ? {} : { now: options.now }),
    });
  }
  return runtimeHardware({
    file,
    machineSecret: options.machineSecret ?? defaultMachineSecret(),
    collect: () => collectHardware(),
    ...maxAge,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
}
