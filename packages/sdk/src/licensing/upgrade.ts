/**
 * Remote upgrade of a licensing state's containers (`Licensing.startUpgrade`, `continueUpgrade`,
 * `confirmationCode`): the rules of `../upgrade.ts` applied to a container found by the last
 * reload, kept in a license file of the store or in a hardware token's memory.
 */
import { decodeLicenseFile, LictorError } from '@lictor/protocol';
import type { LoadedContainer } from '../containers.js';
import type { Licensing } from '../licensing.js';
import { openTokenStorage } from '../tokens/token-storage.js';
import { applyUpgrade, containersWithId, lastConfirmationCode, pickContainer, startUpgradeOf } from '../upgrade.js';
import { type ContainerStorage, fileStorage, withStorage } from '../upgrade-storage.js';
import type { LicensingContext } from './context.js';

/** What {@link remoteUpgrade} uses of the licensing state. */
export type UpgradeContext = Pick<
  LicensingContext,
  'publicKey' | 'storeDir' | 'now' | 'usage' | 'tokens' | 'reload' | 'containers' | 'emit'
>;

/** The remote upgrade part of `Licensing`. Each call reloads first, so that it works on the containers as they are now. */
export function remoteUpgrade(
  ctx: UpgradeContext,
): Pick<Licensing, 'startUpgrade' | 'continueUpgrade' | 'confirmationCode'> {
  // A license file and its pending upgrade in the store, or a container in a token's memory.
  const storageOf = async (c: LoadedContainer): Promise<ContainerStorage> => {
    if (c.token === undefined) return fileStorage(c, ctx.storeDir);
    if (ctx.tokens === undefined) throw new Error('a token container is only loaded with the tokens option');
    return openTokenStorage(ctx.tokens.support(), c);
  };
  return {
    async startUpgrade(containerId) {
      await ctx.reload();
      const container = pickContainer(ctx.containers(), containerId);
      const started = await withStorage(storageOf, container, (storage) =>
        startUpgradeOf(container, storage, new Date(ctx.now())),
      );
      await ctx.reload();
      return started;
    },
    async continueUpgrade(answer) {
      const doc = decodeLicenseFile(answer, ctx.publicKey);
      await ctx.reload();
      const container = containersWithId(ctx.containers(), doc.containerId)[0];
      if (!container) {
        throw new LictorError(
          'LICTOR_E_UPGRADE_MISMATCH',
          `this answer is for container ${doc.containerId}, which is not on this computer (or not in these license directories)`,
        );
      }
      const result = await withStorage(storageOf, container, (storage) =>
        applyUpgrade(doc, answer, container, storage),
      );
      ctx.usage.touch(result.file, ctx.now());
      await ctx.reload();
      // A file's change reaches the listeners through the watcher. The token poll compares with what
      // was just reloaded and would not tell, so this instance's listeners hear it here.
      if (container.token) ctx.emit({ added: [], removed: [], changed: [container.path] });
      return result;
    },
    async confirmationCode(containerId) {
      await ctx.reload();
      return lastConfirmationCode(pickContainer(ctx.containers(), containerId));
    },
  };
}
