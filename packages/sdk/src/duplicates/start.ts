/** Wiring duplicate detection into an open licensing state: what to announce, what to do on a duplicate. */
import { type DuplicateEvidence, LictorError, type VendorPublicKey } from '@lictor/protocol';
import type { LoadedContainer } from '../containers.js';
import type { MachineSecretSource } from '../machine-secret.js';
import { resolveInstanceId } from './instance.js';
import { writeDuplicateMark } from './marks.js';
import { reportDuplicate } from './report.js';
import { type AnnouncedLicense, type DuplicateDetectionOptions, DuplicateWatch } from './watch.js';

/** The licenses to announce: usable files whose container key opens here. */
export function announcedLicenses(
  files: readonly { path: string; available: boolean }[],
  containers: readonly LoadedContainer[],
): AnnouncedLicense[] {
  const available = new Set(files.filter((f) => f.available).map((f) => f.path));
  const out: AnnouncedLicense[] = [];
  for (const c of containers) {
    if (available.has(c.path) && c.keys.ok) out.push({ license: c.text, signKey: c.keys.keys.sign });
  }
  return out;
}

/** What {@link startDuplicateWatch} needs from the licensing state. */
export interface DuplicateWatchContext {
  publicKey: VendorPublicKey;
  storeDir: string;
  machineSecret: MachineSecretSource;
  inUse(): readonly AnnouncedLicense[];
  reload(): Promise<void>;
}

/** Duplicate detection of a licensing state, running until {@link DuplicateDetection.close}. */
export type DuplicateDetection = Pick<DuplicateWatch, 'status' | 'close'>;

/**
 * Starts announcing and listening. A duplicate is marked in the store (its files become
 * unusable at once) and reported to the center, again every interval until the center answers
 * or detection is closed.
 */
export async function startDuplicateWatch(
  options: DuplicateDetectionOptions,
  ctx: DuplicateWatchContext,
): Promise<DuplicateDetection> {
  const instance = options.instance ?? (await resolveInstanceId(await ctx.machineSecret()));
  const retryMs = options.intervalMs ?? 30_000;
  const retries = new Set<NodeJS.Timeout>();
  let closed = false;
  const report = (center: string, evidence: DuplicateEvidence): void => {
    reportDuplicate(center, evidence).catch((error: unknown) => {
      // Refused by the center (e.g. another vendor): nothing to retry. Unreachable or busy
      // (rate-limited): try again later.
      const later = ['LICTOR_E_CENTER_UNREACHABLE', 'LICTOR_E_RATE_LIMITED'];
      if (closed || (error instanceof LictorError && !later.includes(error.code))) return;
      const retry = setTimeout(() => {
        retries.delete(retry);
        report(center, evidence);
      }, retryMs);
      retry.unref();
      retries.add(retry);
    });
  };
  const watch = await DuplicateWatch.start(
    {
      publicKey: ctx.publicKey,
      instance,
      inUse: ctx.inUse,
      onDuplicate: async (evidence) => {
        await writeDuplicateMark(ctx.storeDir, evidence);
        await ctx.reload();
        if (options.center !== undefined) report(options.center, evidence);
      },
    },
    options,
  );
  watch.announce();
  return {
    status: () => watch.status(),
    close() {
      closed = true;
      for (const retry of retries) clearTimeout(retry);
      watch.close();
    },
  };
}
