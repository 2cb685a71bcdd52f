/**
 * Duplicate marks: the evidence of a duplicate, kept as a file in the license store so that
 * every application on the computer (and the next start) treats the files involved as unusable.
 * Each mark is verified again when read: a mark cannot be forged without the containers' keys.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DuplicateEvidence, LictorError, type VendorPublicKey, verifyDuplicateEvidence } from '@lictor/protocol';
import { writeFileAtomic } from '../files.js';

/** File name suffix of duplicate marks in the license store. */
export const DUPLICATE_FILE_SUFFIX = '.duplicate.json';

/** The mark file of a serial and PIN. */
export function duplicateMarkPath(storeDir: string, serial: string, pin: number): string {
  return join(storeDir, `${serial}_pin${pin}${DUPLICATE_FILE_SUFFIX}`);
}

/** Writes the evidence as a mark (atomically); returns its path. */
export async function writeDuplicateMark(storeDir: string, evidence: DuplicateEvidence): Promise<string> {
  const path = duplicateMarkPath(storeDir, evidence.serial, evidence.pin);
  await writeFileAtomic(path, `${JSON.stringify(evidence, null, 2)}\n`);
  return path;
}

/** Activation id → why its file is unusable, from the verified marks of `storeDir`. */
export async function loadDuplicateMarks(storeDir: string, publicKey: VendorPublicKey): Promise<Map<string, string>> {
  const marks = new Map<string, string>();
  const names = await readdir(storeDir).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith(DUPLICATE_FILE_SUFFIX)).sort()) {
    try {
      const proven = verifyDuplicateEvidence(JSON.parse(await readFile(join(storeDir, name), 'utf8')), publicKey);
      const reason =
        `serial ${proven.serial} PIN ${proven.pin} was in use on two computers of the network at once ` +
        `(seen ${new Date(proven.seenAtMs).toISOString()}); the vendor is told to blacklist it. ` +
        `Evidence: ${join(storeDir, name)}`;
      for (const activation of proven.activations) marks.set(activation, reason);
    } catch (error) {
      // An unreadable or invalid mark proves nothing; the license stays usable.
      if (!(error instanceof LictorError) && !(error instanceof SyntaxError) && !isFsError(error)) throw error;
    }
  }
  return marks;
}

function isFsError(error: unknown): boolean {
  return error instanceof Error && 'code' in error && typeof error.code === 'string';
}
