/**
 * License Center activations in process (SQLite, `center.activate()`, no HTTP), measured two ways,
 * each interleaved round by round with what it is compared against (ABAB…, median and minimum):
 *
 * - `held`: activations into one package of 1,000 PIN codes that already holds 0, 200 or 800
 *   activations (a fresh package per round and level, `--concurrency` activations in flight, all
 *   into that package). The PIN rules must not cost more as the package fills.
 * - `ceiling`: activations into many small packages (5 PIN codes each, interleaved, as vendors
 *   sell them) against a better-sqlite3 transaction of the same shape on a copy of the same
 *   database: the PIN read by its HMAC with its package and product, what the rules need read (the
 *   package's activations), one activation and one audit row inserted, with the center's pragmas;
 *   and against the same transaction with its reads made without a join (SQLite runs the
 *   three-table join several times slower than the same lookups by key).
 * - `http` (optional, `--only http`): the same activations over HTTP on loopback to
 *   `lictor center serve` in its own process, driven by autocannon, against the same ceiling.
 *
 * Run: `npx tsc -b && node --expose-gc --import tsx bench/center-held.ts [--only held|ceiling|http]
 * [--rounds 3] [--concurrency 16] [--count 100] [--seconds 3]`. Self-contained: `bench/run.ts`
 * does not run it.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Center, initCenter, openCenter } from '@lictor/center';
import { type ActivationRequest, generateContainerKeys, type HardwareParams, hmacSha256 } from '@lictor/protocol';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';

const args = process.argv.slice(2);
function option(name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(args[i + 1]);
}
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const ROUNDS = option('rounds', 3);
const CONCURRENCY = option('concurrency', 16);
const COUNT = option('count', 100);
const SECONDS = option('seconds', 3);
const PROFILE = args.includes('--profile') ? args[args.indexOf('--profile') + 1] : undefined;
const BIN = fileURLToPath(new URL('../packages/cli/bin/lictor.js', import.meta.url));

function hardware(i: number): HardwareParams {
  const hex = i.toString(16).padStart(8, '0');
  return {
    platform: 'linux',
    osName: 'Debian GNU/Linux',
    osVersion: '12',
    hostname: `ws-${i}`,
    board: 'Bench Board',
    ramBytes: 16 * 1024 ** 3,
    bios: 'Bench BIOS 1.0',
    cpus: ['Bench CPU (8 cores)'],
    nics: [`02:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}:01`],
    disks: [`DISK${hex}`],
  };
}

let computers = 0;
function request(serial: string, pin: string): ActivationRequest {
  const i = computers++;
  return {
    serial,
    pin,
    owner: { company: `Company ${i}`, email: `it${i}@example.com` },
    hardware: hardware(i),
    containerKeys: generateContainerKeys().public,
  };
}

/**
 * One measurement: operations per second of wall time, and CPU time of this process's main thread
 * per operation (`process.threadCpuUsage`: what a loaded machine changes least; the sealing
 * worker's CPU is not in it).
 */
interface Sample {
  rate: number;
  cpuUs: number;
}

async function timed(n: number, work: () => Promise<void> | void): Promise<Sample> {
  const cpu = process.threadCpuUsage();
  const start = performance.now();
  await work();
  const wall = performance.now() - start;
  const used = process.threadCpuUsage(cpu);
  return { rate: n / (wall / 1000), cpuUs: (used.user + used.system) / n };
}

/** Runs `requests` through `center.activate` with `concurrency` in flight. */
function drive(center: Center, requests: ActivationRequest[], concurrency: number): Promise<Sample> {
  let next = 0;
  return timed(requests.length, async () => {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests.length) {
          const r = requests[next++] as ActivationRequest;
          await center.activate(r);
        }
      }),
    );
  });
}

/** CPU time of process `pid`, every thread, in µs (Linux: `/proc/<pid>/stat`, clock ticks of 10 ms). */
function processCpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function summary(name: string, xs: Sample[], cpu = 'main-thread CPU'): string {
  const rates = xs.map((x) => x.rate);
  const cpus = xs.map((x) => x.cpuUs);
  return (
    `${name}: median ${Math.round(median(rates))}/s, min ${Math.round(Math.min(...rates))}/s ` +
    `(${rates.map(Math.round).join(', ')}); ${cpu} ${Math.round(median(cpus))} µs each ` +
    `(${cpus.map(Math.round).join(', ')})`
  );
}

/** Ratios of two sides' medians: by wall-clock rate, and by main-thread CPU per operation. */
function ratios(a: Sample[], b: Sample[]): string {
  const rate = median(a.map((x) => x.rate)) / median(b.map((x) => x.rate));
  const cpu = median(b.map((x) => x.cpuUs)) / median(a.map((x) => x.cpuUs));
  return `${rate.toFixed(2)} by rate, ${cpu.toFixed(2)} by CPU per operation`;
}

/**
 * With `--profile <prefix>`, the V8 CPU profile of the measured phases only (not the preparation)
 * is written to `<prefix>-<name>.cpuprofile` (the same profiler as `node --cpu-prof`).
 */
async function profiled<T>(name: string, work: () => Promise<T>): Promise<T> {
  if (PROFILE === undefined) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(`${PROFILE}-${name}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  }
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function benchHeld(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lictor-bench-held-'));
  try {
    const data = join(dir, 'center');
    await initCenter(data);
    const center = await openCenter(data);
    try {
      await center.addProduct({ code: 'ERP', name: 'Bench ERP', features: [{ code: 'reports' }] });
      const LEVELS = [0, 200, 800];
      // A package per round and level, filled to its level before anything is measured.
      const prepared = new Map<string, ActivationRequest[]>();
      const t0 = performance.now();
      for (let r = 0; r < ROUNDS; r++) {
        for (const held of LEVELS) {
          const pkg = await center.issuePackage({ product: 'ERP', type: 'single', pins: 1000, maxActive: 1000 });
          const all = pkg.pins.map((p) => request(pkg.serial, p.pin));
          await drive(center, all.slice(0, held), CONCURRENCY);
          prepared.set(`${r}:${held}`, all.slice(held, held + COUNT));
        }
      }
      console.log(`held: prepared in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const results = new Map<number, Sample[]>(LEVELS.map((l) => [l, []]));
      // Warm-up on a package of its own.
      const warm = await center.issuePackage({ product: 'ERP', type: 'single', pins: 200, maxActive: 200 });
      await drive(
        center,
        warm.pins.map((p) => request(warm.serial, p.pin)),
        CONCURRENCY,
      );
      for (let r = 0; r < ROUNDS; r++) {
        for (const held of r % 2 === 0 ? LEVELS : [...LEVELS].reverse()) {
          gc();
          const batch = prepared.get(`${r}:${held}`) as ActivationRequest[];
          const sample = await profiled(`held-${held}-${r}`, () => drive(center, batch, CONCURRENCY));
          results.get(held)?.push(sample);
        }
      }
      const empty = results.get(0) as Sample[];
      for (const held of LEVELS) {
        const xs = results.get(held) as Sample[];
        console.log(
          `${summary(`held: into a package of 1,000 PINs holding ${held} (${COUNT} activations, ${CONCURRENCY} in flight)`, xs)}; against empty: ${ratios(xs, empty)}`,
        );
      }
    } finally {
      await center.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A data directory with `packages` packages of 5 PINs; the requests interleaved across packages. */
async function smallPackages(data: string, packages: number): Promise<ActivationRequest[]> {
  await initCenter(data);
  const center = await openCenter(data);
  try {
    await center.addProduct({ code: 'ERP', name: 'Bench ERP', features: [{ code: 'reports' }] });
    const bodies: ActivationRequest[] = [];
    for (let p = 0; p < packages; p++) {
      const pkg = await center.issuePackage({ product: 'ERP', type: 'single', pins: 5, maxActive: 5 });
      for (const pin of pkg.pins) bodies.push(request(pkg.serial, pin.pin));
    }
    return bodies.map((_, i) => bodies[(i % packages) * 5 + Math.floor(i / packages)] as ActivationRequest);
  } finally {
    await center.close();
  }
}

/** The same-shaped better-sqlite3 transaction on `file`; returns a function running `n` of them. */
function sqliteCeiling(file: string, joins = true): (n: number) => Promise<Sample> {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  const pins = db.prepare('SELECT serial, pin_hash FROM pins ORDER BY idx, serial').all() as {
    serial: string;
    pin_hash: string;
  }[];
  const findPin = db.prepare(
    `SELECT packages.*, pins.idx AS pin_idx, pins.kind AS pin_kind, products.name AS product_name,
            products.required_owner_fields
       FROM pins JOIN packages ON packages.serial = pins.serial
                 JOIN products ON products.code = packages.product_code
      WHERE pins.pin_hash = ?`,
  );
  // The same reads without a join: the PIN by its hash, then its package with the product by key.
  const pinByHash = db.prepare('SELECT serial, idx AS pin_idx, kind AS pin_kind FROM pins WHERE pin_hash = ?');
  const packageBySerial = db.prepare(
    `SELECT packages.*, (SELECT name FROM products WHERE code = packages.product_code) AS product_name,
            (SELECT required_owner_fields FROM products WHERE code = packages.product_code) AS required_owner_fields
       FROM packages WHERE serial = ?`,
  );
  const activations = db.prepare(
    `SELECT id, pin_idx, container_id, owner, owner_key, hardware, subject, status, license_kind, created_at,
            counter, token_key
       FROM activations WHERE serial = ?`,
  );
  const insert = db.prepare(
    `INSERT INTO activations (id, serial, pin_idx, container_id, owner, owner_key, hardware, status, license_kind,
                              created_at, updated_at, subject, channel, container_keys, counter, client_ip)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, 'online', ?, 0, '127.0.0.1')`,
  );
  const audit = db.prepare(
    'INSERT INTO audit_events (id, at, actor, action, subject, details) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const pepper = randomBytes(32);
  const keys = JSON.stringify(generateContainerKeys().public);
  let next = 0;
  const activate = db.transaction((i: number) => {
    const pin = pins[i] as { serial: string; pin_hash: string };
    hmacSha256(pepper, `${pin.serial}:ABCD-EFGH-JKMN`);
    type Found = { serial: string; pin_idx: number; license_type: string };
    let row: Found | undefined;
    if (joins) row = findPin.get(pin.pin_hash) as Found | undefined;
    else {
      const found = pinByHash.get(pin.pin_hash) as { serial: string; pin_idx: number } | undefined;
      if (found !== undefined) row = { ...found, ...(packageBySerial.get(found.serial) as { license_type: string }) };
    }
    if (row === undefined) throw new Error('bench: PIN not found');
    activations.all(row.serial);
    const now = new Date().toISOString();
    const id = randomUUID();
    insert.run(
      id,
      row.serial,
      row.pin_idx,
      randomUUID(),
      JSON.stringify({ company: `Company ${i}`, email: `it${i}@example.com` }),
      `company ${i}`,
      JSON.stringify(hardware(i)),
      row.license_type,
      now,
      now,
      'AAAAAAAAAAAAAA',
      keys,
    );
    audit.run(randomUUID(), now, 'client', 'activation.create', id, JSON.stringify({ serial: row.serial, kind: 'a' }));
  });
  return async (n) => {
    const sample = await timed(n, () => {
      for (let k = 0; k < n; k++) {
        if (next >= pins.length) throw new Error('bench: the SQLite ceiling ran out of PIN codes');
        activate(next++);
      }
    });
    db.pragma('wal_checkpoint(TRUNCATE)');
    return sample;
  };
}

async function benchCeiling(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lictor-bench-ceiling-'));
  try {
    const data = join(dir, 'center');
    const n = COUNT * 10;
    const order = await smallPackages(data, Math.ceil(((ROUNDS + 1) * n) / 5) + 10);
    const copy = join(dir, 'ceiling.db');
    await copyFile(join(data, 'center.db'), copy);
    const ceiling = sqliteCeiling(copy);
    const copy2 = join(dir, 'ceiling-no-joins.db');
    await copyFile(join(data, 'center.db'), copy2);
    const noJoins = sqliteCeiling(copy2, false);
    const center = await openCenter(data);
    try {
      let used = 0;
      const take = () => {
        const batch = order.slice(used, used + n);
        used += n;
        return batch;
      };
      await drive(center, take(), CONCURRENCY);
      await ceiling(n);
      await noJoins(n);
      const a: Sample[] = [];
      const b: Sample[] = [];
      const c: Sample[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        gc();
        const sides = [
          async () => a.push(await profiled(`center-${r}`, () => drive(center, take(), CONCURRENCY))),
          async () => b.push(await ceiling(n)),
          async () => c.push(await noJoins(n)),
        ];
        // A different side first in each round.
        for (let k = 0; k < sides.length; k++) await (sides[(k + r) % sides.length] as () => Promise<number>)();
      }
      console.log(
        summary(`ceiling: center.activate in process, small packages (${n} per sample, ${CONCURRENCY} in flight)`, a),
      );
      console.log(summary('ceiling: better-sqlite3 transaction of the same shape', b));
      console.log(`ceiling: center against the transaction: ${ratios(a, b)}`);
      console.log(summary('ceiling: the same transaction, its reads without a join', c));
      console.log(`ceiling: center against the transaction without a join: ${ratios(a, c)}`);
    } finally {
      await center.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function benchHttp(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lictor-bench-http-'));
  try {
    const data = join(dir, 'center');
    const order = (await smallPackages(data, 8000)).map((r) => JSON.stringify(r));
    const copy = join(dir, 'ceiling.db');
    await copyFile(join(data, 'center.db'), copy);
    const ceiling = sqliteCeiling(copy);
    const server = spawn(
      process.execPath,
      // One client address sends every request: its rate limit is off.
      [BIN, 'center', 'serve', '--data', data, '--port', '0', '--log-level', 'warn', '--client-rate-limit', '0'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      server.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      server.on('exit', (code) => reject(new Error(`center exited with ${code}`)));
    });
    try {
      let next = 0;
      const pid = server.pid as number;
      const http = async (seconds: number): Promise<Sample> => {
        const cpu0 = processCpuUs(pid);
        const result = await autocannon({
          url,
          connections: 32,
          duration: seconds,
          requests: [
            {
              method: 'POST',
              path: '/v1/activations',
              headers: { 'content-type': 'application/json' },
              setupRequest: (req) => ({ ...req, body: order[next++ % order.length] }),
            },
          ],
        });
        if (result.non2xx > 0 || result.errors > 0)
          throw new Error(`bench: ${result.non2xx} refused, ${result.errors} errors`);
        const done = result['2xx'];
        return { rate: done / seconds, cpuUs: (processCpuUs(pid) - cpu0) / done };
      };
      await http(1);
      await ceiling(2000);
      const a: Sample[] = [];
      const b: Sample[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const sides = [async () => a.push(await http(SECONDS)), async () => b.push(await ceiling(4000))];
        for (const side of r % 2 === 0 ? sides : sides.reverse()) await side();
      }
      console.log(
        summary('http: center activations over HTTP, 32 connections', a, 'server process CPU (every thread)'),
      );
      console.log(summary('http: better-sqlite3 transaction of the same shape', b));
      console.log(`http: center against the transaction: ${ratios(a, b)} (the server's CPU against the transaction's)`);
    } finally {
      server.kill('SIGTERM');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
if (only === undefined || only === 'held') await benchHeld();
if (only === undefined || only === 'ceiling') await benchCeiling();
if (only === 'http') await benchHttp();
console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
