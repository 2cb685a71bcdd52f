/**
 * Run by `runtime-lazy-modules.test.ts` in a process of its own: opens a runtime with a license
 * that signs, asks it over its loopback port for a signed check, a session opened and one closed,
 * and prints as JSON every module the process loaded (recorded from before the runtime's code
 * was imported) and whether the runtime composed its Fastify app.
 */
import { registerHooks } from 'node:module';
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
const post = async (path: string, body: unknown) => {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};
const asked = { publicKey: PUBLIC_KEY, product: 'ERP', nonce: nonce() };
const check = await post('/v1/check', asked);
const opened = await post('/v1/sessions', { ...asked, nonce: nonce(), pid: 900 });
const closed = await fetch(`${url}/v1/sessions/${String(opened.json.id)}`, { method: 'DELETE' });
const statuses = [check.status, opened.status, closed.status];
const signed = [check.json, opened.json].every((a) => (a.proof as { signature?: string } | null)?.signature);
const composed = rt.running.server.composed;
for (const fn of cleanups.reverse()) await fn();
process.stdout.write(JSON.stringify({ statuses, signed, composed, loaded }));
