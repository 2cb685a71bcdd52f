/**
 * A vendor and genuine licenses with container keys, for fake License Managers in tests: a fake
 * manager signs its lease answers with {@link licenseKey}'s key, as `lictor manager serve` does.
 */
import {
  type AnswerKey,
  answerSessionOpener,
  encodeLicenseFile,
  generateContainerKeys,
  generateVendorKeys,
  type LicenseDocument,
  loadContainerSigner,
  loadSigner,
  randomBytes,
  signAnswer,
  toBase64Url,
  type VendorSigner,
} from '@lictor/protocol';

/** The vendor of these tests; applications embed `VENDOR.publicKey.text`. */
export const VENDOR = loadSigner(generateVendorKeys().privatePem);

/** What the vendor may set per license entry for a License Manager: borrowing days and a grace period. */
export interface ManagerTerms {
  borrowDays?: number;
  graceMinutes?: number;
}

/**
 * A genuine multi-user license of `products` (each with feature `reports`) issued by `by`, with
 * the manager `terms` in each entry, and its container key.
 */
export function licenseKey(
  products: string[] = ['ACME'],
  by: VendorSigner = VENDOR,
  terms: ManagerTerms = {},
): AnswerKey {
  const keys = generateContainerKeys();
  const doc: LicenseDocument = {
    format: 1,
    containerId: `c-${toBase64Url(randomBytes(6))}`,
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
    licenses: products.map((product) => ({
      product,
      type: 'multi',
      users: 10,
      sessions: null,
      arch: null,
      expiresAt: null,
      features: [{ code: 'reports', users: null }],
      ...terms,
    })),
    containerKeys: keys.public,
  };
  return {
    license: encodeLicenseFile(doc, by),
    containerId: doc.containerId,
    sign: loadContainerSigner(keys.private.sign),
    openSession: answerSessionOpener(keys.private.box),
  };
}

/** `answer` with the proof a manager holding `key` sends when the request carried `nonce`. */
export function signed<T extends object>(
  key: AnswerKey | null,
  purpose: 'lease' | 'heartbeat' | 'borrow' | 'status',
  nonce: unknown,
  answer: T,
): T {
  if (key === null || typeof nonce !== 'string') return answer;
  return { ...answer, proof: signAnswer(key, purpose, nonce, answer) };
}
