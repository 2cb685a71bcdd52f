/**
 * SDK benchmarks: opening the licensing store (find + read + verify + decrypt + match, with
 * hardware already cached, directory watcher started) over 10 license files against its ceiling,
 * interleaved, and a hot `check()`. The ceiling is the raw work no open can avoid: listing the
 * directory, reading the 10 files and the clock mark in parallel, for each license file the
 * base64 decoding and protocol's crypto functions on the same bytes (HKDF, AES-256-GCM
 * decryption, SHA-256 of the subject, Ed25519 verification of the signed bytes, which are
 * computed once beforehand), and for the clock mark its seal (HKDF and HMAC-SHA256).
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  aesGcmOpen,
  canonicalJson,
  decodeLicenseFile,
  encodeLicenseFile,
  generateVendorKeys,
  type HardwareParams,
  hkdf,
  hmacSha256,
  licenseSigningBytes,
  loadSigner,
  normalizeHardware,
  sha256,
  utf8,
} from '@lictor/protocol';
import { CLOCK_FILE_NAME, cachedHardware, collectHardware, defaultMachineSecret, openLicensing } from '@lictor/sdk';
import { type Comparison, compare, interleave, type Sample, type Side } from './ceiling.js';

export interface SdkResults {
  openMs: { files: number; mean: number; p50: number; p99: number };
  /** `openLicensing` against reading and decoding the same files with protocol's functions alone. */
  open: Comparison;
  checkNs: number;
  collectHardwareMs: number;
}

/** Runs `once` `n` times, one after the other: mean wall time of one run, and this process's CPU per run. */
async function costOf(n: number, once: () => Promise<number>): Promise<Sample> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  let timed = 0;
  for (let i = 0; i < n; i++) timed += await once();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const micros = used.user + used.system;
  return {
    value: timed / n,
    ops: n,
    seconds,
    generatorCpu: micros / 1e4 / seconds,
    generatorMicrosPerOp: micros / n,
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
}

export async function benchSdk(rounds = 3): Promise<SdkResults> {
  const signer = loadSigner(generateVendorKeys().privatePem);
  const t0 = performance.now();
  const real = await collectHardware();
  const collectHardwareMs = performance.now() - t0;
  const hardware: HardwareParams = real;
  const dir = await mkdtemp(join(tmpdir(), 'lictor-bench-sdk-'));
  try {
    const FILES = 10;
    for (let i = 0; i < FILES; i++) {
      const license = encodeLicenseFile(
        {
          format: 1,
          containerId: `c${i}`,
          activationId: `a${i}`,
          serial: `LX-BNCH-0000-${String(i).padStart(4, '0')}`,
          pin: 1,
          issuedAt: new Date(Date.now() - i * 1000).toISOString(),
          counter: 0,
          owner: { company: 'Bench Ltd', email: 'bench@example.com' },
          binding: { kind: 'hardware', hardware },
          licenses: [
            {
              product: i === 0 ? 'ERP' : `P${i}`,
              type: 'single',
              users: 1,
              sessions: null,
              arch: null,
              expiresAt: '2099-01-01T00:00:00.000Z',
              features: [
                { code: 'reports', users: null },
                { code: 'api', users: 5 },
              ],
            },
          ],
        },
        signer,
      );
      await writeFile(join(dir, `f${i}.lic`), license);
    }
    const cached = cachedHardware(async () => hardware);
    await cached();
    const options = { product: 'ERP', publicKey: signer.publicKey, paths: [dir], hardware: cached };
    const publicKey = signer.publicKey;
    const samples: number[] = [];
    // Short rounds, many of them: the two sides are measured within a fraction of a second of each
    // other, so that the load of other work on the machine weighs on both alike.
    const PER_ROUND = 40;
    // Each open also starts the directory watcher (hot reload); it is closed outside the timing.
    const open: Side = {
      name: 'openLicensing',
      measure: (round) =>
        costOf(round < 0 ? 50 : PER_ROUND, async () => {
          const s = performance.now();
          const opened = await openLicensing(options);
          const ms = performance.now() - s;
          if (round >= 0) samples.push(ms);
          await opened.close();
          return ms;
        }),
    };
    // The ceiling: the file system calls and the crypto any open must do, and nothing else.
    // An open reads the clock mark (written by the first open) and checks its seal.
    await (await openLicensing(options)).close();
    const secret = await defaultMachineSecret()();
    const clockFile = join(dir, CLOCK_FILE_NAME);
    const clock = JSON.parse(await readFile(clockFile, 'utf8')) as { kind: string; body: unknown };
    const clockBytes = utf8(canonicalJson({ kind: clock.kind, body: clock.body }));
    const signed = new Map<string, { bytes: Uint8Array; subject: Uint8Array }>();
    for (const name of (await readdir(dir)).filter((n) => n.endsWith('.lic'))) {
      const doc = decodeLicenseFile(await readFile(join(dir, name), 'utf8'), publicKey);
      if (doc.binding.kind !== 'hardware') throw new Error('bench setup: not bound to hardware');
      const subject = { owner: doc.owner, hardware: normalizeHardware(doc.binding.hardware) };
      signed.set(name, {
        bytes: licenseSigningBytes(doc, publicKey),
        subject: utf8(`lictor/v1/subject\0${canonicalJson(subject)}`),
      });
    }
    const ceiling: Side = {
      name: 'readdir + reads + base64 + HKDF + AES-GCM + SHA-256 + Ed25519 (+ the clock mark: read, HKDF, HMAC)',
      measure: (round) =>
        costOf(round < 0 ? 50 : PER_ROUND, async () => {
          const s = performance.now();
          const names = (await readdir(dir)).filter((n) => n.endsWith('.lic'));
          const [mark, ...texts] = await Promise.all(
            [clockFile, ...names.map((n) => join(dir, n))].map((f) => readFile(f, 'utf8')),
          );
          if (mark === undefined) throw new Error('bench setup: no clock mark');
          hmacSha256(hkdf(secret, new Uint8Array(0), `lictor/v1/state/${clock.kind}`, 32), clockBytes);
          for (const [i, text] of texts.entries()) {
            const { bytes, subject } = signed.get(names[i] as string) as { bytes: Uint8Array; subject: Uint8Array };
            const body = text.slice(text.indexOf('\n') + 1, text.lastIndexOf('-----END')).replaceAll('\n', '');
            const raw = new Uint8Array(Buffer.from(body, 'base64'));
            const key = hkdf(publicKey.raw, raw.subarray(14, 30), 'lictor/v1/license', 32);
            const plain = aesGcmOpen(key, raw.subarray(30, 42), raw.subarray(42), raw.subarray(0, 42));
            sha256(subject);
            if (plain === null || !publicKey.verify(bytes, plain.subarray(0, 64))) {
              throw new Error('bench setup: the ceiling does not verify');
            }
          }
          return performance.now() - s;
        }),
    };
    const [opened, floor] = await interleave([open, ceiling], 'cost', 5 * rounds, { warmup: true });
    samples.sort((a, b) => a - b);
    const licensing = await openLicensing(options);
    if (!licensing.check('reports').ok) throw new Error('bench setup: not licensed');
    const N = 5_000_000;
    let okCount = 0;
    for (let i = 0; i < 100_000; i++) if (licensing.check('reports').ok) okCount++;
    const s = process.hrtime.bigint();
    for (let i = 0; i < N; i++) if (licensing.check('reports').ok) okCount++;
    const checkNs = Number(process.hrtime.bigint() - s) / N;
    if (okCount !== N + 100_000) throw new Error('bench: a check failed');
    await licensing.close();
    return {
      openMs: {
        files: FILES,
        mean: samples.reduce((a, b) => a + b, 0) / samples.length,
        p50: percentile(samples, 0.5),
        p99: percentile(samples, 0.99),
      },
      open: compare(`openLicensing over ${FILES} files`, opened!, floor!),
      checkNs,
      collectHardwareMs,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
