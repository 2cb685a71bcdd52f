/**
 * Answer sessions with the runtime (`docs/spec/signed-answers.md`, "Sessions with the runtime"),
 * through `RuntimeClient` over real sockets: after the first verified signed answer of a license,
 * the client seals a secret to that license's container key; the answer that opens the session is
 * signed (with the license the runtime then holds the session under: after a remote upgrade between
 * the two, the new one), and the client's later checks and sessions come MAC'd; after a runtime
 * restart it gets a signed answer again and re-establishes the session; with
 * `proof: 'signature'` every answer is signed. Fake runtimes on loopback (`node:http`, relaying
 * to a genuine runtime or holding a genuine license of their own) that MAC under a secret they
 * made up, replay a MAC'd answer for another nonce, or MAC a statement of another container are
 * refused with `LICTOR_E_ANSWER_UNPROVEN`, reason `signature`, as a forged signature is. The
 * runtime's session table keeps at most its bound, the least recently used dropped.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import {
  ANSWER_SESSION_HEADER,
  answerMacKey,
  answerSessionId,
  answerSessionOpener,
  encodeLicenseFile,
  generateContainerKeys,
  LictorError,
  loadContainerSigner,
  macRuntimeAnswer,
  randomBytes,
  sealAnswerSession,
  signRuntimeAnswer,
  verifyRuntimeAnswer,
} from '@lictor/protocol';
import { FakeScheduler } from '@lictor/protocol/testing';
import {
  AnswerSessions,
  callRuntime,
  openRuntime,
  RuntimeClient,
  type RuntimeClientOptions,
  sessionRefOf,
} from '../src/index.js';
import {
  activateLicense,
  answerQuestion,
  answerRequest,
  doc,
  entry,
  HW,
  nonce,
  PUBLIC_KEY,
  SECRET,
  startRuntime,
  type TestRuntime,
  vendor,
} from './runtime-fixture.js';

/** The application's clock: the fixture runtime's start. */
const NOW = Date.parse('2026-03-01T00:00:00Z');

function client(target: RuntimeClientOptions['target'], options: Partial<RuntimeClientOptions> = {}): RuntimeClient {
  return new RuntimeClient({ target, publicKey: PUBLIC_KEY, now: () => NOW, ...options });
}

function refusedWith(reason: string) {
  return (err: unknown) => {
    assert.ok(err instanceof LictorError, String(err));
    assert.equal(err.code, 'LICTOR_E_ANSWER_UNPROVEN', err.message);
    assert.equal(err.details?.reason, reason, err.message);
    return true;
  };
}

/** What a fake answers: the request's headers and body parsed; the answer's status and JSON. */
type Respond = (
  headers: IncomingHttpHeaders,
  body: Record<string, unknown>,
) => Promise<{ status: number; json: unknown }> | { status: number; json: unknown };

/** A fake runtime on loopback: `node:http`, JSON in and out. */
async function fakeRuntime(t: TestContext, respond: Respond): Promise<string> {
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => {
      text += c.toString();
    });
    req.on('end', async () => {
      const answer = await respond(req.headers, JSON.parse(text));
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Forwards a check to the genuine runtime at `url`, its session header included. */
function relay(url: string, headers: IncomingHttpHeaders, body: unknown) {
  const session = headers[ANSWER_SESSION_HEADER];
  return callRuntime(
    { url },
    'POST',
    '/v1/check',
    body,
    undefined,
    typeof session === 'string' ? { [ANSWER_SESSION_HEADER]: session } : {},
  );
}

/** A runtime with a license of ERP (feature reports) that signs. */
async function signingRuntime(t: TestContext): Promise<TestRuntime & { url: string }> {
  const rt = await startRuntime(t);
  await activateLicense(rt.licenses);
  rt.processes.start(700, '2');
  return { ...rt, url: rt.running.url as string };
}

test("a client's third check is MAC'd within its session (the second opens it, signed), and its sessions too; the MAC'd proof carries no license", async (t) => {
  const rt = await signingRuntime(t);
  const c = client({ url: rt.url });
  const first = await c.check('ERP', 'reports');
  assert.equal(first.key, 'container', 'the first answer is signed');
  const second = await c.check('ERP', 'reports');
  assert.equal(second.key, 'container', 'the second, whose sealed secret the runtime opens, is signed too');
  const third = await c.check('ERP', 'reports');
  assert.equal(third.key, 'session', "the third is MAC'd (the sealed secret sent along again, not opened again)");
  assert.deepEqual(third.answer, first.answer);
  assert.equal(third.license.containerId, first.license.containerId);
  assert.equal((await c.check('ERP', 'reports')).key, 'session', 'then the id alone');

  // Another feature granted by the same license: its first answer is signed (the client does not
  // know yet which license grants it), then MAC'd under the same session.
  assert.equal((await c.check('ERP')).key, 'container');
  assert.equal((await c.check('ERP')).key, 'session');

  // A session of the product and feature the session's license granted: MAC'd at once.
  const opened = await c.openSession('ERP', 700, 'reports');
  assert.equal(opened.key, 'session');
  assert.equal(opened.answer.pid, 700);
  // Signed for a new client, signed again as it opens its session, then MAC'd.
  const fresh = client({ url: rt.url });
  assert.equal((await fresh.openSession('ERP', 700, 'reports')).key, 'container');
  const opening = await fresh.openSession('ERP', 700, 'reports');
  assert.equal(opening.key, 'container');
  const again = await fresh.openSession('ERP', 700, 'reports');
  assert.equal(again.key, 'session');
  assert.notEqual(again.answer.id, opened.answer.id);
  assert.equal(rt.running.runtime.status().sessions.count, 4);
  await c.closeSession(opened.answer.id);
  await c.closeSession(opening.answer.id);
  await c.closeSession(again.answer.id);

  // On the wire: `{ key, mac, signed }`, the statement naming the license's container.
  const secret = randomBytes(32);
  const sealed = sealAnswerSession(first.license, secret);
  const sealedCheck = (n: string) =>
    callRuntime(
      { url: rt.url },
      'POST',
      '/v1/check',
      { publicKey: PUBLIC_KEY, product: 'ERP', feature: 'reports', nonce: n },
      undefined,
      { [ANSWER_SESSION_HEADER]: `${answerSessionId(sealed)}.${sealed}` },
    );
  const openedBy = await sealedCheck(nonce());
  assert.equal(
    (openedBy.json as { proof: { key: string } }).proof.key,
    'container',
    'the answer that opens it: signed',
  );
  const n = nonce();
  const raw = await sealedCheck(n);
  const proof = (raw.json as { proof: Record<string, string> }).proof;
  assert.deepEqual(Object.keys(proof), ['key', 'mac', 'signed']);
  assert.equal(JSON.parse(proof.signed as string).container, first.license.containerId);
  const verified = verifyRuntimeAnswer({
    publicKey: PUBLIC_KEY,
    nonce: n,
    purpose: 'runtime-check',
    answer: raw.json,
    product: 'ERP',
    feature: 'reports',
    now: NOW,
    session: { secret, license: first.license },
  });
  assert.equal(verified.key, 'session');
});

test('the runtime answers a session it does not hold, a sealed secret that does not open, or no header with a signature; a malformed header is a 400', async (t) => {
  const rt = await signingRuntime(t);
  const check = (headers: Record<string, string>) =>
    callRuntime(
      { url: rt.url },
      'POST',
      '/v1/check',
      { publicKey: PUBLIC_KEY, product: 'ERP', feature: 'reports', nonce: nonce() },
      undefined,
      headers,
    );
  const keyOf = (a: { json: unknown }) => (a.json as { proof: { key: string } }).proof.key;
  assert.equal(keyOf(await check({})), 'container');
  assert.equal(keyOf(await check({ [ANSWER_SESSION_HEADER]: 'Qdm_OQZ9HgJO-RiqyKaXGw' })), 'container');
  // Sealed to another container's key: it does not open with the runtime's.
  const other = generateContainerKeys();
  const sealed = sealAnswerSession(doc({ containerKeys: other.public }), randomBytes(32));
  assert.equal(keyOf(await check({ [ANSWER_SESSION_HEADER]: `${answerSessionId(sealed)}.${sealed}` })), 'container');
  // An id that is not the sealed secret's is not opened.
  assert.equal(keyOf(await check({ [ANSWER_SESSION_HEADER]: `AAAA.${sealed}` })), 'container');
  for (const header of ['a.b.c', '!', `${'A'.repeat(65)}`, `id.${'A'.repeat(257)}`]) {
    const refused = await check({ [ANSWER_SESSION_HEADER]: header });
    assert.equal(refused.status, 400, header);
    assert.equal((refused.json as { code: string }).code, 'LICTOR_E_INVALID_INPUT', header);
    assert.equal((refused.json as { details: { field: string } }).details.field, ANSWER_SESSION_HEADER, header);
  }
});

test('after a runtime restart the client gets a signed answer, then MACs again under its session', async (t) => {
  const rt = await startRuntime(t, { port: null });
  await activateLicense(rt.licenses);
  const socket = rt.running.socket as string;
  const c = client({ socket });
  assert.equal((await c.check('ERP', 'reports')).key, 'container');
  assert.equal((await c.check('ERP', 'reports')).key, 'container', 'the check that opens the session');
  assert.equal((await c.check('ERP', 'reports')).key, 'session');

  await rt.running.close();
  const state = join(rt.root, 'state');
  const restarted = await openRuntime({
    stateDir: state,
    socket,
    port: null,
    scheduler: rt.scheduler,
    processProbe: rt.processes.probe,
    licensePaths: [join(state, 'licenses'), rt.licenses],
    computer: { env: {}, hardware: async () => HW, machineSecret: async () => SECRET },
    managerDiscovery: false,
    watchIntervalMs: 100,
  });
  t.after(() => restarted.close());
  const afterRestart = await c.check('ERP', 'reports');
  assert.equal(afterRestart.key, 'container', 'the restarted runtime does not hold the session: signed, verified');
  assert.equal(afterRestart.answer.product, 'ERP');
  assert.equal((await c.check('ERP', 'reports')).key, 'container', 'the sealed secret sent again, opened: signed');
  assert.equal((await c.check('ERP', 'reports')).key, 'session');
});

test('after a remote upgrade the runtime signs once with the new license, then MACs; the client checks against the new license', async (t) => {
  // Licenses made here are issued now: the runtime's clock starts now too.
  const start = Date.now();
  const rt = await startRuntime(t, { scheduler: new FakeScheduler(start) });
  const app = { publicKey: PUBLIC_KEY, product: 'ERP' };
  const request = await rt.call('POST', '/v1/activation-requests', {
    ...app,
    serial: 'LX-7K2M-9QXD-4RTB',
    pin: 'Q7K2M-9QXD4-RTA8C',
    owner: { company: 'Initech', email: 'it@initech.example' },
    kind: 'file',
  });
  // The first license runs out a day after the runtime's clock; the upgrade's does not.
  const expiring = entry({ expiresAt: new Date(start + 24 * 3600_000).toISOString() });
  const installed = await rt.call('POST', '/v1/licenses', {
    ...app,
    file: answerRequest(request.json.text as string, [expiring]),
  });
  assert.equal(installed.status, 201, JSON.stringify(installed.json));
  let clock = start;
  const c = client({ url: rt.running.url as string }, { now: () => clock });
  assert.equal((await c.check('ERP', 'reports')).key, 'container');
  assert.equal((await c.check('ERP', 'reports')).key, 'container', 'the check that opens the session');
  assert.equal((await c.check('ERP', 'reports')).key, 'session');

  const question = await rt.call('POST', '/v1/upgrades/question', app);
  assert.equal(question.status, 201, JSON.stringify(question.json));
  const applied = await rt.call('POST', '/v1/upgrades/answer', {
    ...app,
    answer: answerQuestion(question.json.question as string, ['reports']),
  });
  assert.equal(applied.status, 200, JSON.stringify(applied.json));
  // The application's clock is past the first license's end: only the upgraded one covers.
  clock = start + 4 * 24 * 3600_000;
  const signed = await c.check('ERP', 'reports');
  assert.equal(signed.key, 'container', 'the license changed under the session: signed with the new one');
  assert.equal(signed.license.counter, 1);
  const macd = await c.check('ERP', 'reports');
  assert.equal(macd.key, 'session', "then MAC'd again under the same session");
  assert.equal(macd.license.counter, 1, 'checked against the upgraded license');
  assert.equal((await c.check('ERP', 'reports')).key, 'session');
});

test("a remote upgrade between a client's first check and the one that opens its session: that check is signed with the new license, the client checks against it", async (t) => {
  // The runtime opens the session after the upgrade, from a secret sealed to the license the
  // application verified before it: the runtime cannot tell which license text that was (both
  // have the same keys), so the answer that opens the session is signed, with the license it
  // holds now.
  const start = Date.now();
  const rt = await startRuntime(t, { scheduler: new FakeScheduler(start) });
  const app = { publicKey: PUBLIC_KEY, product: 'ERP' };
  const request = await rt.call('POST', '/v1/activation-requests', {
    ...app,
    serial: 'LX-7K2M-9QXD-4RTB',
    pin: 'Q7K2M-9QXD4-RTA8C',
    owner: { company: 'Initech', email: 'it@initech.example' },
    kind: 'file',
  });
  const expiring = entry({ expiresAt: new Date(start + 24 * 3600_000).toISOString() });
  const installed = await rt.call('POST', '/v1/licenses', {
    ...app,
    file: answerRequest(request.json.text as string, [expiring]),
  });
  assert.equal(installed.status, 201, JSON.stringify(installed.json));
  let clock = start;
  const c = client({ url: rt.running.url as string }, { now: () => clock });
  const first = await c.check('ERP', 'reports');
  assert.equal(first.key, 'container', 'signed: the client seals its secret to this license next');
  assert.equal(first.license.counter, 0);

  const question = await rt.call('POST', '/v1/upgrades/question', app);
  assert.equal(question.status, 201, JSON.stringify(question.json));
  const applied = await rt.call('POST', '/v1/upgrades/answer', {
    ...app,
    answer: answerQuestion(question.json.question as string, ['reports']),
  });
  assert.equal(applied.status, 200, JSON.stringify(applied.json));
  // The application's clock is past the first license's end: only the upgraded one covers.
  clock = start + 4 * 24 * 3600_000;
  const opening = await c.check('ERP', 'reports');
  assert.equal(opening.key, 'container', 'the check that opened the session: signed, with the new license');
  assert.equal(opening.license.counter, 1);
  const macd = await c.check('ERP', 'reports');
  assert.equal(macd.key, 'session', "then MAC'd under the session");
  assert.equal(macd.license.counter, 1, 'checked against the upgraded license');
  assert.equal((await c.check('ERP', 'reports')).key, 'session');
});

test("with proof 'signature' every answer is signed", async (t) => {
  const rt = await signingRuntime(t);
  const c = client({ url: rt.url }, { proof: 'signature' });
  for (let i = 0; i < 3; i++) assert.equal((await c.check('ERP', 'reports')).key, 'container');
});

test("a fake runtime that MACs under a secret it made up, or replays a MAC'd answer, is refused", async (t) => {
  const rt = await signingRuntime(t);

  // A relay that cannot open the sealed secret: once the client names a session, it MACs the
  // genuine answer (the genuine statement, container and nonce) under a secret of its own.
  const madeUp = answerMacKey(randomBytes(32));
  const inventing = await fakeRuntime(t, async (headers, body) => {
    const genuine = await relay(rt.url, {}, body);
    if (headers[ANSWER_SESSION_HEADER] === undefined) return genuine;
    const { proof, ...answer } = genuine.json as { proof: { signed: string } };
    const container = (JSON.parse(proof.signed) as { container: string }).container;
    const mac = macRuntimeAnswer(madeUp, 'runtime-check', container, body.nonce as string, answer);
    return { status: 200, json: { ...answer, proof: mac } };
  });
  const c1 = client({ url: inventing });
  assert.equal((await c1.check('ERP', 'reports')).key, 'container');
  // The genuine runtime would sign the answer that opens the session; the relay MACs it.
  await assert.rejects(c1.check('ERP', 'reports'), refusedWith('signature'));

  // A relay that records the first MAC'd answer and answers every later request with it.
  let recorded: { status: number; json: unknown } | undefined;
  const replaying = await fakeRuntime(t, async (headers, body) => {
    if (recorded !== undefined) return recorded;
    const genuine = await relay(rt.url, headers, body);
    if ((genuine.json as { proof: { key: string } }).proof.key === 'session') recorded = genuine;
    return genuine;
  });
  const c2 = client({ url: replaying });
  assert.equal((await c2.check('ERP', 'reports')).key, 'container');
  assert.equal((await c2.check('ERP', 'reports')).key, 'container', 'relayed: genuine, opening the session');
  assert.equal((await c2.check('ERP', 'reports')).key, 'session', 'relayed: genuine');
  await assert.rejects(c2.check('ERP', 'reports'), refusedWith('signature'));

  // A MAC'd answer to a client that named no session (signatures only).
  const c3 = client({ url: replaying }, { proof: 'signature' });
  await assert.rejects(c3.check('ERP', 'reports'), refusedWith('signature'));
});

test("a fake runtime holding a genuine license MACs a statement of another license's container: refused", async (t) => {
  // The fake holds a genuine license of ERP with its container keys (copied from a computer it
  // was activated on): it signs, and opens the sessions sealed to it.
  const keys = generateContainerKeys();
  const held = doc({ licenses: [entry()], containerKeys: keys.public });
  const key = {
    license: encodeLicenseFile(held, vendor),
    containerId: held.containerId,
    sign: loadContainerSigner(keys.private.sign),
  };
  const open = answerSessionOpener(keys.private.box);
  const another = doc().containerId;
  assert.notEqual(another, held.containerId);
  const grant = (body: Record<string, unknown>) => ({
    product: 'ERP',
    feature: (body.feature as string | undefined) ?? null,
    serial: held.serial,
    licenseId: `${held.activationId}:ERP`,
    type: 'single',
    users: 1,
    expiresAt: null,
    file: '/var/lib/lictor/runtime/licenses/erp.lic',
  });
  const sessions = new AnswerSessions();
  const fake = await fakeRuntime(t, (headers, body) => {
    const answer = grant(body);
    const ref = sessionRefOf(headers[ANSWER_SESSION_HEADER] as string | undefined);
    const session = ref === undefined ? undefined : sessions.find(ref, [{ ...key, openSession: open }]);
    if (session === undefined) {
      return {
        status: 200,
        json: { ...answer, proof: signRuntimeAnswer(key, 'runtime-check', body.nonce as string, answer) },
      };
    }
    // Under the client's genuine secret, but stating that another license's container answered.
    const proof = macRuntimeAnswer(session.mac, 'runtime-check', another, body.nonce as string, answer);
    return { status: 200, json: { ...answer, proof } };
  });
  const c = client({ url: fake });
  assert.equal((await c.check('ERP', 'reports')).key, 'container', 'its signature is genuine');
  await assert.rejects(c.check('ERP', 'reports'), refusedWith('signature'));
  assert.equal(sessions.size, 1, 'the fake did open the session');
});

test('the session table keeps at most its bound, the least recently used dropped; each sealed secret opened once', () => {
  const keys = generateContainerKeys();
  const d = doc({ containerKeys: keys.public });
  const open = answerSessionOpener(keys.private.box);
  let opened = 0;
  const opener = [
    {
      containerId: d.containerId,
      openSession: (sealed: string) => {
        opened += 1;
        return open(sealed);
      },
    },
  ];
  const table = new AnswerSessions(2);
  const refs = [0, 1, 2].map(() => {
    const sealed = sealAnswerSession(d, randomBytes(32));
    return { id: answerSessionId(sealed), sealed };
  });
  const [a, b, c] = refs as [(typeof refs)[0], (typeof refs)[0], (typeof refs)[0]];
  assert.ok(table.find(a, opener));
  assert.ok(table.find(b, opener));
  assert.equal(opened, 2);
  assert.ok(table.find({ id: a.id }, opener), 'a is held (and now the most recently used)');
  assert.ok(table.find(a, opener));
  assert.equal(opened, 2, 'a held session is not opened again');
  assert.ok(table.find(c, opener));
  assert.equal(table.size, 2);
  assert.equal(table.find({ id: b.id }, opener), undefined, 'b, the least recently used, was dropped');
  assert.ok(table.find({ id: a.id }, opener));
  assert.ok(table.find({ id: c.id }, opener));
});
