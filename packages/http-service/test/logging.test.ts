/**
 * The logging of the Lictor services: at `info` a service logs what its routes say and its
 * refusals, not Fastify's two lines per request (those are at `debug`); lines written to the
 * process's stderr are gathered and written asynchronously, and none is lost when the process exits.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { LictorError } from '@lictor/protocol';
import Fastify from 'fastify';
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

test('lines logged to stderr reach it, also from a process that exits at once', () => {
  const httpService = new URL('../dist/index.js', import.meta.url).href;
  const fastify = import.meta.resolve('fastify');
  // A service logging to stderr (as `lictor center serve` does), then an immediate exit: the
  // lines gathered for the next write are written at exit.
  const script = `
    const { serviceLogging } = await import(${JSON.stringify(httpService)});
    const { default: Fastify } = await import(${JSON.stringify(fastify)});
    const app = Fastify(serviceLogging({ level: 'info', stream: process.stderr }, []));
    for (let i = 0; i < 3; i++) app.log.info({ i }, 'line');
    app.log.warn('last words');
    process.exit(0);
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const lines = run.stderr
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { msg: string; i?: number });
  assert.deepEqual(
    lines.map((l) => [l.msg, l.i]),
    [
      ['line', 0],
      ['line', 1],
      ['line', 2],
      ['last words', undefined],
    ],
  );
});
