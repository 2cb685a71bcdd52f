/**
 * The License Manager's hot routes without the network: what a heartbeat and an acquire+release
 * pair cost in this process, layer by layer, so that the manager's share of a request can be told
 * from Node's HTTP and the kernel's. Each row adds one layer to the row above it:
 *
 * - the pool (`LeasePool`) alone;
 * - the lease service without observers, then with the event log's observer, with the snapshot
 *   store's, and with both (as `LicenseManager` wires it), and with both plus an address cap
 *   (`--max-seats-per-address`) or access rules (a reserve and a cap: the seat tallies);
 * - `LicenseManager` itself (opened on a temporary state file, its reaper and snapshots running);
 * - the route functions of `lease-routes.ts` (the lease body, `proofRequest`, no proof asked, the
 *   answer written with fast-json-stringify);
 * - the route as `hot-routes.ts` runs it: JSON body parsed (acquire) with Fastify's parser and
 *   checked against `AcquireBody`.
 *
 * The compiled modules of `packages/manager/dist` are measured, as `lictor manager serve` runs
 * them (build first: `npm run bench` does). CPU time (`process.cpuUsage`, garbage collection
 * included) per operation, median of `rounds` interleaved rounds; 50 leases held and
 * heart-beaten in turn, 50 client identities taking and giving back a seat in turn (as the
 * `manager` group's 50 connections do).
 *
 *   node --expose-gc --import tsx bench/manager-micro.ts [--rounds 7] [--ops 100000]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { systemScheduler } from '@lictor/protocol';
import { AcquireBody } from '@lictor/protocol/wire';
import Fastify from 'fastify';
import { Compile } from 'typebox/compile';
import { parseAccessRules } from '../packages/manager/dist/access-rules.js';
import { EventLog } from '../packages/manager/dist/event-log.js';
import { eventLogObserver } from '../packages/manager/dist/event-log-observer.js';
import { LeasePool } from '../packages/manager/dist/lease-pool.js';
import {
  acquireLease,
  heartbeatLease,
  type LeaseRoutesContext,
  releaseLease,
} from '../packages/manager/dist/lease-routes.js';
import { LeaseService } from '../packages/manager/dist/lease-service.js';
import { LicenseManager } from '../packages/manager/dist/manager.js';
import { SeatProofs } from '../packages/manager/dist/seat-proofs.js';
import { SnapshotStore } from '../packages/manager/dist/snapshot-store.js';
import type { PoolLicense } from '../packages/manager/dist/types.js';
import { identity } from './load-clients.js';

/** One layer: `op(k)` does the k-th operation. */
interface Row {
  name: string;
  op: (k: number) => void;
}

/** One row's result: CPU µs per operation (median of the rounds) and the rounds' range. */
/** The lease id of a plain acquire answer's JSON text (`{"lease":{"id":"…"`, the schema's order). */
function leaseIdOf(json: string): string {
  const from = json.indexOf('"id":"') + 6;
  return json.slice(from, json.indexOf('"', from));
}

export interface MicroResult {
  name: string;
  micros: number;
  min: number;
  max: number;
}

const LICENSE: PoolLicense = {
  id: 'bench-multi',
  product: 'ERP',
  type: 'multi',
  seats: 200_000,
  features: [],
  expiresAt: null,
  source: 'software',
};
const CLIENTS = 50;
/** Access rules that every bench client passes, with a reserve and a cap to count (the group tally). */
const RULES = parseAccessRules(
  'group bench user bench\ngroup others user nobody\nreserve 10 ERP group others\nmax 100000 ERP group bench\n',
);
const HEARTBEAT_INTERVAL_MS = 20_000;
const noLog = { info: () => {} };

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`manager micro: ${what}`);
}

/** A pool serving the bench license, as the manager's. */
function newPool(): LeasePool {
  const pool = new LeasePool({ now: Date.now, leaseTtlMs: 600_000 });
  pool.replaceLicenses([LICENSE]);
  return pool;
}

/** Heartbeat rows and acquire+release rows over fresh pools, services and a manager in `dir`. */
async function rows(dir: string): Promise<{ heartbeat: Row[]; pair: Row[]; close: () => Promise<void> }> {
  const bodies = Array.from({ length: CLIENTS }, (_, i) =>
    JSON.stringify({ product: 'ERP', client: identity(`pair-${i}`) }),
  );
  const requests = bodies.map((b) => ({ ...(JSON.parse(b) as AcquireBody), address: '127.0.0.1' }));
  const held = (acquire: (i: number) => { kind: string; lease?: { id: string } }) =>
    Array.from({ length: CLIENTS }, (_, i) => {
      const r = acquire(i);
      check(r.kind === 'granted', `beat-${i} ${r.kind}`);
      return r.lease?.id as string;
    });
  const beatRequest = (i: number) => ({ product: 'ERP', client: identity(`beat-${i}`), address: '127.0.0.1' });

  const closers: (() => Promise<void>)[] = [];
  /**
   * A lease service; `log`, `snapshots`: which of the manager's observers it gets; `tally`: an
   * address cap (`AddressSeats`) or access rules (`GroupSeatTally`), both observing the pool.
   */
  const service = (log: boolean, snapshots: boolean, tally?: 'address-cap' | 'rules'): LeaseService => {
    const pool = newPool();
    const s = new LeaseService(pool, Date.now, tally === 'address-cap' ? { maxSeatsPerAddress: 1_000 } : {});
    if (tally === 'rules') s.setAccessRules(RULES);
    if (log) s.observe(eventLogObserver(new EventLog(Date.now)));
    if (snapshots) {
      const store = new SnapshotStore(pool, {
        file: join(dir, `state-${closers.length}.json`),
        scheduler: systemScheduler,
        intervalMs: 1_000,
        heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
      });
      s.observe(store.observer);
      closers.push(() => store.close());
    }
    return s;
  };

  const pool = newPool();
  const poolIds = held((i) => pool.acquire(beatRequest(i)));
  const services = [
    ['the lease service, no observers', service(false, false)],
    ['… with the event log observer', service(true, false)],
    ['… with the snapshot observer', service(false, true)],
    ['… with both (as the manager)', service(true, true)],
    ['… with both and an address cap (AddressSeats)', service(true, true, 'address-cap')],
    ['… with both and access rules (GroupSeatTally)', service(true, true, 'rules')],
  ] as const;
  const serviceIds = services.map(([, s]) => held((i) => s.acquire(beatRequest(i))));

  const manager = await LicenseManager.open({
    stateFile: join(dir, 'manager.json'),
    licenses: [LICENSE],
    adminTokenHash: '0'.repeat(64),
    id: 'bench-manager',
    leaseTtlMs: 600_000,
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
  });
  closers.push(() => manager.close());
  const managerIds = held((i) => manager.acquire(beatRequest(i)));
  const ctx: LeaseRoutesContext = { manager, proofs: new SeatProofs() };

  // Fastify's JSON parser, as the manager's hot routes are given it.
  const app = Fastify();
  const json = app.getDefaultJsonParser('error', 'error');
  const parseJson = (text: string): unknown => {
    let parsed: unknown;
    let failure: unknown;
    json(undefined as never, text, (error, value) => {
      failure = error;
      parsed = value;
    });
    if (failure) throw failure;
    return parsed;
  };
  const isAcquireBody = Compile(AcquireBody);
  let sink = 0;

  const heartbeat: Row[] = [
    {
      name: 'LeasePool.heartbeat',
      op: (k) => check(pool.heartbeat(poolIds[k % CLIENTS] as string).kind === 'renewed', 'pool heartbeat'),
    },
    ...services.map(([name, s], j) => ({
      name,
      op: (k: number) =>
        check(s.heartbeat(serviceIds[j]?.[k % CLIENTS] as string).kind === 'renewed', 'service heartbeat'),
    })),
    {
      name: 'LicenseManager.heartbeat',
      op: (k) => check(manager.heartbeat(managerIds[k % CLIENTS] as string).kind === 'renewed', 'manager heartbeat'),
    },
    {
      name: '… + the lease body (wire.ts)',
      op: (k) => {
        const r = manager.heartbeat(managerIds[k % CLIENTS] as string);
        if (r.kind === 'renewed') sink += manager.leaseBody(r.lease).expiresAt.length;
      },
    },
    {
      name: 'heartbeatLease (lease-routes.ts, the answer written by fast-json-stringify: the hot route)',
      op: (k) => {
        sink += heartbeatLease(ctx, managerIds[k % CLIENTS] as string, {}).length;
      },
    },
  ];

  const pairPool = newPool();
  const pairServices = [
    ['the lease service, no observers', service(false, false)],
    ['… with the event log observer', service(true, false)],
    ['… with the snapshot observer', service(false, true)],
    ['… with both (as the manager)', service(true, true)],
    ['… with both and an address cap (AddressSeats)', service(true, true, 'address-cap')],
    ['… with both and access rules (GroupSeatTally)', service(true, true, 'rules')],
  ] as const;
  const pair: Row[] = [
    {
      name: 'LeasePool.acquire + release',
      op: (k) => {
        const r = pairPool.acquire(requests[k % CLIENTS] as AcquireBody);
        check(r.kind === 'granted' && pairPool.release(r.lease.id), 'pool pair');
      },
    },
    ...pairServices.map(([name, s]) => ({
      name,
      op: (k: number) => {
        const r = s.acquire(requests[k % CLIENTS] as AcquireBody);
        check(r.kind === 'granted' && s.release(r.lease.id, { by: 'its client' }), 'service pair');
      },
    })),
    {
      name: 'LicenseManager.acquire + release',
      op: (k) => {
        const r = manager.acquire(requests[k % CLIENTS] as AcquireBody);
        check(r.kind === 'granted' && manager.release(r.lease.id), 'manager pair');
      },
    },
    {
      name: 'acquireLease + releaseLease (lease-routes.ts, the answer written by fast-json-stringify)',
      op: (k) => {
        const { json } = acquireLease(ctx, JSON.parse(bodies[k % CLIENTS] as string), {}, '127.0.0.1', noLog);
        releaseLease(ctx, leaseIdOf(json));
      },
    },
    {
      name: "… + the body parsed with Fastify's parser and checked (the hot route)",
      op: (k) => {
        const body = parseJson(bodies[k % CLIENTS] as string);
        check(isAcquireBody.Check(body), 'acquire body');
        const { json } = acquireLease(ctx, body as AcquireBody, {}, '127.0.0.1', noLog);
        sink += json.length;
        releaseLease(ctx, leaseIdOf(json));
      },
    },
  ];
  return {
    heartbeat,
    pair,
    close: async () => {
      check(sink > 0, 'nothing computed');
      for (const c of closers) await c();
    },
  };
}

/** CPU µs per operation of `row` over `ops` operations. */
function cpuMicrosPerOp(row: Row, ops: number): number {
  const start = process.cpuUsage();
  for (let k = 0; k < ops; k++) row.op(k);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / ops;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Runs every row `rounds` times, interleaved (a pause for the event loop between rounds: snapshots, the reaper). */
export async function benchManagerMicro(
  options: { rounds?: number; ops?: number } = {},
): Promise<{ heartbeat: MicroResult[]; pair: MicroResult[] }> {
  const rounds = options.rounds ?? 7;
  const ops = options.ops ?? 100_000;
  const dir = await mkdtemp(join(tmpdir(), 'lictor-bench-micro-'));
  try {
    const r = await rows(dir);
    const measure = async (list: Row[], n: number): Promise<MicroResult[]> => {
      for (const row of list) cpuMicrosPerOp(row, n / 10); // warm-up (JIT)
      const samples = list.map(() => [] as number[]);
      for (let round = 0; round < rounds; round++) {
        for (const [i, row] of list.entries()) {
          await new Promise((resolve) => setImmediate(resolve));
          samples[i]?.push(cpuMicrosPerOp(row, n));
        }
      }
      return list.map((row, i) => {
        const xs = samples[i] as number[];
        return { name: row.name, micros: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
      });
    };
    const heartbeat = await measure(r.heartbeat, ops);
    const pair = await measure(r.pair, ops / 4);
    await r.close();
    return { heartbeat, pair };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The results as lines of text. */
export function microText(results: { heartbeat: MicroResult[]; pair: MicroResult[] }): string[] {
  const line = (r: MicroResult) =>
    `  ${r.micros.toFixed(2).padStart(6)} µs (${r.min.toFixed(2)}–${r.max.toFixed(2)})  ${r.name}`;
  return [
    'manager in process, CPU µs per heartbeat (median of the rounds, range):',
    ...results.heartbeat.map(line),
    'manager in process, CPU µs per acquire+release pair (two requests):',
    ...results.pair.map(line),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { rounds: { type: 'string' }, ops: { type: 'string' } } });
  const results = await benchManagerMicro({
    ...(values.rounds === undefined ? {} : { rounds: Number(values.rounds) }),
    ...(values.ops === undefined ? {} : { ops: Number(values.ops) }),
  });
  for (const l of microText(results)) console.log(l);
}
