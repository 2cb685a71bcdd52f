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
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type BinSession, binSession } from '../../cli/test/bin.js';

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

let root: string;
let build: string;
let session: BinSession;
let publicKey: string;
let runtimeUrl: string;
let runtimeSocket: string;
/** What the C programs see: no proxy, no runtime of the machine, the sanitizers strict. */
let cEnv: NodeJS.ProcessEnv;

before(
  async () => {
    if (skip) return;
    if (missing !== null)
      throw new Error(`LICTOR_REQUIRE_CLIENTS=1 and the C client's toolchain is missing: ${missing}`);
    root = await mkdtemp(join(tmpdir(), 'lictor-client-c-'));
    build = join(root, 'build');
    session = binSession({
      PATH: process.env.PATH,
      HOME: join(root, 'home'),
      XDG_DATA_HOME: join(root, 'home', 'data'),
    });
    cEnv = {
      PATH: process.env.PATH,
      HOME: join(root, 'home'),
      ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0',
      UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
    };
    // The build (a minute or so) runs while the vendor, the manager and the runtime start.
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

    const lictor = (...args: string[]) => session.run(...args);
    const center = join(root, 'center');
    await lictor('center', 'init', '--data', center);
    publicKey = (await lictor('center', 'public-key', '--data', center)).trim();
    session.env.LICTOR_PUBLIC_KEY = publicKey;
    await lictor('center', 'product', 'add', PRODUCT, '--name', 'ACME Miner', '--feature', FEATURE, '--data', center);
    const issue = async (...args: string[]) =>
      JSON.parse(
        await lictor(
          'center',
          'issue',
          '--product',
          PRODUCT,
          '--feature',
          FEATURE,
          '--json',
          '--data',
          center,
          ...args,
        ),
      ) as { serial: string; pins: { pin: string }[] };
    const single = await issue('--type', 'single');
    const multi = await issue('--type', 'multi', '--users', '2');
    const centerServer = await session.serve('center', 'serve', '--data', center, '--port', '0', '--log-level', 'warn');

    // The License Manager: the multi-user license activated on its computer (this one).
    const managerDir = join(root, 'manager');
    await lictor(
      'activate',
      '--center',
      centerServer.url,
      '--serial',
      multi.serial,
      '--pin',
      multi.pins[0]?.pin ?? '',
      '--company',
      'Initech',
      '--email',
      'it@initech.example',
      '--store',
      join(managerDir, 'licenses'),
    );
    const manager = await session.serve(
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

    // The runtime on a temporary socket and a free port; seats from that manager.
    session.env.LICTOR_MANAGER = manager.url;
    runtimeSocket = join(root, 'run', 'runtime.sock');
    await mkdir(join(root, 'run'), { mode: 0o700 });
    const runtime = await session.serve(
      'runtime',
      'serve',
      '--state-dir',
      join(root, 'runtime'),
      '--socket',
      runtimeSocket,
      '--port',
      '0',
      '--log-level',
      'warn',
    );
    runtimeUrl = runtime.url;
    // The single-user license, activated by the runtime into its store (container keys made there).
    const activated = await fetch(`${runtimeUrl}/v1/activations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        publicKey,
        product: PRODUCT,
        center: centerServer.url,
        serial: single.serial,
        pin: single.pins[0]?.pin,
        owner: { company: 'Initech', email: 'it@initech.example' },
      }),
    });
    assert.equal(activated.status, 201, await activated.text());
    await built;
  },
  { timeout: 900_000 },
);

after(async () => {
  session?.killAll();
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

test('CTest: the spec vectors, a fake runtime refused, and the real runtime over its socket and port', {
  skip,
  timeout: 600_000,
}, async () => {
  const ran = await run('ctest', ['--output-on-failure', '--verbose', '--timeout', '300'], {
    cwd: build,
    env: {
      ...cEnv,
      LICTOR_TEST_PUBLIC_KEY: publicKey,
      LICTOR_TEST_PRODUCT: PRODUCT,
      LICTOR_TEST_FEATURE: FEATURE,
      LICTOR_TEST_RUNTIME_SOCKET: runtimeSocket,
      LICTOR_TEST_RUNTIME_URL: runtimeUrl,
      LICTOR_TEST_SEATS: '1',
    },
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
  const app = { ...cEnv, LICTOR_PUBLIC_KEY: publicKey, LICTOR_PRODUCT: PRODUCT, LICTOR_FEATURE: FEATURE };
  for (const where of [{ LICTOR_RUNTIME_SOCKET: runtimeSocket }, { LICTOR_RUNTIME_URL: runtimeUrl }]) {
    const ran = await run(join(build, 'lictor_example'), [], { env: { ...app, ...where } });
    assert.equal(ran.code, 0, `${ran.stdout}\n${ran.stderr}`);
    assert.match(ran.stdout, new RegExp(`^${PRODUCT} ${FEATURE} licensed by LX-\\S+; session \\S+; seat \\S+\\n$`));
  }
});

test("the example embedding another vendor's key is not licensed", { skip, timeout: 120_000 }, async () => {
  const other = join(root, 'other-center');
  await session.run('center', 'init', '--data', other);
  const otherKey = (await session.run('center', 'public-key', '--data', other)).trim();
  const ran = await run(join(build, 'lictor_example'), [], {
    env: {
      ...cEnv,
      LICTOR_PUBLIC_KEY: otherKey,
      LICTOR_PRODUCT: PRODUCT,
      LICTOR_FEATURE: FEATURE,
      LICTOR_RUNTIME_SOCKET: runtimeSocket,
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
      const answer = await fetch(`${runtimeUrl}${req.url}`, {
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
    const program = join(root, 'relay-check.c');
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
    const exe = join(root, 'relay-check');
    const pkg = spawnSync('pkg-config', ['--cflags', '--libs', 'libcurl', 'libsodium', 'libcjson'], {
      encoding: 'utf8',
    }).stdout.trim();
    const compiled = await run('sh', [
      '-c',
      `cc -std=c11 -I${join(CLIENT, 'include')} ${program} ${join(build, 'liblictor_runtime.a')} ${pkg} -lm -fsanitize=address,undefined -o ${exe}`,
    ]);
    assert.equal(compiled.code, 0, compiled.stderr);
    const ran = await run(exe, [], {
      env: { ...cEnv, LICTOR_PUBLIC_KEY: publicKey, RELAY_URL: `http://127.0.0.1:${port}` },
    });
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, 'LICTOR_E_ANSWER_UNPROVEN signature\n');
  } finally {
    relay.close();
    relay.closeAllConnections();
  }
});
