/**
 * The C client (`clients/c`, liblictor_runtime) against a real `lictor runtime serve`: a License
 * Center issues a single-user license (activated through the runtime into its store, with
 * container keys) and a multi-user one (activated for a `lictor manager serve`); the client is
 * built with CMake under AddressSanitizer and UndefinedBehaviorSanitizer, its CTest suite runs
 * (spec vectors, JavaScript's semantics, a fake runtime that must be refused, and the integration
 * test over the runtime's socket and its loopback port), then its example checks a feature, opens
 * a session and takes a floating seat, each answer verified with the vendor key alone.
 *
 * Needs cmake, a C compiler with the sanitizers, pkg-config, libcurl, libsodium and cJSON
 * (Debian: cmake gcc pkg-config libcurl4-openssl-dev libsodium-dev libcjson-dev). Without them
 * the tests are skipped, unless LICTOR_REQUIRE_CLIENTS=1 (CI), where a missing toolchain fails.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ClientWorld, startClientWorld } from './client-world.js';

const CLIENT = fileURLToPath(new URL('../../../clients/c', import.meta.url));
const REQUIRED = process.env.LICTOR_REQUIRE_CLIENTS === '1';
const PRODUCT = 'MINER';
const FEATURE = 'reports';

/** What of the C toolchain is missing, or null. */
function missingToolchain(): string | null {
  for (const [tool, args] of [
    ['cmake', ['--version']],
    ['ctest', ['--version']],
    ['cc', ['--version']],
    ['pkg-config', ['--version']],
  ] as const) {
    if (spawnSync(tool, args, { stdio: 'ignore' }).status !== 0) return `${tool} is not installed`;
  }
  const libs = spawnSync('pkg-config', ['--exists', '--print-errors', 'libcurl', 'libsodium', 'libcjson'], {
    encoding: 'utf8',
  });
  if (libs.status !== 0) return `pkg-config does not find libcurl, libsodium and libcjson: ${libs.stderr.trim()}`;
  const sanitizers = spawnSync(
    'cc',
    ['-x', 'c', '-fsanitize=address,undefined', '-o', join(tmpdir(), `lictor-cc-probe-${process.pid}`), '-'],
    { input: 'int main(void) { return 0; }\n', encoding: 'utf8' },
  );
  if (sanitizers.status !== 0) return `cc cannot build with -fsanitize=address,undefined: ${sanitizers.stderr.trim()}`;
  return null;
}

const missing = missingToolchain();
const skip =
  missing !== null && !REQUIRED
    ? `the C client's toolchain is missing (${missing}); LICTOR_REQUIRE_CLIENTS=1 makes this a failure`
    : false;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion (never rejects). */
function run(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(file, args, { ...options, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

let world: ClientWorld;
let build: string;
/** What the C programs see: no proxy, no runtime of the machine, the sanitizers strict. */
let cEnv: NodeJS.ProcessEnv;

before(
  async () => {
    if (skip) return;
    if (missing !== null)
      throw new Error(`LICTOR_REQUIRE_CLIENTS=1 and the C client's toolchain is missing: ${missing}`);
    // The build (a minute or so) runs while the vendor, the manager and the runtime start.
    const buildRoot = await mkdtemp(join(tmpdir(), 'lictor-client-c-build-'));
    build = join(buildRoot, 'build');
    cEnv = {
      PATH: process.env.PATH,
      HOME: buildRoot,
      ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0',
      UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
    };
    const built = (async () => {
      const configured = await run(
        'cmake',
        ['-S', CLIENT, '-B', build, '-DLICTOR_SANITIZE=ON', '-DCMAKE_BUILD_TYPE=Debug'],
        { env: cEnv },
      );
      assert.equal(configured.code, 0, `cmake configure:\n${configured.stdout}\n${configured.stderr}`);
      const compiled = await run('cmake', ['--build', build, '--parallel', '2'], { env: cEnv });
      assert.equal(compiled.code, 0, `cmake --build:\n${compiled.stdout}\n${compiled.stderr}`);
    })();
    built.catch(() => {}); // awaited below; a failure while the world starts is reported there
    world = await startClientWorld({ prefix: 'lictor-client-c-', product: PRODUCT, feature: FEATURE });
    const removeBuild = world.close;
    world.close = async () => {
      await removeBuild();
      await rm(buildRoot, { recursive: true, force: true });
    };
    await built;
  },
  { timeout: 900_000 },
);

after(async () => {
  await world?.close();
});

test('CTest: the spec vectors, a fake runtime refused, and the real runtime over its socket and port', {
  skip,
  timeout: 600_000,
}, async () => {
  const ran = await run('ctest', ['--output-on-failure', '--verbose', '--timeout', '300'], {
    cwd: build,
    env: { ...cEnv, ...world.testEnv },
  });
  const out = `${ran.stdout}\n${ran.stderr}`;
  assert.equal(ran.code, 0, out);
  for (const name of ['test_vectors', 'test_text', 'test_fake_runtime', 'test_fuzz', 'test_integration']) {
    assert.match(out, new RegExp(`Test +#\\d+: ${name} \\.+ +Passed`), `${name} passed (not skipped)`);
  }
  for (const via of ['socket', 'http']) {
    assert.match(out, new RegExp(`${via} check ${PRODUCT}/${FEATURE} serial LX-\\S+ container \\S+`));
    assert.match(out, new RegExp(`${via} refused no-such-feature LICTOR_E_FEATURE_NOT_LICENSED`));
    assert.match(out, new RegExp(`${via} session \\S+ pid \\d+ os-session \\S+`));
    assert.match(out, new RegExp(`${via} seat \\S+ lease \\S+ from http://127\\.0\\.0\\.1:\\d+`));
  }
});

test('the example checks a feature, opens a session and takes a floating seat, over the socket and over HTTP', {
  skip,
  timeout: 120_000,
}, async () => {
  const app = { ...cEnv, ...world.appEnv };
  for (const where of [{ LICTOR_RUNTIME_SOCKET: world.runtime.socket }, { LICTOR_RUNTIME_URL: world.runtime.url }]) {
    const ran = await run(join(build, 'lictor_example'), [], { env: { ...app, ...where } });
    assert.equal(ran.code, 0, `${ran.stdout}\n${ran.stderr}`);
    assert.match(ran.stdout, new RegExp(`^${PRODUCT} ${FEATURE} licensed by LX-\\S+; session \\S+; seat \\S+\\n$`));
  }
});

test("the example embedding another vendor's key is not licensed", { skip, timeout: 120_000 }, async () => {
  const other = join(world.root, 'other-center');
  await world.session.run('center', 'init', '--data', other);
  const otherKey = (await world.session.run('center', 'public-key', '--data', other)).trim();
  const ran = await run(join(build, 'lictor_example'), [], {
    env: {
      ...cEnv,
      LICTOR_PUBLIC_KEY: otherKey,
      LICTOR_PRODUCT: PRODUCT,
      LICTOR_FEATURE: FEATURE,
      LICTOR_RUNTIME_SOCKET: world.runtime.socket,
    },
  });
  assert.equal(ran.code, 1, ran.stdout);
  assert.match(ran.stderr, /^not licensed: LICTOR_E_NOT_LICENSED: /);
});

test('a relay that alters what the runtime signed is refused by the C client', { skip, timeout: 120_000 }, async () => {
  // A loopback relay in front of the real runtime that rewrites the granted serial: the signature
  // still verifies over `signed`, but the answer's own fields no longer are what was signed.
  const { createServer } = await import('node:http');
  const relay = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', async () => {
      const answer = await fetch(`${world.runtime.url}${req.url}`, {
        method: req.method,
        headers: { 'content-type': 'application/json' },
        body,
      });
      const text = (await answer.text()).replace(/"serial":"LX-[^"]+"/, '"serial":"LX-FORGED"');
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text);
    });
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const port = (relay.address() as { port: number }).port;
  try {
    const program = join(world.root, 'relay-check.c');
    await writeFile(
      program,
      [
        '#include <stdio.h>',
        '#include <stdlib.h>',
        '#include "lictor_runtime.h"',
        'int main(void) {',
        '  lictor_runtime_options o = {.public_key = getenv("LICTOR_PUBLIC_KEY"), .url = getenv("RELAY_URL")};',
        '  lictor_runtime *rt = NULL; lictor_grant *g = NULL; lictor_error e;',
        '  int rc = lictor_runtime_open(&o, &rt, &e) || lictor_runtime_check(rt, "MINER", "reports", &g, &e);',
        '  if (rc) printf("%s %s\\n", e.code, e.reason); else printf("granted %s\\n", g->serial);',
        '  lictor_grant_free(g); lictor_runtime_close(rt); return 0;',
        '}',
        '',
      ].join('\n'),
    );
    const exe = join(world.root, 'relay-check');
    const pkg = spawnSync('pkg-config', ['--cflags', '--libs', 'libcurl', 'libsodium', 'libcjson'], {
      encoding: 'utf8',
    }).stdout.trim();
    const compiled = await run('sh', [
      '-c',
      `cc -std=c11 -I${join(CLIENT, 'include')} ${program} ${join(build, 'liblictor_runtime.a')} ${pkg} -lm -fsanitize=address,undefined -o ${exe}`,
    ]);
    assert.equal(compiled.code, 0, compiled.stderr);
    const ran = await run(exe, [], {
      env: { ...cEnv, LICTOR_PUBLIC_KEY: world.publicKey, RELAY_URL: `http://127.0.0.1:${port}` },
    });
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, 'LICTOR_E_ANSWER_UNPROVEN signature\n');
  } finally {
    relay.close();
    relay.closeAllConnections();
  }
});
