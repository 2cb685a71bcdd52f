/**
 * SDK benchmarks: opening the licensing store (find + read + verify + decrypt + match, with
 * hardware already cached) over 10 license files, and a hot `check()`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeLicenseFile, generateVendorKeys, type HardwareParams, loadSigner } from '@lictor/protocol';
import { cachedHardware, collectHardware, openLicensing } from '@lictor/sdk';

export interface SdkResults {
  openMs: { files: number; mean: number; p50: number; p99: number };
  checkNs: number;
  collectHardwareMs: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
}

export async function benchSdk(): Promise<SdkResults> {
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
    // Each open also starts the directory watcher (hot reload); it is closed outside the timing.
    for (let i = 0; i < 50; i++) (await openLicensing(options)).close();
    const samples: number[] = [];
    for (let i = 0; i < 500; i++) {
      const s = performance.now();
      const opened = await openLicensing(options);
      samples.push(performance.now() - s);
      opened.close();
    }
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
    licensing.close();
    return {
      openMs: {
        files: FILES,
        mean: samples.reduce((a, b) => a + b, 0) / samples.length,
        p50: percentile(samples, 0.5),
        p99: percentile(samples, 0.99),
      },
      checkNs,
      collectHardwareMs,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
