/**
 * Duplicate marks: the evidence of a duplicate, kept as a file in the license store so that
 * every application on the computer (and the next start) treats the files involved as unusable.
 * Each mark is verified again when read: a mark cannot be forged without the containers' keys.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type DuplicateEvidence,
  LictorError,
  type VendorPublicKey,
  type VerifiedDuplicate,
  verifyDuplicateEvidence,
} from '@lictor/protocol';
import { writeFileAtomic } from '../files.js';

/** File name suffix of duplicate marks in the license store. */
export const DUPLICATE_FILE_SUFFIX = '.duplicate.json';

/** The mark file of a serial and PIN. */
function duplicateMarkPath(storeDir: string, serial: string, pin: number): string {
  return join(storeDir, `${serial}_pin${pin}${DUPLICATE_FILE_SUFFIX}`);
}

/** Writes the evidence as a mark (atomically); returns its path. */
export async function writeDuplicateMark(storeDir: string, evidence: DuplicateEvidence): Promise<string> {
  const path = duplicateMarkPath(storeDir, evidence.serial, evidence.pin);
  await writeFileAtomic(path, `${JSON.stringify(evidence, null, 2)}\n`);
  return path;
}

/**
 * Activation id → why its file is unusable, from the verified marks of `storeDir`. `listed`: the
 * names `storeDir` holds, when the caller has just listed it.
 */
export async function loadDuplicateMarks(
  storeDir: string,
  publicKey: VendorPublicKey,
  listed?: readonly string[],
): Promise<Map<string, string>> {
  const marks = new Map<string, string>();
  const names = listed ?? (await readdir(storeDir).catch(() => [] as string[]));
  for (const name of names.filter((n) => n.endsWith(DUPLICATE_FILE_SUFFIX)).sort()) {
    const path = join(storeDir, name);
    // An unreadable or invalid mark proves nothing; the license stays usable.
    const text = await readFile(path, 'utf8').catch(() => null);
    if (text === null) continue;
    let proven: VerifiedDuplicate;
    try {
      proven = verifyDuplicateEvidence(JSON.parse(text), publicKey);
    } catch (error) {
      if (error instanceof LictorError || error instanceof SyntaxError) continue;
      throw error;
    }
    const reason =
      `serial ${proven.serial} PIN ${proven.pin} was in use on two computers of the network at once ` +
      `(instances ${proven.instances.join(' and ')}); the vendor is told about it. Evidence: ${path}`;
    for (const activation of proven.activations) marks.set(activation, reason);
  }
  return marks;
}
