/**
 * Availability rules: whether a verified license file can serve a request on this computer.
 * Pure functions; the SDK calls them with the collected hardware and the clock.
 */
import type { ErrorCode } from './errors.js';
import { type HardwareParams, matchHardware } from './hardware.js';
import type { LicenseDocument, LicenseEntry } from './license.js';

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

/** Whether a container may be used on this computer at all (blacklist and binding). */
export function containerUsable(
  doc: LicenseDocument,
  hardware: HardwareParams,
  blacklist: Blacklist,
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
  return expiryDecision(entry, nowMs);
}

/** Whether an entry's time limit has passed. Used on the hot path of `check()`. */
export function expiryDecision(entry: LicenseEntry, nowMs: number): Decision<Record<never, never>> {
  if (entry.expiresAt !== null && nowMs >= Date.parse(entry.expiresAt)) {
    return { ok: false, code: 'LICTOR_E_LICENSE_EXPIRED', reason: `${entry.product} expired on ${entry.expiresAt}` };
  }
  return { ok: true };
}
