/**
 * The runtime's memory phase of `runtime.ts` alone, for trying Node options and environments
 * quickly: `lictor runtime serve` (10 license files of ERP, activated once into a state directory
 * kept between runs), 2 s of signed checks over 8 connections, then 1,000 sessions opened and
 * held, and its VmRSS, VmHWM and private memory read from /proc.
 *
 *   node --import tsx bench/runtime-memory.ts [--runs N] [--check-seconds S] [--idle-seconds S] [--smaps] [--compose] [--seat] [--exec CMD] [--env K=V]... [-- node options...]
 *
 * `--seat` takes one floating seat (`POST /v1/seats`) from a `lictor manager serve` on loopback
 * (started by the bench, its license made once beside the state directory) before memory is read,
 * held for this process: what the runtime of an application that takes floating seats carries.
 */
import { execSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { toBase64Url } from '@lictor/protocol';
import { measured } from './ceiling.js';
import { HttpClient } from './load-clients.js';
import { LICTOR_BIN, managerWorld, type ServerProcess, serveManager } from './processes.js';
import { activateOffline, memoryOf } from './runtime.js';

const { values, positionals } = parseArgs({
  options: {
    runs: { type: 'string', default: '2' },
    /** Seconds of checks before the sessions are opened (the bench's 2 s; longer for the CPU per check at a steady state). */
    'check-seconds': { type: 'string', default: '2' },
    /** Also reads the memory again after this many seconds without requests (0: not). */
    'idle-seconds': { type: 'string', default: '0' },
    state: { type: 'string', default: join(tmpdir(), 'lictor-rtmem-state') },
    env: { type: 'string', multiple: true, default: [] },
    /** Also prints the runtime's threads and its largest mappings by private memory. */
    smaps: { type: 'boolean', default: false },
    /**
     * Asks for the status and opens an event stream before memory is read: one `GET /v1/status`
     * (as `lictor runtime status` does) and one `GET /v1/events` held open while memory is read
     * (as an application that follows changes holds it all day).
     */
    compose: { type: 'boolean', default: false },
    /** Takes one floating seat from a License Manager (on loopback, started here) before memory is read. */
    seat: { type: 'boolean', default: false },
    /** A command run with the runtime's pid as its last argument before it is stopped (its output printed). */
    exec: { type: 'string' },
  },
  allowPositionals: true,
});
const stateDir = values.state;
const socket = `${stateDir}.sock`;
const serve = ['runtime', 'serve', '--state-dir', stateDir, '--socket', socket, '--port', '0', '--log-level', 'warn'];
const env = { ...process.env, ...Object.fromEntries(values.env.map((kv) => kv.split(/=(.*)/s).slice(0, 2))) };

function start(nodeFlags: string[]): Promise<{ pid: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [...nodeFlags, LICTOR_BIN, ...serve], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (/listening on http/.test(out)) {
        child.stdout.removeAllListeners('data');
        child.stdout.resume();
        resolve({
          pid: child.pid as number,
          stop: async () => {
            child.kill('SIGTERM');
            await exited;
          },
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`runtime exited with ${code}: ${out}`)));
  });
}

// Beside the state directory, so that each --state has its own licenses and key.
const publicKeyFile = `${stateDir}.key`;
if (!existsSync(publicKeyFile)) {
  await rm(stateDir, { recursive: true, force: true });
  await mkdir(stateDir, { recursive: true });
  await (await start([])).stop();
  const { publicKey } = await activateOffline(join(stateDir, 'licenses'), 10);
  await writeFile(publicKeyFile, publicKey);
}
const publicKey = await readFile(publicKeyFile, 'utf8');

// The License Manager of `--seat`: its data directory (one license of 5 ERP seats from a vendor
// of its own, activated from a License Center made for it) is kept beside the state directory.
let manager: (ServerProcess & { publicKey: string }) | undefined;
if (values.seat) {
  const managerDir = `${stateDir}.manager`;
  const managerKeyFile = join(managerDir, 'public-key');
  if (!existsSync(managerKeyFile)) {
    await rm(managerDir, { recursive: true, force: true });
    await mkdir(managerDir, { recursive: true });
    await writeFile(managerKeyFile, (await managerWorld(managerDir, 5)).publicKey);
  }
  const managerKey = await readFile(managerKeyFile, 'utf8');
  const running = await serveManager(join(managerDir, 'manager'), managerKey, join(managerDir, 'manager.log'), 'warn');
  manager = { ...running, publicKey: managerKey };
}
const nonce = () => toBase64Url(randomBytes(16));
const body = (more: object = {}) =>
  JSON.stringify({ publicKey, product: 'ERP', feature: 'reports', nonce: nonce(), ...more });

for (let run = 0; run < Number(values.runs); run++) {
  const rt = await start(positionals);
  const clients = Array.from({ length: 8 }, () => new HttpClient(0, false, socket));
  let events: Socket | undefined;
  try {
    const checked = await measured(
      'rate',
      async () => {
        const end = performance.now() + Number(values['check-seconds']) * 1000;
        let n = 0;
        await Promise.all(
          clients.map(async (c) => {
            while (performance.now() < end) {
              const a = await c.request('POST', '/v1/check', body());
              if (a.status !== 200 || !a.text.includes('"signature":"'))
                throw new Error(`check: ${a.status} ${a.text}`);
              n++;
            }
          }),
        );
        return n;
      },
      rt.pid,
    );
    await Promise.all(
      clients.map(async (c) => {
        for (let i = 0; i < 125; i++) {
          const a = await c.request('POST', '/v1/sessions', body({ pid: process.pid }));
          if (a.status !== 201) throw new Error(`session: ${a.status} ${a.text}`);
        }
      }),
    );
    if (values.compose) {
      const a = await clients[0]?.request('GET', '/v1/status', '');
      if (a?.status !== 200) throw new Error(`status: ${a?.status} ${a?.text}`);
      events = await openEventStream(socket);
    }
    if (manager !== undefined) {
      const a = await clients[0]?.request(
        'POST',
        '/v1/seats',
        JSON.stringify({
          publicKey: manager.publicKey,
          product: 'ERP',
          managers: [manager.url],
          pid: process.pid,
          nonce: nonce(),
        }),
      );
      if (a?.status !== 201) throw new Error(`seat: ${a?.status} ${a?.text}`);
    }
    const m = await memoryOf(rt.pid);
    const idle = Number(values['idle-seconds']);
    if (idle > 0) {
      await new Promise((resolve) => setTimeout(resolve, idle * 1000));
      const after = await memoryOf(rt.pid);
      console.log(`  after ${idle} s idle: RSS ${after.rss.toFixed(1)} MiB, private ${after.private.toFixed(1)}`);
    }
    if (values.smaps) console.log(await mappings(rt.pid));
    if (values.exec !== undefined) {
      console.log(execSync(`${values.exec} ${rt.pid}`, { encoding: 'utf8' }));
    }
    console.log(
      `${positionals.join(' ') || '(defaults)'} ${values.env.join(' ')}${manager ? '(a seat held)' : ''}: RSS ${m.rss.toFixed(1)} MiB (peak ${m.peak.toFixed(1)}), private ${m.private.toFixed(1)}; ${Math.round(checked.value)} checks/s, ${Math.round(checked.serverMicrosPerOp ?? Number.NaN)} µs CPU each; load ${loadavg()[0]?.toFixed(2)}`,
    );
  } finally {
    for (const c of clients) c.close();
    events?.destroy();
    await rt.stop();
  }
}
await manager?.stop();

/** A `GET /v1/events` stream over the runtime's socket, open once its first comment has come. */
function openEventStream(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ path });
    let head = '';
    s.once('error', reject);
    s.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.startsWith('HTTP/1.1 200 ')) {
        if (head.includes('\r\n\r\n')) reject(new Error(`events: ${head}`));
        return;
      }
      if (head.includes(': Lictor Runtime events')) {
        s.removeAllListeners('data');
        s.resume();
        resolve(s);
      }
    });
    s.write('GET /v1/events HTTP/1.1\r\nhost: localhost\r\n\r\n');
  });
}

/** The threads of `pid` and its mappings with the most private memory (KiB), by name. */
async function mappings(pid: number): Promise<string> {
  const threads = await Promise.all(
    (await readdir(`/proc/${pid}/task`)).map(async (t) =>
      (await readFile(`/proc/${pid}/task/${t}/comm`, 'latin1')).trim(),
    ),
  );
  const byName = new Map<string, { rss: number; priv: number; n: number }>();
  let name = '';
  for (const line of (await readFile(`/proc/${pid}/smaps`, 'latin1')).split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      name = head[1] || '[anon]';
      if (name.endsWith('/node')) name = `${name} ${line.split(' ').slice(1, 3).join(' ')}`;
      const e = byName.get(name) ?? { rss: 0, priv: 0, n: 0 };
      e.n++;
      byName.set(name, e);
      continue;
    }
    const kv = /^(Rss|Private_Clean|Private_Dirty):\s+(\d+) kB/.exec(line);
    const e = byName.get(name);
    if (kv && e) {
      if (kv[1] === 'Rss') e.rss += Number(kv[2]);
      else e.priv += Number(kv[2]);
    }
  }
  const top = [...byName].sort((a, b) => b[1].priv - a[1].priv || b[1].rss - a[1].rss).slice(0, 14);
  return [
    `threads (${threads.length}): ${threads.join(', ')}`,
    ...top.map(
      ([n, e]) =>
        `  ${String(e.priv).padStart(7)} KiB private, ${String(e.rss).padStart(7)} KiB RSS, ${e.n} maps  ${n}`,
    ),
  ].join('\n');
}
