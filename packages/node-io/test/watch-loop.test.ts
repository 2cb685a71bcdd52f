import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { watchLoop } from '@lictor/node-io';

async function dir(t: TestContext): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'lictor-watch-loop-'));
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}

/** Resolves when `predicate` holds, polling every 10 ms; fails after `ms` (generous: machines are busy). */
async function until(predicate: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a file event starts a check; a poll period far away never does meanwhile', async (t) => {
  const d = await dir(t);
  let checks = 0;
  const stop = watchLoop(
    async () => {
      checks++;
      return undefined;
    },
    { dirs: [d], intervalMs: 3_600_000, debounceMs: 5 },
  );
  t.after(stop);
  await writeFile(join(d, 'x.lic'), 'x');
  await until(() => checks >= 1);
});

test('checks never overlap; a call during a check runs it once more; "again" runs it once more', async (t) => {
  const d = await dir(t);
  let active = 0;
  let maxActive = 0;
  let checks = 0;
  let release: (() => void) | undefined;
  const stop = watchLoop(
    async () => {
      checks++;
      active++;
      maxActive = Math.max(maxActive, active);
      if (checks === 1) await new Promise<void>((r) => (release = r));
      active--;
      return checks === 2 ? 'again' : undefined;
    },
    { dirs: [d], intervalMs: 3_600_000, debounceMs: 1 },
  );
  t.after(stop);
  await writeFile(join(d, 'a'), '1');
  await until(() => release !== undefined);
  for (const n of ['b', 'c', 'd']) await writeFile(join(d, n), n); // all during the first check
  await new Promise((r) => setTimeout(r, 50)); // let their events arrive while the check is held
  release?.();
  await until(() => checks >= 3); // the held check, one more for the events, one for 'again'
  assert.equal(maxActive, 1);
});

test('names filter the events; the poll still runs the check', async (t) => {
  const d = await dir(t);
  let checks = 0;
  const stop = watchLoop(
    async () => {
      checks++;
      return undefined;
    },
    { dirs: [d], names: ['access.rules'], intervalMs: 3_600_000, debounceMs: 1 },
  );
  t.after(stop);
  await writeFile(join(d, 'other.txt'), 'x');
  await new Promise((r) => setTimeout(r, 200)); // time for its event to arrive and be filtered out
  assert.equal(checks, 0);
  await writeFile(join(d, 'access.rules'), 'x');
  await until(() => checks >= 1);
  const polled = watchLoop(
    async () => {
      checks += 100;
      return undefined;
    },
    { dirs: [join(d, 'missing')], intervalMs: 5 },
  );
  t.after(polled);
  await until(() => checks >= 100);
});
