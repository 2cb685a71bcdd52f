/**
 * License Center benchmark: online activations per second over real HTTP on loopback, with
 * SQLite. The center runs in its own process (`lictor center serve`); autocannon drives it from
 * this one, so the two share the machine's two cores as they would on a small host.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initCenter, openCenter } from '@lictor/center';
import type { HardwareParams } from '@lictor/protocol';
import autocannon from 'autocannon';

export interface CenterResults {
  activationsPerSecond: number;
  accepted: number;
  refused: number;
  errors: number;
  latencyMs: { p50: number; p99: number };
  connections: number;
  durationS: number;
}

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

export async function benchCenter(durationS = 10, connections = 32): Promise<CenterResults> {
  const dir = await mkdtemp(join(tmpdir(), 'lictor-bench-center-'));
  const data = join(dir, 'center');
  try {
    await initCenter(data);
    const center = await openCenter(data);
    await center.addProduct({ code: 'ERP', name: 'Bench ERP', features: [{ code: 'reports' }] });
    const bodies: string[] = [];
    // Packages as vendors sell them: a few PIN codes each (the activation reads the package's
    // activations to apply the PIN rules, so its cost grows with the activations per package).
    const PACKAGES = 10000;
    const PINS = 5;
    for (let p = 0; p < PACKAGES; p++) {
      const issued = await center.issuePackage({ product: 'ERP', type: 'single', pins: PINS, maxActive: PINS });
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
    // Interleave packages so that concurrent requests rarely wait on the same package row.
    const order = bodies.map((_, i) => bodies[(i % PACKAGES) * PINS + Math.floor(i / PACKAGES)] as string);

    const server = spawn(
      process.execPath,
      [BIN, 'center', 'serve', '--data', data, '--port', '0', '--log-level', 'warn'],
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
      const result = await autocannon({
        url,
        connections,
        duration: durationS,
        requests: [
          {
            method: 'POST',
            path: '/v1/activations',
            headers: { 'content-type': 'application/json' },
            setupRequest: (req) => {
              const body = order[next++ % order.length];
              return { ...req, body };
            },
          },
        ],
      });
      if (next > order.length) throw new Error(`bench ran out of PIN codes (${order.length}); raise PACKAGES or PINS`);
      const accepted = result['2xx'];
      return {
        activationsPerSecond: accepted / durationS,
        accepted,
        refused: result['4xx'],
        errors: result['5xx'] + result.errors + result.timeouts,
        latencyMs: { p50: result.latency.p50, p99: result.latency.p99 },
        connections,
        durationS,
      };
    } finally {
      server.kill('SIGTERM');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
