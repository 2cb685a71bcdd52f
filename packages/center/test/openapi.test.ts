/** The center's OpenAPI document: operationIds, named bodies and $refs that resolve. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApiProblems } from '../../http-service/test/openapi-document.js';
import { withCenterServer } from './helpers.js';

test('GET /openapi.json gives every operation an operationId and names every JSON body', async (t) => {
  await withCenterServer(t, {}, async ({ app }) => {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json() as { paths: Record<string, object>; components: { schemas: Record<string, unknown> } };
    assert.deepEqual(openApiProblems(doc), []);
    assert.equal(Object.values(doc.paths).flatMap((ops) => Object.keys(ops)).length, 22);
    for (const name of [
      'ActivationRequest',
      'ActivationResponse',
      'PackageSpec',
      'UpgradeList',
      'UpgradePreview',
      'DuplicatePolicyInput',
      'HeldDuplicateList',
      'DuplicateDecision',
      'ErrorBody',
    ]) {
      assert.ok(doc.components.schemas[name], `components.schemas.${name}`);
    }
  });
});
