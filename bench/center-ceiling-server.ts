/**
 * The composed ceiling of an activation over HTTP: bare `node:http` that reads each
 * `POST /v1/activations` body, parses its JSON, runs the same-shaped better-sqlite3 transaction
 * (`center-transaction.ts`) on a copy of the center's database, and answers 201 with a constant
 * of the center's answer (a real one, read from `answerFile`). No routing, validation, sealing or
 * logging: what an activation over HTTP cannot do without. `POST /between` runs the transaction's
 * work between samples (checkpoint, reset). Run under plain `node` (see `plainScript`):
 *
 *   node center-ceiling-server.js <database file> <answer file> [joins|no-joins] [main|worker]
 *
 * `worker`: the transaction runs in a worker thread (`center-transaction-worker.ts`), the
 * activations of one turn of the event loop as one message (always with joins).
 *
 * prints `listening on <url>`.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Worker } from 'node:worker_threads';
import { activationTransaction } from './center-transaction.js';

const [file, answerFile, joins, where] = process.argv.slice(2);
if (file === undefined || answerFile === undefined) throw new Error('usage: <database file> <answer file>');
const transaction = where === 'worker' ? workerTransaction(file) : syncTransaction(file, joins !== 'no-joins');
const ANSWER = readFileSync(answerFile);
const TYPE = 'application/json; charset=utf-8';

/** What the server needs of the transaction: run it (then `done`), or the work between samples. */
interface Transactions {
  activate(done: () => void): void;
  between(done: () => void): void;
  close(): void;
}

function syncTransaction(db: string, withJoins: boolean): Transactions {
  const t = activationTransaction(db, { joins: withJoins });
  return {
    activate: (done) => {
      t.activate();
      done();
    },
    between: (done) => {
      t.between();
      done();
    },
    close: () => t.close(),
  };
}

/**
 * The transaction in a worker thread of its own (the lever named for the center in
 * docs/benchmarks.md): the activations of one turn of the event loop go as one message, and are
 * answered when the worker says they are committed.
 */
function workerTransaction(db: string): Transactions {
  const worker = new Worker(new URL('./center-transaction-worker.js', import.meta.url), { workerData: { file: db } });
  /** What each message sent waits to call, in order (the worker answers them in order). */
  const waiting: (() => void)[][] = [];
  let batch: (() => void)[] = [];
  worker.on('message', () => {
    for (const done of waiting.shift() ?? []) done();
  });
  return {
    activate: (done) => {
      if (batch.length === 0) {
        setImmediate(() => {
          waiting.push(batch);
          worker.postMessage(batch.length);
          batch = [];
        });
      }
      batch.push(done);
    },
    between: (done) => {
      waiting.push([done]);
      worker.postMessage('between');
    },
    close: () => void worker.terminate(),
  };
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (req.url === '/between') {
      transaction.between(() => {
        res.writeHead(204);
        res.end();
      });
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { serial?: unknown; pin?: unknown };
    if (typeof body.serial !== 'string' || typeof body.pin !== 'string') {
      res.writeHead(400);
      res.end();
      return;
    }
    transaction.activate(() => {
      res.writeHead(201, { 'content-type': TYPE, 'content-length': ANSWER.length });
      res.end(ANSWER);
    });
  });
});
// Fastify's default, which the center keeps.
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('center ceiling server: no TCP address');
  console.log(`listening on http://127.0.0.1:${address.port}`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => {
    transaction.close();
    process.exit(0);
  });
});
