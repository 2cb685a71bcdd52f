import assert from 'node:assert/strict';
import { test } from 'node:test';
import { delay, systemScheduler } from '@lictor/protocol';
import { FAKE_SCHEDULER_START, FakeScheduler } from '@lictor/protocol/testing';

test('a fake scheduler runs timers in due order, each at its own time', () => {
  const s = new FakeScheduler();
  const seen: string[] = [];
  s.setTimeout(() => seen.push(`b@${s.now() - FAKE_SCHEDULER_START}`), 20);
  s.setTimeout(() => seen.push(`a@${s.now() - FAKE_SCHEDULER_START}`), 10);
  const every = s.setInterval(() => seen.push(`i@${s.now() - FAKE_SCHEDULER_START}`), 15);
  const cleared = s.setTimeout(() => seen.push('never'), 5);
  s.clearTimeout(cleared);
  assert.equal(s.advance(9), 0);
  assert.equal(s.advance(26), 4);
  assert.deepEqual(seen, ['a@10', 'i@15', 'b@20', 'i@30']);
  assert.equal(s.now(), FAKE_SCHEDULER_START + 35);
  s.clearInterval(every);
  assert.equal(s.pending, 0);
  assert.equal(s.advance(1000), 0);
});

test('a timer set by a callback runs in the same advance when it falls due within it', () => {
  const s = new FakeScheduler(0);
  const at: number[] = [];
  const tick = () => {
    at.push(s.now());
    if (at.length < 5) s.setTimeout(tick, 10);
  };
  s.setTimeout(tick, 10);
  s.advance(35);
  assert.deepEqual(at, [10, 20, 30]);
  assert.equal(s.runNext(), 1);
  assert.deepEqual(at, [10, 20, 30, 40]);
});

test('whenPending resolves once a timer is set; the clock can be stepped without running timers', async () => {
  const s = new FakeScheduler(1_000);
  const waiting = s.whenPending(1);
  const ran: number[] = [];
  s.setTimeout(() => ran.push(s.now()), 100);
  await waiting;
  s.setClock(500);
  assert.equal(s.now(), 500);
  assert.deepEqual(ran, []);
  assert.equal(s.nextDueAt(), 1_100);
  assert.throws(() => s.advance(-1), RangeError);
  const done = delay(s, 600);
  s.advance(600);
  await done;
  assert.deepEqual(ran, [1_100]);
});

test('the system scheduler reads the real clock and its timers do not hold the process', () => {
  const before = Date.now();
  assert.ok(systemScheduler.now() >= before);
  const once = systemScheduler.setTimeout(() => {}, 60_000);
  const every = systemScheduler.setInterval(() => {}, 60_000);
  assert.equal((once as unknown as NodeJS.Timeout).hasRef(), false);
  assert.equal((every as unknown as NodeJS.Timeout).hasRef(), false);
  systemScheduler.clearTimeout(once);
  systemScheduler.clearInterval(every);
  systemScheduler.clearTimeout(undefined);
});
