/**
 * The `tokens` option of `openLicensing`: licenses on hardware tokens (dongles) and licenses
 * bound to them. These types do not depend on `@lictor/token`, so an application that never
 * turns tokens on needs neither that package nor its native binding.
 */

import type { Scheduler } from '@lictor/protocol';

/** Default time between two presence checks of a token in use, in ms. */
export const DEFAULT_TOKEN_INTERVAL_MS = 3000;

/**
 * A token user PIN: a string, or an object that reveals it, such as `@lictor/token`'s
 * `TokenPin` (which prints as `[PIN]` wherever it ends up). The SDK never logs it.
 */
export type TokenPinSource = string | { reveal(): string };

/** How {@link openLicensing} finds hardware tokens and proves their presence. */
export interface TokenOptions {
  /**
   * The PKCS#11 module: a path or a known name (`opensc`, `ykcs11`, `softhsm`). Default:
   * `LICTOR_PKCS11_MODULE`, then the usual install places (see docs/dongles.md).
   */
  module?: string;
  /** The tokens' user PIN. Without it (and without `pinFile`), `LICTOR_TOKEN_PIN` is used if set. */
  pin?: TokenPinSource;
  /** A file whose first line is the user PIN (read once, at open). */
  pinFile?: string;
  /**
   * The token the PIN belongs to (its serial and/or label; every field given must match): the
   * PIN is given to that token only and never tried on another, so no other token's wrong-PIN
   * counter moves (smart cards lock after a few wrong tries). A label is matched against the
   * tokens plugged in when the licensing (re)loads. `{ sole: true }`: the PIN belongs to the
   * only token plugged in when it is first needed, and with several plugged in it goes to none
   * (the `lictor` command's choice when no token is named). Without `pinToken`, every token in
   * use gets the PIN (a fleet of dongles that share one PIN).
   */
  pinToken?: { serial?: string; label?: string } | { sole: true };
  /** Time between two presence checks of each token in use (default 3000 ms, at least 10). */
  intervalMs?: number;
  /** The clock and timers of the presence checks and of looking for new tokens (default `systemScheduler`). */
  scheduler?: Scheduler;
}

/** Where a license lives on a hardware token (see {@link LicenseFileStatus.onToken}). */
export interface TokenLocation {
  manufacturer: string;
  model: string;
  serial: string;
  label: string;
}

/** The status path of the license stored on a token: `token:<manufacturer>/<serial>`. */
export function tokenContainerPath(token: { manufacturer: string; serial: string }): string {
  return `token:${token.manufacturer}/${token.serial}`;
}
