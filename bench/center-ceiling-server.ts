/**
 * The composed ceiling of an activation over HTTP: bare `node:http` that reads each
 * `POST /v1/activations` body, parses its JSON, runs the same-shaped better-sqlite3 transaction
 * (`center-transaction.ts`) on a copy of the center's database, and answers 201 with a constant
 * of the center's answer (a real one, read from `answerFile`). No routing, validation, sealing or
 * logging: what an activation over HTTP cannot do without. `POST /between` runs the transaction's
 * work between samples (checkpoint, reset). Run under plain `node` (see `plainScript`):
 *
 *   node center-ceiling-server.js <database file> <answer file> [joins|no-joins]
 *
 * prints `listening on <url>`.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { activationTransaction } from './center-transaction.js';

const [file, answerFile, joins] = process.argv.slice(2);
if (file === undefined || answerFile === undefined) throw new Error('usage: <database file> <answer file>');
const transaction = activationTransaction(file, { joins: joins !== 'no-joins' });
const ANSWER = readFileSync(answerFile);
const TYPE = 'application/json; charset=utf-8';

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (req.url === '/between') {
      transaction.between();
      res.writeHead(204);
      res.end();
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { serial?: unknown; pin?: unknown };
    if (typeof body.serial !== 'string' || typeof body.pin !== 'string') {
      res.writeHead(400);
      res.end();
      return;
    }
    transaction.activate();
    res.writeHead(201, { 'content-type': TYPE, 'content-length': ANSWER.length });
    res.end(ANSWER);
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
