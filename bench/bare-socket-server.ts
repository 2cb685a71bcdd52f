/**
 * The ceiling of the Lictor Runtime's routes: bare `node:http` on a Unix socket answering every
 * request with a constant of the runtime's answer size (200 for `POST /v1/check`, 201 for
 * `POST /v1/sessions`, 204 for `DELETE`), after reading the body but without parsing it. Run
 * under plain `node` (see `plainScript`) as `node bare-socket-server.js <socket> <check bytes>
 * <session bytes>`; prints `listening on http://localhost/ (unix:<socket>)`.
 */
import { unlinkSync } from 'node:fs';
import { createServer } from 'node:http';

const [socket, checkBytes, sessionBytes] = process.argv.slice(2);
if (socket === undefined) throw new Error('bare socket server: no socket path');
const CHECK = JSON.stringify({ pad: 'x'.repeat(Math.max(0, Number(checkBytes ?? 1500) - 10)) });
const SESSION = JSON.stringify({ pad: 'x'.repeat(Math.max(0, Number(sessionBytes ?? 1500) - 10)) });
const TYPE = 'application/json; charset=utf-8';

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.method === 'DELETE') {
      res.writeHead(204);
      res.end();
    } else {
      const body = req.url === '/v1/sessions' ? SESSION : CHECK;
      res.writeHead(req.url === '/v1/sessions' ? 201 : 200, {
        'content-type': TYPE,
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    }
  });
});
// Fastify's default, which the runtime keeps.
server.keepAliveTimeout = 72_000;
server.listen(socket, () => console.log(`listening on http://localhost/ (unix:${socket})`));
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => {
    try {
      unlinkSync(socket);
    } catch {}
    process.exit(0);
  });
});
