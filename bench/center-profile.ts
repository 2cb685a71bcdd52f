/**
 * Where `lictor center serve --log-level warn` spends its CPU under the `center` group's load:
 * the server runs with `node --cpu-prof` (one profile per thread: the main thread and the sealing
 * worker), autocannon sends online activations from 32 connections, `--seconds` measured after
 * 2 s of warm-up. Prints each thread's CPU per activation (`/proc/<pid>/task`: the main thread,
 * the sealing worker, the checkpoint thread, V8's and libuv's helpers) and each profile's self
 * time by function and by origin, in µs per activation.
 *
 *   node --import tsx bench/center-profile.ts [--seconds 8] [--top 25] [--packages 4000] [--keep <dir>]
 *
 * Not part of `npm run bench` (a profiled server is slower); `docs/benchmarks.md` cites it.
 */
import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { statCpu } from './ceiling.js';
import { centerWorld } from './center-world.js';
import { printSelfTimes, profilesIn, selfTimes } from './cpu-profile.js';
import { serveCenter } from './processes.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    top: { type: 'string', default: '25' },
    packages: { type: 'string', default: '4000' },
    keep: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const top = Number(values.top);

/** CPU time (µs) of each thread of `pid`, by thread id, with its name. */
function threadTimes(pid: number): Map<number, { name: string; micros: number }> {
  const times = new Map<number, { name: string; micros: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const cpu = statCpu(`/proc/${pid}/task/${tid}/stat`);
    if (cpu !== undefined) times.set(Number(tid), cpu);
  }
  return times;
}

const dir = await mkdtemp(join(tmpdir(), 'lictor-bench-center-prof-'));
const profDir = values.keep ?? join(dir, 'profile');
await mkdir(profDir, { recursive: true });
const nowMicros = () => Number(process.hrtime.bigint() / 1000n);
try {
  const bodies = (await centerWorld(join(dir, 'center'), Number(values.packages), 5)).map((r) => JSON.stringify(r));
  const server = await serveCenter(join(dir, 'center'), join(dir, 'center.log'), 'warn', [
    '--cpu-prof',
    '--cpu-prof-dir',
    profDir,
  ]);
  let next = 0;
  const run = (duration: number) =>
    autocannon({
      url: server.url,
      connections: 32,
      duration,
      requests: [
        {
          method: 'POST',
          path: '/v1/activations',
          headers: { 'content-type': 'application/json' },
          setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }),
        },
      ],
    });
  let from: number;
  let to: number;
  let activations: number;
  let before: Map<number, { name: string; micros: number }>;
  let after: Map<number, { name: string; micros: number }>;
  try {
    await run(2);
    before = threadTimes(server.pid);
    from = nowMicros();
    const result = await run(seconds);
    to = nowMicros();
    after = threadTimes(server.pid);
    activations = result['2xx'];
    if (next > bodies.length) console.log('(the run used every PIN: the later activations were reactivations)');
    if (result.non2xx > 0 || result.errors > 0)
      console.log(`(${result.non2xx} answers other than 2xx, ${result.errors} errors)`);
  } finally {
    await server.stop();
  }
  const wall = (to - from) / 1e6;
  console.log('`lictor center serve --log-level warn`, 32 connections');
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; ${activations} activations in ${wall.toFixed(1)} s (${Math.round(activations / wall)}/s)`,
  );
  console.log('CPU per activation by thread (µs):');
  let total = 0;
  for (const [tid, { name, micros }] of after) {
    const used = micros - (before.get(tid)?.micros ?? 0);
    total += used;
    if (used > 0)
      console.log(`  ${String(tid).padStart(8)} ${name.padEnd(16)} ${(used / activations).toFixed(0).padStart(6)}`);
  }
  console.log(`  ${'process'.padStart(8)} ${''.padEnd(16)} ${(total / activations).toFixed(0).padStart(6)}`);
  for (const { file, profile } of await profilesIn(profDir)) {
    printSelfTimes(`${file}`, selfTimes(profile, from, to), activations, to - from, top);
  }
} finally {
  if (values.keep === undefined) await rm(dir, { recursive: true, force: true });
  else await rm(join(dir, 'center'), { recursive: true, force: true });
}
