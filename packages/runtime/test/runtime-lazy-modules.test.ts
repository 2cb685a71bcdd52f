/**
 * What a runtime that answers what applications ask all day loads: in a process of its own
 * (`lazy-modules-child.ts`, which records every module from before the runtime's code is
 * imported), a signed check, a session opened and one closed, the status and an event stream
 * over loopback load neither Fastify, nor TypeBox (its type builders, the wire schemas, its
 * compilers and value functions: the raw routes' checks and serializers are generated at build
 * time, `wire-code.generated.ts`), nor fast-json-stringify's compiler and Ajv, nor hardware
 * collection libraries or the PKCS#11 binding (the test hardware is injected and no tokens are
 * configured), nor undici. A seat taken and given back then (from a License Manager of the test's
 * process) loads none of them either: the SDK's manager client asks over `node:http` required as
 * CommonJS, not `fetch` (undici), and checks the manager's answers with checks generated at build
 * time (`@lictor/protocol/manager-answers`), not the wire schemas.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startManager } from './manager-fixture.js';
import { PUBLIC_KEY } from './runtime-fixture.js';

const CHILD = fileURLToPath(new URL('./lazy-modules-child.ts', import.meta.url));

/** Modules a runtime answering only the hot routes must not have loaded, by what their URL contains. */
const NOT_LOADED: [string, RegExp][] = [
  ['Fastify', /\/node_modules\/fastify\//],
  ["TypeBox's value functions", /\/node_modules\/typebox\/build\/value\//],
  ["TypeBox's compile module", /\/node_modules\/typebox\/build\/compile\//],
  // The hot routes' checks and serializers are generated at build time (wire-code.generated.ts).
  ["TypeBox's type builders", /\/node_modules\/typebox\/build\/type\//],
  ["TypeBox's schema compiler", /\/node_modules\/typebox\/build\/schema\//],
  ['the wire schemas', /\/packages\/protocol\/(src|dist)\/wire\//],
  ["fast-json-stringify's compiler", /\/node_modules\/fast-json-stringify\/index\.js$/],
  ['Ajv', /\/node_modules\/ajv(-formats)?\//],
  ['systeminformation', /\/node_modules\/systeminformation\//],
  ['pkcs11js', /\/node_modules\/pkcs11js\//],
];

test('a runtime answering checks, sessions, status and events loads neither Fastify nor TypeBox nor Ajv nor hardware or token libraries nor undici; nor does a seat then', async (t) => {
  const manager = await startManager(t, 1);
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CHILD], {
    maxBuffer: 16 * 1024 * 1024,
    // The vendor keys are made anew in each process: the child asks for a seat with this one's.
    env: { ...process.env, LICTOR_TEST_MANAGER: manager.running.address, LICTOR_TEST_MANAGER_KEY: PUBLIC_KEY },
  });
  const r = JSON.parse(stdout) as {
    statuses: number[];
    signed: boolean;
    composed: boolean;
    undici: boolean;
    undiciAfterSeat: boolean;
    first: string;
    loaded: string[];
    loadedBeforeSeat: string[];
  };
  assert.deepEqual(
    r.statuses,
    [200, 201, 204, 200, 200, 201, 204],
    'a check, a session opened and closed, the status, an event stream, a seat taken and given back',
  );
  assert.equal(r.signed, true, 'the answers are signed');
  assert.match(r.first, /^: Lictor Runtime events\n\n/);
  assert.equal(r.composed, false, 'the Fastify app was not composed');
  // Importing `node:http` as an ES module loads undici (10–13 MiB of RSS): `node-http.ts`; so does
  // the global `fetch`, which the SDK's manager client no longer uses by default.
  assert.equal(r.undici, false, "Node's undici was not loaded (before a seat)");
  assert.equal(r.undiciAfterSeat, false, "Node's undici was not loaded by a seat (the SDK's HTTP is node:http's)");
  assert.ok(
    r.loaded.some((u) => u.includes('/runtime/src/http/hot-routes.ts')),
    'the hook saw the runtime load',
  );
  for (const [name, pattern] of NOT_LOADED) {
    assert.deepEqual(
      r.loadedBeforeSeat.filter((u) => pattern.test(u)),
      [],
      `${name} not loaded (before a seat)`,
    );
  }
  // A seat's manager client checks the manager's answers with the generated checks
  // (`@lictor/protocol/manager-answers`, TypeBox's code, needing only `typebox/guard` and
  // `typebox/format`): nothing of the list, neither Fastify nor the wire schemas.
  assert.ok(
    r.loaded.some((u) => /\/packages\/protocol\/(src|dist)\/wire-checks\/manager-answers/.test(u)),
    'the seat loaded the generated answer checks',
  );
  for (const [name, pattern] of NOT_LOADED) {
    assert.deepEqual(
      r.loaded.filter((u) => pattern.test(u)),
      [],
      `${name} not loaded (after a seat)`,
    );
  }
});
