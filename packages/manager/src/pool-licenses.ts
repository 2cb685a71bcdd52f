/** Which of the manager's license files serve seats, and how many (the domain rule of a network license). */
import type { LicenseFileStatus } from '@lictor/sdk';
import type { PoolLicense } from './types.js';

/**
 * The licenses a manager serves, from the status of its license files: every product entry of an
 * available, current file; a multi-user entry serves its users, a session-limited server license
 * its sessions, any other type one computer. Licenses stored on a token plugged into the manager's
 * host (a network dongle) serve after software ones.
 */
export function poolLicenses(files: readonly LicenseFileStatus[]): PoolLicense[] {
  const out: PoolLicense[] = [];
  for (const f of files) {
    if (!f.available || f.supersededBy || !f.licenses || !f.activationId) continue;
    for (const entry of f.licenses) {
      out.push({
        id: `${f.activationId}:${entry.product}`,
        ...(f.serial === undefined ? {} : { serial: f.serial }),
        product: entry.product,
        type: entry.type,
        seats: entry.type === 'multi' ? entry.users : entry.type === 'server-sessions' ? (entry.sessions ?? 1) : 1,
        features: entry.features,
        expiresAt: entry.expiresAt === null ? null : Date.parse(entry.expiresAt),
        source: f.onToken ? 'token' : 'software',
      });
    }
  }
  return out;
}
