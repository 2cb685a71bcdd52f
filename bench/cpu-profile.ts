/**
 * Reading a V8 CPU profile (`node --cpu-prof`): self time by function and by origin (Lictor,
 * Fastify and its modules, TypeBox and Ajv, Kysely, pino, Node's JavaScript, native calls, GC) over a window of
 * the profile's samples, printed per operation. Shared by `manager-profile.ts` and
 * `center-profile.ts`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** A `.cpuprofile` as V8 writes it. */
export interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
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
  if (/node_modules\/(typebox|ajv|ajv-formats)\//.test(url)) return 'TypeBox and Ajv (schemas)';
  if (/node_modules\/(pino|sonic-boom|thread-stream)/.test(url)) return 'pino';
  if (/node_modules\/(kysely|better-sqlite3)/.test(url)) return 'Kysely and better-sqlite3';
  if (url.includes('/packages/')) return 'Lictor';
  if (url.startsWith('data:')) return 'Lictor';
  return 'other modules';
}

function shortUrl(url: string): string {
  if (url.startsWith('data:')) return '(worker source)';
  const m = /\/packages\/([^/]+)\/dist\/(.+)$/.exec(url) ?? /node_modules\/(.+?)\/(.+)$/.exec(url);
  return m ? `${m[1]}/${m[2]}` : url.replace(/^file:\/\//, '');
}

/** Self time (µs) by function and by origin of the samples taken within [from, to) (µs, monotonic). */
export function selfTimes(profile: Profile, from = -Infinity, to = Infinity) {
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

/** Every `.cpuprofile` in `dir` (one per thread that ran JavaScript), parsed. */
export async function profilesIn(dir: string): Promise<{ file: string; profile: Profile }[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort();
  return Promise.all(
    files.map(async (file) => ({
      file: join(dir, file),
      profile: JSON.parse(await readFile(join(dir, file), 'utf8')) as Profile,
    })),
  );
}

/**
 * Prints `selfTimes` of a window as µs per operation: busy time, each origin, the `top` functions
 * and Lictor's own top functions.
 */
export function printSelfTimes(
  heading: string,
  times: ReturnType<typeof selfTimes>,
  operations: number,
  windowMicros: number,
  top: number,
): void {
  const { busy, fns, origins } = times;
  const perOp = (us: number) => (us / operations).toFixed(2);
  const pct = (us: number) => ((100 * us) / busy).toFixed(1);
  console.log(
    `\n== ${heading}: busy ${perOp(busy)} µs per operation (${((100 * busy) / windowMicros).toFixed(0)} % of a core)`,
  );
  for (const [origin, us] of [...origins].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${origin.padEnd(28)} ${pct(us).padStart(5)} %  ${perOp(us).padStart(7)} µs/op`);
  }
  console.log('  top self times:');
  for (const [key, f] of [...fns].sort((a, b) => b[1].us - a[1].us).slice(0, top)) {
    console.log(`  ${pct(f.us).padStart(5)} %  ${perOp(f.us).padStart(6)} µs  [${f.origin}] ${key}`);
  }
  console.log("  Lictor's own, top self times:");
  for (const [key, f] of [...fns]
    .filter(([, f]) => f.origin === 'Lictor')
    .sort((a, b) => b[1].us - a[1].us)
    .slice(0, top)) {
    console.log(`  ${pct(f.us).padStart(5)} %  ${perOp(f.us).padStart(6)} µs  ${key}`);
  }
}
