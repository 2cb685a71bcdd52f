/**
 * Every mistake issue 12 lists, answered with a typed code and a message that says what to do
 * (through `main(argv, io)`, as a user types them), and `--json` errors for every command.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Command } from 'commander';
import { VENDOR } from '../../sdk/test/signed-answers.js';
import { createProgram } from '../src/main.js';
import { type Cli, type CliRun, cliOn, runCli, workstation } from './run-cli.js';

const PC = workstation('ws-errors', '00:1b:1b:ee:00:01');
let root: string;
let env: NodeJS.ProcessEnv;
let cli: Cli;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-cli-errors-'));
  env = {
    HOME: join(root, 'home'),
    XDG_DATA_HOME: join(root, 'home', 'data'),
    LICTOR_LICENSE_PATH: join(root, 'none'),
  };
  cli = cliOn({ env, hardware: PC });
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A TCP server on a free loopback port that accepts connections and never answers. */
async function silentServer(): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function refusedWith(r: CliRun, code: string, message: RegExp): void {
  assert.equal(r.code, 1, `should be refused: ${r.out}${r.err}`);
  assert.match(r.err, new RegExp(`^error \\[${code}\\]: `, 'm'));
  assert.match(r.err, message);
  assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
}

describe('--center without its scheme', () => {
  test('activate: LICTOR_E_INVALID_INPUT naming the fix, not a TypeError stack', async () => {
    const r = await cli.run(['activate', '--center', '127.0.0.1:8787', '--serial', 'LX-0000-0000-0000', '--pin', 'X']);
    refusedWith(
      r,
      'LICTOR_E_INVALID_INPUT',
      /--center 127\.0\.0\.1:8787 is not a URL: write the scheme too, e\.g\. --center http:\/\/127\.0\.0\.1:8787/,
    );
  });

  test('manager serve: the same answer, before anything is created', async () => {
    const data = join(root, 'manager-bad-center');
    const r = await cli.run([
      'manager',
      'serve',
      '--data',
      data,
      '--center',
      '127.0.0.1:8787',
      '--public-key',
      'unused',
    ]);
    refusedWith(
      r,
      'LICTOR_E_INVALID_INPUT',
      /--center 127\.0\.0\.1:8787 is not a URL: .* --center http:\/\/127\.0\.0\.1:8787/,
    );
    assert.doesNotMatch(r.out, /admin API token/);
  });

  test('blacklist: the same answer', async () => {
    const r = await cli.run(['blacklist', '--center', 'localhost:8787', '--public-key', 'unused']);
    refusedWith(
      r,
      'LICTOR_E_INVALID_INPUT',
      /--center localhost:8787 is not a URL: .* --center http:\/\/localhost:8787/,
    );
  });
});

describe('a port in use', () => {
  test('center serve: LICTOR_E_PORT_IN_USE; with --init the admin token is not printed, and admin-token re-issues it', async () => {
    const busy = await silentServer();
    const port = String((busy.server.address() as AddressInfo).port);
    const data = join(root, 'center-busy');
    try {
      const r = await cli.run(['center', 'serve', '--init', '--data', data, '--port', port, '--log-level', 'fatal']);
      refusedWith(
        r,
        'LICTOR_E_PORT_IN_USE',
        new RegExp(
          `port ${port} on 127\\.0\\.0\\.1 is in use \\(another License Center\\?\\): stop it, or choose another with --port`,
        ),
      );
      assert.match(r.err, /lictor center admin-token --data /);
      assert.doesNotMatch(r.out, /admin API token/, 'a token shown by a center that did not start would be lost');
    } finally {
      await busy.close();
    }
    const before = JSON.parse(await readFile(join(data, 'center.json'), 'utf8')) as { adminTokenHash: string };
    const reissued = await cli.ok(['center', 'admin-token', '--data', data]);
    const token = /admin API token \(shown once, keep it secret\): (lictor-admin-\S+)/.exec(reissued)?.[1];
    assert.ok(token, reissued);
    const afterConfig = JSON.parse(await readFile(join(data, 'center.json'), 'utf8')) as { adminTokenHash: string };
    assert.notEqual(afterConfig.adminTokenHash, before.adminTokenHash);
    const { sha256, toHex } = await import('@lictor/protocol');
    assert.equal(afterConfig.adminTokenHash, toHex(sha256(token)));
  });

  test('manager serve: LICTOR_E_PORT_IN_USE', async () => {
    const data = join(root, 'center-for-manager');
    await cli.ok(['center', 'init', '--data', data]);
    const key = (await cli.ok(['center', 'public-key', '--data', data])).trim();
    const busy = await silentServer();
    const port = String((busy.server.address() as AddressInfo).port);
    try {
      const r = await cli.run([
        'manager',
        'serve',
        '--data',
        join(root, 'manager-busy'),
        '--public-key',
        key,
        '--port',
        port,
        '--discovery-port',
        '0',
        '--announce-port',
        '0',
        '--log-level',
        'fatal',
      ]);
      refusedWith(
        r,
        'LICTOR_E_PORT_IN_USE',
        new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use \\(another License Manager\\?\\)`),
      );
    } finally {
      await busy.close();
    }
  });
});

describe('a server that does not answer', () => {
  test('activate: a said, configurable timeout with a progress line on stderr', async () => {
    const silent = await silentServer();
    const started = Date.now();
    try {
      const r = await cli.run([
        'activate',
        '--center',
        silent.url,
        '--timeout',
        '2',
        '--serial',
        'LX-0000-0000-0000',
        '--pin',
        'X',
        '--public-key',
        'lictor-ed25519:oiBYeISvhjYhNcwalyVSVJ5EuIufUYfwNorawQUM0Xg',
      ]);
      refusedWith(
        r,
        'LICTOR_E_CENTER_UNREACHABLE',
        new RegExp(
          `the License Center at ${silent.url} did not answer within 2 s.*to wait longer, give --timeout SECONDS`,
        ),
      );
      assert.match(
        r.err,
        new RegExp(
          `^activating at the License Center ${silent.url} \\(waiting up to 2 s; --timeout to change\\)…$`,
          'm',
        ),
      );
    } finally {
      await silent.close();
    }
    assert.ok(Date.now() - started < 20_000, 'gave up after the timeout, not after 30 s');
  });

  test('seat: the manager timeout is configurable and said', async () => {
    const silent = await silentServer();
    try {
      const r = await cli.run([
        'seat',
        '--product',
        'ERP',
        '--manager',
        silent.url,
        '--timeout',
        '1',
        '--public-key',
        VENDOR.publicKey.text,
      ]);
      refusedWith(
        r,
        'LICTOR_E_MANAGER_UNREACHABLE',
        /no answer within 1000 ms.*to wait longer, give --timeout SECONDS/,
      );
    } finally {
      await silent.close();
    }
  });
});

describe('license files of a vendor, read with and without its key', () => {
  let data: string;
  let store: string;
  let vendorKey: string;
  let serial: string;
  let beforeRequest: number;
  let afterRequest: number;

  before(async () => {
    data = join(root, 'center-files');
    store = join(root, 'store-files');
    await cli.ok(['center', 'init', '--data', data]);
    vendorKey = (await cli.ok(['center', 'public-key', '--data', data])).trim();
    await cli.ok(['center', 'product', 'add', 'SCADA', '--name', 'Plant SCADA', '--data', data]);
    const issued = JSON.parse(
      await cli.ok([
        'center',
        'issue',
        '--product',
        'SCADA',
        '--type',
        'single',
        '--pins',
        '2',
        '--json',
        '--data',
        data,
      ]),
    ) as { serial: string; pins: { pin: string }[] };
    serial = issued.serial;
    const owner = ['--company', 'Initech', '--email', 'it@initech.example'];
    const request = join(root, 'request.lictor');
    const answer = join(root, 'answer.lic');
    const withKey = ['--public-key', vendorKey, '--store', store];
    await cli.ok([
      'activate',
      '--offline',
      '--serial',
      serial,
      '--pin',
      issued.pins[0]?.pin ?? '',
      ...owner,
      '--out',
      request,
      ...withKey,
    ]);
    const answered = await cli.ok(['center', 'answer', request, '--out', answer, '--data', data]);
    // The vendor's own path means nothing on the customer's computer.
    assert.doesNotMatch(answered, new RegExp(`lictor install ${answer}`));
    assert.match(answered, /the customer, who installs it with: lictor install <the file, where they saved it>/);
    await cli.ok(['install', answer, ...withKey]);
    beforeRequest = Date.now();
    await cli.ok([
      'activate',
      '--offline',
      '--code',
      '--serial',
      serial,
      '--pin',
      issued.pins[1]?.pin ?? '',
      ...owner,
      ...withKey,
    ]);
    afterRequest = Date.now();
  });

  test('check with another vendor key: LICTOR_E_WRONG_VENDOR, not "no license file found"', async () => {
    const other = join(root, 'center-other');
    await cli.ok(['center', 'init', '--data', other]);
    const otherKey = (await cli.ok(['center', 'public-key', '--data', other])).trim();
    const r = await cli.run(['check', '--product', 'SCADA', '--store', store, '--public-key', otherKey]);
    assert.equal(r.code, 1);
    assert.match(r.err, /^not licensed \[LICTOR_E_WRONG_VENDOR\]: /);
    assert.match(
      r.err,
      /issued with another vendor key than [0-9a-f]{16} .*the vendor public key given \(--public-key or LICTOR_PUBLIC_KEY\) is the wrong one/,
    );
    const json = await cli.run(['check', '--product', 'SCADA', '--store', store, '--public-key', otherKey, '--json']);
    assert.equal((JSON.parse(json.out) as { code: string }).code, 'LICTOR_E_WRONG_VENDOR');
    // With the right key it is licensed.
    assert.match(
      await cli.ok(['check', '--product', 'SCADA', '--store', store, '--public-key', vendorKey]),
      /^licensed: SCADA/,
    );
  });

  test('status without the vendor key: the files, unverified, and the key they were issued with', async () => {
    const out = await cli.ok(['status', '--store', store]);
    assert.match(
      out,
      /no vendor public key given \(--public-key KEY or LICTOR_PUBLIC_KEY;.*the files below are UNVERIFIED/,
    );
    const { parsePublicKey, toHex } = await import('@lictor/protocol');
    const keyId = toHex(parsePublicKey(vendorKey).keyId);
    assert.match(out, new RegExp(`${serial}_\\w+\\.lic: unverified, issued with vendor key ${keyId}`));
    assert.match(out, new RegExp(`  serial ${serial} \\(from the file name\\)`));
    const json = JSON.parse(await cli.ok(['status', '--store', store, '--json'])) as {
      verified: boolean;
      files: { verified: boolean; vendorKeyId: string; serial: string }[];
    };
    assert.equal(json.verified, false);
    assert.deepEqual(
      json.files.map((f) => [f.verified, f.vendorKeyId, f.serial]),
      [[false, keyId, serial]],
    );
  });

  test("status with the key shows each file's container (what upgrade start --container takes)", async () => {
    const out = await cli.ok(['status', '--store', store, '--public-key', vendorKey]);
    const id = /^ {2}container ([0-9a-f-]{36}), state 0$/m.exec(out)?.[1];
    assert.ok(id, out);
    const started = await cli.ok(['upgrade', 'start', '--container', id, '--store', store, '--public-key', vendorKey]);
    assert.match(started, /BEGIN LICTOR QUESTION/);
  });

  test('requests shows when each request was made, not midnight', async () => {
    const list = JSON.parse(await cli.ok(['requests', '--store', store, '--public-key', vendorKey, '--json'])) as {
      kind: string;
      createdAt: string;
    }[];
    const code = list.find((r) => r.kind === 'code');
    assert.ok(code);
    const made = Date.parse(code.createdAt);
    assert.ok(made >= beforeRequest - 1000 && made <= afterRequest + 1000, `${code.createdAt} is when it was made`);
    const text = await cli.ok(['requests', '--store', store, '--public-key', vendorKey]);
    assert.match(text, new RegExp(`\\tcode\\tserial ${serial}\\tmade ${code.createdAt.replace(/\./g, '\\.')}`));
  });
});

/** Every leaf command of the tree, as the words that name it (`center product add`). */
function leafCommands(command: Command, path: string[] = []): string[][] {
  const subs = command.commands as Command[];
  if (subs.length === 0) return [path];
  return subs.flatMap((c) => leafCommands(c, [...path, c.name()]));
}

describe('--json errors', () => {
  test('a refusal is { code, message, details } on stderr, and nothing on stdout', async () => {
    const r = await cli.run(['activate', '--center', '127.0.0.1:8787', '--serial', 'S', '--pin', 'P', '--json']);
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.deepEqual(JSON.parse(r.err), {
      code: 'LICTOR_E_INVALID_INPUT',
      message: '--center 127.0.0.1:8787 is not a URL: write the scheme too, e.g. --center http://127.0.0.1:8787',
      details: { field: '--center', value: '127.0.0.1:8787' },
    });
  });

  test('every command: a usage mistake is one JSON error (exit 2), a refusal one JSON error (exit 1)', async () => {
    const commands = leafCommands(createProgram({ out: () => {}, err: () => {}, env: {} }, () => {}));
    assert.ok(commands.length >= 25, `${commands.length} commands`);
    const missing = join(root, 'no-such-dir');
    for (const words of commands) {
      const usage = await runCli([...words, '--json', '--no-such-option'], { env, hardware: PC });
      assert.equal(usage.code, 2, `${words.join(' ')}: ${usage.err}`);
      assert.equal(usage.out, '');
      const parsed = JSON.parse(usage.err) as { code: string; message: string; details: { usage: string } };
      assert.equal(parsed.code, 'LICTOR_E_INVALID_INPUT', words.join(' '));
      // Commander reports the first mistake it meets: the unknown option, or a missing required one.
      assert.match(
        parsed.message,
        /unknown option '--no-such-option'|required option '.*' not specified|missing required argument/,
      );
      assert.match(parsed.details.usage, /^commander\.(unknownOption|missingMandatoryOptionValue|missingArgument)$/);
    }
    // A refusal of each center command that opens the data directory.
    for (const words of commands.filter((w) => w[0] === 'center' && !['init', 'serve'].includes(w[1] ?? ''))) {
      const r = await runCli([...words, '--json', '--data', missing], { env, hardware: PC });
      if (r.code === 2) continue; // a required argument or option is missing: a usage error, checked above
      assert.equal(r.code, 1, `${words.join(' ')}: ${r.out}${r.err}`);
      const refusal = JSON.parse(r.err) as { code: string; message: string };
      assert.match(refusal.code, /^LICTOR_E_(CENTER_NOT_INITIALIZED|INVALID_INPUT|FILE_UNREADABLE)$/, words.join(' '));
      assert.ok(refusal.message.length > 0);
    }
  });
});
