/** The vendor's side of activation and remote upgrade, for the SDK's container tests. */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ContainerPolicy,
  decodeQuestionFile,
  decodeRequestFile,
  encodeLicenseFile,
  type FeatureGrant,
  generateVendorKeys,
  type HardwareParams,
  type LicenseDocument,
  type LicenseEntry,
  LictorError,
  loadSigner,
  randomBytes,
  sealToContainer,
  verifyUpgradeQuestion,
} from '@lictor/protocol';
import { type Licensing, type LicensingOptions, openLicensing } from '../src/index.js';

export const vendor = loadSigner(generateVendorKeys().privatePem);
export const SECRET_A = new Uint8Array(32).fill(0xa1);
export const SECRET_B = new Uint8Array(32).fill(0xb2);
export const SERIAL = 'LX-7K2M-9QXD-4RTA';
export const PIN = 'Q7K2M-9QXD4-RTA8B';
export const OWNER = { company: 'Initech', email: 'it@initech.example' };
export const HW: HardwareParams = {
  platform: 'linux',
  osName: 'Debian GNU/Linux',
  osVersion: '12',
  hostname: 'plant-07',
  board: 'Siemens IPC 427E',
  ramBytes: 8 * 1024 ** 3,
  bios: 'Siemens V25.01',
  cpus: ['Intel Core i7-6820EQ (4 cores)'],
  nics: ['00:1b:1b:aa:bb:01'],
  disks: ['SIEMENS-SSD-0001'],
};

/** The one product of these tests, with the given features. */
export function entry(features: string[] = ['historian']): LicenseEntry {
  const grants: FeatureGrant[] = features.map((code) => ({ code, users: null }));
  return { product: 'SCADA', type: 'single', users: 1, sessions: null, arch: null, expiresAt: null, features: grants };
}

/** Opens a store as the application does, with an injected machine secret and no watcher unless asked. */
export function open(store: string, options: Partial<LicensingOptions> = {}): Promise<Licensing> {
  return openLicensing({
    product: 'SCADA',
    publicKey: vendor.publicKey.text,
    paths: [store],
    hardware: async () => HW,
    machineSecret: async () => SECRET_A,
    watch: false,
    ...options,
  });
}

/**
 * Activates a new container in a new store under `root` (offline request file, answered here),
 * holding `licenses` (default one single-user license of `SCADA`).
 */
export async function activatedStore(
  root: string,
  policy?: ContainerPolicy,
  licenses: LicenseEntry[] = [entry()],
): Promise<{ store: string; licensing: Licensing; containerId: string }> {
  const store = await mkdtemp(join(root, 'store-'));
  const licensing = await open(store);
  const request = decodeRequestFile(
    (await licensing.requestOffline({ serial: SERIAL, pin: PIN, owner: OWNER }, 'file')).text,
  );
  assert.ok(request.containerKeys);
  const containerId = `c-${Buffer.from(randomBytes(6)).toString('hex')}`;
  const doc: LicenseDocument = {
    format: 1,
    containerId,
    activationId: `a-${containerId.slice(2)}`,
    serial: request.serial,
    pin: 1,
    issuedAt: new Date().toISOString(),
    counter: 0,
    owner: request.owner,
    binding: { kind: 'hardware', hardware: request.hardware },
    licenses,
    requestNonce: request.nonce,
    containerKeys: request.containerKeys,
    ...(policy ? { policy } : {}),
  };
  await licensing.install({ file: encodeLicenseFile(doc, vendor) });
  return { store, licensing, containerId };
}

/** The vendor's answer to a question: the container's next state with `features`. */
export function answerQuestion(
  questionText: string,
  features: string[],
  change: (next: LicenseDocument) => LicenseDocument = (d) => d,
): { text: string; secret: Uint8Array; doc: LicenseDocument; nonce: string } {
  const question = decodeQuestionFile(questionText);
  const current = verifyUpgradeQuestion(question, vendor.publicKey);
  assert.ok(current.containerKeys);
  const secret = randomBytes(32);
  const doc = change({
    ...current,
    counter: current.counter + 1,
    issuedAt: new Date().toISOString(),
    licenses: [entry(features)],
    upgrade: {
      nonce: question.nonce,
      fromCounter: current.counter,
      confirm: sealToContainer(current.containerKeys.box, secret, 'upgrade-confirm'),
    },
  });
  return { text: encodeLicenseFile(doc, vendor), secret, doc, nonce: question.nonce };
}

/**
 * After a killed apply left container at counter `counter` (`n` before, `n + 1` after): running the
 * same answer again completes the operation, or is refused as already applied (only when it was),
 * and leaves the container at `n + 1` with nothing pending.
 */
export async function assertRunAgainCompletes(
  licensing: Licensing,
  answer: string,
  n: number,
  counter: number | undefined,
): Promise<void> {
  try {
    assert.equal((await licensing.continueUpgrade(answer)).counter, n + 1);
  } catch (err) {
    assert.ok(err instanceof LictorError && err.code === 'LICTOR_E_UPGRADE_STALE', String(err));
    assert.equal(counter, n + 1, 'only an applied answer is STALE');
  }
  assert.equal(licensing.containers()[0]?.counter, n + 1);
  assert.equal(licensing.containers()[0]?.pendingQuestion, undefined);
}
