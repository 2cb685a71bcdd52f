/**
 * Loads the `pkcs11js` native binding lazily, so that importing `@lictor/token` never fails:
 * an application whose binding did not build (or that never uses tokens) keeps working, and
 * the first token operation reports why tokens are unavailable.
 */
import { createRequire } from 'node:module';
import { LictorError } from '@lictor/protocol';
import type * as Pkcs11js from 'pkcs11js';

/** The `pkcs11js` module (constants, `PKCS11`, `Pkcs11Error`). */
export type Pkcs11Binding = typeof Pkcs11js;

let binding: Pkcs11Binding | undefined;

/** Returns the binding, loading it on first use; throws `LICTOR_E_TOKEN_MODULE_MISSING` if it cannot load. */
export function pkcs11Binding(): Pkcs11Binding {
  if (binding !== undefined) return binding;
  try {
    binding = createRequire(import.meta.url)('pkcs11js') as Pkcs11Binding;
  } catch (err) {
    throw new LictorError(
      'LICTOR_E_TOKEN_MODULE_MISSING',
      `the PKCS#11 binding (the pkcs11js package) is not installed or did not build: ${(err as Error).message}; reinstall the application with a C++ compiler available`,
      { binding: 'pkcs11js' },
    );
  }
  return binding;
}
