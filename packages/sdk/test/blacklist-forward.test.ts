/**
 * A blacklist only moves forward: an older genuinely signed list, a deleted list file and a list
 * signed by another key must not bring back a blacklisted license (through the SDK API, and the
 * refresher on a fake scheduler against a fake center over HTTP).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  encodeBlacklist,
  encodeLicenseFile,
  generateVendorKeys,
  type LictorError,
  loadSigner,
  type VendorSigner,
} from '@lictor/protocol';
import { FakeScheduler } from '@lictor/protocol/testing';
import { BlacklistRefresher, type CheckResult, type FetchedBlacklist, SEEN_BLACKLIST_FILE_NAME } from '../src/index.js';
import { entry, HW, OWNER, open, SERIAL, vendor } from './container-fixtures.js';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-blacklist-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const LICENSE = encodeLicenseFile(
  {
    format: 1,
    containerId: 'c1',
    activationId: 'a1',
    serial: SERIAL,
    pin: 1,
    issuedAt: '2026-01-01T00:00:00.000Z',
    counter: 0,
    owner: OWNER,
    binding: { kind: 'hardware', hardware: HW },
    licenses: [entry()],
  },
  vendor,
);

function list(sequence: number, activations: string[], signer: VendorSigner = vendor): string {
  return encodeBlacklist(
    { format: 1, issuedAt: `2026-02-0${Math.min(sequence + 1, 9)}T00:00:00.000Z`, sequence, serials: [], activations },
    signer,
  );
}

async function storeWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(root, 'store-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

function code(r: CheckResult): string {
  return r.ok ? 'ok' : r.code;
}

async function codeIn(dir: string): Promise<string> {
  const lic = await open(dir);
  try {
    return code(lic.check());
  } finally {
    await lic.close();
  }
}

/** A fake center whose `GET /v1/blacklist` answers what `body()` says now. */
async function center(body: () => string) {
  let requests = 0;
  const server = createServer((req, res) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/v1/blacklist') return res.writeHead(404).end();
    requests++;
    res.writeHead(200, { 'content-type': 'text/plain' }).end(body());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('a blacklist that only moves forward', () => {
  test('deleting blacklist.lictor does not revive what it blacklisted', async () => {
    const dir = await storeWith({ 'a.lic': LICENSE, 'blacklist.lictor': list(2, ['a1']) });
    assert.equal(await codeIn(dir), 'LICTOR_E_BLACKLISTED');
    await rm(join(dir, 'blacklist.lictor'));
    assert.equal(await codeIn(dir), 'LICTOR_E_BLACKLISTED');
  });

  test("a new store made by copying the license file elsewhere still sees the old store's copy of the list", async () => {
    const old = await storeWith({ 'a.lic': LICENSE, 'blacklist.lictor': list(2, ['a1']) });
    assert.equal(await codeIn(old), 'LICTOR_E_BLACKLISTED');
    await rm(join(old, 'blacklist.lictor'));
    await rm(join(old, 'a.lic'));
    const fresh = await storeWith({ 'a.lic': LICENSE });
    const lic = await open(fresh, { paths: [fresh, old] });
    try {
      assert.equal(code(lic.check()), 'LICTOR_E_BLACKLISTED');
    } finally {
      await lic.close();
    }
  });

  test('an older genuinely signed list in its place is not used, and is reported', async () => {
    const dir = await storeWith({ 'a.lic': LICENSE, 'blacklist.lictor': list(2, ['a1']) });
    assert.equal(await codeIn(dir), 'LICTOR_E_BLACKLISTED');
    await writeFile(join(dir, 'blacklist.lictor'), list(1, []));
    const lic = await open(dir);
    try {
      assert.equal(code(lic.check()), 'LICTOR_E_BLACKLISTED');
      const stale = lic.status().find((f) => f.path.endsWith('blacklist.lictor'));
      assert.equal(stale?.code, 'LICTOR_E_BLACKLIST_STALE');
      assert.match(stale?.reason ?? '', /sequence 1, .*\) is older than the one in force here \(sequence 2\)/);
    } finally {
      await lic.close();
    }
  });

  test("a newer list replaces the older one, also in the store's copy", async () => {
    const dir = await storeWith({ 'a.lic': LICENSE, 'blacklist.lictor': list(1, []) });
    assert.equal(await codeIn(dir), 'ok');
    const newer = list(2, ['a1']);
    await writeFile(join(dir, 'blacklist.lictor'), newer);
    assert.equal(await codeIn(dir), 'LICTOR_E_BLACKLISTED');
    assert.equal(await readFile(join(dir, SEEN_BLACKLIST_FILE_NAME), 'utf8'), newer);
  });

  test('a store copy replaced by a list signed by another key is reported and not used', async () => {
    const other = loadSigner(generateVendorKeys().privatePem);
    const dir = await storeWith({ 'a.lic': LICENSE, 'blacklist.lictor': list(2, ['a1']) });
    await writeFile(join(dir, SEEN_BLACKLIST_FILE_NAME), list(9, [], other));
    const lic = await open(dir);
    try {
      assert.equal(code(lic.check()), 'LICTOR_E_BLACKLISTED');
      assert.equal(lic.status().find((f) => f.path.endsWith(SEEN_BLACKLIST_FILE_NAME))?.code, 'LICTOR_E_WRONG_VENDOR');
    } finally {
      await lic.close();
    }
  });

  test('a store that cannot be written keeps no copy or mark, and everything else still works', async () => {
    const dir = await storeWith({ 'a.lic': LICENSE, 'blacklist.lictor': list(2, ['a1']) });
    const blocker = join(dir, 'not-a-directory');
    await writeFile(blocker, '');
    const lic = await open(dir, { store: join(blocker, 'store') });
    try {
      assert.equal(code(lic.check()), 'LICTOR_E_BLACKLISTED');
      assert.equal(lic.clock().mark !== null, true, 'the mark is kept in memory');
    } finally {
      await lic.close();
    }
  });

  test('lists made before sequences (all sequence 0) still add up', async () => {
    const dir = await storeWith({ 'a.lic': LICENSE });
    const legacy = encodeBlacklist(
      { format: 1, issuedAt: '2026-02-01T00:00:00.000Z', serials: [], activations: ['a1'] },
      vendor,
    );
    await writeFile(join(dir, 'blacklist.lictor'), legacy);
    assert.equal(await codeIn(dir), 'LICTOR_E_BLACKLISTED');
  });
});

describe('refreshing from the center', () => {
  test('an older genuinely signed list is refused with a typed error, and the newer one stays in force', async () => {
    const inForce = list(5, ['a1']);
    const dir = await storeWith({ 'a.lic': LICENSE, 'blacklist.lictor': inForce });
    const c = await center(() => list(3, []));
    const lic = await open(dir);
    try {
      await assert.rejects(lic.refreshBlacklist(c.url), (err: LictorError) => {
        assert.equal(err.code, 'LICTOR_E_BLACKLIST_STALE');
        assert.match(err.message, /sequence 3, older than sequence 5 already in force here; it was not installed/);
        return true;
      });
      assert.equal(code(lic.check()), 'LICTOR_E_BLACKLISTED');
      assert.equal(await readFile(join(dir, 'blacklist.lictor'), 'utf8'), inForce, 'nothing was written');
    } finally {
      await lic.close();
      await c.close();
    }
  });

  test('the refresher downloads on its schedule, retries after failures and refuses older or foreign lists', async () => {
    const other = loadSigner(generateVendorKeys().privatePem);
    let body = list(1, []);
    const c = await center(() => body);
    // Timers run only when the test says so.
    const scheduler = new FakeScheduler();
    const stored: FetchedBlacklist[] = [];
    const errors: string[] = [];
    let known = 0;
    let settled: () => void = () => {};
    const next = () =>
      new Promise<void>((resolve) => {
        settled = resolve;
      });
    const refresher = new BlacklistRefresher({
      center: c.url,
      publicKey: vendor.publicKey,
      known: () => known,
      store: async (f) => {
        stored.push(f);
        known = f.sequence;
        settled();
      },
      onError: (e) => {
        errors.push(e.code);
        settled();
      },
      intervalMs: 60_000,
      retryMs: 5_000,
      scheduler,
    });
    /** Runs the next download (scheduled once the last one settled) and returns its delay. */
    const fire = async () => {
      await scheduler.whenPending(1);
      const ms = (scheduler.nextDueAt() as number) - scheduler.now();
      const done = next();
      scheduler.runNext();
      await done;
      return ms;
    };
    try {
      refresher.start();
      assert.equal(await fire(), 0, 'at once');
      assert.deepEqual(
        stored.map((f) => f.sequence),
        [1],
      );
      body = list(0, []);
      assert.equal(await fire(), 60_000, 'then every interval');
      assert.deepEqual(errors, ['LICTOR_E_BLACKLIST_STALE']);
      body = list(7, ['a1'], other);
      assert.equal(await fire(), 5_000, 'a failure is retried sooner');
      assert.deepEqual(errors, ['LICTOR_E_BLACKLIST_STALE', 'LICTOR_E_WRONG_VENDOR']);
      body = list(2, ['a1']);
      assert.equal(await fire(), 5_000);
      assert.deepEqual(
        stored.map((f) => f.sequence),
        [1, 2],
      );
      assert.equal(refresher.status().sequence, 2);
      assert.equal(refresher.status().lastError, undefined);
      await scheduler.whenPending(1);
      assert.equal((scheduler.nextDueAt() as number) - scheduler.now(), 60_000, 'back to the interval');
      refresher.stop();
      assert.equal(scheduler.pending, 0);
      assert.equal(c.requests(), 4);
    } finally {
      refresher.stop();
      await c.close();
    }
  });
});
