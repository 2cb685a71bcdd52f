/**
 * Hot plug on SoftHSM2: a token is "pulled out" by moving its directory out of the token
 * directory and "put back" by moving it back; the monitor notices both at its next check. The
 * monitors' time is a fake scheduler: a check runs when the test moves time past the interval.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { LictorError, type TokenPublicKey } from '@lictor/protocol';
import { FakeScheduler } from '@lictor/protocol/testing';
import {
  DEFAULT_PRESENCE_INTERVAL_MS,
  openTokenModule,
  proveTokenPresence,
  type TokenMissing,
  type TokenModule,
  TokenMonitor,
  type TokenPresence,
} from '../src/index.js';
import { createSoftHsm, type SoftHsm, softhsmModule, type TestToken, USER_PIN } from './softhsm.js';

const hsm = softhsmModule();
const INTERVAL_MS = 300;
/** A generous bound on one check's real work on a loaded machine (a re-initialization, a login, a signature). */
const CHECK_BOUND_MS = 20_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe('hot plug on SoftHSM2', { skip: 'skip' in hsm ? hsm.skip : false }, () => {
  let softhsm: SoftHsm;
  let first: TestToken;
  let second: TestToken;
  let module: TokenModule;
  const keys = new Map<string, TokenPublicKey>();
  const monitors: TokenMonitor[] = [];

  function monitor(
    token: TestToken,
    options: { pin?: string; intervalMs?: number; scheduler?: FakeScheduler } = {},
  ): TokenMonitor {
    const key = keys.get(token.serial);
    assert.ok(key);
    const m = new TokenMonitor({
      module,
      token: { serial: token.serial },
      publicKey: key.text,
      pin: options.pin ?? USER_PIN,
      intervalMs: options.intervalMs ?? INTERVAL_MS,
      ...(options.scheduler === undefined ? {} : { scheduler: options.scheduler }),
    });
    monitors.push(m);
    return m;
  }

  before(async () => {
    softhsm = await createSoftHsm();
    first = await softhsm.initToken('first');
    second = await softhsm.initToken('second');
    module = openTokenModule('path' in hsm ? hsm.path : undefined);
    for (const token of [first, second]) {
      const session = await module.openToken({ serial: token.serial });
      await session.login(USER_PIN);
      keys.set(token.serial, (await session.generateKey('lictor')).publicKey);
      await session.close();
    }
  });

  after(async () => {
    for (const m of monitors) await m.stop();
    await module?.close();
    await softhsm?.cleanup();
  });

  test('the default interval is a few seconds', () => {
    assert.equal(DEFAULT_PRESENCE_INTERVAL_MS, 3000);
    const key = keys.get(first.serial);
    assert.ok(key);
    assert.equal(new TokenMonitor({ module, token: { serial: first.serial }, publicKey: key }).intervalMs, 3000);
  });

  test('pulling a token out is reported at the next check, putting it back restores it', async () => {
    const scheduler = new FakeScheduler();
    const m = monitor(first, { scheduler });
    const changes: TokenPresence[] = [];
    m.on('change', (s) => changes.push(s));
    const initial = await m.start();
    assert.equal(initial.present, true);
    await scheduler.whenPending();

    const removed = once(m, 'removed') as Promise<[TokenMissing]>;
    await softhsm.unplug(first);
    scheduler.advance(INTERVAL_MS - 1);
    const present = () => m.status?.present;
    assert.equal(present(), true, 'no check before the interval');
    scheduler.advance(1);
    const [gone] = await withTimeout(removed, CHECK_BOUND_MS, "'removed'");
    assert.equal(gone.code, 'LICTOR_E_TOKEN_ABSENT');
    assert.match(gone.reason, new RegExp(first.serial));
    assert.equal(gone.checkedAt.getTime(), scheduler.now(), 'checked on the scheduler clock');
    assert.equal(present(), false);
    await scheduler.whenPending();

    const inserted = once(m, 'inserted');
    await softhsm.replug(first);
    scheduler.advance(INTERVAL_MS);
    await withTimeout(inserted, CHECK_BOUND_MS, "'inserted'");
    assert.equal(present(), true);
    assert.deepEqual(
      changes.map((c) => c.present),
      [true, false, true],
    );
    // The session the monitor holds works again: it reads the token's memory.
    assert.deepEqual(await m.withSession((s) => s.listData()), []);
    await m.stop();
  });

  test('pulling one token out does not disturb the monitor of another token of the same module', async () => {
    const scheduler = new FakeScheduler();
    const a = monitor(first, { scheduler });
    const b = monitor(second, { scheduler });
    const bEvents: string[] = [];
    b.on('removed', () => bEvents.push('removed'));
    assert.equal((await a.start()).present, true);
    assert.equal((await b.start()).present, true);
    await scheduler.whenPending(2);

    const removed = once(a, 'removed');
    await softhsm.unplug(first);
    scheduler.advance(INTERVAL_MS);
    await withTimeout(removed, CHECK_BOUND_MS, "'removed'");
    // Several checks of both monitors while the first token is out (each re-initializes the module).
    for (let i = 0; i < 3; i++) {
      await withTimeout(scheduler.whenPending(2), CHECK_BOUND_MS, 'both checks');
      scheduler.advance(INTERVAL_MS);
    }
    await withTimeout(scheduler.whenPending(2), CHECK_BOUND_MS, 'both checks');
    const during = await b.check();
    assert.equal(during.present, true, JSON.stringify(during));
    assert.deepEqual(bEvents, []);

    const inserted = once(a, 'inserted');
    await softhsm.replug(first);
    scheduler.advance(INTERVAL_MS);
    await withTimeout(inserted, CHECK_BOUND_MS, "'inserted'");
    assert.equal((await b.check()).present, true);
    await a.stop();
    await b.stop();
  });

  test('operations on a pulled-out token fail with TOKEN_ABSENT instead of answering "nothing there"', async () => {
    const key = keys.get(first.serial);
    assert.ok(key);
    const session = await module.openToken({ serial: first.serial });
    await session.login(USER_PIN);
    await session.writeData('container', new Uint8Array([1, 2, 3]));
    await softhsm.unplug(first);
    try {
      for (const operation of [
        () => session.readData('container'),
        () => session.listData(),
        () => proveTokenPresence(session, key),
      ]) {
        await assert.rejects(operation(), (err: unknown) => {
          assert.ok(err instanceof LictorError);
          assert.equal(err.code, 'LICTOR_E_TOKEN_ABSENT', err.message);
          return true;
        });
      }
    } finally {
      await softhsm.replug(first);
    }
    await session.close();
    await module.reinitialize();
    const again = await module.openToken({ serial: first.serial });
    await again.login(USER_PIN);
    assert.deepEqual(await again.readData('container'), new Uint8Array([1, 2, 3]));
    await again.deleteData('container');
    await again.close();
  });

  test('a token that is present but is not the registered one is reported as not genuine', async () => {
    const secondKey = keys.get(second.serial);
    assert.ok(secondKey);
    const m = new TokenMonitor({
      module,
      token: { serial: first.serial },
      publicKey: secondKey,
      pin: USER_PIN,
      intervalMs: INTERVAL_MS,
    });
    monitors.push(m);
    const status = await m.check();
    assert.equal(status.present, false);
    assert.equal(status.present === false && status.code, 'LICTOR_E_TOKEN_NOT_GENUINE');
  });

  test('a wrong PIN is reported and not retried until another PIN is given', async () => {
    const scheduler = new FakeScheduler();
    const m = monitor(second, { pin: '000000', scheduler });
    const tries: string[] = [];
    m.on('change', (s) => tries.push(s.present ? 'present' : s.code));
    const status = await m.start();
    assert.equal(status.present === false && status.code, 'LICTOR_E_TOKEN_PIN_INVALID');
    for (let i = 0; i < 2; i++) {
      await withTimeout(scheduler.whenPending(), CHECK_BOUND_MS, 'the next check');
      scheduler.advance(INTERVAL_MS);
    }
    await withTimeout(scheduler.whenPending(), CHECK_BOUND_MS, 'the next check');
    const again = await m.check();
    assert.equal(again.present === false && again.code, 'LICTOR_E_TOKEN_PIN_INVALID');
    assert.equal(again.present === false && again.reason, status.present === false && status.reason);
    assert.equal(again.checkedAt.getTime(), scheduler.now());
    m.setPin(USER_PIN);
    assert.equal((await m.check()).present, true);
    assert.deepEqual(tries, ['LICTOR_E_TOKEN_PIN_INVALID', 'present']);
    await m.stop();
  });
});
