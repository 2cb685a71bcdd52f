/** Every message of Lictor's HTTP services, declared once with TypeBox (see `docs/architecture.md`). */
export type { Static, TSchema } from 'typebox';
export * from './center.js';
export * from './check.js';
export * from './dongles.js';
export * from './error.js';
export * from './manager.js';
export * from './runtime.js';
export * from './schema.js';
