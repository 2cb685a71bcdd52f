/** The session table at the documents' default limits: the 257th process and the 257th OS session are refused. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SESSION_LIMIT, SessionTable } from '../src/session-table.js';

test('at the default limits, the 257th process of one OS session is refused, a process already counted is not', () => {
  const table = new SessionTable<null>({ now: () => 1000 });
  assert.equal(DEFAULT_SESSION_LIMIT, 256);
  for (let p = 1; p <= 256; p++) {
    assert.equal(table.open({ file: 'a.lic', osSession: '7', process: `p${p}` }, null).ok, true);
  }
  assert.equal(table.processCount('a.lic', '7'), 256);
  assert.deepEqual(table.open({ file: 'a.lic', osSession: '7', process: 'p257' }, null), {
    ok: false,
    kind: 'processes',
    limit: 256,
    file: 'a.lic',
  });
  // A process already counted opens another session; other OS sessions and other files are not affected.
  assert.equal(table.open({ file: 'a.lic', osSession: '7', process: 'p1' }, null).ok, true);
  assert.equal(table.open({ file: 'a.lic', osSession: '8', process: 'p257' }, null).ok, true);
  assert.equal(table.open({ file: 'b.lic', osSession: '7', process: 'p257' }, null).ok, true);
  // One process exits: its place is free.
  assert.equal(table.closeProcess('p1').length, 2);
  assert.equal(table.open({ file: 'a.lic', osSession: '7', process: 'p257' }, null).ok, true);
});

test('at the default limits, the 257th OS session on one license file is refused', () => {
  const table = new SessionTable<{ n: number }>();
  for (let s = 1; s <= 256; s++) {
    const opened = table.open({ file: 'a.lic', osSession: String(s), process: `p${s}` }, { n: s });
    assert.equal(opened.ok && opened.session.data.n, s);
  }
  assert.equal(table.osSessionCount('a.lic'), 256);
  const refused = table.open({ file: 'a.lic', osSession: '257', process: 'p257' }, { n: 257 });
  assert.deepEqual(refused, { ok: false, kind: 'os-sessions', limit: 256, file: 'a.lic' });
  // More processes of an OS session already counted still fit.
  assert.equal(table.open({ file: 'a.lic', osSession: '256', process: 'p999' }, { n: 0 }).ok, true);
  const first = table.sessions()[0];
  assert.ok(first);
  assert.equal(table.close(first.id)?.osSession, '1');
  assert.equal(table.open({ file: 'a.lic', osSession: '257', process: 'p257' }, { n: 257 }).ok, true);
});

test('limits are whole numbers of at least 1', () => {
  assert.throws(() => new SessionTable({ maxOsSessionsPerFile: 0 }), RangeError);
  assert.throws(() => new SessionTable({ maxProcessesPerOsSession: 1.5 }), RangeError);
  const one = new SessionTable<null>({ maxOsSessionsPerFile: 1, maxProcessesPerOsSession: 1 });
  assert.equal(one.open({ file: 'f', osSession: 'a', process: 'x' }, null).ok, true);
  assert.equal(one.open({ file: 'f', osSession: 'a', process: 'y' }, null).ok, false);
  assert.equal(one.open({ file: 'f', osSession: 'b', process: 'x' }, null).ok, false);
});
