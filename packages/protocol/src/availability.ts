/**
 * Availability rules: whether a verified license file can serve a request on this computer.
 * Pure functions; the SDK calls them with the collected hardware and the clock.
 */
import type { ErrorCode } from './errors.js';
import { type HardwareParams, matchHardware } from './hardware.js';
import type { LicenseDocument, LicenseEntry, TokenBinding } from './license.js';

/** Serials and activations the vendor has blacklisted. */
export interface Blacklist {
  serials: ReadonlySet<string>;
  activations: ReadonlySet<string>;
}

/** An empty blacklist. */
export const NO_BLACKLIST: Blacklist = { serials: new Set(), activations: new Set() };

/** Why a license cannot serve a request. */
export interface Refusal {
  ok: false;
  code: ErrorCode;
  reason: string;
}

/** Either the value or why it is refused. */
export type Decision<T> = ({ ok: true } & T) | Refusal;

/**
 * Whether the hardware token a license is bound to is present right now (a fresh
 * challenge–response succeeded), or why not. The SDK answers it from its token monitors.
 */
export type TokenPresenceLookup = (binding: TokenBinding) => Decision<Record<never, never>>;

/** The lookup used when an application has no token support turned on. */
export const NO_TOKENS: TokenPresenceLookup = (binding) => ({
  ok: false,
  code: 'LICTOR_E_TOKEN_ABSENT',
  reason: `bound to hardware token ${describeTokenBinding(binding)}, and token licenses are not enabled here (openLicensing's tokens option)`,
});

/** `SoftHSM project SoftHSM v2 #a1b2…` style name of a bound token, for messages. */
export function describeTokenBinding(binding: TokenBinding): string {
  const { manufacturer, model, serial } = binding.token;
  return `${manufacturer} ${model} #${serial}`;
}

/** Whether a container may be used on this computer at all (blacklist and binding). */
export function containerUsable(
  doc: LicenseDocument,
  hardware: HardwareParams,
  blacklist: Blacklist,
  tokenPresence: TokenPresenceLookup = NO_TOKENS,
): Decision<Record<never, never>> {
  if (blacklist.serials.has(doc.serial)) {
    return { ok: false, code: 'LICTOR_E_BLACKLISTED', reason: `serial ${doc.serial} is blacklisted by the vendor` };
  }
  if (blacklist.activations.has(doc.activationId)) {
    return {
      ok: false,
      code: 'LICTOR_E_BLACKLISTED',
      reason: `this license file (activation ${doc.activationId}) is blacklisted by the vendor`,
    };
  }
  if (doc.binding.kind === 'token') return tokenPresence(doc.binding);
  const match = matchHardware(doc.binding.hardware, hardware);
  if (!match.ok) {
    return {
      ok: false,
      code: 'LICTOR_E_HARDWARE_MISMATCH',
      reason: `bound to another computer: ${match.changes.map((c) => c.message).join('; ')}; activate again with a new PIN code`,
    };
  }
  return { ok: true };
}

/** Whether a license entry can serve an application running with `arch` (`process.arch`) at `nowMs`. */
export function entryUsable(entry: LicenseEntry, arch: string, nowMs: number): Decision<Record<never, never>> {
  if (entry.type === 'multi') {
    return {
      ok: false,
      code: 'LICTOR_E_NETWORK_LICENSE',
      reason: `${entry.product} is a multi-user license: it is served to applications by a License Manager`,
    };
  }
  if (entry.type === 'server' && entry.arch === 'x86' && arch !== 'ia32' && arch !== 'x86') {
    return {
      ok: false,
      code: 'LICTOR_E_ARCH_MISMATCH',
      reason: `${entry.product} is licensed for 32-bit servers only; this process is ${arch}`,
    };
  }
  if (entry.expiresAt !== null && nowMs >= Date.parse(entry.expiresAt)) {
    return { ok: false, code: 'LICTOR_E_LICENSE_EXPIRED', reason: `${entry.product} expired on ${entry.expiresAt}` };
  }
  return { ok: true };
}
