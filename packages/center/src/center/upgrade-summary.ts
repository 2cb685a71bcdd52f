/**
 * What an upgrade changes, in words: one line per difference between the license before and
 * after, and one per product added. The CLI prints these as the preview; the audit records the
 * entries themselves.
 */
import type { FeatureGrant, LicenseEntry } from '@lictor/protocol';
import type { UpgradeSummary } from './types.js';

function grant(f: FeatureGrant): string {
  return f.users === null ? f.code : `${f.code}=${f.users}`;
}

function end(expiresAt: string | null): string {
  return expiresAt ?? 'perpetual';
}

/** The entry in one line: type, users or sessions, arch, end and features. */
export function describeEntry(e: LicenseEntry): string {
  const parts: string[] = [e.type];
  if (e.type === 'multi') parts.push(`${e.users} users`);
  if (e.sessions !== null) parts.push(`${e.sessions} sessions`);
  if (e.arch !== null) parts.push(e.arch);
  parts.push(`expires ${end(e.expiresAt)}`);
  parts.push(`features ${e.features.map(grant).join(', ') || '(none)'}`);
  return `${e.product}: ${parts.join(', ')}`;
}

/** One line per change from `before` to `after` of the summary's product, then per product added. */
export function describeUpgrade(s: UpgradeSummary): string[] {
  const { before: b, after: a } = s;
  const lines: string[] = [];
  const p = s.product;
  if (b.type !== a.type) lines.push(`${p} type: ${b.type} → ${a.type}`);
  if (b.users !== a.users) lines.push(`${p} users: ${b.users} → ${a.users}`);
  if (b.sessions !== a.sessions) lines.push(`${p} sessions: ${b.sessions ?? '-'} → ${a.sessions ?? '-'}`);
  if (b.arch !== a.arch) lines.push(`${p} arch: ${b.arch ?? '-'} → ${a.arch ?? '-'}`);
  if (b.expiresAt !== a.expiresAt) lines.push(`${p} expires: ${end(b.expiresAt)} → ${end(a.expiresAt)}`);
  for (const f of b.features) {
    const now = a.features.find((g) => g.code === f.code);
    if (now === undefined) lines.push(`${p} feature removed: ${grant(f)}`);
    else if (now.users !== f.users)
      lines.push(`${p} feature ${f.code} users: ${f.users ?? 'uncounted'} → ${now.users ?? 'uncounted'}`);
  }
  for (const f of a.features) {
    if (!b.features.some((g) => g.code === f.code)) lines.push(`${p} feature added: ${grant(f)}`);
  }
  for (const e of s.added) lines.push(`product added: ${describeEntry(e)}`);
  return lines;
}
