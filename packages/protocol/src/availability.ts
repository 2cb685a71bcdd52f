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

/**
 * What the application says it is. `client`: a client application on its user's computer.
 * `server`: a process that serves others from its computer: an application server's worker, a
 * web server extension, or an application running on a terminal server (a multi-session host).
 */
export type ApplicationRole = 'client' | 'server';

/** The application asking: its role and the bitness of its process. */
export interface Application {
  role: ApplicationRole;
  bitness: 32 | 64;
}

/** The bitness of a `process.arch` value (`ia32`, `arm`, `x86`, … are 32-bit). */
export function bitnessOf(arch: string): 32 | 64 {
  return ['ia32', 'x86', 'arm', 'mips', 'mipsel', 'ppc', 's390'].includes(arch) ? 32 : 64;
}

/**
 * Whether a license entry can serve `app` at `nowMs` (the documents' type rules): only
 * single-user licenses serve a client computer's checks; a multi-user license serves a server or
 * terminal server (role `server`), or client computers through a License Manager; a server
 * license serves server processes, a 32-bit (`x86`) one only 32-bit processes; a server-sessions
 * license serves one server of either bitness.
 */
export function entryUsable(entry: LicenseEntry, app: Application, nowMs: number): Decision<Record<never, never>> {
  const server = entry.type === 'server' || entry.type === 'server-sessions';
  if (entry.type === 'multi' && app.role === 'client') {
    return {
      ok: false,
      code: 'LICTOR_E_NETWORK_LICENSE',
      reason: `${entry.product} is a multi-user license: client computers get it from a License Manager; it serves locally only an application on a server or terminal server (role server)`,
    };
  }
  if (entry.type === 'single' && app.role === 'server') {
    return {
      ok: false,
      code: 'LICTOR_E_CLIENT_LICENSE',
      reason: `${entry.product} is a single-user client license: it serves client applications on this computer, not a server process; a server needs a multi-user or server license`,
    };
  }
  if (server && app.role === 'client') {
    return {
      ok: false,
      code: 'LICTOR_E_SERVER_LICENSE',
      reason: `${entry.product} is a ${entry.type} license: it serves server processes, and this application runs as a client`,
    };
  }
  if (entry.type === 'server' && entry.arch === 'x86' && app.bitness !== 32) {
    return {
      ok: false,
      code: 'LICTOR_E_ARCH_MISMATCH',
      reason: `${entry.product} is licensed for 32-bit servers only; this process is ${app.bitness}-bit`,
    };
  }
  if (entry.expiresAt !== null && nowMs >= Date.parse(entry.expiresAt)) {
    return { ok: false, code: 'LICTOR_E_LICENSE_EXPIRED', reason: `${entry.product} expired on ${entry.expiresAt}` };
  }
  return { ok: true };
}
