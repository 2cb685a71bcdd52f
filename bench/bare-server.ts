/**
 * The ceiling of the License Manager's routes: bare `node:http` answering every request with a
 * constant of the manager's answer for that route (201 with a lease for `POST /v1/leases`, 204
 * for `DELETE`, 200 with a lease for a heartbeat), without parsing the body. Run under plain
 * `node` (see `plainScript`); prints `listening on <url>`.
 */
import { createServer } from 'node:http';

const lease = {
  id: '00000000-0000-4000-8000-000000000000',
  product: 'ERP',
  feature: null,
  licenseId: 'LX-BNCH-0000-0000_0123456789abcdef01234567',
  source: 'software',
  grantedAt: new Date(0).toISOString(),
  expiresAt: new Date(0).toISOString(),
  heartbeatIntervalMs: 20_000,
};
const ACQUIRED = JSON.stringify({ lease, renewed: false });
const RENEWED = JSON.stringify({ lease });
const TYPE = 'application/json; charset=utf-8';

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.method === 'DELETE') {
      res.writeHead(204);
      res.end();
    } else if (req.method === 'POST' && req.url === '/v1/leases') {
      res.writeHead(201, { 'content-type': TYPE, 'content-length': Buffer.byteLength(ACQUIRED) });
      res.end(ACQUIRED);
    } else {
      res.writeHead(200, { 'content-type': TYPE, 'content-length': Buffer.byteLength(RENEWED) });
      res.end(RENEWED);
    }
  });
});
// Fastify's default, which the manager keeps.
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('bare server: no TCP address');
  console.log(`listening on http://127.0.0.1:${address.port}`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
