/**
 * The offline requests of a licensing state (`Licensing.requestOffline`, `install`, `requests`,
 * `cancelRequest`): the computer without a connection asks by file or short code, and installs
 * the vendor's answer, over the request records of `../offline.ts` in the store.
 */
import type { Licensing } from '../licensing.js';
import { cancelRequest, createOfflineRequest, installAnswerCode, installAnswerFile, listRequests } from '../offline.js';
import type { LicensingContext } from './context.js';

/** What {@link offlineRequests} uses of the licensing state. */
export type OfflineContext = Pick<
  LicensingContext,
  'publicKey' | 'storeDir' | 'hardware' | 'machineSecret' | 'now' | 'usage' | 'reload'
>;

/** The offline request part of `Licensing`, over the store of `ctx`. */
export function offlineRequests(
  ctx: OfflineContext,
): Pick<Licensing, 'requestOffline' | 'install' | 'requests' | 'cancelRequest'> {
  const { publicKey, storeDir, hardware, machineSecret } = ctx;
  return {
    requestOffline: async (input, kind) =>
      createOfflineRequest(input, kind, await hardware(), storeDir, machineSecret, new Date(ctx.now())),
    async install(answer) {
      const hw = await hardware();
      const installed =
        'file' in answer
          ? await installAnswerFile(answer.file, publicKey, hw, storeDir, machineSecret)
          : await installAnswerCode(answer.code, publicKey, hw, storeDir, machineSecret);
      ctx.usage.touch(installed.file, ctx.now());
      await ctx.reload();
      return installed;
    },
    requests: () => listRequests(storeDir),
    cancelRequest: (id) => cancelRequest(storeDir, id),
  };
}
