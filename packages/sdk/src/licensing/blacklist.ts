/**
 * The vendor's blacklist of a licensing state: the download on demand
 * (`Licensing.refreshBlacklist`) and the scheduled one of the `blacklistRefresh` option
 * (`Licensing.blacklistRefresh`). A list is stored only when it is not older than the one in
 * force; the center's signed time moves the clock mark.
 */
import { join } from 'node:path';
import { type FetchedBlacklist, fetchBlacklist } from '../blacklist-client.js';
import { BlacklistRefresher, checkNotOlder } from '../blacklist-refresher.js';
import { BLACKLIST_FILE_NAME, writeFileAtomic } from '../files.js';
import type { Licensing, LicensingOptions } from '../licensing.js';
import { seenBlacklistPath } from '../trust/blacklist-seen.js';
import type { LicensingContext } from './context.js';

/** What {@link vendorBlacklist} uses of the licensing state. */
export type BlacklistContext = Pick<
  LicensingContext,
  'publicKey' | 'storeDir' | 'scheduler' | 'clock' | 'reload' | 'blacklistSequence'
>;

/** The blacklist part of `Licensing`, and the end of its schedule. */
export interface VendorBlacklist extends Pick<Licensing, 'refreshBlacklist' | 'blacklistRefresh'> {
  /** Stops the scheduled download (a download under way still finishes). */
  stop(): void;
}

/**
 * The blacklist part of `Licensing`. With `refresh` (the `blacklistRefresh` option), the scheduled
 * download starts at once, on `refresh.scheduler`, else on the state's scheduler.
 */
export function vendorBlacklist(ctx: BlacklistContext, refresh: LicensingOptions['blacklistRefresh']): VendorBlacklist {
  /** Verifies a downloaded list against the one in force, then stores it (list and copy) and reloads. */
  const store = async (center: string, fetched: FetchedBlacklist): Promise<string> => {
    checkNotOlder(fetched, ctx.blacklistSequence(), center);
    if (fetched.time) await ctx.clock.serverTime(fetched.time.signed, fetched.time.ms);
    const file = join(ctx.storeDir, BLACKLIST_FILE_NAME);
    await writeFileAtomic(seenBlacklistPath(ctx.storeDir), fetched.text);
    await writeFileAtomic(file, fetched.text);
    await ctx.reload();
    return file;
  };
  let refresher: BlacklistRefresher | undefined;
  if (refresh !== undefined) {
    refresher = new BlacklistRefresher({
      center: refresh.center,
      publicKey: ctx.publicKey,
      known: ctx.blacklistSequence,
      store: async (fetched) => {
        await store(refresh.center, fetched);
      },
      ...(refresh.intervalMs === undefined ? {} : { intervalMs: refresh.intervalMs }),
      ...(refresh.retryMs === undefined ? {} : { retryMs: refresh.retryMs }),
      scheduler: refresh.scheduler ?? ctx.scheduler,
      ...(refresh.onError ? { onError: refresh.onError } : {}),
    });
    refresher.start();
  }
  return {
    async refreshBlacklist(center, options = {}) {
      const list = await fetchBlacklist(center, ctx.publicKey, options.timeoutMs);
      const file = await store(center, list);
      const { serials, activations, sequence, issuedAt } = list;
      return { file, serials, activations, sequence, issuedAt };
    },
    blacklistRefresh: () => refresher?.status(),
    stop: () => refresher?.stop(),
  };
}
