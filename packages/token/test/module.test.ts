/** Finding and loading a PKCS#11 module, and what a missing or broken one reports. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { knownModulePaths, MODULE_ENV, openTokenModule, resolveModule } from '../src/index.js';
import { refusal } from './refusal.js';
import { softhsmModule } from './softhsm.js';

const only =
  (...present: string[]) =>
  (p: string) =>
    present.includes(p);

describe('resolveModule', () => {
  test('an explicit path wins over the environment and the defaults', () => {
    const got = resolveModule('/opt/token/lib.so', {
      env: { [MODULE_ENV]: '/env/lib.so' },
      exists: only('/opt/token/lib.so', '/env/lib.so', '/usr/lib/softhsm/libsofthsm2.so'),
      platform: 'linux',
    });
    assert.deepEqual(got, { path: '/opt/token/lib.so', source: 'option' });
  });

  test('LICTOR_PKCS11_MODULE is used when no path is given', () => {
    const got = resolveModule(undefined, {
      env: { [MODULE_ENV]: '/env/lib.so' },
      exists: only('/env/lib.so'),
      platform: 'linux',
    });
    assert.deepEqual(got, { path: '/env/lib.so', source: 'env' });
  });

  test('defaults: hardware middleware before SoftHSM2, per OS and architecture', () => {
    const linux = knownModulePaths('linux', 'x64');
    assert.ok(linux.opensc.includes('/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so'));
    assert.ok(linux.ykcs11.includes('/usr/lib/x86_64-linux-gnu/libykcs11.so'));
    assert.ok(linux.softhsm.includes('/usr/lib/softhsm/libsofthsm2.so'));
    assert.ok(knownModulePaths('linux', 'arm64').opensc.includes('/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so'));
    assert.ok(knownModulePaths('darwin').opensc.includes('/Library/OpenSC/lib/opensc-pkcs11.so'));
    assert.ok(knownModulePaths('win32').ykcs11.some((p) => p.endsWith('libykcs11.dll')));

    const both = only('/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so');
    assert.deepEqual(resolveModule(undefined, { env: {}, exists: both, platform: 'linux', arch: 'x64' }), {
      path: '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so',
      source: 'default',
    });
  });

  test('a known name picks that module (from the option or the environment)', () => {
    const both = only('/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so');
    const lookup = { exists: both, platform: 'linux' as const, arch: 'x64' };
    assert.equal(resolveModule('softhsm', { ...lookup, env: {} }).path, '/usr/lib/softhsm/libsofthsm2.so');
    assert.deepEqual(resolveModule(undefined, { ...lookup, env: { [MODULE_ENV]: 'softhsm' } }), {
      path: '/usr/lib/softhsm/libsofthsm2.so',
      source: 'env',
    });
  });

  test('a missing path given explicitly is refused with the path and what to do', () => {
    const err = refusal(() => resolveModule('/nowhere/pkcs11.so', { env: {}, exists: () => false }));
    assert.equal(err.code, 'LICTOR_E_TOKEN_MODULE_MISSING');
    assert.match(err.message, /\/nowhere\/pkcs11\.so \(given\) does not exist/);
    assert.deepEqual(err.details, { tried: ['/nowhere/pkcs11.so'] });
  });

  test('a missing path from the environment names the variable', () => {
    const err = refusal(() => resolveModule(undefined, { env: { [MODULE_ENV]: '/env/x.so' }, exists: () => false }));
    assert.equal(err.code, 'LICTOR_E_TOKEN_MODULE_MISSING');
    assert.match(err.message, new RegExp(`named by ${MODULE_ENV}`));
  });

  test('no module anywhere: every tried path is listed', () => {
    const err = refusal(() => resolveModule(undefined, { env: {}, exists: () => false, platform: 'darwin' }));
    assert.equal(err.code, 'LICTOR_E_TOKEN_MODULE_MISSING');
    const tried = (err.details as { tried: string[] }).tried;
    assert.ok(tried.includes('/Library/OpenSC/lib/opensc-pkcs11.so'));
    assert.ok(tried.includes('/opt/homebrew/lib/softhsm/libsofthsm2.so'));
    assert.match(err.message, /set LICTOR_PKCS11_MODULE/);
  });

  test('a known name that is not installed says so', () => {
    const err = refusal(() => resolveModule('ykcs11', { env: {}, exists: () => false, platform: 'linux' }));
    assert.equal(err.code, 'LICTOR_E_TOKEN_MODULE_MISSING');
    assert.match(err.message, /the ykcs11 PKCS#11 module \(given\) is not installed/);
  });
});

describe('openTokenModule', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lictor-module-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a module path that does not exist: TOKEN_MODULE_MISSING with the reason', () => {
    const err = refusal(() => openTokenModule(join(dir, 'missing.so')));
    assert.equal(err.code, 'LICTOR_E_TOKEN_MODULE_MISSING');
    assert.match(err.message, /missing\.so \(given\) does not exist/);
  });

  test('a file that is not a PKCS#11 library: TOKEN_MODULE_MISSING with the loader message', async () => {
    const fake = join(dir, 'not-a-library.so');
    await writeFile(fake, 'this is text, not a shared library\n');
    const err = refusal(() => openTokenModule(fake));
    assert.equal(err.code, 'LICTOR_E_TOKEN_MODULE_MISSING');
    assert.match(err.message, /cannot be loaded: .+/);
    assert.deepEqual(err.details, { path: fake });
  });

  const hsm = softhsmModule();
  test('a module that loads but cannot initialize (SoftHSM2 without its configuration)', {
    skip: 'skip' in hsm ? hsm.skip : false,
  }, () => {
    if ('skip' in hsm) return;
    process.env.SOFTHSM2_CONF = join(dir, 'no-such-softhsm2.conf');
    const err = refusal(() => openTokenModule(hsm.path));
    assert.equal(err.code, 'LICTOR_E_TOKEN_MODULE_MISSING');
    assert.match(err.message, /loads but does not initialize \(CKR_GENERAL_ERROR\)/);
    assert.match(err.message, /SOFTHSM2_CONF/);
  });
});
