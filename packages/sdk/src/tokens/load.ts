/**
 * Loading `@lictor/token` on demand. The SDK declares it as an optional peer dependency and
 * imports it only when an application turns tokens on, so that applications without tokens
 * neither install nor load its native binding. Every way this can fail (package not installed,
 * binding not built, module not found or refusing to initialize, PIN file unreadable) is a typed
 * error that `openLicensing` turns into one status entry, leaving the other licenses working.
 */
import { LictorError } from '@lictor/protocol';
import type { TokenModule, TokenPin, TokenSession } from '@lictor/token';
import type { TokenOptions } from './options.js';

/** The `@lictor/token` package. */
export type TokenPackage = typeof import('@lictor/token');

/** An opened PKCS#11 module and the PIN to log in with. */
export interface TokenSupport {
  pkg: TokenPackage;
  module: TokenModule;
  /** The PIN for this token: `undefined` when there is none, or it belongs to another token (`pinToken`). */
  pinFor(token: { serial: string; label?: string | undefined }): TokenPin | undefined;
  /**
   * Tells which tokens are plugged in, so that a PIN for the sole token (`pinToken: { sole: true }`)
   * is bound to the only one present; with several present it is given to none (a PIN tried on
   * every token spends other smart cards' wrong-PIN tries).
   */
  notePresent(tokens: readonly { serial: string }[]): void;
}

/** Whether `token` is the one a PIN belongs to (no `pinToken`: every token). */
export function pinBelongsTo(
  pinToken: { serial?: string; label?: string } | undefined,
  token: { serial: string; label?: string | undefined },
): boolean {
  if (pinToken === undefined) return true;
  if (pinToken.serial === undefined && pinToken.label === undefined) return true;
  if (pinToken.serial !== undefined && pinToken.serial.trim() !== token.serial) return false;
  if (pinToken.label !== undefined && (token.label === undefined || pinToken.label.trim() !== token.label))
    return false;
  return true;
}

/** Imports `@lictor/token`; `LICTOR_E_TOKEN_MODULE_MISSING` when it is not installed. */
async function loadTokenPackage(): Promise<TokenPackage> {
  try {
    return await import('@lictor/token');
  } catch (err) {
    throw new LictorError(
      'LICTOR_E_TOKEN_MODULE_MISSING',
      `the @lictor/token package cannot be loaded (${(err as Error).message}); install it with the application to use hardware tokens`,
      { package: '@lictor/token' },
    );
  }
}

async function readPin(
  pkg: TokenPackage,
  options: TokenOptions,
  env: NodeJS.ProcessEnv,
): Promise<TokenPin | undefined> {
  const { pin, pinFile } = options;
  if (pin !== undefined) return new pkg.TokenPin(typeof pin === 'string' ? pin : pin.reveal());
  if (pinFile !== undefined) return pkg.readTokenPin({ pinFile, env });
  try {
    return await pkg.readTokenPin({ env });
  } catch (err) {
    // No PIN anywhere: tokens that need one say so when their presence is checked.
    if ((err as { code?: unknown }).code === 'LICTOR_E_TOKEN_PIN_REQUIRED') return undefined;
    throw err;
  }
}

/** Loads the package, reads the PIN and opens the module. Throws a `LictorError` with the reason. */
export async function openTokenSupport(options: TokenOptions, env: NodeJS.ProcessEnv): Promise<TokenSupport> {
  const pkg = await loadTokenPackage();
  const pin = await readPin(pkg, options, env);
  const module = pkg.openTokenModule(options.module, { env });
  const { pinToken } = options;
  if (pinToken === undefined || !('sole' in pinToken)) {
    return { pkg, module, pinFor: (token) => (pinBelongsTo(pinToken, token) ? pin : undefined), notePresent() {} };
  }
  // The PIN belongs to the one token present when it is first needed; with several, to none.
  let bound: string | undefined;
  let ambiguous = false;
  return {
    pkg,
    module,
    notePresent(tokens) {
      if (bound !== undefined) return;
      ambiguous = tokens.length > 1;
      if (tokens.length === 1) bound = tokens[0]?.serial;
    },
    pinFor(token) {
      if (pin === undefined || ambiguous) return undefined;
      bound ??= token.serial;
      return token.serial === bound ? pin : undefined;
    },
  };
}

/**
 * Logs the session in when its token requires it; `LICTOR_E_TOKEN_PIN_REQUIRED` without a PIN.
 * `purpose` starts the message: "upgrading the license on the hardware token … needs …".
 */
export async function logInIfRequired(session: TokenSession, support: TokenSupport, purpose: string): Promise<void> {
  if (!session.token.loginRequired) return;
  const pin = support.pinFor(session.token);
  if (pin === undefined) {
    throw new LictorError(
      'LICTOR_E_TOKEN_PIN_REQUIRED',
      `${purpose} needs the token's user PIN: give a PIN file (lictor: --token-pin-file, with --token-label or --token-serial naming this token when several tokens are plugged in) or set LICTOR_TOKEN_PIN`,
    );
  }
  await session.login(pin);
}
