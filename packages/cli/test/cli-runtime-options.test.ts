/**
 * `lictor runtime serve`'s blacklist and named-pipe options through `main(argv, io)`: the
 * License Center named by `--center` is asked for the blacklist of `--public-key`'s licenses as
 * soon as an application of that vendor asks the runtime; wrong combinations, and `--pipe` on an
 * OS without named pipes, are typed refusals before anything is made.
 */
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateVendorKeys, loadSigner, toBase64Url } from '@lictor/protocol';
import { statusTargets } from '../src/commands/runtime.js';
import { type Io, main } from '../src/index.js';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-cli-rt-opts-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const PUBLIC_KEY = loadSigner(generateVendorKeys().privatePem).publicKey.text;

/** `lictor` in this process: output captured, SIGTERM sent by the test through `signals`. */
function cli(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const signals = new EventEmitter();
  const lines = new EventEmitter();
  const io: Io = {
    out: (t) => {
      out.push(t);
      lines.emit('line', t);
    },
    err: (t) => err.push(t),
    env,
    signals,
  };
  /** Resolves with the first line (already printed or to come) that `test` accepts. */
  const line = (test: (l: string) => boolean) =>
    new Promise<string>((resolve) => {
      const seen = out.find(test);
      if (seen !== undefined) return resolve(seen);
      const on = (l: string) => {
        if (!test(l)) return;
        lines.off('line', on);
        resolve(l);
      };
      lines.on('line', on);
    });
  return { io, out, err, signals, line, run: (args: string[]) => main(args, io) };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

test('runtime serve --center --public-key --blacklist-refresh-hours: the vendor blacklist is asked for when its application asks', async () => {
  // A License Center that only records what it is asked (the runtime's refusal of its answer goes to the log).
  const asked: string[] = [];
  const center = createServer((req, res) => {
    asked.push(`${req.method} ${req.url}`);
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"code":"LICTOR_E_NOT_FOUND","message":"no blacklist"}');
  });
  center.listen(0, '127.0.0.1');
  await once(center, 'listening');
  const centerUrl = `http://127.0.0.1:${(center.address() as AddressInfo).port}`;
  const c = cli();
  const socket = join(root, 'bl.sock');
  const serving = c.run([
    ...['runtime', 'serve', '--state-dir', join(root, 'bl-state'), '--socket', socket, '--no-http'],
    ...['--center', centerUrl, '--public-key', PUBLIC_KEY, '--blacklist-refresh-hours', '12', '--log-level', 'fatal'],
  ]);
  try {
    const first = await Promise.race([c.line((l) => l.startsWith('  blacklist:')), serving]);
    assert.equal(first, `  blacklist: from ${centerUrl} every 12 h`, `${c.out.join('\n')}\n${c.err.join('\n')}`);
    assert.deepEqual(asked, [], 'nothing is asked before an application of the vendor asks');
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        { socketPath: socket, path: '/v1/check', method: 'POST', headers: { 'content-type': 'application/json' } },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => {
            body += d.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end(
        JSON.stringify({ publicKey: PUBLIC_KEY, product: 'ERP', nonce: toBase64Url(new Uint8Array(16).fill(7)) }),
      );
    });
    assert.equal(answer.status, 403, answer.body);
    assert.match(answer.body, /LICTOR_E_NOT_LICENSED/);
    if (asked.length === 0) await once(center, 'request');
    assert.equal(asked.length, 1, asked.join(', '));
    assert.match(asked[0] ?? '', /^GET \/v1\/blacklist\?nonce=[A-Za-z0-9_-]+$/);
  } finally {
    c.signals.emit('SIGTERM');
    assert.equal(await serving, 0, c.err.join('\n'));
    center.close();
  }
});

test('runtime serve refuses blacklist options that do not go together, before making anything', async () => {
  const state = join(root, 'refused-state');
  const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [['--public-key', PUBLIC_KEY], {}, /LICTOR_E_INVALID_INPUT.*--center/],
    [['--blacklist-refresh-hours', '3'], {}, /LICTOR_E_INVALID_INPUT.*--center/],
    [
      ['--center', '127.0.0.1:8787', '--public-key', PUBLIC_KEY],
      {},
      /LICTOR_E_INVALID_INPUT.*http:\/\/127\.0\.0\.1:8787/,
    ],
    [['--center', 'http://127.0.0.1:8787'], {}, /LICTOR_E_PUBLIC_KEY_INVALID/],
    [[], { LICTOR_CENTER: 'http://127.0.0.1:8787' }, /LICTOR_E_PUBLIC_KEY_INVALID/],
  ];
  for (const [args, env, expected] of cases) {
    const c = cli(env);
    const code = await c.run(['runtime', 'serve', '--state-dir', state, '--no-socket', '--no-http', ...args]);
    assert.equal(code, 1, `${args.join(' ')}: ${c.out.join('\n')}`);
    assert.match(c.err.join('\n'), expected);
  }
  const c = cli();
  assert.equal(await c.run(['runtime', 'serve', '--state-dir', state, '--blacklist-refresh-hours', '0']), 2);
  assert.equal(await exists(state), false, 'no state directory was made');
});

test('runtime serve --pipe is refused with a typed error on an OS without named pipes; a malformed name on any', async () => {
  if (process.platform === 'win32') return; // the refusal is what this OS shows
  const state = join(root, 'pipe-state');
  const c = cli();
  assert.equal(await c.run(['runtime', 'serve', '--state-dir', state, '--pipe', 'lictor-runtime', '--no-http']), 1);
  assert.match(c.err.join('\n'), /error \[LICTOR_E_PLATFORM_UNSUPPORTED\]: named pipes are Windows's: on linux/);
  const full = cli();
  assert.equal(await full.run(['runtime', 'serve', '--state-dir', state, '--pipe', '\\\\.\\pipe\\lictor-runtime']), 1);
  assert.match(full.err.join('\n'), /LICTOR_E_PLATFORM_UNSUPPORTED/);
  const json = cli();
  assert.equal(await json.run(['runtime', 'serve', '--state-dir', state, '--pipe', 'lictor', '--json']), 1);
  assert.equal(JSON.parse(json.err.join('')).details.platform, process.platform);
  for (const bad of ['a/b', '..\\x', '', '\\\\.\\pipe\\', 'x'.repeat(201)]) {
    const b = cli();
    assert.equal(await b.run(['runtime', 'serve', '--state-dir', state, '--pipe', bad]), 1, bad);
    assert.match(b.err.join('\n'), /LICTOR_E_INVALID_INPUT.*is not a pipe name/, bad);
  }
  assert.equal(await exists(state), false, 'no state directory was made');
});

test('runtime status --pipe is refused as runtime serve --pipe is, and never together with --socket', async () => {
  if (process.platform === 'win32') return; // the refusal is what this OS shows
  const c = cli();
  assert.equal(await c.run(['runtime', 'status', '--pipe', 'lictor-runtime']), 1);
  assert.match(c.err.join('\n'), /error \[LICTOR_E_PLATFORM_UNSUPPORTED\]: named pipes are Windows's: on linux/);
  const json = cli();
  assert.equal(await json.run(['runtime', 'status', '--pipe', 'lictor-runtime', '--json']), 1);
  assert.equal(JSON.parse(json.err.join('')).code, 'LICTOR_E_PLATFORM_UNSUPPORTED');
  const both = cli();
  assert.equal(await both.run(['runtime', 'status', '--pipe', 'lictor-runtime', '--socket', '/tmp/x.sock']), 1);
  assert.match(both.err.join('\n'), /LICTOR_E_INVALID_INPUT.*named pipe or on its Unix socket, not both/);
  const bad = cli();
  assert.equal(await bad.run(['runtime', 'status', '--pipe', 'a/b']), 1);
  assert.match(bad.err.join('\n'), /LICTOR_E_INVALID_INPUT.*is not a pipe name/);
});

test("runtime status looks where the runtime's service listens: on Windows its pipe, elsewhere the default socket, then the port", async () => {
  const url = { url: 'http://127.0.0.1:8791' };
  assert.deepEqual(await statusTargets({}, {}, 'win32'), [{ socket: '\\\\.\\pipe\\lictor-runtime' }, url]);
  assert.deepEqual(await statusTargets({ pipe: 'other' }, {}, 'win32'), [{ socket: '\\\\.\\pipe\\other' }]);
  assert.deepEqual(await statusTargets({}, { XDG_RUNTIME_DIR: '/run/user/1000' }, 'linux'), [
    { socket: '/run/user/1000/lictor/runtime.sock' },
    url,
  ]);
  assert.deepEqual(await statusTargets({ url: 'http://127.0.0.1:9000' }, {}, 'win32'), [
    { url: 'http://127.0.0.1:9000' },
  ]);
});
