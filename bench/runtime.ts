/**
 * The Lictor Runtime's hot routes: `lictor runtime serve` in its own process (request logs off:
 * `--log-level warn`), 10 license files of ERP in its store (activated offline for this computer,
 * so that each can sign), asked over its Unix socket by this process on keep-alive connections
 * (raw HTTP/1.1, `load-clients.ts`), against the ceiling: bare `node:http` on a Unix socket
 * answering each route with a constant of the same size (`bare-socket-server.ts`), interleaved.
 *
 * - signed checks (`POST /v1/check`, a fresh nonce each, every answer signed): one connection
 *   (latency) and `connections` connections (throughput), latencies p50/p99 per side;
 * - the same checks within an answer session (header `lictor-session`, one session per
 *   connection, its first MAC'd answer verified): every answer MAC'd instead of signed, against a
 *   bare server answering as many bytes;
 * - session open + close pairs (`POST /v1/sessions` then `DELETE`), `connections` connections;
 * - in this process, the SDK's `check()` on the same files, and that check plus signing its answer
 *   with the container key (what the runtime adds to a check besides HTTP);
 * - the runtime's resident memory (VmRSS) with the 10 files and 1,000 sessions open.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ANSWER_SESSION_HEADER,
  answerSessionId,
  decodeRequestFile,
  encodeLicenseFile,
  generateVendorKeys,
  type LicenseDocument,
  type LicenseEntry,
  loadSigner,
  sealAnswerSession,
  signRuntimeAnswer,
  toBase64Url,
  verifyRuntimeAnswer,
} from '@lictor/protocol';
import { grantOrThrow } from '@lictor/runtime';
import { cachedHardware, collectHardware, openLicensing } from '@lictor/sdk';
import { type Comparison, compare, interleave, measured, type Sample, type Side } from './ceiling.js';
import { HttpClient, type LatencyStats, Samples } from './load-clients.js';
import { LICTOR_BIN, plainScript, type ServerProcess, startServer } from './processes.js';

/** Options of {@link benchRuntime}. */
export interface RuntimeBenchOptions {
  seconds?: number;
  rounds?: number;
  /** Connections of the throughput phases (default 8). */
  connections?: number;
  /** Sessions held open for the memory figure (default 1,000). */
  sessions?: number;
  /** Node options the memory figure is also taken with (each a run of its own), e.g. `['--max-semi-space-size=2']`. */
  memoryFlags?: string[][];
  /** Writes the runtime's CPU profile (`node --cpu-prof`) into this directory. */
  cpuProfDir?: string;
  verbose?: boolean;
}

/** What {@link benchRuntime} measured. */
export interface RuntimeBenchResults {
  files: number;
  connections: number;
  comparisons: Comparison[];
  /** Latencies per side name (ms). */
  latency: Map<string, LatencyStats>;
  /** Checks offered at the rate (`PACED_RATE`), signed and within a session: achieved rate, CPU and latency. */
  paced: PacedFigure[];
  /** In this process: SDK `check()` per second, and check + signing its answer per second. */
  sdkChecksPerSecond: number;
  sdkSignedChecksPerSecond: number;
  /** Answer sizes (bytes) of a signed check, a check MAC'd within an answer session, and a session. */
  checkBytes: number;
  macCheckBytes: number;
  sessionBytes: number;
  /** The runtime's memory with `sessions` held, with the default Node options and each of `memoryFlags`. */
  memory: MemoryFigure[];
  /** CPU time of one SDK check, and of a check plus signing its answer, in this process (µs). */
  sdkCheckMicros: number;
  sdkSignedCheckMicros: number;
}

const FEATURE = 'reports';

function entry(): LicenseEntry {
  return {
    product: 'ERP',
    type: 'single',
    users: 1,
    sessions: null,
    arch: null,
    expiresAt: null,
    features: [
      { code: FEATURE, users: null },
      { code: 'api', users: 5 },
    ],
  };
}

/**
 * Activates `n` licenses of ERP into `store` as a customer does offline (the SDK's request with
 * its container keys, answered by the vendor here, installed with its sealed key file), for this
 * computer's real hardware and machine secret: each license's container key opens in the runtime.
 */
export async function activateOffline(store: string, n: number): Promise<{ publicKey: string }> {
  const vendor = loadSigner(generateVendorKeys().privatePem);
  const publicKey = vendor.publicKey.text;
  const licensing = await openLicensing({ product: 'ERP', publicKey, paths: [store], store, watch: false });
  try {
    for (let i = 0; i < n; i++) {
      const request = decodeRequestFile(
        (
          await licensing.requestOffline(
            {
              serial: 'LX-7K2M-9QXD-4RTA',
              pin: 'Q7K2M-9QXD4-RTA8B',
              owner: { company: 'Bench Ltd', email: 'it@bench.example' },
            },
            'file',
          )
        ).text,
      );
      const file = encodeLicenseFile(
        {
          format: 1,
          containerId: `bench-c-${i}`,
          activationId: `bench-a-${i}`,
          serial: request.serial,
          pin: 1,
          issuedAt: new Date(Date.now() - i * 1000).toISOString(),
          counter: 0,
          owner: request.owner,
          binding: { kind: 'hardware', hardware: request.hardware },
          licenses: [entry()],
          requestNonce: request.nonce,
          ...(request.containerKeys ? { containerKeys: request.containerKeys } : {}),
        },
        vendor,
      );
      await licensing.install({ file });
    }
  } finally {
    await licensing.close();
  }
  return { publicKey };
}

/** The runtime's memory, MiB. */
/** The check rate issue 14 asks for (≥ 10,000 checks/s with p99 < 1 ms), offered in the paced runs. */
export const PACED_RATE = 10_000;

/** A paced run: `offered` checks/s spread over the connections. */
export interface PacedFigure {
  name: string;
  offered: number;
  /** Achieved rate (`value`), the runtime's and the generator's CPU. */
  sample: Sample;
  errors: number;
  latency: LatencyStats;
}

export interface MemoryFigure {
  /** Node options the runtime ran with (none: the defaults). */
  flags: string[];
  /** Signed checks per second over the connections for 2 s, before the sessions were opened. */
  checksPerSecond: number;
  /** The runtime's CPU time per check in those 2 s, µs (what the Node options cost, next to the default's). */
  checkMicros: number;
  sessions: number;
  /** VmRSS with the sessions open, and VmHWM (the peak). */
  rss: number;
  peak: number;
  /** Private_Clean + Private_Dirty (what only this process holds: RSS less the node binary and libraries shared with other processes). */
  private: number;
}

/** VmRSS, VmHWM and private memory of `pid`, MiB. */
export async function memoryOf(pid: number): Promise<{ rss: number; peak: number; private: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'latin1');
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'latin1');
  const kib = (text: string, name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
  return {
    rss: kib(status, 'VmRSS') / 1024,
    peak: kib(status, 'VmHWM') / 1024,
    private: (kib(rollup, 'Private_Clean') + kib(rollup, 'Private_Dirty')) / 1024,
  };
}

const nonce = () => toBase64Url(randomBytes(16));

/** Runs the runtime's benchmarks (see the module comment). */
export async function benchRuntime(options: RuntimeBenchOptions = {}): Promise<RuntimeBenchResults> {
  const seconds = options.seconds ?? 4;
  const rounds = options.rounds ?? 3;
  const connections = options.connections ?? 8;
  const held = options.sessions ?? 1000;
  const FILES = 10;
  const dir = await mkdtemp(join(tmpdir(), 'lictor-bench-rt-'));
  const stateDir = join(dir, 'state');
  const socket = join(dir, 'rt.sock');
  const bareSocket = join(dir, 'bare.sock');
  let runtime: ServerProcess | undefined;
  let bare: ServerProcess | undefined;
  let bareMac: ServerProcess | undefined;
  const clients: HttpClient[] = [];
  try {
    // Started once to make its state directory as it wants it, then again with the licenses in its store.
    const prof = options.cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir];
    const serve = [
      ...prof,
      LICTOR_BIN,
      'runtime',
      'serve',
      '--state-dir',
      stateDir,
      '--socket',
      socket,
      '--port',
      '0',
      '--log-level',
      'warn',
    ];
    await (await startServer(serve.slice(prof.length))).stop();
    const { publicKey } = await activateOffline(join(stateDir, 'licenses'), FILES);
    runtime = await startServer(serve, join(dir, 'runtime.log'));

    const client = (target: string) => {
      const c = new HttpClient(0, false, target);
      clients.push(c);
      return c;
    };
    const checkBody = () => JSON.stringify({ publicKey, product: 'ERP', feature: FEATURE, nonce: nonce() });
    const sessionBody = () =>
      JSON.stringify({ publicKey, product: 'ERP', feature: FEATURE, pid: process.pid, nonce: nonce() });

    // One answer of each, verified as an application does: the figures are of signed answers.
    const probe = client(socket);
    const n0 = nonce();
    const first = await probe.request(
      'POST',
      '/v1/check',
      JSON.stringify({ publicKey, product: 'ERP', feature: FEATURE, nonce: n0 }),
    );
    if (first.status !== 200) throw new Error(`runtime bench: check answered ${first.status}: ${first.text}`);
    const { license } = verifyRuntimeAnswer({
      publicKey,
      nonce: n0,
      purpose: 'runtime-check',
      answer: JSON.parse(first.text),
      product: 'ERP',
      feature: FEATURE,
      now: Date.now(),
    });
    /**
     * An answer session of connection `c` with `license`: the check that opens it (answered signed),
     * then its first MAC'd answer verified; the header line to send.
     */
    const openAnswerSession = async (c: HttpClient, doc: LicenseDocument): Promise<{ head: string; bytes: number }> => {
      const secret = new Uint8Array(randomBytes(32));
      const sealed = sealAnswerSession(doc, secret);
      const id = answerSessionId(sealed);
      const checked = async (header: string, expected: 'container' | 'session') => {
        const n = nonce();
        const a = await c.request(
          'POST',
          '/v1/check',
          JSON.stringify({ publicKey, product: 'ERP', feature: FEATURE, nonce: n }),
          `${ANSWER_SESSION_HEADER}: ${header}\r\n`,
        );
        if (a.status !== 200) throw new Error(`runtime bench: check answered ${a.status}: ${a.text}`);
        const v = verifyRuntimeAnswer({
          publicKey,
          nonce: n,
          purpose: 'runtime-check',
          answer: JSON.parse(a.text),
          product: 'ERP',
          feature: FEATURE,
          now: Date.now(),
          session: { secret, license: doc },
        });
        if (v.key !== expected) throw new Error(`runtime bench: the check answered ${v.key}, not ${expected}`);
        return a;
      };
      await checked(`${id}.${sealed}`, 'container');
      const a = await checked(id, 'session');
      return { head: `${ANSWER_SESSION_HEADER}: ${id}\r\n`, bytes: Buffer.byteLength(a.text) };
    };
    const macCheckBytes = (await openAnswerSession(probe, license)).bytes;
    const opened = await probe.request('POST', '/v1/sessions', sessionBody());
    if (opened.status !== 201) throw new Error(`runtime bench: session answered ${opened.status}: ${opened.text}`);
    await probe.request('DELETE', `/v1/sessions/${(JSON.parse(opened.text) as { id: string }).id}`);
    const checkBytes = Buffer.byteLength(first.text);
    const sessionBytes = Buffer.byteLength(opened.text);
    bare = await startServer([
      await plainScript('bare-socket-server'),
      bareSocket,
      String(checkBytes),
      String(sessionBytes),
    ]);
    // The ceiling of checks within a session: as many bytes as a MAC'd check (no license text).
    bareMac = await startServer([
      await plainScript('bare-socket-server'),
      `${bareSocket}.mac`,
      String(macCheckBytes),
      String(sessionBytes),
    ]);

    const latency = new Map<string, Samples>();
    const duration = (round: number) => (round < 0 ? 1 : seconds);
    /** Each of `n` connections runs `step` back to back; latencies of measured rounds go to `name`'s samples. */
    const loop = (
      name: string,
      server: ServerProcess,
      conns: HttpClient[],
      perStep: number,
      step: (c: HttpClient, t: Samples | undefined) => Promise<boolean>,
    ): Side => ({
      name,
      measure: async (round) => {
        const samples = round < 0 ? undefined : (latency.get(name) ?? new Samples());
        if (samples) latency.set(name, samples);
        let errors = 0;
        const sample: Sample = await measured(
          'rate',
          async () => {
            const end = performance.now() + duration(round) * 1000;
            let steps = 0;
            await Promise.all(
              conns.map(async (c) => {
                while (performance.now() < end) {
                  if (!(await step(c, samples))) errors++;
                  steps++;
                }
              }),
            );
            return steps * perStep;
          },
          server.pid,
        );
        sample.errors = errors;
        if (options.verbose) console.error(`  ${name}: ${Math.round(sample.value)}/s`);
        return sample;
      },
    });
    const check = async (c: HttpClient, samples: Samples | undefined) => {
      const t = performance.now();
      const a = await c.request('POST', '/v1/check', checkBody());
      samples?.add(performance.now() - t);
      return a.status === 200 && a.text.includes('"signature":"');
    };
    const pair = async (c: HttpClient, samples: Samples | undefined) => {
      const t = performance.now();
      const a = await c.request('POST', '/v1/sessions', sessionBody());
      const id = a.status === 201 ? (/"id":"([^"]+)"/.exec(a.text)?.[1] ?? 'none') : 'none';
      const b = await c.request('DELETE', `/v1/sessions/${id}`);
      samples?.add(performance.now() - t);
      return a.status === 201 && a.text.includes('"signature":"') && b.status === 204;
    };
    /** The header line of each connection's answer session. */
    const sessionHead = new Map<HttpClient, string>();
    const macCheck = async (c: HttpClient, samples: Samples | undefined) => {
      const t = performance.now();
      const a = await c.request('POST', '/v1/check', checkBody(), sessionHead.get(c));
      samples?.add(performance.now() - t);
      return a.status === 200 && a.text.includes('"mac":"');
    };
    const conns = (target: string, n: number) => Array.from({ length: n }, () => client(target));
    const r1 = conns(socket, 1);
    const b1 = conns(bareSocket, 1);
    const rn = conns(socket, connections);
    const bn = conns(bareSocket, connections);
    const s1 = conns(socket, 1);
    const sn = conns(socket, connections);
    const m1 = conns(`${bareSocket}.mac`, 1);
    const mn = conns(`${bareSocket}.mac`, connections);
    for (const c of [...s1, ...sn]) sessionHead.set(c, (await openAnswerSession(c, license)).head);
    const names = {
      r1: 'runtime signed check, 1 connection',
      b1: 'bare node:http on a Unix socket, 1 connection',
      rn: `runtime signed check, ${connections} connections`,
      bn: `bare node:http on a Unix socket, ${connections} connections`,
      rp: `runtime session open+close, ${connections} connections`,
      bp: `bare node:http open+close, ${connections} connections`,
      s1: 'runtime check within an answer session, 1 connection',
      m1: "bare node:http answering a MAC'd check's bytes, 1 connection",
      sn: `runtime check within an answer session, ${connections} connections`,
      mn: `bare node:http answering a MAC'd check's bytes, ${connections} connections`,
    };
    // The bare server answers anything with a constant: only its status is looked at.
    const sides = [
      loop(names.b1, bare, b1, 1, bareCheck),
      loop(names.r1, runtime, r1, 1, check),
      loop(names.bn, bare, bn, 1, bareCheck),
      loop(names.rn, runtime, rn, 1, check),
      loop(names.bp, bare, bn, 2, barePair),
      loop(names.rp, runtime, rn, 2, pair),
      loop(names.m1, bareMac, m1, 1, bareCheck),
      loop(names.s1, runtime, s1, 1, macCheck),
      loop(names.mn, bareMac, mn, 1, bareCheck),
      loop(names.sn, runtime, sn, 1, macCheck),
    ];
    const [sb1, sr1, sbn, srn, sbp, srp, smb1, smr1, smbn, smrn] = await interleave(sides, 'rate', rounds, {
      warmup: true,
    });
    const comparisons = [
      compare('runtime signed checks/s, 1 connection', sr1!, sb1!),
      compare(`runtime signed checks/s, ${connections} connections`, srn!, sbn!),
      compare(`runtime session open+close, requests/s (a pair is two), ${connections} connections`, srp!, sbp!),
      compare('runtime checks/s within an answer session (MAC), 1 connection', smr1!, smb1!),
      compare(`runtime checks/s within an answer session (MAC), ${connections} connections`, smrn!, smbn!),
    ];

    // Paced: the rate offered, not the most the connections can take (closed loops at
    // saturation queue on the server and measure their own queue): each connection sends at its
    // share of `PACED_RATE`, spread evenly, and the latency of each request is from its sending.
    // The bare server paced the same way is the ceiling (the generator's own timing included);
    // then this runtime (Node's defaults), and one started with the service files' options.
    const pacedRuns: PacedFigure[] = [];
    const pace = async (
      name: string,
      server: ServerProcess,
      conns: HttpClient[],
      step: (c: HttpClient, t: Samples | undefined) => Promise<boolean>,
    ) => {
      const samples = new Samples();
      let errors = 0;
      const sample = await measured(
        'rate',
        async () => {
          const interval = (conns.length * 1000) / PACED_RATE;
          const start = performance.now();
          const end = start + seconds * rounds * 1000;
          let sent = 0;
          await Promise.all(
            conns.map(async (c, i) => {
              for (let next = start + (i * interval) / conns.length; next < end; next += interval) {
                const wait = next - performance.now();
                // Timers fire in whole milliseconds: a request less than 1 ms early goes now.
                if (wait >= 1) await new Promise((resolve) => setTimeout(resolve, Math.floor(wait)));
                if (!(await step(c, samples))) errors++;
                sent++;
              }
            }),
          );
          return sent;
        },
        server.pid,
      );
      pacedRuns.push({ name, offered: PACED_RATE, sample, errors, latency: samples.stats() });
    };
    const at = `paced at ${PACED_RATE.toLocaleString('en-US')}/s over ${connections} connections`;
    await pace(`bare node:http answering a MAC'd check's bytes, ${at}`, bareMac, mn, bareCheck);
    await pace(`runtime signed check, ${at}`, runtime, rn, check);
    await pace(`runtime check within an answer session, ${at}`, runtime, sn, macCheck);
    const serviceFlags = options.memoryFlags?.[0];
    // One runtime on the socket and state directory at a time.
    await runtime.stop();
    runtime = undefined;
    if (serviceFlags !== undefined) {
      const service = await startServer([...serviceFlags, ...serve.slice(prof.length)], join(dir, 'runtime.log'));
      try {
        const sc = conns(socket, connections);
        const ss = conns(socket, connections);
        for (const c of ss) sessionHead.set(c, (await openAnswerSession(c, license)).head);
        for (const c of [...sc, ...ss]) await check(c, undefined); // connected, and the runtime warmed
        const flags = `(node ${serviceFlags.join(' ')})`;
        await pace(`runtime ${flags} signed check, ${at}`, service, sc, check);
        await pace(`runtime ${flags} check within an answer session, ${at}`, service, ss, macCheck);
        for (const c of [...sc, ...ss]) c.close();
      } finally {
        await service.stop();
      }
    }

    // In this process, on the same files: the SDK's check, and the check plus its signature.
    const hardware = cachedHardware(() => collectHardware());
    const licensing = await openLicensing({
      product: 'ERP',
      publicKey,
      paths: [join(stateDir, 'licenses')],
      store: join(stateDir, 'licenses'),
      hardware,
      watch: false,
    });
    const key = licensing.answerKeys()[0];
    if (key === undefined || !licensing.check(FEATURE).ok) throw new Error('runtime bench: the SDK does not grant');
    const N = 200_000;
    let s = performance.now();
    let cpu = process.cpuUsage();
    for (let i = 0; i < N; i++) if (!licensing.check(FEATURE).ok) throw new Error('runtime bench: refused');
    const sdkChecksPerSecond = N / ((performance.now() - s) / 1000);
    const cpuMicros = (since: NodeJS.CpuUsage) => {
      const used = process.cpuUsage(since);
      return used.user + used.system;
    };
    const sdkCheckMicros = cpuMicros(cpu) / N;
    const M = 5_000;
    s = performance.now();
    cpu = process.cpuUsage();
    for (let i = 0; i < M; i++) signRuntimeAnswer(key, 'runtime-check', nonce(), grantOrThrow(licensing, FEATURE));
    const sdkSignedChecksPerSecond = M / ((performance.now() - s) / 1000);
    const sdkSignedCheckMicros = cpuMicros(cpu) / M;
    await licensing.close();

    // Memory: a runtime of the same state directory (with Node options), 2 s of checks over the
    // connections, then `held` sessions opened and kept.
    const memory: MemoryFigure[] = [];
    for (const flags of [[], ...(options.memoryFlags ?? [])]) {
      runtime = await startServer([...flags, ...serve.slice(prof.length)], join(dir, 'runtime.log'));
      const mc = conns(socket, connections);
      const checked = await measured(
        'rate',
        async () => {
          const end = performance.now() + 2000;
          let n = 0;
          await Promise.all(
            mc.map(async (c) => {
              while (performance.now() < end) {
                if (!(await check(c, undefined))) throw new Error('runtime bench: a check was refused');
                n++;
              }
            }),
          );
          return n;
        },
        runtime.pid,
      );
      const per = Math.ceil(held / mc.length);
      await Promise.all(
        mc.map(async (c) => {
          for (let i = 0; i < per; i++) {
            const a = await c.request('POST', '/v1/sessions', sessionBody());
            if (a.status !== 201) throw new Error(`runtime bench: session answered ${a.status}: ${a.text}`);
          }
        }),
      );
      const m = await memoryOf(runtime.pid);
      memory.push({
        flags,
        checksPerSecond: checked.value,
        checkMicros: checked.serverMicrosPerOp ?? Number.NaN,
        sessions: per * mc.length,
        ...m,
      });
      for (const c of mc) c.close();
      await runtime.stop();
      runtime = undefined;
    }
    return {
      files: FILES,
      connections,
      comparisons,
      latency: new Map([...latency].map(([k, v]) => [k, v.stats()])),
      paced: pacedRuns,
      sdkChecksPerSecond,
      sdkSignedChecksPerSecond,
      sdkCheckMicros,
      sdkSignedCheckMicros,
      checkBytes,
      macCheckBytes,
      sessionBytes,
      memory,
    };
  } finally {
    for (const c of clients) c.close();
    await Promise.all([runtime?.stop(), bare?.stop(), bareMac?.stop()]);
    await rm(dir, { recursive: true, force: true });
  }
}

async function bareCheck(c: HttpClient, samples: Samples | undefined): Promise<boolean> {
  const t = performance.now();
  const a = await c.request(
    'POST',
    '/v1/check',
    JSON.stringify({ publicKey: 'lictor-ed25519:x', product: 'ERP', feature: FEATURE, nonce: nonce() }),
  );
  samples?.add(performance.now() - t);
  return a.status === 200;
}

async function barePair(c: HttpClient, samples: Samples | undefined): Promise<boolean> {
  const t = performance.now();
  const a = await c.request(
    'POST',
    '/v1/sessions',
    JSON.stringify({ publicKey: 'lictor-ed25519:x', product: 'ERP', feature: FEATURE, pid: 1, nonce: nonce() }),
  );
  const b = await c.request('DELETE', '/v1/sessions/00000000-0000-4000-8000-000000000000');
  samples?.add(performance.now() - t);
  return a.status === 201 && b.status === 204;
}
