/**
 * Sessions over HTTP: the documents' limits per license file (processes per OS session, OS
 * sessions per file) with a clear refusal, processes that exited freed on the next open and by
 * the sweep, pids that do not run refused. Processes are told by a fake probe here; the real
 * probe is used in `runtime-process.test.ts` and `runtime-crash.slow.test.ts`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SWEEP_INTERVAL_MS } from '../src/index.js';
import { doc, nonce, PUBLIC_KEY, startRuntime, writeLicenses } from './runtime-fixture.js';

const open = (pid: number, extra: Record<string, unknown> = {}) => ({
  publicKey: PUBLIC_KEY,
  product: 'ERP',
  pid,
  nonce: nonce(),
  ...extra,
});

test('a third process of one OS session, and a third OS session, are refused at limits of 2', async (t) => {
  const rt = await startRuntime(t, { limits: { maxOsSessionsPerFile: 2, maxProcessesPerOsSession: 2 } });
  await writeLicenses(rt.licenses, { 'a.lic': doc() });
  const file = `${rt.licenses}/a.lic`;
  for (const [pid, os] of [
    [101, '1'],
    [102, '1'],
    [103, '1'],
    [201, '2'],
    [301, '3'],
  ] as const) {
    rt.processes.start(pid, os);
  }
  const first = await rt.call('POST', '/v1/sessions', open(101));
  assert.equal(first.status, 201);
  assert.equal((first.json.unproven as { reason: string }).reason, 'no-key', 'a license without container keys');
  assert.deepEqual(
    { ...first.json, id: 'x', openedAt: 'y' },
    {
      id: 'x',
      product: 'ERP',
      feature: null,
      serial: first.json.serial,
      licenseId: first.json.licenseId,
      licenseFile: file,
      pid: 101,
      osSession: '1',
      openedAt: 'y',
      proof: null,
      unproven: first.json.unproven,
    },
  );
  assert.equal((await rt.call('POST', '/v1/sessions', open(102, { feature: 'api' }))).status, 201);
  // The same process again: not another process.
  assert.equal((await rt.call('POST', '/v1/sessions', open(101, { feature: 'reports' }))).status, 201);

  const third = await rt.call('POST', '/v1/sessions', open(103));
  assert.equal(third.status, 409);
  assert.equal(third.json.code, 'LICTOR_E_SESSIONS_EXHAUSTED');
  assert.deepEqual(third.json.details, { limit: 2, kind: 'processes', file });
  assert.match(third.json.message as string, /2 processes of OS session 1 already use license file/);

  assert.equal((await rt.call('POST', '/v1/sessions', open(201))).status, 201);
  const thirdOs = await rt.call('POST', '/v1/sessions', open(301));
  assert.equal(thirdOs.status, 409);
  assert.deepEqual(thirdOs.json.details, { limit: 2, kind: 'os-sessions', file });

  // Closing a session of process 102 frees its place.
  const sessions = rt.running.runtime.sessions.list();
  const of102 = sessions.find((s) => s.pid === 102);
  assert.ok(of102);
  assert.equal((await rt.call('DELETE', `/v1/sessions/${of102.id}`)).status, 204);
  const again = await rt.call('DELETE', `/v1/sessions/${of102.id}`);
  assert.equal(again.status, 404);
  assert.equal(again.json.code, 'LICTOR_E_SESSION_UNKNOWN');
  assert.equal((await rt.call('POST', '/v1/sessions', open(103))).status, 201);
});

test('a process that exited frees its places at once when another would be refused, and by the sweep', async (t) => {
  const rt = await startRuntime(t, { limits: { maxOsSessionsPerFile: 1, maxProcessesPerOsSession: 1 } });
  await writeLicenses(rt.licenses, { 'a.lic': doc() });
  const freed: unknown[] = [];
  rt.running.runtime.events.subscribe((e) => freed.push(e.event));
  rt.processes.start(11, '5');
  rt.processes.start(12, '5');
  const held = await rt.call('POST', '/v1/sessions', open(11));
  assert.equal(held.status, 201);
  assert.equal((await rt.call('POST', '/v1/sessions', open(12))).status, 409);
  rt.processes.exit(11);
  // No sweep has run: the open itself finds that process 11 is gone.
  assert.equal((await rt.call('POST', '/v1/sessions', open(12))).status, 201);
  assert.deepEqual(
    freed.map((e) => ({ ...(e as object), at: undefined })),
    [
      {
        kind: 'session-freed',
        sessionId: held.json.id,
        pid: 11,
        product: 'ERP',
        reason: 'process-exited',
        at: undefined,
      },
    ],
  );

  // The sweep, on the runtime's scheduler, frees what process 12 held once it exits.
  rt.processes.exit(12);
  assert.equal(rt.running.runtime.sessions.count, 1);
  const sweptAll = new Promise<void>((resolve) =>
    rt.running.runtime.events.subscribe((e) => {
      if (e.event.kind === 'session-freed' && e.event.pid === 12) resolve();
    }),
  );
  rt.scheduler.advance(DEFAULT_SWEEP_INTERVAL_MS);
  await sweptAll;
  assert.equal(rt.running.runtime.sessions.count, 0);
});

test('a pid that does not run is refused; a pid reused by a new process is a new process', async (t) => {
  const rt = await startRuntime(t, { limits: { maxProcessesPerOsSession: 1 } });
  await writeLicenses(rt.licenses, { 'a.lic': doc() });
  const unknown = await rt.call('POST', '/v1/sessions', open(4242));
  assert.equal(unknown.status, 400);
  assert.equal(unknown.json.code, 'LICTOR_E_PROCESS_UNKNOWN');
  assert.deepEqual(unknown.json.details, { pid: 4242 });

  rt.processes.start(50, '9');
  assert.equal((await rt.call('POST', '/v1/sessions', open(50))).status, 201);
  // Process 50 exits and the OS gives its pid to a new process (another start time).
  rt.processes.exit(50);
  rt.processes.start(50, '9');
  assert.equal((await rt.call('POST', '/v1/sessions', open(50))).status, 201);
  assert.equal(rt.running.runtime.sessions.count, 1);
});

test('a session needs a license: the check refusal comes first, with the SDK code', async (t) => {
  const rt = await startRuntime(t);
  rt.processes.start(77);
  const refused = await rt.call('POST', '/v1/sessions', open(77));
  assert.equal(refused.status, 403);
  assert.equal(refused.json.code, 'LICTOR_E_NOT_LICENSED');
  await writeLicenses(rt.licenses, { 'a.lic': doc() });
  await rt.running.runtime.pool.entries()[0]?.licensing.reload();
  const missing = await rt.call('POST', '/v1/sessions', open(77, { feature: 'payroll' }));
  assert.equal(missing.json.code, 'LICTOR_E_FEATURE_NOT_LICENSED');
  assert.equal(rt.running.runtime.sessions.count, 0);
});

test('at the default limits, the 257th process of one OS session and the 257th OS session of one file are refused', async (t) => {
  const rt = await startRuntime(t);
  await writeLicenses(rt.licenses, { 'a.lic': doc() });
  const file = `${rt.licenses}/a.lic`;
  // 256 processes of OS session 1.
  for (let pid = 1000; pid < 1257; pid++) rt.processes.start(pid, '1');
  for (let pid = 1000; pid < 1256; pid++) {
    assert.equal((await rt.call('POST', '/v1/sessions', open(pid))).status, 201, `process ${pid}`);
  }
  const processes = await rt.call('POST', '/v1/sessions', open(1256));
  assert.equal(processes.status, 409);
  assert.deepEqual(processes.json.details, { limit: 256, kind: 'processes', file });
  // OS session 1 is one of the file's OS sessions: 255 more fit.
  for (let os = 2; os <= 256; os++) {
    rt.processes.start(5000 + os, String(os));
    assert.equal((await rt.call('POST', '/v1/sessions', open(5000 + os))).status, 201, `OS session ${os}`);
  }
  rt.processes.start(5257, '257');
  const osSessions = await rt.call('POST', '/v1/sessions', open(5257));
  assert.equal(osSessions.status, 409);
  assert.deepEqual(osSessions.json.details, { limit: 256, kind: 'os-sessions', file });
  assert.equal(rt.running.runtime.sessions.count, 256 + 255);
});
