/**
 * `@lictor/token`: PKCS#11 hardware tokens (smart cards, USB tokens, HSMs, SoftHSM2) as license
 * containers.
 *
 * - {@link openTokenModule} loads a token's PKCS#11 module ({@link resolveModule} finds it) and
 *   lists tokens; {@link TokenModule.openToken} opens a {@link TokenSession}.
 * - A session logs in ({@link readTokenPin} gets the PIN from a file, `LICTOR_TOKEN_PIN` or a
 *   terminal), generates the token's non-extractable ECDSA P-256 key, signs, and reads and writes
 *   the token's memory (named data objects, replaced crash-safely).
 * - {@link proveTokenPresence} proves a token holds its registered key with a fresh
 *   challenge–response; {@link TokenMonitor} does it every few seconds and reports hot plug.
 *
 * The native binding (`pkcs11js`) loads on first use: importing this package never fails, and a
 * missing binding or module is a `LICTOR_E_TOKEN_MODULE_MISSING` error with the reason.
 */

export type { TokenDataInfo, WriteDataOptions } from './data-objects.js';
export { DATA_APPLICATION } from './data-objects.js';
export type { TokenKey } from './keys.js';
export { openTokenModule, TokenModule } from './module.js';
export type { KnownModule, ModuleLookup, ModuleSource, ResolvedModule } from './module-paths.js';
export { KNOWN_MODULES, knownModulePaths, MODULE_ENV, resolveModule } from './module-paths.js';
export type {
  TokenMissing,
  TokenMonitorEvents,
  TokenMonitorOptions,
  TokenPresence,
  TokenPresent,
} from './monitor.js';
export { DEFAULT_PRESENCE_INTERVAL_MS, TokenMonitor } from './monitor.js';
export type { PinPrompt, PinSources } from './pin.js';
export { PIN_ENV, promptForPin, readTokenPin, TokenPin } from './pin.js';
export type { PresenceProof } from './presence.js';
export { answerTokenChallenge, proveTokenPresence } from './presence.js';
export { TokenSession } from './session.js';
export type { TokenErrorContext } from './token-errors.js';
export { ckrName, toTokenError } from './token-errors.js';
export type { TokenDescription, TokenSelector } from './token-info.js';
export { describeToken } from './token-info.js';
