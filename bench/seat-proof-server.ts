/**
 * A License Manager proving its answers, for `seat-proof.ts`: one multi-user license of product
 * `ERP` (100,000 seats, 10-minute leases) with the container key of a genuine license of a vendor
 * made here (`genuineLicense` of `@lictor/protocol/testing`, as the SDK tests make theirs),
 * served by `buildManagerServer` without request logs on 127.0.0.1:0. Run under plain `node` (see `plainScript`) with `hot` or
 * `fastify` (the hot lease routes, or every request through Fastify). Prints
 * `listening on <url>/?session=<id>.<sealed>`: a session secret sealed to the license's container
 * key, as a client sends it, for the load generator.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildManagerServer, LicenseManager, SeatProofs } from '@lictor/manager';
import {
  answerSessionId,
  generateVendorKeys,
  loadSigner,
  randomBytes,
  sealAnswerSession,
  sha256,
  toHex,
} from '@lictor/protocol';
import { genuineLicense } from '@lictor/protocol/testing';

const mode = process.argv[2] ?? 'hot';
const { key, doc } = genuineLicense({
  vendor: loadSigner(generateVendorKeys().privatePem),
  products: ['ERP'],
  containerId: 'c-bench',
});
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
