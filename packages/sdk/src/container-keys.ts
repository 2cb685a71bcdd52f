/**
 * A container's private keys, sealed next to its license file (`<serial>_<activationId>.key`)
 * under a key derived from the machine secret and the container id. A key file copied to
 * another computer does not open there; an edited one fails its AES-GCM tag.
 */
import { dirname, join } from 'node:path';
import { readTextIfExists, writeFileAtomic } from '@lictor/node-io';
import {
  aesGcmOpen,
  aesGcmSeal,
  type ContainerKeyPair,
  type ErrorCode,
  fromBase64Url,
  fromUtf8,
  hkdf,
  randomBytes,
  toBase64Url,
  utf8,
} from '@lictor/protocol';
import { machineTag } from './machine-secret.js';

/** A container's private keys: Ed25519 PKCS#8 PEM and X25519 base64url scalar. */
export type ContainerPrivateKeys = ContainerKeyPair['private'];

/** The ending of key files. */
export const KEY_FILE_SUFFIX = '.key';

/** The key file of the container whose license file is `licenseFile`. */
export function keyFilePath(licenseFile: string, serial: string, activationId: string): string {
  return join(dirname(licenseFile), `${serial}_${activationId}${KEY_FILE_SUFFIX}`);
}

/** Private keys sealed for one machine and one binding string (a container id, or a pending request). */
export interface SealedKeys {
  format: 1;
  /** {@link machineTag} of the machine secret that sealed the keys. */
  machine: string;
  iv: string;
  sealed: string;
}

function sealingKey(secret: Uint8Array, bindTo: string): Uint8Array {
  return hkdf(secret, utf8(bindTo), 'lictor/v1/container-key', 32);
}

/** Seals private keys for this machine, bound to `bindTo` (the container id). */
export function sealKeys(keys: ContainerPrivateKeys, secret: Uint8Array, bindTo: string): SealedKeys {
  const iv = randomBytes(12);
  const plain = utf8(JSON.stringify({ sign: keys.sign, box: keys.box }));
  return {
    format: 1,
    machine: machineTag(secret),
    iv: toBase64Url(iv),
    sealed: toBase64Url(aesGcmSeal(sealingKey(secret, bindTo), iv, plain, utf8(bindTo))),
  };
}

/** Why sealed keys do not open here. */
export interface KeyRefusal {
  ok: false;
  code: ErrorCode;
  reason: string;
}

/** Opens sealed keys (parsed or as file text); refuses with MOVED or TAMPERED. */
export function openKeys(
  input: string | SealedKeys,
  secret: Uint8Array,
  bindTo: string,
): { ok: true; keys: ContainerPrivateKeys } | KeyRefusal {
  const tampered = (why: string): KeyRefusal => ({
    ok: false,
    code: 'LICTOR_E_CONTAINER_TAMPERED',
    reason: `the container's key file was altered or corrupted (${why}); the container cannot be used or upgraded`,
  });
  let sealed: Partial<SealedKeys>;
  try {
    sealed = typeof input === 'string' ? (JSON.parse(input) as Partial<SealedKeys>) : input;
  } catch {
    return tampered('not valid JSON');
  }
  if (typeof sealed !== 'object' || sealed === null || sealed.format !== 1 || typeof sealed.machine !== 'string') {
    return tampered('unknown structure');
  }
  if (sealed.machine !== machineTag(secret)) {
    return {
      ok: false,
      code: 'LICTOR_E_CONTAINER_MOVED',
      reason: 'this container was activated on another computer; it does not open here',
    };
  }
  const iv = typeof sealed.iv === 'string' ? fromBase64Url(sealed.iv) : null;
  const box = typeof sealed.sealed === 'string' ? fromBase64Url(sealed.sealed) : null;
  if (iv === null || iv.length !== 12 || box === null) return tampered('unknown structure');
  const plain = aesGcmOpen(sealingKey(secret, bindTo), iv, box, utf8(bindTo));
  if (plain === null) return tampered('its seal does not verify');
  try {
    const keys = JSON.parse(fromUtf8(plain) ?? '') as Partial<ContainerPrivateKeys>;
    if (typeof keys.sign !== 'string' || typeof keys.box !== 'string') return tampered('unknown contents');
    return { ok: true, keys: { sign: keys.sign, box: keys.box } };
  } catch {
    return tampered('unknown contents');
  }
}

/** Writes a container's key file atomically, readable by its owner only. */
export async function writeKeyFile(path: string, sealed: SealedKeys): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(sealed)}\n`, 0o600);
}

/** Reads a key file's text; `null` when it does not exist. */
export async function readKeyFile(path: string): Promise<string | null> {
  return (await readTextIfExists(path)) ?? null;
}
