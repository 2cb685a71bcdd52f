/**
 * No module of a Lictor package imports `node:http`'s values as an ES module: Node then builds the
 * module's ESM facade from every export, whose `WebSocket`, `CloseEvent` and `MessageEvent`
 * getters load undici (10–13 MiB of RSS in every server). Values come from
 * `@lictor/http-service/node-http` (`require`); `import type` is erased and allowed. With
 * `verbatimModuleSyntax`, `import { type A } from 'node:http'` is emitted as `import {} from
 * 'node:http'`, which loads the facade all the same, so only `import type` passes.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The import statements of `text` that load `node:http` (or `http`) as an ES module. */
function esmHttpImports(text: string): string[] {
  const found: string[] = [];
  const from = /\b(import|export)\s+([^;'"]*?)\s*from\s*['"](?:node:)?http['"]/g;
  for (const m of text.matchAll(from)) {
    if (!/^type\b/.test(m[2] ?? '')) found.push(m[0].replace(/\s+/g, ' '));
  }
  // `typeof import('node:http')` is a type.
  for (const m of text.matchAll(/(?<!typeof\s+)\bimport\s*(\(\s*)?['"](?:node:)?http['"]/g)) found.push(m[0]);
  return found;
}

test('the scan finds value, side-effect and dynamic imports and passes type-only ones', () => {
  assert.deepEqual(
    esmHttpImports("import type { Server } from 'node:http';\nexport type { IncomingMessage } from 'http';"),
    [],
  );
  assert.equal(esmHttpImports("import { createServer } from 'node:http';").length, 1);
  assert.equal(esmHttpImports("import {\n  type Server,\n  STATUS_CODES,\n} from 'node:http';").length, 1);
  assert.equal(esmHttpImports("import { type Server } from 'node:http';").length, 1);
  assert.equal(esmHttpImports("import * as http from 'http';").length, 1);
  assert.equal(esmHttpImports("import 'node:http';").length, 1);
  assert.equal(esmHttpImports("const h = await import('node:http');").length, 1);
  assert.deepEqual(esmHttpImports("import { request } from 'node:https';"), []);
  assert.deepEqual(esmHttpImports("export const h: typeof import('node:http') = require('node:http');"), []);
});

test("no package's source imports node:http's values as an ES module (they come from node-http.ts)", () => {
  const offenders: string[] = [];
  for (const pkg of readdirSync(join(ROOT, 'packages'))) {
    const src = join(ROOT, 'packages', pkg, 'src');
    if (!statSync(src, { throwIfNoEntry: false })?.isDirectory()) continue;
    for (const file of sources(src)) {
      for (const found of esmHttpImports(readFileSync(file, 'utf8')))
        offenders.push(`${relative(ROOT, file)}: ${found}`);
    }
  }
  assert.deepEqual(offenders, []);
});
