/**
 * License Center benchmark: online activations per second over real HTTP on loopback, with
 * SQLite, against two ceilings measured in the same run, interleaved:
 *
 * - a better-sqlite3 transaction of the same shape as an activation, on a copy of the same
 *   database (the PIN read by its HMAC with its package and product, the package's activations
 *   read, one activation and one audit row inserted), with the center's pragmas;
 * - sealing one license with protocol's functions (`encodeLicenseFile`: canonical JSON, subject
 *   digest, Ed25519, HKDF, AES-GCM), on one thread.
 *
 * The center runs in its own process (`lictor center serve`); autocannon drives it from this one,
 * so the two share the machine's two cores as they would on a small host. The ceilings run in
 * this process while the center is idle.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initCenter, openCenter } from '@lictor/center';
import {
  encodeLicenseFile,
  generateContainerKeys,
  generateVendorKeys,
  type HardwareParams,
  hmacSha256,
  type LicenseDocument,
  loadSigner,
} from '@lictor/protocol';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { type Comparison, compare, interleave, measured, type Side } from './ceiling.js';
import { serveCenter } from './processes.js';

export interface CenterResults {
  /** Activations over HTTP against the same-shaped SQLite transaction, and against sealing. */
  comparisons: Comparison[];
  latencyMs: { p50: number; p99: number };
  connections: number;
  /** Activations refused or failed over the whole run. */
  refused: number;
  errors: number;
}

/** Options of {@link benchCenter}. */
export interface CenterBenchOptions {
  /** Seconds per measured phase (default 4). */
  seconds?: number;
  /** Rounds (default 3). */
  rounds?: number;
  /** Concurrent connections of the load generator (default 32). */
  connections?: number;
  /** Prints each sample as it is taken. */
  verbose?: boolean;
}

export function hardware(i: number): HardwareParams {
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

/**
 * A center data directory in `data` with `packages` packages of `pins` PIN codes of product ERP,
 * and the activation request bodies of every PIN, interleaved across packages so that concurrent
 * requests rarely wait on the same package.
 */
export async function centerWorld(data: string, packages: number, pins: number): Promise<string[]> {
  await initCenter(data);
  const center = await openCenter(data);
  await center.addProduct({ code: 'ERP', name: 'Bench ERP', features: [{ code: 'reports' }] });
  const bodies: string[] = [];
  for (let p = 0; p < packages; p++) {
    const issued = await center.issuePackage({ product: 'ERP', type: 'single', pins, maxActive: pins });
    for (const pin of issued.pins) {
      const i = bodies.length;
      bodies.push(
        JSON.stringify({
          serial: issued.serial,
          pin: pin.pin,
          owner: { company: `Company ${i}`, email: `it${i}@example.com` },
          hardware: hardware(i),
        }),
      );
    }
  }
  await center.close();
  return bodies.map((_, i) => bodies[(i % packages) * pins + Math.floor(i / packages)] as string);
}

/** Online activations driven by autocannon; each sample's value is accepted activations per second. */
export function activationSide(
  name: string,
  url: string,
  pid: number,
  order: readonly string[],
  seconds: number,
  connections: number,
  stats: { accepted: number; refused: number; errors: number; p50: number[]; p99: number[] },
): Side {
  let next = 0;
  return {
    name,
    measure: (round) =>
      measured(
        'rate',
        async () => {
          const result = await autocannon({
            url,
            connections,
            duration: round < 0 ? 1 : seconds,
            requests: [
              {
                method: 'POST',
                path: '/v1/activations',
                headers: { 'content-type': 'application/json' },
                setupRequest: (req) => ({ ...req, body: order[next++ % order.length] }),
              },
            ],
          });
          if (next > order.length) throw new Error(`bench ran out of PIN codes (${order.length}); issue more`);
          if (result['4xx'] > result['2xx']) throw new Error(`bench: the center refused ${result['4xx']} activations`);
          stats.accepted += result['2xx'];
          stats.refused += result['4xx'];
          stats.errors += result['5xx'] + result.errors + result.timeouts;
          if (round >= 0) {
            stats.p50.push(result.latency.p50);
            stats.p99.push(result.latency.p99);
          }
          return result['2xx'];
        },
        pid,
      ),
  };
}

/**
 * The same-shaped SQLite transaction on `file` (a copy of the center's database): each one takes
 * a PIN not used yet, computes an HMAC as the center does to find it, reads the PIN with its
 * package and product, reads the package's activations, inserts an activation and an audit row.
 */
function sqliteSide(file: string, seconds: number): Side {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // The center checkpoints from another thread; here between samples.
  db.pragma('wal_autocheckpoint = 0');
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
  // More transactions than PIN codes (the ceiling runs several times faster than the center):
  // the ceiling's activations are dropped and its PINs used again.
  const reset = () => {
    db.exec('DELETE FROM activations; DELETE FROM audit_events');
    db.pragma('wal_checkpoint(TRUNCATE)');
    next = 0;
  };
  const activate = db.transaction((i: number) => {
    const pin = pins[i] as { serial: string; pin_hash: string };
    hmacSha256(pepper, `${pin.serial}:ABCD-EFGH-JKMN`);
    const row = findPin.get(pin.pin_hash) as { serial: string; pin_idx: number; license_type: string } | undefined;
    if (row === undefined) throw new Error('bench: PIN not found');
    activations.all(row.serial);
    const now = new Date().toISOString();
    const id = randomUUID();
    const owner = JSON.stringify({ company: `Company ${i}`, email: `it${i}@example.com` });
    insert.run(
      id,
      row.serial,
      row.pin_idx,
      randomUUID(),
      owner,
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
  return {
    name: 'better-sqlite3 transaction of the same shape',
    measure: (round) => {
      if (next > pins.length / 2) reset();
      return measured('rate', async () => {
        const end = performance.now() + (round < 0 ? 1 : seconds) * 1000;
        let done = 0;
        while (performance.now() < end) {
          for (let k = 0; k < 100; k++) {
            if (next >= pins.length) reset();
            activate(next++);
            done++;
          }
        }
        db.pragma('wal_checkpoint(TRUNCATE)');
        return done;
      });
    },
  };
}

/** Sealing licenses like the center's, one after the other on this thread. */
function sealSide(seconds: number): Side {
  const signer = loadSigner(generateVendorKeys().privatePem);
  const containerKeys = generateContainerKeys().public;
  const doc = (i: number): LicenseDocument => ({
    format: 1,
    containerId: randomUUID(),
    activationId: randomUUID(),
    serial: 'LX-BNCH-0000-0000',
    pin: 1,
    issuedAt: new Date().toISOString(),
    counter: 0,
    owner: { company: `Company ${i}`, email: `it${i}@example.com` },
    binding: { kind: 'hardware', hardware: hardware(i) },
    containerKeys,
    licenses: [
      {
        product: 'ERP',
        type: 'single',
        users: 1,
        sessions: null,
        arch: null,
        expiresAt: null,
        features: [{ code: 'reports', users: null }],
      },
    ],
  });
  return {
    name: 'sealing one license (encodeLicenseFile)',
    measure: (round) =>
      measured('rate', async () => {
        const end = performance.now() + (round < 0 ? 1 : seconds) * 1000;
        let done = 0;
        while (performance.now() < end) {
          for (let k = 0; k < 20; k++) encodeLicenseFile(doc(done++), signer);
        }
        return done;
      }),
  };
}

export async function benchCenter(options: CenterBenchOptions = {}): Promise<CenterResults> {
  const seconds = options.seconds ?? 4;
  const rounds = options.rounds ?? 3;
  const connections = options.connections ?? 32;
  const dir = await mkdtemp(join(tmpdir(), 'lictor-bench-center-'));
  const data = join(dir, 'center');
  try {
    // Packages as vendors sell them: a few PIN codes each (the activation reads the package's
    // activations to apply the PIN rules, so its cost grows with the activations per package).
    const order = await centerWorld(data, 10_000, 5);
    const copy = join(dir, 'ceiling.db');
    await copyFile(join(data, 'center.db'), copy);
    const sqlite = sqliteSide(copy, seconds);
    const seal = sealSide(seconds);
    const server = await serveCenter(data, join(dir, 'center.log'), 'warn');
    const stats = { accepted: 0, refused: 0, errors: 0, p50: [] as number[], p99: [] as number[] };
    try {
      const http = activationSide(
        `center over HTTP, ${connections} connections`,
        server.url,
        server.pid,
        order,
        seconds,
        connections,
        stats,
      );
      const onSample = options.verbose
        ? (side: string, s: { value: number }) => console.error(`  ${side}: ${Math.round(s.value)}/s`)
        : undefined;
      const [a, b, c] = await interleave([http, sqlite, seal], 'rate', rounds, {
        warmup: true,
        ...(onSample ? { onSample } : {}),
      });
      return {
        comparisons: [
          compare('center activations against the same-shaped SQLite transaction', a!, b!),
          compare('center activations against sealing one license', a!, c!),
        ],
        latencyMs: { p50: Math.max(...stats.p50), p99: Math.max(...stats.p99) },
        connections,
        refused: stats.refused,
        errors: stats.errors,
      };
    } finally {
      await server.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
