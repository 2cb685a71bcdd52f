/**
 * The Python client (`clients/python`) against a real `lictor runtime serve`: a License Center
 * issues a license that the runtime activates online and a multi-user license that a License
 * Manager on this computer serves; the runtime listens on a temporary socket and a free loopback
 * port. Then the client's own tests run with their whereabouts in the environment (its unit
 * tests, the spec's vectors, and `tests/test_integration.py` against this runtime), and its
 * example checks a feature, opens a session and takes a floating seat, over the socket and over
 * loopback HTTP.
 *
 * Needs `python3` (≥ 3.9) with `cryptography` (Debian: python3, python3-cryptography; another
 * interpreter with LICTOR_PYTHON) and the built CLI (`npm run build`). Without Python it is
 * skipped with the reason, unless LICTOR_REQUIRE_CLIENTS=1 (CI), where it fails.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generateVendorKeys } from '@lictor/protocol';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const CLIENT = join(REPO, 'clients', 'python');
const BIN = join(REPO, 'packages', 'cli', 'bin', 'lictor.js');
const PYTHON = process.env.LICTOR_PYTHON ?? 'python3';

/** Why the Python client cannot run here, or `undefined` when it can. */
function missingToolchain(): string | undefined {
  const probe = spawnSync(
    PYTHON,
    ['-c', 'import sys, cryptography; assert sys.version_info >= (3, 9), sys.version; print(cryptography.__version__)'],
    { encoding: 'utf8' },
  );
  if (probe.error) return `${PYTHON} is not installed (${probe.error.message})`;
  if (probe.status !== 0) return `${PYTHON} ≥ 3.9 with the cryptography package is needed: ${probe.stderr.trim()}`;
  return undefined;
}

const missing = missingToolchain();
const required = process.env.LICTOR_REQUIRE_CLIENTS === '1';
const skip = missing !== undefined && !required ? `Python client not tested: ${missing}` : false;

let root: string;
const children: ChildProcess[] = [];
const env: NodeJS.ProcessEnv = {};

/** Runs `lictor …` to completion; its stdout. */
function lictor(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`lictor ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout),
    );
  });
}

/** Starts a long-running `lictor …` and resolves with the URL it prints once it listens. */
function serve(...args: string[]): Promise<{ url: string; out: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env });
    children.push(child);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) resolve({ url, out: () => out });
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('exit', (code) => reject(new Error(`lictor ${args.slice(0, 2).join(' ')} exited with ${code}: ${out}`)));
  });
}

/** Runs the Python interpreter in the client's directory; exit code and output. */
function python(args: string[], extra: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      PYTHON,
      args,
      {
        cwd: CLIENT,
        env: { PATH: process.env.PATH, HOME: env.HOME, PYTHONPATH: CLIENT, PYTHONDONTWRITEBYTECODE: '1', ...extra },
        timeout: 300_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A License Center with product ERP (features reports and api) and two licenses issued. */
async function vendor(): Promise<{ publicKey: string; center: string; single: Issued; multi: Issued }> {
  const data = join(root, 'center');
  await lictor('center', 'init', '--data', data);
  const publicKey = (await lictor('center', 'public-key', '--data', data)).trim();
  await lictor(
    'center',
    'product',
    'add',
    'ERP',
    '--name',
    'ACME ERP',
    '--feature',
    'reports',
    '--feature',
    'api',
    '--data',
    data,
  );
  const issue = async (...args: string[]) =>
    JSON.parse(await lictor('center', 'issue', '--product', 'ERP', '--json', '--data', data, ...args)) as Issued;
  const single = await issue('--type', 'single', '--feature', 'reports');
  const multi = await issue('--type', 'multi', '--users', '3', '--feature', 'reports');
  const center = (await serve('center', 'serve', '--data', data, '--port', '0', '--log-level', 'warn')).url;
  return { publicKey, center, single, multi };
}

interface Issued {
  serial: string;
  pins: { pin: string }[];
}

before(async () => {
  if (skip) return;
  root = await mkdtemp(join(tmpdir(), 'lictor-client-python-'));
  await mkdir(join(root, 'licenses'));
  Object.assign(env, {
    PATH: process.env.PATH,
    HOME: join(root, 'home'),
    XDG_DATA_HOME: join(root, 'home', 'data'),
    LICTOR_LICENSE_PATH: join(root, 'licenses'),
  });
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  if (root) await rm(root, { recursive: true, force: true });
});

test('the Python client checks, opens sessions and takes seats through a real runtime, and its tests pass', {
  skip,
  timeout: 600_000,
}, async () => {
  assert.equal(missing, undefined, `LICTOR_REQUIRE_CLIENTS=1 and ${missing}`);
  const { publicKey, center, single, multi } = await vendor();
  env.LICTOR_PUBLIC_KEY = publicKey;
  const owner = ['--company', 'Initech', '--email', 'it@initech.example'];

  // A License Manager on this computer serving the multi-user license (activated here: its
  // container key signs the seats).
  const managerDir = join(root, 'manager');
  await lictor(
    'activate',
    '--center',
    center,
    '--serial',
    multi.serial,
    '--pin',
    multi.pins[0]?.pin ?? '',
    ...owner,
    '--store',
    join(managerDir, 'licenses'),
  );
  const manager = await serve(
    'manager',
    'serve',
    '--data',
    managerDir,
    '--port',
    '0',
    '--discovery-port',
    '0',
    '--announce-port',
    '0',
    '--log-level',
    'warn',
  );

  // The runtime, told where the manager is; it activates the single-user license for the application.
  const socket = join(root, 'rt.sock');
  env.LICTOR_MANAGER = manager.url;
  const runtime = await serve(
    'runtime',
    'serve',
    '--state-dir',
    join(root, 'runtime'),
    '--socket',
    socket,
    '--port',
    '0',
    '--log-level',
    'warn',
  );
  const activated = await fetch(`${runtime.url}/v1/activations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      publicKey,
      product: 'ERP',
      center,
      serial: single.serial,
      pin: single.pins[0]?.pin,
      owner: { company: 'Initech', email: 'it@initech.example' },
    }),
  });
  assert.equal(activated.status, 201, await activated.clone().text());

  const clientEnv = {
    LICTOR_RUNTIME_SOCKET: socket,
    LICTOR_RUNTIME_URL: runtime.url,
    LICTOR_PUBLIC_KEY: publicKey,
    LICTOR_PRODUCT: 'ERP',
    LICTOR_FEATURE: 'reports',
    LICTOR_OTHER_FEATURE: 'api',
    LICTOR_SERIAL: single.serial,
    LICTOR_OTHER_PUBLIC_KEY: generateVendorKeys().publicKey,
  };

  // Every test of the client: units, the spec's vectors, fake runtimes, and this runtime.
  const tests = await python(['-m', 'unittest', 'discover', '-s', 'tests', '-v'], {
    ...clientEnv,
    LICTOR_TEST_RUNTIME: '1',
  });
  assert.equal(tests.code, 0, `${tests.stdout}\n${tests.stderr}`);
  for (const name of [
    'test_check_over_the_socket_and_over_loopback_http',
    'test_refusals_carry_the_runtime_s_codes',
    'test_sessions_open_and_close',
    'test_a_seat_is_taken_and_given_back',
    'test_a_crashed_process_s_session_is_freed_and_told',
  ]) {
    // `name (test_integration.RealRuntime[.name]) ... ok` (Python 3.11 repeats the name, 3.9 does not)
    assert.match(tests.stderr, new RegExp(`${name} \\(test_integration\\.RealRuntime[.\\w]*\\) \\.\\.\\. ok\n`));
  }
  assert.doesNotMatch(tests.stderr, /RealRuntime[^\n]*skipped/);
  assert.match(tests.stderr, /\nOK( \(skipped=\d+\))?\n/);

  // The example, over the socket and over loopback HTTP.
  for (const where of [{ LICTOR_RUNTIME_SOCKET: socket }, { LICTOR_RUNTIME_URL: runtime.url }]) {
    const example = await python(['example.py'], {
      LICTOR_PUBLIC_KEY: publicKey,
      LICTOR_PRODUCT: 'ERP',
      LICTOR_FEATURE: 'reports',
      ...where,
    });
    assert.equal(example.code, 0, example.stderr);
    const lines = example.stdout.trim().split('\n');
    assert.equal(lines.length, 3, example.stdout);
    assert.match(lines[0] ?? '', new RegExp(`^check: ERP/reports licensed by ${single.serial} \\(single\\)$`));
    assert.match(lines[1] ?? '', /^session: \S+ of process \d+ on \S+\.lic$/);
    assert.match(
      lines[2] ?? '',
      new RegExp(`^seat: lease \\S+ from ${manager.url.replace(/[.]/g, '\\.')} until \\S+Z$`),
    );
  }

  // Nothing held is left behind: the seats were given back, the sessions closed or freed.
  const status = (await (await fetch(`${runtime.url}/v1/status`)).json()) as {
    sessions: { count: number };
    seats: { count: number };
  };
  assert.deepEqual([status.sessions.count, status.seats.count], [0, 0]);
});
