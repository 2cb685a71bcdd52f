/**
 * The logging of the Lictor services: at `info` a service logs what its routes say and its
 * refusals, not Fastify's two lines per request (those are at `debug`); lines written to the
 * process's stderr are gathered and written in batches (synchronously to a regular file,
 * asynchronously to a pipe), and none is lost when the process exits.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { LictorError } from '@lictor/protocol';
import Fastify from 'fastify';
import { FileLines } from '../src/file-lines.js';
import { installErrorHandling, loggerOptions, serviceLogging } from '../src/index.js';

/** A service with one route that logs, one that refuses, logging at `level` into the returned lines. */
function service(level: string) {
  const lines: { level: number; msg: string; [key: string]: unknown }[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  const app = Fastify(serviceLogging({ level, stream }, ['req.headers.authorization']));
  installErrorHandling(app, 1024);
  app.post('/v1/things', async (request, reply) => {
    request.log.info({ thing: 7 }, 'thing made');
    return reply.code(201).send({ ok: true });
  });
  app.get('/v1/things/:id', async () => {
    throw new LictorError('LICTOR_E_NOT_FOUND', 'no such thing');
  });
  return { app, lines };
}

test('at info a service logs what happened, not every request; at debug every request too', async () => {
  const info = service('info');
  assert.equal((await info.app.inject({ method: 'POST', url: '/v1/things', payload: {} })).statusCode, 201);
  assert.equal((await info.app.inject({ method: 'GET', url: '/v1/things/x' })).statusCode, 404);
  await info.app.close();
  const said = info.lines.filter((l) => l.reqId !== undefined);
  assert.deepEqual(
    said.map((l) => [l.level, l.msg]),
    [
      [30, 'thing made'],
      [30, 'request refused'],
    ],
  );
  assert.equal(said[0]?.thing, 7);
  assert.equal(said[1]?.code, 'LICTOR_E_NOT_FOUND');

  const debug = service('debug');
  await debug.app.inject({
    method: 'POST',
    url: '/v1/things',
    payload: {},
    headers: { authorization: 'Bearer secret-token' },
  });
  await debug.app.close();
  const messages = debug.lines.filter((l) => l.reqId !== undefined).map((l) => l.msg);
  assert.deepEqual(messages, ['incoming request', 'thing made', 'request completed']);
  const incoming = debug.lines.find((l) => l.msg === 'incoming request') as unknown as {
    req: { method: string; url: string };
  };
  assert.equal(incoming.req.method, 'POST');
  assert.equal(incoming.req.url, '/v1/things');
  assert.ok(!JSON.stringify(debug.lines).includes('secret-token'));
});

test('without a logger a service logs nothing and has no log controller', () => {
  assert.deepEqual(serviceLogging(undefined, []), { logger: false });
  assert.deepEqual(serviceLogging(false, []), { logger: false });
});

test('a stream other than stderr or stdout is used as given', () => {
  const stream = new Writable({ write: (_c, _e, done) => done() });
  const options = loggerOptions({ level: 'warn', stream }, ['a.b']);
  assert.ok(options !== false && options !== true && options !== undefined);
  assert.equal(options.stream, stream);
  assert.equal(options.level, 'warn');
  assert.deepEqual(options.redact, { paths: ['a.b'], censor: '[Redacted]' });
});

/**
 * A service logging to stderr (as `lictor center serve` does) in a process of its own, whose
 * stderr is a pipe (`'pipe'`) or a regular file (`file`): it logs three lines and its last words,
 * then runs `then` (JavaScript; `app` and `stderrText()` in scope) and exits. Returns what it
 * wrote to stderr and to stdout.
 */
function loggingProcess(stderr: 'pipe' | { file: string }, then: string): { stderr: string; stdout: string } {
  const httpService = new URL('../dist/index.js', import.meta.url).href;
  const fastify = import.meta.resolve('fastify');
  const script = `
    const { readFileSync } = await import('node:fs');
    const stderrText = () => ${stderr === 'pipe' ? "''" : `readFileSync(${JSON.stringify(stderr.file)}, 'utf8')`};
    const { serviceLogging } = await import(${JSON.stringify(httpService)});
    const { default: Fastify } = await import(${JSON.stringify(fastify)});
    const app = Fastify(serviceLogging({ level: 'info', stream: process.stderr }, []));
    for (let i = 0; i < 3; i++) app.log.info({ i }, 'line');
    app.log.warn('last words');
    ${then}
  `;
  const fd = stderr === 'pipe' ? 'pipe' : openSync(stderr.file, 'a');
  try {
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', fd],
    });
    const text = stderr === 'pipe' ? run.stderr : readFileSync(stderr.file, 'utf8');
    assert.equal(run.status, 0, text);
    return { stderr: text, stdout: run.stdout };
  } finally {
    if (typeof fd === 'number') closeSync(fd);
  }
}

/** The JSON lines of a service's stderr, as `[msg, i]`. */
function said(text: string): [string, number | undefined][] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { msg: string; i?: number })
    .map((l) => [l.msg, l.i]);
}

const allLines: [string, number | undefined][] = [
  ['line', 0],
  ['line', 1],
  ['line', 2],
  ['last words', undefined],
];

test('lines logged to stderr reach it, also from a process that exits at once', () => {
  // A pipe (sonic-boom's asynchronous batches): the lines gathered for the next write are written at exit.
  assert.deepEqual(said(loggingProcess('pipe', 'process.exit(0);').stderr), allLines);
  // A regular file (synchronous batches), the same.
  const dir = mkdtempSync(join(tmpdir(), 'lictor-log-'));
  try {
    assert.deepEqual(said(loggingProcess({ file: join(dir, 'stderr.log') }, 'process.exit(0);').stderr), allLines);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lines to a regular file are written within the flush period, not only at exit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lictor-log-'));
  try {
    // The process reads its own stderr file until the lines are there (the batch is far below
    // 4 KiB, so only the periodic flush writes it), then says how they looked then.
    const run = loggingProcess(
      { file: join(dir, 'stderr.log') },
      `
      const before = stderrText();
      const started = Date.now();
      const timer = setInterval(() => {
        const text = stderrText();
        if (text.includes('last words') || Date.now() - started > 20000) {
          clearInterval(timer);
          process.stdout.write(JSON.stringify({ before, seen: text }));
          process.exit(0);
        }
      }, 20);
      `,
    );
    const { before, seen } = JSON.parse(run.stdout) as { before: string; seen: string };
    assert.equal(before, '', 'a batch below 4 KiB waits for the flush');
    assert.deepEqual(said(seen), allLines, 'written by the periodic flush while the process ran');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Runs `use` with a new log file open for appending, then closes and removes it. */
function withLogFile(use: (fd: number, file: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'lictor-log-'));
  const file = join(dir, 'lines.log');
  const fd = openSync(file, 'a');
  try {
    use(fd, file);
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a file destination that refused lines says how many were lost in the next batch it writes', () => {
  withLogFile((fd, file) => {
    let full = true; // the disk, full until an administrator makes room
    const lines = new FileLines(fd, {
      batchChars: 100,
      flushMs: 3_600_000,
      now: () => 1_700_000_000_000,
      writeSync: (to, bytes, offset) => {
        if (full) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        return writeSync(to, bytes, offset);
      },
    });
    lines.write('lost 1\n');
    lines.flushSync();
    lines.write('lost 2\n');
    lines.write('lost 3\n');
    lines.flushSync();
    assert.equal(lines.dropped, 3);
    assert.equal(readFileSync(file, 'utf8'), '');

    full = false;
    lines.write('kept 1\n');
    lines.flushSync();
    const [notice, kept, ...rest] = readFileSync(file, 'utf8').split('\n');
    assert.deepEqual(JSON.parse(notice as string), {
      level: 40,
      time: 1_700_000_000_000,
      msg: '3 log line(s) were lost: the log file refused them (a full disk, or a file size limit)',
      droppedLines: 3,
    });
    assert.equal(kept, 'kept 1');
    assert.deepEqual(rest, ['']);

    // Told once: the next batch has no notice, and a new loss is told as a new count.
    lines.write('kept 2\n');
    lines.flushSync();
    full = true;
    lines.write('lost 4\n');
    lines.flushSync();
    full = false;
    lines.write('kept 3\n');
    lines.flushSync();
    const after = readFileSync(file, 'utf8').split('\n').slice(2);
    assert.equal(after[0], 'kept 2');
    assert.equal(JSON.parse(after[1] as string).droppedLines, 1);
    assert.equal(after[2], 'kept 3');
    assert.equal(lines.dropped, 4);
  });
});

test('a file destination keeps every character and the order of its lines, however long', () => {
  withLogFile((fd, file) => {
    const lines = new FileLines(fd, { batchChars: 4096, flushMs: 3_600_000 });
    const sent = [
      'first\n',
      `é€𝄞 \ud800 ${'ü'.repeat(3000)}\n`, // multi-byte, and a lone surrogate
      'waiting before the long one\n',
      `${'L'.repeat(70_000)}\n`, // longer than the destination's buffer: written on its own, after what waits
      ...Array.from({ length: 500 }, (_, i) => `line ${i} ${'é'.repeat(50)}\n`), // many batches
      'last\n',
    ];
    for (const line of sent) lines.write(line);
    lines.flushSync();
    assert.equal(readFileSync(file, 'utf8'), sent.join('').replace('\ud800', '\ufffd'));
    assert.equal(lines.dropped, 0);
  });
});

test('a file destination writes once a batch is full, and drops (and counts) what the file refuses', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lictor-log-'));
  const file = join(dir, 'lines.log');
  const fd = openSync(file, 'a');
  const full = openSync('/dev/full', 'w'); // every write fails with ENOSPC
  try {
    const lines = new FileLines(fd, { batchChars: 100, flushMs: 3_600_000 });
    lines.write('a'.repeat(59) + '\n');
    assert.equal(readFileSync(file, 'utf8'), '', 'below the batch: kept');
    lines.write('b'.repeat(59) + '\n');
    assert.equal(readFileSync(file, 'utf8'), `${'a'.repeat(59)}\n${'b'.repeat(59)}\n`, 'the batch is full: written');
    lines.write('c\n');
    let flushed = false;
    lines.flush(() => {
      flushed = true;
    });
    assert.ok(flushed);
    assert.ok(readFileSync(file, 'utf8').endsWith('\nc\n'));
    assert.equal(lines.dropped, 0);

    const refused = new FileLines(full, { batchChars: 100, flushMs: 3_600_000 });
    refused.write('lost 1\n');
    refused.write('lost 2\n');
    assert.doesNotThrow(() => refused.flushSync());
    assert.equal(refused.dropped, 2);
  } finally {
    closeSync(fd);
    closeSync(full);
    rmSync(dir, { recursive: true, force: true });
  }
});
