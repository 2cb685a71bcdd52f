/**
 * Fake runtimes, attacked through what an application does: ask `POST /v1/check` with a fresh
 * nonce over loopback HTTP, then verify the answer with the vendor key alone
 * (`verifyRuntimeAnswer`, the reference every client follows). A `node:http` server that answers
 * well-formed JSON without a valid proof is refused, whatever it claims; a transparent relay to a
 * genuine runtime is accepted (the signature is end to end).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import {
  type AnswerKey,
  encodeLicenseFile,
  generateContainerKeys,
  generateVendorKeys,
  type LicenseEntry,
  LictorError,
  loadContainerSigner,
  loadSigner,
  signRuntimeAnswer,
  type VendorSigner,
  verifyRuntimeAnswer,
} from '@lictor/protocol';
import { activateLicense, doc, entry, nonce, PUBLIC_KEY, startRuntime, vendor } from './runtime-fixture.js';

/** The application's clock: the fixture runtime's start. */
const NOW = Date.parse('2026-03-01T00:00:00Z');

/** What a fake answers to `POST /v1/check` (the request body parsed). */
type Respond = (body: { nonce: string; product: string; feature?: string }) => unknown | Promise<unknown>;

/** A fake runtime on loopback: `node:http`, JSON in and out, no Lictor code in its answers' path. */
async function fakeRuntime(t: TestContext, respond: Respond): Promise<string> {
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => {
      text += c.toString();
    });
    req.on('end', async () => {
      const answer = await respond(JSON.parse(text));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** What an application does: a check with a fresh nonce, the answer verified with the vendor key. */
async function applicationCheck(url: string, feature = 'reports') {
  const n = nonce();
  const response = await fetch(`${url}/v1/check`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ publicKey: PUBLIC_KEY, product: 'ERP', feature, nonce: n }),
  });
  return verifyRuntimeAnswer({
    publicKey: PUBLIC_KEY,
    nonce: n,
    purpose: 'runtime-check',
    answer: await response.json(),
    product: 'ERP',
    feature,
    now: NOW,
  });
}

function refusedWith(reason: string, cause?: string) {
  return (err: unknown) => {
    assert.ok(err instanceof LictorError, String(err));
    assert.equal(err.code, 'LICTOR_E_ANSWER_UNPROVEN', err.message);
    assert.equal(err.details?.reason, reason, err.message);
    if (cause !== undefined) assert.equal(err.details?.cause, cause);
    return true;
  };
}

/** A well-formed grant of ERP (the feature asked for), as the genuine runtime answers it. */
function grant(body: { product: string; feature?: string }, file = '/var/lib/lictor/runtime/licenses/erp.lic') {
  return {
    product: body.product,
    feature: body.feature ?? null,
    serial: 'LX-7K2M-9QXD-4RTA',
    licenseId: 'a-1:ERP',
    type: 'single',
    users: 1,
    expiresAt: null,
    file,
  };
}

/** A license of `licenses` by `by`, with container keys the fake holds (as if it had them from a real computer). */
function heldLicense(licenses: LicenseEntry[], by: VendorSigner = vendor): AnswerKey {
  const keys = generateContainerKeys();
  const d = doc({ licenses, containerKeys: keys.public });
  return {
    license: encodeLicenseFile(d, by),
    containerId: d.containerId,
    sign: loadContainerSigner(keys.private.sign),
  };
}

/** A fake that signs its made-up grant with `key`, as the genuine runtime signs. */
function signingWith(key: AnswerKey, purpose: 'runtime-check' | 'runtime-session' = 'runtime-check'): Respond {
  return (body) => {
    const answer = grant(body);
    return { ...answer, proof: signRuntimeAnswer(key, purpose, body.nonce, answer) };
  };
}

test('a fake runtime with well-formed answers and no valid proof is refused', async (t) => {
  const noProof = await fakeRuntime(t, (body) => grant(body));
  await assert.rejects(applicationCheck(noProof), refusedWith('missing'));

  const saysUnsigned = await fakeRuntime(t, (body) => ({
    ...grant(body),
    proof: null,
    unproven: { reason: 'no-key', message: 'trust me' },
  }));
  await assert.rejects(applicationCheck(saysUnsigned), refusedWith('missing'));

  const malformed = await fakeRuntime(t, (body) => ({
    ...grant(body),
    proof: { license: 'x', key: 'container', signature: 'not base64url!', signed: '{}' },
  }));
  await assert.rejects(applicationCheck(malformed), refusedWith('malformed'));

  // A genuine license of this vendor (a copy of any customer's file) without its private key:
  // the signature is made up.
  const genuine = heldLicense([entry()]);
  const madeUp = await fakeRuntime(t, (body) => {
    const answer = grant(body);
    const real = signRuntimeAnswer(genuine, 'runtime-check', body.nonce, answer);
    return { ...answer, proof: { ...real, signature: 'A'.repeat(86) } };
  });
  await assert.rejects(applicationCheck(madeUp), refusedWith('signature'));
});

test("a fake runtime signing with another vendor's license, another product's, or an expired one is refused", async (t) => {
  const otherVendor = loadSigner(generateVendorKeys().privatePem);
  const foreign = await fakeRuntime(t, signingWith(heldLicense([entry()], otherVendor)));
  await assert.rejects(applicationCheck(foreign), refusedWith('license', 'LICTOR_E_WRONG_VENDOR'));

  const cad = await fakeRuntime(t, signingWith(heldLicense([entry({ product: 'CAD' })])));
  await assert.rejects(applicationCheck(cad), refusedWith('not-covered'));

  const noReports = await fakeRuntime(t, signingWith(heldLicense([entry({ features: [] })])));
  await assert.rejects(applicationCheck(noReports), refusedWith('not-covered'));

  const expired = await fakeRuntime(t, signingWith(heldLicense([entry({ expiresAt: '2026-02-28T23:59:59.000Z' })])));
  await assert.rejects(applicationCheck(expired), refusedWith('not-covered'));

  // The license that covers, its key held, but the statement signed as another kind of answer.
  const asSession = await fakeRuntime(t, signingWith(heldLicense([entry()]), 'runtime-session'));
  await assert.rejects(applicationCheck(asSession), refusedWith('signature'));
  // The same key signing as a check: accepted (whoever holds a license's container key can answer for it).
  assert.equal(
    (await applicationCheck(await fakeRuntime(t, signingWith(heldLicense([entry()]))))).answer.product,
    'ERP',
  );
});

test('a relay to a genuine runtime is accepted; one that replays, or alters the answer, is refused', async (t) => {
  const rt = await startRuntime(t);
  await activateLicense(rt.licenses);
  const ask = async (body: unknown) => (await rt.call('POST', '/v1/check', body)).json;

  const relay = await fakeRuntime(t, (body) => ask(body));
  const genuine = await applicationCheck(relay);
  assert.equal(genuine.answer.product, 'ERP');
  assert.equal(genuine.answer.feature, 'reports');

  let recorded: unknown;
  const replaying = await fakeRuntime(t, async (body) => {
    recorded ??= await ask(body);
    return recorded;
  });
  await applicationCheck(replaying); // the first answer is genuine, for its own nonce
  await assert.rejects(applicationCheck(replaying), refusedWith('signature'));

  const altering = await fakeRuntime(t, async (body) => ({
    ...((await ask(body)) as object),
    expiresAt: '2099-01-01T00:00:00.000Z',
  }));
  await assert.rejects(applicationCheck(altering), refusedWith('signature'));

  // A genuine answer about another feature, passed off for the feature asked.
  const otherFeature = await fakeRuntime(t, (body) => ask({ ...body, feature: 'api' }));
  await assert.rejects(applicationCheck(otherFeature), refusedWith('not-covered'));
});
