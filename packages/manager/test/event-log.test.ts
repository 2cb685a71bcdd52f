/** The event ring: times written as ISO text when read, newest first, copies out, the listener's kinds. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventLog, type ManagerEvent } from '../src/event-log.js';

const T0 = Date.parse('2026-12-03T10:00:00.000Z');
const client = { host: 'h', user: 'u', process: 'p', session: '1' };

test('the ring keeps the latest events, newest first, each with its time as ISO text', () => {
  let now = T0;
  const log = new EventLog(() => now, undefined, undefined, 3);
  for (let i = 0; i < 5; i++) {
    now = T0 + i * 1000;
    log.record({ kind: 'granted', leaseId: `l${i}`, product: 'cad', client });
  }
  const events = log.events();
  assert.deepEqual(
    events.map((e) => [e.leaseId, e.at]),
    [
      ['l4', '2026-12-03T10:00:04.000Z'],
      ['l3', '2026-12-03T10:00:03.000Z'],
      ['l2', '2026-12-03T10:00:02.000Z'],
    ],
  );
  assert.deepEqual(Object.keys(events[0] as ManagerEvent), ['at', 'kind', 'leaseId', 'product', 'client']);
  assert.deepEqual(
    log.events(2).map((e) => e.leaseId),
    ['l4', 'l3'],
  );
  assert.deepEqual(log.events(0), []);
  // What is read is a copy: changing it changes neither the ring nor the client it names.
  (events[0] as { client: { host: string } }).client.host = 'changed';
  assert.equal(log.events(1)[0]?.client?.host, 'h');
  assert.equal(client.host, 'h');
});

test('onEvent hears the kinds it names (every kind without them), with the time', () => {
  const heard: ManagerEvent[] = [];
  const named = new EventLog(
    () => T0,
    (e) => heard.push(e),
    ['access-rules-loaded'],
  );
  named.record({ kind: 'granted', leaseId: 'l', product: 'cad', client });
  named.record({ kind: 'access-rules-loaded', detail: 'x' });
  assert.deepEqual(heard, [{ at: '2026-12-03T10:00:00.000Z', kind: 'access-rules-loaded', detail: 'x' }]);
  const all: ManagerEvent[] = [];
  const every = new EventLog(
    () => T0,
    (e) => all.push(e),
  );
  every.record({ kind: 'granted', leaseId: 'l', product: 'cad', client });
  assert.deepEqual(all, [{ at: '2026-12-03T10:00:00.000Z', kind: 'granted', leaseId: 'l', product: 'cad', client }]);
  assert.equal(named.events().length, 2);
});
