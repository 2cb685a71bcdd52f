/**
 * A crashed application's session is freed: a real child process opens a session for its pid
 * (over the real Unix socket, the OS asked with the real probe), is killed, and the runtime's
 * sweep frees the session; with a limit of one process, the next open frees it at once.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { callRuntime, DEFAULT_SWEEP_INTERVAL_MS, systemProcessProbe } from '../src/index.js';
import { doc, nonce, PUBLIC_KEY, startRuntime, writeLicenses } from './runtime-fixture.js';

/** A child process that runs until killed. */
function child(): ChildProcess {
  const p = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)'], { stdio: 'ignore' });
  return p;
}

test('a killed process frees its session at the next sweep', { skip: process.platform !== 'linux' }, async (t) => {
  const rt = await startRuntime(t, { processProbe: systemProcessProbe() });
  await writeLicenses(rt.licenses, { 'a.lic': doc() });
  const app = child();
  t.after(() => app.kill('SIGKILL'));
  await once(app, 'spawn');
  const socket = rt.running.socket as string;
  const opened = await callRuntime({ socket }, 'POST', '/v1/sessions', {
    publicKey: PUBLIC_KEY,
    product: 'ERP',
    pid: app.pid,
    nonce: nonce(),
  });
  assert.equal(opened.status, 201, JSON.stringify(opened.json));
  const { id } = opened.json as { id: string };
  assert.equal(await rt.running.runtime.sessions.sweep(), 0, 'alive: kept');

  const freed = new Promise<string | undefined>((resolve) =>
    rt.running.runtime.events.subscribe((e) => {
      if (e.event.kind === 'session-freed') resolve(e.event.sessionId);
    }),
  );
  app.kill('SIGKILL');
  await once(app, 'exit');
  rt.scheduler.advance(DEFAULT_SWEEP_INTERVAL_MS);
  assert.equal(await freed, id);
  const closed = await callRuntime({ socket }, 'DELETE', `/v1/sessions/${id}`);
  assert.equal(closed.status, 404);
});

test('with one process allowed, a killed holder is freed by the next open', {
  skip: process.platform !== 'linux',
}, async (t) => {
  const rt = await startRuntime(t, { processProbe: systemProcessProbe(), limits: { maxProcessesPerOsSession: 1 } });
  await writeLicenses(rt.licenses, { 'a.lic': doc() });
  const holder = child();
  const next = child();
  t.after(() => {
    holder.kill('SIGKILL');
    next.kill('SIGKILL');
  });
  await Promise.all([once(holder, 'spawn'), once(next, 'spawn')]);
  const open = (pid: number | undefined) =>
    rt.call('POST', '/v1/sessions', { publicKey: PUBLIC_KEY, product: 'ERP', pid, nonce: nonce() });
  assert.equal((await open(holder.pid)).status, 201);
  // Both children inherit this process's OS session: the second is one process too many.
  const refused = await open(next.pid);
  assert.equal(refused.status, 409, JSON.stringify(refused.json));
  holder.kill('SIGKILL');
  await once(holder, 'exit');
  assert.equal((await open(next.pid)).status, 201);
});
