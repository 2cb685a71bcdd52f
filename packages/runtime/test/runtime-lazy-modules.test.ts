/**
 * What a runtime that only answers checks and sessions loads: in a process of its own
 * (`lazy-modules-child.ts`, which records every module from before the runtime's code is
 * imported), a signed check, a session opened and one closed over loopback load neither Fastify,
 * nor TypeBox (its type builders, the wire schemas, its compilers and value functions: the hot
 * routes' checks and serializers are generated at build time, `wire-code.generated.ts`), nor
 * fast-json-stringify's compiler and Ajv, nor hardware collection libraries or the PKCS#11 binding
 * (the test hardware is injected and no tokens are configured).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

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

test('a runtime answering checks and sessions loads neither Fastify nor TypeBox nor Ajv nor hardware or token libraries', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CHILD], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const r = JSON.parse(stdout) as {
    statuses: number[];
    signed: boolean;
    composed: boolean;
    undici: boolean;
    loaded: string[];
  };
  assert.deepEqual(r.statuses, [200, 201, 204], 'a check, a session opened and closed');
  assert.equal(r.signed, true, 'the answers are signed');
  assert.equal(r.composed, false, 'the Fastify app was not composed');
  // Importing `node:http` as an ES module loads undici (10–13 MiB of RSS): `node-http.ts`.
  assert.equal(r.undici, false, "Node's undici was not loaded");
  assert.ok(
    r.loaded.some((u) => u.includes('/runtime/src/http/hot-routes.ts')),
    'the hook saw the runtime load',
  );
  for (const [name, pattern] of NOT_LOADED) {
    assert.deepEqual(
      r.loaded.filter((u) => pattern.test(u)),
      [],
      `${name} not loaded`,
    );
  }
});
