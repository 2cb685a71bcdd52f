/**
 * The SDK tests' License Manager: the wire contract over an in-memory map, with knobs the real
 * manager does not have (forget every lease, drop products, stop and start on the same port).
 * Its messages are protocol's wire types and it validates requests with protocol's schemas;
 * `manager-contract.ts` runs the same suite against it and the real manager, so it cannot drift.
 * It proves its lease answers like the real one, signing over the client's nonce with the
 * container key of a test license (`signed-answers.ts`); without one (`key: null`) it is the
 * rogue server signed seats defend against. It lends seats for offline use as the real one does
 * (`POST /v1/borrows`, given back with `DELETE /v1/borrows/{id}` and the borrower's secret) when
 * `borrowDays` is set: the license that proves its answers then allows that many days.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ANSWER_NONCE_HEADER,
  type AnswerKey,
  BORROW_RETURN_HEADER,
  borrowReturnValid,
  isAnswerNonce,
} from '@lictor/protocol';
import {
  type AcquireAnswer,
  AcquireBody,
  type BorrowAnswer,
  type BorrowedSeatBody,
  BorrowRequest,
  BorrowReturnHeaders,
  type ClientIdentity,
  type ErrorBody,
  type HeartbeatAnswer,
  type LeaseBody,
  type ManagerStatus,
  ProofHeaders,
  wireProblem,
} from '@lictor/protocol/wire';
import { licenseKey, signed } from './signed-answers.js';

interface FakeLease extends LeaseBody {
  client: ClientIdentity;
  deadline: number;
}

/** A seat lent for offline use: what the fake signed, and the SHA-256 of the secret that gives it back. */
interface FakeBorrow {
  seat: BorrowedSeatBody;
  client: ClientIdentity;
  returnKey: string;
  /** Epoch ms of `seat.until`. */
  until: number;
}

const DAY_MS = 86_400_000;
/** The serial of `licenseKey`'s license, which proves the fake's answers. */
const SERIAL = 'LX-7K2M-9QXD-4RTA';

/** Options of {@link fakeManager}. */
export interface FakeManagerOptions {
  /** Seats of product `ACME` (default 2). */
  total?: number;
  /** Announced heartbeat interval (default 50 ms). */
  heartbeatIntervalMs?: number;
  /** Lease time to live (default 1 000 ms). */
  ttlMs?: number;
  /** The fake's clock (default `Date.now`); tests that drive a FakeScheduler pass its `now`. */
  now?: () => number;
  /**
   * What signs its lease answers: default a genuine license of `ACME` from the tests' vendor
   * (`VENDOR` of `signed-answers.ts`); `null`: no license, answers go without proof.
   */
  key?: AnswerKey | null;
  /**
   * The most days a seat of `ACME` may be borrowed (the default key's license then carries it);
   * absent: the fake lends none (`LICTOR_E_BORROW_NOT_ALLOWED`, `maxDays: 0`).
   */
  borrowDays?: number;
}

/** A running fake manager. */
export interface FakeManager {
  /** What it holds and counts; tests change `leases` and `products` to play a manager that forgot. */
  state: {
    products: Map<string, number>;
    leases: Map<string, FakeLease>;
    /** Seats lent for offline use, by id; they count as in use until their end or return. */
    borrows: Map<string, FakeBorrow>;
    heartbeats: number;
    deletes: number;
    acquires: { leaseId?: string }[];
  };
  /** Listens again, on the same port after the first time. */
  start(): Promise<void>;
  stop(): Promise<void>;
  url: string;
}

/** Starts a fake License Manager on 127.0.0.1 serving product `ACME`. */
export async function fakeManager(options: FakeManagerOptions = {}): Promise<FakeManager> {
  const clock = options.now ?? Date.now;
  const interval = options.heartbeatIntervalMs ?? 50;
  const ttl = options.ttlMs ?? 1000;
  const borrowDays = options.borrowDays;
  const key =
    options.key === undefined
      ? licenseKey(['ACME'], undefined, borrowDays === undefined ? {} : { borrowDays })
      : options.key;
  const state: FakeManager['state'] = {
    products: new Map<string, number>([['ACME', options.total ?? 2]]),
    leases: new Map<string, FakeLease>(),
    borrows: new Map<string, FakeBorrow>(),
    heartbeats: 0,
    deletes: 0,
    acquires: [],
  };
  const send = (res: ServerResponse, status: number, body?: unknown) => {
    res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const refuse = (res: ServerResponse, status: number, body: ErrorBody) => send(res, status, body);
  const wire = (l: FakeLease): LeaseBody => {
    const { client: _c, deadline: _d, ...body } = l;
    return body;
  };
  const handle = (req: IncomingMessage, res: ServerResponse, text: string) => {
    const now = clock();
    for (const [id, l] of state.leases) if (l.deadline < now) state.leases.delete(id);
    for (const [id, b] of state.borrows) if (b.until < now) state.borrows.delete(id);
    /** Seats of `product` in use: leases and borrowed seats. */
    const inUseOf = (product: string) =>
      [...state.leases.values()].filter((l) => l.product === product).length +
      [...state.borrows.values()].filter((b) => b.seat.product === product).length;
    const url = new URL(req.url ?? '/', 'http://x');
    const nonce = req.headers[ANSWER_NONCE_HEADER];
    // The lease routes' proof headers, checked as the manager checks them.
    const headerProblem =
      wireProblem(ProofHeaders, req.headers) ??
      (nonce === undefined || isAnswerNonce(nonce) ? null : `the ${ANSWER_NONCE_HEADER} header is not canonical`);
    const badHeaders = () => refuse(res, 400, { code: 'LICTOR_E_INVALID_INPUT', message: headerProblem ?? '' });
    const unknown = () =>
      refuse(res, 404, { code: 'LICTOR_E_LEASE_UNKNOWN', message: 'The lease is unknown or has expired' });
    if (req.method === 'GET' && url.pathname === '/v1/status') {
      if (headerProblem !== null) return badHeaders();
      const only = url.searchParams.get('product');
      const status: ManagerStatus = {
        manager: { id: 'fake', version: '0' },
        heartbeatIntervalMs: interval,
        leaseTtlMs: ttl,
        products: [...state.products]
          .filter(([product]) => only === null || product === only)
          .map(([product, total]) => ({ product, total, inUse: inUseOf(product) })),
      };
      return send(res, 200, signed(key, 'status', nonce, status));
    }
    if (req.method === 'POST' && url.pathname === '/v1/leases') {
      if (headerProblem !== null) return badHeaders();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return refuse(res, 400, { code: 'LICTOR_E_INVALID_INPUT', message: 'the request body is not valid JSON' });
      }
      const problem = wireProblem(AcquireBody, body);
      if (problem !== null) return refuse(res, 400, { code: 'LICTOR_E_INVALID_INPUT', message: problem });
      const request = body as AcquireBody;
      state.acquires.push(request.leaseId === undefined ? {} : { leaseId: request.leaseId });
      const total = state.products.get(request.product);
      if (total === undefined) {
        return refuse(res, 403, { code: 'LICTOR_E_NOT_LICENSED', message: `no license for ${request.product}` });
      }
      const mine = [...state.leases.values()].find(
        (l) =>
          l.product === request.product &&
          l.feature === (request.feature ?? null) &&
          JSON.stringify(l.client) === JSON.stringify(request.client),
      );
      if (mine) {
        mine.deadline = now + ttl;
        mine.expiresAt = new Date(mine.deadline).toISOString();
        return send(
          res,
          200,
          signed(key, 'lease', nonce, { lease: wire(mine), renewed: true } satisfies AcquireAnswer),
        );
      }
      const inUse = inUseOf(request.product);
      if (inUse >= total) {
        return refuse(res, 409, {
          code: 'LICTOR_E_SEATS_EXHAUSTED',
          message: `all ${total} seats of ${request.product} are in use`,
          details: { inUse, total },
        });
      }
      const lease: FakeLease = {
        id: randomUUID(),
        product: request.product,
        feature: request.feature ?? null,
        licenseId: 'lic-1',
        source: 'software',
        grantedAt: new Date(now).toISOString(),
        expiresAt: new Date(now + ttl).toISOString(),
        heartbeatIntervalMs: interval,
        client: request.client,
        deadline: now + ttl,
      };
      state.leases.set(lease.id, lease);
      return send(
        res,
        201,
        signed(key, 'lease', nonce, { lease: wire(lease), renewed: false } satisfies AcquireAnswer),
      );
    }
    const hb = /^\/v1\/leases\/([^/]+)\/heartbeat$/.exec(url.pathname);
    if (req.method === 'POST' && hb?.[1]) {
      if (headerProblem !== null) return badHeaders();
      state.heartbeats++;
      const lease = state.leases.get(decodeURIComponent(hb[1]));
      if (!lease) return unknown();
      lease.deadline = now + ttl;
      lease.expiresAt = new Date(lease.deadline).toISOString();
      return send(res, 200, signed(key, 'heartbeat', nonce, { lease: wire(lease) } satisfies HeartbeatAnswer));
    }
    const del = /^\/v1\/leases\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'DELETE' && del?.[1]) {
      state.deletes++;
      return state.leases.delete(decodeURIComponent(del[1])) ? send(res, 204) : unknown();
    }
    if (req.method === 'POST' && url.pathname === '/v1/borrows') {
      if (headerProblem !== null) return badHeaders();
      if (typeof nonce !== 'string') {
        return refuse(res, 400, {
          code: 'LICTOR_E_INVALID_INPUT',
          message: `a borrowed seat is signed over the borrower's nonce: send the ${ANSWER_NONCE_HEADER} header`,
        });
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return refuse(res, 400, { code: 'LICTOR_E_INVALID_INPUT', message: 'the request body is not valid JSON' });
      }
      const problem = wireProblem(BorrowRequest, body);
      if (problem !== null) return refuse(res, 400, { code: 'LICTOR_E_INVALID_INPUT', message: problem });
      const request = body as BorrowRequest;
      const feature = request.feature ?? null;
      const held = [...state.borrows.values()].find(
        (b) =>
          b.seat.product === request.product &&
          b.seat.feature === feature &&
          b.seat.computer.machine === request.computer.machine,
      );
      if (held) {
        return refuse(res, 409, {
          code: 'LICTOR_E_BORROW_HELD',
          message: `this computer already borrowed a seat of '${request.product}' until ${held.seat.until}`,
          details: { id: held.seat.id, until: held.seat.until },
        });
      }
      const total = state.products.get(request.product);
      if (total === undefined) {
        return refuse(res, 403, { code: 'LICTOR_E_NOT_LICENSED', message: `no license for ${request.product}` });
      }
      const maxDays = borrowDays ?? 0;
      if (maxDays < request.days) {
        return refuse(res, 403, {
          code: 'LICTOR_E_BORROW_NOT_ALLOWED',
          message:
            maxDays === 0
              ? `no license of ${request.product} allows borrowing its seats`
              : `a seat of ${request.product} may be borrowed for at most ${maxDays} day(s)`,
          details: { maxDays },
        });
      }
      const inUse = inUseOf(request.product);
      if (inUse >= total) {
        return refuse(res, 409, {
          code: 'LICTOR_E_SEATS_EXHAUSTED',
          message: `all ${total} seats of ${request.product} are in use`,
          details: { inUse, total },
        });
      }
      const until = now + request.days * DAY_MS;
      const seat: BorrowedSeatBody = {
        id: randomUUID(),
        product: request.product,
        feature,
        licenseId: 'lic-1',
        serial: SERIAL,
        computer: { machine: request.computer.machine, hardware: request.computer.hardware },
        grantedAt: new Date(now).toISOString(),
        until: new Date(until).toISOString(),
      };
      state.borrows.set(seat.id, { seat, client: request.client, returnKey: request.returnKey, until });
      return send(res, 201, signed(key, 'borrow', nonce, { borrow: seat } satisfies BorrowAnswer));
    }
    const back = /^\/v1\/borrows\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'DELETE' && back?.[1]) {
      const problem = wireProblem(BorrowReturnHeaders, req.headers);
      if (problem !== null) return refuse(res, 400, { code: 'LICTOR_E_INVALID_INPUT', message: problem });
      const id = decodeURIComponent(back[1]);
      const lent = state.borrows.get(id);
      if (lent === undefined || !borrowReturnValid(lent.returnKey, req.headers[BORROW_RETURN_HEADER])) {
        return refuse(res, 404, {
          code: 'LICTOR_E_BORROW_UNKNOWN',
          message: `no borrowed seat '${id}' is held here for whoever gives it back`,
        });
      }
      state.borrows.delete(id);
      return send(res, 204);
    }
    return refuse(res, 404, { code: 'LICTOR_E_NOT_FOUND', message: 'No such resource' });
  };
  let server: Server | undefined;
  let port = 0;
  const start = async () => {
    const s = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => {
        text += c.toString('utf8');
      });
      req.on('end', () => handle(req, res, text));
    });
    await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  const stop = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  };
  await start();
  return { state, start, stop, url: `http://127.0.0.1:${port}` };
}
