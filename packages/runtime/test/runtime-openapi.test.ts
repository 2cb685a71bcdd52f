/** The runtime's OpenAPI document: every route, with operationIds, named bodies and $refs that resolve. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApiProblems } from '../../http-service/test/openapi-document.js';
import { startRuntime } from './runtime-fixture.js';

test('GET /openapi.json describes every route with an operationId and named bodies', async (t) => {
  const rt = await startRuntime(t);
  const res = await rt.call('GET', '/openapi.json');
  assert.equal(res.status, 200);
  const doc = res.json as { paths: Record<string, Record<string, { operationId: string }>> };
  assert.deepEqual(openApiProblems(doc), []);
  const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`),
  );
  assert.deepEqual(operations.sort(), [
    'DELETE /v1/seats/{id} releaseSeat',
    'DELETE /v1/sessions/{id} closeSession',
    'GET /openapi.json getOpenApi',
    'GET /v1/events streamEvents',
    'GET /v1/status getStatus',
    'GET /v1/upgrades/confirmation getConfirmationCode',
    'POST /v1/activation-requests requestActivation',
    'POST /v1/activations activate',
    'POST /v1/check check',
    'POST /v1/licenses installLicense',
    'POST /v1/seats acquireSeat',
    'POST /v1/sessions openSession',
    'POST /v1/upgrades/answer continueUpgrade',
    'POST /v1/upgrades/question startUpgrade',
  ]);
  // The answer-session header of the check and session routes, and the proof's two forms.
  const ops = doc.paths as unknown as Record<
    string,
    Record<string, { parameters?: { in: string; name: string; required?: boolean; schema: { pattern?: string } }[] }>
  >;
  for (const path of ['/v1/check', '/v1/sessions']) {
    const header = ops[path]?.post?.parameters?.find((p) => p.in === 'header' && p.name === 'lictor-session');
    assert.ok(header, `${path} documents the header lictor-session`);
    assert.notEqual(header.required, true);
    assert.match(header.schema.pattern ?? '', /\\\.\[A-Za-z0-9_-\]\{1,256\}/);
  }
  const text = JSON.stringify(res.json);
  assert.ok(text.includes("MAC'd under the application's session"), 'the session proof is described');
});
