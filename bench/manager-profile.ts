/**
 * Where `lictor manager serve --log-level warn` spends its CPU under the `manager` group's load:
 * the server runs with `node --cpu-prof`, 50 keep-alive clients (`load-clients.ts`) send
 * acquire+release pairs, then heartbeats, for `--seconds` each; the profile's samples are cut to
 * each phase by their time (V8's profile clock and `process.hrtime` are both the monotonic clock)
 * and their self time summed by function and by origin (Lictor, Fastify and its modules, pino,
 * Node's JavaScript, native calls, GC), in µs per request.
 *
 *   node --import tsx bench/manager-profile.ts [--seconds 8] [--top 25] [--keep <dir>] [--bare]
 *
 * `--bare`: the same load and profile of the group's ceiling, bare `node:http` answering
 * constants (`bare-server.ts`), to tell what Node's HTTP and the kernel cost without the manager.
 *
 * Not part of `npm run bench` (a profiled server is slower); `docs/benchmarks.md` cites it.
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { closedLoop, connectedClients } from './manager-ceiling.js';
import { managerWorld, plainScript, serveManager, startServer } from './processes.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a function comes from, by its script. */
function originOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)') return 'program (V8, unattributed)';
  if (url === '') return 'native';
  if (url.startsWith('node:')) return "Node's JavaScript";
  if (
    /node_modules\/(fastify|@fastify|fast-json-stringify|secure-json-parse|find-my-way|avvio|light-my-request)/.test(
      url,
    )
  )
    return 'Fastify and its modules';
  if (/node_modules\/(pino|sonic-boom|thread-stream)/.test(url)) return 'pino';
  if (url.includes('/packages/')) return 'Lictor';
  return 'other modules';
}

function shortUrl(url: string): string {
  const m = /\/packages\/([^/]+)\/dist\/(.+)$/.exec(url) ?? /node_modules\/(.+?)\/(.+)$/.exec(url);
  return m ? `${m[1]}/${m[2]}` : url.replace(/^file:\/\//, '');
}

/** Self time (µs) by function and by origin of the samples taken within [from, to) (µs, monotonic). */
function selfTimes(profile: Profile, from: number, to: number) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fns = new Map<string, { us: number; origin: string }>();
  const origins = new Map<string, number>();
  let t = profile.startTime;
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (t < from || t >= to) continue;
    // A sample's time is the gap to the next one.
    const span = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(profile.samples[i] as number);
    if (node === undefined || node.callFrame.functionName === '(idle)') continue;
    busy += span;
    const origin = originOf(node.callFrame);
    const key = `${node.callFrame.functionName || '(anonymous)'} ${shortUrl(node.callFrame.url)}${node.callFrame.url ? `:${node.callFrame.lineNumber + 1}` : ''}`;
    const f = fns.get(key) ?? { us: 0, origin };
    f.us += span;
    fns.set(key, f);
    origins.set(origin, (origins.get(origin) ?? 0) + span);
  }
  return { busy, fns, origins };
}

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    top: { type: 'string', default: '25' },
    keep: { type: 'string' },
    bare: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const top = Number(values.top);
const dir = await mkdtemp(join(tmpdir(), 'lictor-bench-prof-'));
const profDir = values.keep ?? join(dir, 'profile');
await mkdir(profDir, { recursive: true });
const nowMicros = () => Number(process.hrtime.bigint() / 1000n);
try {
  const profFlags = ['--cpu-prof', '--cpu-prof-dir', profDir];
  let server: Awaited<ReturnType<typeof startServer>>;
  if (values.bare) {
    server = await startServer([...profFlags, await plainScript('bare-server')]);
  } else {
    const { dataDir, publicKey } = await managerWorld(dir, 200_000);
    server = await serveManager(dataDir, publicKey, join(dir, 'manager.log'), 'warn', profFlags);
  }
  const phases: { name: string; from: number; to: number; requests: number }[] = [];
  try {
    const leaseIds: string[] = [];
    const clients = await connectedClients(server.port, 50, async (c, i) => {
      leaseIds[i] = await c.acquire('ERP', `beat-${i}`);
    });
    // Warm-up (JIT), not counted.
    await closedLoop(clients, 2, 2, async (c, i) => c.release(await c.acquire('ERP', `pair-${i}`)));
    await closedLoop(clients, 2, 1, (c, i) => c.heartbeat(leaseIds[i] as string));
    let from = nowMicros();
    let requests = await closedLoop(clients, seconds, 2, async (c, i) =>
      c.release(await c.acquire('ERP', `pair-${i}`)),
    );
    phases.push({ name: 'acquire+release (a pair is two requests)', from, to: nowMicros(), requests });
    from = nowMicros();
    requests = await closedLoop(clients, seconds, 1, (c, i) => c.heartbeat(leaseIds[i] as string));
    phases.push({ name: 'heartbeats', from, to: nowMicros(), requests });
    for (const c of clients) c.close();
  } finally {
    await server.stop();
  }
  const file = (await readdir(profDir)).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`manager profile: no .cpuprofile in ${profDir}`);
  const profile = JSON.parse(await readFile(join(profDir, file), 'utf8')) as Profile;
  console.log(values.bare ? 'bare node:http (bare-server.ts)' : '`lictor manager serve --log-level warn`');
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; profile ${join(profDir, file)}`,
  );
  for (const phase of phases) {
    const { busy, fns, origins } = selfTimes(profile, phase.from, phase.to);
    const perReq = (us: number) => (us / phase.requests).toFixed(2);
    const pct = (us: number) => ((100 * us) / busy).toFixed(1);
    const wall = (phase.to - phase.from) / 1e6;
    console.log(
      `\n== ${phase.name}: ${phase.requests} requests in ${wall.toFixed(1)} s (${Math.round(phase.requests / wall)}/s); busy ${perReq(busy)} µs per request (${((100 * busy) / (phase.to - phase.from)).toFixed(0)} % of a core)`,
    );
    for (const [origin, us] of [...origins].sort((a, b) => b[1] - a[1])) {
      console.log(`  ${origin.padEnd(28)} ${pct(us).padStart(5)} %  ${perReq(us).padStart(7)} µs/request`);
    }
    console.log('  top self times:');
    for (const [key, f] of [...fns].sort((a, b) => b[1].us - a[1].us).slice(0, top)) {
      console.log(`  ${pct(f.us).padStart(5)} %  ${perReq(f.us).padStart(6)} µs  [${f.origin}] ${key}`);
    }
    console.log("  Lictor's own, top self times:");
    for (const [key, f] of [...fns]
      .filter(([, f]) => f.origin === 'Lictor')
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)) {
      console.log(`  ${pct(f.us).padStart(5)} %  ${perReq(f.us).padStart(6)} µs  ${key}`);
    }
  }
} finally {
  if (values.keep === undefined) await rm(dir, { recursive: true, force: true });
  else await rm(join(dir, 'manager'), { recursive: true, force: true });
}
