/**
 * `--only center`: License Center online activations per second over real HTTP on loopback
 * (`lictor center serve`, SQLite, in its own process, driven by autocannon from this one: the two
 * share the machine's cores as they would on a small host), against three ceilings measured in
 * the same run, interleaved:
 *
 * - the same-shaped better-sqlite3 transaction (`center-transaction.ts`), in this process, on a
 *   copy of the same database: what the target of issue 11 names; it pays no HTTP;
 * - the composed ceiling (`center-ceiling-server.ts`): bare `node:http` in its own process,
 *   reading and parsing each body, running the same transaction and answering with a constant
 *   of the center's answer, driven by the same clients: the HTTP round trip plus the transaction;
 * - sealing one license with protocol's functions (`encodeLicenseFile`) on one thread (the
 *   center seals in a worker thread, on the other core).
 *
 * Packages as vendors sell them: 5 PIN codes each (`--only center-held` measures a package of
 * 1,000 as it fills).
 */
import { randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeLicenseFile,
  generateContainerKeys,
  generateVendorKeys,
  type LicenseDocument,
  loadSigner,
} from '@lictor/protocol';
import { type Comparison, compare, interleave, measured, median, type Side } from './ceiling.js';
import { activationTransaction } from './center-transaction.js';
import { activationSide, centerWorld, hardware, httpStats, packagesFor } from './center-world.js';
import { plainScript, serveCenter, startServer } from './processes.js';

export interface CenterResults {
  /** Activations over HTTP against the transaction, the composed ceiling, and sealing. */
  comparisons: Comparison[];
  latencyMs: { p50: number; p99: number };
  connections: number;
  /** Activations refused or failed over the whole run. */
  refused: number;
  errors: number;
  /**
   * CPU time per activation of the main thread alone (medians, µs): the center's (without its
   * sealing and checkpoint threads) and the composed ceiling's.
   */
  mainThreadMicrosPerOp: { center: number; composed: number };
  /** Bytes of the center's answer to an activation (the composed ceiling answers as many). */
  answerBytes: number;
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
  /**
   * Also measures the composed ceiling with its transaction in a worker thread (the lever
   * docs/benchmarks.md names for the center), compared with the same-shaped transaction.
   */
  workerCeiling?: boolean;
}

/** The same-shaped transaction in this process, as many as fit in the phase. */
function transactionSide(file: string, seconds: number): Side {
  const transaction = activationTransaction(file);
  return {
    name: 'better-sqlite3 transaction of the same shape (in process, no HTTP)',
    measure: (round) => {
      transaction.between();
      return measured('rate', async () => {
        const end = performance.now() + (round < 0 ? 1 : seconds) * 1000;
        let done = 0;
        while (performance.now() < end) {
          for (let k = 0; k < 100; k++) transaction.activate();
          done += 100;
        }
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
    const bodies = (await centerWorld(data, packagesFor(rounds, seconds, 5), 5)).map((r) => JSON.stringify(r));
    const copy = (name: string) => copyFile(join(data, 'center.db'), join(dir, name)).then(() => join(dir, name));
    const transaction = transactionSide(await copy('ceiling.db'), seconds);
    const seal = sealSide(seconds);
    const composedDb = await copy('composed.db');
    const server = await serveCenter(data, join(dir, 'center.log'), 'warn');
    let composed: Awaited<ReturnType<typeof startServer>> | undefined;
    let inWorker: Awaited<ReturnType<typeof startServer>> | undefined;
    const stats = httpStats();
    const composedStats = httpStats();
    try {
      // One activation answered by the center: the composed ceiling answers with its bytes.
      const answer = await fetch(`${server.url}/v1/activations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: bodies.pop() as string,
      });
      if (answer.status !== 201) throw new Error(`bench: the center answered ${answer.status}`);
      const answerFile = join(dir, 'answer.json');
      const answerText = await answer.text();
      await writeFile(answerFile, answerText);
      const script = await plainScript('center-ceiling-server', ['center-transaction', 'center-transaction-worker']);
      composed = await startServer([script, composedDb, answerFile]);
      if (options.workerCeiling) {
        inWorker = await startServer([script, await copy('composed-worker.db'), answerFile, 'joins', 'worker']);
      }
      const between = composed.url;
      const http = activationSide(`center over HTTP, ${connections} connections`, server.url, server.pid, bodies, {
        seconds,
        connections,
        stats,
      });
      const bare = activationSide(
        'bare node:http + the same transaction, same clients',
        composed.url,
        composed.pid,
        bodies,
        {
          seconds,
          connections,
          stats: composedStats,
          cycle: true,
          before: async () => {
            await fetch(`${between}/between`, { method: 'POST' });
          },
        },
      );
      const onSample = options.verbose
        ? (side: string, s: { value: number }) => console.error(`  ${side}: ${Math.round(s.value)}/s`)
        : undefined;
      const worker =
        inWorker === undefined
          ? []
          : [
              activationSide(
                'bare node:http + the same transaction in a worker thread, same clients',
                inWorker.url,
                inWorker.pid,
                bodies,
                {
                  seconds,
                  connections,
                  stats: httpStats(),
                  cycle: true,
                  before: async () => {
                    await fetch(`${inWorker?.url}/between`, { method: 'POST' });
                  },
                },
              ),
            ];
      const [a, b, c, d, e] = await interleave([http, bare, transaction, seal, ...worker], 'rate', rounds, {
        warmup: true,
        ...(onSample ? { onSample } : {}),
      });
      return {
        comparisons: [
          compare('center activations against the same-shaped SQLite transaction (the target: ≥ 0.5)', a!, c!),
          compare('center activations against bare node:http + the same transaction (composed ceiling)', a!, b!),
          compare('center activations against sealing one license', a!, d!),
          ...(e === undefined
            ? []
            : [
                compare(
                  'the composed ceiling, its transaction in a worker thread, against the same-shaped transaction',
                  e,
                  c!,
                ),
              ]),
        ],
        latencyMs: { p50: Math.max(...stats.p50), p99: Math.max(...stats.p99) },
        connections,
        refused: stats.refused,
        errors: stats.errors,
        answerBytes: Buffer.byteLength(answerText),
        mainThreadMicrosPerOp: {
          center: median(stats.mainMicrosPerOp),
          composed: median(composedStats.mainMicrosPerOp),
        },
      };
    } finally {
      await composed?.stop();
      await inWorker?.stop();
      await server.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
