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
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ClientWorld, heldByRuntime, startClientWorld } from './client-world.js';

const CLIENT = fileURLToPath(new URL('../../../clients/java/', import.meta.url));

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

let world: ClientWorld | undefined;

after(async () => {
  await world?.close();
});

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
  world = await startClientWorld({ prefix: 'lictor-client-java-' });
  const { publicKey, single, manager, runtime } = world;

  // The runtime signs what it grants.
  const granted = await fetch(`${runtime.url}/v1/check`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      publicKey,
      product: 'ERP',
      feature: 'reports',
      nonce: randomBytes(16).toString('base64url'),
    }),
  });
  const answer = (await granted.json()) as Record<string, unknown>;
  assert.equal(granted.status, 200, JSON.stringify(answer));
  assert.ok(answer.proof, `the runtime signs its answers: ${JSON.stringify(answer)}`);

  // Build, unit tests, the tests against this runtime, and the example.
  // The example finds the runtime as an application does, here by LICTOR_RUNTIME_SOCKET.
  const built = await run(join(CLIENT, 'build.sh'), ['--all'], {
    PATH: process.env.PATH,
    ...(process.env.JAVA_HOME ? { JAVA_HOME: process.env.JAVA_HOME } : {}),
    HOME: join(world.root, 'home'),
    ...world.testEnv,
    ...world.appEnv,
    LICTOR_RUNTIME_SOCKET: runtime.socket,
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
  assert.match(out, new RegExp(`^session \\S+, seat \\S+ from ${manager.replace(/[.]/g, '\\.')}/?$`, 'm'));

  // Everything the client held was given back.
  assert.deepEqual(await heldByRuntime(world), [0, 0]);
});
