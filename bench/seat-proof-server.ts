/**
 * A License Manager proving its answers, for `seat-proof.ts`: one multi-user license of product
 * `ERP` (100,000 seats, 10-minute leases) with the container key of a genuine license of a vendor
 * made here (as the SDK tests' `signed-answers.ts` makes one), served by `buildManagerServer`
 * without request logs on 127.0.0.1:0. Run under plain `node` (see `plainScript`) with `hot` or
 * `fastify` (the hot lease routes, or every request through Fastify). Prints
 * `listening on <url>/?session=<id>.<sealed>`: a session secret sealed to the license's container
 * key, as a client sends it, for the load generator.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildManagerServer, LicenseManager, SeatProofs } from '@lictor/manager';
import {
  type AnswerKey,
  answerSessionId,
  answerSessionOpener,
  encodeLicenseFile,
  generateContainerKeys,
  generateVendorKeys,
  type LicenseDocument,
  loadContainerSigner,
  loadSigner,
  randomBytes,
  sealAnswerSession,
  sha256,
  toHex,
} from '@lictor/protocol';

/** A genuine license of `ERP` with container keys, and its answer key. */
function licenseKey(): { key: AnswerKey; doc: LicenseDocument } {
  const vendor = loadSigner(generateVendorKeys().privatePem);
  const keys = generateContainerKeys();
  const doc: LicenseDocument = {
    format: 1,
    containerId: 'c-bench',
    activationId: 'a-bench',
    serial: 'LX-7K2M-9QXD-4RTA',
    pin: 1,
    issuedAt: new Date().toISOString(),
    counter: 0,
    owner: { company: 'Bench Ltd' },
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
    licenses: [{ product: 'ERP', type: 'multi', users: 10, sessions: null, arch: null, expiresAt: null, features: [] }],
    containerKeys: keys.public,
  };
  const key: AnswerKey = {
    license: encodeLicenseFile(doc, vendor),
    containerId: doc.containerId,
    sign: loadContainerSigner(keys.private.sign),
    openSession: answerSessionOpener(keys.private.box),
  };
  return { key, doc };
}

const mode = process.argv[2] ?? 'hot';
const { key, doc } = licenseKey();
const dir = await mkdtemp(join(tmpdir(), 'lictor-bench-proof-'));
const manager = await LicenseManager.open({
  stateFile: join(dir, 'state.json'),
  licenses: [
    { id: 'm', product: 'ERP', type: 'multi', seats: 100_000, features: [], expiresAt: null, source: 'software' },
  ],
  adminTokenHash: toHex(sha256('bench')),
  id: 'bench',
  leaseTtlMs: 600_000,
  snapshotIntervalMs: 60_000,
});
const proofs = new SeatProofs();
proofs.setKeys(new Map([['m', key]]));
const app = buildManagerServer(manager, { proofs, hotRoutes: mode === 'hot' });
const url = await app.listen({ port: 0, host: '127.0.0.1' });
const sealed = sealAnswerSession(doc, randomBytes(32));
console.log(`listening on ${url}/?session=${answerSessionId(sealed)}.${sealed}`);
process.on('SIGTERM', () => {
  void app.close().then(async () => {
    await manager.close();
    await rm(dir, { recursive: true, force: true });
    process.exit(0);
  });
});
