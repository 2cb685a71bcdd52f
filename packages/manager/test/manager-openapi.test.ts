/** The manager's OpenAPI document: every route, with operationIds, named bodies and $refs that resolve. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApiProblems } from '../../http-service/test/openapi-document.js';
import { openManagerApp } from './manager-fixture.js';

test('GET /openapi.json describes every route with an operationId and named bodies', async (t) => {
  const { app } = await openManagerApp(t);
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(res.statusCode, 200);
  const doc = res.json() as { paths: Record<string, Record<string, { operationId: string }>> };
  assert.deepEqual(openApiProblems(doc), []);
  const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`),
  );
  assert.deepEqual(operations.sort(), [
    'DELETE /v1/admin/borrows/{id} endBorrowedSeat',
    'DELETE /v1/admin/leases/{id} revokeLease',
    'DELETE /v1/borrows/{id} returnBorrowedSeat',
    'DELETE /v1/leases/{id} releaseLease',
    'GET /openapi.json getOpenApi',
    'GET /v1/admin/borrows listBorrows',
    'GET /v1/admin/events listEvents',
    'GET /v1/admin/leases listLeases',
    'GET /v1/admin/usage getUsage',
    'GET /v1/status getStatus',
    'GET /v1/tokens listTokens',
    'POST /v1/borrows borrowSeat',
    'POST /v1/leases acquireLease',
    'POST /v1/leases/{id}/heartbeat heartbeatLease',
    'POST /v1/tokens/activation-claim signTokenActivationClaim',
    'POST /v1/tokens/presence proveTokenPresence',
  ]);
});

test('the lease routes name the proof headers, and their answers the proof (signed seats)', async (t) => {
  const { app } = await openManagerApp(t);
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
    paths: Record<string, { post: { parameters?: { in: string; name: string; required?: boolean }[] } }>;
    components: { schemas: Record<string, { properties: Record<string, { properties?: Record<string, unknown> }> }> };
  };
  for (const path of ['/v1/leases', '/v1/leases/{id}/heartbeat']) {
    const headers = (doc.paths[path]?.post.parameters ?? []).filter((p) => p.in === 'header');
    assert.deepEqual(
      headers.map((h) => [h.name, h.required]),
      [
        ['lictor-nonce', false],
        ['lictor-session', false],
      ],
      path,
    );
  }
  for (const answer of ['AcquireAnswer', 'HeartbeatAnswer']) {
    const proof = doc.components.schemas[answer]?.properties.proof;
    assert.deepEqual(Object.keys(proof?.properties ?? {}), ['key', 'license', 'signature', 'mac'], answer);
  }
});

test('the document check finds a missing operationId, an unnamed body and a dangling $ref', () => {
  const problems = openApiProblems({
    openapi: '3.1.0',
    paths: {
      '/a': {
        post: {
          requestBody: { content: { 'application/json': { schema: { type: 'object' } } } },
          responses: { 200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Gone' } } } } },
        },
      },
    },
    components: { schemas: {} },
  });
  assert.deepEqual(problems, [
    'POST /a has no operationId',
    'POST /a request: the JSON body is not a named schema (components.schemas)',
    "$ref '#/components/schemas/Gone' does not resolve",
  ]);
});
