/**
 * The changes an upgrade makes to a container's licenses: checked and applied as a pure
 * function that returns the next licenses or the refusal, naming the field at fault, before
 * anything is locked or written.
 * An upgrade may give (features, users, time, another product) and take away (features, users,
 * time, down to "expired now"); the license type changes only where the documents' rules still
 * hold afterwards (see {@link typeChangeRefusal}).
 */
import {
  CODE_PATTERN,
  type FeatureGrant,
  type IssuedLicenseType,
  type LicenseEntry,
  LictorError,
  type ServerArch,
} from '@lictor/protocol';
import { DAY_MS } from './activation.js';
import { futureInstant, integerIn, invalid, MAX_DAYS, MAX_USERS } from './input.js';
import { checked, type Outcome } from './outcome.js';
import { unknownFeature } from './products.js';
import type { AddedProduct, UpgradeChanges, UpgradeSummary } from './types.js';

/** Feature codes of every product the changes may name, by product code (absent: no such product). */
export type KnownFeatures = Readonly<Record<string, readonly string[]>>;

const ISSUED_TYPES: readonly IssuedLicenseType[] = ['single', 'multi', 'server', 'server-sessions'];
const SERVER_TYPES: readonly IssuedLicenseType[] = ['server', 'server-sessions'];

function isServerType(t: IssuedLicenseType): boolean {
  return SERVER_TYPES.includes(t);
}

/**
 * Why a license of type `from` may not become `to`, or `null` when it may. Only single → multi
 * is allowed: the license then serves client applications through a server, counted by its
 * users. Refused: multi → single (a multi-user license lives on a server; single-user licenses
 * live on each client computer and come from single-user PIN codes), any change between client
 * and server licenses (they license different programs: client applications against server
 * worker processes), and between the two server types (per-computer against per-session
 * counting, with one worker of any bitness).
 */
export function typeChangeRefusal(from: IssuedLicenseType, to: IssuedLicenseType): string | null {
  if (from === to) return `the license is already ${to}`;
  if (from === 'single' && to === 'multi') return null;
  if (from === 'multi' && to === 'single') {
    return 'a multi-user license cannot become single-user: single-user licenses reside on each client computer; issue a single-user package for them';
  }
  if (isServerType(from) !== isServerType(to)) {
    return `a ${from} license cannot become ${to}: client and server licenses license different programs; issue a ${to} package`;
  }
  return `a ${from} license cannot become ${to}: the two server types count differently; issue a ${to} package`;
}

function checkTime(changes: UpgradeChanges): void {
  const given = [
    changes.extendDays !== undefined && 'extendDays',
    changes.expiresAt !== undefined && 'expiresAt',
    changes.expireNow === true && 'expireNow',
  ].filter((x): x is string => typeof x === 'string');
  if (given.length > 1)
    invalid(given[1] as string, `give one of extendDays, expiresAt or expireNow, not ${given.join(' and ')}`);
  if (changes.expireNow !== undefined && typeof changes.expireNow !== 'boolean') {
    invalid('expireNow', 'expireNow must be true or false');
  }
}

function isEmpty(changes: UpgradeChanges): boolean {
  const none = (list: readonly unknown[] | undefined) => list === undefined || list.length === 0;
  return (
    none(changes.addFeatures) &&
    none(changes.removeFeatures) &&
    none(changes.users) &&
    none(changes.addProducts) &&
    changes.extendDays === undefined &&
    changes.expiresAt === undefined &&
    changes.expireNow !== true &&
    changes.type === undefined &&
    changes.arch === undefined &&
    changes.sessions === undefined
  );
}

function featureGrants(
  list: readonly { code: string; users?: number | null }[] | undefined,
  field: string,
  product: string,
  known: readonly string[],
): FeatureGrant[] {
  const out: FeatureGrant[] = [];
  for (const [i, f] of (list ?? []).entries()) {
    const at = `${field}[${i}]`;
    if (typeof f?.code !== 'string') invalid(`${at}.code`, `${at}.code must be a feature code`);
    if (!known.includes(f.code)) throw unknownFeature(product, f.code, known);
    if (out.some((g) => g.code === f.code)) invalid(`${at}.code`, `feature ${f.code} is named twice`);
    const users = f.users === null || f.users === undefined ? null : integerIn(f.users, `${at}.users`, 1, MAX_USERS);
    out.push({ code: f.code, users });
  }
  return out;
}

function applyType(entry: LicenseEntry, next: LicenseEntry, changes: UpgradeChanges, licenseUsers: boolean): void {
  const { type, arch, sessions } = changes;
  if (type !== undefined) {
    if (!ISSUED_TYPES.includes(type)) invalid('type', `type must be one of ${ISSUED_TYPES.join(', ')}`);
    const refusal = typeChangeRefusal(entry.type, type);
    if (refusal !== null) invalid('type', refusal);
    if (!licenseUsers) invalid('users', `a ${type} license needs its number of users: add users with code '*'`);
    next.type = type;
  }
  if (arch !== undefined) {
    if (arch !== 'x86' && arch !== 'x64') invalid('arch', 'arch must be x86 or x64');
    if (!isServerType(entry.type)) invalid('arch', `arch applies to server licenses, this one is ${entry.type}`);
    if (arch === entry.arch) invalid('arch', `the license is already for ${arch} servers`);
    next.arch = arch;
  }
  if (sessions !== undefined) {
    if (entry.type !== 'server-sessions') {
      invalid('sessions', `sessions applies to server-sessions licenses, this one is ${entry.type}`);
    }
    next.sessions = integerIn(sessions, 'sessions', 1, MAX_USERS);
  }
}

function applyTime(entry: LicenseEntry, next: LicenseEntry, changes: UpgradeChanges, now: Date): void {
  const { extendDays, expiresAt, expireNow } = changes;
  if (extendDays !== undefined) {
    const days = integerIn(extendDays, 'extendDays', 1, MAX_DAYS);
    if (entry.expiresAt === null) invalid('extendDays', 'the license is perpetual: there is no end to extend');
    const from = Math.max(Date.parse(entry.expiresAt), now.getTime());
    next.expiresAt = new Date(from + days * DAY_MS).toISOString();
  }
  // An earlier end than today's is allowed (the vendor shortens the license), but not one in the
  // past: "ended" is said with expireNow, so that a typo in a date cannot end a license.
  if (expiresAt !== undefined) next.expiresAt = expiresAt === null ? null : futureInstant(expiresAt, 'expiresAt', now);
  if (expireNow === true) next.expiresAt = now.toISOString();
}

/**
 * Applies the changes to one entry (the product's license in the container); checks every
 * change first, so that a refusal names the field at fault. `known` are the product's features.
 */
export function applyChanges(
  entry: LicenseEntry,
  changes: UpgradeChanges,
  known: readonly string[],
  now: Date,
): LicenseEntry {
  const features: FeatureGrant[] = entry.features.map((f) => ({ ...f }));
  const next: LicenseEntry = { ...entry, features };

  for (const [i, code] of (changes.removeFeatures ?? []).entries()) {
    const field = `removeFeatures[${i}]`;
    if (typeof code !== 'string') invalid(field, `${field} must be a feature code`);
    const at = features.findIndex((g) => g.code === code);
    if (at < 0) {
      if (!known.includes(code)) throw unknownFeature(entry.product, code, known);
      invalid(field, `feature ${code} is not licensed: there is nothing to remove`);
    }
    features.splice(at, 1);
  }
  for (const [i, g] of featureGrants(changes.addFeatures, 'addFeatures', entry.product, known).entries()) {
    if ((changes.removeFeatures ?? []).includes(g.code)) {
      invalid(`addFeatures[${i}].code`, `feature ${g.code} is both added and removed`);
    }
    if (features.some((f) => f.code === g.code)) {
      invalid(`addFeatures[${i}].code`, `feature ${g.code} is already licensed; change its users with 'users'`);
    }
    features.push(g);
  }

  let licenseUsers = false;
  for (const [i, u] of (changes.users ?? []).entries()) {
    const field = `users[${i}]`;
    if (typeof u?.code !== 'string')
      invalid(`${field}.code`, `${field}.code must be a feature code, or * for the license`);
    const n = integerIn(u.users, `${field}.users`, 1, MAX_USERS);
    if (u.code === '*' || u.code === entry.product) {
      const becomes = changes.type ?? entry.type;
      if (becomes !== 'multi') {
        invalid(
          `${field}.code`,
          `a ${entry.type} license is for one user; only multi-user licenses change their users`,
        );
      }
      next.users = n;
      licenseUsers = true;
      continue;
    }
    const granted = features.find((g) => g.code === u.code);
    if (granted === undefined) {
      if (!known.includes(u.code)) throw unknownFeature(entry.product, u.code, known);
      invalid(`${field}.code`, `feature ${u.code} is not licensed; grant it with addFeatures`);
    }
    granted.users = n;
  }
  applyType(entry, next, changes, licenseUsers);
  applyTime(entry, next, changes, now);
  return next;
}

/** A new product's license for the container. */
function addedEntry(p: AddedProduct, field: string, known: KnownFeatures, now: Date): LicenseEntry {
  if (typeof p?.product !== 'string' || !CODE_PATTERN.test(p.product)) {
    invalid(`${field}.product`, `${field}.product must be a product code`);
  }
  const features = known[p.product];
  if (features === undefined) {
    throw new LictorError('LICTOR_E_PRODUCT_UNKNOWN', `product ${p.product} does not exist; add the product first`, {
      product: p.product,
    });
  }
  const type = p.type;
  if (!ISSUED_TYPES.includes(type)) invalid(`${field}.type`, `${field}.type must be one of ${ISSUED_TYPES.join(', ')}`);
  const server = isServerType(type);
  if (type !== 'multi' && p.users !== undefined) invalid(`${field}.users`, `users applies to multi-user licenses only`);
  if (type === 'multi' && p.users === undefined) invalid(`${field}.users`, 'a multi-user license needs its users');
  if (type !== 'server-sessions' && p.sessions !== undefined) {
    invalid(`${field}.sessions`, 'sessions applies to server-sessions licenses only');
  }
  if (type === 'server-sessions' && p.sessions === undefined) {
    invalid(`${field}.sessions`, 'a server-sessions license needs its sessions');
  }
  if (!server && p.arch !== undefined) invalid(`${field}.arch`, 'arch applies to server licenses only');
  const arch: ServerArch | null = server ? (p.arch ?? 'x64') : null;
  if (arch !== null && arch !== 'x86' && arch !== 'x64') invalid(`${field}.arch`, 'arch must be x86 or x64');
  if (p.days !== undefined && p.expiresAt !== undefined) invalid(`${field}.days`, 'give either days or expiresAt');
  const expiresAt =
    p.days !== undefined
      ? new Date(now.getTime() + integerIn(p.days, `${field}.days`, 1, MAX_DAYS) * DAY_MS).toISOString()
      : p.expiresAt !== undefined
        ? futureInstant(p.expiresAt, `${field}.expiresAt`, now)
        : null;
  const grants =
    p.features === undefined
      ? features.map((code) => ({ code, users: null }))
      : featureGrants(p.features, `${field}.features`, p.product, features);
  return {
    product: p.product,
    type,
    users: type === 'multi' ? integerIn(p.users, `${field}.users`, 1, MAX_USERS) : 1,
    sessions: type === 'server-sessions' ? integerIn(p.sessions, `${field}.sessions`, 1, MAX_USERS) : null,
    arch,
    expiresAt,
    features: grants,
  };
}

/** {@link upgradeLicenses}, its checks in the throwing style of `input.ts`. */
function nextLicenses(
  licenses: readonly LicenseEntry[],
  product: string,
  changes: UpgradeChanges,
  known: KnownFeatures,
  now: Date,
): { licenses: LicenseEntry[]; summary: UpgradeSummary } {
  if (typeof changes !== 'object' || changes === null) invalid('changes', 'say what the upgrade changes');
  if (isEmpty(changes)) {
    invalid(
      'changes',
      'an upgrade needs at least one change: addFeatures, removeFeatures, users, extendDays, expiresAt, expireNow, type, arch, sessions or addProducts',
    );
  }
  checkTime(changes);
  const target = changes.product ?? product;
  const index = licenses.findIndex((e) => e.product === target);
  const before = licenses[index];
  if (before === undefined) {
    invalid('product', `the container holds no license of product ${target}; add it with addProducts`);
  }
  const { addProducts, ...entryChanges } = changes;
  const entryChanged = !isEmpty(entryChanges);
  const after = entryChanged ? applyChanges(before, changes, known[target] ?? [], now) : before;
  const added: LicenseEntry[] = [];
  for (const [i, p] of (addProducts ?? []).entries()) {
    const entry = addedEntry(p, `addProducts[${i}]`, known, now);
    if (licenses.some((e) => e.product === entry.product) || added.some((e) => e.product === entry.product)) {
      invalid(
        `addProducts[${i}].product`,
        `the container already holds a license of product ${entry.product}; change it with product`,
      );
    }
    added.push(entry);
  }
  return {
    licenses: [...licenses.map((e, i) => (i === index ? after : e)), ...added],
    summary: { product: target, before, after, added },
  };
}

/**
 * The container's next licenses: `changes` applied to the entry of `changes.product` (default
 * `product`, the package's), and `addProducts` appended as new entries. Pure: the next licenses
 * and what changed, or the refusal (`LICTOR_E_INVALID_INPUT` naming the field,
 * `LICTOR_E_FEATURE_UNKNOWN` or `LICTOR_E_PRODUCT_UNKNOWN`) as a value.
 */
export function upgradeLicenses(
  licenses: readonly LicenseEntry[],
  product: string,
  changes: UpgradeChanges,
  known: KnownFeatures,
  now: Date,
): Outcome<{ licenses: LicenseEntry[]; summary: UpgradeSummary }> {
  return checked(() => nextLicenses(licenses, product, changes, known, now));
}

/** The changes as recorded: only what was asked, in a fixed shape. */
export function recordedChanges(changes: UpgradeChanges): UpgradeChanges {
  const { product, addFeatures, removeFeatures, users, extendDays, expiresAt, expireNow, type, arch, sessions } =
    changes;
  return {
    ...(product === undefined ? {} : { product }),
    ...(addFeatures === undefined ? {} : { addFeatures: addFeatures.map((f) => ({ code: f.code, users: f.users })) }),
    ...(removeFeatures === undefined ? {} : { removeFeatures: [...removeFeatures] }),
    ...(users === undefined ? {} : { users: users.map((u) => ({ code: u.code, users: u.users })) }),
    ...(extendDays === undefined ? {} : { extendDays }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
    ...(expireNow === undefined ? {} : { expireNow }),
    ...(type === undefined ? {} : { type }),
    ...(arch === undefined ? {} : { arch }),
    ...(sessions === undefined ? {} : { sessions }),
    ...(changes.addProducts === undefined ? {} : { addProducts: changes.addProducts.map((p) => ({ ...p })) }),
  };
}
