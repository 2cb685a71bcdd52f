/**
 * `lictor runtime serve` and `lictor runtime status` through the built command: a runtime on this
 * computer activates online against a real License Center on an application's behalf, answers
 * checks over its socket and port, and tells a person (or a script) what it serves. Without
 * `@lictor/runtime` installed, the runtime commands say which package to install.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type BinSession, binSession } from './bin.js';

let root: string;
let session: BinSession;
const lictor = (...args: string[]) => session.run(...args);

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-cli-rt-'));
  session = binSession({
    PATH: process.env.PATH,
    HOME: join(root, 'home'),
    XDG_DATA_HOME: join(root, 'home', 'data'),
    XDG_RUNTIME_DIR: join(root, 'run'),
    LICTOR_RUNTIME_HOME: join(root, 'runtime'),
    LICTOR_LICENSE_PATH: join(root, 'licenses'),
  });
});

after(async () => {
  session.killAll();
  await rm(root, { recursive: true, force: true });
});

const nonce = () => randomBytes(16).toString('base64url');

async function post(
  url: string,
  path: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

test('lictor runtime serve activates for an application, answers its checks, and lictor runtime status shows it', async () => {
  const center = join(root, 'center');
  await lictor('center', 'init', '--data', center);
  const publicKey = (await lictor('center', 'public-key', '--data', center)).trim();
  await lictor('center', 'product', 'add', 'ERP', '--name', 'ACME ERP', '--feature', 'reports', '--data', center);
  const issued = JSON.parse(
    await lictor(
      'center',
      'issue',
      '--product',
      'ERP',
      '--type',
      'single',
      '--feature',
      'reports',
      '--json',
      '--data',
      center,
    ),
  ) as { serial: string; pins: { pin: string }[] };
  const centerServer = await session.serve('center', 'serve', '--data', center, '--port', '0', '--log-level', 'warn');

  const runtime = await session.serve('runtime', 'serve', '--port', '0', '--socket-mode', '600', '--log-level', 'warn');
  const socket = join(root, 'run', 'lictor', 'runtime.sock');
  assert.equal((await stat(socket)).mode & 0o777, 0o600);
  assert.match(runtime.out(), new RegExp(`listening on http://127\\.0\\.0\\.1:\\d+ and unix:${socket}`));
  assert.match(
    await runtime.waitFor(/processes per OS session/),
    /at most 256 OS sessions per license file, 256 processes per OS session/,
  );

  // Nothing asked yet; status finds the runtime on its default socket.
  const idle = await lictor('runtime', 'status');
  assert.match(idle, /^Lictor Runtime [0-9a-f-]{36}, version \d+\.\d+\.\d+/);
  assert.match(idle, new RegExp(`listening on: unix:${socket}, ${runtime.url}`));
  assert.match(idle, /no application has asked for one yet/);

  const app = { publicKey, product: 'ERP' };
  const before = await post(runtime.url, '/v1/check', { ...app, nonce: nonce() });
  assert.equal(before.status, 403);
  assert.equal(before.json.code, 'LICTOR_E_NOT_LICENSED');
  const activated = await post(runtime.url, '/v1/activations', {
    ...app,
    center: centerServer.url,
    serial: issued.serial,
    pin: issued.pins[0]?.pin,
    owner: { company: 'Initech', email: 'it@initech.example' },
  });
  assert.equal(activated.status, 201, JSON.stringify(activated.json));
  assert.equal(activated.json.serial, issued.serial);
  assert.equal(dirname(activated.json.file as string), join(root, 'runtime', 'licenses'));
  const granted = await post(runtime.url, '/v1/check', { ...app, feature: 'reports', nonce: nonce() });
  assert.equal(granted.status, 200);
  assert.equal(granted.json.serial, issued.serial);

  const status = JSON.parse(await lictor('runtime', 'status', '--json', '--socket', socket)) as {
    runtime: { url: string; socket: string; stateDir: string };
    products: { product: string; files: { state: string; serial: string }[] }[];
  };
  assert.equal(status.runtime.url, runtime.url);
  assert.equal(status.runtime.socket, socket);
  assert.equal(status.runtime.stateDir, join(root, 'runtime'));
  assert.deepEqual(
    status.products.map((p) => [p.product, p.files.map((f) => [f.state, f.serial])]),
    [['ERP', [['available', issued.serial]]]],
  );
  const shown = await lictor('runtime', 'status', '--url', runtime.url);
  assert.match(shown, /ERP \(vendor key [0-9a-f]{16}, client 64-bit\):/);
  assert.match(shown, new RegExp(`available +${issued.serial}`));

  // A second runtime on the same socket is refused; the first one keeps serving.
  const second = await session.attempt('runtime', 'serve', '--port', '0', '--state-dir', join(root, 'runtime2'));
  assert.equal(second.code, 1);
  assert.match(second.stderr, /LICTOR_E_PORT_IN_USE.*another Lictor Runtime answers/);
  assert.equal((await post(runtime.url, '/v1/check', { ...app, nonce: nonce() })).status, 200);
  assert.deepEqual(await readdir(join(root, 'run', 'lictor')), ['runtime.sock']);
});

test('lictor runtime refuses what is not local, and says when no runtime answers', async () => {
  const wide = await session.attempt(
    'runtime',
    'serve',
    '--host',
    '0.0.0.0',
    '--no-socket',
    '--state-dir',
    join(root, 'wide'),
  );
  assert.equal(wide.code, 1);
  assert.match(wide.stderr, /LICTOR_E_NOT_LOCAL/);
  const badMode = await session.attempt('runtime', 'serve', '--socket-mode', '777');
  assert.equal(badMode.code, 2);
  assert.match(badMode.stderr, /must be 600 or 660/);
  const nobody = await session.attempt('runtime', 'status', '--url', 'http://127.0.0.1:1');
  assert.equal(nobody.code, 1);
  assert.match(nobody.stderr, /LICTOR_E_RUNTIME_UNREACHABLE/);
});

test('without @lictor/runtime installed, lictor runtime names the package to install', async () => {
  // A copy of the CLI whose node_modules has every package but the runtime.
  const cli = fileURLToPath(new URL('..', import.meta.url));
  const repoModules = fileURLToPath(new URL('../../../node_modules', import.meta.url));
  const bare = join(root, 'bare');
  await mkdir(join(bare, 'node_modules', '@lictor'), { recursive: true });
  for (const name of await readdir(repoModules)) {
    if (name !== '@lictor' && !name.startsWith('.'))
      await symlink(join(repoModules, name), join(bare, 'node_modules', name));
  }
  for (const name of await readdir(join(repoModules, '@lictor'))) {
    if (name !== 'runtime' && name !== 'cli') {
      await symlink(join(repoModules, '@lictor', name), join(bare, 'node_modules', '@lictor', name));
    }
  }
  await cp(join(cli, 'dist'), join(bare, 'cli', 'dist'), { recursive: true });
  await cp(join(cli, 'bin'), join(bare, 'cli', 'bin'), { recursive: true });
  await cp(join(cli, 'package.json'), join(bare, 'cli', 'package.json'));
  const ran = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [join(bare, 'cli', 'bin', 'lictor.js'), 'runtime', 'status'],
      { env: session.env },
      (err, _out, stderr) => resolve({ code: err ? Number(err.code) : 0, stderr }),
    );
  });
  assert.equal(ran.code, 1);
  assert.match(ran.stderr, /LICTOR_E_PACKAGE_MISSING.*@lictor\/runtime/);
});
