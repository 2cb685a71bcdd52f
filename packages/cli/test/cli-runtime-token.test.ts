/**
 * A dongle on the Lictor Runtime's computer (SoftHSM2): the vendor programs a token with
 * `lictor center token program`; a real runtime (`openRuntime` with the `tokens` option, the
 * presence checks on a fake scheduler) answers checks and sessions granted by it over loopback
 * HTTP, signed by the container key read from the token's private memory and verified with the
 * vendor key alone; pulled out, its license is refused with the SDK's token code and the event
 * stream says so; plugged back in, it is granted again, without a restart. Without the token's
 * container keys (the private object gone), checks are granted unsigned, saying why.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, type TestContext, test } from 'node:test';
import { decodeLicenseFile, parsePublicKey, TOKEN_KEYS_LABEL, verifyRuntimeAnswer } from '@lictor/protocol';
import { FakeScheduler } from '@lictor/protocol/testing';
import { openRuntime, type RunningRuntime } from '@lictor/runtime';
import { openTokenModule } from '@lictor/token';
import { type EventStream, openEvents } from '../../runtime/test/runtime-fixture.js';
import { type BinSession, binSession } from './bin.js';
import { cliOn, workstation } from './run-cli.js';
import {
  modulePath,
  skipWithoutSoftHsm,
  type TestToken,
  type TokenWorld,
  tokenWorld,
  USER_PIN,
} from './token-world.js';

const PROGRAMMING_STATION = workstation('programming-station', '02:00:00:00:77:02');
const DESK = workstation('desk-7', '02:00:00:00:77:07');
const SECRET = new Uint8Array(32).fill(0x3c);
/** The presence checks' period (on the fake scheduler: it passes only when the test says). */
const CHECK_MS = 1000;
const nonce = () => randomBytes(16).toString('base64url');

describe('the Lictor Runtime serves licenses on hardware tokens (SoftHSM2)', { skip: skipWithoutSoftHsm }, () => {
  let world: TokenWorld<[TestToken, TestToken, TestToken]>;
  let dongle: TestToken;
  let keyless: TestToken;
  let served: TestToken;
  let session: BinSession | undefined;

  before(async () => {
    world = await tokenWorld({
      name: 'runtime-token',
      labels: ['desk-dongle', 'keyless-dongle', 'served-dongle'],
      features: ['render'],
      lictor: (env) => cliOn({ env, hardware: PROGRAMMING_STATION }).ok,
    });
    [dongle, keyless, served] = world.tokens;
  });

  after(async () => {
    session?.killAll();
    await world?.cleanup();
  });

  /** A runtime on loopback whose token checks run on `scheduler`, the PIN given to `token`. */
  async function serve(t: TestContext, token: TestToken, scheduler: FakeScheduler): Promise<RunningRuntime> {
    const root = await mkdtemp(join(world.root, 'rt-'));
    const running = await openRuntime({
      stateDir: join(root, 'state'),
      socket: join(root, 'rt.sock'),
      port: 0,
      licensePaths: [join(root, 'state', 'licenses')],
      computer: { env: world.env, hardware: async () => DESK, machineSecret: async () => SECRET },
      managerDiscovery: false,
      tokens: {
        module: modulePath,
        pinFile: world.pinFile,
        pinToken: { label: token.label },
        intervalMs: CHECK_MS,
        scheduler,
      },
    });
    t.after(() => running.close());
    return running;
  }

  async function post(running: RunningRuntime, path: string, body: unknown) {
    const res = await fetch(`${running.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  /** The next `license-change` event naming `path`, once the token checks ran one interval (theirs: 2 timers). */
  async function afterOneCheck(scheduler: FakeScheduler, events: EventStream, path: string) {
    const change = events.nextWhere(
      (e) => e.event === 'license-change' && ((e.data.changed as string[] | undefined) ?? []).includes(path),
    );
    await scheduler.whenPending(2);
    scheduler.advance(CHECK_MS);
    return change;
  }

  test('checks and sessions of a token license are signed; unplugged it is refused, plugged back granted', async (t) => {
    const issued = await world.issue('--type', 'single');
    await world.program(dongle, issued.serial);
    const scheduler = new FakeScheduler(Date.now());
    const running = await serve(t, dongle, scheduler);
    const publicKey = world.publicKey;
    const events = await openEvents({ socket: running.socket as string }, '?product=CAD');
    t.after(() => events.close());

    const checkSigned = async () => {
      const n = nonce();
      const check = await post(running, '/v1/check', { publicKey, product: 'CAD', feature: 'render', nonce: n });
      assert.equal(check.status, 200, JSON.stringify(check.json));
      const verified = verifyRuntimeAnswer<{ file: string; serial: string }>({
        publicKey,
        nonce: n,
        purpose: 'runtime-check',
        answer: check.json,
        product: 'CAD',
        feature: 'render',
        now: Date.now(),
      });
      return { check, verified };
    };
    const { check, verified } = await checkSigned();
    const path = check.json.file as string;
    assert.match(path, new RegExp(`^token:.+/${dongle.serial}$`));
    assert.equal(verified.answer.serial, issued.serial);
    // Signed by the license programmed on this very token: the proof's license names it.
    const proof = check.json.proof as { license: string; key: string };
    assert.equal(proof.key, 'container');
    const license = decodeLicenseFile(proof.license, parsePublicKey(publicKey));
    assert.equal(license.binding.kind === 'token' && license.binding.token.serial, dongle.serial);

    const sessionNonce = nonce();
    const session = await post(running, '/v1/sessions', {
      publicKey,
      product: 'CAD',
      pid: process.pid,
      nonce: sessionNonce,
    });
    assert.equal(session.status, 201, JSON.stringify(session.json));
    const opened = verifyRuntimeAnswer<{ licenseFile: string }>({
      publicKey,
      nonce: sessionNonce,
      purpose: 'runtime-session',
      answer: session.json,
      product: 'CAD',
      now: Date.now(),
    });
    assert.equal(opened.answer.licenseFile, path);

    await world.softhsm.unplug(dongle);
    await afterOneCheck(scheduler, events, path);
    const refused = await post(running, '/v1/check', { publicKey, product: 'CAD', nonce: nonce() });
    assert.equal(refused.json.code, 'LICTOR_E_TOKEN_ABSENT', JSON.stringify(refused.json));
    assert.match(refused.json.message as string, /not present; plug it in/);
    assert.equal(refused.json.proof, undefined, 'refusals are not signed');
    const noSession = await post(running, '/v1/sessions', {
      publicKey,
      product: 'CAD',
      pid: process.pid,
      nonce: nonce(),
    });
    assert.equal(noSession.json.code, 'LICTOR_E_TOKEN_ABSENT', JSON.stringify(noSession.json));

    await world.softhsm.replug(dongle);
    await afterOneCheck(scheduler, events, path);
    const again = await checkSigned();
    assert.equal(again.check.json.file, path);
  });

  test('a token whose container keys are gone still grants, unsigned, saying why', async (t) => {
    const issued = await world.issue('--type', 'single');
    await world.program(keyless, issued.serial);
    // The private object with the container keys removed (the key that proves presence stays).
    const module = openTokenModule(modulePath);
    try {
      const session = await module.openToken({ serial: keyless.serial });
      await session.login(USER_PIN);
      await session.deleteData(TOKEN_KEYS_LABEL);
      await session.close();
    } finally {
      await module.close();
    }
    const running = await serve(t, keyless, new FakeScheduler(Date.now()));
    const n = nonce();
    const check = await post(running, '/v1/check', { publicKey: world.publicKey, product: 'CAD', nonce: n });
    assert.equal(check.status, 200, JSON.stringify(check.json));
    assert.match(check.json.file as string, new RegExp(`/${keyless.serial}$`));
    assert.equal(check.json.proof, null);
    const unproven = check.json.unproven as { reason: string; message: string };
    assert.equal(unproven.reason, 'key-unavailable');
    assert.match(unproven.message, /private memory of the hardware token "keyless-dongle"/);
    assert.match(unproven.message, /holds no container keys/);
    assert.throws(
      () =>
        verifyRuntimeAnswer({
          publicKey: world.publicKey,
          nonce: n,
          purpose: 'runtime-check',
          answer: check.json,
          product: 'CAD',
          now: Date.now(),
        }),
      { code: 'LICTOR_E_ANSWER_UNPROVEN' },
    );
  });

  test('lictor runtime serve takes the token options of lictor manager serve, the PIN from LICTOR_TOKEN_PIN', async () => {
    const issued = await world.issue('--type', 'single');
    await world.program(served, issued.serial);
    const root = await mkdtemp(join(world.root, 'cli-rt-'));
    // The PIN from the environment, given to the token named by its label only (the other
    // tokens, programmed by the tests before, cannot prove their presence without it).
    session = binSession({ ...world.env, LICTOR_TOKEN_PIN: USER_PIN });
    const runtime = await session.serve(
      'runtime',
      'serve',
      '--state-dir',
      join(root, 'state'),
      '--no-socket',
      '--port',
      '0',
      '--license-path',
      join(root, 'state', 'licenses'),
      '--token-module',
      modulePath,
      '--token-label',
      served.label,
      '--token-check-ms',
      '500',
      '--log-level',
      'warn',
    );
    const n = nonce();
    const res = await fetch(`${runtime.url}/v1/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ publicKey: world.publicKey, product: 'CAD', nonce: n }),
    });
    const check = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 200, JSON.stringify(check));
    assert.match(check.file as string, new RegExp(`^token:.+/${served.serial}$`));
    const verified = verifyRuntimeAnswer<{ serial: string }>({
      publicKey: world.publicKey,
      nonce: n,
      purpose: 'runtime-check',
      answer: check,
      product: 'CAD',
      now: Date.now(),
    });
    assert.equal(verified.answer.serial, issued.serial);

    const status = await session.run('runtime', 'status', '--url', runtime.url);
    assert.match(status, new RegExp(`available\\s+${issued.serial}\\s+token:.+/${served.serial}`));
    // The other tokens' licenses are shown, refused: their presence needs the PIN, which is not theirs.
    assert.match(
      status,
      new RegExp(`LICTOR_E_TOKEN_PIN_REQUIRED.*${dongle.serial}|${dongle.serial}.*LICTOR_E_TOKEN_PIN_REQUIRED`),
    );
  });
});
