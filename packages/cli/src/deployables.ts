/**
 * The server packages the CLI drives, loaded on first use: an end user's `lictor check` loads no
 * License Center (no database driver, no native module), no License Manager and no Lictor
 * Runtime. They are optional peers of the CLI, installed where the vendor runs a center, the
 * customer a manager, or a computer the runtime; a command whose package is absent says which
 * one to install.
 */
import { LictorError } from '@lictor/protocol';

async function load<T>(name: string, what: string, importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND' && e.message.includes(name)) {
      throw new LictorError(
        'LICTOR_E_PACKAGE_MISSING',
        `${what} need ${name}, which is not installed beside lictor: install it (npm install -g ${name}, or the ${name} tarball)`,
        { package: name },
      );
    }
    throw error;
  }
}

/** `@lictor/center`, for the `lictor center …` commands. */
export function loadCenter(): Promise<typeof import('@lictor/center')> {
  return load('@lictor/center', "the License Center's commands (lictor center …)", () => import('@lictor/center'));
}

/** `@lictor/manager`, for `lictor manager …`. */
export function loadManager(): Promise<typeof import('@lictor/manager')> {
  return load('@lictor/manager', "the License Manager's commands (lictor manager …)", () => import('@lictor/manager'));
}

/** `@lictor/runtime`, for `lictor runtime …`. */
export function loadRuntime(): Promise<typeof import('@lictor/runtime')> {
  return load('@lictor/runtime', "the Lictor Runtime's commands (lictor runtime …)", () => import('@lictor/runtime'));
}
