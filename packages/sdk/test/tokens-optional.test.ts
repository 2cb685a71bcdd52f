/**
 * `@lictor/token` is an optional peer dependency of the SDK: an application that turns tokens on
 * without the package installed still opens its licensing, keeps its other licenses, and
 * `status()` says why token licenses are unavailable. The package is made unresolvable in a
 * child process by a module resolution hook, as if it had never been installed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { encodeLicenseFile, type LicenseDocument } from '@lictor/protocol';
import type { CheckResult, LicenseFileStatus } from '../src/index.js';
import { writeScript } from './child-process.js';
import { entry, HW, OWNER, vendor } from './container-fixtures.js';

const run = promisify(execFile);

/** A module hook that answers "not installed" for `@lictor/token`. */
const BLOCK_TOKEN_PACKAGE = `
import { register } from 'node:module';
const hook = \`export async function resolve(specifier, context, next) {
  if (specifier === '@lictor/token') {
    const err = new Error("Cannot find package '@lictor/token' imported from the SDK");
    err.code = 'ERR_MODULE_NOT_FOUND';
    throw err;
  }
  return next(specifier, context);
}\`;
register('data:text/javascript,' + encodeURIComponent(hook));
`;

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-sdk-token-optional-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('without @lictor/token installed, tokens: {} leaves the other licenses working and status() explains', async () => {
  const store = await mkdtemp(join(root, 'store-'));
  const doc: LicenseDocument = {
    format: 1,
    containerId: 'c-optional',
    activationId: 'a-optional',
    serial: 'LX-OPTN-0000-AAAA',
    pin: 1,
    issuedAt: new Date().toISOString(),
    counter: 0,
    owner: OWNER,
    binding: { kind: 'hardware', hardware: HW },
    licenses: [entry()],
  };
  await writeFile(join(store, 'computer.lic'), encodeLicenseFile(doc, vendor));
  const hook = join(root, 'block-token.mjs');
  await writeFile(hook, BLOCK_TOKEN_PACKAGE);
  const script = await writeScript(
    root,
    'open.mjs',
    `const licensing = await openLicensing({
      product: 'SCADA',
      publicKey: args.publicKey,
      paths: [args.store],
      hardware: async () => args.hardware,
      machineSecret: async () => new Uint8Array(32),
      watch: false,
      tokens: { pin: '1234' },
    });
    console.log(JSON.stringify({ check: licensing.check('historian'), status: licensing.status() }));
    await licensing.close();`,
  );
  const { stdout } = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      hook,
      script,
      JSON.stringify({ publicKey: vendor.publicKey.text, store, hardware: HW }),
    ],
    { env: { ...process.env, LICTOR_PKCS11_MODULE: '' } },
  );
  const { check, status } = JSON.parse(stdout) as { check: CheckResult; status: LicenseFileStatus[] };
  assert.equal(check.ok, true, JSON.stringify(check));
  const unavailable = status.find((f) => f.code === 'LICTOR_E_TOKEN_MODULE_MISSING');
  assert.ok(unavailable, JSON.stringify(status));
  assert.match(unavailable.reason ?? '', /^token licenses unavailable: the @lictor\/token package cannot be loaded/);
  assert.equal(status.find((f) => f.path === join(store, 'computer.lic'))?.available, true);
});
