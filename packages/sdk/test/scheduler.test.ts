/**
 * `openLicensing`'s `scheduler` option: the clock of `check()`, the change poll, the clock mark's
 * background write and the scheduled blacklist download all run on it, so that a test moves time
 * with a `FakeScheduler` instead of waiting for it.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeBlacklist, encodeLicenseFile } from '@lictor/protocol';
import { FakeScheduler } from '@lictor/protocol/testing';
import type { ChangeEvent, CheckResult, Licensing } from '../src/index.js';
import { entry, HW, OWNER, open, SERIAL, vendor } from './container-fixtures.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ISSUED = Date.parse('2027-03-01T00:00:00.000Z');

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-scheduler-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

let n = 0;
/** A license of SCADA bound to {@link HW}, issued at {@link ISSUED}, expiring at `expiresAtMs` (`null`: never). */
function license(expiresAtMs: number | null, serial = SERIAL): string {
  n++;
  return encodeLicenseFile(
    {
      format: 1,
      containerId: `c${n}`,
      activationId: `a${n}`,
      serial,
      pin: 1,
      issuedAt: new Date(ISSUED).toISOString(),
      counter: 0,
      owner: OWNER,
      binding: { kind: 'hardware', hardware: HW },
      licenses: [{ ...entry(), expiresAt: expiresAtMs === null ? null : new Date(expiresAtMs).toISOString() }],
    },
    vendor,
  );
}

function code(r: CheckResult): string {
  return r.ok ? 'ok' : r.code;
}

/** The next change event (bounded by a real-time timeout, which only a failing test reaches). */
function nextChange(licensing: Licensing, timeoutMs = 5000): Promise<ChangeEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no change event')), timeoutMs);
    const off = licensing.on('change', (event) => {
      clearTimeout(timer);
      off();
      resolve(event);
    });
  });
}

describe('the scheduler option', () => {
  test('a license expires at the fake clock, a renewal is picked up by the poll on fake time, and close() clears every timer', async () => {
    const store = await mkdtemp(join(root, 'store-'));
    const expiresAt = ISSUED + DAY + HOUR;
    await writeFile(join(store, 'term.lic'), license(expiresAt));
    // A search directory made only later: no file system event tells about it, only the poll.
    const later = join(root, `later-${n}`);
    const scheduler = new FakeScheduler(ISSUED + DAY);
    // A poll period no real-time wait in this test could reach: only the fake clock runs it.
    const app = await open(store, { paths: [store, later], scheduler, watch: true, watchIntervalMs: DAY });
    try {
      // Before any check (which sets the record of use's timer), the same store unwatched has one
      // timer fewer (the change poll); the clock mark's write is there in both.
      const still = new FakeScheduler(ISSUED + DAY);
      const unwatched = await open(store, { scheduler: still, watch: false });
      const unwatchedTimers = still.pending;
      await unwatched.close();
      assert.ok(unwatchedTimers >= 1, "the clock mark's write runs on the scheduler");
      assert.ok(scheduler.pending > unwatchedTimers, 'the change poll runs on the scheduler');
      assert.equal(code(app.check()), 'ok');
      assert.equal(app.clock().mark, new Date(ISSUED + DAY).toISOString(), "the mark is the scheduler's time");

      scheduler.advance(HOUR - 1);
      assert.equal(code(app.check()), 'ok', 'valid until the last millisecond');
      scheduler.advance(1);
      assert.equal(code(app.check()), 'LICTOR_E_LICENSE_EXPIRED', 'expired at the fake time, with no reload');

      const changed = nextChange(app);
      // Another serial: of two files of one serial, the rule of the most recently used one would
      // compare the fake clock's time of use with the file's real creation time.
      await mkdir(later);
      await writeFile(join(later, 'renewed.lic'), license(expiresAt + 365 * DAY, 'LX-8P3N-2WQE-7YTB'));
      scheduler.advance(DAY);
      const event = await changed;
      assert.deepEqual(event.added, [join(later, 'renewed.lic')]);
      assert.equal(code(app.check()), 'ok', 'the renewal serves once the event fires');
    } finally {
      await app.close();
    }
    assert.equal(scheduler.pending, 0, 'close() stops every timer it set');
  });

  test('the scheduled blacklist download runs on the scheduler option when it names none of its own', async () => {
    const store = await mkdtemp(join(root, 'store-'));
    await writeFile(join(store, 'forever.lic'), license(null));
    const blacklist = encodeBlacklist(
      { format: 1, issuedAt: '2027-03-02T00:00:00.000Z', sequence: 1, serials: [], activations: [`a${n}`] },
      vendor,
    );
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'text/plain' }).end(blacklist);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const center = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const scheduler = new FakeScheduler(ISSUED + DAY);
    const app = await open(store, { scheduler, blacklistRefresh: { center, intervalMs: DAY } });
    try {
      assert.equal(code(app.check()), 'ok');
      assert.equal(requests, 0, 'the first download waits for the fake clock');
      scheduler.advance(0);
      // The download and the reload run on real I/O: wait for their outcome.
      const deadline = Date.now() + 5000;
      while (app.blacklistRefresh()?.lastSuccessAt === undefined) {
        assert.ok(Date.now() < deadline, `no download: ${JSON.stringify(app.blacklistRefresh())}`);
        await new Promise((r) => setImmediate(r));
      }
      assert.equal(requests, 1);
      assert.equal(app.blacklistRefresh()?.lastSuccessAt, new Date(ISSUED + DAY).toISOString());
      assert.equal(code(app.check()), 'LICTOR_E_BLACKLISTED');
    } finally {
      await app.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
    assert.equal(scheduler.pending, 0);
  });
});
