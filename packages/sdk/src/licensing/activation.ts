/**
 * `Licensing.activate`: online activation with a serial number and PIN code. A new container key
 * pair is made here, the center answers with a license file for its public key, and the sealed
 * private keys and the file are written to the store before the state reloads.
 */
import { join } from 'node:path';
import { generateContainerKeys, LictorError } from '@lictor/protocol';
import { type ActivateInput, type ActivationResult, activateOnline } from '../activation-client.js';
import { keyFilePath, sealKeys, writeKeyFile } from '../container-keys.js';
import { writeFileAtomic } from '../files.js';
import { type BindTokenSelector, type SignedTokenClaim, signTokenClaim } from '../tokens/activation.js';
import { networkClaim } from '../tokens/network-dongles.js';
import type { TokenLicenses } from '../tokens/token-licenses.js';
import type { LicensingContext } from './context.js';

/** What {@link activate} uses of the licensing state. */
export type ActivationContext = Pick<
  LicensingContext,
  | 'publicKey'
  | 'storeDir'
  | 'hardware'
  | 'machineSecret'
  | 'now'
  | 'clock'
  | 'usage'
  | 'tokens'
  | 'networkTokens'
  | 'env'
  | 'reload'
>;

/** Signs the claim of an activation bound to a token, with the token support of `openLicensing`. */
function bindingClaim(
  tokens: TokenLicenses | undefined,
  selector: BindTokenSelector,
  serial: string,
  now: Date,
): Promise<SignedTokenClaim> {
  if (tokens === undefined) {
    throw new LictorError(
      'LICTOR_E_INVALID_INPUT',
      "binding a license to a hardware token needs openLicensing's tokens option (lictor activate --bind-token)",
    );
  }
  return signTokenClaim(tokens.support(), selector, serial, now);
}

/**
 * Activates online (`POST /v1/activations`), writes the key file then the license file into the
 * store, lets the center's signed time move the clock mark, and reloads. With `input.bindToken`,
 * the license is bound to a hardware token (which needs the `tokens` option).
 */
export async function activate(ctx: ActivationContext, input: ActivateInput): Promise<ActivationResult> {
  const secret = await ctx.machineSecret();
  const keys = generateContainerKeys();
  // A network dongle: the License Manager's token signs the claim (`input.networkToken`).
  const viaManager = input.networkToken && (await networkClaim(input, ctx.networkTokens, ctx.env));
  const token =
    viaManager ??
    (input.bindToken && (await bindingClaim(ctx.tokens, input.bindToken, input.serial, new Date(ctx.now()))));
  const answer = await activateOnline(input, await ctx.hardware(), ctx.publicKey, keys.public, token?.activation);
  const file = join(ctx.storeDir, answer.fileName);
  // The key file first: a license without its key file would not be upgradable.
  await writeKeyFile(
    keyFilePath(file, answer.serial, answer.activationId),
    sealKeys(keys.private, secret, answer.containerId),
  );
  // The marker before the license: the reload must not look for the dongle among local tokens.
  if (viaManager) await viaManager.record(ctx.storeDir, answer.activationId);
  await writeFileAtomic(file, answer.license);
  if (answer.time) await ctx.clock.serverTime(answer.time.signed, answer.time.ms);
  ctx.usage.touch(file, ctx.now());
  await ctx.reload();
  return {
    activationId: answer.activationId,
    reactivated: answer.reactivated,
    serial: answer.serial,
    file,
    ...(token
      ? {
          token: {
            ...token.activation.claim.token,
            publicKey: token.activation.claim.publicKey,
            keyGenerated: token.keyGenerated,
            ...(viaManager ? { manager: viaManager.manager } : {}),
          },
        }
      : {}),
  };
}
