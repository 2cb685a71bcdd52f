/**
 * Small state files the SDK keeps in the license store (the clock mark), sealed with an HMAC
 * whose key is derived from the machine secret: an edit, or a file copied from another computer,
 * is noticed. Anyone with root can derive the machine secret, so the seal is tamper evidence, not
 * a secret; what must not be forgeable is vendor-signed inside (see docs/clock.md).
 */
import { readTextIfExists, writeFileAtomic } from '@lictor/node-io';
import { canonicalJson, constantTimeEqual, fromBase64Url, hkdf, hmacSha256, toBase64Url, utf8 } from '@lictor/protocol';

/** What reading a sealed state found. */
export type SealedRead =
  | { state: 'valid'; body: Record<string, unknown> }
  | { state: 'missing' }
  | { state: 'tampered'; reason: string; body?: Record<string, unknown> }
  | { state: 'unreadable'; reason: string };

function mac(secret: Uint8Array, kind: string, body: unknown): Uint8Array {
  const key = hkdf(secret, new Uint8Array(0), `lictor/v1/state/${kind}`, 32);
  return hmacSha256(key, utf8(canonicalJson({ kind, body })));
}

/** Writes `body` (canonical JSON: integers, strings, objects) sealed as state of `kind`, atomically. */
export async function writeSealedState(
  path: string,
  kind: string,
  body: Record<string, unknown>,
  secret: Uint8Array,
): Promise<void> {
  const file = { format: 1, kind, body, mac: toBase64Url(mac(secret, kind, body)) };
  // Readable by all, like license files: nothing in it is secret, and a per-machine store is shared.
  await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
}

/**
 * Reads a sealed state of `kind`. A file whose seal does not verify is `tampered`, with its body
 * when it can be parsed (the caller may still use what is vendor-signed inside).
 */
export async function readSealedState(path: string, kind: string, secret: Uint8Array): Promise<SealedRead> {
  let text: string | undefined;
  try {
    text = await readTextIfExists(path);
  } catch (err) {
    return { state: 'unreadable', reason: `${path}: ${(err as Error).message}` };
  }
  if (text === undefined) return { state: 'missing' };
  let file: { format?: unknown; kind?: unknown; body?: unknown; mac?: unknown };
  try {
    file = JSON.parse(text) as typeof file;
  } catch {
    return { state: 'tampered', reason: `${path} is not valid JSON` };
  }
  const body =
    file !== null && typeof file === 'object' && file.body !== null && typeof file.body === 'object'
      ? (file.body as Record<string, unknown>)
      : undefined;
  const sealed = typeof file?.mac === 'string' ? fromBase64Url(file.mac) : null;
  if (body === undefined || file.format !== 1 || file.kind !== kind || sealed === null) {
    return { state: 'tampered', reason: `${path} has an unexpected structure`, ...(body ? { body } : {}) };
  }
  let expected: Uint8Array;
  try {
    expected = mac(secret, kind, body);
  } catch {
    return { state: 'tampered', reason: `${path} holds values that cannot have been written by Lictor`, body };
  }
  if (!constantTimeEqual(sealed, expected)) {
    return {
      state: 'tampered',
      reason: `${path} was altered, or copied from another computer (its seal does not verify)`,
      body,
    };
  }
  return { state: 'valid', body };
}
