/**
 * The hardware snapshot of this computer, collected at most once a day across processes and
 * restarts (the documents' rule), kept sealed in the runtime's state directory. Every licensing
 * state the runtime opens reads hardware from here.
 *
 * A reader uses the file while it is younger than `maxAgeMs` (a time in the future counts as
 * stale); otherwise it takes a lock file (created exclusively), reads again (another process may
 * have just collected), collects and writes. A process that finds the lock taken waits for the
 * file to become fresh, and collects by itself only if the holder takes too long (or died: a lock
 * older than {@link LOCK_STALE_MS} is removed).
 */
import { open, stat, unlink } from 'node:fs/promises';
import { type HardwareParams, isHardwareParams } from '@lictor/protocol';
import type { HardwareSource, MachineSecretSource } from '@lictor/sdk';
import { readSealedFile, writeSealedFile } from './sealed-file.js';

/** The sealed file's kind. */
const KIND = 'runtime-hardware';
/** A day: the documents poll hardware at most once a day. */
export const HARDWARE_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** A lock older than this was left by a process that died while collecting. */
export const LOCK_STALE_MS = 2 * 60 * 1000;

/** Options of {@link persistedHardware}. */
export interface PersistedHardwareOptions {
  /** The sealed snapshot (`<state>/hardware.json`); the lock is this path plus `.lock`. */
  file: string;
  /** What collects the hardware (the SDK's `collectHardware`). */
  source: HardwareSource;
  /** Seals the file to this computer. */
  machineSecret: MachineSecretSource;
  /** How long a collection serves (default a day). */
  maxAgeMs?: number;
  /** Clock in epoch ms (default `Date.now`). */
  now?: () => number;
  /** How long to wait for another process's collection before collecting too (default 60 s). */
  lockWaitMs?: number;
}

/** A {@link HardwareSource} that persists, with how many collections this process made. */
export interface PersistedHardware extends HardwareSource {
  /** Collections this process made (for status and tests). */
  readonly collections: number;
}

interface Snapshot {
  collectedAt: number;
  hardware: HardwareParams;
}

function copy(hw: HardwareParams): HardwareParams {
  return { ...hw, cpus: [...hw.cpus], nics: [...hw.nics], disks: [...hw.disks] };
}

/** Resolves after `ms` of real time (waiting on another process's file, never on licensing time). */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The hardware source backed by the sealed file (see the module comment). */
export function persistedHardware(options: PersistedHardwareOptions): PersistedHardware {
  const { file, source, machineSecret } = options;
  const lock = `${file}.lock`;
  const maxAgeMs = options.maxAgeMs ?? HARDWARE_MAX_AGE_MS;
  const now = options.now ?? Date.now;
  const lockWaitMs = options.lockWaitMs ?? 60_000;
  let memory: Snapshot | undefined;
  let inFlight: Promise<Snapshot> | undefined;
  let collections = 0;

  const fresh = (s: Snapshot | undefined): s is Snapshot => {
    if (s === undefined) return false;
    const age = now() - s.collectedAt;
    return age >= 0 && age < maxAgeMs;
  };

  const readFile = async (): Promise<Snapshot | undefined> => {
    const read = await readSealedFile(file, KIND, await machineSecret());
    if (read.state !== 'valid') return undefined;
    const { collectedAt, hardware } = read.body;
    if (typeof collectedAt !== 'number' || !isHardwareParams(hardware)) return undefined;
    return { collectedAt, hardware };
  };

  const collect = async (): Promise<Snapshot> => {
    const hardware = await source();
    collections++;
    const snapshot = { collectedAt: now(), hardware: copy(hardware) };
    await writeSealedFile(file, KIND, { ...snapshot }, await machineSecret());
    return snapshot;
  };

  /** Takes the lock; `false` when another process holds a live one. */
  const takeLock = async (): Promise<boolean> => {
    try {
      const handle = await open(lock, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const since = await stat(lock).then(
      (s) => Date.now() - s.mtimeMs,
      () => Number.POSITIVE_INFINITY,
    );
    if (since > LOCK_STALE_MS) {
      await unlink(lock).catch(() => undefined);
      return takeLock();
    }
    return false;
  };

  const refresh = async (): Promise<Snapshot> => {
    const onDisk = await readFile();
    if (fresh(onDisk)) return onDisk;
    const waitUntil = Date.now() + lockWaitMs;
    while (!(await takeLock())) {
      await pause(50);
      const written = await readFile();
      if (fresh(written)) return written;
      if (Date.now() >= waitUntil) return collect();
    }
    try {
      const again = await readFile();
      return fresh(again) ? again : await collect();
    } finally {
      await unlink(lock).catch(() => undefined);
    }
  };

  const get = async (): Promise<HardwareParams> => {
    if (!fresh(memory)) {
      inFlight ??= refresh().finally(() => {
        inFlight = undefined;
      });
      memory = await inFlight;
    }
    return copy(memory.hardware);
  };

  return Object.defineProperty(get, 'collections', { get: () => collections }) as PersistedHardware;
}
