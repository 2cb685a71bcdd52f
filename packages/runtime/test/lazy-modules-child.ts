/**
 * Run by `runtime-lazy-modules.test.ts` in a process of its own: opens a runtime with a license
 * that signs, asks it over its loopback port for a signed check, a session opened and one closed,
 * the status, and an event stream (its first bytes), then a floating seat taken and given back
 * from the License Manager at `LICTOR_TEST_MANAGER` (the parent's: the manager is a Fastify
 * service), and prints as JSON every module the process loaded (recorded from before the
 * runtime's code was imported), before the seat and after, whether the runtime composed its
 * Fastify app, and whether Node loaded its undici (which importing `node:http` as an ES module
 * does: `@lictor/http-service/node-http`, and the global `fetch`).
 * It asks through `node:http` required as CommonJS, not `fetch`, which is undici.
 */
import { createRequire, registerHooks } from 'node:module';
import type { TestContext } from 'node:test';

const loaded: string[] = [];
registerHooks({
  load(url, context, next) {
    loaded.push(url);
    return next(url, context);
  },
});

// Imported after the hook: every module they load is recorded.
const { activateLicense, nonce, PUBLIC_KEY, startRuntime } = await import('./runtime-fixture.js');
const cleanups: (() => unknown)[] = [];
const t = { after: (fn: () => unknown) => cleanups.push(fn) } as unknown as TestContext;
const rt = await startRuntime(t, { socket: null, port: 0 });
await activateLicense(rt.licenses);
rt.processes.start(900, '4');
const url = rt.running.url ?? '';
const http: typeof import('node:http') = createRequire(import.meta.url)('node:http');
const ask = (method: string, path: string, body?: unknown) =>
  new Promise<{ status: number; json: Record<string, unknown> }>((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      `${url}${path}`,
      { method, headers: text === undefined ? {} : { 'content-type': 'application/json' } },
      (res) => {
        let answer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (answer += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: answer === '' ? {} : JSON.parse(answer) }));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
const post = (path: string, body: unknown) => ask('POST', path, body);
const asked = { publicKey: PUBLIC_KEY, product: 'ERP', nonce: nonce() };
const check = await post('/v1/check', asked);
const opened = await post('/v1/sessions', { ...asked, nonce: nonce(), pid: 900 });
const closed = await ask('DELETE', `/v1/sessions/${String(opened.json.id)}`);
const status = await ask('GET', '/v1/status');
// An event stream: its status and first bytes, held open while the seat is taken.
const events = await new Promise<{ status: number; first: string; close: () => void }>((resolve, reject) => {
  const req = http.request(`${url}/v1/events?product=ERP`, (res) => {
    res.setEncoding('utf8');
    res.once('data', (first: string) => resolve({ status: res.statusCode ?? 0, first, close: () => req.destroy() }));
  });
  req.on('error', reject);
  req.end();
});
// Node's own list of the internal modules it loaded (not typed: it is not a public API).
const { moduleLoadList } = process as unknown as { moduleLoadList: string[] };
const undiciLoaded = () => moduleLoadList.some((m) => m.includes('internal/deps/undici'));
const undici = undiciLoaded();
const loadedBeforeSeat = [...loaded];
// The manager's vendor key is the parent's (each process makes its own vendor keys).
const manager = { address: process.env.LICTOR_TEST_MANAGER, publicKey: process.env.LICTOR_TEST_MANAGER_KEY };
rt.processes.start(901, '4');
const seat = await post('/v1/seats', {
  publicKey: manager.publicKey,
  product: 'CAD',
  managers: [manager.address],
  pid: 901,
  nonce: nonce(),
});
const released = await ask('DELETE', `/v1/seats/${String(seat.json.id)}`);
events.close();
const statuses = [
  check.status,
  opened.status,
  closed.status,
  status.status,
  events.status,
  seat.status,
  released.status,
];
const signed = [check.json, opened.json, seat.json].every((a) => (a.proof as { signature?: string } | null)?.signature);
const composed = rt.running.server.composed;
const undiciAfterSeat = undiciLoaded();
for (const fn of cleanups.reverse()) await fn();
process.stdout.write(
  JSON.stringify({
    statuses,
    signed,
    composed,
    undici,
    undiciAfterSeat,
    first: events.first,
    loaded,
    loadedBeforeSeat,
  }),
);
