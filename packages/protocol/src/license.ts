/**
 * The license model: what a package sells and what an activated license file holds.
 * Every activated license is a container of one or more license entries; the first slice
 * issues one entry per activation, later remote upgrades change the entries and the counter.
 */

import { LictorError } from './errors.js';
import { fieldReaders } from './fields.js';
import { type HardwareParams, isHardwareParams } from './hardware.js';

/** The license types a package can carry (from the documents Lictor follows). */
export const LICENSE_TYPES = ['single', 'multi', 'combined', 'server', 'server-sessions'] as const;
export type LicenseType = (typeof LICENSE_TYPES)[number];

/** The type written in an activated license: a combined package yields `single` or `multi`. */
export type IssuedLicenseType = Exclude<LicenseType, 'combined'>;

/** Server licenses come for 32-bit (`x86`) or 64-bit (`x64`) servers; x64 also covers x86. */
export type ServerArch = 'x86' | 'x64';

/** A component/option of a product and, where it is counted, its number of users. */
export interface FeatureGrant {
  code: string;
  /** `null`: not counted (any number of users allowed by the license). */
  users: number | null;
}

/** Owner registration data sent with an activation. */
export type Owner = Record<string, string>;

/** One license inside a container. */
export interface LicenseEntry {
  product: string;
  type: IssuedLicenseType;
  /** Client applications (multi), or 1. */
  users: number;
  /** Concurrent sessions of a `server-sessions` license, else `null`. */
  sessions: number | null;
  /** Server architecture of a server license, else `null`. */
  arch: ServerArch | null;
  /** ISO 8601 instant after which the license is expired, or `null` for perpetual. */
  expiresAt: string | null;
  features: FeatureGrant[];
  /**
   * The most days a seat of this license may be borrowed from a License Manager for offline use
   * (1 to {@link MAX_BORROW_DAYS}); absent: no borrowing. Set by the vendor at issue.
   */
  borrowDays?: number;
  /**
   * How long, in minutes (1 to {@link MAX_GRACE_MINUTES}), a client keeps its seat of this license
   * after it last reached its License Manager, and the manager keeps the seat counted for it;
   * absent: the manager's lease TTL. Set by the vendor at issue.
   */
  graceMinutes?: number;
}

/** The longest borrowing a license may allow: 365 days. */
export const MAX_BORROW_DAYS = 365;
/** The longest grace period a license may give: 7 days. */
export const MAX_GRACE_MINUTES = 7 * 24 * 60;

/** A license bound to a computer's key hardware parameters. */
export interface HardwareBinding {
  kind: 'hardware';
  hardware: HardwareParams;
}

/** What a hardware token reports about itself (the documents' dongle series, type and ID). */
export interface TokenIdentity {
  manufacturer: string;
  model: string;
  serial: string;
}

/**
 * A license bound to a hardware token (a dongle) instead of a computer: usable wherever that
 * token proves its presence by signing a fresh challenge with its non-extractable key.
 */
export interface TokenBinding {
  kind: 'token';
  token: TokenIdentity;
  /** The token's ECDSA P-256 public key, `lictor-p256:…` (see `parseTokenPublicKey`). */
  publicKey: string;
}

/** What a license is bound to. */
export type LicenseBinding = HardwareBinding | TokenBinding;

/** The hardware binding of a license; `LICTOR_E_INVALID_INPUT` when it is bound to a token. */
export function hardwareBindingOf(doc: { binding: LicenseBinding }): HardwareBinding {
  if (doc.binding.kind !== 'hardware') {
    throw new LictorError('LICTOR_E_INVALID_INPUT', 'this license is bound to a hardware token, not to a computer');
  }
  return doc.binding;
}

/** The signed contents of a license file. */
export interface LicenseDocument {
  format: 1;
  /** Random identifier of this container (stable across upgrades). */
  containerId: string;
  /** The activation in the License Center that produced this file. */
  activationId: string;
  serial: string;
  /** 1-based index of the PIN code used (the PIN itself is never written). */
  pin: number;
  issuedAt: string;
  /** Upgrade counter of the container, 0 at activation. */
  counter: number;
  owner: Owner;
  binding: LicenseBinding;
  licenses: LicenseEntry[];
  /** Nonce of the offline request this license answers; absent for online activations. */
  requestNonce?: string;
  /** `software-dongle`: activated once, never reactivated or transferred. Absent means `standard`. */
  policy?: ContainerPolicy;
  /** The container's own public keys, generated on the computer at activation. */
  containerKeys?: ContainerKeys;
  /** Present when this state was produced by a remote upgrade. */
  upgrade?: UpgradeStamp;
}

/** How a container may be activated and moved. */
export type ContainerPolicy = 'standard' | 'software-dongle';

/** A container's public keys: Ed25519 to sign upgrade questions, X25519 to receive secrets. */
export interface ContainerKeys {
  /** Raw Ed25519 public key, base64url. */
  sign: string;
  /** Raw X25519 public key, base64url. */
  box: string;
}

/** What ties an upgraded state to the question it answers. */
export interface UpgradeStamp {
  /** Nonce of the upgrade question. */
  nonce: string;
  /** Counter of the state the question was asked from (the new counter is one more). */
  fromCounter: number;
  /** The confirmation secret, sealed to the container's X25519 key (base64url). */
  confirm: string;
}

/** Codes of products and features: letters, digits, `_`, `-`, `.`; 1–64 characters. */
export const CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function fail(field: string, what: string): never {
  throw new LictorError('LICTOR_E_FILE_FORMAT', `license file field '${field}' ${what}`);
}

const { obj, str, int } = fieldReaders(fail);

function code(v: unknown, field: string): string {
  const s = str(v, field, 64);
  if (!CODE_PATTERN.test(s)) fail(field, 'must be a product or feature code');
  return s;
}

function nullable<T>(v: unknown, read: (x: unknown) => T): T | null {
  return v === null ? null : read(v);
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

function instant(v: unknown, field: string): string {
  const s = str(v, field, 40);
  if (!ISO_INSTANT.test(s) || Number.isNaN(Date.parse(s))) fail(field, 'must be an ISO 8601 UTC instant');
  return s;
}

function parseEntry(v: unknown, field: string): LicenseEntry {
  const e = obj(v, field);
  const type = e.type;
  if (type !== 'single' && type !== 'multi' && type !== 'server' && type !== 'server-sessions') {
    fail(`${field}.type`, 'is not a known license type');
  }
  const arch = e.arch;
  if (arch !== null && arch !== 'x86' && arch !== 'x64') fail(`${field}.arch`, 'must be x86, x64 or null');
  if (!Array.isArray(e.features)) fail(`${field}.features`, 'must be a list');
  // Absent unless set, so that licenses issued without them keep their signed bytes.
  const borrowDays =
    e.borrowDays === undefined ? undefined : bounded(e.borrowDays, `${field}.borrowDays`, MAX_BORROW_DAYS);
  const graceMinutes =
    e.graceMinutes === undefined ? undefined : bounded(e.graceMinutes, `${field}.graceMinutes`, MAX_GRACE_MINUTES);
  return {
    product: code(e.product, `${field}.product`),
    type,
    users: int(e.users, `${field}.users`, 1),
    sessions: nullable(e.sessions, (x) => int(x, `${field}.sessions`, 1)),
    arch,
    expiresAt: nullable(e.expiresAt, (x) => instant(x, `${field}.expiresAt`)),
    features: e.features.map((f, i) => {
      const g = obj(f, `${field}.features[${i}]`);
      return {
        code: str(g.code, `${field}.features[${i}].code`, 64),
        users: nullable(g.users, (x) => int(x, `${field}.features[${i}].users`, 1)),
      };
    }),
    ...(borrowDays === undefined ? {} : { borrowDays }),
    ...(graceMinutes === undefined ? {} : { graceMinutes }),
  };
}

function bounded(v: unknown, field: string, max: number): number {
  const n = int(v, field, 1);
  if (n > max) fail(field, `must be at most ${max}`);
  return n;
}

/** Checks the token identity of a token binding. */
function parseTokenIdentity(value: unknown, field = 'token'): TokenIdentity {
  const t = obj(value, field);
  return {
    manufacturer: str(t.manufacturer, `${field}.manufacturer`, 64),
    model: str(t.model, `${field}.model`, 64),
    serial: str(t.serial, `${field}.serial`, 64),
  };
}

function parseBinding(b: Record<string, unknown>): LicenseBinding {
  if (b.kind === 'hardware' && isHardwareParams(b.hardware)) return { kind: 'hardware', hardware: b.hardware };
  if (b.kind === 'token') {
    return {
      kind: 'token',
      token: parseTokenIdentity(b.token, 'binding.token'),
      publicKey: str(b.publicKey, 'binding.publicKey', 512),
    };
  }
  return fail('binding', 'is neither a hardware nor a token binding');
}

/** Checks the shape of a verified payload and returns it typed. */
export function parseLicenseDocument(payload: unknown): LicenseDocument {
  const d = obj(payload, '(root)');
  if (d.format !== 1) fail('format', 'must be 1');
  const binding = parseBinding(obj(d.binding, 'binding'));
  const owner = obj(d.owner, 'owner');
  for (const [k, v] of Object.entries(owner)) str(v, `owner.${k}`, 256);
  if (!Array.isArray(d.licenses) || d.licenses.length === 0) fail('licenses', 'must be a non-empty list');
  const requestNonce = d.requestNonce === undefined ? undefined : str(d.requestNonce, 'requestNonce', 64);
  const policy = d.policy;
  if (policy !== undefined && policy !== 'standard' && policy !== 'software-dongle')
    fail('policy', 'is not a known policy');
  let containerKeys: ContainerKeys | undefined;
  if (d.containerKeys !== undefined) {
    const k = obj(d.containerKeys, 'containerKeys');
    containerKeys = { sign: str(k.sign, 'containerKeys.sign', 64), box: str(k.box, 'containerKeys.box', 64) };
  }
  let upgrade: UpgradeStamp | undefined;
  if (d.upgrade !== undefined) {
    const u = obj(d.upgrade, 'upgrade');
    upgrade = {
      nonce: str(u.nonce, 'upgrade.nonce', 64),
      fromCounter: int(u.fromCounter, 'upgrade.fromCounter'),
      confirm: str(u.confirm, 'upgrade.confirm', 256),
    };
  }
  return {
    ...(requestNonce === undefined ? {} : { requestNonce }),
    ...(policy === undefined ? {} : { policy }),
    ...(containerKeys === undefined ? {} : { containerKeys }),
    ...(upgrade === undefined ? {} : { upgrade }),
    format: 1,
    containerId: str(d.containerId, 'containerId', 64),
    activationId: str(d.activationId, 'activationId', 64),
    serial: str(d.serial, 'serial', 64),
    pin: int(d.pin, 'pin', 1),
    issuedAt: instant(d.issuedAt, 'issuedAt'),
    counter: int(d.counter, 'counter'),
    owner: owner as Owner,
    binding,
    licenses: d.licenses.map((e, i) => parseEntry(e, `licenses[${i}]`)),
  };
}
