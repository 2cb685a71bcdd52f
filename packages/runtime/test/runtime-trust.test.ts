/**
 * The runtime's licensing states with the SDK's trust options: the clock mark (its tolerance
 * reaches every state: a clock set back beyond it refuses time-limited licenses), and the
 * vendor's blacklist downloaded from a License Center on the runtime's scheduler (a fake center
 * on loopback serving a blacklist the vendor signed), failures told to `onWarning`.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { encodeBlacklist, type LictorError } from '@lictor/protocol';
import type { Licensing } from '@lictor/sdk';
import { doc, entry, nonce, PUBLIC_KEY, startRuntime, vendor, writeLicenses } from './runtime-fixture.js';

const HOUR = 3_600_000;

test('the clock tolerance reaches every licensing state: a clock set back beyond it refuses time-limited licenses', async (t) => {
  const rt = await startRuntime(t, { clock: { toleranceMs: HOUR } });
  await writeLicenses(rt.licenses, {
    'limited.lic': doc({ licenses: [entry({ expiresAt: '2027-01-01T00:00:00.000Z' })] }),
  });
  const check = () => rt.call('POST', '/v1/check', { publicKey: PUBLIC_KEY, product: 'ERP', nonce: nonce() });
  assert.equal((await check()).status, 200);
  const [pooled] = rt.running.runtime.pool.entries();
  assert.equal(pooled?.licensing.clock().toleranceMs, HOUR);

  // Within the tolerance: still licensed. Beyond it (the SDK's default would forgive a day): refused.
  rt.scheduler.setClock(rt.scheduler.now() - HOUR / 2);
  assert.equal((await check()).status, 200);
  rt.scheduler.setClock(rt.scheduler.now() - 2 * HOUR);
  const back = await check();
  assert.equal(back.json.code, 'LICTOR_E_CLOCK_ROLLBACK', JSON.stringify(back.json));
});

/** A License Center on loopback answering `GET /v1/blacklist` with `body` (or a 500 when `null`); counts the downloads. */
async function fakeCenter(t: TestContext, body: () => string | null) {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.url ?? '');
    const text = body();
    res.writeHead(text === null ? 500 : 200, { 'content-type': 'text/plain' });
    res.end(text ?? 'down');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** Waits (real time, at most 5 s) until the state's blacklist download has an outcome. */
async function downloaded(licensing: Licensing, what: 'lastSuccessAt' | 'lastError'): Promise<void> {
  for (let i = 0; i < 500 && licensing.blacklistRefresh()?.[what] === undefined; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.ok(licensing.blacklistRefresh()?.[what], JSON.stringify(licensing.blacklistRefresh()));
}

test("a vendor's blacklist is downloaded on the runtime's scheduler and blacklists at once; failures are warnings", async (t) => {
  const banned = doc();
  let up = true;
  const center = await fakeCenter(t, () =>
    up
      ? encodeBlacklist(
          {
            format: 1,
            issuedAt: '2026-02-15T00:00:00.000Z',
            sequence: 3,
            serials: [banned.serial],
            activations: [],
          },
          vendor,
        )
      : null,
  );
  const warnings: LictorError[] = [];
  const rt = await startRuntime(t, {
    blacklistRefresh: [{ publicKey: PUBLIC_KEY, center: center.url, intervalMs: 6 * HOUR, retryMs: 60_000 }],
    onWarning: (e) => warnings.push(e),
  });
  await writeLicenses(rt.licenses, { 'a.lic': banned });
  const check = () => rt.call('POST', '/v1/check', { publicKey: PUBLIC_KEY, product: 'ERP', nonce: nonce() });
  // The first request opens the licensing state; its download is due at once on the runtime's clock.
  assert.equal((await check()).status, 200);
  assert.equal(center.seen.length, 0, 'nothing is downloaded before the scheduler runs it');
  const licensing = rt.running.runtime.pool.entries()[0]?.licensing as Licensing;
  rt.scheduler.advance(0);
  await downloaded(licensing, 'lastSuccessAt');
  assert.equal(center.seen.length, 1);
  assert.match(center.seen[0] ?? '', /^\/v1\/blacklist\?nonce=/);
  assert.equal(licensing.blacklistRefresh()?.sequence, 3);
  const refused = await check();
  assert.equal(refused.json.code, 'LICTOR_E_BLACKLISTED', JSON.stringify(refused.json));

  // The center goes down: the next download fails, and the runtime's owner is told.
  up = false;
  rt.scheduler.advance(6 * HOUR);
  await downloaded(licensing, 'lastError');
  assert.equal(center.seen.length, 2);
  assert.equal(warnings.length, 1);
  assert.ok(warnings[0]?.code.startsWith('LICTOR_E_'), warnings[0]?.message);
});
