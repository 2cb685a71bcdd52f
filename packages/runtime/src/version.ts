/** The runtime's version, announced by `GET /v1/status` and its OpenAPI document. */
import { createRequire } from 'node:module';

/** The version of `@lictor/runtime`. */
export const RUNTIME_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
