/** Which of the manager's license files serve seats, and how many (the domain rule of a network license). */
import type { AnswerKey } from '@lictor/protocol';
import type { LicenseAnswerKey, LicenseFileStatus } from '@lictor/sdk';
import type { PoolLicense } from './types.js';

/**
 * The licenses a manager serves, from the status of its license files: every product entry of an
 * available, current file; a multi-user entry serves its users, a session-limited server license
 * its sessions, any other type one computer. Licenses stored on a token plugged into the manager's
 * host (a network dongle) serve after software ones.
 */
export function poolLicenses(files: readonly LicenseFileStatus[]): PoolLicense[] {
  const out: PoolLicense[] = [];
  for (const { file: f, licenses } of servingFiles(files)) {
    for (const entry of licenses) {
      out.push({
        id: poolLicenseId(f, entry.product),
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

type Entries = NonNullable<LicenseFileStatus['licenses']>;

/** The files that serve seats: available, current, with license entries and an activation. */
function* servingFiles(
  files: readonly LicenseFileStatus[],
): Generator<{ file: LicenseFileStatus & { activationId: string }; licenses: Entries }> {
  for (const f of files) {
    if (!f.available || f.supersededBy || !f.licenses || !f.activationId) continue;
    yield { file: f as LicenseFileStatus & { activationId: string }, licenses: f.licenses };
  }
}

/** The id of the pool license that serves `product` from file `f`: its activation and the product. */
function poolLicenseId(f: { activationId: string }, product: string): string {
  return `${f.activationId}:${product}`;
}

/**
 * Which key signs the answers of each pool license of {@link poolLicenses}`(files)` (signed
 * seats, `seat-proofs.ts`): the container key of the license file it comes from, when that key
 * opened on this computer (`Licensing.answerKeys()`). Pool licenses left out cannot prove their seats.
 */
export function poolAnswerKeys(
  files: readonly LicenseFileStatus[],
  keys: readonly LicenseAnswerKey[],
): Map<string, AnswerKey> {
  const byFile = new Map(keys.map((k) => [k.file, k]));
  const out = new Map<string, AnswerKey>();
  for (const { file: f, licenses } of servingFiles(files)) {
    const key = byFile.get(f.path);
    if (key === undefined) continue;
    for (const entry of licenses) out.set(poolLicenseId(f, entry.product), key);
  }
  return out;
}
