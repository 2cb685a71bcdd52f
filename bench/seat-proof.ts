/**
 * What signed seats cost (issue 10): heartbeats answered with a session proof (a MAC over the
 * client's nonce, `docs/manager-protocol.md` "Signed seats") against the same heartbeats without
 * one, on one manager, interleaved with two ceilings: bare `node:http` answering a constant, and
 * the same with the least a proof costs (`bare-proof-server.ts`: the MAC computed and added), so
 * that what signing costs at a minimum is told apart from what the server around it costs. The
 * manager runs twice (`seat-proof-server.ts`): with the hot lease routes and with every request
 * through Fastify (`hotRoutes: false`). Each server in its own process; 50 keep-alive connections.
 */
import { randomBytes } from 'node:crypto';
import { type Comparison, compare, interleave, measured, type Side } from './ceiling.js';
import type { HttpClient } from './load-clients.js';
import { closedLoop, connectedClients } from './manager-ceiling.js';
import { plainScript, type ServerProcess, startServer } from './processes.js';

/** Options of {@link benchSeatProof}. */
export interface SeatProofOptions {
  seconds?: number;
  rounds?: number;
  connections?: number;
  verbose?: boolean;
}

/** Nonces the clients cycle through (the manager does not keep them; fresh ones cost the same). */
const NONCES = Array.from({ length: 256 }, () => randomBytes(24).toString('base64url'));

function heartbeats(
  name: string,
  server: ServerProcess,
  clients: readonly HttpClient[],
  ids: readonly string[],
  seconds: number,
  head: (k: number) => string,
): Side {
  return {
    name,
    measure: (round) =>
      measured(
        'rate',
        () =>
          closedLoop(clients, round < 0 ? 1 : seconds, 1, (client, i, k) =>
            client.heartbeat(ids[i] as string, undefined, head(k)),
          ),
        server.pid,
      ),
  };
}

/** Runs the comparisons; rates are heartbeats per second. */
export async function benchSeatProof(options: SeatProofOptions = {}): Promise<Comparison[]> {
  const seconds = options.seconds ?? 4;
  const rounds = options.rounds ?? 3;
  const n = options.connections ?? 50;
  const script = await plainScript('seat-proof-server');
  const hot = await startServer([script, 'hot']);
  const slow = await startServer([script, 'fastify']);
  const bare = await startServer([await plainScript('bare-proof-server')]);
  const servers = [hot, slow, bare];
  try {
    const plain = () => '';
    const proven = (session: string) => (k: number) =>
      `lictor-nonce: ${NONCES[k & 255]}\r\nlictor-session: ${session}\r\n`;
    const sides: Side[] = [];
    const all: HttpClient[] = [];
    for (const [label, server] of [
      ['hot routes', hot],
      ['through Fastify', slow],
    ] as const) {
      const sealed = new URL(server.url).searchParams.get('session') as string;
      const id = sealed.slice(0, sealed.indexOf('.'));
      const ids: string[] = [];
      const clients = await connectedClients(server.port, n, async (c, i) => {
        ids[i] = await c.acquire('ERP', `proof-${i}`);
      });
      // The session opened once (its secret sealed to the license's key), then named by its id.
      await clients[0]?.heartbeat(
        ids[0] as string,
        undefined,
        `lictor-nonce: ${NONCES[0]}\r\nlictor-session: ${sealed}\r\n`,
      );
      all.push(...clients);
      sides.push(heartbeats(`manager (${label}) heartbeats`, server, clients, ids, seconds, plain));
      sides.push(heartbeats(`manager (${label}) MAC'd heartbeats`, server, clients, ids, seconds, proven(id)));
    }
    const bareClients = await connectedClients(bare.port, n, (c) => c.heartbeat('bare'));
    all.push(...bareClients);
    const bareIds = bareClients.map(() => '00000000-0000-4000-8000-000000000000');
    sides.push(heartbeats('bare node:http heartbeats', bare, bareClients, bareIds, seconds, plain));
    sides.push(
      heartbeats(
        'bare node:http + the MAC',
        bare,
        bareClients,
        bareIds,
        seconds,
        (k) => `lictor-nonce: ${NONCES[k & 255]}\r\n`,
      ),
    );
    const onSample = options.verbose
      ? (side: string, s: { value: number }) => console.error(`  ${side}: ${Math.round(s.value)}/s`)
      : undefined;
    const [hp, hm, sp, sm, bp, bm] = await interleave(sides, 'rate', rounds, {
      warmup: true,
      ...(onSample ? { onSample } : {}),
    });
    for (const c of all) c.close();
    return [
      compare(`MAC'd heartbeats against plain ones, hot routes, ${n} connections (target ≥ 0.8)`, hm!, hp!),
      compare(`MAC'd heartbeats against plain ones, through Fastify, ${n} connections`, sm!, sp!),
      compare(`bare node:http + the MAC against bare node:http (the least signing costs), ${n} connections`, bm!, bp!),
      compare(`plain heartbeats, hot routes against bare node:http, ${n} connections`, hp!, bp!),
      compare(`MAC'd heartbeats, hot routes against bare node:http + the MAC, ${n} connections`, hm!, bm!),
      compare(`plain heartbeats, hot routes against through Fastify, ${n} connections`, hp!, sp!),
    ];
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}
