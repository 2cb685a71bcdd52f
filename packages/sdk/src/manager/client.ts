/**
 * The client of the network License Manager (`lictor manager serve`): borrows a floating seat
 * (a lease), keeps it alive with heartbeats and gives it back.
 *
 * ```ts
 * const manager = await connectManager({ publicKey: VENDOR_KEY, appDir: APP_DIR });
 * const lease = await manager.acquire('ACME-ERP', 'reports');
 * lease.on('lost', (reason) => disableReports(reason.message));
 * lease.on('reattached', () => enableReports());
 * // ... on shutdown (no exit hook is installed for you):
 * await manager.close();
 * ```
 *
 * Call {@link ManagerClient.close} when the application shuts down: it gives every seat back.
 * A process that dies without it keeps its seats until their lease expires on the manager.
 *
 * Every lease answer must prove that the manager holds a genuine license of the vendor whose
 * key is `publicKey` for the product (signed seats, `seat-verifier.ts`); a manager that cannot is
 * skipped, and `acquire()` refuses with `LICTOR_E_ANSWER_UNPROVEN` when none can.
 */
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import {
  ANSWER_NONCE_HEADER,
  ANSWER_SESSION_HEADER,
  type AnswerProof,
  borrowReturnKey,
  borrowReturnSecret,
  type ClientIdentity,
  isAnswerNonce,
  isErrorCode,
  type LeaseBody,
  type LicenseDocument,
  LictorError,
  type ManagerStatus,
  type Scheduler,
  systemScheduler,
  type TimerHandle,
  type VendorPublicKey,
} from '@lictor/protocol';
import type { AcquireAnswer, BorrowAnswer, ManagerStatus as ManagerStatusBody } from '@lictor/protocol/wire';
import { fetchTransport, type HttpAnswer, type HttpTransport, jsonOf, nodeHttpTransport } from '../http-transport.js';
import {
  type BorrowedSeatInfo,
  type BorrowOptions,
  borrowDays,
  borrowedSeatInfo,
  borrowerComputer,
  borrowStore,
  type ReturnBorrowOptions,
  type ReturnedBorrow,
  returnBorrowedSeat,
  writeBorrowedSeat,
} from './borrow.js';
import { borrowComputerOf } from './borrow-binding.js';
import { type DiscoverOptions, discoverManagers } from './discover.js';
import { type LocateOptions, locateManagers } from './locate.js';
import { type SeatAnswerPurpose, type SeatSession, SeatVerifier } from './seat-verifier.js';

/** Options of {@link connectManager}. */
export interface ConnectManagerOptions extends LocateOptions {
  /**
   * The vendor's public key (`lictor-ed25519:…`), embedded in the application. A lease is
   * accepted only when the manager proves, with a license this key signed, that it holds a
   * genuine license for the product (signed seats); any other answer is refused with
   * `LICTOR_E_ANSWER_UNPROVEN` after the other managers were tried.
   */
  publicKey: string | VendorPublicKey;
  /** Overrides parts of the default identity (host name, user name, pid + random suffix, session). */
  client?: Partial<ClientIdentity>;
  /**
   * The `fetch` to use (tests, proxies). Default: `node:http` (`node:https` for `https:` URLs)
   * with connections kept open between requests, not the global `fetch`, which would load
   * Node's undici (10–13 MiB of memory) into the application.
   */
  fetch?: typeof fetch;
  /**
   * The clock and timers of heartbeats, lease deadlines and failover (default
   * `systemScheduler`). Request timeouts (`timeoutMs`) stay on real time.
   */
  scheduler?: Scheduler;
  /** Give up on one request to one manager after this many ms (default 5,000). */
  timeoutMs?: number;
  /** How long a manager that did not answer is tried last (default 30,000 ms). */
  downForMs?: number;
  /**
   * Automatic discovery on the local network (UDP), used when no other source names a
   * manager and no `discover` function is given: its options, or `false` to turn it off.
   */
  discovery?: DiscoverOptions | false;
}

/** What a lease reports. */
export interface LeaseEvents {
  /**
   * The seat is gone: the manager refused to give it back, or could not be reached until the
   * lease expired. After an unreachable manager, re-acquiring goes on in the background.
   */
  lost: (reason: LictorError) => void;
  /** The seat is held again; `id` may differ from `previousId` (e.g. another manager). */
  reattached: (id: string, previousId: string) => void;
}

/** A floating seat borrowed from a License Manager. */
export interface Lease {
  /** The current lease id (changes when re-acquired). */
  readonly id: string;
  readonly product: string;
  readonly feature: string | null;
  /** The manager's deadline for the next heartbeat. */
  readonly expiresAt: Date;
  readonly heartbeatIntervalMs: number;
  /** Base URL of the manager holding the lease. */
  readonly manager: string;
  /** `active`: held; `lost`: not held (maybe re-acquiring); `released`: given back. */
  readonly state: 'active' | 'lost' | 'released';
  /** Gives the seat back (best effort, never throws on network errors) and stops heartbeats; idempotent. */
  release(): Promise<void>;
  on<E extends keyof LeaseEvents>(event: E, listener: LeaseEvents[E]): this;
  off<E extends keyof LeaseEvents>(event: E, listener: LeaseEvents[E]): this;
}

/**
 * How {@link ManagerClient.acquire} asks for a proof that someone else can verify: a local
 * runtime taking a seat for an application forwards the application's nonce, and needs the
 * container key's signature (a session MAC proves the answer only to this client).
 */
export interface SignedAcquireOptions {
  /** The nonce to send: the application's own, base64url of 16–64 random bytes, fresh for this request. */
  nonce: string;
  /** `full`: ask for an Ed25519 signature by the license's container key, never a session MAC. */
  signature: 'full';
}

/** A seat taken with {@link SignedAcquireOptions}: the lease, and the manager's signed answer as received. */
export interface SignedSeat {
  lease: Lease;
  /** The manager's answer without its proof (`{ lease, renewed }`): what it signed, with purpose `lease`. */
  answer: { lease: LeaseBody; renewed: boolean };
  /** The manager's signature over `answer` and the nonce sent (verified here with the vendor key). */
  proof: AnswerProof;
  /** The license `proof` names, opened with the vendor key. */
  license: LicenseDocument;
}

/** A connection to the License Managers of the site. */
export interface ManagerClient {
  /** The managers, in the order they are tried. */
  readonly managers: readonly string[];
  readonly identity: Readonly<ClientIdentity>;
  /**
   * The plain acquire below, sending `options.nonce` and asking for the container key's signature: the
   * seat with the manager's signed answer, for an application that verifies it itself. Refuses
   * as it does, and `LICTOR_E_INVALID_INPUT` for a nonce that is not canonical
   * base64url of 16–64 bytes.
   */
  acquire(product: string, feature: string | undefined, options: SignedAcquireOptions): Promise<SignedSeat>;
  /**
   * Borrows a seat for `product` (and `feature`). Managers are tried in order; one that does
   * not answer is skipped. Throws the manager's refusal as a `LictorError`
   * (`LICTOR_E_SEATS_EXHAUSTED` with `details: { inUse, total }`, `LICTOR_E_NOT_LICENSED`, ...),
   * `LICTOR_E_MANAGER_UNREACHABLE` when none answers, or `LICTOR_E_ANSWER_UNPROVEN` when none that
   * answered proved a genuine license for the product (a manager that does not is skipped).
   */
  acquire(product: string, feature?: string): Promise<Lease>;
  /**
   * Borrows a seat for offline use for `days` (at most the license's `borrowDays`): the first
   * manager that answers lends it, signed for this computer, and it is written to the license
   * store as a `.borrow` file, which `openLicensing`'s `check()` accepts offline on this computer
   * until it ends. Refusals as for {@link acquire}, plus `LICTOR_E_BORROW_NOT_ALLOWED` (the license
   * does not lend seats, or not for that long: `details.maxDays`) and `LICTOR_E_BORROW_HELD`
   * (this computer already borrowed one: `details.until`).
   */
  borrow(options: BorrowOptions): Promise<BorrowedSeatInfo>;
  /**
   * Gives a borrowed seat back early to the manager that lent it, with the secret only this
   * computer can make, and removes its file. `returned: false` when the manager no longer held it.
   */
  returnBorrow(options: ReturnBorrowOptions): Promise<ReturnedBorrow>;
  /**
   * `GET /v1/status?product=` of the first manager that proves it: its id, timings and the seats
   * of `product` (`products` lists it alone, or nothing when the manager serves no seats of it).
   * The answer must be signed over a fresh nonce by a genuine license of the vendor (one holding
   * `product` when seats are listed), as lease answers are: a manager that does not prove it is
   * skipped, and the refusal is `LICTOR_E_ANSWER_UNPROVEN` when none does.
   */
  status(product: string): Promise<ManagerStatus & { url: string }>;
  /** Releases every lease (best effort) and stops all timers; idempotent. */
  close(): Promise<void>;
}

const PROCESS_SUFFIX = randomBytes(4).toString('hex');

/** The checks of the manager's answers, generated from the wire schemas at build time (TypeBox's code). */
type AnswerChecks = typeof import('@lictor/protocol/manager-answers');
let checksModule: Promise<AnswerChecks> | undefined;

/**
 * The answer checks, loaded by the first {@link connectManager}: an application that uses no
 * License Manager does not load them. They need neither TypeBox's type builders nor its compiler
 * (about 8 MiB of memory in a process that takes seats); the wire schemas are loaded only to say
 * what is wrong with an answer that fails its check ({@link Client.checked}).
 */
function loadChecks(): Promise<AnswerChecks> {
  checksModule ??= import('@lictor/protocol/manager-answers');
  return checksModule;
}

/** The answers {@link Client.checked} checks, by the name of their schema in `@lictor/protocol/wire`. */
type CheckedAnswer = 'AcquireAnswer' | 'BorrowAnswer' | 'ManagerStatus';

/** The identity used when none is given. */
export function defaultClientIdentity(env: NodeJS.ProcessEnv = process.env): ClientIdentity {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    user = env.USER ?? env.USERNAME ?? 'unknown';
  }
  return {
    host: hostname().slice(0, 128),
    user: user.slice(0, 128),
    process: `${process.pid}-${PROCESS_SUFFIX}`,
    session: (env.XDG_SESSION_ID ?? 'console').slice(0, 128),
  };
}

/** A manager that could not be used (network error, timeout, broken answer): try the next one. */
class Unreachable extends Error {}

/** A manager whose answer did not prove a genuine license: try the next one, then refuse with `refusal`. */
class Unproven extends Error {
  constructor(readonly refusal: LictorError) {
    super(refusal.message);
  }
}

/** An accepted `POST /v1/leases`. */
interface Granted {
  body: LeaseBody;
  url: string;
  renewed: boolean;
  /** Local time the request was sent. */
  sentAt: number;
  /** The answer's JSON as received (its proof included), and the license that proved it. */
  json: Record<string, unknown>;
  license: LicenseDocument;
  /** The grace period announced and proven (see {@link provenGraceMs}). */
  graceMs: number;
}

type Answer = { status: number; json: Record<string, unknown> | null };

/**
 * Finds the License Managers (explicit list, `lictor.ini`, `LICTOR_MANAGER`, then `discover`
 * or else UDP discovery on the local network, see `discoverManagers`) and returns a client.
 * Throws `LICTOR_E_MANAGER_UNREACHABLE` when no manager is configured or discovered.
 */
export async function connectManager(options: ConnectManagerOptions): Promise<ManagerClient> {
  if (options?.publicKey === undefined) {
    throw new LictorError(
      'LICTOR_E_PUBLIC_KEY_INVALID',
      "connectManager needs the vendor public key (publicKey): seats are accepted only from managers that prove a genuine license with it; the vendor prints it with 'lictor center public-key'",
    );
  }
  const scheduler = options.scheduler ?? systemScheduler;
  const verifier = new SeatVerifier(options.publicKey, () => scheduler.now());
  const { discovery } = options;
  const discover =
    options.discover ??
    (discovery === false ? undefined : async () => (await discoverManagers(discovery)).map((m) => m.url));
  const located = await locateManagers({ ...options, discover });
  if (located.managers.length === 0) {
    throw new LictorError(
      'LICTOR_E_MANAGER_UNREACHABLE',
      `no License Manager is configured${discover ? ' and none answered discovery on the local network' : ''}; looked in: ${located.searched.join(', ')}. Name one in lictor.ini ([managers] address = host:port) or in LICTOR_MANAGER`,
      { searched: located.searched },
    );
  }
  const identity: ClientIdentity = { ...defaultClientIdentity(options.env ?? process.env), ...options.client };
  return new Client(located.managers, identity, options, await loadChecks(), verifier);
}

class Client implements ManagerClient {
  /** How requests are sent: `options.fetch` when given, else `node:http` with kept-alive connections. */
  readonly #http: HttpTransport;
  readonly #fetch: typeof fetch | undefined;
  readonly #timeoutMs: number;
  readonly #downForMs: number;
  readonly #downUntil = new Map<string, number>();
  readonly #leases = new Set<LeaseImpl>();
  /** The session with each manager (by URL), after its first signed answer. */
  readonly #sessions = new Map<string, SeatSession>();
  readonly scheduler: Scheduler;
  readonly #env: NodeJS.ProcessEnv;
  #closed = false;

  constructor(
    readonly managers: readonly string[],
    readonly identity: Readonly<ClientIdentity>,
    options: ConnectManagerOptions,
    readonly checks: AnswerChecks,
    readonly verifier: SeatVerifier,
  ) {
    this.#env = options.env ?? process.env;
    this.#fetch = options.fetch;
    this.#http = options.fetch === undefined ? nodeHttpTransport({ keepAlive: true }) : fetchTransport(options.fetch);
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#downForMs = options.downForMs ?? 30_000;
    this.scheduler = options.scheduler ?? systemScheduler;
  }

  acquire(product: string, feature: string | undefined, options: SignedAcquireOptions): Promise<SignedSeat>;
  acquire(product: string, feature?: string): Promise<Lease>;
  async acquire(product: string, feature?: string, options?: SignedAcquireOptions): Promise<Lease | SignedSeat> {
    if (this.#closed) throw new LictorError('LICTOR_E_INVALID_INPUT', 'the License Manager client is closed');
    if (options !== undefined && (options.signature !== 'full' || !isAnswerNonce(options.nonce))) {
      throw new LictorError(
        'LICTOR_E_INVALID_INPUT',
        "a signed acquire needs { nonce, signature: 'full' } with a nonce of base64url of 16–64 random bytes",
        { field: 'nonce' },
      );
    }
    const granted = await this.requestLease(product, feature ?? null, undefined, options?.nonce);
    const lease = this.#leaseOf(granted);
    if (options === undefined) return lease;
    const { proof, ...answer } = granted.json as { proof: AnswerProof; lease: LeaseBody; renewed: boolean };
    return { lease, answer, proof, license: granted.license };
  }

  /** The lease a grant gives: the one this client holds when the manager renewed it, else a new one. */
  #leaseOf(granted: Granted): LeaseImpl {
    if (granted.renewed) {
      for (const existing of this.#leases) {
        if (existing.id === granted.body.id && existing.state === 'active') return existing;
      }
    }
    const lease = new LeaseImpl(this, granted);
    this.#leases.add(lease);
    return lease;
  }

  async status(product: string): Promise<ManagerStatus & { url: string }> {
    if (typeof product !== 'string' || product === '') {
      throw new LictorError('LICTOR_E_INVALID_INPUT', 'status() needs the product whose seats to show', {
        field: 'product',
      });
    }
    return this.failover(async (url) => {
      const nonce = this.verifier.nonce();
      // The session only once the manager holds it: a status proven by another license than the
      // seats' must not disturb the session the heartbeats use.
      const session = this.#sessions.get(url);
      const headers: Record<string, string> =
        session?.confirmed === true
          ? { [ANSWER_NONCE_HEADER]: nonce, [ANSWER_SESSION_HEADER]: session.id }
          : { [ANSWER_NONCE_HEADER]: nonce };
      const answer = await this.call(
        url,
        'GET',
        `/v1/status?product=${encodeURIComponent(product)}`,
        undefined,
        headers,
      );
      if (answer.status !== 200) throw this.refusalOrUnreachable(url, answer);
      const { proof: _proof, ...status } = await this.checked<ManagerStatusBody>(
        url,
        'GET /v1/status',
        'ManagerStatus',
        answer.json,
      );
      try {
        const license = this.verifier.status(url, nonce, answer.json as Record<string, unknown>, product, session);
        // Signed by the session's container after its license changed (an upgrade): the manager
        // MACs the next answers under the new license, so the session checks against that one.
        if (session !== undefined && session.license.containerId === license.containerId) session.license = license;
      } catch (err) {
        if (err instanceof LictorError && err.code === 'LICTOR_E_ANSWER_UNPROVEN') throw new Unproven(err);
        throw err;
      }
      return { ...status, url };
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#leases].map((l) => l.release()));
    this.#leases.clear();
    this.#http.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  forget(lease: LeaseImpl): void {
    this.#leases.delete(lease);
  }

  /**
   * `POST /v1/leases` with failover. With `fullNonce`, that nonce is sent (the same to each
   * manager tried: only one answer is accepted) without the session, so that the answer is signed.
   */
  async requestLease(product: string, feature: string | null, leaseId?: string, fullNonce?: string): Promise<Granted> {
    return this.failover(async (url) => {
      const sentAt = this.scheduler.now();
      const nonce = fullNonce ?? this.verifier.nonce();
      const answer = await this.call(
        url,
        'POST',
        '/v1/leases',
        {
          product,
          ...(feature === null ? {} : { feature }),
          client: this.identity,
          ...(leaseId === undefined ? {} : { leaseId }),
        },
        fullNonce === undefined ? this.proofHeaders(url, nonce) : { [ANSWER_NONCE_HEADER]: nonce },
      );
      if (answer.status !== 200 && answer.status !== 201) throw this.refusalOrUnreachable(url, answer);
      const { lease, renewed } = await this.checked<AcquireAnswer>(
        url,
        'POST /v1/leases',
        'AcquireAnswer',
        answer.json,
      );
      const json = answer.json as Record<string, unknown>;
      const license = this.checkProof(url, 'lease', nonce, json, { product, feature }, fullNonce !== undefined);
      return { body: lease, url, renewed, sentAt, json, license, graceMs: provenGraceMs(lease, license) };
    });
  }

  async borrow(options: BorrowOptions): Promise<BorrowedSeatInfo> {
    if (this.#closed) throw new LictorError('LICTOR_E_INVALID_INPUT', 'the License Manager client is closed');
    const days = borrowDays(options.days);
    const feature = options.feature ?? null;
    const store = borrowStore(options.store, this.#env);
    const { secret, hardware } = await borrowerComputer(options);
    const computer = borrowComputerOf(secret, hardware);
    const nonce = this.verifier.nonce();
    const body = {
      product: options.product,
      ...(feature === null ? {} : { feature }),
      days,
      client: this.identity,
      computer,
      returnKey: borrowReturnKey(borrowReturnSecret(secret, nonce)),
    };
    const lent = await this.failover(async (url) => {
      const answer = await this.call(url, 'POST', '/v1/borrows', body, { [ANSWER_NONCE_HEADER]: nonce });
      if (answer.status !== 201) throw this.refusalOrUnreachable(url, answer);
      const json = answer.json as Record<string, unknown>;
      await this.checked<BorrowAnswer>(url, 'POST /v1/borrows', 'BorrowAnswer', json);
      try {
        const verified = this.verifier.borrow(url, nonce, json, { product: options.product, feature, computer, days });
        const { proof, ...signed } = json;
        return { url, answer: signed, proof: proof as never, seat: verified.seat };
      } catch (err) {
        if (err instanceof LictorError && err.code === 'LICTOR_E_ANSWER_UNPROVEN') throw new Unproven(err);
        throw err;
      }
    });
    const kept = { manager: lent.url, nonce, answer: lent.answer, proof: lent.proof, seat: lent.seat };
    return borrowedSeatInfo(await writeBorrowedSeat(store, kept), kept);
  }

  returnBorrow(options: ReturnBorrowOptions): Promise<ReturnedBorrow> {
    return returnBorrowedSeat(options, {
      env: this.#env,
      ...(this.#fetch === undefined ? {} : { fetch: this.#fetch }),
      timeoutMs: this.#timeoutMs,
    });
  }

  /** A Lictor error answer (4xx) is a refusal; anything else means "not a working manager here". */
  refusalOrUnreachable(url: string, answer: Answer): Error {
    const json = answer.json;
    if (answer.status < 500 && this.checks.isErrorBody(json) && isErrorCode(json.code)) {
      return new LictorError(json.code, json.message, json.details);
    }
    return new Unreachable(
      json && typeof json.message === 'string'
        ? `HTTP ${answer.status}: ${json.message}`
        : `HTTP ${answer.status} without a License Manager answer at ${url}`,
    );
  }

  /**
   * `json` as the `schema` message, or `Unreachable` naming what is wrong: a server that answers
   * outside the protocol is not a working License Manager (the next one is tried).
   */
  async checked<T>(url: string, route: string, schema: CheckedAnswer, json: unknown): Promise<T> {
    if (this.checks[`is${schema}`](json)) return json as T;
    // What is wrong, in words: only now the wire schemas (and TypeBox's checker) are loaded.
    const wire = await import('@lictor/protocol/wire');
    const problem = wire.wireProblem(wire[schema], json) ?? 'the body does not match';
    throw new Unreachable(`the answer to ${route} does not follow the License Manager protocol at ${url}: ${problem}`);
  }

  /** Tries `attempt` on each manager in order (those seen down recently last). */
  async failover<T>(attempt: (url: string) => Promise<T>): Promise<T> {
    const now = this.scheduler.now();
    const up = this.managers.filter((m) => (this.#downUntil.get(m) ?? 0) <= now);
    const down = this.managers.filter((m) => (this.#downUntil.get(m) ?? 0) > now);
    const failures: { manager: string; error: string }[] = [];
    let unproven: LictorError | undefined;
    for (const url of [...up, ...down]) {
      try {
        const result = await attempt(url);
        this.#downUntil.delete(url);
        return result;
      } catch (err) {
        if (!(err instanceof Unreachable) && !(err instanceof Unproven)) throw err;
        // A manager that cannot prove its seats is tried last from now on, like one that is down.
        this.#downUntil.set(url, this.scheduler.now() + this.#downForMs);
        failures.push({ manager: url, error: err.message });
        if (err instanceof Unproven) unproven ??= err.refusal;
      }
    }
    if (unproven !== undefined) {
      throw new LictorError(
        'LICTOR_E_ANSWER_UNPROVEN',
        `no License Manager proved it holds a genuine license: ${failures.map((f) => `${f.manager} (${f.error})`).join('; ')}`,
        { ...unproven.details, managers: failures },
      );
    }
    throw new LictorError(
      'LICTOR_E_MANAGER_UNREACHABLE',
      `no License Manager answered: ${failures.map((f) => `${f.manager} (${f.error})`).join(', ')}; check that \`lictor manager serve\` runs there and that the network allows it`,
      { managers: failures },
    );
  }

  /**
   * Verifies the proof of a lease answer and returns its license; an answer without a valid one
   * is `Unproven`. `signedOnly`: the session was not offered, only a signature is accepted
   * (whether the session is confirmed is left as it is; a license of its container still becomes
   * the session's license).
   */
  checkProof(
    url: string,
    purpose: SeatAnswerPurpose,
    nonce: string,
    body: Record<string, unknown>,
    expected: { product: string; feature: string | null; leaseId?: string },
    signedOnly = false,
  ): LicenseDocument {
    const session = this.#sessions.get(url);
    try {
      const license = this.verifier.verify(url, purpose, nonce, body, expected, signedOnly ? undefined : session);
      // A signed answer from another license than the session's (or the first): a new session with it.
      if (session === undefined || session.license.containerId !== license.containerId) {
        this.#sessions.set(url, this.verifier.session(license));
      } else {
        // The session's container: MAC'd, its license as it was; signed, the manager does not hold
        // the session (a restart) or the container's license changed (a remote upgrade, which keeps
        // the container's keys): the session, its secret kept, checks against the new license.
        session.license = license;
      }
      return license;
    } catch (err) {
      if (err instanceof LictorError && err.code === 'LICTOR_E_ANSWER_UNPROVEN') throw new Unproven(err);
      throw err;
    }
  }

  /**
   * The headers that ask `url` to prove its answer: `lictor-nonce`, and `lictor-session` with the
   * session's id (and its sealed secret until the manager MAC'd an answer).
   */
  proofHeaders(url: string, nonce: string): Record<string, string> {
    const s = this.#sessions.get(url);
    if (s === undefined) return { [ANSWER_NONCE_HEADER]: nonce };
    return { [ANSWER_NONCE_HEADER]: nonce, [ANSWER_SESSION_HEADER]: s.confirmed ? s.id : `${s.id}.${s.sealed}` };
  }

  /** One HTTP request; network errors and timeouts become `Unreachable`. */
  async call(
    url: string,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    let answer: HttpAnswer;
    try {
      answer = await this.#http.request(new URL(path, url), {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        timeoutMs: this.#timeoutMs,
      });
    } catch (err) {
      throw new Unreachable(describeNetworkError(err, this.#timeoutMs));
    }
    const json = jsonOf(answer);
    return {
      status: answer.status,
      json: json !== null && typeof json === 'object' ? (json as Record<string, unknown>) : null,
    };
  }
}

/**
 * What went wrong, in a word where one names it: `fetch` (undici) puts the system error in
 * `cause`, `node:http` gives it directly (`code`: `ECONNREFUSED`, `ENOTFOUND`, …).
 */
function describeNetworkError(err: unknown, timeoutMs: number): string {
  const e = err as Error & { code?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  return e.cause?.code ?? e.code ?? e.cause?.message ?? e.message;
}

class LeaseImpl implements Lease {
  #body: LeaseBody;
  #manager: string;
  #state: 'active' | 'lost' | 'released' = 'active';
  /** Local time after which the manager has given the seat back if no heartbeat succeeded. */
  #deadline = 0;
  #ttlMs: number;
  /** The license's grace period, proven (0: none): the seat is kept this long without the manager. */
  #graceMs: number;
  #lastOk: number;
  #timer: TimerHandle | undefined;
  #busy: Promise<void> | undefined;
  /** No more heartbeats nor re-acquiring. */
  #stopped = false;
  /** Why the last heartbeat answer was not accepted, when it lacked a valid proof. */
  #unproven: LictorError | undefined;
  /** A re-acquire that succeeded after `release()`: that lease is given back too. */
  #reacquiredAfterRelease: string | undefined;
  readonly #listeners: { [E in keyof LeaseEvents]: Set<LeaseEvents[E]> } = {
    lost: new Set(),
    reattached: new Set(),
  };

  constructor(
    readonly client: Client,
    granted: Granted,
  ) {
    this.#body = granted.body;
    this.#manager = granted.url;
    this.#lastOk = granted.sentAt;
    this.#ttlMs = leaseTtl(granted);
    this.#graceMs = granted.graceMs;
    this.#deadline = granted.sentAt + Math.max(this.#ttlMs, this.#graceMs);
    this.#schedule();
  }

  get id(): string {
    return this.#body.id;
  }
  get product(): string {
    return this.#body.product;
  }
  get feature(): string | null {
    return this.#body.feature ?? null;
  }
  get expiresAt(): Date {
    return new Date(this.#body.expiresAt);
  }
  get heartbeatIntervalMs(): number {
    return this.#body.heartbeatIntervalMs;
  }
  get manager(): string {
    return this.#manager;
  }
  get state(): 'active' | 'lost' | 'released' {
    return this.#state;
  }

  on<E extends keyof LeaseEvents>(event: E, listener: LeaseEvents[E]): this {
    this.#listeners[event].add(listener);
    return this;
  }

  off<E extends keyof LeaseEvents>(event: E, listener: LeaseEvents[E]): this {
    this.#listeners[event].delete(listener);
    return this;
  }

  async release(): Promise<void> {
    if (this.#state === 'released') return;
    const wasActive = this.#state === 'active';
    this.#state = 'released';
    this.client.scheduler.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.client.forget(this);
    // A heartbeat in flight finishes first (it may re-acquire: then that lease is the one to give back).
    await this.#busy;
    if (!wasActive && this.#reacquiredAfterRelease === undefined) return;
    const id = this.#reacquiredAfterRelease ?? this.#body.id;
    try {
      await this.client.call(this.#manager, 'DELETE', `/v1/leases/${encodeURIComponent(id)}`);
    } catch {
      // Best effort: the manager takes the seat back when the lease expires.
    }
  }

  #emit<E extends keyof LeaseEvents>(event: E, ...args: Parameters<LeaseEvents[E]>): void {
    for (const listener of this.#listeners[event]) {
      try {
        (listener as (...a: Parameters<LeaseEvents[E]>) => void)(...args);
      } catch (err) {
        process.emitWarning(`a Lictor lease '${event}' listener threw: ${(err as Error).message}`);
      }
    }
  }

  #schedule(): void {
    if (this.#state === 'released' || this.#stopped) return;
    this.#timer = this.client.scheduler.setTimeout(() => {
      this.#timer = undefined;
      this.#busy = this.#tick().finally(() => {
        this.#busy = undefined;
        this.#schedule();
      });
    }, this.#body.heartbeatIntervalMs);
  }

  async #tick(): Promise<void> {
    if (this.#state === 'active') await this.#heartbeat();
    else if (this.#state === 'lost') await this.#reacquire(true);
  }

  async #heartbeat(): Promise<void> {
    const sentAt = this.client.scheduler.now();
    const nonce = this.client.verifier.nonce();
    let answer: Answer;
    try {
      answer = await this.client.call(
        this.#manager,
        'POST',
        `/v1/leases/${encodeURIComponent(this.#body.id)}/heartbeat`,
        undefined,
        this.client.proofHeaders(this.#manager, nonce),
      );
    } catch {
      this.#missed();
      return;
    }
    if (this.#state !== 'active') return;
    if (answer.status === 200 && this.client.checks.isHeartbeatAnswer(answer.json)) {
      let license: LicenseDocument;
      try {
        license = this.client.checkProof(this.#manager, 'heartbeat', nonce, answer.json, {
          product: this.#body.product,
          feature: this.#body.feature ?? null,
          leaseId: this.#body.id,
        });
      } catch (err) {
        if (!(err instanceof Unproven)) throw err;
        // Not a renewal from a manager that holds the license: the seat runs out at its deadline.
        this.#missed(err.refusal);
        return;
      }
      this.#body = answer.json.lease;
      this.#lastOk = sentAt;
      this.#unproven = undefined;
      this.#graceMs = provenGraceMs(this.#body, license);
      this.#deadline = sentAt + Math.max(this.#ttlMs, this.#graceMs);
      return;
    }
    if (answer.status === 404 && answer.json?.code === 'LICTOR_E_LEASE_UNKNOWN') {
      await this.#reacquire(false);
      return;
    }
    this.#missed();
  }

  /** A heartbeat failed (network, or `unproven`): after the deadline the seat is lost. */
  #missed(unproven?: LictorError): void {
    if (unproven !== undefined) this.#unproven = unproven;
    if (this.#state !== 'active' || this.client.scheduler.now() <= this.#deadline) return;
    this.#state = 'lost';
    if (this.#unproven !== undefined) {
      this.#emit('lost', this.#unproven);
      return;
    }
    this.#emit(
      'lost',
      new LictorError(
        'LICTOR_E_MANAGER_UNREACHABLE',
        `the License Manager could not be reached since ${new Date(this.#lastOk).toISOString()}: the seat was given back`,
        { manager: this.#manager, leaseId: this.#body.id, since: new Date(this.#lastOk).toISOString() },
      ),
    );
  }

  /**
   * Re-acquires with the same identity and the old lease id. `afterLoss`: the seat was already
   * reported lost (manager unreachable): keep trying quietly unless the refusal is final.
   */
  async #reacquire(afterLoss: boolean): Promise<void> {
    const previousId = this.#body.id;
    let result: Granted;
    try {
      result = await this.client.requestLease(this.#body.product, this.#body.feature ?? null, previousId);
    } catch (err) {
      const reason =
        err instanceof LictorError
          ? err
          : new LictorError('LICTOR_E_MANAGER_UNREACHABLE', `cannot re-acquire the seat: ${(err as Error).message}`);
      if (this.#state === 'released') return;
      if (reason.code === 'LICTOR_E_MANAGER_UNREACHABLE') {
        // Manager gone too (e.g. restarting): behave like a missed heartbeat.
        if (!afterLoss) this.#missed();
        return;
      }
      if (afterLoss) {
        // Still lost; a seat may come free again (all in use, or a session-limited server license
        // serving another computer until its sessions end), other refusals are final.
        if (reason.code !== 'LICTOR_E_SEATS_EXHAUSTED' && reason.code !== 'LICTOR_E_SERVER_IN_USE') this.#stop();
        return;
      }
      this.#state = 'lost';
      this.#stop();
      this.#emit('lost', reason);
      return;
    }
    if (this.#state === 'released') {
      this.#reacquiredAfterRelease = result.body.id;
      this.#manager = result.url;
      return;
    }
    this.#body = result.body;
    this.#manager = result.url;
    this.#lastOk = result.sentAt;
    this.#unproven = undefined;
    if (!result.renewed) this.#ttlMs = leaseTtl(result);
    this.#graceMs = result.graceMs;
    this.#deadline = result.sentAt + Math.max(this.#ttlMs, this.#graceMs);
    this.#state = 'active';
    this.#emit('reattached', result.body.id, previousId);
  }

  /** No more heartbeats nor re-acquiring (the lease stays `lost`). */
  #stop(): void {
    this.#stopped = true;
    this.client.scheduler.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.client.forget(this);
  }
}

/**
 * The grace period a lease answer announces (`graceMs`), as far as the license that proves it
 * allows (`graceMinutes` of its entry for the lease's product and feature): a client cut off from
 * its manager keeps the seat that long after its last successful heartbeat. 0: none.
 */
function provenGraceMs(lease: LeaseBody, license: LicenseDocument): number {
  const announced = lease.graceMs ?? 0;
  if (announced <= 0) return 0;
  let allowed = 0;
  for (const e of license.licenses) {
    if (e.product !== lease.product || e.graceMinutes === undefined) continue;
    if (lease.feature !== null && !e.features.some((f) => f.code === lease.feature)) continue;
    allowed = Math.max(allowed, e.graceMinutes * 60_000);
  }
  return Math.min(announced, allowed);
}

/**
 * The lease's time to live, measured on the manager's clock (so clock skew between the
 * computers does not matter): `expiresAt - grantedAt` of a fresh grant. A renewed lease keeps
 * its old `grantedAt`, so its deadline is read against the local clock instead. Never less
 * than two heartbeat intervals.
 */
function leaseTtl(granted: Granted): number {
  const { body } = granted;
  const ttl = granted.renewed
    ? Date.parse(body.expiresAt) - granted.sentAt
    : Date.parse(body.expiresAt) - Date.parse(body.grantedAt);
  return Math.max(Number.isFinite(ttl) ? ttl : 0, 2 * body.heartbeatIntervalMs);
}
