/**
 * Kysely's driver for the License Center's SQLite file, with grouped commits.
 *
 * A commit writes the WAL frames of every page the transaction changed; an activation changes
 * eleven or so, and the activation and audit tables' tail pages are the same for every
 * activation of a moment. So the transactions of one turn of the event loop share one SQLite
 * transaction: the first opens it (`BEGIN IMMEDIATE`), each runs in a savepoint of its own
 * (released on commit, rolled back alone on a refusal or an error), and one `COMMIT` at the end of
 * the turn (`setImmediate`) ends them all (measured: ~50 µs less CPU per activation in groups of
 * 4–8 in process, and 1.17× the activations per second over HTTP: docs/benchmarks.md).
 *
 * What each caller sees does not change:
 * - `commit` (and `rollback`) resolves only once the group's `COMMIT` has: nothing is answered
 *   before it is in the WAL, as before (`synchronous = NORMAL`: durable against a crash of the
 *   process). If the `COMMIT` fails, or SQLite rolls the whole group back after an error, every
 *   transaction of the group fails with that error and none of them is kept.
 * - A transaction sees the transactions committed before it, including those of its own group
 *   (they are serialized on one connection, as before).
 * - A read outside a transaction (`SELECT`) runs between transactions, as before, and so may
 *   see the rows of a group not yet committed: its rows are handed over only once that group is
 *   committed, and it fails if the group does. (A second, query-only connection for such reads
 *   was measured: its page cache is emptied by every commit of the other, and the activations
 *   over HTTP gained nothing.)
 * - Other statements outside a transaction (migrations, pragmas, `VACUUM`) first commit the open
 *   group, then run on their own.
 */
import type Database from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  RawNode,
  SelectQueryNode,
  type SqliteStatement,
} from 'kysely';

/** Prepares statements on one connection (a cache of them, in `index.ts`). */
export interface Statements {
  prepare(sql: string): SqliteStatement;
}

/** The connection and its statements. */
export interface GroupedCommitsOptions {
  db: Database.Database;
  statements: Statements;
}

const SAVEPOINT = 'lictor_tx';

/** Runs a compiled query on one connection, as Kysely's own SQLite driver does. */
function run(statements: Statements, query: CompiledQuery): QueryResult<unknown> {
  const statement = statements.prepare(query.sql);
  if (statement.reader) return { rows: statement.all(query.parameters) };
  const { changes, lastInsertRowid } = statement.run(query.parameters);
  return {
    numAffectedRows: changes === undefined || changes === null ? undefined : BigInt(changes),
    insertId: lastInsertRowid === undefined || lastInsertRowid === null ? undefined : BigInt(lastInsertRowid),
    rows: [],
  };
}

/** Whether a statement outside a transaction only reads (it may then run inside an open group). */
function onlyReads(query: CompiledQuery): boolean {
  if (SelectQueryNode.is(query.query)) return true;
  return RawNode.is(query.query) && /^\s*select\b/i.test(query.sql);
}

/** A first-come, first-served lock on the writing connection. */
class Mutex {
  #locked = false;
  readonly #waiting: (() => void)[] = [];
  async lock(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }
  unlock(): void {
    const next = this.#waiting.shift();
    if (next === undefined) this.#locked = false;
    else next();
  }
}

/** The transactions sharing one SQLite transaction, and their common outcome. */
interface Group {
  readonly done: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
  flushScheduled: boolean;
}

function newGroup(): Group {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Each member awaits `done`; a group every member of which has already failed must not leave
  // an unhandled rejection behind.
  done.catch(() => {});
  return { done, resolve, reject, flushScheduled: false };
}

/** One acquisition of the connection by Kysely: a transaction, or a statement on its own. */
class Connection implements DatabaseConnection {
  /** The group of this connection's transaction, while the transaction runs. */
  group: Group | undefined;
  constructor(readonly driver: GroupedCommitsDriver) {}
  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.driver.execute(this, query) as Promise<QueryResult<R>>;
  }
  // biome-ignore lint/correctness/useYield: the License Center never streams; refused, not emulated.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported by the License Center store');
  }
}

/** See the module's comment. */
export class GroupedCommitsDriver implements Driver {
  readonly #options: GroupedCommitsOptions;
  readonly #mutex = new Mutex();
  #group: Group | undefined;

  constructor(options: GroupedCommitsOptions) {
    this.#options = options;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new Connection(this);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await this.#mutex.lock();
    try {
      if (this.#group === undefined) {
        this.#exec('begin immediate');
        this.#group = newGroup();
      }
      this.#exec(`savepoint ${SAVEPOINT}`);
    } catch (error) {
      this.#mutex.unlock();
      throw error;
    }
    (connection as Connection).group = this.#group;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    if ((connection as Connection).group === undefined) throw new Error('the store has no open transaction to commit');
    await this.#end(connection as Connection, [`release ${SAVEPOINT}`]);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    // Kysely rolls back a transaction whose commit failed: it has ended already, with its group.
    if ((connection as Connection).group === undefined) return;
    // Its reads may have seen the group's other transactions: it too waits for their outcome.
    await this.#end(connection as Connection, [`rollback to ${SAVEPOINT}`, `release ${SAVEPOINT}`]);
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    await this.#mutex.lock();
    try {
      this.#commitGroup();
    } finally {
      this.#options.db.close();
    }
  }

  /** Runs `query` for `connection` (see the module's comment for where). */
  async execute(connection: Connection, query: CompiledQuery): Promise<QueryResult<unknown>> {
    if (connection.group !== undefined) return run(this.#options.statements, query);
    const reads = onlyReads(query);
    let seen: Group | undefined;
    let result: QueryResult<unknown>;
    await this.#mutex.lock();
    try {
      if (reads) seen = this.#group;
      else this.#commitGroup();
      result = run(this.#options.statements, query);
    } finally {
      this.#mutex.unlock();
    }
    if (seen !== undefined) await seen.done;
    return result;
  }

  /** Ends a transaction's savepoint with `statements`, frees the connection, and waits for its group. */
  async #end(connection: Connection, statements: string[]): Promise<void> {
    const group = connection.group as Group;
    connection.group = undefined;
    try {
      try {
        for (const sql of statements) this.#exec(sql);
      } catch (error) {
        // SQLite ends the whole transaction after some errors (a full disk, an I/O error): the
        // group is gone, and with it every transaction in it.
        if (!this.#options.db.inTransaction) this.#lose(group, error);
        throw error;
      }
      if (!this.#options.db.inTransaction) this.#lose(group, new Error('SQLite ended the transaction of the group'));
    } finally {
      if (this.#group === group && !group.flushScheduled) {
        group.flushScheduled = true;
        setImmediate(() => void this.#flush(group));
      }
      this.#mutex.unlock();
    }
    await group.done;
  }

  /** Commits `group` once the transactions queued before this turn's end have joined it. */
  async #flush(group: Group): Promise<void> {
    await this.#mutex.lock();
    try {
      if (this.#group === group) this.#commitGroup();
    } finally {
      this.#mutex.unlock();
    }
  }

  /** Commits the open group, if any (the caller holds the lock), and settles its transactions. */
  #commitGroup(): void {
    const group = this.#group;
    if (group === undefined) return;
    this.#group = undefined;
    try {
      this.#exec('commit');
      group.resolve();
    } catch (error) {
      // A failed COMMIT (a deferred constraint, a full disk) can leave the transaction open.
      try {
        if (this.#options.db.inTransaction) this.#exec('rollback');
      } finally {
        group.reject(error);
      }
    }
  }

  /** Settles a group SQLite has rolled back. */
  #lose(group: Group, error: unknown): void {
    if (this.#group === group) this.#group = undefined;
    group.reject(error);
  }

  #exec(sql: string): void {
    run(this.#options.statements, CompiledQuery.raw(sql));
  }
}
