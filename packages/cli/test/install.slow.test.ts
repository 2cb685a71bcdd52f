/**
 * The documented way to run the CLI outside the repository (README, "Installing the CLI"):
 * `scripts/install-cli.mjs` packs every workspace and installs the tarballs globally under a
 * temporary prefix; the installed `lictor` then runs from a directory outside the repository.
 * Slow (a few minutes: native modules build from source), hence `.slow.test.ts`: the slow tier
 * (`npm run test:slow`, `scripts/run-tests.mjs --tier=slow`) runs it, `npm test` does not.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
let root: string;
let prefix: string;

/** Runs a program to completion; resolves with its exit code and output. */
function run(file: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      file,
      args,
      { ...options, timeout: options.timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-install-'));
  prefix = join(root, 'prefix');
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('install-cli.mjs installs every workspace from its tarball; the installed lictor runs outside the repository', {
  timeout: 900_000,
}, async () => {
  // The Node.js that runs the tests runs npm and the installed command (native modules are built for it).
  const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` };
  const installed = await run(
    process.execPath,
    [join(REPO, 'scripts/install-cli.mjs'), '--prefix', prefix, '--no-build'],
    {
      cwd: REPO,
      env,
      timeoutMs: 850_000,
    },
  );
  assert.equal(installed.code, 0, installed.stderr);

  // Every workspace listed in the root package.json is installed from its tarball.
  const workspaces = (JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { workspaces: string[] })
    .workspaces;
  const names = await Promise.all(
    workspaces.map(
      async (w) => (JSON.parse(await readFile(join(REPO, w, 'package.json'), 'utf8')) as { name: string }).name,
    ),
  );
  const globalModules = join(prefix, 'lib', 'node_modules', '@lictor');
  const present = await readdir(globalModules);
  const nested = join(globalModules, 'cli', 'node_modules', '@lictor');
  const inCli = await readdir(nested).catch(() => [] as string[]);
  for (const name of names) {
    const short = name.replace('@lictor/', '');
    assert.ok(present.includes(short) || inCli.includes(short), `${name} is installed`);
  }
  // Installed copies, not links back into the repository.
  assert.ok(!(await realpath(join(globalModules, 'cli'))).startsWith(REPO));

  const lictor = join(prefix, 'bin', 'lictor');
  const outside = join(root, 'elsewhere');
  const userEnv = { PATH: env.PATH, HOME: join(root, 'home') };
  const version = await run(lictor, ['--version'], { cwd: root, env: userEnv, timeoutMs: 60_000 });
  assert.equal(version.code, 0, version.stderr);
  assert.match(version.stdout, /^\d+\.\d+\.\d+/);
  // A command that needs the native SQLite binding and the vendor keys.
  const init = await run(lictor, ['center', 'init', '--data', outside, '--json'], {
    cwd: root,
    env: userEnv,
    timeoutMs: 60_000,
  });
  assert.equal(init.code, 0, init.stderr);
  const { publicKey } = JSON.parse(init.stdout) as { publicKey: string };
  const shown = await run(lictor, ['center', 'public-key', '--data', outside], {
    cwd: root,
    env: userEnv,
    timeoutMs: 60_000,
  });
  assert.equal(shown.stdout.trim(), publicKey);
});
