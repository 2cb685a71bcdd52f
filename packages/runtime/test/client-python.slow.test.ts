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
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ClientWorld, heldByRuntime, startClientWorld } from './client-world.js';

const CLIENT = fileURLToPath(new URL('../../../clients/python/', import.meta.url));
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

let world: ClientWorld | undefined;

/** Runs the Python interpreter in the client's directory; exit code and output. */
function python(args: string[], extra: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      PYTHON,
      args,
      {
        cwd: CLIENT,
        env: {
          PATH: process.env.PATH,
          HOME: join(world?.root ?? CLIENT, 'home'),
          PYTHONPATH: CLIENT,
          PYTHONDONTWRITEBYTECODE: '1',
          ...extra,
        },
        timeout: 300_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

after(async () => {
  await world?.close();
});

test('the Python client checks, opens sessions and takes seats through a real runtime, and its tests pass', {
  skip,
  timeout: 600_000,
}, async () => {
  assert.equal(missing, undefined, `LICTOR_REQUIRE_CLIENTS=1 and ${missing}`);
  world = await startClientWorld({ prefix: 'lictor-client-python-', multiUsers: 3 });
  const { single, manager, runtime } = world;

  // Every test of the client: units, the spec's vectors, fake runtimes, and this runtime.
  const tests = await python(['-m', 'unittest', 'discover', '-s', 'tests', '-v'], world.testEnv);
  assert.equal(tests.code, 0, `${tests.stdout}\n${tests.stderr}`);
  for (const name of [
    'test_check_over_the_socket_and_over_loopback_http',
    'test_answers_come_macd_within_an_answer_session',
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
  for (const where of [{ LICTOR_RUNTIME_SOCKET: runtime.socket }, { LICTOR_RUNTIME_URL: runtime.url }]) {
    const example = await python(['example.py'], { ...world.appEnv, ...where });
    assert.equal(example.code, 0, example.stderr);
    const lines = example.stdout.trim().split('\n');
    assert.equal(lines.length, 3, example.stdout);
    assert.match(lines[0] ?? '', new RegExp(`^check: ERP/reports licensed by ${single.serial} \\(single\\)$`));
    assert.match(lines[1] ?? '', /^session: \S+ of process \d+ on \S+\.lic$/);
    assert.match(lines[2] ?? '', new RegExp(`^seat: lease \\S+ from ${manager.replace(/[.]/g, '\\.')} until \\S+Z$`));
  }

  // Nothing held is left behind: the seats were given back, the sessions closed or freed.
  assert.deepEqual(await heldByRuntime(world), [0, 0]);
});
