/**
 * Where `lictor manager serve --log-level warn` (or `--log-level`) spends its CPU under the `manager` group's load:
 * the server runs with `node --cpu-prof`, `--connections` (50) keep-alive clients (`load-clients.ts`) send
 * acquire+release pairs, then heartbeats, for `--seconds` each; the profile's samples are cut to
 * each phase by their time (V8's profile clock and `process.hrtime` are both the monotonic clock)
 * and their self time summed by function and by origin (Lictor, Fastify and its modules, pino,
 * Node's JavaScript, native calls, GC), in µs per request.
 *
 *   node --import tsx bench/manager-profile.ts [--seconds 8] [--top 25] [--keep <dir>] [--bare] [--log-level warn] [--connections 50] [--alloc]
 *
 * `--bare`: the same load and profile of the group's ceiling, bare `node:http` answering
 * constants (`bare-server.ts`), to tell what Node's HTTP and the kernel cost without the manager.
 * `--log-level info`: the manager as it runs by default (one line per lease granted, to a file).
 * `--alloc`: instead of the CPU profile, what each phase allocates (V8's sampling allocation
 * profiler through `alloc-sampling.ts`, garbage included), by function, in bytes per request.
 *
 * Not part of `npm run bench` (a profiled server is slower); `docs/benchmarks.md` cites it.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { printSelfTimes, profilesIn, selfTimes } from './cpu-profile.js';
import { closedLoop, connectedClients } from './manager-ceiling.js';
import { managerWorld, plainScript, serveManager, startServer } from './processes.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    top: { type: 'string', default: '25' },
    keep: { type: 'string' },
    bare: { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'warn' },
    connections: { type: 'string', default: '50' },
    alloc: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const top = Number(values.top);
const logLevel = values['log-level'];
const dir = await mkdtemp(join(tmpdir(), 'lictor-bench-prof-'));
const profDir = values.keep ?? join(dir, 'profile');
await mkdir(profDir, { recursive: true });
const nowMicros = () => Number(process.hrtime.bigint() / 1000n);

/** With `--alloc`: starts or stops the server's allocation sampling; `written`: wait for that profile file. */
async function toggleAlloc(pid: number, written?: number): Promise<void> {
  if (!values.alloc) return;
  process.kill(pid, 'SIGUSR2');
  if (written === undefined) return await new Promise((resolve) => setTimeout(resolve, 100));
  const done = join(profDir, `alloc-${written}.heapprofile.done`);
  for (let waited = 0; !existsSync(done); waited += 50) {
    if (waited > 30_000) throw new Error(`manager profile: no allocation profile ${written} after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A sampling allocation profile (`HeapProfiler.stopSampling`). */
interface AllocNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: AllocNode[];
}
interface AllocProfile {
  head: AllocNode;
}

/** Prints the functions that allocated most during a phase, in bytes per request. */
function printAllocations(heading: string, profile: AllocProfile, requests: number, top: number): void {
  const bytes = new Map<string, number>();
  let total = 0;
  const walk = (node: AllocNode): void => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url.replace(/^.*\/(packages|node_modules)\//, '$1/').replace(/^file:\/\//, '');
    const name = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
    if (node.selfSize > 0) {
      bytes.set(name, (bytes.get(name) ?? 0) + node.selfSize);
      total += node.selfSize;
    }
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  console.log(`\n== ${heading}: ${Math.round(total / requests)} bytes allocated per request (sampled)`);
  for (const [name, b] of [...bytes].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(
      `  ${((100 * b) / total).toFixed(1).padStart(5)} %  ${(b / requests).toFixed(0).padStart(6)} B  ${name}`,
    );
  }
}
if (values.alloc) process.env.LICTOR_BENCH_ALLOC_DIR = profDir; // read by alloc-sampling.ts in the server
try {
  const profFlags = values.alloc
    ? ['--import', await plainScript('alloc-sampling')]
    : ['--cpu-prof', '--cpu-prof-dir', profDir];
  let server: Awaited<ReturnType<typeof startServer>>;
  if (values.bare) {
    server = await startServer([...profFlags, await plainScript('bare-server')]);
  } else {
    const { dataDir, publicKey } = await managerWorld(dir, 200_000);
    server = await serveManager(dataDir, publicKey, join(dir, 'manager.log'), logLevel, profFlags);
  }
  const phases: { name: string; from: number; to: number; requests: number }[] = [];
  try {
    const leaseIds: string[] = [];
    const clients = await connectedClients(server.port, Number(values.connections), async (c, i) => {
      leaseIds[i] = await c.acquire('ERP', `beat-${i}`);
    });
    // Warm-up (JIT), not counted.
    await closedLoop(clients, 2, 2, async (c, i) => c.release(await c.acquire('ERP', `pair-${i}`)));
    await closedLoop(clients, 2, 1, (c, i) => c.heartbeat(leaseIds[i] as string));
    await toggleAlloc(server.pid);
    let from = nowMicros();
    let requests = await closedLoop(clients, seconds, 2, async (c, i) =>
      c.release(await c.acquire('ERP', `pair-${i}`)),
    );
    phases.push({ name: 'acquire+release (a pair is two requests)', from, to: nowMicros(), requests });
    await toggleAlloc(server.pid, 0);
    await toggleAlloc(server.pid);
    from = nowMicros();
    requests = await closedLoop(clients, seconds, 1, (c, i) => c.heartbeat(leaseIds[i] as string));
    phases.push({ name: 'heartbeats', from, to: nowMicros(), requests });
    await toggleAlloc(server.pid, 1);
    for (const c of clients) c.close();
  } finally {
    await server.stop();
  }
  console.log(values.bare ? 'bare node:http (bare-server.ts)' : `\`lictor manager serve --log-level ${logLevel}\``);
  if (values.alloc) {
    for (const [n, phase] of phases.entries()) {
      const profile = JSON.parse(await readFile(join(profDir, `alloc-${n}.heapprofile`), 'utf8')) as AllocProfile;
      printAllocations(`${phase.name}: ${phase.requests} requests`, profile, phase.requests, top);
    }
  } else {
    const [main] = await profilesIn(profDir);
    if (main === undefined) throw new Error(`manager profile: no .cpuprofile in ${profDir}`);
    console.log(
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; profile ${main.file}`,
    );
    for (const phase of phases) {
      const wall = (phase.to - phase.from) / 1e6;
      printSelfTimes(
        `${phase.name}: ${phase.requests} requests in ${wall.toFixed(1)} s (${Math.round(phase.requests / wall)}/s)`,
        selfTimes(main.profile, phase.from, phase.to),
        phase.requests,
        phase.to - phase.from,
        top,
      );
    }
  }
} finally {
  if (values.keep === undefined) await rm(dir, { recursive: true, force: true });
  else await rm(join(dir, 'manager'), { recursive: true, force: true });
}
