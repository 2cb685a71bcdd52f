/**
 * The changes an upgrade makes to a license entry: checked and applied as a pure function, so
 * that a refusal names the field at fault before anything is locked or written.
 */
import type { FeatureGrant, LicenseEntry } from '@lictor/protocol';
import { DAY_MS } from './activation.js';
import { futureInstant, integerIn, invalid, MAX_DAYS, MAX_USERS } from './input.js';
import { unknownFeature } from './products.js';
import type { UpgradeChanges } from './types.js';

/**
 * Applies the changes to the product's entry; checks every change first, so that a refusal
 * names the field at fault.
 */
export function applyChanges(entry: LicenseEntry, changes: UpgradeChanges, known: string[], now: Date): LicenseEntry {
  if (typeof changes !== 'object' || changes === null) invalid('changes', 'say what the upgrade changes');
  const { addFeatures, users, extendDays, expiresAt } = changes;
  if (
    (addFeatures === undefined || addFeatures.length === 0) &&
    (users === undefined || users.length === 0) &&
    extendDays === undefined &&
    expiresAt === undefined
  ) {
    invalid('changes', 'an upgrade needs at least one change: addFeatures, users, extendDays or expiresAt');
  }
  if (extendDays !== undefined && expiresAt !== undefined) {
    invalid('extendDays', 'give either extendDays or expiresAt, not both');
  }
  const features: FeatureGrant[] = entry.features.map((f) => ({ ...f }));
  const next: LicenseEntry = { ...entry, features };

  for (const [i, f] of (addFeatures ?? []).entries()) {
    const field = `addFeatures[${i}]`;
    if (typeof f?.code !== 'string') invalid(`${field}.code`, `${field}.code must be a feature code`);
    if (!known.includes(f.code)) throw unknownFeature(entry.product, f.code, known);
    if (features.some((g) => g.code === f.code)) {
      invalid(`${field}.code`, `feature ${f.code} is already licensed; change its users with 'users'`);
    }
    const n = f.users === null || f.users === undefined ? null : integerIn(f.users, `${field}.users`, 1, MAX_USERS);
    features.push({ code: f.code, users: n });
  }

  for (const [i, u] of (users ?? []).entries()) {
    const field = `users[${i}]`;
    if (typeof u?.code !== 'string')
      invalid(`${field}.code`, `${field}.code must be a feature code, or * for the license`);
    const n = integerIn(u.users, `${field}.users`, 1, MAX_USERS);
    if (u.code === '*' || u.code === entry.product) {
      if (entry.type !== 'multi') {
        invalid(
          `${field}.code`,
          `a ${entry.type} license is for one user; only multi-user licenses change their users`,
        );
      }
      next.users = n;
      continue;
    }
    const granted = features.find((g) => g.code === u.code);
    if (granted === undefined) {
      if (!known.includes(u.code)) throw unknownFeature(entry.product, u.code, known);
      invalid(`${field}.code`, `feature ${u.code} is not licensed; grant it with addFeatures`);
    }
    granted.users = n;
  }

  if (extendDays !== undefined) {
    const days = integerIn(extendDays, 'extendDays', 1, MAX_DAYS);
    if (entry.expiresAt === null) invalid('extendDays', 'the license is perpetual: there is no end to extend');
    const from = Math.max(Date.parse(entry.expiresAt), now.getTime());
    next.expiresAt = new Date(from + days * DAY_MS).toISOString();
  }
  if (expiresAt !== undefined) {
    next.expiresAt = expiresAt === null ? null : futureInstant(expiresAt, 'expiresAt', now);
  }
  return next;
}

/** The changes as recorded: only what was asked. */
export function recordedChanges(changes: UpgradeChanges): UpgradeChanges {
  const { addFeatures, users, extendDays, expiresAt } = changes;
  return {
    ...(addFeatures === undefined ? {} : { addFeatures: addFeatures.map((f) => ({ code: f.code, users: f.users })) }),
    ...(users === undefined ? {} : { users: users.map((u) => ({ code: u.code, users: u.users })) }),
    ...(extendDays === undefined ? {} : { extendDays }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
}
