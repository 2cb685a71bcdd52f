/**
 * The sessions rule of the documents Lictor follows, counted: one license file serves at most
 * 256 OS sessions, and within one OS session at most 256 processes (both configurable). Pure and
 * in memory, with an injected clock and id maker: no I/O, no processes looked at (the runtime's
 * `SessionService` asks the OS and frees what a process that exited held).
 *
 * A process is counted once per file and OS session however many sessions it opens there; it is
 * named by an opaque key (the runtime uses its pid and start time, so a reused pid is another
 * process).
 */
import { randomUUID } from 'node:crypto';

/** The documents' limit of OS sessions per license file, and of processes per OS session. */
export const DEFAULT_SESSION_LIMIT = 256;

/** How many OS sessions one license file serves, and how many processes within one OS session. */
export interface SessionLimits {
  /** At most this many OS sessions use one license file (default 256). */
  maxOsSessionsPerFile: number;
  /** At most this many processes of one OS session use one license file (default 256). */
  maxProcessesPerOsSession: number;
}

/** Where a session counts and who holds it. */
export interface SessionPlace {
  /** The license file the session counts against. */
  file: string;
  /** The OS session of the process. */
  osSession: string;
  /** The process, as an opaque key (the same process always gives the same key). */
  process: string;
}

/** An open session with what its opener attached to it. */
export interface TableSession<T> extends Readonly<SessionPlace> {
  readonly id: string;
  /** When it was opened, epoch ms. */
  readonly openedAt: number;
  readonly data: T;
}

/** Why a session was refused: the limit that is reached, of which kind, on which file. */
export interface SessionsExhausted {
  readonly ok: false;
  readonly kind: 'processes' | 'os-sessions';
  readonly limit: number;
  readonly file: string;
}

/** The outcome of {@link SessionTable.open}. */
export type OpenResult<T> = { readonly ok: true; readonly session: TableSession<T> } | SessionsExhausted;

/** Options of {@link SessionTable}. */
export interface SessionTableOptions extends Partial<SessionLimits> {
  /** Clock in epoch ms (default `Date.now`). */
  now?: () => number;
  /** Makes session ids (default random UUIDs). */
  newId?: () => string;
}

/** Sessions per license file, OS session and process. */
export class SessionTable<T> {
  readonly limits: Readonly<SessionLimits>;
  readonly #now: () => number;
  readonly #newId: () => string;
  readonly #byId = new Map<string, TableSession<T>>();
  /** file → OS session → process → session ids. */
  readonly #places = new Map<string, Map<string, Map<string, Set<string>>>>();

  constructor(options: SessionTableOptions = {}) {
    this.limits = Object.freeze({
      maxOsSessionsPerFile: limit(options.maxOsSessionsPerFile, 'maxOsSessionsPerFile'),
      maxProcessesPerOsSession: limit(options.maxProcessesPerOsSession, 'maxProcessesPerOsSession'),
    });
    this.#now = options.now ?? Date.now;
    this.#newId = options.newId ?? randomUUID;
  }

  /** Opens a session at `place`, or says which limit it would break (nothing changes then). */
  open(place: SessionPlace, data: T): OpenResult<T> {
    const { file, osSession, process } = place;
    const osSessions = this.#places.get(file);
    const processes = osSessions?.get(osSession);
    if (processes === undefined && (osSessions?.size ?? 0) >= this.limits.maxOsSessionsPerFile) {
      return { ok: false, kind: 'os-sessions', limit: this.limits.maxOsSessionsPerFile, file };
    }
    if (processes !== undefined && !processes.has(process) && processes.size >= this.limits.maxProcessesPerOsSession) {
      return { ok: false, kind: 'processes', limit: this.limits.maxProcessesPerOsSession, file };
    }
    let id = this.#newId();
    while (this.#byId.has(id)) id = this.#newId();
    const session: TableSession<T> = Object.freeze({ id, file, osSession, process, openedAt: this.#now(), data });
    this.#byId.set(id, session);
    let os = osSessions;
    if (os === undefined) {
      os = new Map();
      this.#places.set(file, os);
    }
    let procs = processes;
    if (procs === undefined) {
      procs = new Map();
      os.set(osSession, procs);
    }
    const ids = procs.get(process);
    if (ids === undefined) procs.set(process, new Set([id]));
    else ids.add(id);
    return { ok: true, session };
  }

  /** Closes a session; returns it, or `undefined` when no open session has this id. */
  close(id: string): TableSession<T> | undefined {
    const session = this.#byId.get(id);
    if (session === undefined) return undefined;
    this.#byId.delete(id);
    const os = this.#places.get(session.file);
    const procs = os?.get(session.osSession);
    const ids = procs?.get(session.process);
    ids?.delete(id);
    if (ids?.size === 0) procs?.delete(session.process);
    if (procs?.size === 0) os?.delete(session.osSession);
    if (os?.size === 0) this.#places.delete(session.file);
    return session;
  }

  /** Closes every session of a process (it exited); returns them. */
  closeProcess(process: string): TableSession<T>[] {
    const ids: string[] = [];
    for (const s of this.#byId.values()) if (s.process === process) ids.push(s.id);
    return ids.map((id) => this.close(id)).filter((s) => s !== undefined);
  }

  /** The open session with this id. */
  get(id: string): TableSession<T> | undefined {
    return this.#byId.get(id);
  }

  /** Every open session, oldest first. */
  sessions(): TableSession<T>[] {
    return [...this.#byId.values()];
  }

  /** The processes holding sessions (each once). */
  processes(): string[] {
    const out = new Set<string>();
    for (const s of this.#byId.values()) out.add(s.process);
    return [...out];
  }

  /** Open sessions. */
  get size(): number {
    return this.#byId.size;
  }

  /** OS sessions using `file`. */
  osSessionCount(file: string): number {
    return this.#places.get(file)?.size ?? 0;
  }

  /** Processes of `osSession` using `file`. */
  processCount(file: string, osSession: string): number {
    return this.#places.get(file)?.get(osSession)?.size ?? 0;
  }
}

/** A limit from the options: a whole number ≥ 1, default {@link DEFAULT_SESSION_LIMIT}. */
function limit(value: number | undefined, name: string): number {
  if (value === undefined) return DEFAULT_SESSION_LIMIT;
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number ≥ 1`);
  return value;
}
