/**
 * `@lictor/server` (the License Center and Manager: Fastify, the database drivers) loaded when a
 * command needs it. Client commands (status, check, activate, ...) never load it, which keeps
 * their start short (about 0.3 s instead of 1 s on this kind of machine).
 */
export type ServerPackage = typeof import('@lictor/server');

/** The `@lictor/server` package, imported on first use. */
export function serverPackage(): Promise<ServerPackage> {
  return import('@lictor/server');
}
