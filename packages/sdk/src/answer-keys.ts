/**
 * The signing side of signed answers (`@lictor/protocol`'s `seat-proof.ts`) for the licenses
 * this computer holds: each container whose private key opened here (its key file sealed to this
 * computer, or the private memory of the hardware token that holds it) can sign answers over an
 * asker's nonce. The License Manager signs every lease answer with the key of the license the
 * seat came from; a local runtime will do the same.
 */
import { type AnswerKey, answerSessionOpener, loadContainerSigner } from '@lictor/protocol';
import type { LoadedContainer } from './containers.js';

/** A license that can sign answers, with what it is. */
export interface LicenseAnswerKey extends AnswerKey {
  /** The license's file (its `LicenseFileStatus.path`; `token:…` for a container on a token). */
  readonly file: string;
  /** The activation of the license (what a manager's pool license ids start with). */
  readonly activationId: string;
  readonly serial: string;
  /** Product codes of its license entries. */
  readonly products: readonly string[];
}

/** What signs and opens with a container's private keys, parsed once. */
interface KeyObjects {
  sign: (data: Uint8Array) => Uint8Array;
  openSession: (sealed: string) => Uint8Array | null;
}

/** Key objects made for a container's private keys, reused while the loaded keys stay the same. */
const parsed = new WeakMap<object, KeyObjects>();

/** The answer keys of the containers whose private keys opened; the key objects are parsed once per load. */
export function answerKeysOf(containers: readonly LoadedContainer[]): LicenseAnswerKey[] {
  const out: LicenseAnswerKey[] = [];
  for (const c of containers) {
    if (!c.keys.ok || c.doc.containerKeys === undefined) continue;
    const keys = c.keys.keys;
    let objects = parsed.get(keys);
    if (objects === undefined) {
      try {
        objects = { sign: loadContainerSigner(keys.sign), openSession: answerSessionOpener(keys.box) };
      } catch {
        continue; // a key file that opened but holds no usable key cannot sign
      }
      parsed.set(keys, objects);
    }
    out.push({
      license: c.text,
      file: c.path,
      containerId: c.doc.containerId,
      activationId: c.doc.activationId,
      serial: c.doc.serial,
      products: [...new Set(c.doc.licenses.map((e) => e.product))],
      sign: objects.sign,
      openSession: objects.openSession,
    });
  }
  return out;
}
