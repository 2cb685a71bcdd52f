/**
 * The JSON text of a check's and a session's answer (`http/answer-json.ts`, the license text
 * escaped once per load) is byte for byte what fast-json-stringify makes of the answer over its
 * wire schema, as the runtime wrote them before: signed, unsigned with the reason, with a feature
 * or none, and the same after the license files load again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CheckAnswer, RuntimeSession } from '@lictor/protocol/wire';
import fastJson from 'fast-json-stringify';
import { checkAnswerJson, sessionJson } from '../src/http/answer-json.js';
import type { LictorRuntime } from '../src/index.js';
import { activateLicense, doc, nonce, PUBLIC_KEY, startRuntime, writeLicenses } from './runtime-fixture.js';

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

  const same = async (what: string, runtime: LictorRuntime) => {
    for (const feature of [undefined, 'reports', 'api']) {
      const check = await runtime.check(ask(feature));
      assert.equal(checkAnswerJson(check), bySchema.check(check), `${what}: check ${feature}`);
      const session = await runtime.openSession({ ...ask(feature), pid: 700 });
      assert.equal(sessionJson(session), bySchema.session(session), `${what}: session ${feature}`);
      runtime.closeSession(session.id);
    }
  };
  const signed = await runtime.check(ask('reports'));
  assert.equal(signed.file, signing);
  assert.notEqual(signed.proof, null);
  assert.match(signed.proof?.license ?? '', /\n/, 'the license has line breaks to escape');
  await same('signed', runtime);

  // A runtime whose only license cannot sign (activated before containers had keys).
  const plain = await startRuntime(t);
  await writeLicenses(plain.licenses, { 'plain.lic': doc() });
  plain.processes.start(700, '2');
  const unsigned = await plain.running.runtime.check(ask('reports'));
  assert.equal(unsigned.proof, null);
  assert.equal(unsigned.unproven?.reason, 'no-key');
  await same('unsigned', plain.running.runtime);
});
