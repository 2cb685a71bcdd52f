/**
 * `npx tsx bench/seat-proof-net.ts [heartbeats]`: a quick loop, not part of `npm run bench`. A
 * License Manager in a child process (plain, then proving its answers), heartbeats sent to it over
 * keep-alive loopback sockets by this process (16 at a time); the child reports its own CPU time,
 * so the figure is the manager's cost per heartbeat over real sockets. Each heartbeat of the proven
 * manager carries a nonce and the client's session id (headers), and is answered with a MAC.
 */
import { fork } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

type Msg = { kind: 'ready'; port: number } | { kind: 'cpu'; micros: number };

if (process.env.SEAT_PROOF_CHILD !== undefined) {
  const signed = process.env.SEAT_PROOF_CHILD === 'proven';
  const key = licenseKey(['ERP']);
  const dir = await mkdtemp(join(tmpdir(), 'sp-net-'));
  const manager = await LicenseManager.open({
    stateFile: join(dir, 's.json'),
    licenses: [
      { id: 'm', product: 'ERP', type: 'multi', seats: 100_000, features: [], expiresAt: null, source: 'software' },
    ],
    adminTokenHash: toHex(sha256('x')),
    id: 'b',
    leaseTtlMs: 600_000,
    snapshotIntervalMs: 60_000,
  });
  const proofs = new SeatProofs();
  proofs.setKeys(new Map([['m', key]]));
  const app = buildManagerServer(manager, signed ? { proofs } : {});
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  process.on('message', (m: { kind: string }) => {
    if (m.kind === 'cpu') {
      const u = process.cpuUsage();
      process.send?.({ kind: 'cpu', micros: u.user + u.system } satisfies Msg);
    } else if (m.kind === 'stop') void app.close().then(() => manager.close().then(() => process.exit(0)));
  });
  process.send?.({
    kind: 'ready',
    port: Number(new URL(url).port),
    license: key.license,
    vendor: VENDOR.publicKey.text,
  } as Msg);
} else {
  const N = Number(process.argv[2] ?? 20_000);
  const run = async (mode: 'plain' | 'proven'): Promise<number> => {
    const child = fork(fileURLToPath(import.meta.url), [], {
      env: { ...process.env, SEAT_PROOF_CHILD: mode },
      execArgv: ['--import', 'tsx', ...(process.env.SP_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof2'] : [])],
    });
    const next = () => new Promise<Msg & { license?: string }>((resolve) => child.once('message', resolve as never));
    const ready = (await next()) as { kind: 'ready'; port: number; license: string; vendor: string };
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const post = (path: string, body: string, proof: Record<string, string> = {}) =>
      new Promise<string>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: ready.port,
            path,
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...proof },
          },
          (res) => {
            let t = '';
            res.on('data', (c: Buffer) => {
              t += c.toString();
            });
            res.on('end', () => resolve(t));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const doc = decodeLicenseFile(ready.license, parsePublicKey(ready.vendor));
    const sealed = sealAnswerSession(doc, randomBytes(32));
    const id = answerSessionId(sealed);
    const nonce = () => toBase64Url(randomBytes(24));
    const client = { host: 'h', user: 'u', process: 'p', session: 's' };
    const granted = JSON.parse(
      await post(
        '/v1/leases',
        JSON.stringify({ product: 'ERP', client }),
        mode === 'proven' ? { 'lictor-nonce': nonce() } : {},
      ),
    ) as { lease: { id: string } };
    const path = `/v1/leases/${granted.lease.id}/heartbeat`;
    if (mode === 'proven') {
      await post(path, '', { 'lictor-nonce': nonce(), 'lictor-session': `${id}.${sealed}` });
      const check = JSON.parse(await post(path, '', { 'lictor-nonce': nonce(), 'lictor-session': id })) as {
        proof?: { key: string };
      };
      if (check.proof?.key !== 'session') throw new Error(`not MAC'd: ${JSON.stringify(check).slice(0, 200)}`);
    }
    const headers = Array.from(
      { length: N },
      (): Record<string, string> => (mode === 'plain' ? {} : { 'lictor-nonce': nonce(), 'lictor-session': id }),
    );
    child.send({ kind: 'cpu' });
    const before = ((await next()) as { micros: number }).micros;
    let i = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (i < N) await post(path, '', headers[i++]);
      }),
    );
    child.send({ kind: 'cpu' });
    const after = ((await next()) as { micros: number }).micros;
    child.send({ kind: 'stop' });
    agent.destroy();
    return (after - before) / N;
  };
  const rows: Record<'plain' | 'proven', number[]> = { plain: [], proven: [] };
  for (let r = 0; r < 3; r++) for (const mode of ['plain', 'proven'] as const) rows[mode].push(await run(mode));
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[1] as number;
  console.log(
    `manager CPU per heartbeat over sockets: plain ${rows.plain.map((x) => x.toFixed(0)).join('/')} µs, proven (MAC) ${rows.proven.map((x) => x.toFixed(0)).join('/')} µs; median overhead +${(100 * (med(rows.proven) / med(rows.plain) - 1)).toFixed(0)} %`,
  );
}
