/**
 * `node:http`, loaded as CommonJS. Importing it as an ES module makes Node build the module's
 * ESM facade from every one of its exports, and three of them (`WebSocket`, `CloseEvent`,
 * `MessageEvent`) are getters that load undici, the HTTP/2 and TLS bindings and most of
 * `node:crypto`: 10–13 MiB more resident memory in every server (Node 22 and 24; measured in
 * `docs/benchmarks.md`, "What importing node:http as ESM costs"). `require` reads none of them.
 * Modules of this repository take `node:http`'s values from here; type-only imports of
 * `node:http` are erased and cost nothing.
 */
import { createRequire } from 'node:module';

/** `node:http` itself (the same object every `require('node:http')` returns). */
export const nodeHttp: typeof import('node:http') = createRequire(import.meta.url)('node:http');
