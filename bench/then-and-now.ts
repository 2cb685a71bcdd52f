/**
 * Issue 10's "the manager's lease throughput with signing stays within 20 % of today's": this
 * checkout's `lictor manager serve`, every answer proven (the nonce and session headers a
 * `connectManager` client sends), against the `lictor manager serve` of another checkout (the
 * commit the issue was filed at, built) answering plain, and this checkout's answering plain,
 * interleaved over the same kind of keep-alive sockets. Each `lictor` makes its own world (a
 * center, a 200,000-seat multi-user license, an online activation) and serves it with its
 * defaults (UDP off), once with its default log level and once with `--log-level warn`.
 *
 *   npm run bench -- --only then-and-now --earlier <checkout of the earlier commit, built with npm ci>
 *
 * Without `--earlier` the group is skipped (it needs that second checkout).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  ANSWER_NONCE_HEADER,
  ANSWER_SESSION_BYTES,
  ANSWER_SESSION_HEADER,
  answerMacValid,
  answerNonce,
  answerSessionId,
  type LicenseDocument,
  parsePublicKey,
  randomBytes,
  sealAnswerSession,
  verifyAnswer,
} from '@lictor/protocol';
import { type Comparison, compare, interleave, measured, type Side } from './ceiling.js';
import type { HttpClient } from './load-clients.js';
import { closedLoop, connectedClients } from './manager-ceiling.js';
import { managerWorld, type ServerProcess, serveManager } from './processes.js';

/** Options of {@link benchThenAndNow}. */
export interface ThenAndNowOptions {
  /** The earlier checkout (built with `npm ci`): its `packages/cli/bin/lictor.js` is "then". */
  earlier: string;
  seconds?: number;
  rounds?: number;
  connections?: number;
  verbose?: boolean;
}

/** Nonces the proven clients cycle through (the manager keeps none; fresh ones cost the same). */
const NONCES = Array.from({ length: 256 }, () => answerNonce(randomBytes(24)));

/** A proven client's session with the manager: its id, and the secret to check MACs with. */
interface Session {
  id: string;
  secret: Uint8Array;
  license: LicenseDocument;
}

/**
 * Opens a session as `connectManager` does: an acquire with a nonce alone (answered with an
 * Ed25519 signature and the license, checked here against the vendor key), then the session
 * secret sealed to that license's key, sent once in full. Returns the session and the lease.
 */
async function openSession(client: HttpClient, publicKey: string): Promise<{ session: Session; leaseId: string }> {
  const nonce = NONCES[0] as string;
  const body = JSON.stringify({
    product: 'ERP',
    client: { host: 'host-proof', user: 'bench', process: 'p', session: '1' },
  });
  const answer = await client.request('POST', '/v1/leases', body, `${ANSWER_NONCE_HEADER}: ${nonce}\r\n`);
  const { proof, ...rest } = JSON.parse(answer.text) as Record<string, unknown>;
  const license = verifyAnswer({
    purpose: 'lease',
    nonce,
    answer: rest,
    proof,
    publicKey: parsePublicKey(publicKey),
    scope: { product: 'ERP', feature: null, now: Date.now() },
  });
  const secret = randomBytes(ANSWER_SESSION_BYTES);
  const sealed = sealAnswerSession(license, secret);
  const id = answerSessionId(sealed);
  const leaseId = (rest.lease as { id: string }).id;
  const first = await client.request(
    'POST',
    `/v1/leases/${leaseId}/heartbeat`,
    '',
    `${ANSWER_NONCE_HEADER}: ${nonce}\r\n${ANSWER_SESSION_HEADER}: ${id}.${sealed}\r\n`,
  );
  if (first.status !== 200) throw new Error(`then-and-now: the session was not opened: ${first.status} ${first.text}`);
  return { session: { id, secret, license }, leaseId };
}

/** Fails unless `server` MACs a heartbeat under `session` (so that "proven" measures proofs). */
async function assertProven(client: HttpClient, leaseId: string, session: Session): Promise<void> {
  const nonce = NONCES[1] as string;
  const answer = await client.request(
    'POST',
    `/v1/leases/${leaseId}/heartbeat`,
    '',
    `${ANSWER_NONCE_HEADER}: ${nonce}\r\n${ANSWER_SESSION_HEADER}: ${session.id}\r\n`,
  );
  const { proof, ...rest } = JSON.parse(answer.text) as Record<string, unknown>;
  if (!answerMacValid(session.secret, session.license.containerId, proof, 'heartbeat', nonce, rest)) {
    throw new Error(`then-and-now: the heartbeat was not MAC'd under the session: ${answer.text}`);
  }
}

/** Pairs and heartbeats against `server` over `clients`; `head(k)`: the proof headers, or none. */
function sides(
  label: string,
  server: ServerProcess,
  clients: readonly HttpClient[],
  leaseIds: readonly string[],
  seconds: number,
  head: (k: number) => string,
): Side[] {
  const duration = (round: number) => (round < 0 ? 1 : seconds);
  return [
    {
      name: `${label} acquire+release`,
      measure: (round) =>
        measured(
          'rate',
          () =>
            closedLoop(clients, duration(round), 2, async (client, i, k) => {
              const id = await client.acquire('ERP', `pair-${i}`, undefined, head(k));
              await client.release(id);
            }),
          server.pid,
        ),
    },
    {
      name: `${label} heartbeats`,
      measure: (round) =>
        measured(
          'rate',
          () =>
            closedLoop(clients, duration(round), 1, (client, i, k) =>
              client.heartbeat(leaseIds[i] as string, undefined, head(k)),
            ),
          server.pid,
        ),
    },
  ];
}

/** Clients of `server`, each holding one lease for heartbeats. */
async function clientsOf(
  server: ServerProcess,
  n: number,
  tag: string,
): Promise<{ clients: HttpClient[]; leaseIds: string[] }> {
  const leaseIds: string[] = [];
  const clients = await connectedClients(server.port, n, async (c, i) => {
    leaseIds[i] = await c.acquire('ERP', `${tag}-${i}`);
  });
  return { clients, leaseIds };
}

/**
 * Runs the comparisons at the default log level and at `--log-level warn`; rates are requests
 * per second (a pair is two).
 */
export async function benchThenAndNow(options: ThenAndNowOptions): Promise<Comparison[]> {
  const thenBin = join(resolve(options.earlier), 'packages/cli/bin/lictor.js');
  const seconds = options.seconds ?? 4;
  const rounds = options.rounds ?? 3;
  const n = options.connections ?? 50;
  const dir = await mkdtemp(join(tmpdir(), 'lictor-bench-then-now-'));
  const comparisons: Comparison[] = [];
  try {
    const thenWorld = await managerWorld(join(dir, 'then'), 200_000, thenBin);
    const nowWorld = await managerWorld(join(dir, 'now'), 200_000);
    for (const logLevel of [undefined, 'warn'] as const) {
      const config = logLevel === undefined ? 'default log level' : `--log-level ${logLevel}`;
      const then = await serveManager(
        thenWorld.dataDir,
        thenWorld.publicKey,
        join(dir, 'then.log'),
        logLevel,
        [],
        thenBin,
      );
      const now = await serveManager(nowWorld.dataDir, nowWorld.publicKey, join(dir, 'now.log'), logLevel);
      try {
        const t = await clientsOf(then, n, 'then');
        const p = await clientsOf(now, n, 'now');
        const { session } = await openSession(p.clients[0] as HttpClient, nowWorld.publicKey);
        await assertProven(p.clients[0] as HttpClient, p.leaseIds[0] as string, session);
        const proven = (k: number) =>
          `${ANSWER_NONCE_HEADER}: ${NONCES[k & 255]}\r\n${ANSWER_SESSION_HEADER}: ${session.id}\r\n`;
        const plain = () => '';
        const [tp, th] = sides('then, plain', then, t.clients, t.leaseIds, seconds, plain);
        const [np, nh] = sides('now, proven', now, p.clients, p.leaseIds, seconds, proven);
        const [qp, qh] = sides('now, plain', now, p.clients, p.leaseIds, seconds, plain);
        const onSample = options.verbose
          ? (side: string, s: { value: number }) => console.error(`  ${side}: ${Math.round(s.value)}/s`)
          : undefined;
        const [a, b, c, d, e, f] = await interleave([tp!, np!, qp!, th!, nh!, qh!], 'rate', rounds, {
          warmup: true,
          ...(onSample ? { onSample } : {}),
        });
        comparisons.push(
          compare(`acquire+release: now proven against then plain, ${config}, ${n} connections (target ≥ 0.8)`, b!, a!),
          compare(`heartbeats: now proven against then plain, ${config}, ${n} connections (target ≥ 0.8)`, e!, d!),
          compare(`acquire+release: now proven against now plain, ${config}, ${n} connections`, b!, c!),
          compare(`heartbeats: now proven against now plain, ${config}, ${n} connections`, e!, f!),
        );
        for (const client of [...t.clients, ...p.clients]) client.close();
      } finally {
        await Promise.all([then.stop(), now.stop()]);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return comparisons;
}
