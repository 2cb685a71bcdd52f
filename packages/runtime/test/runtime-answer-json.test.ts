/**
 * The JSON text of a check's and a session's answer (`http/answer-json.ts`, the license text
 * escaped once per load) is byte for byte what fast-json-stringify makes of the answer over its
 * wire schema, as the runtime wrote them before: signed, MAC'd within an answer session, unsigned with the reason, with a feature
 * or none, and the same after the license files load again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerSessionId, decodeLicenseFile, randomBytes, sealAnswerSession } from '@lictor/protocol';
import { CheckAnswer, RuntimeSession } from '@lictor/protocol/wire';
import fastJson from 'fast-json-stringify';
import { checkAnswerJson, sessionJson } from '../src/http/answer-json.js';
import type { LictorRuntime, SessionRef } from '../src/index.js';
import { activateLicense, doc, nonce, PUBLIC_KEY, startRuntime, vendor, writeLicenses } from './runtime-fixture.js';

const bySchema = { check: fastJson(CheckAnswer), session: fastJson(RuntimeSession) };

test("answers' JSON text is fast-json-stringify's over the wire schemas, signed or not", async (t) => {
  const rt = await startRuntime(t);
  const { runtime } = rt.running;
  const signing = await activateLicense(rt.licenses);
  rt.processes.start(700, '2');
  const ask = (feature?: string) => ({
    publicKey: PUBLIC_KEY,
    product: 'ERP',
    ...(feature === undefined ? {} : { feature }),
    nonce: nonce(),
  });

  const same = async (what: string, runtime: LictorRuntime, answerSession?: SessionRef) => {
    for (const feature of [undefined, 'reports', 'api']) {
      const check = await runtime.check(ask(feature), answerSession);
      assert.equal(checkAnswerJson(check), bySchema.check(check), `${what}: check ${feature}`);
      if (answerSession !== undefined) assert.equal(check.proof?.key, 'session');
      const session = await runtime.openSession({ ...ask(feature), pid: 700 }, answerSession);
      assert.equal(sessionJson(session), bySchema.session(session), `${what}: session ${feature}`);
      runtime.closeSession(session.id);
    }
  };
  const signed = await runtime.check(ask('reports'));
  assert.equal(signed.file, signing);
  assert.notEqual(signed.proof, null);
  assert.ok(signed.proof?.key === 'container');
  assert.match(signed.proof.license, /\n/, 'the license has line breaks to escape');
  await same('signed', runtime);
  // MAC'd within an application's answer session (the secret sealed to the granting license).
  const license = decodeLicenseFile(signed.proof.license, vendor.publicKey);
  const sealed = sealAnswerSession(license, randomBytes(32));
  const ref = { id: answerSessionId(sealed), sealed };
  // The check that opens the session is answered signed; the answers after it are MAC'd.
  assert.equal((await runtime.check(ask('reports'), ref)).proof?.key, 'container');
  await same("MAC'd", runtime, ref);

  // A runtime whose only license cannot sign (activated before containers had keys).
  const plain = await startRuntime(t);
  await writeLicenses(plain.licenses, { 'plain.lic': doc() });
  plain.processes.start(700, '2');
  const unsigned = await plain.running.runtime.check(ask('reports'));
  assert.equal(unsigned.proof, null);
  assert.equal(unsigned.unproven?.reason, 'no-key');
  await same('unsigned', plain.running.runtime);
});
