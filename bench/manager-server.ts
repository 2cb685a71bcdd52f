/**
 * The License Manager under benchmark, in a process of its own (forked by `manager-net.ts`, so
 * that the load generator does not share its event loop): `LicenseManager.open` with one
 * multi-user license of 200,000 seats, `buildManagerServer` on 127.0.0.1:0, the experimental
 * WebSocket heartbeat transport on the same port (`ws-heartbeats.ts`), and a bare `node:http`
 * server on another port as the floor.
 *
 * Talks to its parent over the IPC channel: sends `{ kind: 'ready', … }` with both ports, answers
 * `{ kind: 'usage' }` with its memory (after a full GC when asked), CPU time, leases and open
 * connections, and closes on `{ kind: 'stop' }` (so that `--cpu-prof` can write its profile).
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildManagerServer, LicenseManager } from '@lictor/manager';
import { sha256, toHex } from '@lictor/protocol';
import { attachWsHeartbeats } from './ws-heartbeats.js';

/** What the child sends its parent. */
export type ServerMessage =
  | { kind: 'ready'; port: number; barePort: number; product: string; seats: number }
  | {
      kind: 'usage';
      rssBytes: number;
      heapUsedBytes: number;
      heapTotalBytes: number;
      externalBytes: number;
      cpuMicros: number;
      leases: number;
      connections: number;
    };

/** What the parent sends the child; `gc`: collect garbage first (to read memory). */
export type ParentMessage = { kind: 'usage'; gc: boolean } | { kind: 'stop' };

/** The product and seats the benchmark license serves. */
const PRODUCT = 'ERP';
const SEATS = 200_000;

const send = (message: ServerMessage) => process.send?.(message);

const dir = await mkdtemp(join(tmpdir(), 'lictor-bench-manager-'));
const manager = await LicenseManager.open({
  stateFile: join(dir, 'leases.json'),
  licenses: [
    {
      id: 'bench-multi',
      product: PRODUCT,
      type: 'multi',
      seats: SEATS,
      features: [],
      expiresAt: null,
      source: 'software',
    },
  ],
  adminTokenHash: toHex(sha256('bench-admin-token')),
  id: 'bench-manager',
  // Long enough that the 100,000 leases filled early are still held when the last phase runs.
  leaseTtlMs: 600_000,
});
const logLevel = process.env.LICTOR_BENCH_LOG_LEVEL;
// `LICTOR_BENCH_LOG_LEVEL=info` logs as `lictor manager serve` does by default (to a file here).
const app = buildManagerServer(
  manager,
  logLevel ? { logger: { level: logLevel, stream: createWriteStream(join(dir, 'manager.log')) } } : {},
);
await app.listen({ host: '127.0.0.1', port: 0 });
const ws = attachWsHeartbeats(app.server, manager);
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('manager bench: no TCP address');

// The floor: bare node:http answering every request with a constant of a heartbeat answer's
// size, so that the cost of Node's HTTP on this machine can be told from the manager's own.
const BARE_BODY = JSON.stringify({
  lease: {
    id: '00000000-0000-4000-8000-000000000000',
    product: PRODUCT,
    feature: null,
    licenseId: 'bench-multi',
    source: 'software',
    grantedAt: new Date(0).toISOString(),
    expiresAt: new Date(0).toISOString(),
    heartbeatIntervalMs: 20_000,
  },
});
const bare = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BARE_BODY) });
    res.end(BARE_BODY);
  });
});
bare.keepAliveTimeout = app.server.keepAliveTimeout;
await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
const bareAddress = bare.address();
if (bareAddress === null || typeof bareAddress === 'string') throw new Error('manager bench: no TCP address');

/** Connections `server` has open (an upgraded WebSocket counts). */
function openConnections(server: Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((_error, count) => resolve(count)));
}

process.on('message', (message: ParentMessage) => {
  if (message.kind === 'usage') {
    // Seats in use: one per lease with a multi-user license (cheaper than listing the leases).
    const leases = manager.status().products.reduce((sum, p) => sum + p.inUse, 0);
    if (message.gc) globalThis.gc?.();
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    void Promise.all([openConnections(app.server), openConnections(bare)]).then(([managed, bareOnes]) => {
      send({
        kind: 'usage',
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        heapTotalBytes: memory.heapTotal,
        externalBytes: memory.external,
        cpuMicros: cpu.user + cpu.system,
        leases,
        connections: managed + bareOnes,
      });
    });
  } else if (message.kind === 'stop') {
    ws.close();
    bare.closeAllConnections();
    bare.close();
    app.server.closeAllConnections();
    void app
      .close()
      .then(() => manager.close())
      .finally(() => rm(dir, { recursive: true, force: true }))
      .finally(() => process.exit(0));
  }
});
// The bench process went away without stopping us.
process.on('disconnect', () => process.exit(1));
send({ kind: 'ready', port: address.port, barePort: bareAddress.port, product: PRODUCT, seats: SEATS });
