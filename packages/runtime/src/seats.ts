/**
 * Floating seats the runtime holds for applications: it takes a lease from a License Manager
 * with the SDK's `connectManager`, sends the heartbeats, follows the lease when it is lost and
 * taken again (told as events), and gives it back when the application asks or its process exits.
 *
 * Each calling process (or the runtime itself, for seats without a pid) is one client of the
 * manager, with its own identity (`<pid>-<random>`, the OS session of the process): the manager
 * counts applications as it would count them in-process, and a process that asks again for the
 * same seat gets the seat it holds.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type ClientIdentity, LictorError, parsePublicKey, toHex, type VendorPublicKey } from '@lictor/protocol';
import type { RuntimeEvent, RuntimeSeat } from '@lictor/protocol/wire';
import type { Lease, ManagerClient, SignedSeat } from '@lictor/sdk';
import type { Unsigned } from './answer-proofs.js';
import type { ProcessInfo, ProcessProbe } from './process-info.js';

/** What connects to the License Managers (the composition root binds `connectManager` and the runtime's scheduler). */
export type ManagerConnector = (options: {
  publicKey: VendorPublicKey;
  /** Addresses the application named; absent: lictor.ini, LICTOR_MANAGER, then discovery. */
  managers?: string[];
  client: Partial<ClientIdentity>;
}) => Promise<ManagerClient>;

/** What an application asks for. */
export interface SeatRequest {
  publicKey: string;
  product: string;
  feature?: string;
  managers?: string[];
  pid?: number;
  /** The application's nonce, forwarded to the manager, which signs its answer over it. */
  nonce: string;
}

/** A seat as the runtime keeps it (the answer adds the manager's proof). */
export type SeatState = Unsigned<RuntimeSeat>;

/** A seat taken: the runtime's seat, and the manager's signed answer to the application's nonce. */
export interface TakenSeat {
  seat: SeatState;
  signed: SignedSeat;
}

/** Options of {@link SeatService}. */
export interface SeatServiceOptions {
  connect: ManagerConnector;
  probe: ProcessProbe;
  onEvent: (event: Omit<RuntimeEvent, 'at'>) => void;
}

/** One manager client: one calling process (or the runtime) with one vendor key and list of managers. */
interface Connection {
  client: Promise<ManagerClient>;
  seats: Set<string>;
  /** Acquires under way. */
  pending: number;
}

interface HeldSeat {
  id: string;
  pid: number | null;
  /** The process's pid and start time (as the sessions name processes); `null` without a pid. */
  process: string | null;
  connection: string;
  lease: Lease;
}

/** A suffix that keeps this runtime's identities apart from another run's. */
const RUN = randomBytes(4).toString('hex');

function processKey(info: ProcessInfo): string {
  return `${info.pid}@${info.startTime ?? ''}`;
}

/** The seats the runtime holds. */
export class SeatService {
  readonly #connect: ManagerConnector;
  readonly #probe: ProcessProbe;
  readonly #onEvent: SeatServiceOptions['onEvent'];
  readonly #connections = new Map<string, Connection>();
  readonly #seats = new Map<string, HeldSeat>();
  readonly #byLease = new Map<Lease, HeldSeat>();

  constructor(options: SeatServiceOptions) {
    this.#connect = options.connect;
    this.#probe = options.probe;
    this.#onEvent = options.onEvent;
  }

  /** Seats held. */
  get count(): number {
    return this.#seats.size;
  }

  /**
   * Takes a seat for the application (the one its process already holds, when it asks again).
   * Refuses as the manager does (`LICTOR_E_SEATS_EXHAUSTED`, …), `LICTOR_E_MANAGER_UNREACHABLE`
   * when none answers, `LICTOR_E_PROCESS_UNKNOWN` for a pid that does not run,
   * `LICTOR_E_ANSWER_UNPROVEN` when no manager signs the seat with a genuine license.
   */
  async acquire(request: SeatRequest): Promise<TakenSeat> {
    const publicKey = parsePublicKey(request.publicKey);
    const info = request.pid === undefined ? undefined : await this.#probe(request.pid);
    if (request.pid !== undefined && info === undefined) {
      throw new LictorError(
        'LICTOR_E_PROCESS_UNKNOWN',
        `no process ${request.pid} runs on this computer (or the runtime cannot see it); send the calling program's own process id`,
        { pid: request.pid },
      );
    }
    const process = info === undefined ? null : processKey(info);
    const connectionId = `${process ?? 'runtime'}\n${toHex(publicKey.keyId)}\n${(request.managers ?? []).join(',')}`;
    const connection = this.#connection(connectionId, publicKey, request.managers, info);
    let signed: SignedSeat;
    connection.pending++;
    try {
      // The application's nonce, signed by the container key (a session MAC would prove the
      // answer to the runtime only).
      signed = await (await connection.client).acquire(request.product, request.feature, {
        nonce: request.nonce,
        signature: 'full',
      });
    } catch (error) {
      connection.pending--;
      await this.#dropIfUnused(connectionId);
      throw error;
    }
    connection.pending--;
    const { lease } = signed;
    const held = this.#byLease.get(lease);
    if (held !== undefined) return { seat: seatBody(held), signed };
    const seat: HeldSeat = { id: randomUUID(), pid: request.pid ?? null, process, connection: connectionId, lease };
    this.#seats.set(seat.id, seat);
    this.#byLease.set(lease, seat);
    connection.seats.add(seat.id);
    lease.on('lost', (reason) =>
      this.#onEvent({
        kind: 'seat-lost',
        seatId: seat.id,
        leaseId: lease.id,
        product: lease.product,
        code: reason.code,
        message: reason.message,
      }),
    );
    lease.on('reattached', (id, previousId) =>
      this.#onEvent({
        kind: 'seat-reattached',
        seatId: seat.id,
        leaseId: id,
        previousLeaseId: previousId,
        product: lease.product,
      }),
    );
    return { seat: seatBody(seat), signed };
  }

  /** Gives a seat back; `LICTOR_E_LEASE_UNKNOWN` when the runtime holds none with this id. */
  async release(id: string): Promise<void> {
    const seat = this.#seats.get(id);
    if (seat === undefined) {
      throw new LictorError(
        'LICTOR_E_LEASE_UNKNOWN',
        `the runtime holds no seat '${id}': it was given back, its process exited, or the runtime restarted`,
      );
    }
    await this.#release(seat);
  }

  /** The seat with this id. */
  get(id: string): SeatState | undefined {
    const seat = this.#seats.get(id);
    return seat === undefined ? undefined : seatBody(seat);
  }

  /** Every seat held. */
  list(): SeatState[] {
    return [...this.#seats.values()].map(seatBody);
  }

  /** Gives back the seats of processes that exited; resolves with how many. */
  async sweep(): Promise<number> {
    const gone: HeldSeat[] = [];
    await Promise.all(
      [...this.#seats.values()].map(async (seat) => {
        if (seat.pid === null) return;
        const info = await this.#probe(seat.pid);
        if (info === undefined || processKey(info) !== seat.process) gone.push(seat);
      }),
    );
    await Promise.all(gone.map((seat) => this.#release(seat)));
    return gone.length;
  }

  /** Gives every seat back and closes the manager clients. */
  async close(): Promise<void> {
    const connections = [...this.#connections.values()];
    this.#connections.clear();
    this.#seats.clear();
    this.#byLease.clear();
    await Promise.allSettled(connections.map(async (c) => (await c.client).close()));
  }

  #connection(
    id: string,
    publicKey: VendorPublicKey,
    managers: string[] | undefined,
    info: ProcessInfo | undefined,
  ): Connection {
    let connection = this.#connections.get(id);
    if (connection === undefined) {
      const client = this.#connect({
        publicKey,
        ...(managers === undefined ? {} : { managers }),
        client: {
          process: `${info?.pid ?? 'runtime'}-${RUN}-${this.#connections.size}`,
          ...(info?.osSession === undefined ? {} : { session: info.osSession }),
        },
      });
      connection = { client, seats: new Set(), pending: 0 };
      this.#connections.set(id, connection);
      // A connection that failed is not kept: the next request tries again.
      client.catch(() => {
        if (this.#connections.get(id) === connection) this.#connections.delete(id);
      });
    }
    return connection;
  }

  async #release(seat: HeldSeat): Promise<void> {
    if (this.#seats.get(seat.id) !== seat) return;
    this.#seats.delete(seat.id);
    this.#byLease.delete(seat.lease);
    this.#connections.get(seat.connection)?.seats.delete(seat.id);
    await seat.lease.release();
    await this.#dropIfUnused(seat.connection);
  }

  /** Closes a connection that holds no seat. */
  async #dropIfUnused(id: string): Promise<void> {
    const connection = this.#connections.get(id);
    if (connection === undefined || connection.seats.size > 0 || connection.pending > 0) return;
    this.#connections.delete(id);
    await connection.client.then(
      (c) => c.close(),
      () => undefined,
    );
  }
}

/** A seat as the wire shows it. */
function seatBody(seat: HeldSeat): SeatState {
  const { lease } = seat;
  return {
    id: seat.id,
    leaseId: lease.id,
    product: lease.product,
    feature: lease.feature,
    manager: lease.manager,
    state: lease.state,
    expiresAt: lease.expiresAt.toISOString(),
    heartbeatIntervalMs: lease.heartbeatIntervalMs,
    pid: seat.pid,
  };
}
