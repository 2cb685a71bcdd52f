/**
 * Where a PKCS#11 module (a token's driver library) is found: an explicit path or name, the
 * `LICTOR_PKCS11_MODULE` environment variable, or the usual install places of OpenSC, the
 * YubiKey PIV module (ykcs11) and SoftHSM2 per operating system.
 */
import { existsSync } from 'node:fs';
import { LictorError } from '@lictor/protocol';

/** Environment variable naming the PKCS#11 module (a path or a known name). */
export const MODULE_ENV = 'LICTOR_PKCS11_MODULE';

/** Modules Lictor knows by name: `--module opensc` instead of a path. */
export const KNOWN_MODULES = ['opensc', 'ykcs11', 'softhsm'] as const;
export type KnownModule = (typeof KNOWN_MODULES)[number];

/** Where a module path came from. */
export type ModuleSource = 'option' | 'env' | 'default';

/** A module path that exists, and why it was chosen. */
export interface ResolvedModule {
  path: string;
  source: ModuleSource;
}

/** What {@link resolveModule} looks at; defaults to the running process. */
export interface ModuleLookup {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  arch?: string;
  exists?: (path: string) => boolean;
}

function linuxPaths(arch: string): Record<KnownModule, string[]> {
  const triplet = arch === 'arm64' ? 'aarch64-linux-gnu' : arch === 'arm' ? 'arm-linux-gnueabihf' : 'x86_64-linux-gnu';
  const lib = `/usr/lib/${triplet}`;
  return {
    opensc: [
      `${lib}/opensc-pkcs11.so`,
      `${lib}/pkcs11/opensc-pkcs11.so`,
      '/usr/lib64/opensc-pkcs11.so',
      '/usr/lib64/pkcs11/opensc-pkcs11.so',
      '/usr/lib/opensc-pkcs11.so',
      '/usr/lib/pkcs11/opensc-pkcs11.so',
    ],
    ykcs11: [`${lib}/libykcs11.so`, `${lib}/libykcs11.so.2`, '/usr/lib64/libykcs11.so', '/usr/lib/libykcs11.so'],
    softhsm: [
      '/usr/lib/softhsm/libsofthsm2.so',
      `${lib}/softhsm/libsofthsm2.so`,
      '/usr/lib64/pkcs11/libsofthsm2.so',
      '/usr/lib64/softhsm/libsofthsm.so',
      '/usr/local/lib/softhsm/libsofthsm2.so',
    ],
  };
}

const MACOS_PATHS: Record<KnownModule, string[]> = {
  opensc: [
    '/Library/OpenSC/lib/opensc-pkcs11.so',
    '/opt/homebrew/lib/opensc-pkcs11.so',
    '/opt/homebrew/lib/pkcs11/opensc-pkcs11.so',
    '/usr/local/lib/opensc-pkcs11.so',
    '/usr/local/lib/pkcs11/opensc-pkcs11.so',
  ],
  ykcs11: ['/opt/homebrew/lib/libykcs11.dylib', '/usr/local/lib/libykcs11.dylib'],
  softhsm: ['/opt/homebrew/lib/softhsm/libsofthsm2.so', '/usr/local/lib/softhsm/libsofthsm2.so'],
};

const WINDOWS_PATHS: Record<KnownModule, string[]> = {
  opensc: [
    'C:\\Program Files\\OpenSC Project\\OpenSC\\pkcs11\\opensc-pkcs11.dll',
    'C:\\Windows\\System32\\opensc-pkcs11.dll',
  ],
  ykcs11: ['C:\\Program Files\\Yubico\\Yubico PIV Tool\\bin\\libykcs11.dll'],
  softhsm: ['C:\\SoftHSM2\\lib\\softhsm2-x64.dll', 'C:\\Program Files\\SoftHSM2\\lib\\softhsm2-x64.dll'],
};

/**
 * The usual paths of each known module on a platform. Hardware middleware (OpenSC, ykcs11) comes
 * before SoftHSM2, so a computer with a real token and a test HSM installed picks the real token.
 */
export function knownModulePaths(
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): Record<KnownModule, string[]> {
  if (platform === 'darwin') return MACOS_PATHS;
  if (platform === 'win32') return WINDOWS_PATHS;
  return linuxPaths(arch);
}

function isKnownModule(name: string): name is KnownModule {
  return (KNOWN_MODULES as readonly string[]).includes(name);
}

function missing(message: string, tried: string[]): LictorError {
  return new LictorError('LICTOR_E_TOKEN_MODULE_MISSING', message, { tried });
}

/**
 * Finds the PKCS#11 module to load. `module` (a path or a name from {@link KNOWN_MODULES}) wins,
 * then `LICTOR_PKCS11_MODULE`, then the first known module installed at its usual path.
 * Throws `LICTOR_E_TOKEN_MODULE_MISSING` naming every path it tried.
 */
export function resolveModule(module?: string, lookup: ModuleLookup = {}): ResolvedModule {
  const env = lookup.env ?? process.env;
  const exists = lookup.exists ?? existsSync;
  const known = knownModulePaths(lookup.platform, lookup.arch);
  const fromEnv = env[MODULE_ENV]?.trim();
  const asked = module?.trim() || fromEnv || undefined;
  const source: ModuleSource = module?.trim() ? 'option' : 'env';
  const where = source === 'option' ? 'given' : `named by ${MODULE_ENV}`;
  if (asked !== undefined && !isKnownModule(asked)) {
    if (exists(asked)) return { path: asked, source };
    throw missing(
      `the PKCS#11 module ${asked} (${where}) does not exist; install the token's middleware or correct the path`,
      [asked],
    );
  }
  const names: KnownModule[] = asked === undefined ? [...KNOWN_MODULES] : [asked];
  const tried = names.flatMap((n) => known[n]);
  const found = tried.find((p) => exists(p));
  if (found !== undefined) return { path: found, source: asked === undefined ? 'default' : source };
  throw missing(
    asked === undefined
      ? `no PKCS#11 module found (tried ${tried.join(', ')}); install OpenSC, the YubiKey PIV tool or SoftHSM2, or set ${MODULE_ENV} to the token's module`
      : `the ${asked} PKCS#11 module (${where}) is not installed (tried ${tried.join(', ')}); install it or pass its path`,
    tried,
  );
}
