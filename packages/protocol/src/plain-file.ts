/**
 * Armored files that the vendor does not sign (offline requests, upgrade questions): canonical
 * JSON behind a magic, a version, a kind and a SHA-256 checksum, in base64 between BEGIN/END
 * lines. The checksum tells corruption on the way apart from a wrong proof or signature inside.
 */
import { canonicalJson } from './canonical.js';
import { constantTimeEqual, sha256 } from './crypto.js';
import { concatBytes, fromJsonUtf8, utf8 } from './encoding.js';
import { armor, DOCUMENT_KINDS, dearmor } from './envelope.js';
import { LictorError } from './errors.js';

type PlainKind = 'request' | 'question';

const MAGIC = utf8('LCTR');
const VERSION = 1;

/** Armors a payload as an unsigned Lictor file of `kind`. */
export function encodePlainFile(kind: PlainKind, payload: unknown): string {
  const json = utf8(canonicalJson(payload));
  return armor(
    kind,
    concatBytes(MAGIC, Uint8Array.of(VERSION, DOCUMENT_KINDS[kind]), sha256(json).subarray(0, 8), json),
  );
}

/** Reads an unsigned Lictor file of `kind`; returns its parsed JSON (shape not yet checked). */
export function decodePlainFile(kind: PlainKind, text: string): unknown {
  const bytes = dearmor(kind, text);
  if (bytes.length < 14) throw new LictorError('LICTOR_E_FILE_TRUNCATED', `the ${kind} file is truncated`);
  if (!constantTimeEqual(bytes.subarray(0, 4), MAGIC) || bytes[5] !== DOCUMENT_KINDS[kind]) {
    throw new LictorError('LICTOR_E_FILE_FORMAT', `this is not a Lictor ${kind} file`);
  }
  if (bytes[4] !== VERSION) {
    throw new LictorError('LICTOR_E_FILE_VERSION', `the ${kind} has format version ${bytes[4]}; upgrade Lictor`);
  }
  const json = bytes.subarray(14);
  if (!constantTimeEqual(sha256(json).subarray(0, 8), bytes.subarray(6, 14))) {
    throw new LictorError(
      'LICTOR_E_FILE_TAMPERED',
      `the ${kind} file was altered or corrupted on the way: send it again`,
    );
  }
  const payload = fromJsonUtf8(json);
  if (payload === undefined) throw new LictorError('LICTOR_E_FILE_FORMAT', `the ${kind} file is not valid JSON`);
  return payload;
}
