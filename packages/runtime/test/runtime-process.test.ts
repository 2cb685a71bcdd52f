/**
 * What the runtime asks the OS about processes: `/proc/<pid>/stat` read right (a command name with
 * spaces and parentheses, zombies), and a session opened for this very process with the real probe.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { parseProcStat, systemProcessProbe } from '../src/index.js';
import { doc, nonce, PUBLIC_KEY, startRuntime, writeLicenses } from './runtime-fixture.js';

const linux = process.platform === 'linux';

test('a /proc stat line gives the session id and start time; a zombie has exited', () => {
  const line = (state: string) =>
    `4321 (my (odd) app) ${state} 1 4321 977 34816 4321 4194560 100 0 0 0 5 3 0 0 20 0 1 0 123456 1000000 200 18446744073709551615\n`;
  assert.deepEqual(parseProcStat(4321, line('S')), { pid: 4321, osSession: '977', startTime: '123456' });
  assert.equal(parseProcStat(4321, line('Z')), undefined);
  assert.equal(parseProcStat(4321, 'garbage'), undefined);
  assert.equal(parseProcStat(4321, '4321 (short) S 1 2'), undefined);
});

test('the real probe describes this process and finds no process for a pid nothing has', { skip: !linux }, async () => {
  const probe = systemProcessProbe();
  const me = await probe(process.pid);
  const stat = await readFile('/proc/self/stat', 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  assert.deepEqual(me, { pid: process.pid, osSession: fields[3], startTime: fields[19] });
  const max = Number((await readFile('/proc/sys/kernel/pid_max', 'utf8')).trim());
  assert.equal(await probe(max + 1), undefined);
});

test('a session for this process, with the OS session the OS reports (the declared one is ignored)', {
  skip: !linux,
}, async (t) => {
  const rt = await startRuntime(t, { processProbe: systemProcessProbe() });
  await writeLicenses(rt.licenses, { 'a.lic': doc() });
  const opened = await rt.call('POST', '/v1/sessions', {
    publicKey: PUBLIC_KEY,
    product: 'ERP',
    pid: process.pid,
    osSession: 'declared-elsewhere',
    nonce: nonce(),
  });
  assert.equal(opened.status, 201, JSON.stringify(opened.json));
  assert.equal(opened.json.osSession, (await systemProcessProbe()(process.pid))?.osSession);
  // This process runs on: the sweep keeps its session.
  assert.equal(await rt.running.runtime.sessions.sweep(), 0);
  assert.equal(rt.running.runtime.sessions.count, 1);
});
