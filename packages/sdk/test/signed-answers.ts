/**
 * A vendor and genuine licenses with container keys, for fake License Managers in tests: a fake
 * manager signs its lease answers with {@link licenseKey}'s key, as `lictor manager serve` does.
 */
import { type AnswerKey, generateVendorKeys, loadSigner, signAnswer, type VendorSigner } from '@lictor/protocol';
import { genuineLicense } from '@lictor/protocol/testing';

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
  return genuineLicense({ vendor: by, products, features: [{ code: 'reports', users: null }], terms }).key;
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
