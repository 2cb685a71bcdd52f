/**
 * The Java client (`clients/java/`) against a real `lictor runtime serve`: a License Center issues
 * two packages of ERP; one is activated into a License Manager's store on this computer (served,
 * for floating seats), the other through the runtime (its own store), so that both hold a license
 * with a container key and sign their answers. The client's build script builds it with the JDK,
 * runs its unit tests (spec vectors, fake runtimes refused), its tests against this runtime over
 * the socket and loopback HTTP (`RealRuntimeTest`: signed checks, sessions and seats verified,
 * real answers tampered with on the way refused) and its 10-line example.
 *
 * Skips when no JDK is installed, unless `LICTOR_REQUIRE_CLIENTS=1` (CI), where that fails.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type BinSession, binSession } from '../../cli/test/bin.js';

const CLIENT = fileURLToPath(new URL('../../../clients/java/', import.meta.url));
const VECTORS = fileURLToPath(new URL('../../../spec/vectors/', import.meta.url));

/** Why the JDK cannot be used here, or `null` when `javac`, `jar` and `java` (17 or later) run. */
function missingJdk(): string | null {
  for (const tool of ['javac', 'jar', 'java']) {
    const ran = spawnSync(tool, [tool === 'jar' ? '--version' : '-version'], { encoding: 'utf8' });
    if (ran.error || ran.status !== 0) return `${tool} is not installed (Debian: openjdk-17-jdk-headless)`;
    const version = /(?:javac|version "?)\s*(\d+)/.exec(`${ran.stdout}${ran.stderr}`)?.[1];
    if (version !== undefined && Number(version) < 17) return `${tool} ${version} is older than 17`;
  }
  return null;
}

const missing = missingJdk();
const required = process.env.LICTOR_REQUIRE_CLIENTS === '1';
const skip = missing !== null && !required ? `the Java client needs a JDK: ${missing}` : false;

let root: string;
let session: BinSession;
const lictor = (...args: string[]) => session.run(...args);

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-client-java-'));
  session = binSession({
    PATH: process.env.PATH,
    HOME: join(root, 'home'),
    XDG_DATA_HOME: join(root, 'home', 'data'),
    XDG_RUNTIME_DIR: join(root, 'run'),
  });
});

after(async () => {
  session.killAll();
  await rm(root, { recursive: true, force: true });
});

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

/** Runs a command to its end (up to 5 minutes), whatever its exit code. */
function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

test('the Java client checks, opens a session and takes a seat through a real runtime, and refuses fakes', {
  skip,
  timeout: 600_000,
}, async () => {
  assert.equal(missing, null, `LICTOR_REQUIRE_CLIENTS=1 but ${missing}`);

  // The vendor: a License Center with ERP and two packages.
  const center = join(root, 'center');
  await lictor('center', 'init', '--data', center);
  const publicKey = (await lictor('center', 'public-key', '--data', center)).trim();
  session.env.LICTOR_PUBLIC_KEY = publicKey; // the manager and activation verify with it
  await lictor('center', 'product', 'add', 'ERP', '--name', 'ACME ERP', '--feature', 'reports', '--data', center);
  const issue = async (...args: string[]) =>
    JSON.parse(
      await lictor('center', 'issue', '--product', 'ERP', '--feature', 'reports', ...args, '--json', '--data', center),
    ) as { serial: string; pins: { pin: string }[] };
  const single = await issue('--type', 'single');
  const multi = await issue('--type', 'multi', '--users', '2');
  const centerServer = await session.serve('center', 'serve', '--data', center, '--port', '0', '--log-level', 'warn');

  // A License Manager on this computer serving the multi-user package.
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

  // The runtime, which takes seats from that manager, on a temporary socket and a free port.
  const state = join(root, 'runtime');
  const socket = join(root, 'run', 'rt.sock');
  session.env.LICTOR_MANAGER = manager.url;
  const runtime = await session.serve(
    'runtime',
    'serve',
    '--state-dir',
    state,
    '--license-path',
    join(state, 'licenses'),
    '--socket',
    socket,
    '--port',
    '0',
    '--log-level',
    'warn',
  );
  const activated = await post(runtime.url, '/v1/activations', {
    publicKey,
    product: 'ERP',
    center: centerServer.url,
    serial: single.serial,
    pin: single.pins[0]?.pin,
    owner: { company: 'Initech', email: 'it@initech.example' },
  });
  assert.equal(activated.status, 201, JSON.stringify(activated.json));
  const granted = await post(runtime.url, '/v1/check', {
    publicKey,
    product: 'ERP',
    feature: 'reports',
    nonce: randomBytes(16).toString('base64url'),
  });
  assert.equal(granted.status, 200, JSON.stringify(granted.json));
  assert.ok(granted.json.proof, `the runtime signs its answers: ${JSON.stringify(granted.json)}`);

  // Build, unit tests, the tests against this runtime, and the example.
  const built = await run(join(CLIENT, 'build.sh'), ['--all'], {
    PATH: process.env.PATH,
    ...(process.env.JAVA_HOME ? { JAVA_HOME: process.env.JAVA_HOME } : {}),
    HOME: join(root, 'home'),
    LICTOR_SPEC_VECTORS: VECTORS,
    LICTOR_RUNTIME_SOCKET: socket,
    LICTOR_RUNTIME_URL: runtime.url,
    LICTOR_PUBLIC_KEY: publicKey,
    LICTOR_PRODUCT: 'ERP',
    LICTOR_FEATURE: 'reports',
    LICTOR_SERIAL: single.serial,
  });
  const out = `${built.stdout}\n${built.stderr}`;
  assert.equal(built.code, 0, out);
  // Unit tests (vectors, fakes), then RealRuntimeTest: every test ran, none skipped.
  const summaries = [...out.matchAll(/^(\d+) passed, (\d+) failed, (\d+) skipped$/gm)].map((m) =>
    m.slice(1).map(Number),
  );
  assert.equal(summaries.length, 2, out);
  for (const [passed, failed, skipped] of summaries) {
    assert.ok((passed ?? 0) > 0, out);
    assert.equal(failed, 0, out);
    assert.equal(skipped, 0, out);
  }
  for (const name of [
    'VectorsTest.licenseFiles',
    'FakeRuntimeTest.anAnswerWithoutProofIsRefused',
    'FakeRuntimeTest.aProofOverAnotherNonceIsRefused',
    'FakeRuntimeTest.anotherVendorsLicenseIsRefused',
    'RealRuntimeTest.checksAreSignedAndVerified',
    'RealRuntimeTest.sessionsOpenAndClose',
    'RealRuntimeTest.seatsAreTakenAndGivenBack',
    'RealRuntimeTest.realAnswersTamperedWithOnTheWayAreRefused',
  ]) {
    assert.match(out, new RegExp(`^ok {3}${name.replace('.', '\\.')} `, 'm'), `${name} passed`);
  }
  // The example checked the feature, opened a session and took a seat from the manager.
  assert.match(out, new RegExp(`^licensed: ERP/reports by ${single.serial}$`, 'm'));
  assert.match(out, new RegExp(`^session \\S+, seat \\S+ from ${manager.url.replace(/[.]/g, '\\.')}/?$`, 'm'));

  // Everything the client held was given back.
  const status = (await (await fetch(`${runtime.url}/v1/status`)).json()) as {
    sessions: { count: number };
    seats: { count: number };
  };
  assert.equal(status.sessions.count, 0);
  assert.equal(status.seats.count, 0);
});
