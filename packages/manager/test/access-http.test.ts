/**
 * Access rules over HTTP: the address rules see is the socket's (inject's remoteAddress, then a
 * real socket), never a host name, body field or header the client sends.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { parseAccessRules } from '../src/index.js';
import { openManagerApp } from './manager-fixture.js';

function setup(t: TestContext, rules: string) {
  return openManagerApp(t, { accessRules: parseAccessRules(rules) });
}

function body(host: string, process = 'cad.exe') {
  return { product: 'cad', client: { host, user: 'ann', process, session: '1' } };
}

test('deny by subnet judges the socket address (inject), not the host name the client reports', async (t) => {
  const { app } = await setup(t, '# plant network\ndeny cad address 10.9.0.0/16 2001:db8:9::/48\n');
  const post = (remoteAddress: string, host: string) =>
    app.inject({ method: 'POST', url: '/v1/leases', payload: body(host), remoteAddress });

  const denied = await post('10.9.4.2', 'ws-1');
  assert.equal(denied.statusCode, 403);
  const json = denied.json();
  assert.equal(json.code, 'LICTOR_E_ACCESS_DENIED');
  assert.match(
    json.message,
    /from 10\.9\.4\.2 by access rule line 2: deny cad address 10\.9\.0\.0\/16 2001:db8:9::\/48/,
  );
  assert.deepEqual(json.details, { rules: [{ line: 2, text: 'deny cad address 10.9.0.0/16 2001:db8:9::/48' }] });

  assert.equal((await post('2001:db8:9::77', 'ws-2')).statusCode, 403);
  assert.equal((await post('::ffff:10.9.0.1', 'ws-3')).statusCode, 403);
  // A client inside the subnet cannot talk its way out with a host name that looks like an address.
  assert.equal((await post('10.9.4.3', '192.0.2.1')).statusCode, 403);
  // Outside the subnet, even a host name inside it is granted.
  assert.equal((await post('10.8.0.1', '10.9.4.2')).statusCode, 201);
});

test('a reserve refusal is 409 LICTOR_E_SEATS_EXHAUSTED with the rule in details', async (t) => {
  const { app } = await setup(t, 'group lab address 10.1.0.0/16\nreserve 1 cad group lab\n');
  const post = (remoteAddress: string, process: string) =>
    app.inject({ method: 'POST', url: '/v1/leases', payload: body('pc', process), remoteAddress });
  assert.equal((await post('192.0.2.1', 'a')).statusCode, 201);
  assert.equal((await post('192.0.2.1', 'b')).statusCode, 201);
  const refused = await post('192.0.2.1', 'c');
  assert.equal(refused.statusCode, 409);
  assert.equal(refused.json().code, 'LICTOR_E_SEATS_EXHAUSTED');
  assert.deepEqual(refused.json().details, {
    inUse: 2,
    total: 3,
    rule: { line: 2, text: 'reserve 1 cad group lab' },
  });
  assert.equal((await post('10.1.2.3', 'c')).statusCode, 201);
});

test('on a real socket the rule sees 127.0.0.1 whatever the client claims (body, X-Forwarded-For)', async (t) => {
  const { manager, app } = await setup(t, 'deny cad address 127.0.0.0/8\n');
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const post = (payload: object) =>
    fetch(`http://127.0.0.1:${port}/v1/leases`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7', 'x-real-ip': '203.0.113.7' },
      body: JSON.stringify(payload),
    });

  const denied = await post(body('203.0.113.7'));
  assert.equal(denied.status, 403);
  const json = (await denied.json()) as { code: string; message: string };
  assert.equal(json.code, 'LICTOR_E_ACCESS_DENIED');
  assert.match(json.message, /from 127\.0\.0\.1 by access rule line 1/);

  // Rules change without a restart; the new rule sees the same socket address.
  manager.setAccessRules(parseAccessRules('allow cad address 127.0.0.1\n'));
  const granted = await post(body('ws-9'));
  assert.equal(granted.status, 201);
  const lease = (await granted.json()) as { lease: { id: string } };
  assert.equal(manager.leases().find((l) => l.id === lease.lease.id)?.address, '127.0.0.1');
});

test('on an IPv6 socket the rule sees ::1', async (t) => {
  const { app } = await setup(t, 'deny cad address ::1\n');
  try {
    await app.listen({ port: 0, host: '::1' });
  } catch (error) {
    t.skip(`no IPv6 loopback on this machine: ${(error as Error).message}`);
    return;
  }
  const { port } = app.server.address() as AddressInfo;
  const answer = await fetch(`http://[::1]:${port}/v1/leases`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body('ws-1')),
  });
  assert.equal(answer.status, 403);
  assert.match(((await answer.json()) as { message: string }).message, /from ::1 by access rule line 1/);
});
