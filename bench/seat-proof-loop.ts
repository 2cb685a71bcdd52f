// `npx tsx bench/seat-proof-loop.ts [leases] [leases-per-client]`: a quick in-process loop, not
// part of `npm run bench`. The manager's lease operations through
// Fastify's inject (no sockets: the manager's own cost is what is timed), a plain manager and a
// proven one side by side, each operation alternating between them so both see the same load.
// Per lease: acquire, three heartbeats, release (nonce and session in the lictor-* headers).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildManagerServer, LicenseManager, SeatProofs } from '@lictor/manager';
import {
  answerSessionId,
  decodeLicenseFile,
  parsePublicKey,
  randomBytes,
  sealAnswerSession,
  sha256,
  toBase64Url,
  toHex,
} from '@lictor/protocol';
import { licenseKey, VENDOR } from '../packages/sdk/test/signed-answers.js';

const N = Number(process.argv[2] ?? 3000);
const key = licenseKey(['ERP']);
const doc = decodeLicenseFile(key.license, parsePublicKey(VENDOR.publicKey.text));
async function open(signed: boolean) {
  const dir = await mkdtemp(join(tmpdir(), 'sp-'));
  const manager = await LicenseManager.open({
    stateFile: join(dir, 's.json'),
    licenses: [
      { id: 'm', product: 'ERP', type: 'multi', seats: 1_000_000, features: [], expiresAt: null, source: 'software' },
    ],
    adminTokenHash: toHex(sha256('x')),
    id: 'b',
    leaseTtlMs: 600_000,
    snapshotIntervalMs: 60_000,
  });
  const proofs = new SeatProofs();
  proofs.setKeys(new Map([['m', key]]));
  const app = buildManagerServer(manager, signed ? { proofs } : {});
  await app.ready();
  return { app, manager, signed };
}
const json = { 'content-type': 'application/json' };
const sides = [await open(false), await open(true)];
const cpu: Record<string, [number, number]> = {};
const wall: Record<string, [number, number]> = {};
async function op(name: string, side: 0 | 1, f: () => Promise<unknown>) {
  const c = process.cpuUsage();
  const t = performance.now();
  await f();
  const d = process.cpuUsage(c);
  const c2 = cpu[name] ?? [0, 0];
  const w2 = wall[name] ?? [0, 0];
  c2[side] += d.user + d.system;
  w2[side] += (performance.now() - t) * 1000;
  cpu[name] = c2;
  wall[name] = w2;
}
// Clients of 10 leases each, one after the other (acquire, 3 heartbeats, release): a client's
// first answer is signed, it then sends its session (sealed once) and every later answer is MAC'd.
const LEASES_PER_CLIENT = Number(process.argv[3] ?? 10);
let session: { id: string; sealed?: string } | undefined;
for (let i = 0; i < N; i++) {
  if (i % LEASES_PER_CLIENT === 0) session = undefined; // a new client
  const nonces = Array.from({ length: 4 }, () => toBase64Url(randomBytes(24)));
  const sealed = sealAnswerSession(doc, randomBytes(32));
  const ids: string[] = [];
  for (let step = 0; step < 5; step++) {
    const name = step === 0 ? 'acquire' : step === 4 ? 'release' : 'heartbeat';
    for (const side of (i % 2 === 0 ? [0, 1] : [1, 0]) as (0 | 1)[]) {
      const { app, signed } = sides[side] as (typeof sides)[number];
      const proof: Record<string, string> = signed
        ? {
            'lictor-nonce': nonces[Math.min(step, 3)] as string,
            ...(session ? { 'lictor-session': session.sealed ? `${session.id}.${session.sealed}` : session.id } : {}),
          }
        : {};
      await op(name, side, async () => {
        if (step === 0) {
          const body = JSON.stringify({
            product: 'ERP',
            client: { host: `h${i}`, user: 'u', process: 'p', session: 's' },
          });
          ids[side] = (
            await app.inject({ method: 'POST', url: '/v1/leases', headers: { ...json, ...proof }, payload: body })
          ).json().lease.id;
        } else if (step === 4) {
          await app.inject({ method: 'DELETE', url: `/v1/leases/${ids[side]}` });
        } else {
          await app.inject({
            method: 'POST',
            url: `/v1/leases/${ids[side]}/heartbeat`,
            headers: proof,
          });
        }
      });
    }
    // The client's session: sent sealed after its first (signed) answer, then by id.
    if (session === undefined) session = { id: answerSessionId(sealed), sealed };
    else if (session.sealed !== undefined && step > 0) session = { id: session.id };
  }
}
const per: Record<string, number> = { acquire: 1, heartbeat: 3, release: 1 };
let tp = 0;
let ts = 0;
for (const [name, [p, s]] of Object.entries(cpu)) {
  const n = N * (per[name] ?? 1);
  tp += p;
  ts += s;
  const [wp, ws] = wall[name] as [number, number];
  console.log(
    `${name.padEnd(20)} CPU µs/op plain ${(p / n).toFixed(0).padStart(4)} proven ${(s / n).toFixed(0).padStart(4)} (+${(100 * (s / p - 1)).toFixed(0)} %)   wall ${(wp / n).toFixed(0)} / ${(ws / n).toFixed(0)}`,
  );
}
console.log(`all (1 acquire, 3 heartbeats, 1 release per lease): throughput proven/plain = ${(tp / ts).toFixed(3)}`);
for (const s of sides) {
  await s.app.close();
  await s.manager.close();
}
