/**
 * The ceiling of a proven heartbeat: bare `node:http` answering every request with a constant
 * heartbeat answer (as `bare-server.ts`), and, when the request carries a `lictor-nonce`, the
 * least a session proof costs: the answer's MAC (`macAnswer`: HMAC-SHA256 under a session key
 * over the canonical signing text of the answer and the nonce) added to it before it is
 * serialized. Run under plain `node` (see `plainScript`); prints `listening on <url>`.
 */
import { createServer } from 'node:http';
import { ANSWER_NONCE_HEADER, answerMacKey, macAnswer, randomBytes } from '@lictor/protocol';

const lease = {
  id: '00000000-0000-4000-8000-000000000000',
  product: 'ERP',
  feature: null,
  licenseId: 'm',
  source: 'software',
  grantedAt: new Date(0).toISOString(),
  expiresAt: new Date(0).toISOString(),
  heartbeatIntervalMs: 20_000,
};
const RENEWED = JSON.stringify({ lease });
const TYPE = 'application/json; charset=utf-8';
const key = answerMacKey(randomBytes(32));
const containerId = 'bench-container';

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const nonce = req.headers[ANSWER_NONCE_HEADER];
    let body = RENEWED;
    if (typeof nonce === 'string') {
      const answer = { lease };
      body = JSON.stringify({ ...answer, proof: macAnswer(key, 'heartbeat', containerId, nonce, answer) });
    }
    res.writeHead(200, { 'content-type': TYPE, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
// Fastify's default, which the manager keeps.
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('bare proof server: no TCP address');
  console.log(`listening on http://127.0.0.1:${address.port}`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
