/**
 * Small state files of the runtime's state directory, sealed with an HMAC whose key is derived
 * from the machine secret: an edited file, or one copied from another computer, reads as
 * `tampered` and is not used. The seal is tamper evidence, not secrecy (whoever can read the
 * machine id can derive the key); the directory's permissions (0700, the runtime's own user)
 * are what keeps others out. The format (`{ format: 1, kind, body, mac }`, HMAC over the
 * canonical JSON of `{ kind, body }` under HKDF(secret, `lictor/v1/state/<kind>`)) is the one
 * the SDK's sealed state files use, so the two can become one module.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@lictor/node-io';
import { canonicalJson, constantTimeEqual, fromBase64Url, hkdf, hmacSha256, toBase64Url, utf8 } from '@lictor/protocol';

/** What reading a sealed file found. */
export type SealedRead =
  | { state: 'valid'; body: Record<string, unknown> }
  | { state: 'missing' }
  | { state: 'tampered'; reason: string };

function mac(secret: Uint8Array, kind: string, body: unknown): Uint8Array {
  const key = hkdf(secret, new Uint8Array(0), `lictor/v1/state/${kind}`, 32);
  return hmacSha256(key, utf8(canonicalJson({ kind, body })));
}

/** Writes `body` (canonical JSON values: integers, strings, objects, arrays) sealed as `kind`, atomically, mode 0600. */
export async function writeSealedFile(
  path: string,
  kind: string,
  body: Record<string, unknown>,
  secret: Uint8Array,
): Promise<void> {
  const file = { format: 1, kind, body, mac: toBase64Url(mac(secret, kind, body)) };
  await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
}

/** Reads a sealed file of `kind`; any failure other than a missing file reads as `tampered`, with why. */
export async function readSealedFile(path: string, kind: string, secret: Uint8Array): Promise<SealedRead> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    return { state: 'tampered', reason: `${path}: ${(error as Error).message}` };
  }
  let file: { format?: unknown; kind?: unknown; body?: unknown; mac?: unknown };
  try {
    file = JSON.parse(text) as typeof file;
  } catch {
    return { state: 'tampered', reason: `${path} is not valid JSON` };
  }
  const body = file?.body;
  const sealed = typeof file?.mac === 'string' ? fromBase64Url(file.mac) : null;
  if (file?.format !== 1 || file.kind !== kind || typeof body !== 'object' || body === null || sealed === null) {
    return { state: 'tampered', reason: `${path} has an unexpected structure` };
  }
  let expected: Uint8Array;
  try {
    expected = mac(secret, kind, body);
  } catch {
    return { state: 'tampered', reason: `${path} holds values Lictor does not write` };
  }
  if (!constantTimeEqual(sealed, expected)) {
    return { state: 'tampered', reason: `${path} was altered, or copied from another computer` };
  }
  return { state: 'valid', body: body as Record<string, unknown> };
}
