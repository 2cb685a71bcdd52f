/**
 * Sessions of application processes on license files: the pure {@link SessionTable} with the
 * OS asked about each process. A session is opened only for a process that runs; its OS session
 * is the one the OS reports (where it does); what a process that exited held is freed when a
 * session would otherwise be refused, and by {@link SessionService.sweep}, which the runtime
 * runs on its scheduler.
 */
import { LictorError } from '@lictor/protocol';
import type { RuntimeSession } from '@lictor/protocol/wire';
import type { Unsigned } from './answer-proofs.js';
import type { ProcessInfo, ProcessProbe } from './process-info.js';
import { type SessionLimits, SessionTable, type TableSession } from './session-table.js';

/** A session as the runtime keeps it (answers add their proof). */
export type SessionState = Unsigned<RuntimeSession>;

/** The OS session of a process where neither the OS nor the application says which. */
export const UNKNOWN_OS_SESSION = 'unknown';

/** What a session is for, besides where it counts. */
export interface SessionGrant {
  product: string;
  feature: string | null;
  serial: string;
  licenseId: string;
  /** The license file the session counts against. */
  file: string;
}

/** Why a session ended without being closed. */
export type FreedReason = 'process-exited';

/** What a session keeps about its process. */
interface Held extends SessionGrant {
  pid: number;
}

/** Options of {@link SessionService}. */
export interface SessionServiceOptions {
  limits?: Partial<SessionLimits>;
  probe: ProcessProbe;
  /** Clock in epoch ms. */
  now: () => number;
  /** Told of every session freed because its process exited. */
  onFreed?: (session: SessionState, reason: FreedReason) => void;
}

/** The process key of the table: the pid and its start time, so that a reused pid is another process. */
function processKey(info: ProcessInfo): string {
  return `${info.pid}@${info.startTime ?? ''}`;
}

/** The sessions of the runtime. */
export class SessionService {
  readonly #table: SessionTable<Held>;
  readonly #probe: ProcessProbe;
  readonly #onFreed: ((session: SessionState, reason: FreedReason) => void) | undefined;
  #sweeping: Promise<number> | undefined;

  constructor(options: SessionServiceOptions) {
    this.#table = new SessionTable<Held>({ ...options.limits, now: options.now });
    this.#probe = options.probe;
    this.#onFreed = options.onFreed;
  }

  /** The limits in force. */
  get limits(): Readonly<SessionLimits> {
    return this.#table.limits;
  }

  /** Open sessions. */
  get count(): number {
    return this.#table.size;
  }

  /** Processes holding sessions. */
  get processCount(): number {
    return this.#table.processes().length;
  }

  /**
   * Opens a session for process `pid` on `grant.file`. Refuses a process that does not run
   * (`LICTOR_E_PROCESS_UNKNOWN`) and a session beyond the limits (`LICTOR_E_SESSIONS_EXHAUSTED`,
   * after freeing what exited processes held on that file).
   */
  async open(pid: number, declaredOsSession: string | undefined, grant: SessionGrant): Promise<SessionState> {
    const info = await this.#probe(pid);
    if (info === undefined) {
      throw new LictorError(
        'LICTOR_E_PROCESS_UNKNOWN',
        `no process ${pid} runs on this computer (or the runtime cannot see it); send the calling program's own process id`,
        { pid },
      );
    }
    this.#forgetReusedPid(info);
    const place = {
      file: grant.file,
      osSession: info.osSession ?? declaredOsSession ?? UNKNOWN_OS_SESSION,
      process: processKey(info),
    };
    const held: Held = { ...grant, pid };
    let result = this.#table.open(place, held);
    if (!result.ok) {
      // Processes that exited may still hold places on this file: free them, then ask again.
      await this.#sweepFile(grant.file);
      result = this.#table.open(place, held);
    }
    if (!result.ok) {
      const what =
        result.kind === 'processes'
          ? `${result.limit} processes of OS session ${place.osSession} already use`
          : `${result.limit} OS sessions already use`;
      throw new LictorError(
        'LICTOR_E_SESSIONS_EXHAUSTED',
        `${what} license file ${result.file}: close a session, or wait until a program exits`,
        { limit: result.limit, kind: result.kind, file: result.file },
      );
    }
    return sessionBody(result.session);
  }

  /** Closes a session; `LICTOR_E_SESSION_UNKNOWN` when none has this id. */
  close(id: string): SessionState {
    const closed = this.#table.close(id);
    if (closed === undefined) {
      throw new LictorError(
        'LICTOR_E_SESSION_UNKNOWN',
        `no session '${id}': it was closed, its process exited, or the runtime restarted; open a new one`,
      );
    }
    return sessionBody(closed);
  }

  /** The open session with this id. */
  get(id: string): SessionState | undefined {
    const s = this.#table.get(id);
    return s === undefined ? undefined : sessionBody(s);
  }

  /** Every open session. */
  list(): SessionState[] {
    return this.#table.sessions().map(sessionBody);
  }

  /**
   * Frees the sessions of every process that exited (or whose pid now names another process);
   * resolves with how many were freed. Sweeps do not overlap: a call during one joins it.
   */
  sweep(): Promise<number> {
    this.#sweeping ??= this.#sweepAll().finally(() => {
      this.#sweeping = undefined;
    });
    return this.#sweeping;
  }

  async #sweepAll(): Promise<number> {
    return this.#sweepProcesses(this.#table.sessions());
  }

  /** Frees what exited processes held on `file`. */
  #sweepFile(file: string): Promise<number> {
    return this.#sweepProcesses(this.#table.sessions().filter((s) => s.file === file));
  }

  async #sweepProcesses(sessions: readonly TableSession<Held>[]): Promise<number> {
    const byProcess = new Map<string, number>();
    for (const s of sessions) byProcess.set(s.process, s.data.pid);
    let freed = 0;
    await Promise.all(
      [...byProcess].map(async ([key, pid]) => {
        const info = await this.#probe(pid);
        if (info !== undefined && processKey(info) === key) return;
        freed += this.#free(key);
      }),
    );
    return freed;
  }

  /** A pid the OS gave to a new process: what the old one held is freed. */
  #forgetReusedPid(info: ProcessInfo): void {
    const key = processKey(info);
    const prefix = `${info.pid}@`;
    for (const other of this.#table.processes()) {
      if (other !== key && other.startsWith(prefix)) this.#free(other);
    }
  }

  #free(key: string): number {
    const closed = this.#table.closeProcess(key);
    for (const s of closed) this.#onFreed?.(sessionBody(s), 'process-exited');
    return closed.length;
  }
}

/** A session as the wire shows it. */
function sessionBody(s: TableSession<Held>): SessionState {
  return {
    id: s.id,
    product: s.data.product,
    feature: s.data.feature,
    serial: s.data.serial,
    licenseId: s.data.licenseId,
    licenseFile: s.file,
    pid: s.data.pid,
    osSession: s.osSession,
    openedAt: new Date(s.openedAt).toISOString(),
  };
}
