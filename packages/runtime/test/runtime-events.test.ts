/**
 * Offline activation, install and remote upgrade through the runtime, with the change events an
 * application sees on `GET /v1/events` (over the real socket and port), and reconnecting with
 * `Last-Event-ID`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerQuestion, answerRequest, nonce, openEvents, PUBLIC_KEY, startRuntime } from './runtime-fixture.js';

const app = { publicKey: PUBLIC_KEY, product: 'ERP' };
const OWNER = { company: 'Initech', email: 'it@initech.example' };

test('an offline activation installed through the runtime reaches the event stream, and checks see it', async (t) => {
  const rt = await startRuntime(t);
  const socket = rt.running.socket as string;
  assert.equal((await rt.call('POST', '/v1/check', { ...app, nonce: nonce() })).json.code, 'LICTOR_E_NOT_LICENSED');
  const events = await openEvents({ socket }, '?product=ERP');
  t.after(() => events.close());

  const request = await rt.call('POST', '/v1/activation-requests', {
    ...app,
    serial: 'LX-7K2M-9QXD-4RTA',
    pin: 'Q7K2M-9QXD4-RTA8B',
    owner: OWNER,
    kind: 'file',
  });
  assert.equal(request.status, 201);
  assert.equal(request.json.kind, 'file');
  const installed = await rt.call('POST', '/v1/licenses', { ...app, file: answerRequest(request.json.text as string) });
  assert.equal(installed.status, 201, JSON.stringify(installed.json));
  assert.equal(installed.json.serial, 'LX-7K2M-9QXD-4RTA');
  assert.equal(installed.json.requestId, request.json.id);
  const file = installed.json.file as string;
  assert.equal(file.startsWith(rt.running.licensesDir), true, 'written to the runtime store');

  const change = await events.nextWhere(
    (e) => e.event === 'license-change' && (e.data.added as string[]).includes(file),
  );
  assert.equal(change.data.product, 'ERP');
  assert.match(change.id, /^[0-9a-f]+-\d+$/);
  const granted = await rt.call('POST', '/v1/check', { ...app, feature: 'reports', nonce: nonce() });
  assert.equal(granted.status, 200);
  assert.equal(granted.json.file, file);

  // The same answer again is refused as installed.
  const twice = await rt.call('POST', '/v1/licenses', { ...app, file: answerRequest(request.json.text as string) });
  assert.equal(twice.json.code, 'LICTOR_E_ALREADY_INSTALLED');
  const neither = await rt.call('POST', '/v1/licenses', { ...app });
  assert.equal(neither.status, 400);
});

test('a remote upgrade through the runtime: question, answer, confirmation code, and the change event', async (t) => {
  const rt = await startRuntime(t);
  const request = await rt.call('POST', '/v1/activation-requests', {
    ...app,
    serial: 'LX-7K2M-9QXD-4RTB',
    pin: 'Q7K2M-9QXD4-RTA8C',
    owner: OWNER,
    kind: 'file',
  });
  const events = await openEvents({ url: rt.running.url as string });
  t.after(() => events.close());
  const installed = await rt.call('POST', '/v1/licenses', { ...app, file: answerRequest(request.json.text as string) });
  assert.equal(installed.status, 201);
  // The watcher has seen the new file: the upgrade below is a change of it, not part of its arrival
  // (a slow poll would otherwise tell both at once, as one added file).
  await events.nextWhere(
    (e) => e.event === 'license-change' && (e.data.added as string[]).includes(installed.json.file as string),
  );
  assert.equal(
    (await rt.call('POST', '/v1/check', { ...app, feature: 'payroll', nonce: nonce() })).json.code,
    'LICTOR_E_FEATURE_NOT_LICENSED',
  );

  const question = await rt.call('POST', '/v1/upgrades/question', { ...app });
  assert.equal(question.status, 201, JSON.stringify(question.json));
  const applied = await rt.call('POST', '/v1/upgrades/answer', {
    ...app,
    answer: answerQuestion(question.json.question as string, ['reports', 'payroll']),
  });
  assert.equal(applied.status, 200, JSON.stringify(applied.json));
  assert.equal(applied.json.counter, 1);
  assert.equal(applied.json.containerId, question.json.containerId);
  const code = await rt.call(
    'GET',
    `/v1/upgrades/confirmation?publicKey=${encodeURIComponent(PUBLIC_KEY)}&product=ERP`,
  );
  assert.equal(code.status, 200);
  assert.equal(code.json.confirmationCode, applied.json.confirmationCode);

  const change = await events.nextWhere(
    (e) => e.event === 'license-change' && (e.data.changed as string[]).includes(applied.json.file as string),
  );
  assert.equal(change.data.product, 'ERP');
  assert.equal((await rt.call('POST', '/v1/check', { ...app, feature: 'payroll', nonce: nonce() })).status, 200);
});

test('a client that reconnects with Last-Event-ID gets what it missed, or a reset when it cannot', async (t) => {
  const rt = await startRuntime(t);
  const hub = rt.running.runtime.events;
  const first = hub.publish({
    kind: 'session-freed',
    sessionId: 's1',
    pid: 1,
    product: 'ERP',
    reason: 'process-exited',
  });
  hub.publish({ kind: 'session-freed', sessionId: 's2', pid: 2, product: 'CAD', reason: 'process-exited' });
  hub.publish({ kind: 'session-freed', sessionId: 's3', pid: 3, product: 'ERP', reason: 'process-exited' });
  const url = rt.running.url as string;

  const resumed = await openEvents({ url }, '?product=ERP', { 'last-event-id': first.id });
  t.after(() => resumed.close());
  const missed = await resumed.next();
  assert.equal(missed.data.sessionId, 's3', 'the CAD event is filtered out');
  assert.equal(missed.event, 'session-freed');

  const other = await openEvents({ url }, '', { 'last-event-id': 'another-run-7' });
  t.after(() => other.close());
  assert.equal((await other.next()).event, 'reset');
  // Then live events follow.
  hub.publish({ kind: 'seat-lost', seatId: 'x', product: 'ERP', code: 'LICTOR_E_MANAGER_UNREACHABLE', message: 'm' });
  assert.equal((await other.next()).event, 'seat-lost');
});
