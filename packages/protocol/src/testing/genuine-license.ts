import { generateContainerKeys, loadContainerSigner, randomBytes, type VendorSigner } from '../crypto.js';
import { toBase64Url } from '../encoding.js';
import type { LicenseDocument, LicenseEntry } from '../license.js';
import { encodeLicenseFile } from '../license-file.js';
import { type AnswerKey, answerSessionOpener } from '../seat-proof.js';

/** What {@link genuineLicense} issues. */
export interface GenuineLicenseOptions {
  /** The vendor that signs the license. */
  vendor: VendorSigner;
  /** One multi-user entry of 10 users per product (default `['ACME']`). */
  products?: string[];
  /** Features of each entry (default none). */
  features?: LicenseEntry['features'];
  /** Further fields of each entry (borrowing days, a grace period). */
  terms?: Partial<LicenseEntry>;
  /** The container id (default random). */
  containerId?: string;
}

/**
 * A genuine multi-user license with container keys, as a License Manager (or its fake) holds one
 * to prove its answers: the document, and the {@link AnswerKey} that signs with its container key
 * and opens the session secrets sealed to it.
 */
export function genuineLicense(options: GenuineLicenseOptions): { doc: LicenseDocument; key: AnswerKey } {
  const keys = generateContainerKeys();
  const doc: LicenseDocument = {
    format: 1,
    containerId: options.containerId ?? `c-${toBase64Url(randomBytes(6))}`,
    activationId: `a-${toBase64Url(randomBytes(6))}`,
    serial: 'LX-7K2M-9QXD-4RTA',
    pin: 1,
    issuedAt: new Date().toISOString(),
    counter: 0,
    owner: { company: 'Initech' },
    binding: {
      kind: 'hardware',
      hardware: {
        platform: 'linux',
        osName: 'Debian',
        osVersion: '12',
        hostname: 'lm-1',
        board: 'b',
        ramBytes: 1024,
        bios: 'x',
        cpus: ['c'],
        nics: ['00:1b:1b:aa:bb:01'],
        disks: ['d'],
      },
    },
    licenses: (options.products ?? ['ACME']).map((product) => ({
      product,
      type: 'multi',
      users: 10,
      sessions: null,
      arch: null,
      expiresAt: null,
      features: options.features ?? [],
      ...options.terms,
    })),
    containerKeys: keys.public,
  };
  const key: AnswerKey = {
    license: encodeLicenseFile(doc, options.vendor),
    containerId: doc.containerId,
    sign: loadContainerSigner(keys.private.sign),
    openSession: answerSessionOpener(keys.private.box),
  };
  return { doc, key };
}
